package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
)

// TestMCPHostile: what the MCP endpoints do with requests a client should
// not send.
func TestMCPHostile(t *testing.T) {
	dir, _ := mcpFolder(t, subKeyPolicy)
	writeFile(t, dir, "apis/cors-mcp/apiInformation.json", `{"properties": {"type": "mcp", "path": "cors-mcp", "subscriptionRequired": false,
  "mcpTools": [{"name": "get-weather", "operationId": "/apis/weather-api/operations/get-weather"}]}}`)
	writeFile(t, dir, "apis/cors-mcp/policy.xml", `<policies><inbound><base/>
  <cors><allowed-origins><origin>https://app.example.com</origin></allowed-origins><allowed-methods><method>POST</method></allowed-methods><allowed-headers><header>*</header></allowed-headers></cors>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	host := strings.TrimPrefix(g.url, "http://")
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	for _, tc := range []struct {
		name, path, body string
		header           http.Header
		want             int
		contains         string
	}{
		{"plain", "/weather-mcp/mcp", toolsList, nil, 200, "get-weather"},
		{"own origin", "/weather-mcp/mcp", toolsList, http.Header{"Origin": {"http://" + host}}, 200, "get-weather"},
		{"other origin", "/weather-mcp/mcp", toolsList, http.Header{"Origin": {"https://evil.example"}}, 403, "may not call"},
		{"rebound origin", "/weather-mcp/mcp", toolsList, http.Header{"Origin": {"http://evil.example:1"}, "Host": {"evil.example:1"}}, 403, "may not call"},
		{"cors policy", "/cors-mcp/mcp", toolsList, http.Header{"Origin": {"https://app.example.com"}}, 200, "get-weather"},
		{"malformed", "/weather-mcp/mcp", `{"jsonrpc": "2.0", "id": 1, "method": `, nil, 400, ""},
		{"not json-rpc", "/weather-mcp/mcp", `[1, 2, 3]`, nil, 400, ""},
		{"deep", "/weather-mcp/mcp", deep, nil, 400, "nested deeper"},
		{"unknown tool", "/weather-mcp/mcp", `{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nope", "arguments": {}}}`, nil, 200, "nope"},
		{"unknown session", "/weather-mcp/messages?sessionid=nope", toolsList, nil, 404, ""},
		{"no session", "/weather-mcp/messages", toolsList, nil, 400, ""},
		{"other endpoint", "/weather-mcp/tools", toolsList, nil, 404, "its endpoints are"},
		{"no prompts", "/weather-mcp/mcp", `{"jsonrpc": "2.0", "id": 1, "method": "prompts/list"}`, nil, 200, `"prompts":[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header.Clone()
			var hostHdr string
			if h != nil {
				hostHdr = h.Get("Host")
				h.Del("Host")
			}
			req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, vv := range h {
				req.Header[k] = vv
			}
			if hostHdr != "" {
				req.Host = hostHdr
			}
			resp, body := do(t, req)
			if resp.StatusCode != tc.want || !strings.Contains(body, tc.contains) {
				t.Errorf("%d %.300s, want %d with %q", resp.StatusCode, body, tc.want, tc.contains)
			}
		})
	}
}

// TestMCPRawSockets: an SSE stream over a raw socket streams its endpoint
// event at once; a client that goes away frees its stream (the cap of one
// admits the next); a second stream over the cap gets 503; a chunked POST
// of garbage gets 400.
func TestMCPRawSockets(t *testing.T) {
	n, k := gateway.MCPMaxSSEStreams, gateway.MCPKeepAlive
	t.Cleanup(func() { gateway.MCPMaxSSEStreams, gateway.MCPKeepAlive = n, k }) // after the gateway's shutdown (cleanups run last first)
	gateway.MCPMaxSSEStreams, gateway.MCPKeepAlive = 1, 50*time.Millisecond
	dir, _ := mcpFolder(t, "")
	g := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	addr := strings.TrimPrefix(g.url, "http://")
	open := func() (net.Conn, *bufio.Reader, string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		fmt.Fprintf(c, "GET /weather-mcp/sse HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr)
		br := bufio.NewReader(c)
		status, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return c, br, status
	}
	c1, br, status := open()
	if !strings.Contains(status, " 200 ") {
		t.Fatalf("status %q", status)
	}
	var got strings.Builder
	for !strings.Contains(got.String(), "sessionid=") {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%v after %q", err, got.String())
		}
		got.WriteString(line)
	}
	if !strings.Contains(got.String(), "data: /weather-mcp/messages?sessionid=") {
		t.Errorf("endpoint event: %q", got.String())
	}
	c2, _, status := open()
	if !strings.Contains(status, " 503 ") {
		t.Errorf("over the cap: %q", status)
	}
	c2.Close()
	c1.Close()
	waitFor(t, "the stream to be freed", func() bool {
		c, _, status := open()
		c.Close()
		return strings.Contains(status, " 200 ")
	})

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	fmt.Fprintf(c, "POST /weather-mcp/mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\n", addr)
	status, err = bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(status, " 400 ") {
		t.Errorf("garbage: %q %v", status, err)
	}
}

// TestMCPHugeBody: a body over max-body-size is refused with 413 before it
// is read (raw socket: the client may not finish sending it).
func TestMCPHugeBody(t *testing.T) {
	dir, _ := mcpFolder(t, "")
	g := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	addr := strings.TrimPrefix(g.url, "http://")
	for _, chunked := range []bool{false, true} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		head := fmt.Sprintf("POST /weather-mcp/mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n", addr)
		body := `{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"x": "` + strings.Repeat("a", 5<<20)
		go func() {
			if chunked {
				fmt.Fprintf(c, "%sTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", head, len(body), body)
			} else {
				fmt.Fprintf(c, "%sContent-Length: %d\r\n\r\n%s", head, len(body)+3, body)
			}
		}()
		status, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || !strings.Contains(status, " 413 ") {
			t.Errorf("chunked %v: %q %v", chunked, status, err)
		}
	}
}

// TestMCPSSEStreamsPerClient: one client address opening SSE streams over
// raw sockets gets mcp-max-streams-per-client of them, then 429 with a
// JSON error (the gateway's total cap untouched); another address is
// served meanwhile; a stream that closes lets the client open one more;
// 0 means no limit.
func TestMCPSSEStreamsPerClient(t *testing.T) {
	k := gateway.MCPKeepAlive
	t.Cleanup(func() { gateway.MCPKeepAlive = k }) // after the gateway's shutdown
	gateway.MCPKeepAlive = 50 * time.Millisecond   // a closed client is found at the next keepalive
	rest := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("item")) })
	dir := t.TempDir()
	writeFile(t, dir, "items/api.xml", `<api name="items" type="http" path="/items" service-url="`+rest.URL+`">
  <operations><operation id="get-item" method="GET" url-template="/{id}"/></operations>
</api>`)
	for _, a := range []struct{ name, attr string }{{"capped", `mcp-max-streams-per-client="3"`}, {"open", `mcp-max-streams-per-client="0"`}} {
		writeFile(t, dir, a.name+"/api.xml", `<api name="`+a.name+`" type="mcp" path="/`+a.name+`" `+a.attr+`>
  <mcp-tool name="get-item" operation="items/get-item"/>
</api>`)
	}
	g := startGateway(t, dir)
	addr := strings.TrimPrefix(g.url, "http://")
	// open GETs PATH/sse from local (a loopback address: "" is the
	// system's choice, 127.0.0.1) and returns the connection and the
	// answer's status line and, for a refusal, its body.
	open := func(path, local string) (net.Conn, string, string) {
		t.Helper()
		d := net.Dialer{}
		if local != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		fmt.Fprintf(c, "GET %s/sse HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		status := fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		if resp.StatusCode != 200 {
			var b strings.Builder
			_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
			return c, status, b.String()
		}
		// The endpoint event: the stream is the session's.
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || line != "event: endpoint\n" {
			t.Fatalf("first line %q %v", line, err)
		}
		return c, status, ""
	}
	var held []net.Conn
	for i := range 3 {
		c, status, _ := open("/capped", "")
		if status != "200 text/event-stream" {
			t.Fatalf("stream %d: %s", i+1, status)
		}
		held = append(held, c)
	}
	for range 5 { // and again: a refused one holds nothing
		c, status, body := open("/capped", "")
		if status != "429 application/json" || !strings.Contains(body, `This client has 3 SSE streams of MCP server \"capped\" open`) {
			t.Fatalf("over the cap: %s %q", status, body)
		}
		c.Close()
	}
	// Another address is another client.
	if _, status, _ := open("/capped", "127.0.0.2"); status != "200 text/event-stream" {
		t.Errorf("another client: %s", status)
	}
	held[0].Close()
	waitFor(t, "the closed stream to free its place", func() bool {
		c, status, _ := open("/capped", "")
		if status == "200 text/event-stream" {
			return true
		}
		c.Close()
		return false
	})
	for i := range 5 {
		if _, status, _ := open("/open", ""); status != "200 text/event-stream" {
			t.Fatalf("no limit, stream %d: %s", i+1, status)
		}
	}
}
