package gateway_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// handshakeBenchPolicy is bench/apis/echo/policy.xml: a 5-step onHandshake
// policy with no call-out.
const handshakeBenchPolicy = `<policies>
  <inbound>
    <set-variable name="tenant" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Tenant&quot;,&quot;anonymous&quot;))"/>
    <choose>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;mode&quot;,&quot;&quot;) == &quot;echo&quot;)">
        <set-variable name="route" value="echo"/>
      </when>
      <otherwise>
        <return-response><set-status code="400" reason="Bad Request"/><set-body>unknown mode</set-body></return-response>
      </otherwise>
    </choose>
    <set-header name="X-Tenant-Id" exists-action="override"><value>@(context.Variables["tenant"])</value></set-header>
    <set-query-parameter name="tenant" exists-action="override"><value>@(context.Variables["tenant"])</value></set-query-parameter>
    <set-backend-service base-url="@(&quot;BACKEND&quot; + context.Variables[&quot;route&quot;])"/>
  </inbound>
  <backend><forward-request timeout="10"/></backend>
</policies>`

// handshakeCalloutPolicy is bench/apis/echo-callout/policy.xml: APIM's
// token-introspection example (send-request-verify-token) as its documentation
// writes it (its Body.As<JObject>() consumes the body, so it is read once),
// pointed at a local HTTP server, then a header from the response's status
// and the backend. One send-request per handshake.
const handshakeCalloutPolicy = `<policies>
  <inbound>
    <set-variable name="token" value="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;,&quot;scheme param&quot;).Split(' ').Last())"/>
    <send-request mode="new" response-variable-name="tokenstate" timeout="20" ignore-error="true">
      <set-url>CALLOUT/introspection</set-url>
      <set-method>POST</set-method>
      <set-header name="Authorization" exists-action="override"><value>basic dXNlcm5hbWU6cGFzc3dvcmQ=</value></set-header>
      <set-header name="Content-Type" exists-action="override"><value>application/x-www-form-urlencoded</value></set-header>
      <set-body>@($"token={(string)context.Variables["token"]}")</set-body>
    </send-request>
    <choose>
      <when condition="@((bool)((IResponse)context.Variables[&quot;tokenstate&quot;]).Body.As&lt;JObject&gt;()[&quot;active&quot;] == false)">
        <return-response>
          <set-status code="401" reason="Unauthorized"/>
          <set-header name="WWW-Authenticate" exists-action="override"><value>Bearer error="invalid_token"</value></set-header>
        </return-response>
      </when>
    </choose>
    <set-header name="X-Token-Checked" exists-action="override"><value>@(((IResponse)context.Variables[&quot;tokenstate&quot;]).StatusCode.ToString())</value></set-header>
    <set-backend-service base-url="BACKEND"/>
  </inbound>
  <backend><forward-request timeout="10"/></backend>
</policies>`

// BenchmarkHandshake measures one whole proxied connection life as the
// side-by-side benchmark's "hs" scenario does: TCP connect to the gateway,
// upgrade (5-step policy, backend dial and handshake), a 1000 close from the
// client and its answer, socket closed. The gateway is served like `tollgate
// serve` (net/http server, Warn-level logger, real metrics). Client and
// backend are minimal raw RFC 6455 peers, so allocs/op and cpu-ns/op (whole
// process: gateway, client and backend) move with the gateway's share.
// goroutines/op counts the goroutines the process started per handshake:
// one is the raw backend's for its connection, the others the gateway's.
func BenchmarkHandshake(b *testing.B) {
	backend := startRawBackend(b)
	dir := b.TempDir()
	policy := strings.ReplaceAll(handshakeBenchPolicy, "BACKEND", "ws://"+backend+"/")
	writeAPI(b, dir, "bench-echo", `type="websocket" path="/echo" service-url="ws://`+backend+`/"`, policy)
	addr := serveBench(b, benchGateway(b, dir))
	benchHandshakes(b, addr, "/echo?mode=echo")
}

