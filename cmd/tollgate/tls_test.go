package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/internal/testutil"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// serial and returns it for the client's trust pool.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "tollgate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Write aside and rename, as certificate tools do.
	for _, f := range []struct {
		path  string
		block *pem.Block
	}{{keyFile, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}}, {certFile, &pem.Block{Type: "CERTIFICATE", Bytes: der}}} {
		if err := os.WriteFile(f.path+".tmp", pem.EncodeToMemory(f.block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f.path+".tmp", f.path); err != nil {
			t.Fatal(err)
		}
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// TestServeTLS: with --tls-cert/--tls-key, REST is https and WebSocket is
// wss end to end through the relay; a rotated certificate is served without
// a restart, and a broken rotation keeps the previous one.
func TestServeTLS(t *testing.T) {
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, syscall.SIGTERM)
	defer signal.Stop(sig)
	old := certCheckEvery
	certCheckEvery = 50 * time.Millisecond
	defer func() { certCheckEvery = old }()

	echo := testutil.EchoBackend(t)
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "echo/api.xml"),
		`<api name="echo" type="websocket" path="/echo" service-url="ws`+strings.TrimPrefix(echo.URL, "http")+`"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "echo/policy.xml"),
		`<policies><inbound><set-variable name="scheme" value="@(context.Request.OriginalUrl.Scheme)"/>
<choose><when condition="@(context.Variables["scheme"] != "wss")"><return-response><set-status code="400"/></return-response></when></choose>
</inbound></policies>`)
	certFile, keyFile := filepath.Join(dir, "..", "tls.crt"), filepath.Join(dir, "..", "tls.key")
	first := writeCert(t, certFile, keyFile, 1)
	listen, admin := testutil.FreeAddr(t), testutil.FreeAddr(t)

	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--apis", dir, "--listen", listen, "--admin", admin, "--log-level", "error",
			"--watch=false", "--tls-cert", certFile, "--tls-key", keyFile}, io.Discard, io.Discard)
	}()
	defer func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d", code)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()

	// The serial the listener presents now, trusting any of our certs.
	pool := x509.NewCertPool()
	pool.AddCert(first)
	serial := func() int64 {
		c, err := tls.Dial("tcp", listen, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			return -1
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	deadline := time.Now().Add(20 * time.Second)
	for serial() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("serve never answered TLS with the first certificate")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// wss through the gateway, verified against the certificate; the policy
	// sees the wss scheme.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss://"+listen+"/echo", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "over tls" {
		t.Fatalf("echo over wss = %q, %v", msg, err)
	}

	// Rotation: the new pair is served to new connections; the open
	// session keeps working.
	writeCert(t, certFile, keyFile, 2)
	for deadline = time.Now().Add(10 * time.Second); serial() != 2; {
		if time.Now().After(deadline) {
			t.Fatal("the rotated certificate was never served")
		}
		time.Sleep(60 * time.Millisecond)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("after rotation")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "after rotation" {
		t.Fatalf("echo after rotation = %q, %v", msg, err)
	}
	c.Close(websocket.StatusNormalClosure, "")

	// A broken rotation keeps the previous pair.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := serial(); got != 2 {
		t.Fatalf("after a broken rotation the listener serves serial %d, want 2", got)
	}
}

func TestServeTLSFlags(t *testing.T) {
	if code := run([]string{"serve", "--apis", t.TempDir(), "--tls-cert", "x.crt"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("--tls-cert without --tls-key: exit %d, want 2", code)
	}
}

// The listener asks for client certificates only once a policy wants them.
func TestTLSConfigRequestsClientCertsOnDemand(t *testing.T) {
	want := &atomic.Bool{}
	cfg := (&certReloader{}).tlsConfig(want)
	if c, err := cfg.GetConfigForClient(&tls.ClientHelloInfo{}); err != nil || c != nil {
		t.Fatalf("before: %v %v", c, err)
	}
	want.Store(true)
	c, err := cfg.GetConfigForClient(&tls.ClientHelloInfo{})
	if err != nil || c == nil || c.ClientAuth != tls.RequestClientCert || c.MinVersion != tls.VersionTLS12 {
		t.Fatalf("after: %+v %v", c, err)
	}
}
