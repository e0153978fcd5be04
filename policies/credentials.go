package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"sort"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"tollgate/engine"
)

// The credential manager (APIM's credential manager: credential providers
// and their connections, formerly "authorization providers" and
// "authorizations"). The gateway reads the definitions from the
// configuration folder (authorizationProviders/…); Credentials.Stage
// checks them and builds the set get-authorization-context compiles
// against; the Credentials manager keeps what must outlive a
// configuration: tokens, connection status, consent. See
// docs/credential-manager.md.

// Grant types a provider is configured for (APIM: one per provider).
const (
	GrantAuthorizationCode = "authorizationCode"
	GrantClientCredentials = "clientCredentials"
)

// CredentialProvider is one credential provider as the gateway read it:
// authorizationProviders/ID/authorizationProviderInformation.json.
type CredentialProvider struct {
	ID  string
	Pos engine.Pos // the information file
	// IdentityProvider is properties.identityProvider (oauth2, aad, …);
	// IdentityPos is where it is written.
	IdentityProvider string
	IdentityPos      engine.Pos
	// GrantType is the one key of properties.oauth2.grantTypes; Params its
	// parameters ({{named values}} substituted), ParamPos where each is.
	GrantType   string
	GrantPos    engine.Pos
	Params      map[string]string
	ParamPos    map[string]engine.Pos
	RedirectURL string // properties.oauth2.redirectUrl ("" when absent)
	RedirectPos engine.Pos
	// Unusable says why the provider cannot be used (a secret named value
	// without a value), UnusablePos where: a policy naming it literally is
	// a load error, a request reaching it fails, and the set's Notices
	// report it when no literal names it.
	Unusable    string
	UnusablePos engine.Pos
	Connections []CredentialConnection
	// Broken: the gateway reported problems of its file already; it is
	// checked no further, and policies naming it are not told again.
	Broken bool
}

// CredentialConnection is one connection of a provider:
// …/authorizations/ID/authorizationInformation.json.
type CredentialConnection struct {
	ID          string
	Pos         engine.Pos
	GrantType   string // "" (the provider's), or as written in oauth2grantType
	GrantPos    engine.Pos
	Params      map[string]string // clientId, clientSecret
	ParamPos    map[string]engine.Pos
	Unusable    string // as CredentialProvider.Unusable
	UnusablePos engine.Pos
	Broken      bool // as CredentialProvider.Broken
	// AccessPolicies are …/accessPolicies/ID/accessPolicyInformation.json.
	AccessPolicies []CredentialAccessPolicy
}

// CredentialAccessPolicy says which identity may use a connection.
type CredentialAccessPolicy struct {
	ID       string
	Pos      engine.Pos
	TenantID string
	ObjectID string
	AppIDs   []string
}

// GatewayIdentity is the gateway's own identity, the one
// identity-type="managed" checks the connections' access policies against
// (APIM: the instance's system-assigned managed identity). tollgate serve
// reads it from TOLLGATE_IDENTITY_OBJECT_ID and TOLLGATE_IDENTITY_TENANT_ID.
type GatewayIdentity struct {
	ObjectID string
	TenantID string
}

// idpSpec is what tollgate knows of one identity provider.
type idpSpec struct {
	name   string   // as the error messages call it
	grants []string // the grant types it supports
	// params are the parameters a grant type takes (beyond clientId and
	// clientSecret, which every one takes); required those it needs.
	params   map[string][]string
	required map[string][]string
	pkce     bool
	// resolve fills in the endpoints from the parameters.
	resolve func(grant string, p map[string]string, c *oauthConfig)
}

