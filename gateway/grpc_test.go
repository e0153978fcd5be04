package gateway_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// testProto declares TestService's streaming methods and UnaryCall, not
// EmptyCall: the backend implements EmptyCall, and the gateway answers it
// UNIMPLEMENTED (an rpc the .proto does not declare).
const testProto = `syntax = "proto3";
package grpc.testing;

message SimpleRequest {}
message SimpleResponse {}
message StreamingInputCallRequest {}
message StreamingInputCallResponse {}
message StreamingOutputCallRequest {}
message StreamingOutputCallResponse {}

service TestService {
  rpc UnaryCall(SimpleRequest) returns (SimpleResponse);
  rpc StreamingOutputCall(StreamingOutputCallRequest) returns (stream StreamingOutputCallResponse);
  rpc StreamingInputCall(stream StreamingInputCallRequest) returns (StreamingInputCallResponse);
  rpc FullDuplexCall(stream StreamingOutputCallRequest) returns (stream StreamingOutputCallResponse);
}
`

// grpcTestService is the backend: it echoes what it got, the metadata it
// saw in its response headers (x-saw-*) and a trailer (x-trailer).
type grpcTestService struct {
	testpb.UnimplementedTestServiceServer
}

func sawHeaders(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	out := metadata.MD{}
	for _, k := range []string{"x-tenant", "x-added", "x-forwarded-for", "te", "grpc-timeout", "ocp-apim-subscription-key"} {
		if v := md.Get(k); len(v) > 0 {
			out.Set("x-saw-"+k, v...)
		}
	}
	_ = grpc.SetHeader(ctx, out)
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-trailer", "t1"))
}

func (grpcTestService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (grpcTestService) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	sawHeaders(ctx)
	switch string(in.GetPayload().GetBody()) {
	case "fail":
		return nil, status.Error(codes.FailedPrecondition, "the backend says no: ünïcode")
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &testpb.SimpleResponse{Payload: in.GetPayload()}, nil
}

func (grpcTestService) StreamingOutputCall(in *testpb.StreamingOutputCallRequest, s testpb.TestService_StreamingOutputCallServer) error {
	sawHeaders(s.Context())
	for _, p := range in.GetResponseParameters() {
		if err := s.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, p.GetSize())}}); err != nil {
			return err
		}
	}
	if string(in.GetPayload().GetBody()) == "stall" {
		<-s.Context().Done() // stops answering mid-stream
		return s.Context().Err()
	}
	return nil
}

func (grpcTestService) StreamingInputCall(s testpb.TestService_StreamingInputCallServer) error {
	sawHeaders(s.Context())
	total := 0
	for {
		in, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return s.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(in.GetPayload().GetBody())
	}
}

func (grpcTestService) FullDuplexCall(s testpb.TestService_FullDuplexCallServer) error {
	sawHeaders(s.Context())
	for {
		in, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.Send(&testpb.StreamingOutputCallResponse{Payload: in.GetPayload()}); err != nil {
			return err
		}
	}
}

// grpcCA issues the certificates of the TLS tests: the backend's and the
// gateway's front, both for "localhost".
type grpcCA struct {
	ca    *testutil.TestCert
	roots *x509.CertPool
}

func newGRPCCA(t testing.TB) *grpcCA {
	ca := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "test CA"}, CA: true}, nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return &grpcCA{ca: ca, roots: roots}
}

func (c *grpcCA) serverConfig(t testing.TB) *tls.Config {
	leaf := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}, Serial: 2}, c.ca)
	return &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS12}
}

// startGRPCBackend serves grpcTestService and the health service with
// grpc-go: over h2c, or over TLS when ca is set. It returns host:port.
func startGRPCBackend(t testing.TB, ca *grpcCA) string {
	t.Helper()
	var cfg *tls.Config
	if ca != nil {
		cfg = ca.serverConfig(t)
	}
	addr, _ := startGRPCBackendWith(t, cfg)
	return addr
}

