package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/gateway"
	"tollgate/internal/testutil"
)

// wsAPI writes a websocket API "chat" at /chat pointing at backend.
func wsAPI(t testing.TB, backendURL, extraAttrs, policy string) string {
	dir := t.TempDir()
	writeAPI(t, dir, "chat", fmt.Sprintf(`type="websocket" path="/chat" service-url=%q %s`, backendURL, extraAttrs), policy)
	return dir
}

func TestWebSocketClosePropagation(t *testing.T) {
	tests := []struct {
		name       string
		run        func(t *testing.T, client *websocket.Conn)
		clientSees closeSeen
		backendSaw closeSeen
	}{
		{
			name: "client closes 4001",
			run: func(t *testing.T, c *websocket.Conn) {
				if err := c.Close(4001, "bye"); err != nil {
					t.Errorf("client close: %v", err)
				}
			},
			backendSaw: closeSeen{4001, "bye"},
		},
		{
			name: "backend closes 4002",
			run: func(t *testing.T, c *websocket.Conn) {
				mustWrite(t, c, "close 4002 later")
				if got := readUntilClose(t, c); got != (closeSeen{4002, "later"}) {
					t.Errorf("client saw %+v, want 4002 later", got)
				}
			},
			backendSaw: closeSeen{4002, "later"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := newWSBackend(t)
			g := startGateway(t, wsAPI(t, be.url, "", ""))
			c := dial(t, g.ws+"/chat", nil)
			mustWrite(t, c, "hello")
			if got := mustRead(t, c); got != "hello" {
				t.Fatalf("echo: %q", got)
			}
			tc.run(t, c)
			if got := be.nextClose(t); got != tc.backendSaw {
				t.Errorf("backend saw %+v, want %+v", got, tc.backendSaw)
			}
		})
	}
}

func TestWebSocketSubprotocols(t *testing.T) {
	tests := []struct {
		name    string
		backend []string
		want    string
	}{
		{"backend picks b", []string{"b"}, "b"},
		{"backend picks none", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := newWSBackend(t, tc.backend...)
			g := startGateway(t, wsAPI(t, be.url, "", ""))
			c := dial(t, g.ws+"/chat", &websocket.DialOptions{Subprotocols: []string{"a", "b"}})
			if got := c.Subprotocol(); got != tc.want {
				t.Errorf("client got subprotocol %q, want %q", got, tc.want)
			}
			offered := be.lastRequest().Header.Values("Sec-WebSocket-Protocol")
			if got := strings.Join(offered, ","); strings.ReplaceAll(got, " ", "") != "a,b" {
				t.Errorf("the backend was offered %q, want a, b", got)
			}
			mustWrite(t, c, "x")
			if got := mustRead(t, c); got != "x" {
				t.Errorf("echo %q", got)
			}
		})
	}
}

// TestWebSocketSubprotocolsPolicyHeaders: the backend is offered the
// subprotocols the client offered, whatever the policies do to the
// Sec-WebSocket-Protocol header they see (a client that offered none
// shares its header map with the policies: beginHandshake), and the other
// headers the policies set and read reach the backend.
func TestWebSocketSubprotocolsPolicyHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offer  []string
		action string // set-header's exists-action on Sec-WebSocket-Protocol
		value  string
		want   string // what the backend was offered
	}{
		{"client offers none, policy sets one", nil, "override", "x", ""},
		{"client offers none, policy appends one", nil, "append", "x", ""},
		{"client offers a, b, policy deletes them", []string{"a", "b"}, "delete", "", "a,b"},
		{"client offers a, b, policy overrides them", []string{"a", "b"}, "override", "z", "a,b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newWSBackend(t, "x", "z", "a")
			val := ""
			if tc.value != "" {
				val = "<value>" + tc.value + "</value>"
			}
			policy := `<policies><inbound>
  <set-header name="Sec-WebSocket-Protocol" exists-action="` + tc.action + `">` + val + `</set-header>
  <set-header name="X-Seen" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("Sec-WebSocket-Protocol","none") + "/" + context.Request.Headers.GetValueOrDefault("X-Tenant","none"))</value></set-header>
</inbound><backend><forward-request/></backend></policies>`
			g := startGateway(t, wsAPI(t, be.url, "", policy))
			c := dial(t, g.ws+"/chat", &websocket.DialOptions{Subprotocols: tc.offer, HTTPHeader: http.Header{"X-Tenant": {"acme"}}})
			wantSP := ""
			if tc.want != "" {
				wantSP = "a"
			}
			if got := c.Subprotocol(); got != wantSP {
				t.Errorf("client got subprotocol %q, want %q", got, wantSP)
			}
			req := be.lastRequest()
			if got := strings.ReplaceAll(strings.Join(req.Header.Values("Sec-WebSocket-Protocol"), ","), " ", ""); got != tc.want {
				t.Errorf("the backend was offered %q, want %q", got, tc.want)
			}
			seen := "none/acme"
			switch {
			case tc.action == "override":
				seen = tc.value + "/acme"
			case tc.action == "append" && len(tc.offer) == 0:
				seen = tc.value + "/acme"
			}
			if got := req.Header.Get("X-Seen"); got != seen {
				t.Errorf("the policy saw %q, want %q", got, seen)
			}
			if got := req.Header.Get("X-Tenant"); got != "acme" {
				t.Errorf("X-Tenant %q, want acme", got)
			}
			mustWrite(t, c, "x")
			if got := mustRead(t, c); got != "x" {
				t.Errorf("echo %q", got)
			}
		})
	}
}

