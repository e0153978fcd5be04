package gateway

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"tollgate/engine"
)

// checkArgumentNames: reads of an argument the field does not have, by a
// literal name, directly or through a local variable that holds
// context.GraphQL.Arguments, are load errors at the name (its string
// literal's opening quote); what a local
// holds after a reassignment, or outside its block, is not known and not
// checked.
func TestCheckArgumentNames(t *testing.T) {
	def := &ast.FieldDefinition{Name: "user", Arguments: ast.ArgumentDefinitionList{{Name: "id"}, {Name: "v"}}}
	for _, tc := range []struct {
		name, src string
		want      []string // "line:col name"
	}{
		{"direct, known", `@(context.GraphQL.Arguments["id"])`, nil},
		{"direct, unknown", `@(context.GraphQL.Arguments["nope"])`, []string{`1:29 nope`}},
		{"direct, Value<T> and GetValue", `@(context.GraphQL.Arguments.Value<string>("a") + context.GraphQL.Arguments.GetValue("b"))`,
			[]string{`1:43 a`, `1:85 b`}},
		{"escaped quotes", `@(context.GraphQL.Arguments[&quot;x&quot;])`, []string{`1:34 x`}},
		{"through var", "@{\n var a = context.GraphQL.Arguments;\n return (string)a[\"id\"] + a[\"zip\"];\n}",
			[]string{`3:29 zip`}},
		{"through JObject and a cast", "@{\n JObject a = (JObject)context.GraphQL.Arguments;\n return a.Value<string>(\"q\");\n}",
			[]string{`3:25 q`}},
		{"reassigned", "@{\n var a = context.GraphQL.Arguments;\n var x = a[\"no1\"];\n a = new JObject();\n return a[\"fine\"];\n}",
			[]string{`3:12 no1`}},
		{"other block, same name", "@{\n var a = context.GraphQL.Arguments;\n return a[\"id\"];\n}\n@{\n var a = new JObject();\n return a[\"other\"];\n}", nil},
		{"braces in strings", "@{\n var a = context.GraphQL.Arguments;\n var s = \"}\" + '}';\n return a[\"gone\"];\n}", []string{`4:11 gone`}},
		{"a longer name is another variable", "@{\n var a = context.GraphQL.Arguments;\n return ab[\"x\"] + c.a[\"y\"];\n}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs engine.ErrorList
			checkArgumentNames(srcFile{path: "r.xml", data: []byte(tc.src)}, def, "Query", &errs)
			var got []string
			for _, e := range errs {
				_, name, _ := strings.Cut(e.Msg, `argument "`)
				name, _, _ = strings.Cut(name, `"`)
				got = append(got, strings.TrimPrefix(e.Pos.String(), "r.xml:")+" "+name)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
