package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/redis/go-redis/v9"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/policies"
	"tollgate/store"
)

// replicaPolicy is the MCP server's policy in these tests: the tools'
// API key (subKeyPolicy), a request header that refuses the call, and a
// header on every answer, to see the policies run where a POST lands.
const replicaPolicy = `<policies><inbound><base/>
  <set-header name="Ocp-Apim-Subscription-Key" exists-action="override"><value>weather-key-SECRET</value></set-header>
  <choose><when condition="@(context.Request.Headers.GetValueOrDefault(&quot;X-Block&quot;, &quot;&quot;) == &quot;yes&quot;)">
    <return-response><set-status code="403" reason="Blocked"/></return-response></when></choose>
</inbound><backend><base/></backend><outbound><base/>
  <set-header name="X-Mcp-Policy" exists-action="override"><value>ran</value></set-header>
</outbound><on-error><base/></on-error></policies>`

// mcpReplicas starts n gateways serving dir that share one real Redis,
// each with a store of its own (as replicas in processes of their own).
//
// A stream's client that goes away is found at the next keepalive, which
// these tests make quick (the front server does not watch idle
// connections).
func mcpReplicas(t *testing.T, dir string, n int) ([]*testGateway, *redis.Client) {
	t.Helper()
	k := gateway.MCPKeepAlive
	t.Cleanup(func() { gateway.MCPKeepAlive = k }) // after the gateways' shutdown (cleanups run last first)
	gateway.MCPKeepAlive = 50 * time.Millisecond
	srv := redistest.Start(t)
	var out []*testGateway
	for range n {
		rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() }) // after the gateway's shutdown
		out = append(out, startGateway(t, dir, withSubscriptions("", weatherSubs(t)), func(o *gateway.Options) {
			o.Store = rs
			o.Registry = policies.Registry(policies.Deps{Store: rs})
		}))
	}
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { raw.Close() })
	return out, raw
}

// sseEvent is one event of a raw SSE stream.
type sseEvent struct{ name, data string }

// rawSSE is a GET PATH/sse read event by event.
type rawSSE struct {
	t        *testing.T
	body     io.ReadCloser
	events   chan sseEvent
	endpoint string // the endpoint event's data: PATH/messages?sessionid=ID
	id       string
}

func openSSE(t *testing.T, streamURL string) *rawSSE {
	t.Helper()
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodGet, streamURL, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		t.Fatalf("GET %s: %d", streamURL, resp.StatusCode)
	}
	s := &rawSSE{t: t, body: resp.Body, events: make(chan sseEvent, 16)}
	t.Cleanup(s.close)
	go func() {
		defer close(s.events)
		br := bufio.NewReader(resp.Body)
		var ev sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	ev := s.next()
	if ev.name != "endpoint" {
		t.Fatalf("first event %+v", ev)
	}
	s.endpoint = ev.data
	u, err := url.Parse(ev.data)
	if err != nil {
		t.Fatal(err)
	}
	s.id = u.Query().Get("sessionid")
	return s
}

func (s *rawSSE) next() sseEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(testTimeout):
		s.t.Fatal("no event")
	}
	return sseEvent{}
}

func (s *rawSSE) close() { s.body.Close() }

// ssePost POSTs body to url with content type ct.
func ssePost(t *testing.T, url, ct, body string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, url, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vv := range h {
		req.Header[k] = vv
	}
	return do(t, req)
}

const (
	initializeMsg  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	initializedMsg = `{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`
)

// recordKey and channel are where a session lives in Redis.
func recordKey(id string) string { return "tollgate:cv:mcp-sse|weather-mcp|" + id }
func channelOf(id string) string { return "tollgate:ps:mcp-sse|weather-mcp|" + id }

// postsTo sends the MCP client's POSTs to another replica (a load
// balancer without sticky sessions), counting them.
type postsTo struct {
	host string
	mu   sync.Mutex
	urls []string
}

func (p *postsTo) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		r = r.Clone(r.Context())
		r.URL.Host, r.Host = p.host, p.host
		p.mu.Lock()
		p.urls = append(p.urls, r.URL.String())
		p.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestMCPSSEAcrossReplicas: the Go SDK's SSE client opens its stream on
