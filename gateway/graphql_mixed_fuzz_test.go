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
