package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"tollgate/gateway"
	"tollgate/store"
)

// weatherSpec is the REST API the MCP server's tools are operations of.
const weatherSpec = `{"openapi": "3.0.1", "info": {"title": "Weather", "version": "1"},
 "paths": {
  "/weather/{city}": {"get": {"operationId": "get-weather", "summary": "Current weather of a city",
    "parameters": [
      {"name": "city", "in": "path", "required": true, "description": "the city", "schema": {"type": "string"}},
      {"name": "units", "in": "query", "schema": {"type": "string", "enum": ["metric", "imperial"], "default": "metric"}},
      {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}],
    "responses": {"200": {"description": "ok"}}}},
  "/notes": {"post": {"operationId": "add-note",
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
      "properties": {"text": {"type": "string"}}, "required": ["text"]}}}},
    "responses": {"201": {"description": "created"}}}}}}`

// restCall is one request the weather backend got.
type restCall struct {
	path, query, body string
	header            http.Header
}

type restRecorder struct {
	mu    sync.Mutex
	calls []restCall
}

func (r *restRecorder) last(t *testing.T) restCall {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("the REST backend got no request")
	}
	return r.calls[len(r.calls)-1]
}

// mcpFolder writes an APIOps folder with the weather REST API (key
// required) and MCP server weather-mcp over two of its operations with
// policy as its policy.xml.
func mcpFolder(t *testing.T, policy string) (dir string, rec *restRecorder) {
	t.Helper()
	rec = &restRecorder{}
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.calls = append(rec.calls, restCall{path: r.URL.Path, query: r.URL.RawQuery, body: string(body), header: r.Header.Clone()})
		rec.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/nowhere") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error": "no such city"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"path": "`+r.URL.Path+`", "temp": 21}`)
	})
	dir = t.TempDir()
	writeFile(t, dir, "apis/weather-api/apiInformation.json", `{"properties": {"path": "weather", "serviceUrl": "`+be.URL+`/v1",
  "subscriptionRequired": true, "protocols": []}}`)
	writeFile(t, dir, "apis/weather-api/specification.json", weatherSpec)
	writeFile(t, dir, "apis/weather-api/policy.xml", `<policies><inbound><base/>
  <set-header name="X-Api-Saw-Sub" exists-action="override"><value>@(context.Subscription != null ? context.Subscription.Name : "none")</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "apis/weather-mcp/apiInformation.json", `{"properties": {
  "type": "mcp", "path": "weather-mcp", "subscriptionRequired": false,
  "mcpTools": [
    {"name": "get-weather", "operationId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/weather-api/operations/get-weather", "description": "Weather of a city"},
    {"name": "add-note", "operationId": "/apis/weather-api/operations/add-note", "description": "Adds a note"}]}}`)
	if policy != "" {
		writeFile(t, dir, "apis/weather-mcp/policy.xml", policy)
	}
	return dir, rec
}

// subKeyPolicy is the documented way to give the tools' API its key.
const subKeyPolicy = `<policies><inbound><base/>
  <set-header name="Ocp-Apim-Subscription-Key" exists-action="override"><value>weather-key-SECRET</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`

func weatherSubs(t *testing.T) store.Subscriptions {
	subs := store.NewMemorySubscriptions()
	if err := subs.Put(testCtx(t), &store.Subscription{ID: "weather-sub", Scope: "/apis/weather-api", State: "active",
		PrimaryKeyHash: gateway.HashKey("weather-key-SECRET")}); err != nil {
		t.Fatal(err)
	}
	return subs
}

// headerTransport adds headers to every request of the MCP client.
type headerTransport struct{ h http.Header }

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vv := range t.h {
		r.Header[k] = vv
	}
	return http.DefaultTransport.RoundTrip(r)
}

