package gateway

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"tollgate/engine"
)

// fuzzTool is a tool over an operation with every kind of parameter.
func fuzzTool(t testing.TB, tpl, method string) *mcpTool {
	tp, err := parseTemplate(tpl)
	if err != nil {
		t.Fatal(err)
	}
	op := &Operation{Info: &engine.Operation{Id: "op", Name: "op", Method: method, UrlTemplate: tpl}, tpl: tp}
	tool := &mcpTool{decl: &mcpToolDecl{Name: "op"}, api: &API{Name: "a", Path: "/a"}, op: op}
	tool.build()
	return tool
}

// TestMCPToolQueryTemplate: a tool over an operation whose template has a
// query part sends what the template asks for: each parameter under its
// query name, and the literal values, so the request matches that
// operation again.
func TestMCPToolQueryTemplate(t *testing.T) {
	tool := fuzzTool(t, "/jobs?op=byOwner&owner={who}", "GET")
	r, err := tool.request(json.RawMessage(`{"who": "ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.query.Encode(); got != "op=byOwner&owner=ann" {
		t.Errorf("query %q", got)
	}
	if op, params := (&opRouter{}).match("GET", "/jobs", r.query.Encode()); op != nil || params != nil {
		t.Fatal("an empty router matched")
	}
	rt := &opRouter{}
	if err := rt.add(tool.op); err != nil {
		t.Fatal(err)
	}
	if op, params := rt.match("GET", r.path, r.query.Encode()); op != tool.op || params["who"] != "ann" {
		t.Errorf("the tool's request matched %v %v", op, params)
	}
	if _, err := tool.request(json.RawMessage(`{}`)); err == nil || !strings.Contains(err.Error(), `"who" is required`) {
		t.Errorf("without the argument: %v", err)
	}
}

// FuzzMCPToolRequest: whatever the arguments, a tool's request stays one
// request of its operation: its path has the template's segments (no
// value adds one, climbs or escapes), its header values are valid.
func FuzzMCPToolRequest(f *testing.F) {
	f.Add(`{"id": "1", "rest": "x/y", "q": "v", "body": {"a": 1}}`)
	f.Add(`{"id": "..", "rest": "a"}`)
	f.Add(`{"id": "a%2Fb", "rest": "a/../../b"}`)
	f.Add(`{"id": ["x"], "rest": "", "q": [1, "2", null]}`)
	f.Add(`[[[[[[[[[[]]]]]]]]]]`)
	f.Add(`{"id": "\u0000", "rest": "\r\n"}`)
	f.Add(`{"id": "a\u007f", "ver": "1", "rest": "x", "q": "1"}`)
	f.Fuzz(func(t *testing.T, args string) {
		tool := fuzzTool(t, "/items/{id}/v{ver}/{*rest}?q={q}", "POST")
		r, err := tool.request(json.RawMessage(args))
		if err != nil {
			return
		}
		norm := checkToolPath(t, r.path)
		if !strings.HasPrefix(norm, "/a/items/") {
			t.Fatalf("path %q left the operation: %q", r.path, norm)
		}
		if strings.Count(norm, "/") < 4 {
			t.Fatalf("path %q lost segments: %q", r.path, norm)
		}
	})
}

// checkToolPath checks that a tool's request path, under an API at /a, is a
// URL path that normalises and has no dot segment; it returns the
// normalised path.
func checkToolPath(t *testing.T, path string) string {
	t.Helper()
	u, err := url.Parse("http://h/a" + path)
	if err != nil {
		t.Fatalf("path %q: %v", path, err)
	}
	norm, err := normalizePath(u.EscapedPath())
	if err != nil {
		t.Fatalf("path %q does not normalise: %v", path, err)
	}
	for _, p := range strings.Split(u.EscapedPath(), "/") {
		if p == "." || p == ".." {
			t.Fatalf("dot segment in %q", path)
		}
	}
	return norm
}

// FuzzMCPProperties: mcpProperties and mcpTools of any shape load or are
// reported, never panic, and a loaded server's endpoints are paths.
func FuzzMCPProperties(f *testing.F) {
	f.Add(`{"transportType": "sse", "endpoints": {"sse": {"uriTemplate": "/sse"}, "message": {"uriTemplate": "/m"}}}`, `[{"name": "a", "operationId": "/apis/x/operations/y"}]`)
	f.Add(`{"transportType": "streamable", "endpoints": {"mcp": {"uriTemplate": "/api/mcp"}}}`, `null`)
	f.Add(`{"endpoints": [1]}`, `[{"name": 1}]`)
	f.Add(`null`, `{}`)
	f.Fuzz(func(t *testing.T, props, tools string) {
		data := []byte(`{"properties": {"type": "mcp", "path": "p", "backendId": "b", "mcpProperties": ` + props + `, "mcpTools": ` + tools + `}}`)
		if !json.Valid(data) {
			return
		}
		var info resourceInfo
		if json.Unmarshal(data, &info) != nil {
			return
		}
		var errs engine.ErrorList
		var notes []string
		api := &API{Name: "p", Type: "mcp", Path: "/p"}
		at := func(k string) engine.Pos { return jsonKeyPos("f.json", data, k) }
		str := func(k string) string {
			var s string
			_ = json.Unmarshal(info.Properties[k], &s)
			return s
		}
		parseMCPInformation(api, apiSource{file: "f.json", data: data}, info.Properties, str, at, &errs, &notes)
		if len(errs) > 0 {
			return
		}
		for name, p := range api.mcp.endpoints {
			if p != "" && !strings.HasPrefix(p, "/") {
				t.Fatalf("endpoint %s: %q", name, p)
			}
		}
		for _, ep := range []string{"mcp", "sse", "messages"} {
			_ = api.mcp.backendPath("/" + ep)
		}
	})
}

func TestMCPToolSchemaWithoutSpec(t *testing.T) {
	tool := fuzzTool(t, "/items/{id}", "PUT")
	if got := string(tool.schema); !strings.Contains(got, `"required":["id"]`) || !strings.Contains(got, `"body"`) {
		t.Errorf("schema %s", got)
	}
	r, err := tool.request(json.RawMessage(`{"id": "a b", "body": "plain"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.path != "/items/a%20b" || string(r.body) != "plain" || r.contentType != "text/plain; charset=utf-8" {
		t.Errorf("%+v", r)
	}
}

// FuzzMCPToolFilter: a pass-through server's tool selection never lets an
// unlisted tool through a tools/list answer, whatever its shape, and never
// panics.
func FuzzMCPToolFilter(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":"admin"}]}}`)
	f.Add(`[{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"admin"}]}},{"id":2,"result":{}}]`)
	f.Add(`{"result":{"tools":"x"}}`)
	f.Fuzz(func(t *testing.T, msg string) {
		allowed := map[string]bool{"echo": true}
		out := filterToolLists([]byte(msg), allowed)
		_ = filterEvent([]byte("event: message\ndata: "+msg+"\n\n"), allowed)
		var m struct {
			Result struct {
				Tools []struct {
					Name string `json:"name"`
				} `json:"tools"`
			} `json:"result"`
		}
		if json.Unmarshal(out, &m) == nil {
			for _, tl := range m.Result.Tools {
				if tl.Name != "echo" && strings.Contains(msg, `"tools"`) && !strings.Contains(msg, `\`) {
					t.Fatalf("%q let through in %s", tl.Name, out)
				}
			}
		}
	})
}

// TestMCPPlausibleID: the session ids sent to the store as part of a key.
func TestMCPPlausibleID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"6JAJROZ47GEYL33G6ZTNEU24D7", true}, // the SDK's (rand.Text)
		{"a-b_c.d~e", true},
		{strings.Repeat("A", 128), true},
		{"", false},
		{strings.Repeat("A", 129), false},
		{"a|b", false}, // the key's separator
		{"a b", false},
		{"a\x00b", false},
		{"a\r\nb", false},
		{"ä", false},
	} {
		if got := mcpPlausibleID(tc.id); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.id, got, tc.want)
		}
	}
}

// FuzzEndpointSessionID: the SDK's endpoint event gives back its session
// id; any other first write gives an id that is checked (mcpPlausibleID)
// before use, or none, and never panics.
func FuzzEndpointSessionID(f *testing.F) {
	f.Add([]byte("event: endpoint\ndata: /weather-mcp/messages?sessionid=6JAJROZ47GEYL33G6ZTNEU24D7\n\n"), "6JAJROZ47GEYL33G6ZTNEU24D7")
	f.Add([]byte("event: endpoint\r\ndata: /x?sessionid=a&sessionid=b\r\n\r\n"), "")
	f.Add([]byte("event: message\ndata: {}\n\n"), "X")
	f.Add([]byte("no server available\n"), "")
	f.Add([]byte("event: endpoint\ndata: %zz?sessionid=\n\n"), "%")
	f.Fuzz(func(t *testing.T, ev []byte, id string) {
		_ = endpointSessionID(ev)
		if !mcpPlausibleID(id) {
			return
		}
		sdk := []byte("event: endpoint\ndata: /p/messages?sessionid=" + id + "\n\n")
		if got := endpointSessionID(sdk); got != id {
			t.Fatalf("the SDK's event for %q gave %q", id, got)
		}
	})
}

// TestMCPToolWildcardOperation: a tool over APIM's wildcard operation
// ("GET /*", whose * names no parameter) takes the rest of the path in the
// optional argument "rest" (another name when a template parameter has
// it), each of its segments checked, and its request matches the
// operation again with that rest.
func TestMCPToolWildcardOperation(t *testing.T) {
	for _, tc := range []struct {
		tpl, args string
		arg       string // the rest's argument
		want      string // the request's path, or the error
	}{
		{"/*", `{"rest": "customer/1"}`, "rest", "/customer/1"},
		{"/*", `{"rest": "customers"}`, "rest", "/customers"},
		{"/*", `{}`, "rest", "/"},
		{"/*", `{"rest": ""}`, "rest", "/"},
		{"/*", `{"rest": "a b/ü"}`, "rest", "/a%20b/%C3%BC"},
		{"/items/*", `{"rest": "x/y"}`, "rest", "/items/x/y"},
		{"/items/*", `{}`, "rest", "/items"},
		{"/{rest}/*", `{"rest": "r", "rest2": "x"}`, "rest2", "/r/x"},
		{"/*", `{"rest": "a/../b"}`, "rest", `argument "rest" must be path segments separated by '/'`},
		{"/*", `{"rest": "/a"}`, "rest", `argument "rest" must be path segments separated by '/'`},
		{"/*", `{"rest": "a//b"}`, "rest", `argument "rest" must be path segments separated by '/'`},
		{"/*", `{"rest": "a\\b"}`, "rest", `argument "rest" must be path segments separated by '/'`},
		{"/*", `{"path": "x"}`, "rest", `unknown argument(s) "path"`},
		{"/*", `{"rest": "a/b\u007f"}`, "rest", `argument "rest" must not hold a control character`},
		{"/{id}/*", `{"id": "\u0001"}`, "rest", `argument "id" must not hold a control character`},
		{"/files/{*tail}", `{"tail": ""}`, "", `argument "tail" must be path segments separated by '/'`},
		{"/files/{*tail}", `{"tail": "a/b"}`, "", "/files/a/b"},
	} {
		t.Run(tc.tpl+" "+tc.args, func(t *testing.T) {
			tool := fuzzTool(t, tc.tpl, "GET")
			if tool.restArg != tc.arg {
				t.Errorf("the rest's argument is %q, want %q", tool.restArg, tc.arg)
			}
			if tc.arg != "" {
				var schema struct {
					Properties map[string]map[string]any
					Required   []string
				}
				if err := json.Unmarshal(tool.schema, &schema); err != nil || schema.Properties[tc.arg]["type"] != "string" || slices.Contains(schema.Required, tc.arg) {
					t.Errorf("schema %s: want an optional string %q", tool.schema, tc.arg)
				}
			}
			r, err := tool.request(json.RawMessage(tc.args))
			if !strings.HasPrefix(tc.want, "/") {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %+v, %v; want the error %q", r, err, tc.want)
				}
				return
			}
			if err != nil || r.path != tc.want {
				t.Fatalf("got %+v, %v; want the path %s", r, err, tc.want)
			}
			rt := &opRouter{}
			if err := rt.add(tool.op); err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse("http://h" + r.path)
			if op, _ := rt.match("GET", u.Path, ""); op != tool.op {
				t.Errorf("the request %s does not match its operation %s", r.path, tc.tpl)
			}
		})
	}
}

// FuzzMCPWildcardToolRequest: whatever the arguments, a tool over the
// wildcard operation "/items/*" requests a path below /a/items, without
// dot segments.
func FuzzMCPWildcardToolRequest(f *testing.F) {
	f.Add(`{"rest": "x/y"}`)
	f.Add(`{"rest": "../../etc"}`)
	f.Add(`{"rest": "a%2F..%2Fb"}`)
	f.Add(`{"rest": "/"}`)
	f.Add(`{"rest": ["x"]}`)
	f.Add(`{"rest": 7}`)
	f.Fuzz(func(t *testing.T, args string) {
		tool := fuzzTool(t, "/items/*", "GET")
		r, err := tool.request(json.RawMessage(args))
		if err != nil {
			return
		}
		if norm := checkToolPath(t, r.path); norm != "/a/items" && !strings.HasPrefix(norm, "/a/items/") {
			t.Fatalf("path %q left the operation: %q", r.path, norm)
		}
	})
}
