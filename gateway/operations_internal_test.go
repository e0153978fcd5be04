package gateway

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"tollgate/engine"
)

func newTestRouter(t testing.TB, ops ...[3]string) *opRouter {
	t.Helper()
	r := &opRouter{}
	for _, o := range ops {
		tpl, err := parseTemplate(o[2])
		if err != nil {
			t.Fatalf("parseTemplate(%q): %v", o[2], err)
		}
		if err := r.add(&Operation{Info: &engine.Operation{Id: o[0], Method: o[1], UrlTemplate: o[2]}, tpl: tpl}); err != nil {
			t.Fatalf("add %v: %v", o, err)
		}
	}
	return r
}

func TestOperationMatching(t *testing.T) {
	r := newTestRouter(t,
		[3]string{"list-users", "GET", "/users"},
		[3]string{"create-user", "POST", "/users"},
		[3]string{"get-user", "GET", "/users/{id}"},
		[3]string{"me", "GET", "/users/me"},
		[3]string{"delete-user", "DELETE", "/users/{id}"},
		[3]string{"user-json", "GET", "/users/{id}.json"},
		[3]string{"user-orders", "GET", "/users/{userId}/orders/{orderId}"}, // another name at {id}'s place
		[3]string{"files", "GET", "/files/{*path}"},
		[3]string{"root", "GET", "/"},
		[3]string{"version", "GET", "/v{version}/status"},
		[3]string{"search", "GET", "/search?q={q}"},
		[3]string{"any", "*", "/any"},
		// Operations told apart by their query (APIM discriminates
		// operations by path and query parameters).
		[3]string{"find", "GET", "/find"},
		[3]string{"find-by-name", "GET", "/find?name={name}"},
		[3]string{"find-by-name-age", "GET", "/find?name={n}&age={age}"},
		[3]string{"find-v2", "GET", "/find?api-version=2&name={name2}"},
		[3]string{"item-op", "POST", "/items/{id}?op=archive"},
		[3]string{"item-any", "*", "/items/{id}?op={op}"},
		[3]string{"tree", "GET", "/tree/{*rest}?depth={depth}"},
	)
	tests := []struct {
		method, path string
		op           string // "" = no match
		params       map[string]string
	}{
		{"GET", "/users", "list-users", nil},
		{"GET", "/users/", "list-users", nil}, // trailing slash ignored
		{"POST", "/users", "create-user", nil},
		{"PUT", "/users", "", nil}, // path known, method not: APIM's 404
		{"GET", "/users/42", "get-user", map[string]string{"id": "42"}},
		{"GET", "/users/42/", "get-user", map[string]string{"id": "42"}},
		{"DELETE", "/users/42", "delete-user", map[string]string{"id": "42"}},
		{"GET", "/users/me", "me", nil},                                       // literal before parameter
		{"DELETE", "/users/me", "delete-user", map[string]string{"id": "me"}}, // falls back to the parameter for another method
		{"GET", "/users/42.json", "user-json", map[string]string{"id": "42"}}, // fixed text wins over a bare parameter
		{"GET", "/users/a%2Fb", "get-user", map[string]string{"id": "a/b"}},   // an encoded slash stays in its segment
		{"GET", "/users/caf%C3%A9", "get-user", map[string]string{"id": "café"}},
		{"GET", "/users/%zz", "", nil}, // bad escape
		{"GET", "/users/7/orders/9", "user-orders", map[string]string{"userId": "7", "orderId": "9"}},
		{"GET", "/users/7/orders", "", nil},
		{"GET", "/users//orders/9", "", nil}, // empty segment
		{"GET", "/files/a/b/c.txt", "files", map[string]string{"path": "a/b/c.txt"}},
		{"GET", "/files/", "files", map[string]string{"path": ""}},
		{"GET", "/files", "files", map[string]string{"path": ""}},
		{"GET", "/files/x%20y", "files", map[string]string{"path": "x y"}},
		{"GET", "/", "root", nil},
		{"GET", "", "root", nil},
		{"GET", "/v2/status", "version", map[string]string{"version": "2"}},
		{"GET", "/v/status", "", nil}, // a parameter is never empty
		{"GET", "/search", "", nil},   // a query template parameter is required
		{"GET", "/search?q=go", "search", map[string]string{"q": "go"}},
		{"GET", "/search?x=1&q=a%20b&q=c", "search", map[string]string{"q": "a b"}}, // the first value, unescaped; other parameters do not matter
		{"GET", "/search?q=", "search", map[string]string{"q": ""}},                 // present, if empty
		{"GET", "/search?q", "search", map[string]string{"q": ""}},
		{"GET", "/search?Q=go", "", nil},  // names are case-sensitive
		{"GET", "/search?q=%zz", "", nil}, // a value that cannot be read
		{"GET", "/search?%71=go", "search", map[string]string{"q": "go"}},
		{"POST", "/search?q=go", "", nil},
		{"GET", "/find", "find", nil},
		{"GET", "/find?other=1", "find", nil},
		{"GET", "/find?name=ann", "find-by-name", map[string]string{"name": "ann"}},
		{"GET", "/find?age=3&name=ann", "find-by-name-age", map[string]string{"n": "ann", "age": "3"}}, // more query parameters win
		{"GET", "/find?name=ann&api-version=2", "find-v2", map[string]string{"name2": "ann"}},
		{"GET", "/find?name=ann&api-version=3", "find-by-name", map[string]string{"name": "ann"}}, // a literal must be equal
		{"POST", "/items/7?op=archive", "item-op", map[string]string{"id": "7"}},
		{"POST", "/items/7?op=restore", "item-any", map[string]string{"id": "7", "op": "restore"}}, // the method before "*"
		{"DELETE", "/items/7?op=archive", "item-any", map[string]string{"id": "7", "op": "archive"}},
		{"DELETE", "/items/7", "", nil},
		{"GET", "/tree/a/b?depth=2", "tree", map[string]string{"rest": "a/b", "depth": "2"}},
		{"GET", "/tree?depth=2", "tree", map[string]string{"rest": "", "depth": "2"}},
		{"GET", "/tree/a", "", nil},
		{"PATCH", "/any", "any", nil},
		{"GET", "/USERS", "", nil}, // literals are case-sensitive
		{"GET", "/nothing", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			path, query, _ := strings.Cut(tc.path, "?")
			op, params := r.match(tc.method, path, query)
			got := ""
			if op != nil {
				got = op.Info.Id
			}
			if got != tc.op {
				t.Fatalf("matched %q, want %q", got, tc.op)
			}
			if !maps.Equal(params, tc.params) {
				t.Fatalf("params %v, want %v", params, tc.params)
			}
		})
	}
}