func connectMCP(t *testing.T, url, transport string, h http.Header) *mcp.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: headerTransport{h}}
	var tr mcp.Transport
	switch transport {
	case "sse":
		tr = &mcp.SSEClientTransport{Endpoint: url + "/sse", HTTPClient: hc}
	default:
		tr = &mcp.StreamableClientTransport{Endpoint: url + "/mcp", HTTPClient: hc, DisableStandaloneSSE: true}
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(testCtx(t), tr, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", transport, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func toolText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestMCPRESTServer: a REST API exposed as an MCP server, over both
// transports, with the official Go SDK's client.
func TestMCPRESTServer(t *testing.T) {
	for _, transport := range []string{"streamable", "sse"} {
		t.Run(transport, func(t *testing.T) {
			dir, rec := mcpFolder(t, subKeyPolicy)
			g := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
			cs := connectMCP(t, g.url+"/weather-mcp", transport, http.Header{
				"Authorization": {"Bearer client-token-SECRET"}, "X-Client": {"c1"}})
			ctx := testCtx(t)

			tools, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(tools.Tools) != 2 {
				t.Fatalf("tools: %d", len(tools.Tools))
			}
			var gw *mcp.Tool
			for _, tl := range tools.Tools {
				if tl.Name == "get-weather" {
					gw = tl
				}
			}
			if gw == nil || gw.Description != "Weather of a city" {
				t.Fatalf("get-weather: %+v", gw)
			}
			schema, _ := json.Marshal(gw.InputSchema)
			var sch struct {
				Type       string                     `json:"type"`
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			}
			if err := json.Unmarshal(schema, &sch); err != nil {
				t.Fatal(err)
			}
			if sch.Type != "object" || len(sch.Properties) != 3 || strings.Join(sch.Required, ",") != "city" ||
				!strings.Contains(string(sch.Properties["units"]), `"enum":["metric","imperial"]`) ||
				!strings.Contains(string(sch.Properties["city"]), `"description":"the city"`) {
				t.Errorf("schema %s", schema)
			}

			// A call: template escaped, query and header from the arguments,
			// the key set by the MCP server's policy, Authorization not passed.
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather",
				Arguments: map[string]any{"city": "New York?#", "units": "imperial", "X-Trace": "t1"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.IsError || !strings.Contains(toolText(t, res), `"temp": 21`) {
				t.Fatalf("result %+v %q", res, toolText(t, res))
			}
			last := rec.last(t)
			if last.path != "/v1/weather/New York?#" || last.query != "units=imperial" {
				t.Errorf("REST call %q ? %q", last.path, last.query)
			}
			if last.header.Get("X-Trace") != "t1" || last.header.Get("X-Client") != "c1" || last.header.Get("X-Api-Saw-Sub") != "weather-sub" {
				t.Errorf("headers %v", last.header)
			}
			if last.header.Get("Authorization") != "" {
				t.Error("Authorization reached the tool's REST API")
			}

			// A 4xx answer is a tool error.
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{"city": "nowhere"}})
			if err != nil {
				t.Fatal(err)
			}
			if !res.IsError || !strings.Contains(toolText(t, res), "HTTP 404") || !strings.Contains(toolText(t, res), "no such city") {
				t.Errorf("404: %+v %q", res, toolText(t, res))
			}

			// A JSON body.
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "add-note", Arguments: map[string]any{"body": map[string]any{"text": "hi"}}})
			if err != nil || res.IsError {
				t.Fatalf("add-note: %v %+v", err, res)
			}
			if last := rec.last(t); last.path != "/v1/notes" || last.body != `{"text":"hi"}` || last.header.Get("Content-Type") != "application/json" {
				t.Errorf("add-note call %+v", last)
			}

			// Arguments that do not fit.
			for _, args := range []map[string]any{{}, {"city": ".."}, {"city": "a/b"}, {"city": "x", "nope": 1}, {"city": "x", "X-Trace": "a\r\nb: c"}} {
				res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-weather", Arguments: args})
				if err != nil {
					t.Fatal(err)
				}
				if !res.IsError {
					t.Errorf("%v: not an error", args)
				}
			}
		})
	}
}

