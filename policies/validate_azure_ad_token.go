package policies

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/engine"
)

// <validate-azure-ad-token tenant-id="{{aad-tenant-id}}" header-name="Authorization" | query-parameter-name | token-value
//
//	failed-validation-httpcode="401" failed-validation-error-message="…" output-token-variable-name="jwt">
//	<client-application-ids><application-id>…</application-id></client-application-ids>
//	<backend-application-ids><application-id>…</application-id></backend-application-ids>
//	<audiences><audience>…</audience></audiences>
//	<required-claims><claim name="ctry" match="any"><value>US</value></claim></required-claims>
//
// </validate-azure-ad-token>
// validate-jwt preset for Microsoft Entra ID: keys from the tenant's OpenID
// configuration, issuer checked against the tenant (v1 and v2 forms),
// azp/appid against client-application-ids, audience against audiences and
// backend-application-ids. Tokens must be signed and carry exp. The step is
// a validateJwt.

// guidRE is a tenant ID: tollgate needs the GUID to check the issuer.
var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// tenantDomainRE is a tenant's domain name (contoso.onmicrosoft.com).
var tenantDomainRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)

// tenantFromURL takes the tenant out of tenant-id's URL form: APIM's page
// gives "https://contoso.onmicrosoft.com" as its example of a tenant-id, a
// domain name behind https:// (and a trailing slash is dropped). Anything
// else is returned as it is, for the GUID and domain checks to judge.
func tenantFromURL(s string) string {
	if len(s) > len("https://") && strings.EqualFold(s[:len("https://")], "https://") {
		return strings.TrimSuffix(s[len("https://"):], "/")
	}
	return s
}

// entraV1Issuer reports whether iss is the v1.0 issuer
// (https://sts.windows.net/ID/) of a tenant whose v2.0 issuer, from its
// discovery document, is authority + ID + "/v2.0".
func entraV1Issuer(iss string, docs []string, authority string) bool {
	for _, d := range docs {
		id, ok := strings.CutPrefix(d, authority)
		if id, ok = strings.CutSuffix(id, "/v2.0"); ok && guidRE.MatchString(id) && iss == "https://sts.windows.net/"+id+"/" {
			return true
		}
	}
	return false
}

func (k *kit) parseValidateAzureADToken(p *engine.Parser) engine.Step {
	v := &validateJwt{
		cache:         k.jwks,
		status:        int(p.LitInt("failed-validation-httpcode", http.StatusUnauthorized, 100, 599)),
		requireExp:    true,
		requireSigned: true,
		output:        p.LitStr("output-token-variable-name", ""),
		parser:        jwt.NewParser(jwt.WithoutClaimsValidation()),
	}
	if p.Has("failed-validation-error-message") {
		m := p.Str("failed-validation-error-message", "")
		v.message = &m
	}
	v.parseSource(p, "Authorization", "Bearer")
	// tenant-id: the tenant's ID, or (APIM: "tenant ID or URL", e.g.
	// contoso.onmicrosoft.com, or https://contoso.onmicrosoft.com on the
	// page's current version) one of its domain names, whose discovery
	// document gives the issuer, and with it the ID.
	raw := strings.TrimSpace(p.RequiredLitStr("tenant-id"))
	tenant := tenantFromURL(raw)
	if p.Has("tenant-id") && !guidRE.MatchString(tenant) && !tenantDomainRE.MatchString(tenant) {
		p.ErrorAt(p.Node().Attr("tenant-id").ValuePos, "tenant-id must be the tenant's ID (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47) or one of its domain names (contoso.onmicrosoft.com, also written https://contoso.onmicrosoft.com), not %q", raw)
	}
	authority := strings.TrimSuffix(k.entraAuthority, "/")
	v.sources = append(v.sources, jwtSource{
		src:     v.cache.source(authority+"/"+tenant+"/v2.0/.well-known/openid-configuration", true),
		timeout: defaultJwksTimeout,
	})
	if guidRE.MatchString(tenant) {
		v.issuers = append(v.issuers, engine.ConstStr(authority+"/"+tenant+"/v2.0"), engine.ConstStr("https://sts.windows.net/"+tenant+"/"))
	} else {
		// The v2.0 issuer is the discovery document's; a v1.0 token's
		// is https://sts.windows.net/ID/ with the ID in it.
		v.entraV1 = authority + "/"
	}

	sawClients := false
	for _, n := range p.Children() {
		c := p.Child(n)
		switch n.Name {
		case "client-application-ids":
			sawClients = true
			v.appIDs = append(v.appIDs, textList(c, "application-id")...)
			if len(v.appIDs) == 0 {
				c.Errorf("<client-application-ids> needs at least one <application-id>")
			}
		case "backend-application-ids":
			for _, id := range textList(c, "application-id") {
				v.audiences = append(v.audiences, id)
				if id.IsConst() {
					v.audiences = append(v.audiences, engine.ConstStr("api://"+id.Const()))
				}
			}
		case "audiences":
			v.audiences = append(v.audiences, textList(c, "audience")...)
		case "required-claims":
			for _, cn := range c.Children() {
				if cn.Name != "claim" {
					continue
				}
				cp := c.Child(cn)
				rc := requiredClaim{
					name: cp.RequiredLitStr("name"),
					any:  cp.LitStr("match", "all", "all", "any") == "any",
					sep:  cp.LitStr("separator", ""),
				}
				rc.values = textList(cp, "value")
				v.claims = append(v.claims, rc)
			}
		default:
			c.Errorf("unexpected element <%s> inside <validate-azure-ad-token> (want client-application-ids, backend-application-ids, audiences, required-claims)", n.Name)
		}
	}
	if !sawClients {
		// APIM's page marks it required, yet Microsoft's own templates
		// (the VS Code extension's MCP server) deploy the policy without it.
		p.Noticef("<validate-azure-ad-token> has no <client-application-ids>: a token from any client application of the tenant is accepted (APIM's documentation marks the element required; its gateway accepts the policy without it)")
	}
	return v
}

// defaultEntraAuthority is where Entra ID tokens come from.
const defaultEntraAuthority = "https://login.microsoftonline.com"
