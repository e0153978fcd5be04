package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// a2aPolicy is the policy APIM gives a new A2A agent API.
const a2aPolicy = `<policies>
    <inbound>
        <base />
        <cors allow-credentials="true">
            <allowed-origins>
                <origin>@(context.Request.Headers.GetValueOrDefault("Origin") ?? $"https://{context.Request.Url.Host}")</origin>
            </allowed-origins>
            <allowed-methods>
                <method>*</method>
            </allowed-methods>
            <allowed-headers>
                <header>*</header>
            </allowed-headers>
            <expose-headers>
                <header>*</header>
            </expose-headers>
        </cors>
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>`

// a2aInformation is apiInformation.json of an A2A agent API as an APIM
// deployment extracted it, with the backend URLs and subscription setting
// of the test.
func a2aInformation(backend string, subRequired bool, rpcPath string) string {
	return fmt.Sprintf(`{
  "properties": {
    "displayName": "market-analyst",
    "path": "market-analyst",
    "protocols": ["https"],
    "type": "a2a",
    "isAgent": true,
    "agent": {"id": "market-analyst-id", "name": "market-analyst", "managementPortalUrl": "", "providerName": null},
    "a2aProperties": {"agentCardBackendUrl": "%s/.well-known/agent-card.json", "agentCardPath": "/agent-card.json"},
    "jsonRpcProperties": {"backendUrl": "%s", "path": %q},
    "subscriptionRequired": %v,
    "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
    "serviceUrl": ""
  }
}`, backend, backend, rpcPath, subRequired)
}

// a2aAgent is a JSON-RPC A2A agent: its card, message/send answered at
// once, message/stream as an event stream whose second event waits for
// release (so a test sees the first one relayed before the backend sent
// the rest).
type a2aAgent struct {
	url     string
	card    func(w http.ResponseWriter, r *http.Request)
	release chan struct{}
	mu      sync.Mutex
	seen    []*http.Request
}

const backendCard = `{"name":"Market analyst","description":"Analyses markets","url":"BACKEND/","version":"1.0.0","protocolVersion":"0.3.0",` +
	`"preferredTransport":"GRPC","additionalInterfaces":[{"url":"BACKEND/grpc","transport":"GRPC"},{"url":"BACKEND/","transport":"JSONRPC"},{"url":"BACKEND/rest","transport":"HTTP+JSON"}],` +
	`"capabilities":{"streaming":true},"defaultInputModes":["text"],"defaultOutputModes":["text"],` +
	`"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},"security":[{"bearer":[]}],` +
	`"skills":[{"id":"analyse","name":"Analyse","description":"d","tags":["x"]}],"x-unknown":{"kept":[1,2.50,"three"]}}`

func newA2AAgent(t *testing.T) *a2aAgent {
	a := &a2aAgent{release: make(chan struct{})}
	srv := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.Clone(context.Background()))
		a.mu.Unlock()
		if r.URL.Path == "/.well-known/agent-card.json" {
			if a.card != nil {
				a.card(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("ETag", `"v1"`)
			io.WriteString(w, strings.ReplaceAll(backendCard, "BACKEND", a.url))
			return
		}
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "not JSON-RPC", http.StatusBadRequest)
			return
		}
		switch req.Method {
		case "message/send":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"kind":"message","role":"agent","messageId":"m1","parts":[{"kind":"text","text":"hello from %s"}]}}`, req.ID, r.URL.Path)
		case "message/stream":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"kind\":\"status-update\",\"final\":false}}\n\n", req.ID)
			w.(http.Flusher).Flush()
			select {
			case <-a.release:
			case <-r.Context().Done():
				return
			}
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"kind\":\"status-update\",\"final\":true}}\n\n", req.ID)
		default:
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}`, req.ID)
		}
	})
	a.url = srv.URL
	return a
}

func (a *a2aAgent) requests() []*http.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*http.Request(nil), a.seen...)
}

