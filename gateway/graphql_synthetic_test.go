package gateway_test

import (
	"encoding/json"

	"fmt"
	"github.com/coder/websocket"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// The blog schema of APIM's configure-graphql-resolver page (its string
// types written String, as GraphQL spells them), with a users query and a
// mutation from the http-data-source page.
const blogSchema = `type Comment {
    id: ID!
    owner: String!
    content: String!
}
type Blog {
    id: ID!
    title: String!
    content: String!
    comments: [Comment]!
    comment(id: ID!): Comment
}
type User {
    id: String!
    name: String!
}
type Query {
    getBlog(id: ID!): Blog
    getComment(id: Int): Comment
    users: [User]
    slow: String
    broken: String
    text: String
    notJSON: [User]
    missing: String!
    secret: String
}
type Mutation {
    makeUser(name: String!): User
}
`

// blogBackend is the REST API the resolvers call.
func blogBackend(t *testing.T, release chan struct{}) *restBackend {
	var rb *restBackend
	rb = newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/blog/1":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":1,"title":"Hello","content":"First post"}`)
		case r.URL.Path == "/api/blog/1/comments":
			fmt.Fprint(w, `[{"id":"c1","owner":"ada","content":"nice"},{"id":"c2","owner":"bob","content":"meh"}]`)
		case strings.HasPrefix(r.URL.Path, "/api/comment/"):
			fmt.Fprintf(w, `{"id":%q,"owner":"ada","content":"comment %s"}`, strings.TrimPrefix(r.URL.Path, "/api/comment/"), strings.TrimPrefix(r.URL.Path, "/api/comment/"))
		case r.URL.Path == "/users":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"id":"1","username":"ada"},{"id":"2","username":"bob"}]`)
		case r.URL.Path == "/user/create":
			var in map[string]string
			json.Unmarshal(rb.last.Load().body, &in) // newRESTBackend read it
			fmt.Fprintf(w, `{"id":"7","name":%q}`, in["name"])
		case r.URL.Path == "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case r.URL.Path == "/broken":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":"db down"}`)
		case r.URL.Path == "/text":
			fmt.Fprint(w, "plain words")
		case r.URL.Path == "/notjson":
			fmt.Fprint(w, "<users/>")
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	return rb
}

func writeResolver(t *testing.T, dir, api, coord, url, extra string) {
	t.Helper()
	writeFile(t, dir, api+"/resolvers/"+coord+".xml", `<http-data-source>
    <http-request>
        <set-method>GET</set-method>
        <set-url>`+url+`</set-url>
    </http-request>`+extra+`
</http-data-source>`)
}

func blogGateway(t *testing.T, be string, apiAttrs, policy string) *testGateway {
	dir := t.TempDir()
	writeAPI(t, dir, "blog", `type="graphql" path="/blog" resolver-timeout="1" `+apiAttrs, policy)
	writeFile(t, dir, "blog/schema.graphql", blogSchema)
	writeResolver(t, dir, "blog", "Query.getBlog", `@($"`+be+`/api/blog/{context.GraphQL.Arguments["id"]}")`, "")
	// configure-graphql-resolver's Parent example, against the test backend.
	writeResolver(t, dir, "blog", "Blog.comments", `@($"`+be+`/api/blog/{context.GraphQL.Parent["id"]}/comments")`, "")
	writeResolver(t, dir, "blog", "Query.getComment", `@($"`+be+`/api/comment/{context.GraphQL.Arguments["id"]}")`, "")
	writeResolver(t, dir, "blog", "Query.users", be+"/users", `
    <http-response>
        <set-body template="liquid">
            [
                {% JSONArrayFor elem in body %}
                    {
                        "id": "{{elem.id}}",
                        "name": "{{elem.username}}"
                    }
                {% endJSONArrayFor %}
            ]
        </set-body>
    </http-response>`)
	writeResolver(t, dir, "blog", "Query.slow", be+"/slow", "")
	writeResolver(t, dir, "blog", "Query.broken", be+"/broken", "")
	writeResolver(t, dir, "blog", "Query.text", be+"/text", "")
	writeResolver(t, dir, "blog", "Query.notJSON", be+"/notjson", "")
	writeResolver(t, dir, "blog", "Query.secret", `@("http://127.0.0.1:1/x?key=" + context.Variables.GetValueOrDefault("key", ""))`, "")
	writeFile(t, dir, "blog/resolvers/Mutation.makeUser.xml", `<http-data-source>
    <http-request>
        <set-method>POST</set-method>
        <set-url>`+be+`/user/create</set-url>
        <set-header name="Content-Type" exists-action="override">
            <value>application/json</value>
        </set-header>
        <set-header name="X-Caller" exists-action="override">
            <value>@((string)context.Variables.GetValueOrDefault("caller", "nobody"))</value>
        </set-header>
        <set-body>@{
            var args = context.GraphQL.Arguments;
            JObject jsonObject = new JObject();
            jsonObject.Add("name", args["name"]);
            return jsonObject.ToString();
        }</set-body>
    </http-request>