// startGRPCBackendWith serves grpcTestService over TLS with cfg (h2c when
// nil). It returns host:port and the count of connections accepted.
func startGRPCBackendWith(t testing.TB, cfg *tls.Config) (string, *atomic.Int64) {
	t.Helper()
	var opts []grpc.ServerOption
	if cfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	s := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(s, grpcTestService{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	go func() { _ = s.Serve(cl) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String(), &cl.n
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// grpcGateway is a gateway serving a grpc API, and a client of it.
type grpcGateway struct {
	*testGateway
	conn   *grpc.ClientConn
	client testpb.TestServiceClient
}

type grpcSetup struct {
	frontTLS, backendTLS bool
	proto                bool   // write specification.proto
	policy               string // the API's policy.xml
	apiAttrs             string // more api.xml attributes
	serviceURL           string // instead of the backend's
	files                map[string]string
	opts                 []gwOption
}

func startGRPCGateway(t testing.TB, c grpcSetup) *grpcGateway {
	t.Helper()
	var ca *grpcCA
	if c.frontTLS || c.backendTLS {
		ca = newGRPCCA(t)
	}
	svc := c.serviceURL
	if svc == "" {
		if c.backendTLS {
			_, port, _ := net.SplitHostPort(startGRPCBackend(t, ca))
			svc = "https://localhost:" + port
		} else {
			svc = "http://" + startGRPCBackend(t, nil)
		}
	}
	dir := t.TempDir()
	writeAPI(t, dir, "grpc", `type="grpc" path="/" service-url="`+svc+`" `+c.apiAttrs, c.policy)
	if c.proto {
		writeFile(t, dir, "grpc/specification.proto", testProto)
	}
	for name, content := range c.files {
		writeFile(t, dir, name, content)
	}
	var opts []gwOption
	if c.backendTLS {
		opts = append(opts, func(o *gateway.Options) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = &tls.Config{RootCAs: ca.roots}
			o.Transport = tr
		})
	}
	opts = append(opts, c.opts...)
	if keys, ok := c.files["../keys.json"]; ok && keys != "" {
		opts = append(opts, withSubscriptions(filepath.Join(dir, "../keys.json"), store.NewMemorySubscriptions()))
	}
	g := startGateway(t, dir, opts...)
	target := strings.TrimPrefix(g.url, "http://")
	creds := insecure.NewCredentials()
	if c.frontTLS {
		ts := h1test.NewTLSServer(g.srv, ca.serverConfig(t))
		t.Cleanup(ts.Close)
		_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
		target = "localhost:" + port
		creds = credentials.NewTLS(&tls.Config{RootCAs: ca.roots, ServerName: "localhost"})
	}
	conn, err := grpc.NewClient("passthrough:///"+target, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &grpcGateway{testGateway: g, conn: conn, client: testpb.NewTestServiceClient(conn)}
}

func callCtx(t testing.TB, kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(testCtx(t), kv...)
}

// runAllKinds makes one call of each kind and checks what came back:
// payloads, the backend's response header (x-saw-x-tenant: the client's
// metadata reached it) and its trailer.
func runAllKinds(t *testing.T, gg *grpcGateway) {
	t.Helper()
	ctx := callCtx(t, "x-tenant", "acme")
	check := func(kind string, header, trailer metadata.MD) {
		t.Helper()
		if got := header.Get("x-saw-x-tenant"); len(got) != 1 || got[0] != "acme" {
			t.Errorf("%s: the backend saw x-tenant %q (header %v)", kind, got, header)
		}
		if got := trailer.Get("x-trailer"); len(got) != 1 || got[0] != "t1" {
			t.Errorf("%s: trailer x-trailer %q (trailer %v)", kind, got, trailer)
		}
	}

	var header, trailer metadata.MD
	res, err := gg.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello")}}, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if string(res.GetPayload().GetBody()) != "hello" {
		t.Errorf("UnaryCall: payload %q", res.GetPayload().GetBody())
	}
	check("UnaryCall", header, trailer)

	// A backend's own error status passes with its message.
	_, err = gg.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("fail")}})
	if st, _ := status.FromError(err); st.Code() != codes.FailedPrecondition || st.Message() != "the backend says no: ünïcode" {
		t.Errorf("UnaryCall fail: %v", err)
	}

	so, err := gg.client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 70000}, {Size: 3}}})
	if err != nil {
		t.Fatalf("StreamingOutputCall: %v", err)
	}
	var sizes []int
	for {
		m, err := so.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("StreamingOutputCall Recv: %v", err)
		}
		sizes = append(sizes, len(m.GetPayload().GetBody()))
	}
	if fmt.Sprint(sizes) != "[1 70000 3]" {
		t.Errorf("StreamingOutputCall: sizes %v", sizes)
	}
	h, _ := so.Header()
	check("StreamingOutputCall", h, so.Trailer())

	si, err := gg.client.StreamingInputCall(ctx)
	if err != nil {
		t.Fatalf("StreamingInputCall: %v", err)
	}
	for _, n := range []int{5, 100000, 7} {
		if err := si.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}); err != nil {
			t.Fatalf("StreamingInputCall Send: %v", err)
		}
	}
	sres, err := si.CloseAndRecv()
	if err != nil {
		t.Fatalf("StreamingInputCall: %v", err)
	}
	if sres.GetAggregatedPayloadSize() != 100012 {
		t.Errorf("StreamingInputCall: %d", sres.GetAggregatedPayloadSize())
	}
	h, _ = si.Header()
	check("StreamingInputCall", h, si.Trailer())

	// Full duplex: each answer arrives before the next request is sent.
	fd, err := gg.client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	for _, msg := range []string{"one", "two", "three"} {
		if err := fd.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte(msg)}}); err != nil {
			t.Fatalf("FullDuplexCall Send: %v", err)
		}
		m, err := fd.Recv()
		if err != nil {
			t.Fatalf("FullDuplexCall Recv: %v", err)
		}
		if string(m.GetPayload().GetBody()) != msg {
			t.Errorf("FullDuplexCall: got %q, want %q", m.GetPayload().GetBody(), msg)
		}
	}
	if err := fd.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := fd.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("FullDuplexCall end: %v", err)
	}
	h, _ = fd.Header()
	check("FullDuplexCall", h, fd.Trailer())
}

