package policies

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/engine"
)

const (
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	testApp    = "11111111-2222-3333-4444-555555555555"
)

// fakeEntra serves a tenant's OpenID configuration and keys at the paths
// Entra ID uses.
func fakeEntra(t *testing.T) *httptest.Server {
	jwtKeys(t)
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/"+testTenant+"/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":"%s/%s/v2.0","jwks_uri":"%s/%s/discovery/v2.0/keys"}`, srv.URL, testTenant, srv.URL, testTenant)
	})
	// A domain of the tenant gives the same document (the issuer holds the ID).
	mux.HandleFunc("/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":"%s/%s/v2.0","jwks_uri":"%s/%s/discovery/v2.0/keys"}`, srv.URL, testTenant, srv.URL, testTenant)
	})
	mux.HandleFunc("/"+testTenant+"/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{rsaJWK("k1", jwtRSA)}})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func compileAAD(t *testing.T, authority, src string) (*engine.Plan, engine.ErrorList) {
	t.Helper()
	root, err := engine.Read("policy.xml", []byte("<policies><inbound>"+src+"</inbound><backend/><outbound/><on-error/></policies>"))
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps()
	d.EntraAuthority = authority
	c := engine.NewCompiler(Registry(d), engine.NewNamedValues(
		engine.NamedValue{Name: "aad-tenant-id", Value: testTenant},
		engine.NamedValue{Name: "aad-client-application-id", Value: testApp},
	))
	plan := c.Compile(root, "api", nil)
	return plan, c.Errors()
}

// aadDocSimple is APIM's first example, as written.
const aadDocSimple = `<validate-azure-ad-token tenant-id="{{aad-tenant-id}}">
    <client-application-ids>
        <application-id>{{aad-client-application-id}}</application-id>
    </client-application-ids>
</validate-azure-ad-token>`

// APIM's two examples as written, against a fake Entra ID tenant.
func TestValidateAzureADTokenDocExamples(t *testing.T) {
	entra := fakeEntra(t)
	simple, errs := compileAAD(t, entra.URL, aadDocSimple)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	claimsCheck, errs := compileAAD(t, entra.URL, `<validate-azure-ad-token tenant-id="{{aad-tenant-id}}" output-token-variable-name="jwt">
    <client-application-ids>
        <application-id>{{aad-client-application-id}}</application-id>
    </client-application-ids>
    <audiences>
        <audience>@(context.Request.OriginalUrl.Host)</audience>
    </audiences>
    <required-claims>
        <claim name="ctry" match="any">
            <value>US</value>
        </claim>
    </required-claims>