func TestWebSocketBackendFailures(t *testing.T) {
	refusing := func(t *testing.T) string {
		ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "no token", http.StatusUnauthorized)
		})
		return "ws" + strings.TrimPrefix(ts.URL, "http")
	}
	tests := []struct {
		name    string
		backend func(t *testing.T) string
		status  int
		json    bool
		check   func(t *testing.T, resp *http.Response, body string)
	}{
		{name: "backend down", backend: func(t *testing.T) string { return "ws://" + closedPort(t) + "/" }, status: 502, json: true},
		{name: "handshake hangs", backend: func(t *testing.T) string { return "ws://" + silentListener(t) + "/" }, status: 504, json: true},
		// A TCP connect to a multicast address fails at once (ENETUNREACH).
		{name: "backend unreachable", backend: func(t *testing.T) string { return "ws://224.0.0.1:80/" }, status: 502, json: true},
		// The connect gets no answer: the direct dial waits on Go's poller.
		{name: "connect hangs", backend: func(t *testing.T) string { return "ws://" + fullBacklog(t) + "/" }, status: 504, json: true},
		{name: "backend hangs up mid-handshake", backend: func(t *testing.T) string { return "ws://" + hangUpListener(t) + "/" }, status: 502, json: true},
		{name: "backend refuses with 401", backend: refusing, status: 401, check: func(t *testing.T, resp *http.Response, body string) {
			if resp.Header.Get("WWW-Authenticate") != "Bearer" || !strings.Contains(body, "no token") {
				t.Errorf("the backend's answer was not passed on: %v %q", resp.Header, body)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, wsAPI(t, tc.backend(t), `handshake-timeout="1"`, ""))
			start := time.Now()
			resp, body := upgradeRequest(t, g.url+"/chat", nil)
			took := time.Since(start)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, body)
			}
			if resp.Header.Get("Upgrade") != "" || resp.Header.Get("Sec-WebSocket-Accept") != "" {
				t.Errorf("the client was upgraded: %v", resp.Header)
			}
			if took > 10*time.Second {
				t.Errorf("the answer took %v, want about the 1 s handshake-timeout", took)
			}
			if tc.json {
				if code, msg := jsonError(t, body); code != tc.status || msg == "" {
					t.Errorf("body %q", body)
				}
			}
			if tc.check != nil {
				tc.check(t, resp, body)
			}
			// websocket.Dial agrees: no connection.
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if c, _, err := websocket.Dial(ctx, g.ws+"/chat", nil); err == nil {
				c.CloseNow()
				t.Error("websocket.Dial succeeded")
			}
		})
	}
}

// fullBacklog listens on a loopback port with a backlog of 0 and fills
// its accept queue without accepting: further connects get no answer.
func fullBacklog(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Control(func(fd uintptr) { _ = syscall.Listen(int(fd), 0) })
	addr := ln.Addr().String()
	for range 64 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Fatal("the backlog never filled up")
	return ""
}

// hangUpListener accepts, reads the upgrade request's first bytes and
// closes the connection without an answer.
func hangUpListener(t *testing.T) string {
	t.Helper()
	return testutil.ServeTCP(t, func(c net.Conn) {
		var b [16]byte
		_, _ = c.Read(b[:])
		_ = c.Close()
	})
}

