package policies

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"tollgate/engine"
)

// gqlTestSchema has the Missions type APIM's examples name.
const gqlTestSchema = `
type Query {
  missions(limit: Int): [Missions]
  mission(id: ID!): Missions
  users: [User]
}
type Mutation {
  deleteUser(id: ID!): User
  addUser(name: String!): User
}
type Missions {
  id: ID!
  name: String
  description: String
  payloads: [Payload]
}
type Payload {
  id: ID
  orbit: String
  customers: [Customer]
}
type Customer {
  name: String
  country: Country
}
type Country {
  name: String
  region: Region
}
type Region {
  name: String
}
type User {
  id: ID!
  name: String
}
`

func gqlSchema(t testing.TB) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: gqlTestSchema})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gqlState is a request to a GraphQL API: POST with body (and
// Content-Type ct) unless method says GET, then rawURL carries it.
func gqlState(t testing.TB, method, rawURL, ct, body string, hdr ...string) *engine.State {
	s := request(rawURL, hdr...)
	s.Context().Request.Method = method
	if ct != "" {
		s.Context().Request.Headers["Content-Type"] = []string{ct}
	}
	s.Context().Request.Body = engine.NewBody([]byte(body))
	engine.SetGraphQLSchema(s.Context().Api, gqlSchema(t))
	return s
}

func gqlBody(query string, extra ...string) string {
	m := map[string]any{"query": query}
	for i := 0; i+1 < len(extra); i += 2 {
		var v any
		if err := json.Unmarshal([]byte(extra[i+1]), &v); err != nil {
			v = extra[i+1]
		}
		m[extra[i]] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestValidateGraphQLRequest(t *testing.T) {
	// APIM's example 1, as its reference writes it (quotes inside the
	// attribute's expression included).
	gqlExample1 := apimDoc(t, "validate-graphql-request.xml")
	const jsonCT = "application/json"
	type want struct {
		rejected  bool
		errHas    string // in the errors block (rejected) or in the removed fields' errors
		query     string // the query the backend gets, when the policy rewrote it
		unchanged bool   // the body is as sent
		removed   int    // field errors recorded (not rejected)
	}
	tests := []struct {
		name   string
		policy string
		method string
		url    string
		ct     string
		body   string
		hdr    []string
		want   want
	}{
		{name: "example 1: a plain query passes as sent", policy: gqlExample1, ct: jsonCT,
			body: gqlBody(`{ missions(limit: 3) { id name } }`), want: want{unchanged: true}},
		{name: "example 1: more than two headers remove /Missions/name", policy: gqlExample1, ct: jsonCT,
			body: gqlBody(`{ missions(limit: 3) { id name } }`), hdr: []string{"A", "1", "B", "2"},
			want: want{query: "query {\n  missions(limit: 3) {\n    id\n  }\n}", removed: 1, errHas: "Missions.name was removed"}},
		{name: "example 1: the introspection system is rejected", policy: gqlExample1, ct: jsonCT,
			body: gqlBody(`{ __schema { types { name } } }`), want: want{rejected: true, errHas: "Access to Query.__schema is denied (rule /__*)"}},
		{name: "example 1: __type too", policy: gqlExample1, ct: jsonCT,
			body: gqlBody(`{ __type(name: "Missions") { name } }`), want: want{rejected: true, errHas: "Query.__type is denied"}},
		{name: "example 1: deeper than max-depth 4", policy: gqlExample1, ct: jsonCT,
			body: gqlBody(`{ missions { payloads { customers { country { region { name } } } } } }`),
			want: want{rejected: true, errHas: "depth, 6, is more than max-depth, 4"}},
		{name: "example 1: fragments count no depth", policy: gqlExample1, ct: jsonCT,
			body: gqlBody(`query { missions { ...M } } fragment M on Missions { payloads { ... on Payload { orbit customers { name } } } }`),
			want: want{unchanged: true}},
		{name: "max-size", policy: `<validate-graphql-request max-size="40"/>`, ct: jsonCT,
			body: gqlBody(`{ missions { id name description } }`), want: want{rejected: true, errHas: "larger than max-size, 40 bytes"}},
		{name: "a field the schema does not have", policy: `<validate-graphql-request max-size="1000"/>`, ct: jsonCT,
			body: gqlBody(`{ missions { id secret } }`), want: want{rejected: true, errHas: `Cannot query field \"secret\" on type \"Missions\"`}},
		{name: "not GraphQL", policy: `<validate-graphql-request max-size="1000"/>`, ct: jsonCT,
			body: gqlBody(`{ missions { id `), want: want{rejected: true, errHas: "Expected Name"}},
		{name: "not JSON", policy: `<validate-graphql-request max-size="1000"/>`, ct: jsonCT,
			body: `query=x`, want: want{rejected: true, errHas: "not a GraphQL request"}},
		{name: "no query", policy: `<validate-graphql-request max-size="1000"/>`, ct: jsonCT,
			body: `{"variables":{}}`, want: want{rejected: true, errHas: "has no query"}},
		{name: "variables of the wrong type", policy: `<validate-graphql-request max-size="1000"/>`, ct: jsonCT,
			body: gqlBody(`query Q($n: Int) { missions(limit: $n) { id } }`, "variables", `{"n":"three"}`),
			want: want{rejected: true, errHas: "cannot use string as Int"}},
		{name: "a required variable missing", policy: `<validate-graphql-request max-size="1000"/>`, ct: jsonCT,
			body: gqlBody(`query Q($id: ID!) { mission(id: $id) { id } }`), want: want{rejected: true, errHas: "must be defined"}},
		{name: "operationName picks the operation", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/users" action="reject"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`query A { missions { id } } query B { users { id } }`, "operationName", "A"), want: want{unchanged: true}},
		{name: "operationName picks the rejected operation", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/users" action="reject"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`query A { missions { id } } query B { users { id } }`, "operationName", "B"), want: want{rejected: true, errHas: "Query.users is denied"}},
		{name: "two operations, no operationName", policy: `<validate-graphql-request max-size="1000"/>`,
			ct: jsonCT, body: gqlBody(`query A { missions { id } } query B { users { id } }`), want: want{rejected: true, errHas: "more than one operation"}},
		{name: "an unknown operationName", policy: `<validate-graphql-request max-size="1000"/>`,
			ct: jsonCT, body: gqlBody(`query A { missions { id } }`, "operationName", "C"), want: want{rejected: true, errHas: `Unknown operation named \"C\"`}},
		{name: "a mutation rule, /Type/field", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Mutation/deleteUser" action="@(context.Request.IpAddress != &quot;198.51.100.1&quot; ? &quot;reject&quot; : &quot;allow&quot;)"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`mutation { deleteUser(id: "1") { id } }`), want: want{rejected: true, errHas: "Mutation.deleteUser is denied"}},
		{name: "GET: the query parameter", policy: `<validate-graphql-request max-size="1000"/>`, method: "GET",
			url: "http://gw/graphql?query=%7B%20missions%20%7B%20id%20%7D%20%7D", want: want{unchanged: true}},
		{name: "GET: a mutation is refused", policy: `<validate-graphql-request max-size="1000"/>`, method: "GET",
			url: "http://gw/graphql?query=mutation%20%7B%20addUser(name%3A%22x%22)%20%7B%20id%20%7D%20%7D", want: want{rejected: true, errHas: "mutation is sent with POST"}},
		{name: "GET: a removed field rewrites the parameter", method: "GET", url: "http://gw/graphql?query=%7B%20missions%20%7B%20id%20name%20%7D%20%7D",
			policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Missions/name" action="remove"/></authorize></validate-graphql-request>`,
			want:   want{query: "query {\n  missions {\n    id\n  }\n}", removed: 1}},
		{name: "application/graphql", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Missions/id" action="remove"/></authorize></validate-graphql-request>`,
			ct: "application/graphql", body: `{ missions { id name } }`, want: want{query: "query {\n  missions {\n    name\n  }\n}", removed: 1}},
		{name: "a removed fragment's only field drops the fragment", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Missions/name" action="remove"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`{ missions { id ...N } } fragment N on Missions { name }`),
			want: want{query: "query {\n  missions {\n    id\n  }\n}", removed: 1}},
		{name: "a field whose subfields all go goes too", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Payload/*" action="remove"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`{ missions { id payloads { id orbit } } }`),
			want: want{query: "query {\n  missions {\n    id\n  }\n}", removed: 2}},
		{name: "every field removed", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/missions" action="remove"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`{ missions { id } }`), want: want{rejected: true, errHas: "Every field of the request was removed"}},
		{name: "the most specific rule wins over a wildcard", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Missions/*" action="reject"/><rule path="/Missions/id" action="allow"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`{ missions { id } }`), want: want{unchanged: true}},
		{name: "ignore falls through to the next rule", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/Missions/id" action="ignore"/><rule path="/Missions/*" action="reject"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`{ missions { id } }`), want: want{rejected: true, errHas: "rule /Missions/*"}},
		{name: "9,000 fields of one name: refused before validation compares them in pairs", policy: `<validate-graphql-request max-size="102400"/>`,
			ct: jsonCT, body: gqlBody(`{ users { ` + strings.Repeat("id ", 9000) + `} }`), want: want{rejected: true, errHas: "too many fields of the same names"}},
		{name: "sixteen same-named fields whose sub-selections merge to 4,000", policy: `<validate-graphql-request max-size="102400"/>`,
			ct: jsonCT, body: gqlBody(`{ ` + strings.Repeat("users { "+strings.Repeat("id ", 250)+"} ", 16) + `}`), want: want{rejected: true, errHas: "too many fields of the same names"}},
		{name: "fragments spread in fragments, counted without blowing up", policy: `<validate-graphql-request max-size="102400" max-depth="20"/>`,
			ct: jsonCT, body: gqlBody(`query { users { ...A ...A } } fragment A on User { ...B ...B ...B ...B ...B ...B ...B ...B } ` +
				`fragment B on User { ...C ...C ...C ...C ...C ...C ...C ...C } fragment C on User { ...D ...D ...D ...D ...D ...D ...D ...D } fragment D on User { id name }`),
			want: want{rejected: true, errHas: "too many fields of the same names"}},
		{name: "250 fields across all levels pass (APIM's bound)", policy: `<validate-graphql-request max-size="102400"/>`,
			ct: jsonCT, body: gqlBody(`{ users { ` + aliases(249) + `} }`), want: want{unchanged: true}},
		{name: "251 fields: an alias bomb past APIM's 250", policy: `<validate-graphql-request max-size="102400"/>`,
			ct: jsonCT, body: gqlBody(`{ users { ` + aliases(250) + `} }`), want: want{rejected: true, errHas: "more than 250 fields"}},
		{name: "a fragment's fields count once, however often it is spread", policy: `<validate-graphql-request max-size="102400"/>`,
			ct: jsonCT, body: gqlBody(`{ a: users { ...F } b: users { ...F } c: users { ...F } } fragment F on User { ` + aliases(200) + `}`), want: want{unchanged: true}},
		{name: "aliases keep their path", policy: `<validate-graphql-request max-size="1000"><authorize><rule path="/User/name" action="reject"/></authorize></validate-graphql-request>`,
			ct: jsonCT, body: gqlBody(`{ people: users { who: name } }`), want: want{rejected: true, errHas: `"path":["people","who"]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			method, u := tc.method, tc.url
			if method == "" {
				method = http.MethodPost
			}
			if u == "" {
				u = "http://gw/graphql"
			}
			s := gqlState(t, method, u, tc.ct, tc.body, tc.hdr...)
			defer s.Release()
			stopped := runInbound(plan, s)
			if stopped != tc.want.rejected {
				t.Fatalf("stopped = %v, want %v (%+v)", stopped, tc.want.rejected, s.LastError())
			}
			if tc.want.rejected {
				le := s.LastError()
				r := s.Response()
				body, _ := r.Body.Bytes()
				if le == nil || le.Reason != ReasonGraphQL || r.StatusCode != 400 || !strings.HasPrefix(string(body), `{"errors":[`) {
					t.Fatalf("error %+v, status %d, body %s", le, r.StatusCode, body)
				}
				if !strings.Contains(string(body), tc.want.errHas) {
					t.Errorf("errors block %s lacks %q", body, tc.want.errHas)
				}
				if errs, _ := s.Variables()["GraphQLErrors"].([]any); len(errs) == 0 {
					t.Error("GraphQLErrors is empty")
				}
				return
			}
			req := s.Context().Request
			var got string
			if method == http.MethodGet {
				got = req.Url.Query.GetValueOrDefault("query", "")
			} else {
				data, _ := req.Body.Bytes()
				if tc.want.unchanged && string(data) != tc.body {
					t.Errorf("body %q, want it unchanged: %q", data, tc.body)
				}
				var r struct {
					Query string `json:"query"`
				}
				if err := json.Unmarshal(data, &r); err != nil {
					t.Fatalf("body %q: %v", data, err)
				}
				got = r.Query
			}
			if tc.want.query != "" && strings.TrimSpace(got) != tc.want.query {
				t.Errorf("query %q, want %q", got, tc.want.query)
			}
			errs, _ := s.Variables()["GraphQLErrors"].([]any)
			if len(errs) != tc.want.removed {
				t.Errorf("GraphQLErrors %v, want %d", errs, tc.want.removed)
			}
			if tc.want.errHas != "" {
				b, _ := json.Marshal(errs)
				if !strings.Contains(string(b), tc.want.errHas) {
					t.Errorf("GraphQLErrors %s lacks %q", b, tc.want.errHas)
				}
				if named, _ := s.Variables()["name"].([]any); len(named) != len(errs) {
					t.Errorf("error-variable-name's variable %v, want the same %d errors", named, len(errs))
				}
			}
		})
	}
}

// A removed field's error reaches the client in the backend's errors
// block; an answer that is not a JSON object is left alone.
func TestValidateGraphQLFieldErrorsInAnswer(t *testing.T) {
	plan := compile(t, testDeps(), `<validate-graphql-request max-size="1000"><authorize><rule path="/Missions/name" action="remove"/></authorize></validate-graphql-request>`)
	for _, tc := range []struct{ ct, answer, want string }{
		{"application/json", `{"data":{"missions":[{"id":"1"}]}}`, `{"data":{"missions":[{"id":"1"}]},"errors":[{"locations":[{"column":17,"line":1}],"message":"The field Missions.name was removed from the request (rule /Missions/name).","path":["missions","name"]}]}`},
		{"application/json", `{"errors":[{"message":"boom"}]}`, `{"errors":[{"message":"boom"},{"locations":[{"column":17,"line":1}],"message":"The field Missions.name was removed from the request (rule /Missions/name).","path":["missions","name"]}]}`},
		{"text/plain", `oops`, `oops`},
		{"application/json", `[1]`, `[1]`},
	} {
		s := gqlState(t, http.MethodPost, "http://gw/graphql", "application/json", gqlBody(`{ missions { id name } }`))
		if runInbound(plan, s) {
			t.Fatal(s.LastError())
		}
		r := engine.NewResponse(200)
		r.Headers["Content-Type"] = []string{tc.ct}
		r.Body = engine.NewBody([]byte(tc.answer))
		s.SetResponse(r)
		s.BackendResponded()
		got, _ := s.Response().Body.Bytes()
		if string(got) != tc.want {
			t.Errorf("answer %s:\n got %s\nwant %s", tc.answer, got, tc.want)
		}
		s.Release()
	}
}

// On an API that is not a GraphQL API the policy fails closed.
func TestValidateGraphQLNotGraphQLAPI(t *testing.T) {
	plan := compile(t, testDeps(), `<validate-graphql-request max-size="1000"/>`)
	s := request("http://gw/graphql")
	defer s.Release()
	if !runInbound(plan, s) || s.Response().StatusCode != 500 || !strings.Contains(s.LastError().Message, "not a GraphQL API") {
		t.Fatalf("%+v", s.LastError())
	}
}

// FuzzValidateGraphQL: whatever the request, the policy answers (passes,
// rewrites to a query that is valid against the schema, or refuses with
// an errors block) and never panics.
func FuzzValidateGraphQL(f *testing.F) {
	for _, q := range []string{`{ missions { id name } }`, `{ missions { ...N } } fragment N on Missions { name payloads { id } }`,
		`query Q($n: Int) { missions(limit: $n) { id } }`, `{ __schema { types { name } } }`, `{ a: users { b: name } }`, `{`} {
		f.Add(q, `{"n":1}`)
	}
	plan := compile(f, testDeps(), `<validate-graphql-request max-size="4000" max-depth="8"><authorize>
  <rule path="/__*" action="reject"/><rule path="/Missions/name" action="remove"/><rule path="/Payload/*" action="remove"/>
</authorize></validate-graphql-request>`)
	schema := gqlSchema(f)
	f.Fuzz(func(t *testing.T, query, vars string) {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage("null")})
		if json.Valid([]byte(vars)) {
			body, _ = json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(vars)})
		}
		s := request("http://gw/graphql")
		defer s.Release()
		s.Context().Request.Method = http.MethodPost
		s.Context().Request.Body = engine.NewBody(body)
		engine.SetGraphQLSchema(s.Context().Api, schema)
		if runInbound(plan, s) {
			if le := s.LastError(); le == nil || (le.Reason != ReasonGraphQL && le.Reason != engine.ReasonExpression) {
				t.Fatalf("stopped with %+v", le)
			}
			return
		}
		data, _ := s.Context().Request.Body.Bytes()
		if string(data) == string(body) {
			return
		}
		var r struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("rewritten body %q: %v", data, err)
		}
		if _, errs := gqlparser.LoadQuery(schema, r.Query); len(errs) > 0 {
			t.Fatalf("rewritten query %q of %q is not valid: %v", r.Query, query, errs)
		}
	})
}

// A subscriptions socket's handshake (ws scheme) has no query to check:
// the policy lets it through; the same request over http is refused.
func TestValidateGraphQLWebSocketHandshake(t *testing.T) {
	plan := compile(t, testDeps(), `<validate-graphql-request max-size="1000"/>`)
	for _, tc := range []struct {
		url     string
		stopped bool
	}{{"ws://gw/graphql", false}, {"wss://gw/graphql", false}, {"http://gw/graphql", true}} {
		s := gqlState(t, http.MethodGet, tc.url, "", "")
		if got := runInbound(plan, s); got != tc.stopped {
			t.Errorf("%s: stopped = %v, want %v", tc.url, got, tc.stopped)
		}
		s.Release()
	}
}

// aliases is n distinct response names for User.id: a0: id a1: id ...
func aliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: id ", i)
	}
	return b.String()
}