// TestGRPCPassThrough: the four kinds of calls, with metadata and
// trailers, from a grpc-go client over h2c and TLS to a grpc-go backend
// over h2c and TLS (its certificate verified).
func TestGRPCPassThrough(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		frontTLS, backendTLS bool
		proto                bool
	}{
		{name: "h2c-h2c", proto: true},
		{name: "h2c-h2c-no-proto"},
		{name: "h2c-tls", backendTLS: true, proto: true},
		{name: "tls-h2c", frontTLS: true, proto: true},
		{name: "tls-tls", frontTLS: true, backendTLS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gg := startGRPCGateway(t, grpcSetup{frontTLS: tc.frontTLS, backendTLS: tc.backendTLS, proto: tc.proto})
			runAllKinds(t, gg)
			metrics := gg.metricsText(t)
			if !strings.Contains(metrics, `tollgate_grpc_calls_total{api="grpc",grpc_status="0"} 4`) ||
				!strings.Contains(metrics, `tollgate_grpc_calls_total{api="grpc",grpc_status="9"} 1`) {
				t.Errorf("metrics:\n%s", grepLines(metrics, "tollgate_grpc_calls_total"))
			}
			defer func() {
				if tc.proto && !strings.Contains(gg.metricsText(t), `tollgate_grpc_calls_total{api="grpc",grpc_status="12"} 2`) {
					t.Errorf("metrics:\n%s", grepLines(gg.metricsText(t), "tollgate_grpc_calls_total"))
				}
			}()
			// Without a .proto every call passes (the health service too);
			// with one, an rpc it does not declare is UNIMPLEMENTED.
			_, err := testpb.NewTestServiceClient(gg.conn).EmptyCall(testCtx(t), &testpb.Empty{})
			hres, herr := healthpb.NewHealthClient(gg.conn).Check(testCtx(t), &healthpb.HealthCheckRequest{})
			if tc.proto {
				if st, _ := status.FromError(err); st.Code() != codes.Unimplemented || st.Message() != "Method not found: /grpc.testing.TestService/EmptyCall" {
					t.Errorf("EmptyCall: %v", err)
				}
				if status.Code(herr) != codes.Unimplemented {
					t.Errorf("Health: %v", herr)
				}
			} else if err != nil || herr != nil || hres.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("EmptyCall: %v; Health: %v %v", err, hres, herr)
			}
		})
	}
}

const grpcSubKey = "grpc-primary-SECRET-0101"

// TestGRPCPolicies: policies run on the call's metadata, and their
// refusals arrive as gRPC statuses.
func TestGRPCPolicies(t *testing.T) {
	policy := `<policies>
  <inbound>
    <base/>
    <check-header name="x-tenant" failed-check-httpcode="403" failed-check-error-message="tenant missing" ignore-case="true"/>
    <choose>
      <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;,&quot;&quot;) == &quot;mock&quot;)">
        <return-response><set-status code="503"/><set-body>down for maintenance</set-body></return-response>
      </when>
      <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;,&quot;&quot;) == &quot;body&quot;)">
        <set-variable name="b" value="@(context.Request.Body.As&lt;string&gt;())"/>
      </when>
    </choose>
    <set-header name="x-added" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("x-tenant","") + "!")</value></set-header>
    <rate-limit-by-key calls="2" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-client&quot;,&quot;none&quot;))"/>
  </inbound>
  <backend><base/></backend>
  <outbound><base/><set-header name="x-outbound" exists-action="override"><value>@(context.Operation.Id)</value></set-header></outbound>
  <on-error><base/></on-error>
</policies>`
	gg := startGRPCGateway(t, grpcSetup{proto: true, policy: policy, apiAttrs: `subscription-required="true"`, files: map[string]string{
		"subscriptions/app/subscriptionInformation.json": `{"properties": {"scope": "/apis/grpc", "state": "active"}}`,
		"../keys.json": fmt.Sprintf(`{"app": {"primaryKey": %q}}`, grpcSubKey),
	}})
	key := "ocp-apim-subscription-key"
	for _, tc := range []struct {
		name     string
		md       []string
		code     codes.Code
		msg      string
		added    string
		header   map[string]string
		outbound string
	}{
		{name: "no key", md: []string{"x-tenant", "a"}, code: codes.Unauthenticated,
			msg: "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."},
		{name: "wrong key", md: []string{key, "nope", "x-tenant", "a"}, code: codes.Unauthenticated},
		{name: "ok", md: []string{key, grpcSubKey, "x-tenant", "a", "x-client", "c1"}, code: codes.OK, added: "a!", outbound: "UnaryCall"},
		{name: "check-header", md: []string{key, grpcSubKey}, code: codes.PermissionDenied, msg: "tenant missing"},
		{name: "return-response 503", md: []string{key, grpcSubKey, "x-tenant", "mock"}, code: codes.Unavailable, msg: "down for maintenance"},
		{name: "a policy reads the body", md: []string{key, grpcSubKey, "x-tenant", "body", "x-client", "c9"}, code: codes.Unknown},
		{name: "rate limit 2", md: []string{key, grpcSubKey, "x-tenant", "a", "x-client", "c1"}, code: codes.OK, added: "a!"},
		{name: "rate limit 3", md: []string{key, grpcSubKey, "x-tenant", "a", "x-client", "c1"}, code: codes.ResourceExhausted,
			header: map[string]string{"retry-after": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header, trailer metadata.MD
			_, err := gg.client.UnaryCall(callCtx(t, tc.md...), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("x")}},
				grpc.Header(&header), grpc.Trailer(&trailer))
			st, _ := status.FromError(err)
			if st.Code() != tc.code || (tc.msg != "" && st.Message() != tc.msg) {
				t.Fatalf("status %v %q, want %v %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			if tc.added != "" {
				if got := header.Get("x-saw-x-added"); len(got) != 1 || got[0] != tc.added {
					t.Errorf("the backend saw x-added %q", got)
				}
				if got := header.Get("x-saw-ocp-apim-subscription-key"); len(got) != 1 || got[0] != grpcSubKey {
					t.Errorf("the backend saw the key %q", got)
				}
			}
			if tc.outbound != "" {
				if got := header.Get("x-outbound"); len(got) != 1 || got[0] != tc.outbound {
					t.Errorf("outbound's header %q (header %v)", got, header)
				}
			}
			for k := range tc.header {
				if len(header.Get(k)) == 0 && len(trailer.Get(k)) == 0 {
					t.Errorf("no %s in %v / %v", k, header, trailer)
				}
			}
		})
	}
}

