package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

const graphqlSchema = `type Query {
  missions(limit: Int): [Missions]
  users: [User]
}
type Missions {
  id: ID!
  name: String
}
type User {
  id: ID!
  name: String
}
`

// A GraphQL pass-through API (type graphql, schema.graphql) served with
// APIM's validate-graphql-request example 1: what the backend gets and
// what the client sees, on a real socket.
func TestGraphQLAPIServed(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":{"missions":[{"id":"1"}]}}`)
	})
	dir := t.TempDir()
	writeAPI(t, dir, "space", fmt.Sprintf(`type="graphql" path="/graphql" service-url=%q`, rb.url), `<policies>
  <inbound>
    <validate-graphql-request error-variable-name="name" max-size="102400" max-depth="4"> 
        <authorize>
            <rule path="/__*" action="reject" /> 
            <rule path="/Missions/name" action="@(context.Request.Headers.Count > 2 ? "remove" : "allow")" />
        </authorize>
    </validate-graphql-request> 
    <set-header name="X-Api-Type" exists-action="override"><value>@(context.Api.Type)</value></set-header>
  </inbound>
</policies>`)
	writeFile(t, dir, "space/schema.graphql", graphqlSchema)
	g := startGateway(t, dir)
	post := func(query string, headers int) (*http.Response, string) {
		body, _ := json.Marshal(map[string]string{"query": query})
		req, _ := http.NewRequest("POST", g.url+"/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i < headers; i++ {
			req.Header.Set(fmt.Sprintf("X-Extra-%d", i), "1")
		}
		return do(t, req.WithContext(testCtx(t)))
	}

	// A query without Missions.name goes as it came.
	resp, body := post(`{ missions(limit: 2) { id } }`, 0)
	if resp.StatusCode != 200 || body != `{"data":{"missions":[{"id":"1"}]}}` {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	seen := rb.last.Load()
	if string(seen.body) != `{"query":"{ missions(limit: 2) { id } }"}` || seen.header.Get("X-Api-Type") != "graphql" {
		t.Errorf("the backend got %s (X-Api-Type %q)", seen.body, seen.header.Get("X-Api-Type"))
	}

	// More than two headers (a Go client sends four of its own):
	// /Missions/name is removed from the query, and its field error joins
	// the backend's answer.
	resp, body = post(`{ missions { id name } }`, 3)
	if resp.StatusCode != 200 || body != `{"data":{"missions":[{"id":"1"}]},"errors":[{"locations":[{"column":17,"line":1}],"message":"The field Missions.name was removed from the request (rule /Missions/name).","path":["missions","name"]}]}` {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	var got struct{ Query string }
	if err := json.Unmarshal(rb.last.Load().body, &got); err != nil || got.Query != "query {\n  missions {\n    id\n  }\n}\n" {
		t.Errorf("the backend got %q (%v)", rb.last.Load().body, err)
	}

	// Introspection is rejected before the backend.
	calls := rb.calls.Load()
	resp, body = post(`{ __schema { types { name } } }`, 0)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" ||
		body != `{"errors":[{"locations":[{"column":3,"line":1}],"message":"Access to Query.__schema is denied (rule /__*).","path":["__schema"]}]}` {
		t.Errorf("status %d body %s", resp.StatusCode, body)
	}
	if rb.calls.Load() != calls {
		t.Error("the backend was called")
	}
}

// A GraphQL API's schema problems are load errors at their line and
// column; a graphql API needs one, and only a graphql API reads one.
func TestGraphQLSchemaLoadErrors(t *testing.T) {
	tests := []struct {
		name, typ, file, schema string
		want                    string // "" : loads
	}{
		{"loads", "graphql", "schema.graphql", graphqlSchema, ""},
		{"APIOps' name", "graphql", "specification.graphql", graphqlSchema, ""},
		{"a syntax error", "graphql", "schema.graphql", "type Query {\n  a: Int\n  b: [Int\n}\n", "schema.graphql:4:1: GraphQL schema: Expected ], found }"},
		{"an unknown type", "graphql", "schema.graphql", "type Query {\n  a: Nope\n}\n", "schema.graphql:2:6: GraphQL schema: Undefined type Nope."},
		{"no schema", "graphql", "", "", `API "gq" is of type graphql: its folder needs its schema`},
		{"a schema for an http API", "http", "schema.graphql", graphqlSchema, `schema.graphql:1:1: schema.graphql is a GraphQL schema, read for an API of type graphql only`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAPI(t, dir, "gq", fmt.Sprintf(`type=%q path="/gq" service-url="http://127.0.0.1:1/"`, tc.typ), "")
			if tc.file != "" {
				writeFile(t, dir, "gq/"+tc.file, tc.schema)
			}
			_, errs := load(t, dir)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Fatalf("errors %v, want one with %q", errs, tc.want)
			}
			if tc.file != "" && !strings.HasPrefix(errs[0], filepath.Join(dir, "gq", tc.file)) {
				t.Errorf("error %q does not name %s", errs[0], tc.file)
			}
		})
	}
}

