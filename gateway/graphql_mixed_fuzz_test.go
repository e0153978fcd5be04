package gateway

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"tollgate/gateway/internal/gqlexec"
)

// FuzzGraphQLBackendAnswer reads arbitrary answers of a pass-through API's
// GraphQL backend and executes a fixed operation on what reads.
// Invariants: no panic; an answer is either refused with a reason or gives
// data or errors; the executed result marshals to JSON.
//
//	go test -run x -fuzz FuzzGraphQLBackendAnswer -fuzztime 20s ./gateway/
func FuzzGraphQLBackendAnswer(f *testing.F) {
	f.Add([]byte(`{"data":{"u":{"name":"a","tollgate_parent_id":"1","tollgate_typename":"User"},"n":{"tollgate_typename":"Post","t":"x"}}}`), 200)
	f.Add([]byte(`{"data":null,"errors":[{"message":"m","path":["u",0,"name"],"extensions":{"code":"X"}}]}`), 400)
	f.Add([]byte(`{"errors":["x",{"path":[{}]},{"message":5}]}`), 500)
	f.Add([]byte(`<html/>`), 502)
	f.Add([]byte(`{"data":{"u":[{"name":[1]}],"n":{"tollgate_typename":"Nope"}}}`), 200)
	schema, err := gqlparser.LoadSchema(&ast.Source{Input: `
type Query { user: User node: Node }
interface Node { id: ID }
type User implements Node { id: ID name: String posts: [Post] }
type Post implements Node { id: ID t: String }`})
	if err != nil {
		f.Fatal(err)
	}
	op, res := gqlexec.Prepare(schema, gqlexec.Params{Query: `{ u: user { name posts { t } } n: node { ... on Post { t } } }`}, gqlexec.Limits{})
	if res != nil {
		f.Fatal(res.Errors)
	}
	posts := func(typ, field string) gqlexec.Resolver {
		if typ+"."+field != "User.posts" {
			return nil
		}
		return func(_ context.Context, fd *gqlexec.Field) (any, error) {
			if k, ok := fd.Parent.(gqlexec.Keyed); ok {
				return []any{map[string]any{"t": k.Parent()["id"]}}, nil
			}
			return nil, nil
		}
	}
	f.Fuzz(func(t *testing.T, answer []byte, status int) {
		root, errs, failure := parseBackendAnswer(answer, status)
		if failure != "" {
			if root != nil || errs != nil {
				t.Fatalf("refused (%s) with data or errors", failure)
			}
			return
		}
		if root == nil && len(errs) == 0 {
			t.Fatal("neither data nor errors, and no reason")
		}
		out := op.Execute(context.Background(), root, posts)
		out.Errors = mergeBackendErrors(errs, out.Errors)
		if _, err := json.Marshal(out); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzGraphQLMixedWSMessages passes arbitrary messages through a
// pass-through API's subscription connection with resolvers
// (graphql_mixed_ws.go): a client message is passed as it came or
// rewritten to a JSON message of the same type and id; a backend event of
// a subscription executed here becomes a JSON message of the same type
// and id (its selection reaches no resolver here, so none runs); any other
// backend message passes as it came.
//
//	go test -run x -fuzz FuzzGraphQLMixedWSMessages -fuzztime 30s ./gateway/
func FuzzGraphQLMixedWSMessages(f *testing.F) {
	f.Add([]byte(`{"type":"subscribe","id":"a","payload":{"query":"subscription($x: Boolean!) { renamed { name nick @include(if: $x) } }","variables":{"x":true}}}`),
		[]byte(`{"type":"next","id":"k","payload":{"data":{"renamed":{"id":"1"}}}}`))
	f.Add([]byte(`{"type":"start","id":"b","payload":{"query":"subscription { renamed { id } }"}}`),
		[]byte(`{"type":"data","id":"k","payload":{"data":null,"errors":[{"message":"x","path":["renamed"]}]}}`))
	f.Add([]byte(`{"type":"complete","id":"a"}`), []byte(`{"type":"next","id":"k","payload":"nope"}`))
	f.Add([]byte(`not json`), []byte(`{"type":"complete","id":"k"}`))
	schema, err := gqlparser.LoadSchema(&ast.Source{Input: `
type Query { v: String }
type Subscription { renamed: User }
type User { id: ID name: String nick: String }`})
	if err != nil {
		f.Fatal(err)
	}
	api := &API{Name: "fuzz", Limits: DefaultLimits}
	api.gql = &syntheticGraphQL{passThrough: true, schema: schema, resolvers: map[string]*graphqlResolver{"User.nick": {typeName: "User", field: "nick"}}}
	sameKind := func(t *testing.T, in, out []byte) {
		if string(in) == string(out) {
			return
		}
		var a, b gqlMsg
		if json.Unmarshal(in, &a) != nil || json.Unmarshal(out, &b) != nil || a.Type != b.Type || a.ID != b.ID {
			t.Fatalf("%q became %q", in, out)
		}
	}
	f.Fuzz(func(t *testing.T, client, backend []byte) {
		m := &mixedWS{api: api, ctx: context.Background(), subs: map[string]*gqlexec.Operation{}}
		op, res := gqlexec.Prepare(schema, gqlexec.Params{Query: `subscription { renamed { id name } }`}, gqlexec.Limits{})
		if res != nil {
			t.Fatal(res.Errors)
		}
		sameKind(t, client, m.fromClient(client))
		m.subs["k"] = op // a selection without resolvers (none runs here)
		out := m.fromBackend(backend)
		sameKind(t, backend, out)
	})
}