// identityProviders are the identity providers tollgate supports, by
// APIM's identityProvider value.
var identityProviders = map[string]*idpSpec{
	"oauth2": {
		name:   "Generic OAuth 2.0",
		grants: []string{GrantAuthorizationCode, GrantClientCredentials},
		params: map[string][]string{
			GrantAuthorizationCode: {"authorizationUrl", "tokenUrl", "refreshUrl", "scopes"},
			GrantClientCredentials: {"tokenUrl", "scopes", "authorizationUrl", "refreshUrl"},
		},
		required: map[string][]string{
			GrantAuthorizationCode: {"authorizationUrl", "tokenUrl"},
			GrantClientCredentials: {"tokenUrl"},
		},
		resolve: genericEndpoints,
	},
	"oauth2pkce": {
		name:   "Generic OAuth 2.0 with PKCE",
		grants: []string{GrantAuthorizationCode, GrantClientCredentials},
		params: map[string][]string{
			GrantAuthorizationCode: {"authorizationUrl", "tokenUrl", "refreshUrl", "scopes"},
			GrantClientCredentials: {"tokenUrl", "scopes", "authorizationUrl", "refreshUrl"},
		},
		required: map[string][]string{
			GrantAuthorizationCode: {"authorizationUrl", "tokenUrl", "refreshUrl"},
			GrantClientCredentials: {"tokenUrl"},
		},
		pkce:    true,
		resolve: genericEndpoints,
	},
	"aad": {
		name:   "Microsoft Entra ID (Azure Active Directory v1)",
		grants: []string{GrantAuthorizationCode, GrantClientCredentials},
		params: map[string][]string{
			GrantAuthorizationCode: {"resourceUri", "tenantId", "loginUri", "scopes", "authorizationUrl"},
			GrantClientCredentials: {"resourceUri", "tenantId", "loginUri", "scopes", "authorizationUrl"},
		},
		required: map[string][]string{
			GrantAuthorizationCode: {"resourceUri"},
			GrantClientCredentials: {"resourceUri"},
		},
		resolve: func(grant string, p map[string]string, c *oauthConfig) {
			login := strings.TrimRight(p["loginUri"], "/")
			if login == "" {
				login = "https://login.windows.net"
			}
			tenant := p["tenantId"]
			if tenant == "" {
				tenant = "common"
			}
			base := login + "/" + url.PathEscape(tenant) + "/oauth2/"
			c.authURL, c.tokenURL, c.refreshURL = base+"authorize", base+"token", base+"token"
			// v1 endpoints name the resource; scopes go along as written.
			c.authParams = url.Values{"resource": {p["resourceUri"]}}
			c.tokenParams = url.Values{"resource": {p["resourceUri"]}}
		},
	},
	"github": {
		name:     "GitHub",
		grants:   []string{GrantAuthorizationCode},
		params:   map[string][]string{GrantAuthorizationCode: {"scopes"}},
		required: map[string][]string{},
		resolve: func(grant string, p map[string]string, c *oauthConfig) {
			c.authURL, c.tokenURL, c.refreshURL = endpoints.GitHub.AuthURL, endpoints.GitHub.TokenURL, endpoints.GitHub.TokenURL
		},
	},
	"google": {
		name:     "Google",
		grants:   []string{GrantAuthorizationCode},
		params:   map[string][]string{GrantAuthorizationCode: {"scopes"}},
		required: map[string][]string{},
		resolve: func(grant string, p map[string]string, c *oauthConfig) {
			c.authURL, c.tokenURL, c.refreshURL = endpoints.Google.AuthURL, endpoints.Google.TokenURL, endpoints.Google.TokenURL
			// Google sends a refresh token only for offline access, and
			// again only when the consent screen is shown.
			c.authParams = url.Values{"access_type": {"offline"}, "prompt": {"consent"}}
		},
	},
}

func genericEndpoints(grant string, p map[string]string, c *oauthConfig) {
	c.authURL, c.tokenURL, c.refreshURL = p["authorizationUrl"], p["tokenUrl"], p["refreshUrl"]
	if c.refreshURL == "" {
		c.refreshURL = c.tokenURL
	}
}