</validate-azure-ad-token>`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	v2iss := entra.URL + "/" + testTenant + "/v2.0"
	tok := func(mod func(jwt.MapClaims)) string {
		return jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(func(c jwt.MapClaims) {
			c["iss"], c["azp"], c["aud"], c["ctry"] = v2iss, testApp, "gw.example.com", "US"
			if mod != nil {
				mod(c)
			}
		}))
	}
	cases := []struct {
		name   string
		plan   *engine.Plan
		token  string
		reason string
	}{
		{"simple: valid", simple, tok(nil), ""},
		{"simple: v1 issuer and appid", simple, tok(func(c jwt.MapClaims) {
			c["iss"] = "https://sts.windows.net/" + testTenant + "/"
			delete(c, "azp")
			c["appid"] = testApp
		}), ""},
		{"simple: no token", simple, "", ReasonTokenNotPresent},
		{"simple: another tenant", simple, tok(func(c jwt.MapClaims) { c["iss"] = entra.URL + "/00000000-0000-0000-0000-000000000000/v2.0" }), ReasonTokenIssuerNotAllowed},
		{"simple: another client app", simple, tok(func(c jwt.MapClaims) { c["azp"] = "someone-else" }), ReasonTokenClaimValueNotAllowed},
		{"simple: expired", simple, tok(func(c jwt.MapClaims) { c["exp"] = 1000 }), ReasonTokenExpired},
		{"simple: other key", simple, jwtSign(t, "RS256", jwtRSA2, "k1", jwtClaims(func(c jwt.MapClaims) { c["iss"], c["azp"] = v2iss, testApp })), ReasonTokenSignatureInvalid},
		{"claims: valid", claimsCheck, tok(nil), ""},
		{"claims: wrong audience", claimsCheck, tok(func(c jwt.MapClaims) { c["aud"] = "other.example.com" }), ReasonTokenAudienceNotAllowed},
		{"claims: wrong country", claimsCheck, tok(func(c jwt.MapClaims) { c["ctry"] = "FR" }), ReasonTokenClaimValueNotAllowed},
		{"claims: no country", claimsCheck, tok(func(c jwt.MapClaims) { delete(c, "ctry") }), ReasonTokenClaimNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.token != "" {
				hdr = []string{"Authorization", "Bearer " + c.token}
			}
			s := request("https://gw.example.com/chat", hdr...)
			defer s.Release()
			if got := jwtRun(t, c.plan, s); got != c.reason {
				t.Fatalf("reason %q, want %q (%+v)", got, c.reason, s.LastError())
			}
			if c.reason == "" && c.plan == claimsCheck {
				if j, ok := s.Variables()["jwt"].(*engine.Jwt); !ok || j.Subject != "alice" {
					t.Fatalf("jwt variable %#v", s.Variables()["jwt"])
				}
			}
		})
	}
}

// TestValidateAzureADTokenDomain: tenant-id as a domain name, which APIM's
// page allows ("tenant ID or URL (for example, "contoso.onmicrosoft.com")"):
// the tenant's discovery document gives the issuer, and with it the ID of
// the v1.0 issuer.
//
// The page's current version writes its example as a URL,
// "https://contoso.onmicrosoft.com": the same tenant, with or without a
// trailing slash.
func TestValidateAzureADTokenDomain(t *testing.T) {
	entra := fakeEntra(t)
	for _, form := range []string{"contoso.onmicrosoft.com", "https://contoso.onmicrosoft.com", "https://contoso.onmicrosoft.com/", "HTTPS://contoso.onmicrosoft.com"} {
		t.Run(form, func(t *testing.T) { testAADDomain(t, entra, form) })
	}
}

func testAADDomain(t *testing.T, entra *httptest.Server, tenantID string) {
	plan, errs := compileAAD(t, entra.URL, strings.Replace(aadDocSimple, "{{aad-tenant-id}}", tenantID, 1))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, tc := range []struct{ name, iss, want string }{
		{"v2.0 issuer", entra.URL + "/" + testTenant + "/v2.0", ""},
		{"v1.0 issuer", "https://sts.windows.net/" + testTenant + "/", ""},
		{"another tenant's v2.0 issuer", entra.URL + "/00000000-0000-0000-0000-000000000000/v2.0", ReasonTokenIssuerNotAllowed},
		{"another tenant's v1.0 issuer", "https://sts.windows.net/00000000-0000-0000-0000-000000000000/", ReasonTokenIssuerNotAllowed},
		{"the domain itself", entra.URL + "/contoso.onmicrosoft.com/v2.0", ReasonTokenIssuerNotAllowed},
	} {
		tok := jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(func(c jwt.MapClaims) { c["iss"], c["azp"] = tc.iss, testApp }))
		s := request("https://gw.example.com/chat", "Authorization", "Bearer "+tok)
		if got := jwtRun(t, plan, s); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		s.Release()
	}
}

func TestValidateAzureADTokenLoadErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`<validate-azure-ad-token><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `needs the attribute "tenant-id"`},
		{`<validate-azure-ad-token tenant-id="contoso/../x"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `must be the tenant's ID (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47) or one of its domain names`},
		{`<validate-azure-ad-token tenant-id="http://contoso.onmicrosoft.com"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `not "http://contoso.onmicrosoft.com"`},
		{`<validate-azure-ad-token tenant-id="https://contoso.onmicrosoft.com/v2.0"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `also written https://contoso.onmicrosoft.com), not "https://contoso.onmicrosoft.com/v2.0"`},
		{`<validate-azure-ad-token tenant-id="https://"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `not "https://"`},
		{`<validate-azure-ad-token tenant-id="organizations"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `not "organizations"`},
		{`<validate-azure-ad-token tenant-id="` + testTenant + `"><client-application-ids/></validate-azure-ad-token>`, `at least one <application-id>`},
		{`<validate-azure-ad-token tenant-id="` + testTenant + `" header-name="X" query-parameter-name="t"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `takes only one of`},
		{`<validate-azure-ad-token tenant-id="` + testTenant + `" clock-skew="5"><client-application-ids><application-id>a</application-id></client-application-ids></validate-azure-ad-token>`, `has no attribute "clock-skew"`},
		{`<validate-azure-ad-token tenant-id="` + testTenant + `"><client-application-ids><application-id>a</application-id></client-application-ids><issuers/></validate-azure-ad-token>`, `unexpected element <issuers>`},
	}
	for _, c := range cases {
		_, errs := compileAAD(t, "https://login.example", c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}
