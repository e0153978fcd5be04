package gateway

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/engine"
	"tollgate/policies"
)

// FuzzCredentialProviderFile: whatever a provider's or a connection's
// information file holds, reading and staging it never panics, every
// problem has a place.
func FuzzCredentialProviderFile(f *testing.F) {
	f.Add(`{"properties": {"identityProvider": "oauth2", "oauth2": {"grantTypes": {"clientCredentials": {"clientId": "a", "clientSecret": "SECRETX", "tokenUrl": "https://idp/token"}}}}}`,
		`{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "ClientCredentials", "parameters": {"clientSecret": "SECRETX"}}}`)
	f.Add(`{"properties": {"identityProvider": "aad", "oauth2": {"redirectUrl": "x", "grantTypes": {"authorizationCode": {"resourceUri": "https://r", "tenantId": "a/b", "clientSecret": "SECRETX", "scopes": null}}}}}`,
		`{"properties": {"oauth2grantType": "Implicit", "parameters": null, "status": "Connected"}}`)
	f.Add(`{"properties": {"oauth2": {"grantTypes": {"a": {}, "b": {}}}}}`, `{"properties": []}`)
	f.Add(`{"properties": {"identityProvider": 7, "oauth2": "x"}}`, `{`)
	f.Add(`{"properties": {"identityProvider": "github", "oauth2": {"grantTypes": {"authorizationCode": {"clientId": "{{nv}}", "clientSecret": "{{missing}}"}}}}}`, `{"properties": {"parameters": {"clientId": ["x"]}}}`)
	f.Fuzz(func(t *testing.T, provider, connection string) {
		dir := t.TempDir()
		pdir := filepath.Join(dir, credentialsFolder, "p")
		cdir := filepath.Join(pdir, "authorizations", "c")
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pdir, "authorizationProviderInformation.json"), []byte(provider), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cdir, "authorizationInformation.json"), []byte(connection), 0o644); err != nil {
			t.Fatal(err)
		}
		nv := engine.NewNamedValues(engine.NamedValue{Name: "nv", Value: "v"}, engine.NamedValue{Name: "missing", Secret: true, Missing: "no value"})
		var errs engine.ErrorList
		var notes []string
		defs := loadCredentialProviders(dir, nv, sha256.New(), &errs, &notes)
		_, serrs := policies.NewCredentials(policies.CredentialsOptions{}).Stage(defs)
		errs = append(errs, serrs...)
		for _, e := range errs {
			if e.Pos.File == "" || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("no place: %q", e.Error())
			}
		}
		for _, n := range notes {
			if !strings.Contains(n, ": ignored: ") {
				t.Fatalf("notice %q", n)
			}
		}
	})
}