// An APIOps GraphQL API: "type": "graphql" and specification.graphql, as
// the extractor writes them.
func TestGraphQLAPIOps(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "apis/space/apiInformation.json", `{"properties": {"displayName": "Space", "path": "space", "serviceUrl": "https://api.example.com/graphql", "type": "graphql", "protocols": ["https"]}}`)
	writeFile(t, dir, "apis/space/specification.graphql", graphqlSchema)
	snap, errs := load(t, dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a := snap.API("space")
	if a == nil || a.Type != "graphql" || a.Info.Type != "graphql" || a.Path != "/space" {
		t.Fatalf("API %+v", a)
	}
	writeFile(t, dir, "apis/space/specification.graphql", "type Query {")
	if _, errs := load(t, dir); len(errs) != 1 || !strings.Contains(errs[0], "specification.graphql:1:13: GraphQL schema:") {
		t.Errorf("errors %v", errs)
	}
}

// A GraphQL API's subscriptions: a WebSocket upgrade to its path is
// relayed to the service URL's ws:// twin, subprotocol included, while
// its queries stay HTTP; validate-graphql-request checks the queries and
// lets the handshake (which carries no query) through.
//
// With resolvers for some fields (a pass-through API the gateway executes
// some requests of) the same holds: its subscriptions are its backend's.
func TestGraphQLSubscriptionsOverWebSocket(t *testing.T) {
	for _, resolvers := range []bool{false, true} {
		t.Run(fmt.Sprintf("resolvers=%v", resolvers), func(t *testing.T) { testGraphQLSubscriptionsOverWebSocket(t, resolvers) })
	}
}

func testGraphQLSubscriptionsOverWebSocket(t *testing.T, resolvers bool) {
	var handshakes atomic.Int64
	backend := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"data":{"users":[]}}`)
			return
		}
		handshakes.Add(1)
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"graphql-transport-ws"}, InsecureSkipVerify: true})
		if err != nil {
			return
		}
		echo(c, nil)
	})
	dir := t.TempDir()
	writeAPI(t, dir, "space", fmt.Sprintf(`type="graphql" path="/graphql" service-url=%q`, backend.URL),
		`<policies><inbound><validate-graphql-request max-size="10000"><authorize><rule path="/__*" action="reject"/></authorize></validate-graphql-request></inbound></policies>`)
	writeFile(t, dir, "space/schema.graphql", graphqlSchema)
	if resolvers {
		writeResolver(t, dir, "space", "Query.missions", "http://127.0.0.1:1/missions", "")
	}
	g := startGateway(t, dir)

	c := dial(t, g.ws+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if c.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	mustWrite(t, c, `{"type":"connection_init"}`)
	if got := mustRead(t, c); got != `{"type":"connection_init"}` {
		t.Fatalf("echo %q", got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if handshakes.Load() != 1 {
		t.Errorf("%d backend handshakes", handshakes.Load())
	}

	// The same path's queries are still HTTP, and still validated.
	resp, body := do(t, mustPost(t, g.url+"/graphql", `{"query":"{ users { id } }"}`))
	if resp.StatusCode != 200 || body != `{"data":{"users":[]}}` {
		t.Errorf("query: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, mustPost(t, g.url+"/graphql", `{"query":"{ __schema { types { name } } }"}`))
	if resp.StatusCode != 400 || !strings.Contains(body, "denied") {
		t.Errorf("introspection: %d %s", resp.StatusCode, body)
	}
}

func mustPost(t *testing.T, url, body string) *http.Request {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req.WithContext(testCtx(t))
}