// BenchmarkHandshakeCallout is BenchmarkHandshake with a policy that makes
// one send-request call-out per handshake (handshakeCalloutPolicy) to a
// minimal keep-alive HTTP/1.1 server in the same process. The
// sub-benchmarks are the call-out clients (gateway.NewCalloutClient, as
// `tollgate serve --backend-transport` picks them): gateway/upstream and
// net/http's.
func BenchmarkHandshakeCallout(b *testing.B) {
	for _, kind := range []string{gateway.BackendUpstream, gateway.BackendNetHTTP} {
		b.Run(kind, func(b *testing.B) {
			backend := startRawBackend(b)
			callout := startRawHTTP(b, `{"active":true,"tenant":"acme"}`)
			dir := b.TempDir()
			policy := strings.ReplaceAll(handshakeCalloutPolicy, "BACKEND", "ws://"+backend+"/")
			policy = strings.ReplaceAll(policy, "CALLOUT", "http://"+callout)
			writeAPI(b, dir, "bench-callout", `type="websocket" path="/echo" service-url="ws://`+backend+`/"`, policy)
			client, err := gateway.NewCalloutClient(kind)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(client.CloseIdleConnections)
			addr := serveBench(b, benchGateway(b, dir, func(o *gateway.Options) {
				o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Log: o.Log, HTTPClient: client})
			}))
			benchHandshakes(b, addr, "/echo")
		})
	}
}

// handshakeOnce is one connection life of BenchmarkHandshake against the
// gateway at addr: connect, upgrade at path, close 1000, wait for the
// answer, hang up.
func handshakeOnce(addr, path string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Tenant: acme\r\nAuthorization: Bearer t0k3n\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	var buf [1024]byte
	n, err := readUntil(c, buf[:], []byte("\r\n\r\n"))
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 101 ")) {
		return errors.New("no 101: " + string(buf[:n]))
	}
	// Masked close 1000 (key 0: payload unchanged).
	if _, err := c.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8}); err != nil {
		return err
	}
	n, err = io.ReadFull(c, buf[:4])
	if err != nil || buf[0] != 0x88 {
		return errors.New("no close answer")
	}
	return nil
}

