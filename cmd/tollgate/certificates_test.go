package main

import (
	"os"
	"path/filepath"
	"testing"

	"tollgate/internal/testutil"
)

// TestCheckCertificates: tollgate check takes --certificates as serve does,
// so a folder whose policies name the gateway's certificates
// (authentication-certificate, validate-jwt's <key certificate-id>) can
// pass check in CI.
func TestCheckCertificates(t *testing.T) {
	certs := t.TempDir()
	certFile, keyFile := filepath.Join(t.TempDir(), "c.pem"), filepath.Join(t.TempDir(), "k.pem")
	writeCert(t, certFile, keyFile, 7)
	c, _ := os.ReadFile(certFile)
	k, _ := os.ReadFile(keyFile)
	testutil.WriteFile(t, filepath.Join(certs, "backend-client.pem"), string(c)+string(k))

	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "orders/api.xml"), `<api name="orders" type="http" path="/orders" service-url="https://orders.example/"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "orders/policy.xml"), `<policies><inbound>
  <validate-jwt header-name="Authorization">
    <issuer-signing-keys><key certificate-id="backend-client"/></issuer-signing-keys>
  </validate-jwt>
  <authentication-certificate certificate-id="backend-client"/>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)

	checkRun(t, dir, nil, 1, []string{`key[1]: no certificate named "backend-client" in the gateway's certificates (--certificates`,
		`authentication-certificate[1]: no certificate named "backend-client"`}, nil)
	checkRun(t, dir, []string{"--certificates", certs}, 0, []string{"ok  orders"}, nil)
	t.Setenv("TOLLGATE_CERTIFICATES", certs)
	checkRun(t, dir, nil, 0, []string{"ok  orders"}, nil)
	checkRun(t, dir, []string{"--certificates", filepath.Join(dir, "none")}, 1, []string{"--certificates: " + filepath.Join(dir, "none") + " is not a folder of NAME.pem files"}, nil)
}