// a2aFolder writes an APIOps folder with the A2A agent API (and a global
// policy that marks what it saw).
func a2aFolder(t *testing.T, backend string, subRequired bool, rpcPath, policy string) string {
	dir := t.TempDir()
	writeFile(t, dir, "policy.xml", `<policies><inbound><set-header name="X-Global" exists-action="override"><value>seen</value></set-header></inbound>
<backend><forward-request/></backend><outbound><set-header name="X-Global-Out" exists-action="override"><value>@(context.Api.Type)</value></set-header></outbound><on-error/></policies>`)
	writeFile(t, dir, "apis/market-analyst/apiInformation.json", a2aInformation(backend, subRequired, rpcPath))
	if policy == "" {
		policy = a2aPolicy
	}
	writeFile(t, dir, "apis/market-analyst/policy.xml", policy)
	return dir
}

func postJSON(t *testing.T, url, body string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	return do(t, req)
}

// TestA2AAgentCard: the card is fetched from its backend URL through the
// policies and rewritten to point at the gateway.
func TestA2AAgentCard(t *testing.T) {
	agent := newA2AAgent(t)
	g := startGateway(t, a2aFolder(t, agent.url, false, "/", ""))
	resp, body := get(t, g.url+"/market-analyst/agent-card.json?x=1", http.Header{"Origin": {"https://app.example"}, "Accept-Encoding": {"gzip"}, "If-None-Match": {`"v1"`}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp.Header.Get("ETag") != "" {
		t.Errorf("the backend's ETag was passed on with a changed body")
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("cors: Access-Control-Allow-Origin %q", got)
	}
	if resp.Header.Get("X-Global-Out") != "a2a" {
		t.Errorf("the global outbound policy did not run on the card: %v", resp.Header)
	}
	rpc := g.url + "/market-analyst"
	want := `{"name":"Market analyst","description":"Analyses markets","url":"` + rpc + `","version":"1.0.0","protocolVersion":"0.3.0",` +
		`"preferredTransport":"JSONRPC","additionalInterfaces":[{"url":"` + rpc + `","transport":"JSONRPC"}],` +
		`"capabilities":{"streaming":true},"defaultInputModes":["text"],"defaultOutputModes":["text"],` +
		`"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},"security":[{"bearer":[]}],` +
		`"skills":[{"id":"analyse","name":"Analyse","description":"d","tags":["x"]}],"x-unknown":{"kept":[1,2.50,"three"]}}`
	if body != want {
		t.Errorf("card:\n%s\nwant:\n%s", body, want)
	}
	reqs := agent.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d backend requests", len(reqs))
	}
	in := reqs[0]
	if in.URL.Path != "/.well-known/agent-card.json" || in.URL.RawQuery != "" || in.Method != "GET" {
		t.Errorf("card fetched as %s %s", in.Method, in.URL)
	}
	if in.Header.Get("X-Global") != "seen" {
		t.Errorf("the global inbound policy did not run on the card request")
	}
	if in.Header.Get("If-None-Match") != "" || in.Header.Get("Accept-Encoding") == "gzip" {
		t.Errorf("the card request carried %v", in.Header)
	}
	// A CORS preflight for the card is answered by APIM's cors policy.
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodOptions, g.url+"/market-analyst/agent-card.json", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, _ = do(t, req)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if n := len(agent.requests()); n != 1 {
		t.Errorf("the preflight reached the agent (%d requests)", n)
	}
	// Other methods on the card's path are the JSON-RPC backend's.
	resp, body = postJSON(t, g.url+"/market-analyst/agent-card.json", `{"jsonrpc":"2.0","id":1,"method":"x"}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Method not found") {
		t.Errorf("POST to the card path: %d %s, want the JSON-RPC backend's answer", resp.StatusCode, body)
	}
}

// TestA2AJSONRPC: message/send is proxied; message/stream's events are
// relayed as the backend sends them.
func TestA2AJSONRPC(t *testing.T) {
	agent := newA2AAgent(t)
	g := startGateway(t, a2aFolder(t, agent.url, false, "/", ""))
	resp, body := postJSON(t, g.url+"/market-analyst", `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"role":"user","parts":[{"kind":"text","text":"hi"}],"messageId":"u1"}}}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"hello from /"`) {
		t.Fatalf("message/send: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Global-Out") != "a2a" {
		t.Errorf("global outbound did not run")
	}

	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, g.url+"/market-analyst/", strings.NewReader(`{"jsonrpc":"2.0","id":"s","method":"message/stream","params":{}}`))
	req.Header.Set("Accept", "text/event-stream")
	sresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	if ct := sresp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := bufio.NewReader(sresp.Body)
	first, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(first, `"final":false`) {
		t.Fatalf("first event %q %v", first, err)
	}
	close(agent.release) // the backend sends the rest only now: the first event came alone
	rest, _ := io.ReadAll(rd)
	if !strings.Contains(string(rest), `"final":true`) {
		t.Fatalf("rest of the stream %q", rest)
	}
}

// TestA2ARPCPath: with a JSON-RPC path of its own, only it (and what is
// under it) and the card are served; the rest of the API's paths are 404.
func TestA2ARPCPath(t *testing.T) {
	agent := newA2AAgent(t)
	g := startGateway(t, a2aFolder(t, agent.url, false, "/rpc", ""))
	resp, body := postJSON(t, g.url+"/market-analyst/rpc", `{"jsonrpc":"2.0","id":1,"method":"message/send"}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `hello from /"`) {
		t.Fatalf("rpc: %d %s", resp.StatusCode, body)
	}
	resp, body = postJSON(t, g.url+"/market-analyst/rpc/v2", `{"jsonrpc":"2.0","id":1,"method":"message/send"}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `hello from /v2"`) {
		t.Fatalf("under rpc: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/market-analyst/other", "/market-analyst/rpcx", "/market-analyst"} {
		resp, _ = postJSON(t, g.url+p, `{}`, nil)
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	_, body = get(t, g.url+"/market-analyst/agent-card.json", nil)
	if !strings.Contains(body, `"url":"`+g.url+`/market-analyst/rpc"`) {
		t.Errorf("card url: %s", body)
	}
}

// TestA2ARootPath: an A2A API at the root path.
func TestA2ARootPath(t *testing.T) {
	agent := newA2AAgent(t)
	dir := t.TempDir()
	writeFile(t, dir, "apis/root-agent/apiInformation.json", strings.Replace(a2aInformation(agent.url, false, "/rpc"), `"path": "market-analyst"`, `"path": ""`, 1))
	g := startGateway(t, dir)
	_, body := get(t, g.url+"/agent-card.json", nil)
	if !strings.Contains(body, `"url":"`+g.url+`/rpc"`) {
		t.Fatalf("card %s", body)
	}
	resp, body := postJSON(t, g.url+"/rpc", `{"jsonrpc":"2.0","id":1,"method":"message/send"}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `hello from /"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, _ := postJSON(t, g.url+"/other", `{}`, nil); resp.StatusCode != 404 {
		t.Errorf("/other: %d", resp.StatusCode)
	}
}

// TestA2ASubscriptionKey: a key is needed for the card and the calls, and
// the card says so.
func TestA2ASubscriptionKey(t *testing.T) {
	agent := newA2AAgent(t)
	dir := a2aFolder(t, agent.url, true, "/", "")
	writeFile(t, dir, "subscriptions/agents/subscriptionInformation.json", `{"properties": {"scope": "/apis/market-analyst", "state": "active"}}`)
	keys := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, filepath.Dir(keys), "keys.json", `{"agents": {"primaryKey": "agent-key-1"}}`)
	g := startGateway(t, dir, func(o *gateway.Options) { o.SubscriptionKeys = keys })

	if resp, _ := get(t, g.url+"/market-analyst/agent-card.json", nil); resp.StatusCode != 401 {
		t.Errorf("card without a key: %d", resp.StatusCode)
	}
	if resp, _ := postJSON(t, g.url+"/market-analyst", `{"jsonrpc":"2.0","id":1,"method":"message/send"}`, nil); resp.StatusCode != 401 {
		t.Errorf("call without a key: %d", resp.StatusCode)
	}
	resp, body := get(t, g.url+"/market-analyst/agent-card.json?subscription-key=agent-key-1", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("card with a key: %d %s", resp.StatusCode, body)
	}
	var card struct {
		SecuritySchemes map[string]map[string]string `json:"securitySchemes"`
		Security        []map[string][]string        `json:"security"`
	}
	if err := json.Unmarshal([]byte(body), &card); err != nil {
		t.Fatal(err)
	}
	if h := card.SecuritySchemes["apim-subscription-key-header"]; h["in"] != "header" || h["name"] != "Ocp-Apim-Subscription-Key" || h["type"] != "apiKey" {
		t.Errorf("header scheme %v", h)
	}
	if q := card.SecuritySchemes["apim-subscription-key-query"]; q["in"] != "query" || q["name"] != "subscription-key" {
		t.Errorf("query scheme %v", q)
	}
	if card.SecuritySchemes["bearer"] == nil {
		t.Errorf("the backend's scheme was lost")
	}
	if len(card.Security) != 2 || card.Security[0]["bearer"] == nil || card.Security[0]["apim-subscription-key-header"] == nil ||
		card.Security[1]["bearer"] == nil || card.Security[1]["apim-subscription-key-query"] == nil {
		t.Errorf("security %v", card.Security)
	}
	resp, body = postJSON(t, g.url+"/market-analyst", `{"jsonrpc":"2.0","id":1,"method":"message/send"}`, http.Header{"Ocp-Apim-Subscription-Key": {"agent-key-1"}})
	if resp.StatusCode != 200 {
		t.Errorf("call with a key: %d %s", resp.StatusCode, body)
	}
}