func TestWebSocketMaxMessageSize(t *testing.T) {
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, `max-message-size="1024"`, ""))
	c := dial(t, g.ws+"/chat", nil)
	exact := strings.Repeat("x", 1024)
	mustWrite(t, c, exact)
	if got := mustRead(t, c); got != exact {
		t.Fatalf("a message of exactly max-message-size came back as %d bytes", len(got))
	}
	mustWrite(t, c, exact+"y")
	if got := readUntilClose(t, c); got.code != websocket.StatusMessageTooBig {
		t.Errorf("after a message one byte over the limit the client saw %+v, want 1009", got)
	}
	if got := be.nextClose(t); got.code != websocket.StatusGoingAway {
		t.Errorf("the backend saw %+v, want 1001", got)
	}
}

// TestWebSocketManySessions runs 200 sessions at once, each sending 1000
// sequenced messages (pipelined) through the gateway to an echo backend,
// and checks that every session gets exactly its own messages back, in
// order.
func TestWebSocketManySessions(t *testing.T) {
	conns, msgs := 200, 1000
	if testing.Short() {
		conns, msgs = 20, 200
	}
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, "", ""))
	// Connect everyone first, then exchange: the figure measures the pump,
	// not 200 handshakes competing with 200 busy sessions for 2 cores.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	clients := make([]*websocket.Conn, conns)
	for i := range clients {
		clients[i] = dial(t, g.ws+"/chat", nil)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i, c := range clients {
		wg.Add(1)
		go func(id int, c *websocket.Conn) {
			defer wg.Done()
			errs <- exchange(ctx, c, id, msgs)
		}(i, c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d sessions x %d messages each way: %v", conns, msgs, time.Since(start))
	for _, c := range clients {
		go c.Close(websocket.StatusNormalClosure, "")
	}
	for i := 0; i < conns; i++ {
		if got := be.nextClose(t); got.code != websocket.StatusNormalClosure {
			t.Errorf("a backend connection ended with %+v", got)
		}
	}
}

// exchange sends msgs sequenced messages on c, pipelined with at most
// window in flight, and checks that the echoes come back complete and in
// order.
func exchange(ctx context.Context, c *websocket.Conn, id, msgs int) error {
	const window = 32
	credit := make(chan struct{}, window)
	for i := 0; i < window; i++ {
		credit <- struct{}{}
	}
	werr := make(chan error, 1)
	go func() {
		for i := 0; i < msgs; i++ {
			select {
			case <-credit:
			case <-ctx.Done():
				werr <- ctx.Err()
				return
			}
			if err := c.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(id)+":"+strconv.Itoa(i))); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	for i := 0; i < msgs; i++ {
		_, data, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("session %d: read %d: %w", id, i, err)
		}
		if want := strconv.Itoa(id) + ":" + strconv.Itoa(i); string(data) != want {
			return fmt.Errorf("session %d: got %q, want %q (lost, duplicated or reordered)", id, data, want)
		}
		credit <- struct{}{}
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("session %d: write: %w", id, err)
	}
	return nil
}

func TestWebSocketInboundReturnResponse(t *testing.T) {
	be := newWSBackend(t)
	policy := `<policies><inbound>
  <choose>
    <when condition="@(!context.Request.Headers.ContainsKey("X-Token"))">
      <return-response>
        <set-status code="401" reason="Unauthorized"/>
        <set-body>token needed</set-body>
      </return-response>
    </when>
  </choose>
</inbound></policies>`
	g := startGateway(t, wsAPI(t, be.url, "", policy))
	resp, body := upgradeRequest(t, g.url+"/chat", nil)
	if resp.StatusCode != 401 || body != "token needed" {
		t.Errorf("got %d %q, want 401 token needed", resp.StatusCode, body)
	}
	if n := be.handshakes.Load(); n != 0 {
		t.Errorf("the backend saw %d connections, want none", n)
	}
	c := dial(t, g.ws+"/chat", &websocket.DialOptions{HTTPHeader: http.Header{"X-Token": {"t"}}})
	mustWrite(t, c, "ok")
	if got := mustRead(t, c); got != "ok" {
		t.Errorf("echo %q", got)
	}
}

func TestWebSocketSendMessageFirst(t *testing.T) {
	be := newWSBackend(t)
	policy := `<policies><inbound>
  <send-message to="backend">to-backend</send-message>
  <send-message to="client">to-client</send-message>
</inbound></policies>`
	g := startGateway(t, wsAPI(t, be.url, "", policy))
	for i := 0; i < 3; i++ {
		c := dial(t, g.ws+"/chat", nil)
		mustWrite(t, c, "from-client")
		select {
		case first := <-be.first:
			if first != "to-backend" {
				t.Errorf("the backend's first message was %q, want to-backend", first)
			}
		case <-time.After(testTimeout):
			t.Fatal("the backend got nothing")
		}
		// The client gets the gateway's message, then the backend's echo of
		// its own, then the echo of the client's frame.
		for _, want := range []string{"to-client", "to-backend", "from-client"} {
			if got := mustRead(t, c); got != want {
				t.Errorf("client read %q, want %q", got, want)
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
}

func TestRouting(t *testing.T) {
	be := newWSBackend(t)
	api := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "api "+r.URL.Path) })
	v2 := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "v2 "+r.URL.Path) })
	dir := t.TempDir()
	writeAPI(t, dir, "chat", fmt.Sprintf(`type="websocket" path="/chat" service-url=%q`, be.url), "")
	writeAPI(t, dir, "api", fmt.Sprintf(`type="http" path="/api" service-url=%q`, api.URL), "")
	writeAPI(t, dir, "v2", fmt.Sprintf(`type="http" path="/api/v2" service-url=%q`, v2.URL), "")
	g := startGateway(t, dir)

	tests := []struct {
		path   string
		status int
		body   string // substring
	}{
		{"/api/x", 200, "api /x"},
		{"/api/v2/x", 200, "v2 /x"},
		{"/api/v2", 200, "v2 /"},
		{"/api/v22", 200, "api /v22"},
		{"/chatty", 404, `"statusCode":404`},
		{"/nothing/here", 404, `"statusCode":404`},
		{"/chat", 426, `"statusCode":426`},
		{"/chat/room", 426, `"statusCode":426`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, g.url+tc.path, nil)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, resp.StatusCode, body, tc.status, tc.body)
			}
			if tc.status >= 400 && resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if tc.status == 426 && resp.Header.Get("Upgrade") != "websocket" {
				t.Errorf("426 without Upgrade: websocket")
			}
		})
	}
	c := dial(t, g.ws+"/chat/room", nil)
	mustWrite(t, c, "hi")
	if got := mustRead(t, c); got != "hi" {
		t.Errorf("echo %q", got)
	}
}