// TestGRPCFailures: an unreachable backend is UNAVAILABLE at once, a
// grpc-timeout and the API's timeout end slow calls and stalled streams
// with DEADLINE_EXCEEDED, and a client over HTTP/1.1 is told to use HTTP/2.
func TestGRPCFailures(t *testing.T) {
	t.Run("backend down", func(t *testing.T) {
		gg := startGRPCGateway(t, grpcSetup{proto: true, serviceURL: "http://" + closedPort(t)})
		start := time.Now()
		_, err := gg.client.UnaryCall(testCtx(t), &testpb.SimpleRequest{})
		if st, _ := status.FromError(err); st.Code() != codes.Unavailable || st.Message() != "Bad gateway" {
			t.Fatalf("%v", err)
		}
		if d := time.Since(start); d > testTimeout/2 {
			t.Errorf("took %v", d)
		}
	})
	t.Run("not a grpc backend", func(t *testing.T) {
		rb := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusNotFound) })
		gg := startGRPCGateway(t, grpcSetup{serviceURL: rb.URL})
		_, err := gg.client.UnaryCall(testCtx(t), &testpb.SimpleRequest{})
		if st, _ := status.FromError(err); st.Code() != codes.Unavailable {
			t.Fatalf("%v", err)
		}
	})
	gg := startGRPCGateway(t, grpcSetup{proto: true, apiAttrs: `timeout="1"`})
	t.Run("grpc-timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
		defer cancel()
		_, err := gg.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("slow")}})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("%v", err)
		}
	})
	t.Run("the API's timeout", func(t *testing.T) {
		_, err := gg.client.UnaryCall(testCtx(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("slow")}})
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("%v", err)
		}
	})
	t.Run("stalled stream", func(t *testing.T) {
		so, err := gg.client.StreamingOutputCall(testCtx(t), &testpb.StreamingOutputCallRequest{
			ResponseParameters: []*testpb.ResponseParameters{{Size: 4}}, Payload: &testpb.Payload{Body: []byte("stall")}})
		if err != nil {
			t.Fatal(err)
		}
		if m, err := so.Recv(); err != nil || len(m.GetPayload().GetBody()) != 4 {
			t.Fatalf("first message: %v %v", m, err)
		}
		// The backend was told the time left (grpc-timeout): whichever
		// of it and the gateway ends the stream first, it is the deadline.
		_, err = so.Recv()
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("%v", err)
		}
	})
	t.Run("HTTP/1.1", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, gg.url+"/grpc.testing.TestService/UnaryCall", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/grpc")
		resp, body := do(t, req)
		if resp.StatusCode != http.StatusHTTPVersionNotSupported || !strings.Contains(body, "call it over HTTP/2") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}

