package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"tollgate/gateway/internal/gqlexec"
)

// The GraphQL backend's schema: what the pass-through API forwards to.
const mixedBackendSchema = `type Query {
  user(id: ID!): User
  users: [User]
  node(id: ID!): Node
  version: String
}
type Mutation {
  rename(id: ID!, name: String!): User
}
type Subscription {
  renamed: User
}
interface Node { id: ID! }
type User implements Node {
  id: ID!
  name: String!
  email: String
  friends: [User]
  role: Role
}
type Post implements Node {
  id: ID!
  title: String
}
enum Role { ADMIN USER }
`

// The API's schema: the backend's, with fields the gateway resolves from
// a REST data source (User.posts, User.nick, Query.weather).
var mixedAPISchema = strings.Replace(strings.Replace(mixedBackendSchema,
	"  version: String\n", "  version: String\n  weather(city: String!): String\n", 1),
	"  role: Role\n", "  role: Role\n  posts: [Post]\n  nick: String\n", 1)

// gqlBackend is a GraphQL server (gqlexec over mixedBackendSchema and a
// few users) that records what it gets.
type gqlBackend struct {
	url    string
	calls  atomic.Int64
	mu     sync.Mutex
	bodies []string
	paths  []string
}

func (b *gqlBackend) last() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.bodies) == 0 {
		return ""
	}
	return b.bodies[len(b.bodies)-1]
}

func newGQLBackend(t *testing.T) *gqlBackend {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: mixedBackendSchema})
	users := map[string]map[string]any{
		"1": {"__typename": "User", "id": "1", "name": "Ada", "email": "ada@example.com", "role": "ADMIN"},
		"2": {"__typename": "User", "id": "2", "name": "Bob", "role": "USER"},
	}
	resolvers := func(typ, field string) gqlexec.Resolver {
		switch typ + "." + field {
		case "Query.user", "Query.node":
			return func(_ context.Context, f *gqlexec.Field) (any, error) {
				id, _ := f.Args["id"].(string)
				if u := users[id]; u != nil {
					return u, nil
				}
				if id == "p1" {
					return map[string]any{"__typename": "Post", "id": "p1", "title": "Backend post"}, nil
				}
				return nil, errors.New("no user " + id)
			}
		case "Mutation.rename":
			return func(_ context.Context, f *gqlexec.Field) (any, error) {
				u := map[string]any{}
				for k, v := range users[f.Args["id"].(string)] {
					u[k] = v
				}
				u["name"] = f.Args["name"]
				return u, nil
			}
		case "Query.users":
			return func(context.Context, *gqlexec.Field) (any, error) { return []any{users["1"], users["2"]}, nil }
		case "User.friends":
			return func(_ context.Context, f *gqlexec.Field) (any, error) {
				if f.Parent.(map[string]any)["id"] == "1" {
					return []any{users["2"]}, nil
				}
				return []any{users["1"]}, nil
			}
		}
		return nil
	}
	b := &gqlBackend{}
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.bodies = append(b.bodies, string(raw))
		b.paths = append(b.paths, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type"))
		b.mu.Unlock()
		b.calls.Add(1)
		var p gqlexec.Params
		if r.Method == http.MethodGet {
			p.Query, p.OperationName = r.URL.Query().Get("query"), r.URL.Query().Get("operationName")
			json.Unmarshal([]byte(r.URL.Query().Get("variables")), &p.Variables)
		} else {
			var q struct {
				Query         string         `json:"query"`
				OperationName string         `json:"operationName"`
				Variables     map[string]any `json:"variables"`
			}
			if json.Unmarshal(raw, &q) != nil {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			p = gqlexec.Params{Query: q.Query, OperationName: q.OperationName, Variables: q.Variables}
		}
		res := gqlexec.Execute(r.Context(), schema, p, resolvers, gqlexec.Limits{})
		out, _ := json.Marshal(res)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", "graphql")
		w.Write(out)
	})
	b.url = ts.URL
	return b
}