// replica A while every POST goes to replica B; tools/list and tools/call
// work, the policies run on B, and closing the stream removes the
// session's record and subscription.
func TestMCPSSEAcrossReplicas(t *testing.T) {
	dir, rec := mcpFolder(t, replicaPolicy)
	gs, raw := mcpReplicas(t, dir, 2)
	a, b := gs[0], gs[1]
	lb := &postsTo{host: strings.TrimPrefix(b.url, "http://")}
	tr := &mcp.SSEClientTransport{Endpoint: a.url + "/weather-mcp/sse", HTTPClient: &http.Client{Transport: lb}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(testCtx(t), tr, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	ctx := testCtx(t)
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 2 {
		t.Fatalf("tools: %d", len(tools.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{"city": "Oslo"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || !strings.Contains(toolText(t, res), `"temp": 21`) {
		t.Fatalf("result %q", toolText(t, res))
	}
	if last := rec.last(t); last.path != "/v1/weather/Oslo" || last.header.Get("X-Api-Saw-Sub") != "weather-sub" {
		t.Errorf("REST call %+v", last)
	}

	lb.mu.Lock()
	urls := append([]string(nil), lb.urls...)
	lb.mu.Unlock()
	if len(urls) < 3 { // initialize, initialized, tools/list, tools/call
		t.Fatalf("POSTs %q", urls)
	}
	u, _ := url.Parse(urls[0])
	id := u.Query().Get("sessionid")
	for _, s := range urls {
		if !strings.HasPrefix(s, b.url+"/weather-mcp/messages?sessionid=") {
			t.Errorf("a POST went to %s, not replica B", s)
		}
	}
	if n, _ := raw.Exists(ctx, recordKey(id)).Result(); n != 1 {
		t.Fatal("no session record while the stream is open")
	}
	if ttl, _ := raw.PTTL(ctx, recordKey(id)).Result(); ttl <= 0 || ttl > gateway.MCPSessionTTL {
		t.Errorf("the record's ttl is %v, want (0, %v]", ttl, gateway.MCPSessionTTL)
	}

	_ = cs.Close()
	waitFor(t, "the session's record and subscription to go", func() bool {
		n, err := raw.Exists(ctx, recordKey(id)).Result()
		subs, err2 := raw.PubSubNumSub(ctx, channelOf(id)).Result()
		return err == nil && err2 == nil && n == 0 && subs[channelOf(id)] == 0
	})
	resp, body := ssePost(t, b.url+"/weather-mcp/messages?sessionid="+id, "application/json", initializeMsg, nil)
	if resp.StatusCode != 404 || body != "session not found\n" {
		n, _ := raw.Exists(ctx, recordKey(id)).Result()
		t.Errorf("after the stream closed: %d %q (record %d, id %s)", resp.StatusCode, body, n, id)
	}
}

// TestMCPSSEAcrossReplicasRaw: the same over raw HTTP, answer by answer:
// B accepts each message (202, its policies ran), A's stream carries the
// answers; a POST B's policy refuses never reaches the session.
func TestMCPSSEAcrossReplicasRaw(t *testing.T) {
	dir, _ := mcpFolder(t, replicaPolicy)
	gs, _ := mcpReplicas(t, dir, 2)
	a, b := gs[0], gs[1]
	s := openSSE(t, a.url+"/weather-mcp/sse")
	post := func(body string, h http.Header) *http.Response {
		t.Helper()
		resp, rbody := ssePost(t, b.url+s.endpoint, "application/json", body, h)
		if resp.StatusCode == 202 && rbody != "" {
			t.Errorf("202 with body %q", rbody)
		}
		return resp
	}
	if resp := post(initializeMsg, nil); resp.StatusCode != 202 || resp.Header.Get("X-Mcp-Policy") != "ran" {
		t.Fatalf("initialize on B: %d, X-Mcp-Policy %q", resp.StatusCode, resp.Header.Get("X-Mcp-Policy"))
	}
	if ev := s.next(); ev.name != "message" || !strings.Contains(ev.data, `"id":1`) || !strings.Contains(ev.data, `"serverInfo"`) {
		t.Fatalf("initialize's answer: %+v", ev)
	}
	post(initializedMsg, nil)
	if resp := post(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`, http.Header{"X-Block": {"yes"}}); resp.StatusCode != 403 {
		t.Fatalf("B's policy let the POST through: %d", resp.StatusCode)
	}
	for i, body := range []string{
		`{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get-weather","arguments":{"city":"Rome"}}}`,
	} {
		if resp := post(body, nil); resp.StatusCode != 202 {
			t.Fatalf("message %d: %d", i, resp.StatusCode)
		}
	}
	// Both answered (the SDK answers calls concurrently: in any order);
	// the refused id 2 never is.
	got := map[string]string{}
	for range 2 {
		ev := s.next()
		for _, id := range []string{`"id":2`, `"id":3`, `"id":4`} {
			if strings.Contains(ev.data, id) {
				got[id] = ev.data
			}
		}
	}
	if !strings.Contains(got[`"id":3`], "get-weather") || !strings.Contains(got[`"id":4`], "temp") || got[`"id":2`] != "" {
		t.Fatalf("answers %q", got)
	}
	// Messages to A itself are the SDK's, as ever.
	resp, _ := ssePost(t, a.url+s.endpoint, "application/json", `{"jsonrpc":"2.0","id":5,"method":"ping"}`, nil)
	if resp.StatusCode != 202 {
		t.Fatalf("ping on A: %d", resp.StatusCode)
	}
	if ev := s.next(); !strings.Contains(ev.data, `"id":5`) {
		t.Fatalf("ping's answer: %+v", ev)
	}
}

// TestMCPSSEAcrossReplicasErrors: B answers a POST for a session it does
// not hold exactly as the SDK answers it on A, which holds it (status,
// headers that matter, body), for every error the SDK has; a session no
// replica has is the SDK's 404.
//
// Each valid message has an id of its own (the same case sends one to A
// and one to B): JSON-RPC ids must be unique among a session's requests in
// flight, and the SDK drops, unanswered, a request whose id is still in use
// (jsonrpc2's acceptRequest: "request ID already in use", answered as if it
// were a notification). With one id for both, the message through B could
// reach the session while A's was still being answered, which a loaded
// machine made happen, and its answer never came.
func TestMCPSSEAcrossReplicasErrors(t *testing.T) {
	dir, _ := mcpFolder(t, subKeyPolicy)
	gs, raw := mcpReplicas(t, dir, 2)
	a, b := gs[0], gs[1]
	s := openSSE(t, a.url+"/weather-mcp/sse")
	ctx := testCtx(t)
	// A record whose holder died without removing it: nobody listens.
	if err := raw.Set(ctx, recordKey("GHOSTGHOSTGHOSTGHOSTGHOST2"), "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query, ct, body string
		want                  int
	}{
		{"valid", "sessionid=" + s.id, "application/json", `{"jsonrpc":"2.0","id":7%d,"method":"ping"}`, 202},
		{"content type", "sessionid=" + s.id, "text/plain", initializeMsg, 415},
		{"content type params", "sessionid=" + s.id, "application/json; charset=utf-8", `{"jsonrpc":"2.0","id":8%d,"method":"ping"}`, 202},
		{"no content type", "sessionid=" + s.id, "", initializeMsg, 415},
		{"no session id", "", "application/json", initializeMsg, 400},
		{"not json", "sessionid=" + s.id, "application/json", `{"jsonrpc":`, 400},
		{"not json-rpc", "sessionid=" + s.id, "application/json", `[1, 2]`, 400},
		{"unknown method", "sessionid=" + s.id, "application/json", `{"jsonrpc":"2.0","id":9,"method":"nope/nope"}`, 400},
		{"forged", "sessionid=AAAAAAAAAAAAAAAAAAAAAAAAAA", "application/json", initializeMsg, 404},
		{"forged long", "sessionid=" + strings.Repeat("A", 4000), "application/json", initializeMsg, 404},
		{"forged odd", "sessionid=%00%0d%0a*", "application/json", initializeMsg, 404},
		{"other API's", "sessionid=" + s.id, "application/json", initializeMsg, 404},
		{"holder gone", "sessionid=GHOSTGHOSTGHOSTGHOSTGHOST2", "application/json", initializeMsg, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/weather-mcp/messages?" + tc.query
			if tc.name == "other API's" {
				path = "/other-mcp/messages?" + tc.query
			}
			var got [2]string
			for i, g := range []*testGateway{a, b} {
				if tc.name == "holder gone" && g == a {
					continue // only B sees this record without its stream
				}
				msg := tc.body
				if strings.Contains(msg, "%d") {
					msg = fmt.Sprintf(msg, i) // ids 70 and 71, 80 and 81
				}
				resp, body := ssePost(t, g.url+path, tc.ct, msg, nil)
				if resp.StatusCode != tc.want {
					t.Errorf("replica %d: %d %q, want %d", i, resp.StatusCode, body, tc.want)
				}
				got[i] = fmt.Sprintf("%d %s %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"), body)
			}
			if tc.name != "holder gone" && got[0] != got[1] {
				t.Errorf("the SDK (A) answers %s\nB answers          %s", got[0], got[1])
			}
			if tc.name == "holder gone" && got[1] != `404 text/plain; charset=utf-8 nosniff "session not found\n"` {
				t.Errorf("holder gone: %s", got[1])
			}
		})
	}
	// The valid pings got their answers on the stream, once each (in any
	// order: one sent through B reaches the session a moment later).
	answers := map[string]int{}
	ids := []string{`"id":70,`, `"id":71,`, `"id":80,`, `"id":81,`}
	for range ids {
		ev := s.next()
		for _, id := range ids {
			if strings.Contains(ev.data, id) {
				answers[id]++
			}
		}
	}
	for _, id := range ids {
		if answers[id] != 1 {
			t.Errorf("answers %v, want each ping (70 and 80 through A, 71 and 81 through B) answered once", answers)
			break
		}
	}
}

// TestMCPSSEAcrossReplicasBounded: hostile POSTs to the replica that does
// not hold the session stay bounded (a huge body is 413 before anything is
// forwarded), many streams leave nothing behind once closed, a replica
// that shuts down removes its sessions' records, and a record outlives no
// stream: it is refreshed while the stream is open.
func TestMCPSSEAcrossReplicasBounded(t *testing.T) {
	ttl := gateway.MCPSessionTTL
	t.Cleanup(func() { gateway.MCPSessionTTL = ttl })
	gateway.MCPSessionTTL = 900 * time.Millisecond // before the gateways start: their goroutines read it
	dir, _ := mcpFolder(t, subKeyPolicy)
	gs, raw := mcpReplicas(t, dir, 2)
	a, b := gs[0], gs[1]
	ctx := testCtx(t)

	s := openSSE(t, a.url+"/weather-mcp/sse")
	addr := strings.TrimPrefix(b.url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	body := `{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "` + strings.Repeat("a", 5<<20) + `"}}`
	go fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", s.endpoint, addr, len(body), body)
	status, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || !strings.Contains(status, " 413 ") {
		t.Errorf("huge body: %q %v", status, err)
	}

	// The record is refreshed: its ttl goes up again.
	low := time.Hour
	waitFor(t, "the record to be refreshed", func() bool {
		d, err := raw.PTTL(ctx, recordKey(s.id)).Result()
		if err != nil || d <= 0 {
			t.Fatalf("record gone while the stream is open: %v %v", d, err)
		}
		low = min(low, d)
		return d > low+100*time.Millisecond
	})

	// As many streams as one client may hold (mcp-max-streams-per-client).
	var streams []*rawSSE
	for range gateway.DefaultLimits.MCPMaxClientStreams - 1 {
		streams = append(streams, openSSE(t, a.url+"/weather-mcp/sse"))
	}
	keys, _ := raw.Keys(ctx, "tollgate:cv:mcp-sse|*").Result()
	if want := int(gateway.DefaultLimits.MCPMaxClientStreams); len(keys) != want {
		t.Fatalf("%d records for %d streams", len(keys), want)
	}
	for _, st := range streams {
		st.close()
	}
	waitFor(t, "the closed streams' records and channels to go", func() bool {
		keys, err := raw.Keys(ctx, "tollgate:cv:mcp-sse|*").Result()
		chans, err2 := raw.PubSubChannels(ctx, "tollgate:ps:*").Result()
		return err == nil && err2 == nil && len(keys) == 1 && len(chans) == 1
	})

	// A replica that shuts down takes its sessions with it.
	s2 := openSSE(t, b.url+"/weather-mcp/sse")
	if n, _ := raw.Exists(ctx, recordKey(s2.id)).Result(); n != 1 {
		t.Fatal("no record of B's stream")
	}
	sctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := b.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := raw.Exists(ctx, recordKey(s2.id)).Result(); n != 0 {
		t.Error("B shut down and left its session's record")
	}
	if n, _ := raw.Exists(ctx, recordKey(s.id)).Result(); n != 1 {
		t.Error("A's session's record went with B")
	}
	resp, _ := ssePost(t, a.url+"/weather-mcp/messages?sessionid="+s2.id, "application/json", initializeMsg, nil)
	if resp.StatusCode != 404 {
		t.Errorf("POST for B's closed session on A: %d", resp.StatusCode)
	}
}

// TestMCPSSEReplicasInMemory: with the in-process store each replica
// keeps its sessions (as before): a POST to another one is the SDK's 404,
// and nothing is shared.
func TestMCPSSEReplicasInMemory(t *testing.T) {
	dir, _ := mcpFolder(t, subKeyPolicy)
	a := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	b := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	s := openSSE(t, a.url+"/weather-mcp/sse")
	resp, body := ssePost(t, b.url+s.endpoint, "application/json", initializeMsg, nil)
	if resp.StatusCode != 404 || body != "session not found\n" {
		t.Errorf("B: %d %q", resp.StatusCode, body)
	}
	if resp, _ := ssePost(t, a.url+s.endpoint, "application/json", initializeMsg, nil); resp.StatusCode != 202 {
		t.Errorf("A: %d", resp.StatusCode)
	}
}