// TestGRPCLoadErrors: what a broken gRPC API reports, file:line:col.
func TestGRPCLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{name: "ws service-url", files: map[string]string{
			"g/api.xml": `<api name="g" type="grpc" path="/" service-url="ws://127.0.0.1:1"/>`,
		}, want: []string{`g/api.xml:1:49: service-url "ws://127.0.0.1:1" must be an absolute https:// (HTTP/2 over TLS) or http:// (h2c) URL`}},
		{name: "broken proto", files: map[string]string{
			"g/api.xml":             `<api name="g" type="grpc" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/specification.proto": "syntax = \"proto3\";\nservice S {\n  rpc M(A) returns (B)\n}\n",
		}, want: []string{`g/specification.proto:4:1: invalid .proto: syntax error: expecting ';'`}},
		{name: "proto without rpcs", files: map[string]string{
			"g/api.xml":             `<api name="g" type="grpc" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/specification.proto": "syntax = \"proto3\";\nmessage A {}\n",
		}, want: []string{`g/specification.proto:1:1: the .proto declares no service with an rpc: a gRPC API needs at least one (or no specification.proto, to pass every call)`}},
		{name: "proto on an http API", files: map[string]string{
			"g/api.xml":             `<api name="g" type="http" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/specification.proto": testProto,
		}, want: []string{`g/specification.proto:1:1: a .proto describes a gRPC API: give the API type "grpc" (it is "http")`}},
		{name: "operation policy of no rpc", files: map[string]string{
			"g/api.xml":                         `<api name="g" type="grpc" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/specification.proto":             testProto,
			"g/operations/EmptyCall/policy.xml": `<policies><inbound><base/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`,
		}, want: []string{`g/operations/EmptyCall/policy.xml:1:1: API "g" has no operation "EmptyCall" for this policy (its operations: UnaryCall, StreamingOutputCall, StreamingInputCall, FullDuplexCall)`}},
		{name: "body policy", files: map[string]string{
			"g/api.xml":    `<api name="g" type="grpc" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/policy.xml": "<policies>\n  <inbound><base/><set-body>x</set-body></inbound>\n  <backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>",
		}, want: []string{`g/policy.xml:2:19: inbound/set-body[1]: <set-body> works on message bodies, and API "g" is a gRPC API: its calls are streams of protobuf messages that pass through untouched; policies of gRPC APIs work on headers (metadata) only`}},
		{name: "forward-request inside retry", files: map[string]string{
			"g/api.xml":    `<api name="g" type="grpc" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/policy.xml": "<policies>\n  <inbound><base/></inbound>\n  <backend><retry condition=\"@(true)\" count=\"2\" interval=\"0\"><forward-request/></retry></backend>\n  <outbound><base/></outbound><on-error><base/></on-error></policies>",
		}, want: []string{`g/policy.xml:3:62: backend/retry[1]/forward-request[1]: <forward-request> inside <retry> resends a gRPC call only with buffer-request-body="true": the call's request is otherwise a stream that passes through once and is never buffered`}},
		{name: "forward-request inside limit-concurrency", files: map[string]string{
			"g/api.xml":    `<api name="g" type="grpc" path="/" service-url="http://127.0.0.1:1"/>`,
			"g/policy.xml": "<policies>\n  <inbound><base/><limit-concurrency counter-key=\"k\" max-count=\"2\"/></inbound>\n  <backend><limit-concurrency key=\"k\" max-count=\"2\"><forward-request/></limit-concurrency></backend>\n  <outbound><base/></outbound><on-error><base/></on-error></policies>",
		}, want: []string{`g/policy.xml:3:53: backend/limit-concurrency[1]/forward-request[1]: <forward-request> inside <limit-concurrency> cannot send a gRPC call from inside it: the call is a stream the gateway passes through after the backend section; to hold a slot for the whole call, use tollgate's form, <limit-concurrency counter-key="…" max-count="…"/> in inbound`}},
		{name: "apiops ws serviceUrl", files: map[string]string{
			"apis/g/apiInformation.json": `{"properties": {"type": "grpc", "path": "", "serviceUrl": "ws://127.0.0.1:1", "subscriptionRequired": false}}`,
		}, want: []string{`apis/g/apiInformation.json:1:45: serviceUrl "ws://127.0.0.1:1" does not fit an API of type grpc`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				writeFile(t, dir, name, content)
			}
			_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{Getenv: func(string) string { return "" }})
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimPrefix(e.Error(), dir+"/"))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestGRPCAPIOps: an APIOps gRPC API (apiInformation.json "type": "grpc",
// its .proto next to it) loads with one operation per rpc.
func TestGRPCAPIOps(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/greeter/apiInformation.json", `{"properties": {"displayName": "Greeter", "apiType": "grpc", "type": "grpc", "path": "", "serviceUrl": "https://localhost:5001", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/greeter/specification.proto", testProto)
	snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	api := snap.API("greeter")
	if api == nil || api.Type != "grpc" || api.Path != "/" {
		t.Fatalf("%+v", api)
	}
	var ops []string
	for _, op := range api.Operations {
		ops = append(ops, op.Info.Id+" "+op.Info.Method+" "+op.Info.UrlTemplate)
	}
	want := "UnaryCall POST /grpc.testing.TestService/UnaryCall|StreamingOutputCall POST /grpc.testing.TestService/StreamingOutputCall|" +
		"StreamingInputCall POST /grpc.testing.TestService/StreamingInputCall|FullDuplexCall POST /grpc.testing.TestService/FullDuplexCall"
	if strings.Join(ops, "|") != want {
		t.Errorf("operations:\n%s", strings.Join(ops, "\n"))
	}
}

// BenchmarkGRPCUnary: one unary call through the gateway (h2c both ways,
// no .proto, no policy), the client's connection reused.
func BenchmarkGRPCUnary(b *testing.B) {
	gg := startGRPCGateway(b, grpcSetup{proto: true})
	ctx := context.Background()
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello")}}
	if _, err := gg.client.UnaryCall(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := gg.client.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGRPCUnaryDirect: the same call straight to the backend, for
// the gateway's share of BenchmarkGRPCUnary.
func BenchmarkGRPCUnaryDirect(b *testing.B) {
	conn, err := grpc.NewClient("passthrough:///"+startGRPCBackend(b, nil), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)
	ctx := context.Background()
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// grpcEntityPolicy sends a call to the backend entity its x-backend
// metadata names (none: the API's service-url).
const grpcEntityPolicy = `<policies><inbound><base/><choose>
  <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-backend&quot;,&quot;&quot;) == &quot;insecure&quot;)"><set-backend-service backend-id="insecure"/></when>
  <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-backend&quot;,&quot;&quot;) == &quot;pool&quot;)"><set-backend-service backend-id="pool"/></when>
  <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-backend&quot;,&quot;&quot;) == &quot;strict&quot;)"><set-backend-service backend-id="strict"/></when>
</choose></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`

// TestGRPCBackendEntityTLS: a gRPC API whose backend is a backend entity
// uses the entity's TLS settings, as REST calls to it do: a TLS backend
// with a self-signed certificate is reached through an entity (or a pool
// of it) that turns validation off, and refused through one that does
// not, or through the API's service-url. The calls of one TLS setting
// share one HTTP/2 connection.
func TestGRPCBackendEntityTLS(t *testing.T) {
	self := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}}, nil)
	addr, conns := startGRPCBackendWith(t, &tls.Config{Certificates: []tls.Certificate{self.TLS()}, MinVersion: tls.VersionTLS12})
	_, port, _ := net.SplitHostPort(addr)
	svc := "https://localhost:" + port
	entity := func(more string) string {
		return `{"properties": {"url": "` + svc + `", "protocol": "http"` + more + `}}`
	}
	gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcEntityPolicy, serviceURL: svc, files: map[string]string{
		"backends/insecure/backendInformation.json": entity(`, "tls": {"validateCertificateChain": false, "validateCertificateName": false}`),
		"backends/strict/backendInformation.json":   entity(""),
		"backends/pool/backendInformation.json":     `{"properties": {"type": "Pool", "pool": {"services": [{"id": "/backends/insecure", "priority": 1, "weight": 1}]}}}`,
	}})
	for _, tc := range []struct {
		name    string
		backend string
		code    codes.Code
		conns   int64 // connections the backend accepted so far (0: not checked)
	}{
		{name: "entity with validation off", backend: "insecure", code: codes.OK, conns: 1},
		{name: "pool of that entity", backend: "pool", code: codes.OK, conns: 1},
		{name: "entity that validates", backend: "strict", code: codes.Unavailable},
		{name: "service-url", code: codes.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := callCtx(t, "x-backend", tc.backend)
			res, err := gg.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
			if status.Code(err) != tc.code {
				t.Fatalf("UnaryCall: %v, want %v", err, tc.code)
			}
			if tc.code != codes.OK {
				return
			}
			if string(res.GetPayload().GetBody()) != "hi" {
				t.Errorf("payload %q", res.GetPayload().GetBody())
			}
			so, err := gg.client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 40000}}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, err := so.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Recv: %v", err)
				}
				n++
			}
			if n != 2 {
				t.Errorf("%d messages", n)
			}
			if got := conns.Load(); tc.conns != 0 && got != tc.conns {
				t.Errorf("the backend accepted %d connections, want %d", got, tc.conns)
			}
		})
	}
}

