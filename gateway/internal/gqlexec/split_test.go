package gqlexec

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const splitBackendSchema = `type Query { user(id: ID!): User node(id: ID!): Node version: String }
type Mutation { rename(id: ID!, name: String!): User }
interface Node { id: ID! }
type User implements Node { id: ID! name(upper: Boolean): String tags: [String] role: Role best: User }
type Post implements Node { id: ID! title: String }
enum Role { A B }
`

// The API's schema: the backend's with Query.weather, User.posts and
// Post.author resolved in the gateway.
var splitAPISchema = strings.NewReplacer("version: String }", "version: String weather(c: String): String }",
	"best: User }", "best: User posts: [Post] }", "title: String }", "title: String author: User }").Replace(splitBackendSchema)

func splitLocal(typ, field string) bool {
	switch typ + "." + field {
	case "Query.weather", "User.posts", "Post.author":
		return true
	}
	return false
}

// Split: what the backend is asked, for operations that reach local
// fields or not.
func TestSplit(t *testing.T) {
	api := gqlparser.MustLoadSchema(&ast.Source{Input: splitAPISchema})
	for _, tc := range []struct {
		name, query string
		gateway     bool
		want        string // the backend's document
		vars        string
	}{
		{name: "backend only", query: `{ user(id: "1") { name } }`},
		{name: "local root field only", query: `{ weather(c: "x") __typename }`, gateway: true},
		{name: "introspection", query: `{ __schema { queryType { name } } version }`, gateway: true,
			want: "query {\n  version\n}\n"},
		{name: "parent fields beside a local field, arguments and lists of objects left out",
			query: `query Q($id: ID!, $u: Boolean, $c: String) { user(id: $id) { name(upper: $u) posts { title } } weather(c: $c) }`, gateway: true,
			want: "query Q ($id: ID!, $u: Boolean) {\n  user(id: $id) {\n    name(upper: $u)\n    tollgate_parent_id: id\n    tollgate_parent_tags: tags\n    tollgate_parent_role: role\n    tollgate_typename: __typename\n  }\n}\n",
			vars: "id,u"},
		{name: "a fragment inlined with its directives, an emptied one dropped",
			query: `query($s: Boolean!) { user(id: "1") { ...F @include(if: $s) ...G } } fragment F on User { id } fragment G on User { posts { id } }`, gateway: true,
			want: "query ($s: Boolean!) {\n  user(id: \"1\") {\n    ... on User @include(if: $s) {\n      id\n    }\n    ... on User {\n      tollgate_parent_id: id\n      tollgate_parent_tags: tags\n      tollgate_parent_role: role\n      tollgate_typename: __typename\n    }\n  }\n}\n",
			vars: "s"},
		{name: "an abstract type gets its __typename, a local field under it its type's parent fields",
			query: `{ node(id: "1") { id ... on Post { author { name } } } }`, gateway: true,
			want: "query {\n  node(id: \"1\") {\n    id\n    ... on Post {\n      tollgate_parent_id: id\n      tollgate_parent_title: title\n      tollgate_typename: __typename\n    }\n    tollgate_typename: __typename\n  }\n}\n"},
		{name: "a set emptied of its fields keeps __typename", query: `{ user(id: "1") { best { __typename } } weather }`, gateway: true,
			want: "query {\n  user(id: \"1\") {\n    best {\n      tollgate_typename: __typename\n    }\n  }\n}\n"},
		{name: "a mutation", query: `mutation M { rename(id: "1", name: "n") { posts { id } } }`, gateway: true,
			want: "mutation M {\n  rename(id: \"1\", name: \"n\") {\n    tollgate_parent_id: id\n    tollgate_parent_tags: tags\n    tollgate_parent_role: role\n    tollgate_typename: __typename\n  }\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, res := Prepare(api, Params{Query: tc.query, Variables: map[string]any{"id": "1", "s": true}}, Limits{})
			if res != nil {
				t.Fatal(res.Errors)
			}
			gateway, query, vars := op.Split(splitLocal)
			if gateway != tc.gateway || query != tc.want || strings.Join(vars, ",") != tc.vars {
				t.Fatalf("gateway %v vars %q\n%s\nwant %v %q\n%s", gateway, vars, query, tc.gateway, tc.vars, tc.want)
			}
		})
	}
}

// A Keyed answer is read by response key, its parent's fields by name.
func TestKeyedExecute(t *testing.T) {
	api := gqlparser.MustLoadSchema(&ast.Source{Input: splitAPISchema})
	op, res := Prepare(api, Params{Query: `{ a: user(id: "1") { n: name posts { title } } node(id: "p") { ... on Post { title } } }`}, Limits{})
	if res != nil {
		t.Fatal(res.Errors)
	}
	var backend any
	json.Unmarshal([]byte(`{"a":{"n":"Ada","tollgate_parent_id":"1","tollgate_typename":"User"},"node":{"title":"T","tollgate_typename":"Post"}}`), &backend)
	var parent map[string]any
	out := op.Execute(context.Background(), ToKeyed(backend), func(typ, field string) Resolver {
		if typ+"."+field != "User.posts" {
			return nil
		}
		return func(_ context.Context, f *Field) (any, error) {
			parent = f.Parent.(Keyed).Parent()
			return []any{map[string]any{"title": "p of " + parent["id"].(string)}}, nil
		}
	})
	got, _ := json.Marshal(out)
	if string(got) != `{"data":{"a":{"n":"Ada","posts":[{"title":"p of 1"}]},"node":{"title":"T"}}}` || parent["__typename"] != "User" {
		t.Fatalf("%s (parent %v)", got, parent)
	}
}

// FuzzSplit: whatever operation reads, Split does not panic, and the
// document it makes for the backend is valid against the backend's schema
// (where the local fields are not).
//
//	go test -run x -fuzz FuzzSplit -fuzztime 20s ./gateway/internal/gqlexec/
func FuzzSplit(f *testing.F) {
	f.Add(`{ user(id: "1") { name posts { title author { id } } } weather }`)
	f.Add(`query($s: Boolean!) { node(id: "1") { ... on User { ...F @skip(if: $s) } ... on Post { author { best { posts { id } } } } } } fragment F on User { id tags }`)
	f.Add(`mutation { rename(id: "1", name: "x") { __typename best { posts { __typename } } } }`)
	f.Add(`{ __type(name: "User") { name } user(id: "2") { role } }`)
	api := gqlparser.MustLoadSchema(&ast.Source{Input: splitAPISchema})
	backend := gqlparser.MustLoadSchema(&ast.Source{Input: splitBackendSchema})
	f.Fuzz(func(t *testing.T, query string) {
		op, res := Prepare(api, Params{Query: query, Variables: map[string]any{"s": true}}, Limits{MaxFields: 200})
		if res != nil {
			return
		}
		_, doc, _ := op.Split(splitLocal)
		if doc == "" {
			return
		}
		if _, errs := gqlparser.LoadQuery(backend, doc); len(errs) > 0 {
			t.Fatalf("the backend's document is invalid: %v\nquery %q\ndocument:\n%s", errs, query, doc)
		}
	})
}