// benchHandshakes runs handshakeOnce in a loop against the gateway at addr.
func benchHandshakes(b *testing.B, addr, path string) {
	run := func() error { return handshakeOnce(addr, path) }
	if err := run(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, user0, g0 := processCPU(), processUserCPU(), goroutinesCreated()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := run(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(processUserCPU()-user0)/float64(b.N), "user-ns/op")
	b.ReportMetric(float64(goroutinesCreated()-g0)/float64(b.N), "goroutines/op")
}

// TestHandshakeAllocs pins what BenchmarkHandshake's connection life
// allocates in the whole process, per front server: the gateway's share
// (request, policies, backend dial, 101, session, its end) and the test's
// raw client and backend (net.Dial, the backend's accept, its reader and
// answer: about 20 of them, the same for every build; one more than
// BenchmarkHandshake's allocs/op, which runs them in parallel). docs/http-server.md
// ("Clock reads and the handshake's last allocations") says what went
// last; a new allocation on this path shows here first.
func TestHandshakeAllocs(t *testing.T) {
	backend := startRawBackend(t)
	dir := t.TempDir()
	policy := strings.ReplaceAll(handshakeBenchPolicy, "BACKEND", "ws://"+backend+"/")
	writeAPI(t, dir, "bench-echo", `type="websocket" path="/echo" service-url="ws://`+backend+`/"`, policy)
	addr := serveBench(t, benchGateway(t, dir))
	trip := func() {
		if err := handshakeOnce(addr, "/echo?mode=echo"); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 { // the pools filled, the loops and pollers started
		trip()
	}
	want := map[string]float64{"loop": 47, "h1": 58, "nethttp": 91}[h1test.Front()]
	n := testing.AllocsPerRun(200, trip)
	t.Logf("%v allocations per handshake (front %s)", n, h1test.Front())
	if n > want+raceHandshakeSlack {
		t.Errorf("%v allocations per handshake (front %s); want at most %v", n, h1test.Front(), want+raceHandshakeSlack)
	}
}

// TestHandshakeGoroutines: on the loop front a handshake of the bench's
// policy (which never blocks) stays on its front loop's task, its 101
// read there, so the gateway starts no goroutine for it: the one per
// handshake is the test backend's (testutil.ServeTCP). Released, it
// started the loop's new owner too (2 per handshake). h1's goroutine
// front reuses its workers (1); net/http's server starts the connection's
// goroutine and its background reader (3).
func TestHandshakeGoroutines(t *testing.T) {
	backend := startRawBackend(t)
	dir := t.TempDir()
	policy := strings.ReplaceAll(handshakeBenchPolicy, "BACKEND", "ws://"+backend+"/")
	writeAPI(t, dir, "bench-echo", `type="websocket" path="/echo" service-url="ws://`+backend+`/"`, policy)
	addr := serveBench(t, benchGateway(t, dir))
	for range 20 {
		if err := handshakeOnce(addr, "/echo?mode=echo"); err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	g0 := goroutinesCreated()
	for range n {
		if err := handshakeOnce(addr, "/echo?mode=echo"); err != nil {
			t.Fatal(err)
		}
	}
	per := float64(goroutinesCreated()-g0) / n
	want := map[string]float64{"loop": 1.2, "h1": 1.2, "nethttp": 3.2}[h1test.Front()]
	t.Logf("%.2f goroutines started per handshake (front %s)", per, h1test.Front())
	if per > want {
		t.Errorf("%.2f goroutines started per handshake (front %s); want at most %v", per, h1test.Front(), want)
	}
}

// goroutinesCreated is how many goroutines the process has started so far.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// processCPU is the process's user+system CPU time so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// processUserCPU is the process's user CPU time so far, in ns: the share
// of cpu-ns/op that is Go code (the gateway's, the runtime's and the
// test's peers'), without the kernel's work for the system calls.
func processUserCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano()
}

// readUntil reads from c into buf until buf[:n] ends with end.
func readUntil(c net.Conn, buf, end []byte) (int, error) {
	n := 0
	for !bytes.HasSuffix(buf[:n], end) {
		if n == len(buf) {
			return n, errors.New("response too long")
		}
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// startRawHTTP serves a minimal keep-alive HTTP/1.1 endpoint answering
// every request with 200 and body as JSON (testutil.RawHTTPBackend).
func startRawHTTP(b *testing.B, body string) string {
	return testutil.RawHTTPBackend(b, "application/json", body)
}

// startRawBackend serves a minimal WebSocket endpoint: it accepts the
// upgrade and answers a close frame with the same close, then hangs up.
func startRawBackend(b testing.TB) string {
	return testutil.ServeTCP(b, serveRawBackend)
}

func serveRawBackend(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 2048)
	key := ""
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(k), "Sec-WebSocket-Key") {
			key = string(bytes.TrimSpace(v))
		}
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n"
	if _, err := io.WriteString(c, resp); err != nil {
		return
	}
	// Frames from the gateway are masked; answer the first close.
	var hdr [6]byte
	for {
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return
		}
		n := int(hdr[1] & 0x7F)
		if n > 125 {
			return // the benchmark sends nothing else
		}
		if _, err := io.ReadFull(br, hdr[2:6]); err != nil {
			return
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if hdr[0]&0x0F == 0x8 {
			for i := range p {
				p[i] ^= hdr[2+i&3]
			}
			_, _ = c.Write(append([]byte{0x88, byte(n)}, p...))
			return
		}
	}
}

// benchGateway is the gateway of the benchmarks, set up as `tollgate serve`
// sets it up (real policies and metrics, memory store, no logging).
func benchGateway(b testing.TB, dir string, opts ...func(*gateway.Options)) *gateway.Server {
	log := zap.NewNop()
	opt := gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Store: store.NewMemory(), Log: log}),
		Log:      log,
		Metrics:  gateway.NewMetrics(),
		Getenv:   func(string) string { return "" },
	}
	for _, o := range opts {
		o(&opt)
	}
	srv, err := gateway.New(opt)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// serveBench serves h on a loopback port with a net/http server, as
// `tollgate serve` does, until the benchmark ends; it returns the address.
func serveBench(b testing.TB, h http.Handler) string {
	ts := h1test.NewServer(h) // the front server TOLLGATE_TEST_FRONT picks
	b.Cleanup(ts.Close)
	return ts.Listener.Addr().String()
}
