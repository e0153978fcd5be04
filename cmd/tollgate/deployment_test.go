package main

import (
	"crypto/x509/pkix"
	"testing"

	"tollgate/internal/testutil"
	"tollgate/policies"
)

// context.Deployment: the gateway (self-hosted: not managed) and the
// --certificates folder's certificates by thumbprint, with their private
// keys (GetRSAPrivateKey() in C#).
func TestDeployment(t *testing.T) {
	c := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "uploaded"}}, nil)
	d := deployment("gw-host", "contoso", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso", []policies.NamedCertificate{{Name: "uploaded", Cert: c.TLS()}})
	if d.GatewayId != "gw-host" || d.Gateway == nil || d.Gateway.Id != "gw-host" || d.Gateway.IsManaged {
		t.Errorf("gateway %+v / %+v", d, d.Gateway)
	}
	if d.ServiceName != "contoso" || d.ServiceId != "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso" {
		t.Errorf("service %q %q", d.ServiceName, d.ServiceId)
	}
	if len(d.Certificates) != 1 {
		t.Fatalf("certificates %v", d.Certificates)
	}
	for tp, cert := range d.Certificates {
		if tp != cert.Thumbprint || len(tp) != 40 || cert.Subject != "CN=uploaded" {
			t.Errorf("%s: %+v", tp, cert)
		}
		if x := cert.X509Cert(); x == nil || !x.HasKey() {
			t.Errorf("%s: the certificate lost its private key", tp)
		}
	}
}
