package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcstatus "google.golang.org/grpc/status"

	"tollgate/internal/testutil"
)

type echoService struct {
	testpb.UnimplementedTestServiceServer
}

func (echoService) UnaryCall(_ context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: in.GetPayload()}, nil
}

// TestServeGRPC: with every --http-server, a gRPC client reaches a gRPC
// API over h2c (and, with --tls-cert, over TLS: the listener offers h2 to
// clients that offer nothing else), and an rpc the .proto does not
// declare is UNIMPLEMENTED.
func TestServeGRPC(t *testing.T) {
	backend := grpc.NewServer()
	testpb.RegisterTestServiceServer(backend, echoService{})
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = backend.Serve(bln) }()
	defer backend.Stop()
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "g", "api.xml"), `<api name="g" type="grpc" path="/" service-url="http://`+bln.Addr().String()+`"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "g", "specification.proto"), `syntax = "proto3";
package grpc.testing;
service TestService { rpc UnaryCall(SimpleRequest) returns (SimpleResponse); }
`)
	certFile, keyFile := filepath.Join(dir, "..", "tls.crt"), filepath.Join(dir, "..", "tls.key")
	cert := writeCert(t, certFile, keyFile, 1)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, tc := range []struct {
		server string
		tls    bool
	}{{"tollgate", false}, {"loop", false}, {"nethttp", false}, {"tollgate", true}, {"loop", true}, {"nethttp", true}} {
		name := tc.server
		if tc.tls {
			name += "+tls"
		}
		t.Run(name, func(t *testing.T) {
			sig := make(chan os.Signal, 16)
			signal.Notify(sig, syscall.SIGTERM)
			defer signal.Stop(sig)
			listen := testutil.FreeAddr(t)
			args := []string{"serve", "--apis", dir, "--listen", listen, "--admin", "", "--watch=false", "--log-level", "error", "--http-server", tc.server}
			creds := insecure.NewCredentials()
			if tc.tls {
				args = append(args, "--tls-cert", certFile, "--tls-key", keyFile)
				creds = credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
			}
			done := make(chan int, 1)
			go func() { done <- run(args, io.Discard, io.Discard) }()
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
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if c, err := net.Dial("tcp", listen); err == nil {
					c.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("serve never listened")
				}
			}
			conn, err := grpc.NewClient("passthrough:///"+listen, grpc.WithTransportCredentials(creds))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := testpb.NewTestServiceClient(conn)
			res, err := c.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
			if err != nil || string(res.GetPayload().GetBody()) != "hi" {
				t.Fatalf("UnaryCall: %v %v", res, err)
			}
			if _, err := c.EmptyCall(ctx, &testpb.Empty{}); grpcstatus.Code(err) != codes.Unimplemented {
				t.Fatalf("EmptyCall: %v", err)
			}
		})
	}
}

// The TLS listener offers h2 to a client that offers only h2 (gRPC's), and
// HTTP/1.1 to every other (browsers: their WebSockets need HTTP/1.1).
func TestTLSConfigH2OnlyClients(t *testing.T) {
	cfg := (&certReloader{}).tlsConfig(nil)
	for _, tc := range []struct {
		offered []string
		want    []string
	}{
		{nil, nil},
		{[]string{"h2", "http/1.1"}, nil},
		{[]string{"http/1.1"}, nil},
		{[]string{"h2"}, []string{"h2"}},
	} {
		c, err := cfg.GetConfigForClient(&tls.ClientHelloInfo{SupportedProtos: tc.offered})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if c != nil {
			got = c.NextProtos
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("offered %v: config with %v, want %v", tc.offered, got, tc.want)
		}
	}
}