// TestGRPCBandwidthQuota: a bandwidth quota counts a call's request and
// response bytes (streams as they pass), and refuses the call after the
// one that used it up with RESOURCE_EXHAUSTED.
func TestGRPCBandwidthQuota(t *testing.T) {
	policy := `<policies><inbound><base/>
  <quota-by-key bandwidth="1" renewal-period="3600" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-client&quot;,&quot;none&quot;))"/>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	gg := startGRPCGateway(t, grpcSetup{proto: true, policy: policy})
	unary := func(size int) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := gg.client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, size)}})
			return err
		}
	}
	for _, tc := range []struct {
		name       string
		call       func(context.Context) error
		secondCode codes.Code
	}{
		{name: "unary both ways", call: unary(600), secondCode: codes.ResourceExhausted},
		{name: "small calls", call: unary(10), secondCode: codes.OK},
		{name: "request stream", call: func(ctx context.Context) error {
			si, err := gg.client.StreamingInputCall(ctx)
			if err != nil {
				return err
			}
			for range 2 {
				if err := si.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 700)}}); err != nil {
					break // the answer says why
				}
			}
			_, err = si.CloseAndRecv()
			return err
		}, secondCode: codes.ResourceExhausted},
		{name: "response stream", call: func(ctx context.Context) error {
			so, err := gg.client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 700}, {Size: 700}}})
			if err != nil {
				return err
			}
			for {
				if _, err := so.Recv(); err != nil {
					if errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
			}
		}, secondCode: codes.ResourceExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := callCtx(t, "x-client", tc.name)
			if err := tc.call(ctx); err != nil {
				t.Fatalf("first call: %v", err)
			}
			err := tc.call(ctx)
			st, _ := status.FromError(err)
			if st.Code() != tc.secondCode {
				t.Fatalf("second call: %v, want %v", err, tc.secondCode)
			}
			if tc.secondCode == codes.ResourceExhausted && !strings.HasPrefix(st.Message(), "Out of bandwidth quota.") {
				t.Errorf("message %q", st.Message())
			}
		})
	}
}

// flakyService fails its first fails calls with UNAVAILABLE (each time as
// a Trailers-Only answer, as grpc-go sends an error before any message),
// then answers as grpcTestService; calls counts the calls it got and
// payloads what each carried.
type flakyService struct {
	grpcTestService
	fails int64
	calls *atomic.Int64
	mu    *sync.Mutex
	seen  *[]string
}

func (f flakyService) note(p string) int64 {
	f.mu.Lock()
	*f.seen = append(*f.seen, p)
	f.mu.Unlock()
	return f.calls.Add(1)
}

func (f flakyService) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if f.note(string(in.GetPayload().GetBody())) <= f.fails {
		return nil, status.Error(codes.Unavailable, "not yet")
	}
	return f.grpcTestService.UnaryCall(ctx, in)
}

func (f flakyService) StreamingOutputCall(in *testpb.StreamingOutputCallRequest, s testpb.TestService_StreamingOutputCallServer) error {
	if f.note(string(in.GetPayload().GetBody())) <= f.fails {
		return status.Error(codes.Unavailable, "not yet")
	}
	return f.grpcTestService.StreamingOutputCall(in, s)
}

func (f flakyService) StreamingInputCall(s testpb.TestService_StreamingInputCallServer) error {
	if f.note("stream") <= f.fails {
		return status.Error(codes.Unavailable, "not yet")
	}
	return f.grpcTestService.StreamingInputCall(s)
}

// startFlakyBackend serves flakyService over h2c: its address, and the
// payloads of the calls it got.
func startFlakyBackend(t *testing.T, fails int64) (string, func() []string) {
	t.Helper()
	f := flakyService{fails: fails, calls: &atomic.Int64{}, mu: &sync.Mutex{}, seen: &[]string{}}
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, f)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String(), func() []string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return append([]string(nil), *f.seen...)
	}
}

// grpcRetryPolicy retries while the backend answers UNAVAILABLE (14): its
// grpc-status, from the answer's headers or trailers, is in
// context.Response.Headers; outbound reports what it saw there.
const grpcRetryPolicy = `<policies><inbound><base/></inbound><backend>
  <retry condition="@(context.Response.Headers.GetValueOrDefault(&quot;grpc-status&quot;, &quot;0&quot;) == &quot;14&quot;)" count="3" interval="0">
    <forward-request timeout="5" buffer-request-body="true"/>
  </retry></backend>
<outbound><base/><set-header name="x-outbound-saw" exists-action="override"><value>@(context.Response.Headers.GetValueOrDefault("grpc-status", "none") + "/" + context.Response.Headers.GetValueOrDefault("x-trailer", "none"))</value></set-header></outbound>
<on-error><base/></on-error></policies>`

// TestGRPCRetry: forward-request inside retry with
// buffer-request-body="true" resends a gRPC call while retry's condition,
// reading the call's grpc-status, says so: unary, server-streaming and
// client-streaming calls succeed on the third attempt with the same
// request each time, their messages, metadata and trailers intact; when
// every attempt fails the last answer is the client's; a request over
// max-body-size is RESOURCE_EXHAUSTED and never sent. Without
// buffer-request-body the call fails at once in a global policy (UNKNOWN,
// a message that says why; the backend never called) and is a load error
// in the API's own (TestGRPCLoadErrors).
func TestGRPCRetry(t *testing.T) {
	t.Run("unary", func(t *testing.T) {
		addr, seen := startFlakyBackend(t, 2)
		gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcRetryPolicy, serviceURL: "http://" + addr})
		var hdr, trl metadata.MD
		res, err := gg.client.UnaryCall(callCtx(t, "x-tenant", "acme"), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello")}},
			grpc.Header(&hdr), grpc.Trailer(&trl))
		if err != nil || string(res.GetPayload().GetBody()) != "hello" {
			t.Fatalf("%v %v", res, err)
		}
		if got := seen(); strings.Join(got, ",") != "hello,hello,hello" {
			t.Errorf("the backend got %q, want the same request three times", got)
		}
		if got := hdr.Get("x-saw-x-tenant"); len(got) != 1 || got[0] != "acme" {
			t.Errorf("header metadata %v", hdr)
		}
		if got := hdr.Get("x-outbound-saw"); len(got) != 1 || got[0] != "0/t1" {
			t.Errorf("outbound saw %v, want grpc-status 0 and the trailer t1", got)
		}
		if got := trl.Get("x-trailer"); len(got) != 1 || got[0] != "t1" {
			t.Errorf("trailers %v", trl)
		}
		if len(hdr.Get("grpc-status")) != 0 || len(hdr.Get("x-trailer")) != 0 {
			t.Errorf("trailers sent as headers: %v", hdr)
		}
	})
	t.Run("server streaming", func(t *testing.T) {
		addr, seen := startFlakyBackend(t, 2)
		gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcRetryPolicy, serviceURL: "http://" + addr})
		stream, err := gg.client.StreamingOutputCall(testCtx(t), &testpb.StreamingOutputCallRequest{
			Payload:            &testpb.Payload{Body: []byte("s")},
			ResponseParameters: []*testpb.ResponseParameters{{Size: 10}, {Size: 20}, {Size: 30}}})
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for {
			m, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(m.GetPayload().GetBody()))
		}
		if fmt.Sprint(sizes) != "[10 20 30]" || len(seen()) != 3 {
			t.Errorf("messages %v after %d calls", sizes, len(seen()))
		}
	})
	t.Run("client streaming", func(t *testing.T) {
		addr, seen := startFlakyBackend(t, 2)
		gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcRetryPolicy, serviceURL: "http://" + addr})
		stream, err := gg.client.StreamingInputCall(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{3, 4, 5} {
			if err := stream.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := stream.CloseAndRecv()
		if err != nil || res.GetAggregatedPayloadSize() != 12 || len(seen()) != 3 {
			t.Errorf("%v %v after %d calls", res, err, len(seen()))
		}
	})
	t.Run("every attempt fails", func(t *testing.T) {
		addr, seen := startFlakyBackend(t, 100)
		gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcRetryPolicy, serviceURL: "http://" + addr})
		_, err := gg.client.UnaryCall(testCtx(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("x")}})
		if st, _ := status.FromError(err); st.Code() != codes.Unavailable || st.Message() != "not yet" {
			t.Errorf("%v, want the backend's UNAVAILABLE", err)
		}
		if got := len(seen()); got != 4 {
			t.Errorf("%d calls, want 4 (count=3 retries)", got)
		}
	})
	t.Run("request over max-body-size", func(t *testing.T) {
		addr, seen := startFlakyBackend(t, 0)
		gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcRetryPolicy, serviceURL: "http://" + addr, apiAttrs: `max-body-size="100"`})
		_, err := gg.client.UnaryCall(testCtx(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 200)}})
		if st, _ := status.FromError(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "larger than 100 bytes") {
			t.Errorf("%v, want RESOURCE_EXHAUSTED", err)
		}
		if len(seen()) != 0 {
			t.Errorf("the backend got %q", seen())
		}
	})

	t.Run("a client waiting for answers", func(t *testing.T) {
		// A bidirectional call whose client waits for an answer before it
		// ends its request cannot be buffered: the section's bound
		// (policy-timeout) ends it, DEADLINE_EXCEEDED, nothing sent.
		addr, seen := startFlakyBackend(t, 0)
		gg := startGRPCGateway(t, grpcSetup{proto: true, policy: grpcRetryPolicy, serviceURL: "http://" + addr, apiAttrs: `policy-timeout="1"`})
		start := time.Now()
		stream, err := gg.client.FullDuplexCall(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte("hi")}}); err != nil {
			t.Fatal(err)
		}
		_, err = stream.Recv()
		if st, _ := status.FromError(err); st.Code() != codes.DeadlineExceeded {
			t.Errorf("%v, want DEADLINE_EXCEEDED", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v", d)
		}
		if len(seen()) != 0 {
			t.Errorf("the backend got %q", seen())
		}
	})

	const retry = `<policies><inbound/><backend><retry condition="@(context.Response.StatusCode != 200)" count="3" interval="0"><forward-request timeout="5"/></retry></backend><outbound/><on-error/></policies>`
	const plain = `<policies><inbound><base/></inbound><backend><forward-request timeout="5"/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	for _, tc := range []struct {
		name   string
		global string // the global policy
		policy string // the API's
		code   codes.Code
		msg    string
		conns  int64
	}{
		{name: "retry without buffer-request-body in the global policy", global: retry, code: codes.Unknown,
			msg: `<forward-request> inside <retry> resends a gRPC call only with buffer-request-body="true"`, conns: 0},
		{name: "plain forward-request", policy: plain, code: codes.OK, conns: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, conns := startGRPCBackendWith(t, nil)
			files := map[string]string{}
			if tc.global != "" {
				files["policy.xml"] = tc.global
			}
			gg := startGRPCGateway(t, grpcSetup{proto: true, policy: tc.policy, serviceURL: "http://" + addr, files: files})
			_, err := gg.client.UnaryCall(testCtx(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("x")}})
			st, _ := status.FromError(err)
			if st.Code() != tc.code || !strings.HasPrefix(st.Message(), tc.msg) {
				t.Fatalf("%v, want %v %q", err, tc.code, tc.msg)
			}
			if got := conns.Load(); got != tc.conns {
				t.Errorf("the backend accepted %d connections, want %d", got, tc.conns)
			}
		})
	}
}