// TestMCPRESTServerNoKey: without the policy's key, the tool's API refuses
// the call (401 as a tool error); the client's own key header reaches it.
func TestMCPRESTServerKeys(t *testing.T) {
	dir, _ := mcpFolder(t, "")
	g := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	cs := connectMCP(t, g.url+"/weather-mcp", "streamable", nil)
	res, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{"city": "Oslo"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(toolText(t, res), "HTTP 401") {
		t.Errorf("no key: %q", toolText(t, res))
	}
	cs = connectMCP(t, g.url+"/weather-mcp", "streamable", http.Header{"Ocp-Apim-Subscription-Key": {"weather-key-SECRET"}})
	res, err = cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "get-weather", Arguments: map[string]any{"city": "Oslo"}})
	if err != nil || res.IsError {
		t.Errorf("the client's key: %v %q", err, toolText(t, res))
	}
}

// mcpPost sends one JSON-RPC message to PATH/mcp as a raw request.
func mcpPost(t *testing.T, url, body string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, vv := range h {
		req.Header[k] = vv
	}
	return do(t, req)
}

const toolsList = `{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}`

// TestMCPRateLimit: the documented rate-limit-by-key policy on the MCP
// server; the sixth request within the period gets HTTP 429.
func TestMCPRateLimit(t *testing.T) {
	dir, _ := mcpFolder(t, `<policies><inbound><base/>
  <rate-limit-by-key calls="5" renewal-period="30" counter-key="@(context.Request.IpAddress)" remaining-calls-variable-name="remainingCallsPerIP" />
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	g := startGateway(t, dir, withSubscriptions("", weatherSubs(t)))
	for i := 1; i <= 6; i++ {
		resp, body := mcpPost(t, g.url+"/weather-mcp/mcp", toolsList, nil)
		want := http.StatusOK
		if i == 6 {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if i < 6 && !strings.Contains(body, "get-weather") {
			t.Fatalf("request %d: %s", i, body)
		}
	}
}

// mcpBackend is an MCP server built with the Go SDK: tool "echo" returns
// its argument and the X-Seen header it got; Streamable HTTP on
// /api/mcp, HTTP+SSE on /sse (its messages on /sse too, as the SDK does).
func mcpBackend(t *testing.T) string {
	t.Helper()
	type echoIn struct {
		Text string `json:"text"`
	}
	newServer := func(r *http.Request) *mcp.Server {
		seen := r.Header.Get("X-Seen")
		s := mcp.NewServer(&mcp.Implementation{Name: "backend", Version: "1"}, nil)
		mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text + "|" + seen}}}, nil, nil
		})
		mcp.AddTool(s, &mcp.Tool{Name: "secret-admin", Description: "not for everyone"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "admin"}}}, nil, nil
		})
		return s
	}
	mux := http.NewServeMux()
	mux.Handle("/api/mcp", mcp.NewStreamableHTTPHandler(newServer, &mcp.StreamableHTTPOptions{Stateless: true}))
	mux.Handle("/sse", mcp.NewSSEHandler(newServer, nil))
	return newHTTPBackend(t, mux.ServeHTTP).URL
}

// TestMCPPassThrough: an existing MCP server behind tollgate, both
// transports, the MCP server's policy on every request.
func TestMCPPassThrough(t *testing.T) {
	be := mcpBackend(t)
	policy := `<policies><inbound><base/>
  <set-header name="X-Seen" exists-action="override"><value>policy</value></set-header>
</inbound><backend><base/></backend><outbound><base/>
  <set-header name="X-Out" exists-action="override"><value>out</value></set-header>
</outbound><on-error><base/></on-error></policies>`
	for _, tc := range []struct {
		name, transport, info string
	}{
		{"streamable-endpoints", "streamable", `"backendId": "mcpbe", "mcpProperties": {"transportType": "streamable", "endpoints": {"mcp": {"uriTemplate": "/api/mcp"}}}`},
		{"streamable-url", "streamable", `"backendId": "mcpurl", "mcpProperties": {"transportType": "streamable"}`},
		{"sse", "sse", `"backendId": "mcpbe", "mcpProperties": {"transportType": "sse", "endpoints": {"sse": {"uriTemplate": "/sse"}}}`},
		{"streamable-selected", "streamable", `"backendId": "mcpbe", "mcpTools": [{"name": "echo"}], "mcpProperties": {"transportType": "streamable", "endpoints": {"mcp": {"uriTemplate": "/api/mcp"}}}`},
		{"sse-selected", "sse", `"backendId": "mcpbe", "mcpTools": [{"name": "echo", "operationId": "x"}], "mcpProperties": {"transportType": "sse", "endpoints": {"sse": {"uriTemplate": "/sse"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "backends/mcpbe/backendInformation.json", `{"properties": {"url": "`+be+`", "protocol": "http"}}`)
			writeFile(t, dir, "backends/mcpurl/backendInformation.json", `{"properties": {"url": "`+be+`/api/mcp", "protocol": "http"}}`)
			writeFile(t, dir, "apis/learn/apiInformation.json", `{"properties": {"type": "mcp", "path": "learn", "subscriptionRequired": false, "serviceUrl": null, `+tc.info+`}}`)
			writeFile(t, dir, "apis/learn/policy.xml", policy)
			g := startGateway(t, dir)
			cs := connectMCP(t, g.url+"/learn", tc.transport, nil)
			ctx := testCtx(t)
			tools, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			selected := strings.HasSuffix(tc.name, "-selected")
			if want := map[bool]int{false: 2, true: 1}[selected]; len(tools.Tools) != want {
				t.Fatalf("tools %d, want %d", len(tools.Tools), want)
			}
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := toolText(t, res); got != "hi|policy" {
				t.Errorf("echo: %q", got)
			}
			// A tool left out of mcpTools is refused by the gateway.
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "secret-admin", Arguments: map[string]any{"text": "hi"}})
			switch {
			case selected && err == nil && !res.IsError:
				t.Errorf("secret-admin called: %q", toolText(t, res))
			case !selected && (err != nil || toolText(t, res) != "admin"):
				t.Errorf("secret-admin: %v", err)
			}
		})
	}
}

