package engine

import (
	"strings"
	"testing"

	"tollgate/engine/csharp"
)

// context.GraphQL as APIM's resolvers read it (configure-graphql-resolver:
// context.GraphQL.Parent["id"], context.GraphQL.Arguments["id"]): JObjects
// in C#, null outside a resolver.
func TestCSharpGraphQLContext(t *testing.T) {
	obj := func(text string) *csharp.JObject {
		v, err := csharp.ParseJSON(text)
		if err != nil {
			t.Fatal(err)
		}
		return v.(*csharp.JObject)
	}
	cases := []struct {
		name, expr string
		gql        *GraphQL
		want       any
		wantErr    string
	}{
		{"parent id", `@($"https://data.contoso.com/api/blog/{context.GraphQL.Parent["id"]}")`,
			&GraphQL{Parent: obj(`{"id":1,"title":"t"}`), Arguments: obj(`{}`)}, "https://data.contoso.com/api/blog/1", ""},
		{"argument id", `@($"https://data.contoso.com/api/comment/{context.GraphQL.Arguments["id"]}")`,
			&GraphQL{Arguments: obj(`{"id":2}`)}, "https://data.contoso.com/api/comment/2", ""},
		{"arguments as JObject", `@{
            var args = context.GraphQL.Arguments;
            JObject jsonObject = new JObject();
            jsonObject.Add("name", args["name"]);
            return jsonObject.ToString(Newtonsoft.Json.Formatting.None);
        }`, &GraphQL{Arguments: obj(`{"name":"the-provided-name"}`)}, `{"name":"the-provided-name"}`, ""},
		{"missing argument", `@(context.GraphQL.Arguments["nope"] == null)`, &GraphQL{Arguments: obj(`{}`)}, true, ""},
		// the context variable reference's name for Arguments
		{"GraphQLArguments", `@((string)context.GraphQL.GraphQLArguments["id"] + "|" + (context.GraphQL.GraphQLArguments == context.GraphQL.Arguments))`,
			&GraphQL{Arguments: obj(`{"id":"7"}`)}, "7|True", ""},
		{"GraphQLArguments, interpreted", `@{ try { return (string)context.GraphQL?.GraphQLArguments["id"]; } finally { } }`,
			&GraphQL{Arguments: obj(`{"id":"8"}`)}, "8", ""},
		{"outside a resolver", `@(context.GraphQL == null)`, nil, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, _, errs := csCompile(t, tc.expr)
			if len(errs) > 0 {
				t.Fatalf("compile: %v", errs)
			}
			s := csState()
			defer s.Release()
			s.SetGraphQL(tc.gql)
			err := plan.Inbound.Run(t.Context(), s)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Variables()["out"]; got != tc.want {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}