// startConnectProxy is an HTTP proxy that only tunnels (CONNECT). It
// returns its URL and the targets it was asked for.
func startConnectProxy(t testing.TB) (*url.URL, func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var targets []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.Method != http.MethodConnect {
					_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
					return
				}
				mu.Lock()
				targets = append(targets, req.Host)
				mu.Unlock()
				bc, err := net.Dial("tcp", req.Host)
				if err != nil {
					_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer bc.Close()
				_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { _, _ = io.Copy(bc, br); bc.Close() }()
				_, _ = io.Copy(c, bc)
			}()
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), targets...)
	}
}

// TestGRPCProxy: backend calls go through the proxy the transport's
// proxy rules name (HTTP_PROXY/HTTPS_PROXY/NO_PROXY by default), as REST
// backend calls do: TLS backends and h2c ones, both through a CONNECT
// tunnel (a proxy cannot relay h2c requests).
func TestGRPCProxy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		backendTLS bool
	}{
		{name: "h2c"},
		{name: "tls", backendTLS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy, targets := startConnectProxy(t)
			useProxy := func(o *gateway.Options) {
				if o.Transport == nil {
					o.Transport = http.DefaultTransport.(*http.Transport).Clone()
				}
				o.Transport.Proxy = http.ProxyURL(proxy)
			}
			gg := startGRPCGateway(t, grpcSetup{proto: true, backendTLS: tc.backendTLS, opts: []gwOption{useProxy}})
			runAllKinds(t, gg)
			if got := targets(); len(got) != 1 {
				t.Errorf("the proxy tunnelled to %v, want one backend connection", got)
			}
		})
	}
}