</http-data-source>`)
	return startGateway(t, dir)
}

func gqlPost(t *testing.T, g *testGateway, path, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", g.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req.WithContext(testCtx(t)))
}

func gqlBody(query string, vars string) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(vars)})
	return string(b)
}

func TestSyntheticGraphQL(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	be := blogBackend(t, release)
	g := blogGateway(t, be.url, "", `<policies>
  <inbound>
    <set-variable name="caller" value="@(context.Request.Headers.GetValueOrDefault("X-User", "anonymous"))" />
    <set-variable name="key" value="SECRET-key-value" />
  </inbound>
  <outbound>
    <set-header name="X-Outbound" exists-action="override"><value>ran</value></set-header>
  </outbound>
</policies>`)

	cases := []struct {
		name, body string
		header     []string
		status     int
		ctype      string
		want       string
	}{
		{name: "query with arguments, parent and default resolver",
			body:   gqlBody(`query($id: ID!) { getBlog(id: $id) { title content comments { owner content } } }`, `{"id": 1}`),
			status: 200, ctype: "application/json",
			want: `{"data":{"getBlog":{"title":"Hello","content":"First post","comments":[{"owner":"ada","content":"nice"},{"owner":"bob","content":"meh"}]}}}`},
		{name: "the documented getComment queries (variables and literal)",
			body:   gqlBody(`query($id: Int) { a: getComment(id: $id) { content } b: getComment(id: 2) { content } }`, `{"id": 2}`),
			status: 200, want: `{"data":{"a":{"content":"comment 2"},"b":{"content":"comment 2"}}}`},
		{name: "liquid JSONArrayFor renames username", body: gqlBody(`{ users { id name } }`, `null`),
			status: 200, want: `{"data":{"users":[{"id":"1","name":"ada"},{"id":"2","name":"bob"}]}}`},
		{name: "mutation with a JSON body and the API policy's variable", body: gqlBody(`mutation { makeUser(name: "the-provided-name") { id name } }`, `null`),
			header: []string{"X-User", "carol"}, status: 200, want: `{"data":{"makeUser":{"id":"7","name":"the-provided-name"}}}`},
		{name: "a failing backend is a field error, the rest answers",
			body:   gqlBody(`{ broken users { name } }`, `null`),
			status: 200, want: `{"data":{"broken":null,"users":[{"name":"ada"},{"name":"bob"}]},"errors":[{"message":"Query.broken: the data source answered 500 Internal Server Error","path":["broken"],"locations":[{"line":1,"column":3}]}]}`},
		{name: "a backend that never answers times out (resolver-timeout)", body: gqlBody(`{ slow text }`, `null`),
			status: 200, want: `{"data":{"slow":null,"text":"plain words"},"errors":[{"message":"Query.slow: the data source did not answer in time","path":["slow"],"locations":[{"line":1,"column":3}]}]}`},
		{name: "non-JSON for a list field", body: gqlBody(`{ notJSON { id } }`, `null`),
			status: 200, want: `{"data":{"notJSON":null},"errors":[{"message":"notJSON: the data source's answer is not JSON","path":["notJSON"],"locations":[{"line":1,"column":3}]}]}`},
		{name: "a non-null field without a value nulls data", body: gqlBody(`{ text missing }`, `null`),
			status: 200, want: `{"data":null,"errors":[{"message":"Cannot return null for non-nullable field Query.missing","path":["missing"],"locations":[{"line":1,"column":8}]}]}`},
		{name: "an unreachable data source does not show its URL (nor its secret)", body: gqlBody(`{ secret }`, `null`),
			status: 200, want: `{"data":{"secret":null},"errors":[{"message":"Query.secret: the data source could not be reached","path":["secret"],"locations":[{"line":1,"column":3}]}]}`},
		{name: "validation error", body: gqlBody(`{ getBlog { title } }`, `null`), status: 200,
			want: `{"errors":[{"message":"Field \"getBlog\" argument \"id\" of type \"ID!\" is required, but it was not provided.","locations":[{"line":1,"column":3}]}]}`},
		{name: "validation error as graphql-response+json is a 400", body: gqlBody(`{ nope }`, `null`),
			header: []string{"Accept", "application/graphql-response+json"}, status: 400, ctype: "application/graphql-response+json",
			want: `{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\".","locations":[{"line":1,"column":3}]}]}`},
		{name: "batching is refused", body: `[{"query":"{ text }"},{"query":"{ text }"}]`, status: 400,
			want: `{"errors":[{"message":"batched requests (a JSON array) are not accepted: send one request per POST"}]}`},
		{name: "malformed JSON", body: `{"query": `, status: 400,
			want: `{"errors":[{"message":"the body must be a JSON object {query, operationName, variables}: unexpected EOF"}]}`},
		{name: "introspection", body: gqlBody(`{ __type(name: "Blog") { name fields { name } } }`, `null`), status: 200,
			want: `{"data":{"__type":{"name":"Blog","fields":[{"name":"id"},{"name":"title"},{"name":"content"},{"name":"comments"},{"name":"comment"}]}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := gqlPost(t, g, "/blog", tc.body, tc.header...)
			if resp.StatusCode != tc.status || body != tc.want {
				t.Fatalf("status %d body\n%s\nwant %d\n%s", resp.StatusCode, body, tc.status, tc.want)
			}
			if ct := resp.Header.Get("Content-Type"); tc.ctype != "" && !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			if resp.Header.Get("X-Outbound") != "ran" && resp.StatusCode == 200 {
				t.Errorf("the API's outbound policy did not run on the GraphQL answer")
			}
		})
	}
	if got := be.last.Load(); got.path == "/user/create" {
		t.Errorf("the last call was the mutation's")
	}

	// The mutation's request, as the resolver built it.
	_, _ = gqlPost(t, g, "/blog", gqlBody(`mutation { makeUser(name: "dave") { id } }`, `null`), "X-User", "carol")
	seen := be.last.Load()
	if seen.method != "POST" || seen.path != "/user/create" || seen.header.Get("Content-Type") != "application/json" ||
		seen.header.Get("X-Caller") != "carol" || compactJSON(string(seen.body)) != `{"name":"dave"}` {
		t.Errorf("the data source got %s %s %v %s", seen.method, seen.path, seen.header, seen.body)
	}
	if seen.header.Get("X-User") != "" {
		t.Errorf("the client's headers reached the data source: %v", seen.header)
	}

	// GET, and application/graphql.
	resp, body := get(t, g.url+"/blog?query="+url.QueryEscape(`{ getComment(id: 5) { content } }`), nil)
	if resp.StatusCode != 200 || body != `{"data":{"getComment":{"content":"comment 5"}}}` {
		t.Errorf("GET: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, g.url+"/blog?query="+url.QueryEscape(`mutation { makeUser(name: "x") { id } }`), nil)
	if resp.StatusCode != 405 || !strings.Contains(body, "must be sent with POST") {
		t.Errorf("GET mutation: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("POST", g.url+"/blog", strings.NewReader(`{ text }`))
	req.Header.Set("Content-Type", "application/graphql")
	resp, body = do(t, req.WithContext(testCtx(t)))
	if resp.StatusCode != 200 || body != `{"data":{"text":"plain words"}}` {
		t.Errorf("application/graphql: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", g.url+"/blog", strings.NewReader(`<q/>`))
	req.Header.Set("Content-Type", "text/xml")
	resp, _ = do(t, req.WithContext(testCtx(t)))
	if resp.StatusCode != 415 {
		t.Errorf("text/xml: %d", resp.StatusCode)
	}
}

func compactJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Hostile requests stop at the limits, before any resolver runs.
func TestSyntheticGraphQLLimits(t *testing.T) {
	be := blogBackend(t, nil)
	g := blogGateway(t, be.url, `graphql-max-depth="3" graphql-max-fields="20" graphql-max-resolver-calls="3" max-body-size="4096"`, "")
	var aliases strings.Builder
	aliases.WriteString("{ ")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&aliases, "a%d: text ", i)
	}
	aliases.WriteString("}")
	frag := `query { ...A } fragment A on Query { text t2: text ...B } fragment B on Query { t3: text t4: text ...C } fragment C on Query { t5: text t6: text t7: text t8: text t9: text t10: text t11: text t12: text t13: text t14: text t15: text t16: text t17: text t18: text t19: text t20: text t21: text }`
	before := be.calls.Load()
	for _, tc := range []struct {
		name, body string
		status     int
		has        string
	}{
		{"depth", gqlBody(`{ getBlog(id: 1) { comments { id } } __schema { types { fields { type { ofType { name } } } } } }`, `null`), 200, "nests deeper than 3 levels"},
		{"alias bomb", gqlBody(aliases.String(), `null`), 200, "more than 20 fields"},
		{"fragment fan-out", gqlBody(frag, `null`), 200, "more than 20 fields"},
		{"huge variables", `{"query":"{ text }","variables":{"x":"` + strings.Repeat("a", 5000) + `"}}`, 413, "larger than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := gqlPost(t, g, "/blog", tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.has) || strings.Contains(body, `"data"`) {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
	if n := be.calls.Load() - before; n != 0 {
		t.Errorf("%d resolver calls for refused requests", n)
	}
	// The data sources' answers in total: "plain words" is 11 bytes, the
	// third passes 30.
	g2 := blogGateway(t, be.url, `graphql-max-answer-bytes="30"`, "")
	resp, body := gqlPost(t, g2, "/blog", gqlBody(`mutation { makeUser(name: "x") { id } }`, `null`))
	if resp.StatusCode != 200 || !strings.Contains(body, `"id":"7"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = gqlPost(t, g2, "/blog", gqlBody(`{ a: text b: text c: text }`, `null`))
	if resp.StatusCode != 200 || strings.Count(body, `"plain words"`) != 2 || !strings.Contains(body, "passed graphql-max-answer-bytes (30)") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	// Three resolver calls at most: the fourth field gets an error.
	resp, body = gqlPost(t, g, "/blog", gqlBody(`{ a: text b: text c: text d: text }`, `null`))
	if resp.StatusCode != 200 || strings.Count(body, `"plain words"`) != 3 || !strings.Contains(body, "more than 3 resolver calls") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	// The response built: three answers of 13 bytes and their keys pass
	// 40 bytes (graphql-max-response-bytes).
	g3 := blogGateway(t, be.url, `graphql-max-response-bytes="40"`, "")
	resp, body = gqlPost(t, g3, "/blog", gqlBody(`{ a: text b: text c: text }`, `null`))
	if resp.StatusCode != 200 || body != `{"data":null,"errors":[{"message":"the response is larger than 40 bytes"}]}` {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

// A broken resolver keeps the old configuration serving; fixing it
// serves the new one (hot reload).
func TestSyntheticGraphQLReload(t *testing.T) {
	be := blogBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "blog", `type="graphql" path="/blog"`, "")
	writeFile(t, dir, "blog/schema.graphql", blogSchema)
	writeResolver(t, dir, "blog", "Query.text", be.url+"/text", "")
	g := startGateway(t, dir)
	q := gqlBody(`{ text }`, `null`)
	if _, body := gqlPost(t, g, "/blog", q); body != `{"data":{"text":"plain words"}}` {
		t.Fatalf("before: %s", body)
	}
	writeResolver(t, dir, "blog", "Query.text", `@(context.GraphQL.Arguments["nope"].ToString())`, "")
	if st := g.srv.Reload("SIGHUP"); st.Result != "failure" || !strings.Contains(strings.Join(st.Errors, "\n"), `Query.text has no argument "nope"`) {
		t.Fatalf("reload of a broken resolver: %+v", st)
	}
	if _, body := gqlPost(t, g, "/blog", q); body != `{"data":{"text":"plain words"}}` {
		t.Fatalf("after a failed reload: %s", body)
	}
	writeResolver(t, dir, "blog", "Query.text", be.url+"/api/comment/9", `
    <http-response><set-body>"reloaded"</set-body></http-response>`)
	if st := g.srv.Reload("SIGHUP"); st.Result != "success" {
		t.Fatalf("%+v", st)
	}
	if _, body := gqlPost(t, g, "/blog", q); body != `{"data":{"text":"reloaded"}}` {
		t.Fatalf("after reload: %s", body)
	}
}

// An APIOps extract with a synthetic GraphQL API: resolvers/NAME/
// resolverInformation.json names the field, policy.xml resolves it.
func TestSyntheticGraphQLAPIOps(t *testing.T) {
	be := blogBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "apis/blog/apiInformation.json", `{"properties": {"type": "graphql", "apiType": "graphql", "displayName": "Blog", "path": "blog", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/blog/specification.graphql", blogSchema)
	writeFile(t, dir, "apis/blog/resolvers/get-blog/resolverInformation.json", `{"properties": {"displayName": "getBlog", "path": "Query/getBlog", "description": ""}}`)
	writeFile(t, dir, "apis/blog/resolvers/get-blog/policy.xml", `<http-data-source>
    <http-request>
        <set-method>GET</set-method>
        <set-url>@($"`+be.url+`/api/blog/{context.GraphQL.Arguments["id"]}")</set-url>
    </http-request>
</http-data-source>`)
	g := startGateway(t, dir)
	resp, body := gqlPost(t, g, "/blog", gqlBody(`{ getBlog(id: "1") { id title } }`, `null`))
	if resp.StatusCode != 200 || body != `{"data":{"getBlog":{"id":"1","title":"Hello"}}}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for _, n := range g.srv.Current().Notices {
		if strings.Contains(n, "resolvers") {
			t.Errorf("notice: %s", n)
		}
	}
}

// set-backend-service backend-id in a resolver: the backend entity's URL
// (set-url a path on it) and its credential header, which never shows in
// an error or log.
func TestSyntheticGraphQLBackendEntity(t *testing.T) {
	be := blogBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "blog", `type="graphql" path="/blog"`, "")
	writeFile(t, dir, "blog/schema.graphql", blogSchema)
	writeFile(t, dir, "blog/resolvers/Query.getBlog.xml", `<http-data-source>
    <http-request>
        <set-backend-service backend-id="blog-data" />
        <set-method>GET</set-method>
        <set-url>@($"/blog/{context.GraphQL.Arguments["id"]}")</set-url>
    </http-request>
</http-data-source>`)
	// The entity's answer carries its headers into http-response.
	writeFile(t, dir, "blog/resolvers/Query.text.xml", `<http-data-source>
    <http-request>
        <set-backend-service backend-id="blog-data" />
        <set-url>/blog/1</set-url>
    </http-request>
    <http-response>
        <set-body>@(context.Response.Headers.GetValueOrDefault("Content-Type", "none") + " " + context.Response.StatusCode)</set-body>
    </http-response>
</http-data-source>`)
	writeFile(t, dir, "backends/blog-data/backendInformation.json",
		`{"properties": {"url": "`+be.url+`/api", "protocol": "http", "credentials": {"header": {"X-Key": ["SECRET-data-key"]}}}}`)
	late := new(policies.LateBackends)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Backends: late})
	})
	late.Set(g.srv)
	resp, body := gqlPost(t, g, "/blog", gqlBody(`{ getBlog(id: "1") { title } }`, `null`))
	if resp.StatusCode != 200 || body != `{"data":{"getBlog":{"title":"Hello"}}}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if seen := be.last.Load(); seen.path != "/api/blog/1" || seen.header.Get("X-Key") != "SECRET-data-key" {
		t.Errorf("the data source got %s with X-Key %q", seen.path, seen.header.Get("X-Key"))
	}
	resp, body = gqlPost(t, g, "/blog", gqlBody(`{ text }`, `null`))
	if resp.StatusCode != 200 || body != `{"data":{"text":"application/json 200"}}` {
		t.Fatalf("headers of a backend entity's answer: %d %s", resp.StatusCode, body)
	}
}

// The API's own policy chooses no data source for the resolvers (each
// starts with no backend), and an empty backend section does not keep the
// executor from answering.
func TestSyntheticGraphQLAPIPolicyBackend(t *testing.T) {
	be := blogBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "blog", `type="graphql" path="/blog"`, `<policies>
  <inbound><set-backend-service base-url="`+be.url+`" /></inbound>
  <backend />
</policies>`)
	writeFile(t, dir, "blog/schema.graphql", blogSchema)
	writeResolver(t, dir, "blog", "Query.text", be.url+"/text", "")
	writeResolver(t, dir, "blog", "Query.broken", "/text", "")
	g := startGateway(t, dir)
	resp, body := gqlPost(t, g, "/blog", gqlBody(`{ text broken }`, `null`))
	want := `{"data":{"text":"plain words","broken":null},"errors":[{"message":"Query.broken: the resolver failed (BackendServiceUrlMissing)","path":["broken"],"locations":[{"line":1,"column":8}]}]}`
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("%d %s\nwant %s", resp.StatusCode, body, want)
	}
}

// A secret named value in a resolver's URL path never reaches the log or
// the client, when the call fails.
func TestSyntheticGraphQLSecretInURL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "named-values.xml", `<named-values>
  <named-value name="path-key" secret="true">SECRET-in-the-path</named-value>
</named-values>`)
	writeAPI(t, dir, "blog", `type="graphql" path="/blog"`, "")
	writeFile(t, dir, "blog/schema.graphql", blogSchema)
	writeResolver(t, dir, "blog", "Query.secret", "http://"+closedPort(t)+"/{{path-key}}/x", "")
	g := startGateway(t, dir)
	resp, body := gqlPost(t, g, "/blog", gqlBody(`{ secret }`, `null`))
	if resp.StatusCode != 200 || !strings.Contains(body, "Query.secret: the data source could not be reached") || strings.Contains(body, "SECRET") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if len(g.logsNamed("GraphQL resolver failed")) != 1 {
		t.Errorf("the failure was not logged once")
	}
}

// Subscriptions: a WebSocket client (graphql-transport-ws) subscribed to
// onUserCreated gets the answer of the createUser mutation's resolver,
// whose http-response has publish-event (APIM's publish-event example).
// The handshake goes through the API's inbound policy first.
func TestSyntheticGraphQLSubscriptions(t *testing.T) {
	be := blogBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "users", `type="graphql" path="/users"`, `<policies><inbound>
  <choose>
    <when condition="@(context.Request.Url.Scheme.StartsWith(&quot;ws&quot;) &amp;&amp; context.Request.Headers.GetValueOrDefault(&quot;X-Key&quot;,&quot;&quot;) != &quot;k&quot;)">
      <return-response><set-status code="401" reason="no key" /></return-response>
    </when>
  </choose>
</inbound></policies>`)
	writeFile(t, dir, "users/schema.graphql", usersSchema)
	writeFile(t, dir, "users/resolvers/Mutation.createUser.xml", createUserResolver(be.url))
	g := startGateway(t, dir)

	// The API's inbound policy runs on the handshake.
	if resp, _ := upgradeRequest(t, g.url+"/users", http.Header{"Sec-WebSocket-Protocol": {"graphql-transport-ws"}}); resp.StatusCode != 401 {
		t.Fatalf("upgrade without the key: %d", resp.StatusCode)
	}
	c := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"X-Key": {"k"}}})
	defer c.CloseNow()
	if c.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	mustWrite(t, c, `{"type":"connection_init"}`)
	if got := mustRead(t, c); got != `{"type":"connection_ack"}` {
		t.Fatalf("ack: %s", got)
	}
	mustWrite(t, c, `{"type":"subscribe","id":"bad","payload":{"query":"subscription { nope { id } }"}}`)
	if got := mustRead(t, c); !strings.Contains(got, `"type":"error","id":"bad"`) || !strings.Contains(got, `Cannot query field \"nope\"`) {
		t.Fatalf("bad subscribe: %s", got)
	}
	mustWrite(t, c, `{"type":"subscribe","id":"1","payload":{"query":"subscription { onUserCreated { id name } }"}}`)
	mustWrite(t, c, `{"type":"ping"}`) // answered after the subscribe is registered
	if got := mustRead(t, c); got != `{"type":"pong"}` {
		t.Fatalf("pong: %s", got)
	}
	resp, body := gqlPost(t, g, "/users", gqlBody(`mutation { createUser(id: 3, name: "ada") { id name } }`, `null`))
	if resp.StatusCode != 200 || body != `{"data":{"createUser":{"id":7,"name":"ada"}}}` {
		t.Fatalf("mutation: %d %s", resp.StatusCode, body)
	}
	if got := mustRead(t, c); got != `{"type":"next","id":"1","payload":{"data":{"onUserCreated":{"id":7,"name":"ada"}}}}` {
		t.Fatalf("event: %s", got)
	}
	if seen := be.last.Load(); compactJSON(string(seen.body)) != `{"id":3,"name":"ada"}` {
		t.Errorf("the data source got %s", seen.body)
	}
	mustWrite(t, c, `{"type":"complete","id":"1"}`)
	mustWrite(t, c, `{"type":"subscribe","id":"2","payload":{"query":"query { users { id } }"}}`)
	if got := mustRead(t, c); !strings.Contains(got, `"type":"error","id":"2"`) || !strings.Contains(got, "not a query") {
		t.Fatalf("query over WebSocket: %s", got)
	}
	// A subscription in an HTTP request is a request error.
	_, body = gqlPost(t, g, "/users", gqlBody(`subscription { onUserCreated { id } }`, `null`))
	if !strings.Contains(body, "served over WebSocket") {
		t.Errorf("HTTP subscription: %s", body)
	}
	c.Close(websocket.StatusNormalClosure, "")

	// Before connection_init, a subscribe closes the connection with 4401.
	c2 := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"X-Key": {"k"}}})
	defer c2.CloseNow()
	mustWrite(t, c2, `{"type":"subscribe","id":"1","payload":{"query":"subscription { onUserCreated { id } }"}}`)
	if cs := readUntilClose(t, c2); cs.code != 4401 {
		t.Errorf("close %+v, want 4401", cs)
	}

	// A subprotocol neither graphql-transport-ws nor graphql-ws: 4406.
	c3 := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPHeader: http.Header{"X-Key": {"k"}}})
	defer c3.CloseNow()
	if cs := readUntilClose(t, c3); cs.code != 4406 {
		t.Errorf("close %+v, want 4406", cs)
	}

	// The legacy graphql-ws protocol (subscriptions-transport-ws): start,
	// data, stop, complete.
	c4 := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-ws"}, HTTPHeader: http.Header{"X-Key": {"k"}}})
	defer c4.CloseNow()
	mustWrite(t, c4, `{"type":"connection_init","payload":{}}`)
	if got := mustRead(t, c4); got != `{"type":"connection_ack"}` {
		t.Fatalf("legacy ack: %s", got)
	}
	if got := mustRead(t, c4); got != `{"type":"ka"}` {
		t.Fatalf("legacy ka: %s", got)
	}
	mustWrite(t, c4, `{"type":"start","id":"a","payload":{"query":"subscription { onUserCreated { name } }"}}`)
	mustWrite(t, c4, `{"type":"start","id":"b","payload":{"query":"subscription { nope }"}}`) // answered after a is registered
	if got := mustRead(t, c4); !strings.HasPrefix(got, `{"type":"error","id":"b","payload":{"message":`) {
		t.Fatalf("legacy error: %s", got)
	}
	if resp, body := gqlPost(t, g, "/users", gqlBody(`mutation { createUser(id: 4, name: "bob") { id } }`, `null`)); resp.StatusCode != 200 {
		t.Fatalf("mutation: %d %s", resp.StatusCode, body)
	}
	if got := mustRead(t, c4); got != `{"type":"data","id":"a","payload":{"data":{"onUserCreated":{"name":"bob"}}}}` {
		t.Fatalf("legacy data: %s", got)
	}
	mustWrite(t, c4, `{"type":"stop","id":"a"}`)
	if got := mustRead(t, c4); got != `{"type":"complete","id":"a"}` {
		t.Fatalf("legacy complete: %s", got)
	}
	mustWrite(t, c4, `{"type":"connection_terminate"}`)
	if cs := readUntilClose(t, c4); cs.code != websocket.StatusNormalClosure {
		t.Errorf("terminate: %+v", cs)
	}
}

// trace="true": a request's trace shows its resolvers' steps, secrets
// redacted.
func TestSyntheticGraphQLTrace(t *testing.T) {
	be := blogBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "blog", `type="graphql" path="/blog" trace="true"`, "")
	writeFile(t, dir, "blog/schema.graphql", blogSchema)
	writeResolver(t, dir, "blog", "Query.text", be.url+"/text?access_token=SECRET-token", `
    <http-response><set-body>@(context.Response.Body.As<string>().ToUpper())</set-body></http-response>`)
	g := startGateway(t, dir)
	if _, body := gqlPost(t, g, "/blog", gqlBody(`{ text }`, `null`)); body != `{"data":{"text":"PLAIN WORDS"}}` {
		t.Fatalf("%s", body)
	}
	waitFor(t, "a policy trace line", func() bool { return len(g.logsNamed("policy trace")) >= 1 })
	text := fmt.Sprintf("%+v", g.logsNamed("policy trace")[0].ContextMap()["steps"])
	for _, want := range []string{"set-url", "http-response/set-body[1]", "access_token=REDACTED"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace %s lacks %q", text, want)
		}
	}
}
