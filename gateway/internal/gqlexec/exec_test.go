package gqlexec

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const testSchema = `
"The root"
type Query {
  hero(id: ID = "1"): Character
  heroes(ids: [ID!]!): [Character]
  user(id: Int!): User
  users: [User!]
  strictUsers: [User!]!
  search(text: String!): [SearchResult]
  echo(s: String, n: Int, f: Float, b: Boolean, e: Episode, in: Filter): String
  fail: String
  failNonNull: String!
  count: Int
  ratio: Float
  flag: Boolean
  episode: Episode
  big: Int
  nested: Nested
  oldField: String @deprecated(reason: "use count")
}
type Mutation {
  add(n: Int!): Int
  log: [Int]
}
type Subscription { onEvent: Character! }
input Filter { q: String = "all", limit: Int }
enum Episode { NEWHOPE EMPIRE JEDI }
interface Character { id: ID! name: String! }
type Human implements Character { id: ID! name: String! height: Float }
type Droid implements Character { id: ID! name: String! primaryFunction: String }
union SearchResult = Human | Droid
type User { id: Int! name: String! friends: [User!] boss: User! }
type Nested { inner: Nested value: Int }
`

func schema(t testing.TB) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jsonValue(text string) any {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

// testResolvers answer from fixed JSON; each resolver sees its Field.
func testResolvers(calls *atomic.Int64, order *[]string, mu *sync.Mutex) Resolvers {
	m := map[string]Resolver{
		"Query.hero": func(_ context.Context, f *Field) (any, error) {
			if f.Args["id"] == "2" {
				return jsonValue(`{"__typename":"Droid","id":"2","name":"R2-D2","primaryFunction":"Astromech"}`), nil
			}
			return jsonValue(`{"__typename":"Human","id":1,"name":"Luke","height":1.72}`), nil
		},
		"Query.user": func(_ context.Context, f *Field) (any, error) {
			id := f.Args["id"]
			return jsonValue(`{"id":` + jsonText(id) + `,"name":"U` + jsonText(id) + `","friends":[{"id":2,"name":"B"},{"id":3,"name":null}]}`), nil
		},
		"User.boss": func(_ context.Context, f *Field) (any, error) {
			if f.Parent.(map[string]any)["id"] == json.Number("3") {
				return nil, nil
			}
			return jsonValue(`{"id":9,"name":"Boss"}`), nil
		},
		"Query.users":       func(context.Context, *Field) (any, error) { return jsonValue(`[{"id":1,"name":"A"},null]`), nil },
		"Query.strictUsers": func(context.Context, *Field) (any, error) { return jsonValue(`[{"id":1,"name":null}]`), nil },
		"Query.search": func(context.Context, *Field) (any, error) {
			return jsonValue(`[{"__typename":"Human","id":"1","name":"Luke"},{"__typename":"Droid","id":"2","name":"R2"},{"id":"3","name":"?"}]`), nil
		},
		"Query.echo": func(_ context.Context, f *Field) (any, error) {
			b, _ := json.Marshal(f.Args)
			return string(b), nil
		},
		"Query.fail":        func(context.Context, *Field) (any, error) { return nil, errors.New("backend said no") },
		"Query.failNonNull": func(context.Context, *Field) (any, error) { return nil, errors.New("backend said no") },
		"Query.count":       func(context.Context, *Field) (any, error) { return json.Number("3.0"), nil },
		"Query.ratio":       func(context.Context, *Field) (any, error) { return "0.5", nil },
		"Query.flag":        func(context.Context, *Field) (any, error) { return "yes", nil },
		"Query.episode":     func(context.Context, *Field) (any, error) { return "PHANTOM", nil },
		"Query.big":         func(context.Context, *Field) (any, error) { return json.Number("3000000000"), nil },
		"Query.nested": func(context.Context, *Field) (any, error) {
			return jsonValue(`{"value":1,"inner":{"value":2,"inner":{"value":3}}}`), nil
		},
		"Mutation.add": func(_ context.Context, f *Field) (any, error) {
			mu.Lock()
			*order = append(*order, jsonText(f.Args["n"]))
			mu.Unlock()
			return f.Args["n"], nil
		},
	}
	return func(typ, field string) Resolver {
		r := m[typ+"."+field]
		if r == nil {
			return nil
		}
		return func(ctx context.Context, f *Field) (any, error) {
			calls.Add(1)
			return r(ctx, f)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestExecute(t *testing.T) {
	s := schema(t)
	cases := []struct {
		name      string
		query     string
		vars      string
		op        string
		lim       Limits
		want      string // the whole response, JSON
		wantCalls int64
	}{
		{name: "aliases, typename and default arguments", query: `{ a: hero { id name __typename } b: hero(id: "2") { id ... on Droid { primaryFunction } } }`,
			want: `{"data":{"a":{"id":"1","name":"Luke","__typename":"Human"},"b":{"id":"2","primaryFunction":"Astromech"}}}`, wantCalls: 2},
		{name: "fragments and inline fragments on an interface", query: `query { hero { ...C ... on Human { height } } } fragment C on Character { name }`,
			want: `{"data":{"hero":{"name":"Luke","height":1.72}}}`},
		{name: "union resolved by __typename, unknown type is a field error", query: `{ search(text: "x") { __typename ... on Human { name } ... on Droid { id } } }`,
			want: `{"data":{"search":[{"__typename":"Human","name":"Luke"},{"__typename":"Droid","id":"2"},null]},"errors":[{"message":"Query.search: cannot tell which type of SearchResult the value is (give it a __typename naming one of its types)","path":["search",2],"locations":[{"line":1,"column":3}]}]}`},
		{name: "variables with defaults and coercion", query: `query Q($id: Int!, $e: Episode = JEDI, $f: Filter) { user(id: $id) { id name } echo(n: $id, e: $e, in: $f, f: 1) }`,
			vars: `{"id": 7, "f": {"limit": 2}}`,
			want: `{"data":{"user":{"id":7,"name":"U7"},"echo":"{\"e\":\"JEDI\",\"f\":1,\"in\":{\"limit\":2},\"n\":7}"}}`},
		{name: "skip and include", query: `query ($no: Boolean!) { hero @skip(if: true) { id } count @include(if: $no) ratio @include(if: true) }`, vars: `{"no": false}`,
			want: `{"data":{"ratio":0.5}}`},
		{name: "a resolver error is a null with a path", query: `{ fail count }`,
			want: `{"data":{"fail":null,"count":3},"errors":[{"message":"backend said no","path":["fail"],"locations":[{"line":1,"column":3}]}]}`},
		{name: "a non-null failure nulls the parent (data)", query: `{ count failNonNull }`,
			want: `{"data":null,"errors":[{"message":"backend said no","path":["failNonNull"],"locations":[{"line":1,"column":9}]}]}`},
		{name: "null in a non-null field propagates to the nearest nullable parent", query: `{ user(id: 1) { id friends { id boss { name } } } }`,
			want: `{"data":{"user":{"id":1,"friends":null}},"errors":[{"message":"Cannot return null for non-nullable field User.boss","path":["user","friends",1,"boss"],"locations":[{"line":1,"column":33}]}]}`},
		{name: "null item of [User!]", query: `{ users { id } }`,
			want: `{"data":{"users":null},"errors":[{"message":"Cannot return null for non-nullable field Query.users","path":["users",1],"locations":[{"line":1,"column":3}]}]}`},
		{name: "non-null list all the way up", query: `{ strictUsers { name } }`,
			want: `{"data":null,"errors":[{"message":"Cannot return null for non-nullable field User.name","path":["strictUsers",0,"name"],"locations":[{"line":1,"column":17}]}]}`},
		{name: "scalar and enum result coercion", query: `{ count ratio flag episode big }`,
			want: `{"data":{"count":3,"ratio":0.5,"flag":null,"episode":null,"big":null},"errors":[{"message":"Query.big: Int cannot represent 3000000000","path":["big"],"locations":[{"line":1,"column":28}]},{"message":"Query.episode: \"PHANTOM\" is not a value of enum Episode","path":["episode"],"locations":[{"line":1,"column":20}]},{"message":"Query.flag: Boolean cannot represent \"yes\"","path":["flag"],"locations":[{"line":1,"column":15}]}]}`},
		{name: "mutations run in order", query: `mutation { a: add(n: 1) b: add(n: 2) c: add(n: 3) }`,
			want: `{"data":{"a":1,"b":2,"c":3}}`},
		{name: "syntax error: no data", query: `{ hero { `, want: `{"errors":[{"message":"Expected Name, found \u003cEOF\u003e","locations":[{"line":1,"column":10}]}]}`},
		{name: "validation error: no data", query: `{ nope }`, want: `{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\".","locations":[{"line":1,"column":3}]}]}`},
		{name: "bad variable: no data", query: `query ($id: Int!) { user(id: $id) { id } }`, vars: `{"id": "x"}`,
			want: `{"errors":[{"message":"cannot use string as Int","path":["variable","id"]}]}`},
		{name: "two operations need a name", query: `query A { count } query B { ratio }`, want: `{"errors":[{"message":"the document has 2 operations: give operationName"}]}`},
		{name: "operationName picks one", query: `query A { count } query B { ratio }`, op: "B", want: `{"data":{"ratio":0.5}}`},
		{name: "depth limit", query: `{ nested { inner { inner { value } } } }`, lim: Limits{MaxDepth: 2},
			want: `{"errors":[{"message":"the query nests deeper than 2 levels","locations":[{"line":1,"column":12}]}]}`},
		{name: "alias bomb stops at the field limit", query: `{ a: count b: count c: count d: count }`, lim: Limits{MaxFields: 3},
			want: `{"errors":[{"message":"the query selects more than 3 fields (fragments expanded)","locations":[{"line":1,"column":30}]}]}`},
		{name: "resolver call limit", query: `mutation { a: add(n: 1) b: add(n: 2) c: add(n: 3) }`, lim: Limits{MaxResolverCalls: 2},
			want: `{"data":{"a":1,"b":2,"c":null},"errors":[{"message":"the request needs more than 2 resolver calls","path":["c"],"locations":[{"line":1,"column":38}]}]}`},
		{name: "a subscription is not executed as a request", query: `subscription { onEvent { id } }`,
			want: `{"errors":[{"message":"a subscription is served over WebSocket (graphql-transport-ws), not in an HTTP request","locations":[{"line":1,"column":1}]}]}`},
		{name: "default resolver reads the parent", query: `{ nested { value inner { value inner { value inner { value } } } } }`,
			want: `{"data":{"nested":{"value":1,"inner":{"value":2,"inner":{"value":3,"inner":null}}}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			var order []string
			var mu sync.Mutex
			var vars map[string]any
			if tc.vars != "" {
				vars = jsonValue(tc.vars).(map[string]any)
			}
			res := Execute(context.Background(), s, Params{Query: tc.query, OperationName: tc.op, Variables: vars}, testResolvers(&calls, &order, &mu), tc.lim)
			got, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if tc.wantCalls != 0 && calls.Load() != tc.wantCalls {
				t.Errorf("%d resolver calls, want %d", calls.Load(), tc.wantCalls)
			}
			if strings.HasPrefix(tc.query, "mutation") && tc.lim.MaxResolverCalls == 0 && strings.Join(order, ",") != "1,2,3" {
				t.Errorf("mutation order %v", order)
			}
		})
	}
}

// Introspection answers what GraphQL tools ask (a trimmed IntrospectionQuery).
func TestIntrospection(t *testing.T) {
	s := schema(t)
	q := `{
  __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { kind name } directives { name locations args { name } } }
  __type(name: "Character") { kind name possibleTypes { name } fields { name type { kind name ofType { kind name } } } }
  q: __type(name: "Query") { description fields(includeDeprecated: true) { name isDeprecated deprecationReason args { name defaultValue type { kind ofType { name } } } } }
  e: __type(name: "Episode") { enumValues { name } }
  f: __type(name: "Filter") { inputFields { name defaultValue } }
  none: __type(name: "Nope") { name }
}`
	res := Execute(context.Background(), s, Params{Query: q}, nil, Limits{})
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	b, _ := json.Marshal(res)
	var out struct {
		Data struct {
			Schema struct {
				QueryType        struct{ Name string }
				MutationType     struct{ Name string }
				SubscriptionType *struct{ Name string }
				Types            []struct{ Kind, Name string }
				Directives       []struct{ Name string }
			} `json:"__schema"`
			Type struct {
				Kind, Name    string
				PossibleTypes []struct{ Name string }
				Fields        []struct {
					Name string
					Type struct {
						Kind   string
						OfType struct{ Kind, Name string }
					}
				}
			} `json:"__type"`
			Q struct {
				Description string
				Fields      []struct {
					Name              string
					IsDeprecated      bool
					DeprecationReason *string
					Args              []struct {
						Name         string
						DefaultValue *string
					}
				}
			}
			E struct{ EnumValues []struct{ Name string } }
			F struct {
				InputFields []struct{ Name, DefaultValue *string }
			}
			None *struct{}
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	d := out.Data
	if d.Schema.QueryType.Name != "Query" || d.Schema.MutationType.Name != "Mutation" || d.Schema.SubscriptionType == nil || d.Schema.SubscriptionType.Name != "Subscription" {
		t.Errorf("root types: %s", b)
	}
	kinds := map[string]string{}
	for _, ty := range d.Schema.Types {
		kinds[ty.Name] = ty.Kind
	}
	for name, kind := range map[string]string{"Query": "OBJECT", "Character": "INTERFACE", "SearchResult": "UNION", "Episode": "ENUM",
		"Filter": "INPUT_OBJECT", "String": "SCALAR", "__Type": "OBJECT"} {
		if kinds[name] != kind {
			t.Errorf("type %s: kind %q, want %q", name, kinds[name], kind)
		}
	}
	if len(d.Schema.Directives) < 4 {
		t.Errorf("directives: %v", d.Schema.Directives)
	}
	if d.Type.Kind != "INTERFACE" || len(d.Type.PossibleTypes) != 2 || len(d.Type.Fields) != 2 ||
		d.Type.Fields[0].Type.Kind != "NON_NULL" || d.Type.Fields[0].Type.OfType.Name != "ID" {
		t.Errorf("__type(Character): %+v", d.Type)
	}
	if d.Q.Description != "The root" {
		t.Errorf("description %q", d.Q.Description)
	}
	var sawOld, sawDefault, sawIntro bool
	for _, f := range d.Q.Fields {
		if strings.HasPrefix(f.Name, "__") {
			sawIntro = true
		}
		if f.Name == "oldField" && f.IsDeprecated && f.DeprecationReason != nil && *f.DeprecationReason == "use count" {
			sawOld = true
		}
		if f.Name == "hero" && len(f.Args) == 1 && f.Args[0].DefaultValue != nil && *f.Args[0].DefaultValue == `"1"` {
			sawDefault = true
		}
	}
	if !sawOld || !sawDefault || sawIntro {
		t.Errorf("Query fields: deprecated %v, default %v, introspection fields listed %v: %s", sawOld, sawDefault, sawIntro, b)
	}
	if len(d.E.EnumValues) != 3 || len(d.F.InputFields) != 2 || d.None != nil {
		t.Errorf("enum/input/none: %s", b)
	}
}

// Sibling fields of a query run at once, up to Concurrency; a mutation's
// never do.
func TestConcurrency(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		query string
		lim   Limits
		want  int64
	}{
		{`{ a: count b: count c: count d: count }`, Limits{Concurrency: 4}, 4},
		{`mutation { a: add(n: 1) b: add(n: 2) c: add(n: 3) }`, Limits{Concurrency: 4}, 1},
	} {
		var inFlight, peak atomic.Int64
		release := make(chan struct{})
		started := make(chan struct{}, 8)
		res := func(typ, field string) Resolver {
			return func(ctx context.Context, f *Field) (any, error) {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				started <- struct{}{}
				if tc.want > 1 {
					<-release // all must be in flight at once, or this waits forever
				}
				inFlight.Add(-1)
				return 1, nil
			}
		}
		done := make(chan *Result)
		go func() { done <- Execute(context.Background(), s, Params{Query: tc.query}, res, tc.lim) }()
		if tc.want > 1 {
			for i := int64(0); i < tc.want; i++ {
				<-started
			}
			close(release)
		}
		r := <-done
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %v", tc.query, r.Errors)
		}
		if peak.Load() != tc.want {
			t.Errorf("%s: peak %d resolvers at once, want %d", tc.query, peak.Load(), tc.want)
		}
	}
}

// FuzzExecute runs arbitrary documents and variables on the test schema.
// Invariants: no panic, a response that marshals, data or errors.
//
//	go test -run x -fuzz FuzzExecute -fuzztime 20s ./gateway/internal/gqlexec/
func FuzzExecute(f *testing.F) {
	f.Add(`{ hero { id name ... on Droid { primaryFunction } } }`, `{}`)
	f.Add(`query ($id: Int!) { user(id: $id) { friends { boss { name } } } }`, `{"id": 1}`)
	f.Add(`{ __schema { types { name fields { name } } } }`, ``)
	f.Add(`fragment A on Query { count ...A } { ...A }`, ``)
	f.Add(`mutation { add(n: 1) }`, `{"n": [1,2]}`)
	f.Add(`subscription { onEvent { id name ... on Droid { primaryFunction } } }`, `{"id": "1", "name": "x", "__typename": "Droid"}`)
	s := schema(f)
	f.Fuzz(func(t *testing.T, query, vars string) {
		var v map[string]any
		if vars != "" {
			d := json.NewDecoder(strings.NewReader(vars))
			d.UseNumber()
			if d.Decode(&v) != nil {
				v = nil
			}
		}
		var calls atomic.Int64
		var order []string
		var mu sync.Mutex
		res := Execute(context.Background(), s, Params{Query: query, Variables: v}, testResolvers(&calls, &order, &mu), Limits{MaxFields: 200})
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if !res.HasData && len(res.Errors) == 0 {
			t.Fatal("neither data nor errors")
		}
		// The same text as a subscription, its event the variables.
		sub, sres := PrepareSubscription(s, Params{Query: query, Variables: v}, Limits{MaxFields: 200})
		if (sub == nil) == (sres == nil) {
			t.Fatal("PrepareSubscription gives a subscription or errors")
		}
		if sub != nil {
			ev := sub.Event(context.Background(), map[string]any(v), testResolvers(&calls, &order, &mu))
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("marshal: %v", err)
			}
		}
	})
}

// A subscription is validated once, then each event is executed over its
// payload: the root field's value.
func TestSubscription(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		name, query, payload, want, wantErr string
	}{
		{name: "event through an interface", query: `subscription { onEvent { id ... on Droid { primaryFunction } } }`,
			payload: `{"__typename":"Droid","id":"2","primaryFunction":"Astromech"}`,
			want:    `{"data":{"onEvent":{"id":"2","primaryFunction":"Astromech"}}}`},
		{name: "a null event for a non-null field", query: `subscription { onEvent { id } }`, payload: `null`,
			want: `{"data":null,"errors":[{"message":"Cannot return null for non-nullable field Subscription.onEvent","path":["onEvent"],"locations":[{"line":1,"column":16}]}]}`},
		{name: "a query is no subscription", query: `{ count }`, wantErr: "a WebSocket subscribe message carries a subscription, not a query"},
		{name: "two root fields", query: `subscription { a: onEvent { id } b: onEvent { id } }`, wantErr: "a subscription selects exactly one field of Subscription"},
		{name: "invalid", query: `subscription { onEvent { nope } }`, wantErr: `Cannot query field \"nope\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, res := PrepareSubscription(s, Params{Query: tc.query}, Limits{})
			if tc.wantErr != "" {
				b, _ := json.Marshal(res)
				if sub != nil || !strings.Contains(string(b), tc.wantErr) {
					t.Fatalf("got %s, want %q", b, tc.wantErr)
				}
				return
			}
			if res != nil {
				t.Fatalf("errors: %v", res.Errors)
			}
			if sub.Field != "onEvent" {
				t.Errorf("field %q", sub.Field)
			}
			b, _ := json.Marshal(sub.Event(context.Background(), jsonValue(tc.payload), nil))
			if string(b) != tc.want {
				t.Errorf("got %s\nwant %s", b, tc.want)
			}
		})
	}
}

// The introspection query GraphQL tools send (graphql-js's
// getIntrospectionQuery with descriptions) runs within the default limits.
const introspectionQuery = `
    query IntrospectionQuery {
      __schema {
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          locations
          args {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      fields(includeDeprecated: true) {
        name
        description
        args {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
`

func TestIntrospectionQueryOfTools(t *testing.T) {
	res := Execute(context.Background(), schema(t), Params{Query: introspectionQuery}, nil, Limits{})
	if len(res.Errors) > 0 || !res.HasData {
		t.Fatalf("errors: %v", res.Errors)
	}
	b, _ := json.Marshal(res)
	for _, want := range []string{`"name":"Character","description":null,"fields":[`, `"possibleTypes":[{"kind":"OBJECT","name":"Human","ofType":null}`,
		`{"kind":"NON_NULL","name":null,"ofType":{"kind":"LIST","name":null,"ofType":{"kind":"NON_NULL","name":null,"ofType":{"kind":"SCALAR","name":"ID","ofType":null}}}}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the answer lacks %s", want)
		}
	}
}

// TestResponseBound: aliases over a list copy a data source's answer as
// many times as there are aliases (a 1 MiB answer and 990 aliases would
// build a 1 GB response); MaxResponseBytes stops the execution with one
// error and no data, whatever the number of fields past it.
func TestResponseBound(t *testing.T) {
	var q strings.Builder
	q.WriteString("{ users { ")
	for i := 0; i < 990; i++ {
		q.WriteString("a" + strconv.Itoa(i) + ": name ")
	}
	q.WriteString("} }")
	item := `{"id":1,"name":"` + strings.Repeat("n", 1000) + `"}`
	list := "[" + strings.TrimSuffix(strings.Repeat(item+",", 1000), ",") + "]"
	nameless := "[" + strings.TrimSuffix(strings.Repeat(`{"id":1},`, 20000), ",") + "]"
	r := func(typ, field string) Resolver {
		if typ == "Query" && field == "users" {
			return func(context.Context, *Field) (any, error) { return jsonValue(list), nil }
		}
		if typ == "Query" && field == "strictUsers" {
			return func(context.Context, *Field) (any, error) { return jsonValue(nameless), nil }
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		query string
		lim   int64
		want  string
	}{
		// 20,000 items without their non-null name: an error each (2 MB
		// of errors out of a 180 KB answer).
		{"errors count too", `{ strictUsers { name } }`, 400000, `{"data":null,"errors":[{"message":"the response is larger than 400000 bytes"}]}`},
		{"alias over list, default bound", q.String(), 0, `{"data":null,"errors":[{"message":"the response is larger than 16777216 bytes"}]}`},
		{"alias over list, small bound", q.String(), 5000, `{"data":null,"errors":[{"message":"the response is larger than 5000 bytes"}]}`},
		{"within the bound", `{ users { id } }`, 50000, `{"data":{"users":[{"id":1},{"id":1},`},
		{"keys count too", `{ a: users { id } b: users { id } }`, 40, `{"data":null,"errors":[{"message":"the response is larger than 40 bytes"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Execute(context.Background(), schema(t), Params{Query: tc.query}, r, Limits{MaxResponseBytes: tc.lim})
			b, _ := json.Marshal(res)
			if !strings.HasPrefix(string(b), tc.want) {
				t.Fatalf("got %.300s\nwant %s", b, tc.want)
			}
		})
	}
}

// TestHostileDocuments: fragments spreading each other, a deep nesting
// and a huge list of operations are refused before anything runs.
func TestHostileDocuments(t *testing.T) {
	var calls atomic.Int64
	var order []string
	var mu sync.Mutex
	deep := "nested { " + strings.Repeat("inner { ", 20) + "value" + strings.Repeat(" }", 21)
	var ops strings.Builder
	for i := 0; i < 1000; i++ {
		ops.WriteString("query Q" + strconv.Itoa(i) + " { count } ")
	}
	for _, tc := range []struct {
		name, query, op, want string
	}{
		{"fragment cycle", `{ ...A } fragment A on Query { count ...B } fragment B on Query { ...A }`, "", `Cannot spread fragment \"A\" within itself via`},
		{"fragment spreads itself", `{ ...A } fragment A on Query { ...A }`, "", `Cannot spread fragment \"A\" within itself.`},
		{"deep nesting", "{ " + deep + " }", "", "nests deeper than 15 levels"},
		{"1000 operations, none named", ops.String(), "", "the document has 1000 operations"},
		{"5000 operations: past the tokens", strings.Repeat(ops.String(), 5), "", "the query has more than 20000 tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Execute(context.Background(), schema(t), Params{Query: tc.query, OperationName: tc.op}, testResolvers(&calls, &order, &mu), Limits{})
			b, _ := json.Marshal(res)
			if res.HasData || !strings.Contains(string(b), tc.want) {
				t.Fatalf("got %.400s", b)
			}
		})
	}
	if calls.Load() != 0 {
		t.Errorf("%d resolver calls for refused documents", calls.Load())
	}
}

// TestMergeBomb: same-named fields that validation would compare in pairs
// are refused before validation, as a limit, in milliseconds (a 27 KB
// query of 9,000 "id" took seconds of CPU in gqlparser's validator), in
// the operation or in a fragment the operation does not even use.
func TestMergeBomb(t *testing.T) {
	ids := strings.Repeat("id ", 9000)
	for _, q := range []string{
		`{ users { ` + ids + `} }`,
		`{ ` + strings.Repeat("users { "+strings.Repeat("id ", 250)+"} ", 16) + `}`,
		`{ count } fragment Unused on User { ` + ids + `}`,
		`query A { count } query B { users { ` + ids + `} }`,
	} {
		res, done := (*Result)(nil), make(chan struct{})
		go func() {
			defer close(done)
			_, res = Prepare(schema(t), Params{Query: q, OperationName: map[bool]string{true: "A"}[strings.HasPrefix(q, "query A")]}, Limits{})
		}()
		select {
		case <-done:
		case <-t.Context().Done():
			t.Fatal("still validating at the test's deadline")
		}
		if res == nil || !res.Limit || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "too many fields of the same names") {
			t.Errorf("%.60s…: %+v", q, res)
		}
	}
}

// TestTokenBound: a document of more than 20,000 tokens is refused while it
// is parsed, as a limit (1.3 million tokens, a 4 MiB body, took 1.6 s to
// parse; 200,000 repeated directives gave as many errors).
func TestTokenBound(t *testing.T) {
	for _, q := range []string{
		`{ users { ` + strings.Repeat("id ", 1300000) + `} }`,
		`{ count ` + strings.Repeat("@skip(if: false) ", 200000) + `}`,
		`{ echo(in: {q: "x"}, n: ` + strings.Repeat("1", 1) + `) ` + strings.Repeat("a: count ", 6667) + `}`,
	} {
		_, res := Prepare(schema(t), Params{Query: q}, Limits{})
		if res == nil || !res.Limit || len(res.Errors) != 1 || res.Errors[0].Message != "the query has more than 20000 tokens" {
			t.Errorf("%.40s…: %+v", q, res)
		}
	}
	// Within the bound, a 4 MiB string argument is one token.
	if _, res := Prepare(schema(t), Params{Query: `{ echo(s: "` + strings.Repeat("a", 4<<20) + `") }`}, Limits{}); res != nil {
		t.Errorf("a long string: %+v", res)
	}
}