// TestGRPCBackendEntityClientCertificate: a gRPC backend that requires a
// client certificate is reached through a backend entity whose
// credentials.certificateIds names the gateway's certificate, and refused
// (UNAVAILABLE) through one that names none.
func TestGRPCBackendEntityClientCertificate(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	server := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}}, ca)
	client := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gw-client"}}, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	addr, _ := startGRPCBackendWith(t, &tls.Config{Certificates: []tls.Certificate{server.TLS()}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: roots, MinVersion: tls.VersionTLS12})
	_, port, _ := net.SplitHostPort(addr)
	svc := "https://localhost:" + port
	certPEM, keyPEM := client.PEM(t)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	certs := []policies.NamedCertificate{{Name: "grpc-client", Cert: pair}}
	entity := func(creds string) string {
		return `{"properties": {"url": "` + svc + `", "protocol": "http", "tls": {"validateCertificateChain": false, "validateCertificateName": false}` + creds + `}}`
	}
	policy := `<policies><inbound><base/><set-backend-service backend-id="@(context.Request.Headers.GetValueOrDefault(&quot;x-backend&quot;,&quot;&quot;))"/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`
	gg := startGRPCGateway(t, grpcSetup{proto: true, policy: policy, serviceURL: svc, files: map[string]string{
		"backends/mtls/backendInformation.json":   entity(`, "credentials": {"certificateIds": ["/certificates/grpc-client"]}`),
		"backends/nocert/backendInformation.json": entity(""),
	}, opts: []gwOption{func(o *gateway.Options) { o.Certificates = certs }}})
	for _, tc := range []struct {
		backend string
		code    codes.Code
	}{
		{"mtls", codes.OK},
		{"nocert", codes.Unavailable},
	} {
		res, err := gg.client.UnaryCall(callCtx(t, "x-backend", tc.backend), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
		if status.Code(err) != tc.code {
			t.Fatalf("%s: UnaryCall: %v, want %v", tc.backend, err, tc.code)
		}
		if tc.code == codes.OK && string(res.GetPayload().GetBody()) != "hi" {
			t.Errorf("%s: payload %q", tc.backend, res.GetPayload().GetBody())
		}
	}
}