// TestWildcardOperation: APIM's wildcard operation, URL template "/*",
// which its import makes for an app without an OpenAPI document and real
// extracts hold. APIM's example (an API at /store with GET /*): GET
// /store/customer/1 and GET /store/customers both reach it. A more
// specific template still wins; other methods do not match; * anywhere
// but the last segment stays a literal.
func TestWildcardOperation(t *testing.T) {
	r := newTestRouter(t,
		[3]string{"get-wildcard", "GET", "/*"},
		[3]string{"post-wildcard", "POST", "/*"},
		[3]string{"customer", "GET", "/customer/{id}"},
		[3]string{"files", "PUT", "/files/*"},
		[3]string{"star", "GET", "/a/*/b"},
	)
	for _, tc := range []struct{ method, path, op string }{
		{"GET", "/customer/1/orders", "get-wildcard"},
		{"GET", "/customers", "get-wildcard"},
		{"GET", "/", "get-wildcard"}, // tollgate's choice: as {*rest}, an empty rest too
		{"GET", "", "get-wildcard"},
		{"POST", "/customers", "post-wildcard"},
		{"DELETE", "/customers", ""},
		{"GET", "/customer/1", "customer"}, // the more specific template
		{"PUT", "/files/a/b.txt", "files"},
		{"PUT", "/files", "files"},
		{"PUT", "/other", ""},
		{"GET", "/a/*/b", "star"},
		{"GET", "/a/x/b", "get-wildcard"},
	} {
		op, params := r.match(tc.method, tc.path, "")
		got := ""
		if op != nil {
			got = op.Info.Id
		}
		if got != tc.op || got != "customer" && len(params) != 0 {
			t.Errorf("%s %s: matched %q %v, want %q (and no parameters from *)", tc.method, tc.path, got, params, tc.op)
		}
	}
	// "/*" and "/{*rest}" are one template: the same method twice is an error.
	tpl, _ := parseTemplate("/{*rest}")
	if err := r.add(&Operation{Info: &engine.Operation{Id: "dup", Method: "GET", UrlTemplate: "/{*rest}"}, tpl: tpl}); err == nil {
		t.Error("GET /{*rest} next to GET /* was accepted")
	}
}

