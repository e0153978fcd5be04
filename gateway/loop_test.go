//go:build linux

package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/gateway/h1"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// On the event-loop front, a request whose policy waits (a send-request
// call-out) leaves the loop first: while its call-out hangs, a request to
// an API that runs inline, served by the same loop, is answered. Were the
// call-out made on the loop, the second request would wait for it (and
// this test would time out).
func TestLoopReleasesBlockingRequests(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		io.WriteString(w, "token")
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the backend's Close: a failed test must not leave it waiting
	fast := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast "+r.URL.Path) })
	dir := t.TempDir()
	writeAPI(t, dir, "inline", fmt.Sprintf(`type="http" path="/inline" service-url=%q`, fast.URL), `<policies><inbound>
  <set-header name="X-A" exists-action="override"><value>1</value></set-header>
</inbound></policies>`)
	writeAPI(t, dir, "callout", fmt.Sprintf(`type="http" path="/callout" service-url=%q`, fast.URL), fmt.Sprintf(`<policies><inbound>
  <send-request mode="new" response-variable-name="r" timeout="20" ignore-error="false">
    <set-url>%s/token</set-url>
    <set-method>GET</set-method>
  </send-request>
</inbound></policies>`, slow.URL))
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log: zaptest.NewLogger(t), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Current().API("inline").RunsInline() || srv.Current().API("callout").RunsInline() {
		t.Fatal("the APIs are not classified as this test needs")
	}
	base := serveOnOneLoop(t, srv) // both requests share the loop
	client := &http.Client{Timeout: 10 * time.Second}

	calloutDone := make(chan string, 1)
	go func() {
		res, err := client.Get(base + "/callout/x")
		if err != nil {
			calloutDone <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		calloutDone <- fmt.Sprint(res.StatusCode, " ", string(b))
	}()
	<-arrived // the call-out is in flight, and stays there until release
	res, err := client.Get(base + "/inline/y")
	if err != nil {
		t.Fatalf("the inline request waited for another request's call-out: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "fast /y" {
		t.Fatalf("inline: %d %q", res.StatusCode, b)
	}
	once.Do(func() { close(release) })
	if got := <-calloutDone; got != "200 fast /x" {
		t.Fatalf("callout: %s", got)
	}
}

// holdStep is a policy that says it never blocks and then blocks until
// it takes a token from release: what a misclassified policy does on a
// loop.
type holdStep struct {
	started chan<- struct{}
	release <-chan struct{}
}

func (h holdStep) Run(ctx context.Context, s *engine.State) error {
	h.started <- struct{}{}
	<-h.release
	return nil
}

func (holdStep) NeverBlocks() bool { return true }

// A request that holds its loop although its API was classified as never
// blocking (a misclassified policy, or long CPU work) is moved off the
// loop by the loops' watchdog: a request to another API on the same loop
// is answered meanwhile. The gateway counts it for its API, and names the
// API in a warning once enough of its requests were moved.
func TestLoopWatchdogMovesHeldRequest(t *testing.T) {
	started, release := make(chan struct{}, 4), make(chan struct{}, 4)
	t.Cleanup(func() { close(release) })
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	reg["test-hold"] = engine.Policy{Sections: engine.AllSections, Parse: func(p *engine.Parser) engine.Step {
		return holdStep{started: started, release: release}
	}}
	fast := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast "+r.URL.Path) })
	dir := t.TempDir()
	writeAPI(t, dir, "held", fmt.Sprintf(`type="http" path="/held" service-url=%q`, fast.URL), `<policies><inbound><test-hold /></inbound></policies>`)
	writeAPI(t, dir, "inline", fmt.Sprintf(`type="http" path="/inline" service-url=%q`, fast.URL), `<policies><inbound>
  <set-header name="X-A" exists-action="override"><value>1</value></set-header>
</inbound></policies>`)
	core, logs := observer.New(zapcore.WarnLevel)
	metrics := gateway.NewMetrics()
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: reg, Metrics: metrics,
		Log: zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core())), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Current().API("held").RunsInline() || !srv.Current().API("inline").RunsInline() {
		t.Fatal("the APIs are not classified as this test needs")
	}
	base := serveOnOneLoop(t, srv) // both requests share the loop
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) string {
		res, err := client.Get(base + path)
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return fmt.Sprint(res.StatusCode, " ", string(b))
	}

	heldDone := make(chan string, 1)
	go func() { heldDone <- get("/held/x") }()
	<-started // the request holds its loop from here on
	if got := get("/inline/y"); got != "200 fast /y" {
		t.Fatalf("a request behind one that holds the loop: %s", got)
	}
	release <- struct{}{}
	if got := <-heldDone; got != "200 fast /x" {
		t.Fatalf("held: %s", got)
	}
	// Counted when the handler returns, which may be after the answer
	// went out (a flushed body).
	held := func(want float64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			n := promtest.ToFloat64(metrics.LoopHeld.WithLabelValues("held"))
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf(`tollgate_event_loop_held_total{api="held"} = %v, want %v`, n, want)
			}
		}
	}
	held(1)
	// One moved request could be the machine's doing (a thread not run
	// for a while): no warning yet. Twenty more, each on a new connection
	// (on a kept one, a request read while the released task was still
	// off the loop would run off it), all of the API's requests: the API
	// is named once.
	if w := logs.FilterMessageSnippet("event loop").All(); len(w) != 0 {
		t.Errorf("warned after one moved request: %v", w)
	}
	client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	// Until 21 are counted: on a loaded machine the watchdog may move a
	// task before its request starts (the loop's thread not run for a
	// while), and its hold then keeps no loop and is not counted.
	for i := 0; promtest.ToFloat64(metrics.LoopHeld.WithLabelValues("held")) < 21; i++ {
		if i == 40 {
			t.Fatalf("%v of 40 held requests counted", promtest.ToFloat64(metrics.LoopHeld.WithLabelValues("held")))
		}
		go func() { heldDone <- get(fmt.Sprint("/held/", i)) }()
		<-started
		// Answered only once the watchdog has moved the held request off
		// the loop (the only one): then it may go on. (A fixed wait was
		// not enough when a loaded machine ran the watchdog late.)
		res, err := probe.Get(base + "/inline/p")
		if err != nil {
			t.Fatalf("a request behind one that holds the loop: %v", err)
		}
		res.Body.Close()
		release <- struct{}{}
		if got, want := <-heldDone, fmt.Sprint("200 fast /", i); got != want {
			t.Fatalf("held again: %s, want %s", got, want)
		}
		time.Sleep(time.Millisecond) // counted as the handler returns, maybe after the answer
	}
	warned := logs.FilterMessageSnippet("event loop").All()
	if len(warned) != 1 || warned[0].ContextMap()["api"] != "held" {
		t.Errorf("warnings: %v", warned)
	}
}