// TestA2ABadCards: a card the gateway cannot serve is a 502 naming the
// API, never the backend's body; a backend that does not answer in time is
// a 504.
func TestA2ABadCards(t *testing.T) {
	huge := `{"name":"` + strings.Repeat("a", gateway.A2AMaxCardSize) + `"}`
	cases := []struct {
		name   string
		card   func(w http.ResponseWriter, r *http.Request)
		status int
		msg    string
	}{
		{"error status", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "db password SECRET-1 leaked", 500)
		}, 502, "its backend answered 500"},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 502, "its backend answered 404"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>SECRET-2</html>") }, 502, "is invalid: not a JSON object"},
		{"array", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `["SECRET-3"]`) }, 502, "not a JSON object"},
		{"trailing data", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"a":1} {"SECRET-4":1}`) }, 502, "is invalid"},
		{"deep", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"a":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`)
		}, 502, "nested deeper than 64 levels"},
		{"huge", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, huge) }, 502, "is larger than 1048576 bytes"},
		{"huge, no length", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(huge[:10]))
			w.(http.Flusher).Flush()
			io.WriteString(w, huge[10:])
		}, 502, "is larger than 1048576 bytes"},
		{"compressed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "br")
			io.WriteString(w, "SECRET-5")
		}, 502, `came with Content-Encoding`},
		{"slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 504, "Gateway timeout"},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"name":"`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, 504, "Gateway timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			agent := newA2AAgent(t)
			agent.card = c.card
			// forward-request's timeout bounds the card fetch as any call.
			policy := strings.Replace(a2aPolicy, "<backend>\n        <base />", `<backend><forward-request timeout="1"/>`, 1)
			g := startGateway(t, a2aFolder(t, agent.url, false, "/", policy))
			resp, body := get(t, g.url+"/market-analyst/agent-card.json", nil)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if strings.Contains(body, "SECRET") {
				t.Errorf("the backend's body reached the client: %s", body)
			}
			if !strings.Contains(body, c.msg) {
				t.Errorf("body %s, want %q", body, c.msg)
			}
			if c.status == 502 && !strings.Contains(body, `A2A API \"market-analyst\"`) {
				t.Errorf("the message does not name the API: %s", body)
			}
		})
	}
}