func TestWebSocketOrigin(t *testing.T) {
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, `allowed-origins="app.example.com, *.trusted.example"`, ""))
	host := strings.TrimPrefix(g.url, "http://")
	tests := []struct {
		origin string
		status int
	}{
		{"", 101},
		{"http://" + host, 101},
		{"http://app.example.com", 101},
		{"https://a.trusted.example", 101},
		{"http://evil.example", 403},
		{"http://app.example.com.evil.example", 403},
		{"null", 403},
	}
	for _, tc := range tests {
		t.Run(tc.origin, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			resp, _ := upgradeRequest(t, g.url+"/chat", h)
			if resp.StatusCode != tc.status {
				t.Errorf("Origin %q: %d, want %d", tc.origin, resp.StatusCode, tc.status)
			}
			if resp.StatusCode == 101 {
				resp.Body.Close()
			}
		})
	}
}

func TestWebSocketMaxConnections(t *testing.T) {
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, `max-connections="2"`, ""))
	c1 := dial(t, g.ws+"/chat", nil)
	c2 := dial(t, g.ws+"/chat", nil)
	for _, c := range []*websocket.Conn{c1, c2} {
		mustWrite(t, c, "x")
		mustRead(t, c)
	}
	resp, body := upgradeRequest(t, g.url+"/chat", nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third connection: %d %v %q, want 503 with Retry-After", resp.StatusCode, resp.Header, body)
	}
	c1.Close(websocket.StatusNormalClosure, "")
	be.nextClose(t)
	// The slot frees once the session has ended.
	waitFor(t, "a free slot", func() bool {
		resp, _ := upgradeRequest(t, g.url+"/chat", nil)
		if resp.StatusCode == 101 {
			resp.Body.Close()
			return true
		}
		return false
	})
}