// A backend that sends its whole answer before it reads a large request
// body, through the event-loop front: the client's connection leaves the
// loop for the large body (h1), so the backend client writes the body
// from a goroutine while it reads the answer, and both arrive whole. On
// the loop the task wrote the body first and both sides waited for each
// other until the call's timeout (8 MiB each way; 1 MiB fit in the
// sockets' buffers).
func TestLoopAnswerBeforeLargeBody(t *testing.T) {
	const size = 8 << 20
	baddr := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		// All of the answer but its last byte, then the body, then that
		// byte: the answer ends only once the body is in (a gateway done
		// with the answer first would close the client's connection with
		// its upload unread).
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
		c.Write(make([]byte, size-1))
		io.Copy(io.Discard, req.Body)
		c.Write([]byte{0})
	})
	dir := t.TempDir()
	writeAPI(t, dir, "up", fmt.Sprintf(`type="http" path="/up" service-url="http://%s"`, baddr), `<policies><inbound>
  <set-header name="X-A" exists-action="override"><value>1</value></set-header>
</inbound></policies>`)
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log: zaptest.NewLogger(t), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	base := serveOnOneLoop(t, srv)
	client := &http.Client{Timeout: 20 * time.Second}
	res, err := client.Post(base+"/up/x", "application/octet-stream", bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || n != size || err != nil {
		t.Fatalf("%d, %d bytes, %v", res.StatusCode, n, err)
	}
}

// serveOnOneLoop serves srv on h1's event-loop front with one loop and
// returns its base URL.
func serveOnOneLoop(t *testing.T, srv *gateway.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: srv, EventLoop: true, Loops: 1}
	go func() { _ = front.Serve(ln) }()
	t.Cleanup(func() { _ = front.Close() })
	return "http://" + ln.Addr().String()
}