// TestA2ACardThroughRetry: a card fetched by forward-request inside retry
// is rewritten too.
func TestA2ACardThroughRetry(t *testing.T) {
	agent := newA2AAgent(t)
	policy := strings.Replace(a2aPolicy, "<backend>\n        <base />", `<backend><retry condition="@(context.Response.StatusCode >= 500)" count="1" interval="0"><forward-request/></retry>`, 1)
	g := startGateway(t, a2aFolder(t, agent.url, false, "/", policy))
	resp, body := get(t, g.url+"/market-analyst/agent-card.json", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"url":"`+g.url+`/market-analyst"`) || !strings.Contains(body, `"preferredTransport":"JSONRPC"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// TestA2ATelemetry: the server span of an A2A API's request carries the
// GenAI agent attributes, and a JSON-RPC call its method.
func TestA2ATelemetry(t *testing.T) {
	agent := newA2AAgent(t)
	sr := tracetest.NewSpanRecorder()
	g := startGateway(t, a2aFolder(t, agent.url, false, "/", ""), func(o *gateway.Options) {
		o.Telemetry = gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	})
	postJSON(t, g.url+"/market-analyst", `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{}}`, nil)
	get(t, g.url+"/market-analyst/agent-card.json", nil)
	var server []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.SpanKind().String() == "server" {
			server = append(server, s)
		}
	}
	if len(server) != 2 {
		t.Fatalf("%d server spans", len(server))
	}
	attrs := func(s sdktrace.ReadOnlySpan) map[string]string {
		m := map[string]string{}
		for _, a := range s.Attributes() {
			m[string(a.Key)] = a.Value.Emit()
		}
		return m
	}
	call, card := attrs(server[0]), attrs(server[1])
	for k, v := range map[string]string{"gen_ai.agent.id": "market-analyst-id", "gen_ai.agent.name": "market-analyst",
		"gen_ai.operation.name": "invoke_agent", "rpc.system": "jsonrpc", "rpc.method": "message/send"} {
		if call[k] != v {
			t.Errorf("call span %s=%q, want %q", k, call[k], v)
		}
	}
	if card["gen_ai.agent.id"] != "market-analyst-id" || card["gen_ai.operation.name"] != "" || card["rpc.method"] != "" {
		t.Errorf("card span %v", card)
	}
}

// TestA2AInWorkspace: an A2A agent API loads in a workspace too.
func TestA2AInWorkspace(t *testing.T) {
	agent := newA2AAgent(t)
	dir := t.TempDir()
	writeFile(t, dir, "workspaces/agents/workspaceInformation.json", `{"properties": {"displayName": "Agents"}}`)
	writeFile(t, dir, "workspaces/agents/apis/market-analyst/apiInformation.json", a2aInformation(agent.url, false, "/"))
	writeFile(t, dir, "workspaces/agents/apis/market-analyst/policy.xml", a2aPolicy)
	g := startGateway(t, dir)
	resp, body := get(t, g.url+"/market-analyst/agent-card.json", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"url":"`+g.url+`/market-analyst"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = postJSON(t, g.url+"/market-analyst", `{"jsonrpc":"2.0","id":1,"method":"message/send"}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// TestA2ALoad: what loading says of the API's properties.
func TestA2ALoad(t *testing.T) {
	dir := a2aFolder(t, "https://agent.example", false, "/", "")
	// Named values in the nested properties; a2aProperties on an HTTP API.
	writeFile(t, dir, "named values/agent-host/namedValueInformation.json", `{"properties": {"displayName": "agent-host", "value": "agent.example"}}`)
	writeFile(t, dir, "apis/market-analyst/apiInformation.json", strings.ReplaceAll(a2aInformation("https://{{agent-host}}", false, "/"),
		`"agentCardPath"`, `"extra": true, "agentCardPath"`))
	writeFile(t, dir, "apis/plain/apiInformation.json", `{"properties": {"path": "plain", "serviceUrl": "https://plain.example", "a2aProperties": {}}}`)
	snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var api *gateway.API
	for _, a := range snap.APIs {
		if a.Name == "market-analyst" {
			api = a
		}
	}
	if api == nil || api.Type != "a2a" || api.A2A == nil {
		t.Fatalf("%+v", api)
	}
	if api.ServiceURL.String() != "https://agent.example" || api.A2A.CardURL.String() != "https://agent.example/.well-known/agent-card.json" ||
		api.A2A.CardPath != "/agent-card.json" || api.A2A.RPCPath != "/" || api.A2A.ID != "market-analyst-id" {
		t.Errorf("%+v %+v", api, api.A2A)
	}
	var notices []string
	for _, n := range snap.Notices {
		if strings.Contains(n, "a2a") || strings.Contains(n, "isAgent") || strings.Contains(n, "jsonRpc") || strings.Contains(n, "agent") {
			notices = append(notices, strings.TrimPrefix(n, dir+string(filepath.Separator)))
		}
	}
	want := []string{
		"apis/market-analyst/apiInformation.json:9:100: ignored: a2aProperties.extra of API market-analyst",
		"apis/plain/apiInformation.json:1:73: ignored: a2aProperties of API plain (only an API of type a2a has them)",
	}
	if strings.Join(notices, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notices, "\n"), strings.Join(want, "\n"))
	}
}

// TestA2ARawRequests: malformed requests on a raw socket never reach the
// agent and never hang.
func TestA2ARawRequests(t *testing.T) {
	agent := newA2AAgent(t)
	g := startGateway(t, a2aFolder(t, agent.url, false, "/rpc", ""))
	addr := strings.TrimPrefix(g.url, "http://")
	for _, raw := range []string{
		"GET /market-analyst/rpc/%2e%2e/%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /market-analyst/rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET /market-analyst/agent-card.json HTTP/1.1\r\nHost: bad host\r\n\r\n",
		"POST /market-analyst/rpc HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(testTimeout))
		io.WriteString(c, raw)
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if strings.Contains(line, " 200 ") {
			t.Errorf("%q: %s", raw, line)
		}
	}
}

// a2aAPIXML is the api.xml form of a2aInformation: the same settings.
func a2aAPIXML(backend string, subRequired bool, rpcPath string) string {
	return fmt.Sprintf(`<api name="market-analyst" type="a2a" path="/market-analyst" subscription-required="%v"
     service-url="%s" json-rpc-path=%q
     agent-card-url="%s/.well-known/agent-card.json" agent-card-path="/agent-card.json"
     agent-id="market-analyst-id"/>
`, subRequired, backend, rpcPath, backend)
}

// TestA2AAPIXML: an A2A agent API written in api.xml loads the settings
// of the APIOps form and serves the same answers, request for request.
func TestA2AAPIXML(t *testing.T) {
	for _, rpcPath := range []string{"/", "/rpc"} {
		t.Run(rpcPath, func(t *testing.T) {
			agent := newA2AAgent(t)
			close(agent.release)
			forms := map[string]string{}
			var agents []*gateway.A2AAgent
			for _, form := range []string{"apiops", "api.xml"} {
				dir := a2aFolder(t, agent.url, false, rpcPath, "")
				if form == "api.xml" {
					if err := os.RemoveAll(filepath.Join(dir, "apis")); err != nil {
						t.Fatal(err)
					}
					writeFile(t, dir, "market-analyst/api.xml", a2aAPIXML(agent.url, false, rpcPath))
					writeFile(t, dir, "market-analyst/policy.xml", a2aPolicy)
				}
				g := startGateway(t, dir)
				api := g.srv.Current().API("market-analyst")
				if api == nil || api.Type != "a2a" || api.A2A == nil {
					t.Fatalf("%s: %+v", form, api)
				}
				agents = append(agents, api.A2A)
				if got := api.ServiceURL.String(); got != agent.url {
					t.Errorf("%s: service URL %s", form, got)
				}
				var out []string
				for _, r := range []struct{ method, path, body string }{
					{"GET", "/market-analyst/agent-card.json", ""},
					{"POST", "/market-analyst" + strings.TrimSuffix(rpcPath, "/"), `{"jsonrpc":"2.0","id":1,"method":"message/send"}`},
					{"POST", "/market-analyst" + strings.TrimSuffix(rpcPath, "/") + "/v2", `{"jsonrpc":"2.0","id":2,"method":"message/send"}`},
					{"POST", "/market-analyst/other", `{"jsonrpc":"2.0","id":3,"method":"message/send"}`},
					{"GET", "/market-analyst/.well-known/agent-card.json", ""},
				} {
					var resp *http.Response
					var body string
					if r.method == "GET" {
						resp, body = get(t, g.url+r.path, nil)
					} else {
						resp, body = postJSON(t, g.url+r.path, r.body, nil)
					}
					out = append(out, fmt.Sprintf("%s %s: %d %s %s", r.method, r.path, resp.StatusCode, resp.Header.Get("X-Global-Out"), strings.ReplaceAll(body, g.url, "GATEWAY")))
				}
				forms[form] = strings.Join(out, "\n")
			}
			if forms["apiops"] != forms["api.xml"] {
				t.Errorf("APIOps form:\n%s\napi.xml form:\n%s", forms["apiops"], forms["api.xml"])
			}
			if !strings.Contains(forms["api.xml"], `"url":"GATEWAY/market-analyst`+strings.TrimSuffix(rpcPath, "/")+`"`) {
				t.Errorf("the card does not name the gateway:\n%s", forms["api.xml"])
			}
			x, o := agents[1], agents[0]
			if x.ID != o.ID || x.CardURL.String() != o.CardURL.String() || x.CardPath != o.CardPath || x.RPCPath != o.RPCPath {
				t.Errorf("api.xml %+v, APIOps %+v", x, o)
			}
		})
	}
}

// TestA2AEndlessStream: an agent whose message/stream never ends holds
// the client's stream (and a backend connection) for the call's timeout
// and no longer: forward-request's when it has one, else the API's, even
// with a <forward-request/> (no timeout) in the global policy, which used
// to lift it to forward-request's 300 s default.
func TestA2AEndlessStream(t *testing.T) {
	agent := newA2AAgent(t) // never released: its streams never end
	for _, form := range []string{"forward-request timeout", "api.xml timeout under a bare forward-request"} {
		t.Run(form, func(t *testing.T) {
			var dir string
			if form == "forward-request timeout" {
				dir = a2aFolder(t, agent.url, false, "/rpc", strings.Replace(a2aPolicy, "<backend>\n        <base />", `<backend><forward-request timeout="1"/>`, 1))
			} else {
				dir = a2aFolder(t, agent.url, false, "/rpc", "") // its global policy: <forward-request/>
				if err := os.RemoveAll(filepath.Join(dir, "apis")); err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, "market-analyst/api.xml", strings.Replace(a2aAPIXML(agent.url, false, "/rpc"), `subscription-required=`, `timeout="1" subscription-required=`, 1))
				writeFile(t, dir, "market-analyst/policy.xml", a2aPolicy)
			}
			g := startGateway(t, dir)
			c, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(testTimeout))
			body := `{"jsonrpc":"2.0","id":7,"method":"message/stream"}`
			fmt.Fprintf(c, "POST /market-analyst/rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body) // ends when the gateway ends the stream
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the stream was still open at the test's deadline: %q", got)
			}
			if resp.StatusCode != 200 || !strings.Contains(string(got), `"final":false`) || strings.Contains(string(got), `"final":true`) {
				t.Fatalf("%d %q (%v)", resp.StatusCode, got, err)
			}
		})
	}
}
