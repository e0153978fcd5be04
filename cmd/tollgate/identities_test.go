package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/internal/testutil"
)

func TestParseIdentities(t *testing.T) {
	tests := []struct {
		name, src, err string
		ids            int
	}{
		{"two user-assigned identities", `{
  "6f1c3c52-0000-4000-8000-000000000001": {"tokenUrl": "https://login.example/t/oauth2/v2.0/token", "clientId": "app-1", "clientSecret": "SECRET-1"},
  "orders-mi": {"tokenUrl": "http://keycloak:8080/realms/r/protocol/openid-connect/token", "clientId": "orders", "clientSecret": "SECRET-2"}
}`, "", 2},
		{"a syntax error", "{\n  \"a\": {\"tokenUrl\": \"https://x/t\",}\n}", "ids.json:2:35: invalid JSON:", 0},
		{"not an object", `["a"]`, "ids.json: an identities file is a JSON object keyed by client-id", 0},
		{"an unknown field", `{"a": {"tokenUrl": "https://x/t", "clientId": "c", "clientSecret": "s3cr3t-value", "scope": "x"}}`, `ids.json: identity "a": json: unknown field "scope"`, 0},
		{"no tokenUrl", `{"a": {"clientId": "c", "clientSecret": "s3cr3t-value"}}`, `ids.json: identity "a" has no tokenUrl`, 0},
		{"a relative tokenUrl", `{"a": {"tokenUrl": "/token", "clientId": "c", "clientSecret": "s3cr3t-value"}}`, `identity "a": tokenUrl must be an absolute http(s) URL`, 0},
		{"no clientId", `{"a": {"tokenUrl": "https://x/t", "clientSecret": "s3cr3t-value"}}`, `identity "a" has no clientId`, 0},
		{"no clientSecret", `{"a": {"tokenUrl": "https://x/t", "clientId": "c"}}`, `identity "a" has no clientSecret`, 0},
		{"an empty key", `{"": {"tokenUrl": "https://x/t", "clientId": "c", "clientSecret": "s3cr3t-value"}}`, "an identity needs a client-id as its key", 0},
		{"a secret of the wrong type", `{"a": {"tokenUrl": "https://x/t", "clientId": "c", "clientSecret": 12345}}`, `identity "a": clientSecret must be a string`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := parseIdentities("ids.json", []byte(tc.src))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "12345") {
					t.Errorf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil || len(ids) != tc.ids {
				t.Fatalf("%d identities, %v", len(ids), err)
			}
		})
	}
}

// tollgate check loads a policy naming a user-assigned identity once the
// --identities file has it, and says where to put it otherwise.
func TestCheckIdentities(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "graph/api.xml"), `<api name="graph" type="http" path="/graph" service-url="https://graph.example/"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "graph/policy.xml"), `<policies><inbound>
  <authentication-managed-identity resource="https://graph.microsoft.com" client-id="6f1c3c52-0000-4000-8000-000000000001"/>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	file := filepath.Join(t.TempDir(), "ids.json")
	testutil.WriteFile(t, file, `{"6f1c3c52-0000-4000-8000-000000000001": {"tokenUrl": "https://login.example/t/oauth2/v2.0/token", "clientId": "app", "clientSecret": "SECRET-mi"}}`)

	var out, errb bytes.Buffer
	if code := run([]string{"check", dir}, &out, &errb); code != 1 || !strings.Contains(out.String(), `no identity is configured for client-id "6f1c3c52-0000-4000-8000-000000000001"`) ||
		!strings.Contains(out.String(), "--identities") {
		t.Fatalf("without the file: exit %d\n%s", code, out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"check", "--identities", file, dir}, &out, &errb); code != 0 {
		t.Fatalf("with the file: exit %d\n%s%s", code, out.String(), errb.String())
	}
	t.Setenv("TOLLGATE_IDENTITIES", file)
	out.Reset()
	if code := run([]string{"check", dir}, &out, &errb); code != 0 {
		t.Fatalf("with TOLLGATE_IDENTITIES: exit %d\n%s", code, out.String())
	}
	if strings.Contains(out.String()+errb.String(), "SECRET") {
		t.Errorf("check printed a secret:\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"check", "--identities", filepath.Join(dir, "nope.json"), dir}, &out, &errb); code != 1 || !strings.Contains(out.String(), "nope.json: cannot read") {
		t.Errorf("a missing file: exit %d\n%s", code, out.String())
	}
}