func TestOperationTemplateErrors(t *testing.T) {
	for _, tc := range []struct{ tpl, want string }{
		{"users", "must start with '/'"},
		{"/users/{id", "must hold one {parameter}"},
		{"/users/{a}{b}", "must hold one {parameter}"},
		{"/users/{}", "bad parameter name"},
		{"/a/{id}/b/{id}", "is used twice"},
		{"/files/{*rest}/x", "must be the whole last segment"},
		{"/users/x}", "has '}' without '{'"},
		{"/users/{id}?ID={ID}", "is used twice"}, // unique without regard to case, path and query
		{"/users/{Id}/x/{id}", "is used twice"},
		{"/s?q={q}&q={r}", "is named twice"},
		{"/s?q", "must be name={parameter} or name=value"},
		{"/s?q={q}&&r={r}", "must be name={parameter} or name=value"},
		{"/s?=1", "must be name={parameter} or name=value"},
		{"/s?q=a{b}", "must be name={parameter} or name=value"},
		{"/s?q={}", "bad parameter name"},
		{"/s?q={*q}", "bad parameter name"},
		{"/s?q=%zz", "invalid URL escape"},
		{"/s?%zz=1", "bad query parameter name"},
	} {
		if _, err := parseTemplate(tc.tpl); err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("parseTemplate(%q) = %v, want an error with %q", tc.tpl, err, tc.want)
		}
	}
	r := newTestRouter(t, [3]string{"a", "GET", "/users/{id}"}, [3]string{"q", "GET", "/s?b={b}&a=1"})
	for _, tc := range []struct{ method, tpl, want string }{
		{"GET", "/users/{id}", "same method and URL template"},
		{"GET", "/s?a=1&b={other}", "same method and URL template"}, // the query part in another order, another name
	} {
		tpl, _ := parseTemplate(tc.tpl)
		err := r.add(&Operation{Info: &engine.Operation{Id: "b", Method: tc.method}, tpl: tpl})
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("add %s %s = %v, want %q", tc.method, tc.tpl, err, tc.want)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func FuzzURLTemplate(f *testing.F) {
	for _, s := range []string{"/users/{id}", "/files/{*rest}", "/v{v}/x", "/{a}.{b}", "/a//b", "/%zz", "/{*}",
		"/s?q={q}", "/s?a=1&b={b}", "/{*r}?x={x}", "/s?%zz=1", "/s?q={Q}&Q={q}", "/*", "/files/*", "/a/*/b", "/*?q={q}"} {
		f.Add(s, "/users/1")
		f.Add(s, "/s?q=1&a=1&b=%20")
	}
	f.Fuzz(func(t *testing.T, tpl, path string) {
		parsed, err := parseTemplate(tpl)
		if err != nil {
			return
		}
		r := &opRouter{}
		if err := r.add(&Operation{Info: &engine.Operation{Id: "x", Method: "GET", UrlTemplate: tpl}, tpl: parsed}); err != nil {
			return
		}
		p, q, _ := strings.Cut(path, "?")
		op, params := r.match("GET", p, q) // must not panic
		if op != nil && len(params) != len(parsed.segs)-literals(parsed)+len(parsed.query)-queryLiterals(parsed)+wildCount(parsed) {
			t.Fatalf("params %v for %q", params, tpl)
		}
	})
}

// BenchmarkOperationMatch500 matches against an API of 500 operations
// (100 resources x GET list, GET/PUT/DELETE item, GET sub-item).
func BenchmarkOperationMatch500(b *testing.B) {
	var ops [][3]string
	for i := 0; i < 100; i++ {
		res := fmt.Sprintf("/resource%d", i)
		ops = append(ops,
			[3]string{fmt.Sprintf("list%d", i), "GET", res},
			[3]string{fmt.Sprintf("get%d", i), "GET", res + "/{id}"},
			[3]string{fmt.Sprintf("put%d", i), "PUT", res + "/{id}"},
			[3]string{fmt.Sprintf("del%d", i), "DELETE", res + "/{id}"},
			[3]string{fmt.Sprintf("sub%d", i), "GET", res + "/{id}/items/{itemId}"},
		)
	}
	r := newTestRouter(b, ops...)
	if r.n != 500 {
		b.Fatalf("%d operations", r.n)
	}
	for _, c := range []struct{ name, method, path string }{
		{"literal", "GET", "/resource77"},
		{"param", "PUT", "/resource77/12345"},
		{"two-params", "GET", "/resource99/abc/items/def"},
		{"miss", "GET", "/resource77/1/nope"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.match(c.method, c.path, "")
			}
		})
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add("specification.yaml", []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      operationId: x\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n"))
	f.Add("specification.json", []byte(`{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}`))
	f.Add("specification.json", []byte(`{"openapi": "3.0.0",`))
	f.Add("specification.yaml", []byte("openapi: [\n"))
	f.Add("specification.yaml", []byte("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\nx-ms-paths:\n  /a?op=b:\n    get:\n      parameters: [{name: q, in: query, required: true, type: string}]\n      responses: {'200': {description: ok}}\n"))
	f.Add("specification.yaml", []byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\nx-ms-paths:\n  /a?op=b:\n    get:\n      parameters: [{$ref: '#/components/parameters/q'}]\n      responses: {'200': {description: ok}}\ncomponents:\n  parameters:\n    q: {name: q, in: query, required: true, schema: {type: string}}\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		opt := specOptions{queryAsQuery: strings.HasSuffix(name, "q")}
		if !strings.HasPrefix(name, "specification.json") {
			name = "specification.yaml"
		} else {
			name = "specification.json"
		}
		var errs engine.ErrorList
		ops := parseSpec(name, data, opt, &errs)
		for _, e := range errs {
			if e.Pos.File != name || e.Pos.Line < 1 {
				t.Fatalf("error without file:line: %v", e)
			}
		}
		ids := map[string]bool{}
		for _, op := range ops {
			if op.id == "" || op.method == "" || ids[op.id] || len(op.id) > 80 {
				t.Fatalf("operation without a unique id of at most 80 characters, or without a method: %+v", op)
			}
			ids[op.id] = true
		}
	})
}

func literals(t urlTemplate) int {
	n := 0
	for _, s := range t.segs {
		if s.param == "" {
			n++
		}
	}
	return n
}

func queryLiterals(t urlTemplate) int {
	n := 0
	for _, q := range t.query {
		if q.param == "" {
			n++
		}
	}
	return n
}

func wildCount(t urlTemplate) int {
	if t.wild != "" {
		return 1
	}
	return 0
}

// BenchmarkOperationMatchQuery: a path where operations differ by their
// query part (the query is read only there).
func BenchmarkOperationMatchQuery(b *testing.B) {
	r := newTestRouter(b,
		[3]string{"list", "GET", "/jobs"},
		[3]string{"running", "GET", "/jobs?op=running"},
		[3]string{"by-owner", "GET", "/jobs?op=byOwner&owner={owner}"},
		[3]string{"search", "GET", "/search?q={q}"},
	)
	for _, c := range []struct{ name, path, query string }{
		{"literal-query", "/jobs", "x=1&op=running"},
		{"param-query", "/jobs", "op=byOwner&owner=ann"},
		{"no-query", "/jobs", ""},
		{"one-param", "/search", "q=go"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.match("GET", c.path, c.query)
			}
		})
	}
}
