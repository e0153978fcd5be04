package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"tollgate/gateway/internal/gqlexec"
)

// FuzzSyntheticGraphQLRequest reads arbitrary GraphQL-over-HTTP requests
// (method, Content-Type, body or query string) and executes what reads,
// with a resolver that echoes its arguments. Invariants: no panic; a
// refused request has a status and a message; an executed one marshals.
//
//	go test -run x -fuzz FuzzSyntheticGraphQLRequest -fuzztime 20s ./gateway/
func FuzzSyntheticGraphQLRequest(f *testing.F) {
	f.Add("POST", "application/json", `{"query":"query($id: ID!) { user(id: $id) { id friends { id } } }","variables":{"id":"1"}}`)
	f.Add("POST", "application/graphql", `{ users { id name } }`)
	f.Add("GET", "", `query=%7B+users+%7B+id+%7D+%7D&variables=%7B%7D`)
	f.Add("POST", "application/json", `[{"query":"{ users { id } }"}]`)
	f.Add("POST", "application/json", `{"query":"mutation { add(n: 1) }","operationName":"x","variables":{"n":[[[[1]]]]}}`)
	schema, err := gqlparser.LoadSchema(&ast.Source{Input: `
type Query { users: [User] user(id: ID!): User }
type Mutation { add(n: Int!): Int }
type User { id: ID! name: String friends: [User!] }`})
	if err != nil {
		f.Fatal(err)
	}
	echo := func(typ, field string) gqlexec.Resolver {
		return func(_ context.Context, fd *gqlexec.Field) (any, error) {
			switch field {
			case "users", "friends":
				return []any{map[string]any{"id": "1", "name": "a"}, map[string]any{"id": json.Number("2")}}, nil
			case "user":
				return map[string]any{"id": fd.Args["id"]}, nil
			}
			return fd.Args["n"], nil
		}
	}
	f.Fuzz(func(t *testing.T, method, ctype, body string) {
		var r *http.Request
		if method == "GET" {
			r, err = http.NewRequest("GET", "http://gw/graphql?"+body, nil)
			if err != nil {
				return
			}
		} else {
			r, _ = http.NewRequest("POST", "http://gw/graphql", strings.NewReader(body))
			if r == nil {
				return
			}
			r.Method = method
			r.Header.Set("Content-Type", ctype)
		}
		p, status, msg := readGraphQLRequest(r, 1<<16)
		if status != 0 {
			if msg == "" {
				t.Fatalf("status %d without a message", status)
			}
			return
		}
		res := gqlexec.Execute(context.Background(), schema, p, echo, gqlexec.Limits{MaxFields: 100})
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}