// supportedProviders lists the identityProvider values tollgate knows.
func supportedProviders() string {
	var names []string
	for k, s := range identityProviders {
		names = append(names, k+" ("+s.name+")")
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// oauthConfig is one connection's OAuth 2.0 client, resolved.
type oauthConfig struct {
	identityProvider string
	grant            string
	authURL          string
	tokenURL         string
	refreshURL       string
	clientID         string
	clientSecret     string
	scopes           []string
	pkce             bool
	authParams       url.Values
	tokenParams      url.Values
	redirectURL      string
}

// oauth2Config is the x/oauth2 client of the config: its token URL is
// tokenURL, or refreshURL for refreshing.
func (c *oauthConfig) oauth2Config(refresh bool, redirect string) *oauth2.Config {
	tu := c.tokenURL
	if refresh && c.refreshURL != "" {
		tu = c.refreshURL
	}
	return &oauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.clientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: c.authURL, TokenURL: tu, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirect,
		Scopes:       c.scopes,
	}
}

// fingerprint changes whenever anything that shapes the connection's
// tokens does (the secret included, hashed): a reload that keeps it keeps
// the connection's cached tokens.
func (c *oauthConfig) fingerprint() string {
	h := sha256.New()
	for _, s := range []string{c.identityProvider, c.grant, c.authURL, c.tokenURL, c.refreshURL, c.clientID, c.clientSecret,
		strings.Join(c.scopes, " "), c.authParams.Encode(), c.tokenParams.Encode(), c.redirectURL} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// clientFingerprint identifies the OAuth client alone (its endpoints and
// id): tokens a consent gave stay good while it is unchanged.
func (c *oauthConfig) clientFingerprint() string {
	h := sha256.Sum256([]byte(c.identityProvider + "\x00" + c.tokenURL + "\x00" + c.clientID))
	return hex.EncodeToString(h[:])[:24]
}

// resolveConnection checks a provider and one of its connections and
// builds the connection's client; problems go to errs at their place.
func resolveConnection(p *CredentialProvider, c *CredentialConnection, spec *idpSpec, errs *engine.ErrorList) (*oauthConfig, bool) {
	cfg := &oauthConfig{identityProvider: p.IdentityProvider, grant: p.GrantType, pkce: spec.pkce, redirectURL: p.RedirectURL}
	ok := true
	if c.GrantType != "" {
		g := grantOf(c.GrantType)
		if g == "" {
			errs.Add(c.GrantPos, "", "connection %q: oauth2grantType must be AuthorizationCode or ClientCredentials, not %q", c.ID, c.GrantType)
			ok = false
		} else if g != p.GrantType {
			errs.Add(c.GrantPos, "", "connection %q uses the %s grant type, but its provider %q is configured for %s (a credential provider has one grant type: make another provider for the other one)",
				c.ID, grantTitle(g), p.ID, grantTitle(p.GrantType))
			ok = false
		}
	}
	for _, k := range sortedNames(c.Params) {
		if k != "clientId" && k != "clientSecret" {
			errs.Add(c.ParamPos[k], "", "connection %q: unknown parameter %q (a connection takes clientId and clientSecret; the rest belongs to the provider)", c.ID, k)
			ok = false
		}
	}
	cfg.clientID = firstNonEmpty(c.Params["clientId"], p.Params["clientId"])
	cfg.clientSecret = firstNonEmpty(c.Params["clientSecret"], p.Params["clientSecret"])
	if cfg.clientID == "" {
		errs.Add(c.Pos, "", "connection %q of provider %q has no clientId: give it in the provider's grant type parameters or the connection's parameters", c.ID, p.ID)
		ok = false
	}
	if cfg.clientSecret == "" && p.Unusable == "" && c.Unusable == "" {
		errs.Add(c.Pos, "", "connection %q of provider %q has no clientSecret: give it in the provider's grant type parameters or the connection's parameters, as a {{named value}} (a secret one keeps it out of the folder)", c.ID, p.ID)
		ok = false
	}
	spec.resolve(p.GrantType, p.Params, cfg)
	cfg.scopes = strings.Fields(p.Params["scopes"])
	return cfg, ok
}

// checkProvider checks a provider's own definition.
func checkProvider(p *CredentialProvider, errs *engine.ErrorList) (*idpSpec, bool) {
	spec := identityProviders[p.IdentityProvider]
	if spec == nil {
		if p.IdentityProvider == "" {
			errs.Add(p.IdentityPos, "", "credential provider %q needs an identityProvider: one of %s", p.ID, supportedProviders())
		} else {
			errs.Add(p.IdentityPos, "", "credential provider %q: identity provider %q is not supported by tollgate (supported: %s); for another OAuth 2.0 provider use \"oauth2\" (or \"oauth2pkce\") with its authorizationUrl, tokenUrl and refreshUrl",
				p.ID, p.IdentityProvider, supportedProviders())
		}
		return nil, false
	}
	if p.GrantType == "" {
		errs.Add(p.GrantPos, "", "credential provider %q needs one grant type in oauth2.grantTypes: %s", p.ID, grantList(spec.grants))
		return nil, false
	}
	if !slices.Contains(spec.grants, p.GrantType) {
		errs.Add(p.GrantPos, "", "credential provider %q: %s supports the grant type %s only, not %s", p.ID, spec.name, grantList(spec.grants), p.GrantType)
		return nil, false
	}
	ok := true
	allowed := append([]string{"clientId", "clientSecret"}, spec.params[p.GrantType]...)
	for _, k := range sortedNames(p.Params) {
		if !slices.Contains(allowed, k) {
			errs.Add(p.ParamPos[k], "", "credential provider %q: unknown %s parameter %q for %s (known: %s)", p.ID, p.GrantType, k, spec.name, strings.Join(allowed, ", "))
			ok = false
		}
	}
	for _, k := range spec.required[p.GrantType] {
		if p.Params[k] == "" {
			errs.Add(p.GrantPos, "", "credential provider %q: %s needs the %s parameter %q", p.ID, spec.name, p.GrantType, k)
			ok = false
		}
	}
	for _, k := range []string{"authorizationUrl", "tokenUrl", "refreshUrl", "loginUri"} {
		if v := p.Params[k]; v != "" && !httpURL(v) {
			errs.Add(p.ParamPos[k], "", "credential provider %q: %s must be an absolute http(s) URL, not %q", p.ID, k, engine.RedactURL(v))
			ok = false
		}
	}
	if v := p.Params["tenantId"]; v != "" && strings.ContainsAny(v, "/?# ") {
		errs.Add(p.ParamPos["tenantId"], "", "credential provider %q: tenantId must be a tenant ID or domain name, not %q", p.ID, v)
		ok = false
	}
	if p.RedirectURL != "" && !httpURL(p.RedirectURL) {
		errs.Add(p.RedirectPos, "", "credential provider %q: redirectUrl must be an absolute http(s) URL, not %q", p.ID, p.RedirectURL)
		ok = false
	}
	return spec, ok
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// grantOf maps an ARM oauth2grantType value to a grant type.
func grantOf(s string) string {
	switch strings.ToLower(s) {
	case "authorizationcode":
		return GrantAuthorizationCode
	case "clientcredentials":
		return GrantClientCredentials
	}
	return ""
}

func grantTitle(g string) string {
	if g == GrantClientCredentials {
		return "ClientCredentials"
	}
	return "AuthorizationCode"
}

func grantList(gs []string) string { return strings.Join(gs, " or ") }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