// TestMCPPassThroughSSEEndpoint: the backend's endpoint event is pointed at
// the gateway, and the stream is relayed as it comes (the endpoint event
// arrives while the backend holds the stream open).
func TestMCPPassThroughSSEEndpoint(t *testing.T) {
	k := gateway.MCPKeepAlive
	t.Cleanup(func() { gateway.MCPKeepAlive = k }) // after the gateway's shutdown
	gateway.MCPKeepAlive = 20 * time.Millisecond
	gone := make(chan struct{})
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, ": hello\n\nevent: endpoint\ndata: /messages?sessionId=abc\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	})
	dir := t.TempDir()
	writeFile(t, dir, "apis/srv/apiInformation.json", `{"properties": {"type": "mcp", "path": "tools/srv", "subscriptionRequired": false,
  "serviceUrl": "`+be.URL+`/base", "mcpProperties": {"transportType": "sse", "endpoints": {"sse": {"uriTemplate": "/sse"}, "message": {"uriTemplate": "/messages"}}}}}`)
	g := startGateway(t, dir)
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodGet, g.url+"/tools/srv/sse", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got strings.Builder
	buf := make([]byte, 256)
	for !strings.Contains(got.String(), "sessionId=abc\n\n") {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("%v after %q", err, got.String())
		}
	}
	if want := ": hello\n\nevent: endpoint\ndata: /tools/srv/messages?sessionId=abc\n\n"; got.String() != want {
		t.Errorf("stream %q, want %q", got.String(), want)
	}
	// The client goes away while the backend says nothing: a keepalive
	// finds it gone, and the backend's stream is closed.
	resp.Body.Close()
	select {
	case <-gone:
	case <-testCtx(t).Done():
		t.Fatal("the backend's stream outlived its client")
	}
}

