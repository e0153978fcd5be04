//go:build linux

package gateway_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"tollgate/gateway"
	"tollgate/gateway/h1"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: srv, EventLoop: true, Loops: 1} // one loop: both requests share it
	go func() { _ = front.Serve(ln) }()
	t.Cleanup(func() { _ = front.Close() })
	base := "http://" + ln.Addr().String()
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