// mixedRESTSource is the resolvers' REST data source.
func mixedRESTSource(t *testing.T) *restBackend {
	return newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/posts":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `[{"id":"p-%s","title":"post of %s"}]`, r.URL.Query().Get("user"), r.URL.Query().Get("user"))
		case strings.HasPrefix(r.URL.Path, "/nick/"):
			fmt.Fprintf(w, "nick-%s", strings.TrimPrefix(r.URL.Path, "/nick/"))
		case strings.HasPrefix(r.URL.Path, "/weather/"):
			fmt.Fprintf(w, "sunny in %s", strings.TrimPrefix(r.URL.Path, "/weather/"))
		default:
			w.WriteHeader(404)
		}
	})
}

func mixedAPI(t *testing.T, backend, rest, attrs, policy string) string {
	dir := t.TempDir()
	writeAPI(t, dir, "mixed", fmt.Sprintf(`type="graphql" path="/gql" service-url=%q %s`, backend, attrs), policy)
	writeFile(t, dir, "mixed/schema.graphql", mixedAPISchema)
	writeResolver(t, dir, "mixed", "User.posts", `@($"`+rest+`/posts?user={context.GraphQL.Parent["id"]}")`, "")
	writeResolver(t, dir, "mixed", "User.nick", `@($"`+rest+`/nick/{context.GraphQL.Parent["name"]}")`, "")
	writeResolver(t, dir, "mixed", "Query.weather", `@($"`+rest+`/weather/{context.GraphQL.Arguments["city"]}")`, "")
	return dir
}