// TestMCPAPIXML: MCP servers in tollgate's own layout (api.xml): an
// operation of an api.xml API as a tool, and a pass-through with its
// endpoint, both with the Go SDK's client.
func TestMCPAPIXML(t *testing.T) {
	rest := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "item "+r.URL.Path+" "+r.Header.Get("X-Flavour"))
	})
	be := mcpBackend(t)
	dir := t.TempDir()
	writeFile(t, dir, "items/api.xml", `<api name="items" type="http" path="/items" service-url="`+rest.URL+`">
  <operations><operation id="get-item" method="GET" url-template="/{id}"/></operations>
</api>`)
	writeFile(t, dir, "items-mcp/api.xml", `<api name="items-mcp" type="mcp" path="/items-mcp" idle-timeout="60" allowed-origins="app.example.com">
  <mcp-tool name="get-item" operation="items/get-item" description="One item"/>
</api>`)
	writeFile(t, dir, "items-mcp/policy.xml", `<policies><inbound><base/><set-header name="X-Flavour" exists-action="override"><value>mint</value></set-header></inbound>
<backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "passthru/api.xml", `<api name="passthru" type="mcp" path="/passthru" service-url="`+be+`" mcp-transport="streamable" mcp-endpoint="/api/mcp"/>`)
	g := startGateway(t, dir)
	ctx := testCtx(t)

	cs := connectMCP(t, g.url+"/items-mcp", "streamable", nil)
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-item", Arguments: map[string]any{"id": "7"}})
	if err != nil || res.IsError || toolText(t, res) != "item /7 mint" {
		t.Fatalf("get-item: %v %q", err, toolText(t, res))
	}
	resp, _ := mcpPost(t, g.url+"/items-mcp/mcp", toolsList, http.Header{"Origin": {"https://app.example.com"}})
	if resp.StatusCode != 200 {
		t.Errorf("an allowed origin: %d", resp.StatusCode)
	}

	cs = connectMCP(t, g.url+"/passthru", "streamable", nil)
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	if err != nil || toolText(t, res) != "x|" {
		t.Fatalf("echo: %v %q", err, toolText(t, res))
	}
}

// TestMCPToolOverWildcardOperation: an MCP tool over APIM's wildcard
// operation (an API at /store with GET /*, as APIM's import makes for an
// app without an OpenAPI document) reaches every path below the API with
// the argument "rest", as a client's GET /store/customer/1 does.
func TestMCPToolOverWildcardOperation(t *testing.T) {
	rec := &restRecorder{}
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.calls = append(rec.calls, restCall{path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone()})
		rec.mu.Unlock()
		_, _ = io.WriteString(w, "store "+r.URL.Path)
	})
	dir := t.TempDir()
	writeFile(t, dir, "apis/store/apiInformation.json", `{"properties": {"path": "store", "serviceUrl": "`+be.URL+`/app", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/store/specification.yaml", "openapi: 3.0.1\ninfo: {title: Store, version: '1.0'}\npaths:\n  /*:\n    get:\n      summary: Wildcard GET\n      operationId: get-any\n      responses:\n        '200': {description: ''}\n")
	writeFile(t, dir, "apis/store-mcp/apiInformation.json", `{"properties": {"type": "mcp", "path": "store-mcp", "subscriptionRequired": false,
  "mcpTools": [{"name": "get-any", "operationId": "/apis/store/operations/get-any"}]}}`)
	g := startGateway(t, dir)
	cs := connectMCP(t, g.url+"/store-mcp", "streamable", nil)
	ctx := testCtx(t)
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 1 {
		t.Fatalf("tools: %+v %v", tools, err)
	}
	schema, _ := json.Marshal(tools.Tools[0].InputSchema)
	if !strings.Contains(string(schema), `"rest":{`) || strings.Contains(string(schema), `"required"`) {
		t.Errorf("schema %s: want an optional argument rest", schema)
	}
	for _, tc := range []struct {
		args map[string]any
		want string // the backend's path, or the tool's error
	}{
		{map[string]any{"rest": "customer/1"}, "/app/customer/1"},
		{map[string]any{"rest": "customers"}, "/app/customers"},
		{map[string]any{}, "/app/"},
		{map[string]any{"rest": "../admin"}, `argument "rest" must be path segments separated by '/'`},
	} {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get-any", Arguments: tc.args})
		if err != nil {
			t.Fatal(err)
		}
		text := toolText(t, res)
		if !strings.HasPrefix(tc.want, "/") {
			if !res.IsError || !strings.Contains(text, tc.want) {
				t.Errorf("%v: %v %q, want the error %q", tc.args, res.IsError, text, tc.want)
			}
			continue
		}
		if res.IsError || text != "store "+tc.want || rec.last(t).path != tc.want {
			t.Errorf("%v: %v %q, want the backend to see %s", tc.args, res.IsError, text, tc.want)
		}
	}
}