func TestAdminEndpoints(t *testing.T) {
	be := newWSBackend(t)
	dir := t.TempDir()
	writeAPI(t, dir, "chat", fmt.Sprintf(`type="websocket" path="/chat" service-url=%q`, be.url), "")
	writeAPI(t, dir, "broken", fmt.Sprintf(`type="websocket" path="/broken" service-url=%q`, be.url),
		`<policies><inbound><set-variable name="v" value="@(context.Variables["missing"].Field)"/></inbound></policies>`)
	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(rest.Close)
	writeAPI(t, dir, "rest", fmt.Sprintf(`type="http" path="/rest" service-url=%q`, rest.URL), "")
	writeAPI(t, dir, "teapot", fmt.Sprintf(`type="http" path="/teapot" service-url=%q`, rest.URL),
		`<policies><inbound><return-response><set-status code="418" reason="Teapot"/></return-response></inbound></policies>`)
	g := startGateway(t, dir)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, body := get(t, g.adminURL()+p, nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d %q", p, resp.StatusCode, body)
		}
	}

	c := dial(t, g.ws+"/chat", nil)
	mustWrite(t, c, "12345")
	mustRead(t, c)
	// A relayed message is counted right after its write, so the echo can
	// reach the client a moment before both counters are up to date.
	waitFor(t, "the message counters", func() bool {
		m := g.metricsText(t)
		return strings.Contains(m, `tollgate_websocket_messages_total{api="chat",direction="client_to_backend"} 1`) &&
			strings.Contains(m, `tollgate_websocket_messages_total{api="chat",direction="backend_to_client"} 1`)
	})
	m := g.metricsText(t)
	for _, want := range []string{
		`tollgate_websocket_connections_active{api="chat"} 1`,
		`tollgate_websocket_handshakes_total{api="chat",outcome="upgraded"} 1`,
		`tollgate_websocket_messages_total{api="chat",direction="client_to_backend"} 1`,
		`tollgate_websocket_messages_total{api="chat",direction="backend_to_client"} 1`,
		`tollgate_websocket_bytes_total{api="chat",direction="client_to_backend"} 5`,
		`tollgate_websocket_bytes_total{api="chat",direction="backend_to_client"} 5`,
		`tollgate_config_reloads_total{result="success"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	be.nextClose(t)
	waitFor(t, "the session to end", func() bool {
		return strings.Contains(g.metricsText(t), `tollgate_websocket_connections_active{api="chat"} 0`)
	})
	if m := g.metricsText(t); !strings.Contains(m, `tollgate_websocket_closes_total{api="chat",closed_by="client",code="1000"} 1`) {
		t.Errorf("/metrics lacks the close:\n%s", grepLines(m, "closes_total"))
	}

	resp, _ := upgradeRequest(t, g.url+"/broken", nil)
	if resp.StatusCode != 500 {
		t.Errorf("a failing policy answered %d, want 500", resp.StatusCode)
	}
	if m := g.metricsText(t); !strings.Contains(m, `tollgate_policy_errors_total{api="broken",reason="ExpressionValueEvaluationFailure"} 1`) {
		t.Errorf("/metrics lacks the policy error:\n%s", grepLines(m, "policy_errors"))
	}

	if err := g.srv.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, g.adminURL()+"/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("/readyz after Shutdown: %d, want 503", resp.StatusCode)
	}
	if resp, _ := get(t, g.adminURL()+"/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("/healthz after Shutdown: %d, want 200", resp.StatusCode)
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSessionLogs: exactly one "handshake" and one "session closed" line
// per session, with the fields operators filter on.
func TestSessionLogs(t *testing.T) {
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, "", ""))
	const n = 3
	for i := 0; i < n; i++ {
		c := dial(t, g.ws+"/chat", nil)
		mustWrite(t, c, "hello")
		mustRead(t, c)
		c.Close(4000+websocket.StatusCode(i), "done")
		be.nextClose(t)
	}
	waitFor(t, "the session logs", func() bool { return len(g.logsNamed("session closed")) >= n })
	hs, sc := g.logsNamed("handshake"), g.logsNamed("session closed")
	if len(hs) != n || len(sc) != n {
		t.Fatalf("%d handshake and %d session closed lines, want %d each", len(hs), len(sc), n)
	}
	ids := map[any]int{}
	for _, e := range hs {
		m := e.ContextMap()
		if m["api"] != "chat" || m["outcome"] != "upgraded" || m["client_ip"] != "127.0.0.1" || m["backend"] == "" || m["request_id"] == "" {
			t.Errorf("handshake line %v", m)
		}
		ids[m["request_id"]]++
	}
	codes := map[any]bool{}
	for _, e := range sc {
		m := e.ContextMap()
		for _, k := range []string{"api", "client_ip", "backend", "close_code", "msgs_in", "msgs_out", "bytes_in", "bytes_out", "closed_by", "duration"} {
			if _, ok := m[k]; !ok {
				t.Errorf("session closed lacks %s: %v", k, m)
			}
		}
		if m["msgs_in"] != int64(1) || m["msgs_out"] != int64(1) || m["bytes_in"] != int64(5) || m["bytes_out"] != int64(5) {
			t.Errorf("session closed counts %v", m)
		}
		if m["closed_by"] != "client" {
			t.Errorf("closed_by %v", m["closed_by"])
		}
		codes[m["close_code"]] = true
		ids[m["request_id"]]++
	}
	if len(codes) != n {
		t.Errorf("close codes %v", codes)
	}
	for id, k := range ids {
		if k != 2 {
			t.Errorf("request_id %v appears on %d lines, want 2 (one of each)", id, k)
		}
	}
}

// TestNoSecretsInLogs drives every path that logs (success, backend down,
// hanging, refusing, failing policies, REST) with secrets in the backend
// URL, the request headers and a secret named value, and checks that no
// log line anywhere carries one. (startGateway's cleanup does the check.)
func TestNoSecretsInLogs(t *testing.T) {
	up := newWSBackend(t)
	refusing := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusUnauthorized)
	})
	rest := newRESTBackend(t, nil)
	backends := map[string]string{
		"up":       strings.TrimPrefix(up.url, "ws://"),
		"down":     closedPort(t),
		"hanging":  silentListener(t),
		"refusing": strings.TrimPrefix(refusing.URL, "http://"),
	}
	dir := t.TempDir()
	writeFile(t, dir, "named-values.xml", `<named-values>
  <named-value name="api-key" secret="true" env="API_KEY"/>
</named-values>`)
	policy := func(scheme, host string) string {
		return `<policies><inbound>
  <set-header name="X-Api-Key" exists-action="override"><value>{{api-key}}</value></set-header>
  <set-backend-service base-url="` + scheme + `://` + host + `/path?access_token=SECRET1&amp;sig=SECRET2&amp;k={{api-key}}"/>
  <choose>
    <when condition="@(context.Request.Headers.GetValueOrDefault("X-Fail","") == "yes")">
      <set-variable name="n" value="@(int(context.Request.Headers.GetValueOrDefault("Authorization","")))"/>
    </when>
  </choose>
</inbound></policies>`
	}
	for name, host := range backends {
		writeAPI(t, dir, "ws-"+name, `type="websocket" path="/ws-`+name+`" service-url="ws://`+host+`/?x-key={{api-key}}" handshake-timeout="1"`, policy("ws", host))
	}
	writeAPI(t, dir, "rest-up", `type="http" path="/rest-up" service-url="`+rest.url+`"`, policy("http", strings.TrimPrefix(rest.url, "http://")))
	writeAPI(t, dir, "rest-down", `type="http" path="/rest-down" service-url="http://`+backends["down"]+`"`, policy("http", backends["down"]))
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Getenv = func(k string) string {
			if k == "API_KEY" {
				return "SECRET5"
			}
			return ""
		}
	})
	secretHeaders := http.Header{"Authorization": {"Bearer SECRET3"}, "Cookie": {"session=SECRET4"}}
	for name := range backends {
		for _, fail := range []string{"no", "yes"} {
			h := secretHeaders.Clone()
			h.Set("X-Fail", fail)
			resp, body := upgradeRequest(t, g.url+"/ws-"+name+"/room?token=SECRET6", h)
			if resp.StatusCode == 101 {
				resp.Body.Close()
			}
			if strings.Contains(body, "SECRET") {
				t.Errorf("%s: the client was told a secret: %q", name, body)
			}
		}
	}
	// A session that runs and closes.
	c := dial(t, g.ws+"/ws-up/room?token=SECRET6", &websocket.DialOptions{HTTPHeader: secretHeaders})
	mustWrite(t, c, "x")
	mustRead(t, c)
	c.Close(websocket.StatusNormalClosure, "")
	up.nextClose(t)
	// What the backend received does carry the secrets (it must).
	if r := up.lastRequest(); r.Header.Get("X-Api-Key") != "SECRET5" || !strings.Contains(r.URL.RawQuery, "access_token=SECRET1") {
		t.Errorf("the backend did not get the credentials: %v %q", r.Header, r.URL.RawQuery)
	}
	for _, api := range []string{"/rest-up/x?token=SECRET6", "/rest-down/x?token=SECRET6"} {
		for _, fail := range []string{"no", "yes"} {
			h := secretHeaders.Clone()
			h.Set("X-Fail", fail)
			_, body := get(t, g.url+api, h)
			if strings.Contains(body, "SECRET") {
				t.Errorf("%s: the client was told a secret: %q", api, body)
			}
		}
	}
	waitFor(t, "the session logs", func() bool { return len(g.logsNamed("session closed")) == 2 })
	if len(g.logsNamed("policy failed")) == 0 || len(g.logsNamed("handshake")) == 0 {
		t.Error("the failing paths were not exercised")
	}
}

// Handshakes in flight hold a slot: concurrent upgrades against a slow
// backend never push an API past max-connections, and failed handshakes
// give their slot back.
//
// The backend holds every handshake until the test has counted the seven
// 503s, so the three in flight keep their slots however late the machine
// runs a client: the outcome does not depend on the clients' requests
// reaching the gateway within some time of each other.
func TestWebSocketMaxConnectionsConcurrent(t *testing.T) {
	const n, slots = 10, 3
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release: // every backend handshake takes a while
		case <-r.Context().Done():
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, _, _ = c.Read(context.Background())
	}))
	defer slow.Close()
	defer open() // before slow.Close: a failed test leaves no handler waiting
	g := startGateway(t, wsAPI(t, "ws"+strings.TrimPrefix(slow.URL, "http"), `max-connections="3" handshake-timeout="60"`, ""))

	// The clients report to the test's goroutine (a status, or -1 for an
	// error) and never call t themselves: they may outlive a failed test.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	statuses := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/chat", nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close() // a 101's connection: its session ends, the slot comes back
			statuses <- resp.StatusCode
		}()
	}
	upgraded, limited, reached := 0, 0, 0
	for upgraded+limited < n {
		select {
		case <-entered:
			if reached++; reached > slots {
				t.Fatalf("the backend got handshake %d while %d were in flight (max-connections %d)", reached, reached-1, slots)
			}
		case st := <-statuses:
			switch st {
			case http.StatusSwitchingProtocols:
				upgraded++
			case http.StatusServiceUnavailable:
				limited++
			default:
				t.Fatalf("a client got status %d (-1: its request failed)", st)
			}
			if limited == n-slots {
				open() // the slots are all held: let the backend answer
			}
		case <-ctx.Done():
			t.Fatalf("after %v: upgraded %d, limited %d, %d handshakes at the backend", testTimeout, upgraded, limited, reached)
		}
	}
	if upgraded != slots || limited != n-slots {
		t.Fatalf("upgraded %d, limited %d; want exactly %d upgraded and %d limited", upgraded, limited, slots, n-slots)
	}
	// Every slot comes back once the sessions end.
	waitFor(t, "all slots free", func() bool {
		var ok int
		var rs []*http.Response
		for i := 0; i < slots; i++ {
			resp, _ := upgradeRequest(t, g.url+"/chat", nil)
			if resp.StatusCode == http.StatusSwitchingProtocols {
				ok++
				rs = append(rs, resp)
			}
		}
		for _, r := range rs {
			r.Body.Close()
		}
		return ok == slots
	})
}

// max-messages-per-second: a client over the rate is closed with 1008 and
// the backend gets 1001; a client under it is never cut off.
func TestWebSocketMessageRateLimit(t *testing.T) {
	t.Run("burst over the limit", func(t *testing.T) {
		be := newWSBackend(t)
		// One token every 2 s: ten writes cannot earn a fourth token however
		// slowly a loaded machine runs them.
		g := startGateway(t, wsAPI(t, be.url, `max-messages-per-second="0.5" message-burst="3"`, ""))
		c := dial(t, g.ws+"/chat", nil)
		for i := 0; i < 10; i++ { // the 4th has no token
			if err := c.Write(testCtx(t), websocket.MessageText, []byte(strconv.Itoa(i))); err != nil {
				break // the gateway may already have closed the connection
			}
		}
		got := readUntilClose(t, c)
		if got.code != websocket.StatusPolicyViolation || got.reason != "message rate exceeded" {
			t.Fatalf("client close = %+v, want 1008 message rate exceeded", got)
		}
		if bc := be.nextClose(t); bc.code != websocket.StatusGoingAway {
			t.Fatalf("backend close = %+v, want 1001", bc)
		}
	})
	t.Run("under the limit", func(t *testing.T) {
		be := newWSBackend(t)
		g := startGateway(t, wsAPI(t, be.url, `max-messages-per-second="20" message-burst="1"`, ""))
		c := dial(t, g.ws+"/chat", nil)
		for i := 0; i < 8; i++ {
			time.Sleep(100 * time.Millisecond) // 10/s, half the limit
			mustWrite(t, c, strconv.Itoa(i))
			if got := mustRead(t, c); got != strconv.Itoa(i) {
				t.Fatalf("echo %d = %q", i, got)
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	})
}

// A malformed upgrade gets 400 before any policy runs or the backend is dialed.
func TestWebSocketBadUpgradeNeverDialsBackend(t *testing.T) {
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, "", ""))
	for _, tc := range []struct {
		name string
		h    http.Header
	}{
		{"no key", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}}},
		{"bad version", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"8"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}},
		{"short key", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"c2hvcnQ="}}},
	} {
		req, _ := http.NewRequest(http.MethodGet, g.url+"/chat", nil)
		for k, v := range tc.h {
			req.Header[k] = v
		}
		resp, body := do(t, req)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Bad WebSocket upgrade") {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
	}
	if r := be.lastRequest(); r != nil {
		t.Fatalf("the backend was dialed for a malformed upgrade: %v", r.URL)
	}
}

// TestWebSocketHandshakeTimeoutUnderBareForwardRequest: a <forward-request/>
// without a timeout (as a global policy often has) leaves the API's
// handshake-timeout: a silent backend answers 504 after it, not after
// forward-request's 300 s default. With a timeout attribute, that one
// rules.
func TestWebSocketHandshakeTimeoutUnderBareForwardRequest(t *testing.T) {
	for _, fr := range []string{`<forward-request/>`, `<forward-request timeout="1"/>`} {
		t.Run(fr, func(t *testing.T) {
			attrs := `handshake-timeout="1"`
			if strings.Contains(fr, "timeout") {
				attrs = `handshake-timeout="300"`
			}
			g := startGateway(t, wsAPI(t, "ws://"+silentListener(t)+"/", attrs,
				`<policies><inbound/><backend>`+fr+`</backend><outbound/><on-error/></policies>`))
			resp, body := upgradeRequest(t, g.url+"/chat", nil)
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("status %d %q, want 504", resp.StatusCode, body)
			}
		})
	}
}

// TestWebSocketEndOfHandshakeResponse: the end-of-handshake functions
// (rate-limit-by-key's increment-condition here) read context.Response as
// the 101: its header map is empty (Count is 0, GetValueOrDefault gives
// the default, ContainsKey is false) and not null. (A nil map, which
// would save the 101 its map's allocation, reads as null in an
// expression: docs/websocket-data-path.md, "Handshake cost".) A
// handshake the condition counts uses the one call the key allows, so
// the next is refused.
func TestWebSocketEndOfHandshakeResponse(t *testing.T) {
	for _, tc := range []struct {
		cond       string
		wantSecond int
	}{
		{`context.Response.StatusCode == 101 &amp;&amp; context.Response.Headers.Count == 0`, 429},
		{`context.Response.Headers.ContainsKey("Upgrade")`, 101},
		{`context.Response.Headers.Any()`, 101},
		{`context.Response.Headers != null`, 429},
		{`context.Response.Headers.GetValueOrDefault("Upgrade", "none") == "none"`, 429},
	} {
		t.Run(tc.cond, func(t *testing.T) {
			be := newWSBackend(t)
			policy := `<policies><inbound>
  <rate-limit-by-key calls="1" renewal-period="60" counter-key="k" increment-condition="@(` + tc.cond + `)"/>
</inbound><backend><forward-request/></backend></policies>`
			g := startGateway(t, wsAPI(t, be.url, "", policy))
			c := dial(t, g.ws+"/chat", nil)
			mustWrite(t, c, "x")
			mustRead(t, c)
			c.Close(websocket.StatusNormalClosure, "")
			be.nextClose(t)
			resp, _ := upgradeRequest(t, g.url+"/chat", nil)
			if resp.StatusCode == 101 {
				resp.Body.Close()
			}
			if resp.StatusCode != tc.wantSecond {
				t.Errorf("second handshake: %d, want %d", resp.StatusCode, tc.wantSecond)
			}
		})
	}
}
