package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/internal/testutil"
)

// TestCheckCredentialProviders: tollgate check reads the credential
// manager's folder, reports its problems at their place and never prints
// a client secret, written out or from a secret named value.
func TestCheckCredentialProviders(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "apis/gh/apiInformation.json"), `{"properties": {"path": "gh", "serviceUrl": "https://api.github.com", "subscriptionRequired": false}}`)
	testutil.WriteFile(t, filepath.Join(dir, "apis/gh/policy.xml"), `<policies><inbound>
  <get-authorization-context provider-id="github-01" authorization-id="auth-01" context-variable-name="auth-context" identity-type="managed" ignore-error="false" />
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	testutil.WriteFile(t, filepath.Join(dir, "named values/gh-secret/namedValueInformation.json"), `{"properties": {"displayName": "gh-secret", "secret": true}}`)
	testutil.WriteFile(t, filepath.Join(dir, "authorizationProviders/github-01/authorizationProviderInformation.json"), `{"properties": {"identityProvider": "github",
  "oauth2": {"grantTypes": {"authorizationCode": {"clientId": "Iv1.x", "clientSecret": "{{gh-secret}}", "scopes": "user"}}}}}`)
	testutil.WriteFile(t, filepath.Join(dir, "authorizationProviders/github-01/authorizations/auth-01/authorizationInformation.json"), `{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "AuthorizationCode"}}`)
	testutil.WriteFile(t, filepath.Join(dir, "authorizationProviders/other/authorizationProviderInformation.json"), `{"properties": {"identityProvider": "oauth2",
  "oauth2": {"grantTypes": {"clientCredentials": {"clientId": "a", "clientSecret": "SECRET-inline", "tokenUrl": "not a url"}}}}}`)

	var out, errb bytes.Buffer
	t.Setenv("TOLLGATE_NAMED_VALUE_GH_SECRET", "SECRET-nv")
	code := run([]string{"check", dir}, &out, &errb)
	text := out.String() + errb.String()
	if code != 1 || !strings.Contains(text, `other/authorizationProviderInformation.json:2:101: credential provider "other": tokenUrl must be an absolute http(s) URL, not "not%20a%20url"`) {
		t.Fatalf("exit %d\n%s", code, text)
	}
	if strings.Contains(text, "SECRET") {
		t.Fatalf("check printed a secret:\n%s", text)
	}
	// Without the secret's value, the policy naming the provider says where to give it.
	t.Setenv("TOLLGATE_NAMED_VALUE_GH_SECRET", "")
	out.Reset()
	errb.Reset()
	run([]string{"check", dir}, &out, &errb)
	if !strings.Contains(out.String(), `credential provider "github-01" cannot be used`) || !strings.Contains(out.String(), "TOLLGATE_NAMED_VALUE_GH_SECRET") {
		t.Fatalf("without the value:\n%s", out.String())
	}
	// Without the value and with no policy naming it: a notice, and the
	// folder loads (the other provider fixed).
	testutil.WriteFile(t, filepath.Join(dir, "apis/gh/policy.xml"), `<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	testutil.WriteFile(t, filepath.Join(dir, "authorizationProviders/other/authorizationProviderInformation.json"), `{"properties": {"identityProvider": "oauth2",
  "oauth2": {"grantTypes": {"clientCredentials": {"clientId": "a", "clientSecret": "SECRET-inline", "tokenUrl": "https://idp.example/token"}}}}}`)
	out.Reset()
	errb.Reset()
	code = run([]string{"check", dir}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `github-01/authorizationProviderInformation.json:2:72: ignored: credential provider github-01 cannot be used: oauth2.grantTypes.authorizationCode.clientSecret: secret named value "gh-secret" has no value`) ||
		!strings.Contains(out.String(), "(nothing uses it)") || strings.Contains(out.String(), "SECRET-") {
		t.Fatalf("exit %d, unused provider without the value:\n%s%s", code, out.String(), errb.String())
	}
}