// A pass-through GraphQL API with resolvers for some fields: a request
// that reaches none goes to the backend as it came; one that does is
// executed by the gateway, the backend's fields asked of the backend in
// one request.
func TestGraphQLPassThroughResolvers(t *testing.T) {
	be := newGQLBackend(t)
	rest := mixedRESTSource(t)
	dir := mixedAPI(t, be.url, rest.url, "", `<policies>
  <inbound>
    <set-header name="X-From-Policy" exists-action="override"><value>inbound</value></set-header>
  </inbound>
  <outbound>
    <set-header name="X-Outbound" exists-action="override"><value>ran</value></set-header>
  </outbound>
</policies>`)
	snap, errs := load(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if a := snap.API("mixed"); a.ServiceURLText() != be.url || a.GraphQLResolvers() != "(3 resolvers)" || a.SyntheticGraphQL() != "" {
		t.Errorf("listed as %q %q %q", a.ServiceURLText(), a.GraphQLResolvers(), a.SyntheticGraphQL())
	}
	g := startGateway(t, dir)

	for _, tc := range []struct {
		name     string
		get      bool   // a GET ?query=…&variables=…
		body     string // a POST's JSON body (or the GET's query)
		vars     string
		want     string
		calls    int64  // backend requests
		sent     string // what the backend got: "=" the client's body byte for byte, else a substring
		notSent  string // not in what the backend got
		wantCall string // method, URI and Content-Type of the backend call
	}{
		{name: "backend fields only: forwarded byte for byte",
			body:  "{\"query\":  \"{ user(id: \\\"1\\\") { name role } }\" ,\n \"extensions\": {\"x\": 1}}",
			want:  `{"data":{"user":{"name":"Ada","role":"ADMIN"}}}`,
			calls: 1, sent: "="},
		{name: "backend fields only, a GET: forwarded as a GET", get: true, body: `{ version users { id } }`,
			want: `{"data":{"version":null,"users":[{"id":"1"},{"id":"2"}]}}`, calls: 1, wantCall: "GET /?keep=1&query="},
		{name: "mixed: one backend request, the parent's fields for the resolvers",
			body:     `query($id: ID!, $c: String!) { user(id: $id) { name posts { title } nick } weather(city: $c) }`,
			vars:     `{"id":"1","c":"Oslo"}`,
			want:     `{"data":{"user":{"name":"Ada","posts":[{"title":"post of 1"}],"nick":"nick-Ada"},"weather":"sunny in Oslo"}}`,
			calls:    1,
			sent:     `{"query":"query ($id: ID!) {\n  user(id: $id) {\n    name\n    tollgate_parent_id: id\n    tollgate_parent_name: name\n    tollgate_parent_email: email\n    tollgate_parent_role: role\n    tollgate_typename: __typename\n  }\n}\n","variables":{"id":"1"}}`,
			wantCall: "POST / application/json"},
		{name: "mixed, a GET: the backend gets a POST, the URL's other parameters kept", get: true,
			body: `{ user(id: "2") { nick } }`, want: `{"data":{"user":{"nick":"nick-Bob"}}}`, calls: 1,
			wantCall: "POST /?keep=1 application/json"},
		{name: "aliases and fragments",
			body:  `query Two { a: user(id: "1") { ...F } b: user(id: "2") { ...F who: name } } fragment F on User { id n: nick posts { title } }`,
			want:  `{"data":{"a":{"id":"1","n":"nick-Ada","posts":[{"title":"post of 1"}]},"b":{"id":"2","n":"nick-Bob","posts":[{"title":"post of 2"}],"who":"Bob"}}}`,
			calls: 1, sent: `"operationName":"Two"`, notSent: "fragment"},
		{name: "lists: a resolver per item",
			body: `{ users { name nick } }`, want: `{"data":{"users":[{"name":"Ada","nick":"nick-Ada"},{"name":"Bob","nick":"nick-Bob"}]}}`, calls: 1},
		{name: "an interface: the object type told by __typename",
			body:  `{ node(id: "1") { id ... on User { nick } __typename } post: node(id: "p1") { id __typename } }`,
			want:  `{"data":{"node":{"id":"1","nick":"nick-Ada","__typename":"User"},"post":{"id":"p1","__typename":"Post"}}}`,
			calls: 1, sent: `tollgate_typename: __typename`},
		{name: "resolver fields only: no backend request",
			body: `{ weather(city: "Rome") }`, want: `{"data":{"weather":"sunny in Rome"}}`, calls: 0},
		{name: "unused variables are not sent, skip and include kept",
			body:  `query($c: String!, $id: ID!, $s: Boolean!) { weather(city: $c) user(id: $id) { name @skip(if: $s) email } }`,
			vars:  `{"c":"Paris","id":"2","s":true}`,
			want:  `{"data":{"weather":"sunny in Paris","user":{"email":null}}}`,
			calls: 1, sent: `"variables":{"id":"2","s":true}`, notSent: `Paris`},
		{name: "introspection of the API's schema, resolver fields included",
			body: `{ __type(name: "User") { fields { name } } }`,
			want: `{"data":{"__type":{"fields":[{"name":"id"},{"name":"name"},{"name":"email"},{"name":"friends"},{"name":"role"},{"name":"posts"},{"name":"nick"}]}}}`, calls: 0},
		{name: "the backend's errors merged with their paths",
			body:  `{ user(id: "404") { name nick } weather(city: "Oslo") }`,
			want:  `{"data":{"user":null,"weather":"sunny in Oslo"},"errors":[{"message":"no user 404","path":["user"]}]}`,
			calls: 1},
		{name: "an invalid document goes to the backend as it came",
			body: `{ nope }`, want: `{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\". Did you mean \"node\"?","locations":[{"line":1,"column":3}]}]}`,
			calls: 1, sent: "="},
		{name: "a mutation: the backend's fields in one request, then the resolvers",
			body:  `mutation { rename(id: "1", name: "Eve") { id nick } }`,
			want:  `{"data":{"rename":{"id":"1","nick":"nick-Eve"}}}`,
			calls: 1, sent: `mutation {`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := be.calls.Load()
			var resp *http.Response
			var body string
			clientBody := tc.body
			if tc.get {
				q := url.Values{"query": {tc.body}, "keep": {"1"}}
				if tc.vars != "" {
					q.Set("variables", tc.vars)
				}
				req, _ := http.NewRequest("GET", g.url+"/gql?"+q.Encode(), nil)
				resp, body = do(t, req.WithContext(testCtx(t)))
			} else {
				if !strings.HasPrefix(tc.body, "{\"query\"") {
					clientBody = gqlBody(tc.body, or(tc.vars, "null"))
				}
				resp, body = gqlPost(t, g, "/gql", clientBody)
			}
			if resp.StatusCode != 200 || body != tc.want {
				t.Fatalf("status %d\n got %s\nwant %s", resp.StatusCode, body, tc.want)
			}
			if resp.Header.Get("X-Outbound") != "ran" {
				t.Error("outbound did not run on the answer")
			}
			if n := be.calls.Load() - before; n != tc.calls {
				t.Fatalf("%d backend requests, want %d", n, tc.calls)
			}
			if tc.calls == 0 {
				return
			}
			sent := be.last()
			switch {
			case tc.sent == "=" && sent != clientBody:
				t.Errorf("the backend got %q, want the client's body %q", sent, clientBody)
			case tc.sent != "" && tc.sent != "=" && !strings.Contains(sent, tc.sent):
				t.Errorf("the backend got %q, want %q in it", sent, tc.sent)
			}
			if tc.notSent != "" && strings.Contains(sent, tc.notSent) {
				t.Errorf("the backend got %q, with %q", sent, tc.notSent)
			}
			be.mu.Lock()
			call := be.paths[len(be.paths)-1]
			be.mu.Unlock()
			if tc.wantCall != "" && !strings.HasPrefix(call, tc.wantCall) {
				t.Errorf("the backend call was %q, want %q", call, tc.wantCall)
			}
		})
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// A backend that answers garbage, errors, too much or nothing: the
// backend's fields get errors naming why, the resolvers' fields still
// answer. Bombs are refused before anything is split or sent.
func TestGraphQLPassThroughResolversHostile(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var calls atomic.Int64
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		switch r.Header.Get("X-Mode") {
		case "html":
			fmt.Fprint(w, "<html>oops</html>")
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "upstream exploded")
		case "data-list":
			fmt.Fprint(w, `{"data":[1,2]}`)
		case "empty":
			fmt.Fprint(w, `{}`)
		case "odd-errors":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"data":{"user":null},"errors":[{"message":"m1","path":[{"x":1}],"locations":[{"line":9,"column":9}]},"not an object",{"message":"m3","path":["user",-1]}]}`)
		case "huge":
			fmt.Fprint(w, `{"data":{"version":"`+strings.Repeat("x", 4096)+`"}}`)
		case "slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "wrong-shape": // and without the parent's fields the gateway asked for
			fmt.Fprint(w, `{"data":{"user":{"name":5,"friends":"not a list"},"version":{"a":1}}}`)
		default:
			fmt.Fprint(w, `{"data":{"version":"1.0"}}`)
		}
	})
	rest := mixedRESTSource(t)
	g := startGateway(t, mixedAPI(t, be.URL, rest.url, `resolver-timeout="1" graphql-max-answer-bytes="2048" graphql-max-depth="4" graphql-max-fields="20"`, ""))
	const mixed = `{ version weather(city: "Oslo") }`
	fragBomb := `query { ...A } fragment A on Query { a1: version ...B b1: version ...B } fragment B on Query { c1: version ...C c2: version ...C } fragment C on Query { d1: version d2: version d3: version d4: version d5: version d6: version }`
	for _, tc := range []struct {
		mode, query string
		want        string
		calls       int64
	}{
		{"ok", mixed, `{"data":{"version":"1.0","weather":"sunny in Oslo"}}`, 1},
		{"html", mixed, `{"data":{"version":null,"weather":"sunny in Oslo"},"errors":[{"message":"Query.version: the GraphQL backend's answer is not a GraphQL response (200 OK)","path":["version"],"locations":[{"line":1,"column":3}]}]}`, 1},
		{"500", mixed, `{"data":{"version":null,"weather":"sunny in Oslo"},"errors":[{"message":"Query.version: the GraphQL backend's answer is not a GraphQL response (500 Internal Server Error)","path":["version"],"locations":[{"line":1,"column":3}]}]}`, 1},
		{"data-list", mixed, `{"data":{"version":null,"weather":"sunny in Oslo"},"errors":[{"message":"Query.version: the GraphQL backend's answer is not a GraphQL response (200 OK)","path":["version"],"locations":[{"line":1,"column":3}]}]}`, 1},
		{"empty", mixed, `{"data":{"version":null,"weather":"sunny in Oslo"},"errors":[{"message":"Query.version: the GraphQL backend's answer is not a GraphQL response (200 OK)","path":["version"],"locations":[{"line":1,"column":3}]}]}`, 1},
		{"odd-errors", `{ user(id: "1") { nick } weather(city: "Oslo") }`, `{"data":{"user":null,"weather":"sunny in Oslo"},"errors":[{"message":"m1"},{"message":"the GraphQL backend answered an error that is not a GraphQL error"},{"message":"m3","path":["user"]}]}`, 1},
		{"huge", mixed, `{"data":{"version":null,"weather":"sunny in Oslo"},"errors":[{"message":"Query.version: the GraphQL backend's answer is larger than graphql-max-answer-bytes (2048)","path":["version"],"locations":[{"line":1,"column":3}]}]}`, 1},
		{"slow", mixed, `{"data":{"version":null,"weather":"sunny in Oslo"},"errors":[{"message":"Query.version: the GraphQL backend did not answer in time","path":["version"],"locations":[{"line":1,"column":3}]}]}`, 1},
		{"wrong-shape", `{ user(id: "1") { name nick friends { id } } version weather(city: "x") }`, `{"data":{"user":{"name":"5","nick":"nick-","friends":null},"version":null,"weather":"sunny in x"},"errors":[{"message":"User.friends: expected a list, got a string","path":["user","friends"],"locations":[{"line":1,"column":29}]},{"message":"Query.version: String cannot represent an object","path":["version"],"locations":[{"line":1,"column":46}]}]}`, 1},
		{"depth bomb", `{ weather(city: "x") user(id: "1") { friends { friends { friends { friends { name } } } } } }`, `{"errors":[{"message":"the query nests deeper than 4 levels","locations":[{"line":1,"column":58}]}]}`, 0},
		{"alias bomb", `{ weather(city: "x") ` + strings.Repeat("v: version ", 30) + `}`, `{"errors":[{"message":"the query selects more than 20 fields (fragments expanded)","locations":[{"line":1,"column":231}]}]}`, 0},
		{"fragment bomb", fragBomb, `{"errors":[{"message":"the query selects more than 20 fields (fragments expanded)","locations":[{"line":1,"column":190}]}]}`, 0},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			before := calls.Load()
			resp, body := gqlPost(t, g, "/gql", gqlBody(tc.query, "null"), "X-Mode", tc.mode)
			if resp.StatusCode != 200 || body != tc.want {
				t.Fatalf("status %d\n got %s\nwant %s", resp.StatusCode, body, tc.want)
			}
			if n := calls.Load() - before; n != tc.calls {
				t.Errorf("%d backend requests, want %d", n, tc.calls)
			}
		})
	}
}

// gqlWSBackend is a GraphQL backend's subscriptions over
// graphql-transport-ws and graphql-ws: each subscribe (start) is executed
// by gqlexec over mixedBackendSchema, its events the users Ada and Bob
// renamed, then complete. It records the subscribe payloads it got.
type gqlWSBackend struct {
	url  string
	mu   sync.Mutex
	subs []string
}

func (b *gqlWSBackend) got() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.subs...)
}

func newGQLWSBackend(t *testing.T) *gqlWSBackend {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: mixedBackendSchema})
	b := &gqlWSBackend{}
	srv := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"graphql-transport-ws", "graphql-ws"}, InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		legacy := c.Subprotocol() == "graphql-ws"
		ctx := r.Context()
		send := func(m map[string]any) {
			data, _ := json.Marshal(m)
			_ = c.Write(ctx, websocket.MessageText, data)
		}
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			var m struct {
				Type    string          `json:"type"`
				ID      string          `json:"id"`
				Payload json.RawMessage `json:"payload"`
			}
			_ = json.Unmarshal(data, &m)
			switch m.Type {
			case "connection_init":
				send(map[string]any{"type": "connection_ack"})
			case "subscribe", "start":
				b.mu.Lock()
				b.subs = append(b.subs, string(m.Payload))
				b.mu.Unlock()
				var p struct {
					Query     string         `json:"query"`
					Variables map[string]any `json:"variables"`
				}
				_ = json.Unmarshal(m.Payload, &p)
				sub, res := gqlexec.PrepareSubscription(schema, gqlexec.Params{Query: p.Query, Variables: p.Variables}, gqlexec.Limits{})
				if res != nil {
					send(map[string]any{"type": "error", "id": m.ID, "payload": res.Errors})
					continue
				}
				next := "next"
				if legacy {
					next = "data"
				}
				for _, u := range []map[string]any{
					{"__typename": "User", "id": "1", "name": "Ada", "role": "ADMIN"},
					{"__typename": "User", "id": "2", "name": "Bob", "role": "USER"},
				} {
					send(map[string]any{"type": next, "id": m.ID, "payload": sub.Event(ctx, u, nil)})
				}
				send(map[string]any{"type": "complete", "id": m.ID})
			}
		}
	})
	b.url = srv.URL
	return b
}

// TestGraphQLPassThroughSubscriptionResolvers: on a pass-through API with
// resolvers, a subscription whose selection reaches a resolver field
// (User.nick, User.posts) is sent to the backend without it, with the
// parent's fields the resolvers read, and each event the backend sends
// is the client's selection executed over it, the resolvers running (as
// APIM invokes a resolver whenever its type and field are executed). A
// subscription that reaches none is the backend's, byte for byte. Both
// subprotocols.
func TestGraphQLPassThroughSubscriptionResolvers(t *testing.T) {
	for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(proto, func(t *testing.T) {
			be := newGQLWSBackend(t)
			rest := mixedRESTSource(t)
			g := startGateway(t, mixedAPI(t, be.url, rest.url, "", ""))
			c := dial(t, g.ws+"/gql", &websocket.DialOptions{Subprotocols: []string{proto}})
			if c.Subprotocol() != proto {
				t.Fatalf("subprotocol %q", c.Subprotocol())
			}
			subscribe, next := "subscribe", "next"
			if proto == "graphql-ws" {
				subscribe, next = "start", "data"
			}
			mustWrite(t, c, `{"type":"connection_init"}`)
			if got := mustRead(t, c); got != `{"type":"connection_ack"}` {
				t.Fatalf("ack: %s", got)
			}
			mustWrite(t, c, `{"type":"`+subscribe+`","id":"a","payload":{"query":"subscription($x: Boolean!) { renamed { name nick @include(if: $x) posts { title } } }","variables":{"x":true}}}`)
			for _, want := range []string{
				`{"type":"` + next + `","id":"a","payload":{"data":{"renamed":{"name":"Ada","nick":"nick-Ada","posts":[{"title":"post of 1"}]}}}}`,
				`{"type":"` + next + `","id":"a","payload":{"data":{"renamed":{"name":"Bob","nick":"nick-Bob","posts":[{"title":"post of 2"}]}}}}`,
				`{"id":"a","type":"complete"}`, // as the backend sent it
			} {
				if got := mustRead(t, c); got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
			}
			sent := be.got()
			if len(sent) != 1 || strings.Contains(sent[0], "nick") || strings.Contains(sent[0], "posts") ||
				!strings.Contains(sent[0], `tollgate_parent_id: id`) || !strings.Contains(sent[0], `tollgate_parent_name: name`) {
				t.Errorf("the backend got %q", sent)
			}
			// No resolver in the selection: the backend's, as sent.
			plain := `{"type":"` + subscribe + `","id":"b","payload":{"query":"subscription { renamed { id name } }"}}`
			mustWrite(t, c, plain)
			for _, want := range []string{
				`{"id":"b","payload":{"data":{"renamed":{"id":"1","name":"Ada"}}},"type":"` + next + `"}`,
				`{"id":"b","payload":{"data":{"renamed":{"id":"2","name":"Bob"}}},"type":"` + next + `"}`,
				`{"id":"b","type":"complete"}`,
			} {
				if got := mustRead(t, c); got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
			}
			if sent := be.got(); len(sent) != 2 || sent[1] != `{"query":"subscription { renamed { id name } }"}` {
				t.Errorf("the backend got %q", sent)
			}
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
}
