package gateway_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// A resolver's http-data-source with <authentication-certificate>: the
// data source is a TLS server that requires a client certificate issued
// by its CA; the resolver that presents the gateway's gets the answer,
// one without a certificate is a field error (the TLS handshake fails),
// on a synthetic API and on a pass-through API with resolvers alike.
func TestGraphQLResolverClientCertificate(t *testing.T) {
	_, dataURL, roots, pair, _ := mtlsServer(t, "data")
	callouts := policies.DefaultHTTPClient()
	callouts.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	gqlBackend := newGQLBackend(t)

	for _, tc := range []struct{ name, attrs string }{
		{"synthetic", ``},
		{"pass-through with resolvers", `service-url="` + gqlBackend.url + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAPI(t, dir, "mtls", `type="graphql" path="/mtls" `+tc.attrs, "")
			writeFile(t, dir, "mtls/schema.graphql", strings.Replace(mixedBackendSchema, "  version: String\n", "  version: String\n  whoami: String\n  anonymous: String\n", 1))
			writeFile(t, dir, "mtls/resolvers/Query.whoami.xml", `<http-data-source>
    <http-request>
        <set-method>GET</set-method>
        <set-url>`+dataURL+`/whoami</set-url>
        <authentication-certificate certificate-id="gw" />
    </http-request>
</http-data-source>`)
			writeResolver(t, dir, "mtls", "Query.anonymous", dataURL+"/anonymous", "")
			g := startGateway(t, dir, func(o *gateway.Options) {
				o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), HTTPClient: callouts,
					Certificates: []policies.NamedCertificate{{Name: "gw", Cert: pair}}})
			})
			resp, body := gqlPost(t, g, "/mtls", gqlBody(`{ whoami anonymous }`, "null"))
			want := `{"data":{"whoami":"hello gw-client","anonymous":null},"errors":[{"message":"Query.anonymous: the data source could not be reached","path":["anonymous"],"locations":[{"line":1,"column":10}]}]}`
			if resp.StatusCode != 200 || body != want {
				t.Fatalf("status %d\n got %s\nwant %s", resp.StatusCode, body, want)
			}
		})
	}
}

// A resolver's http-data-source with <get-authorization-context>: the
// credential manager's connection token (fetched once from the provider,
// then cached) goes to the data source, APIM's "attach the token" example
// in a resolver of an APIOps extract's synthetic API.
func TestGraphQLResolverAuthorizationContext(t *testing.T) {
	ts := newTokenServer(t)
	data := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	})
	dir := t.TempDir()
	credFolder(t, dir, ts.URL+"/token", data.URL, "data.read")
	writeFile(t, dir, "apis/gql/apiInformation.json", `{"properties": {"type": "graphql", "path": "gql", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/gql/specification.graphql", "type Query {\n  token: String\n}\n")
	writeFile(t, dir, "apis/gql/resolvers/token/resolverInformation.json", `{"properties": {"displayName": "token", "path": "Query/token"}}`)
	writeFile(t, dir, "apis/gql/resolvers/token/policy.xml", `<http-data-source>
    <http-request>
        <get-authorization-context provider-id="idp" authorization-id="conn" context-variable-name="auth-context" identity-type="managed" ignore-error="false" />
        <set-method>GET</set-method>
        <set-url>`+data.URL+`/token</set-url>
        <set-header name="Authorization" exists-action="override">
            <value>@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken)</value>
        </set-header>
    </http-request>
</http-data-source>`)
	g, _ := credGateway(t, dir)
	for range 2 {
		resp, body := gqlPost(t, g, "/gql", gqlBody(`{ token }`, "null"))
		if resp.StatusCode != 200 || body != `{"data":{"token":"Bearer at-1"}}` {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
	if n := ts.issued.Load(); n != 1 {
		t.Errorf("%d tokens issued, want 1 (cached)", n)
	}
}
