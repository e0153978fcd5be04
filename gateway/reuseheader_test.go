package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/gateway/h1/h1test"
)

// TestReusedHeaderMapKeptValues: on the h1 and loop fronts a REST
// request's header map is filled with the connection's next request's
// fields (h1.ReuseHeader, serveHTTPAPI). What the policies keep of a
// request past its end still reads that request's values once the next
// request on the connection has filled the map: a value stored by
// cache-store-value (read back by the next request), and the headers of
// a send-one-way-request, copied from the client's (mode="copy") and set
// from a variable read from them, which is sent only after the next
// request ran: the eight one-way workers are first held by eight calls
// that the backend answers only at the end. Run on the three fronts.
func TestReusedHeaderMapKeptValues(t *testing.T) {
	release := make(chan struct{})
	var (
		mu     sync.Mutex
		held   int
		oneWay [][2]string // X-V and X-Copied of each one-way call
		got    = make(chan struct{}, 8)
	)
	var once sync.Once
	unhold := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unhold)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hold":
			mu.Lock()
			held++
			mu.Unlock()
			<-release
		case "/oneway":
			mu.Lock()
			oneWay = append(oneWay, [2]string{r.Header.Get("X-V"), r.Header.Get("X-Copied")})
			mu.Unlock()
			got <- struct{}{}
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(backend.Close)

	dir := t.TempDir()
	writeAPI(t, dir, "hold", `type="http" path="/hold" service-url="`+backend.URL+`/"`, `<policies><inbound>
  <send-one-way-request mode="new"><set-url>`+backend.URL+`/hold</set-url><set-method>GET</set-method></send-one-way-request>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeAPI(t, dir, "keep", `type="http" path="/keep" service-url="`+backend.URL+`/"`, `<policies><inbound>
  <set-variable name="v" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-V&quot;, &quot;&quot;))"/>
  <cache-store-value key="@(&quot;k-&quot; + context.Request.Headers.GetValueOrDefault(&quot;X-K&quot;, &quot;&quot;))" value="@((string)context.Variables[&quot;v&quot;])" duration="60"/>
  <send-one-way-request mode="copy"><set-url>`+backend.URL+`/oneway</set-url>
    <set-header name="X-Copied" exists-action="override"><value>@((string)context.Variables["v"])</value></set-header>
  </send-one-way-request>
  <cache-lookup-value key="@(&quot;k-&quot; + context.Request.Headers.GetValueOrDefault(&quot;X-Look&quot;, &quot;none&quot;))" variable-name="got" default-value="none"/>
</inbound><backend><forward-request/></backend><outbound>
  <set-header name="X-Cached" exists-action="override"><value>@((string)context.Variables["got"])</value></set-header>
</outbound><on-error/></policies>`)
	addr := serveBench(t, benchGateway(t, dir))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	get := func(path, fields string) *http.Response {
		t.Helper()
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: gw\r\n"+fields+"\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return resp
	}
	for range 8 { // every one-way worker held
		get("/hold/x", "")
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := held
		mu.Unlock()
		if n == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d one-way calls held, want 8", n)
		}
	}
	// Two requests on the connection, their one-way calls queued; the
	// second reads what the first cached, after its head filled the map
	// (the same length of value, the same names: the same slots).
	get("/keep/a", "X-V: first-value\r\nX-K: 1\r\n")
	if resp := get("/keep/b", "X-V: other-value\r\nX-K: 2\r\nX-Look: 1\r\n"); resp.Header.Get("X-Cached") != "first-value" {
		t.Errorf("the first request's cached value reads %q after the second request (front %s)", resp.Header.Get("X-Cached"), h1test.Front())
	}
	if resp := get("/keep/c", "X-V: third-value\r\nX-K: 3\r\nX-Look: 2\r\n"); resp.Header.Get("X-Cached") != "other-value" {
		t.Errorf("the second request's cached value reads %q after the third (front %s)", resp.Header.Get("X-Cached"), h1test.Front())
	}
	unhold()
	for range 3 {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("the one-way calls did not come")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := [][2]string{{"first-value", "first-value"}, {"other-value", "other-value"}, {"third-value", "third-value"}}
	slices.SortFunc(oneWay, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	slices.SortFunc(want, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	if !slices.Equal(oneWay, want) {
		t.Errorf("the one-way calls carried %q, want %q (front %s)", oneWay, want, h1test.Front())
	}
}
