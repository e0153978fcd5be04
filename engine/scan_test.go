package engine

import "testing"

// String literals written with entities, as XML-escaped APIM policies
// write them, are literals: a // (a URL) or a bracket inside one is not a
// comment or code.
func TestReadEntityQuotedLiterals(t *testing.T) {
	for _, c := range []struct{ name, attr, want string }{
		{"url", `@(&quot;http://h/&quot; + context.Variables[&quot;r&quot;])`, `@("http://h/" + context.Variables["r"])`},
		{"bracket", `@(&quot;)&quot; + &quot;(&quot;)`, `@(")" + "(")`},
		{"escaped quote", `@(&quot;a\&quot;//b&quot;)`, `@("a\"//b")`},
		{"apos", `@(&apos;/&apos;)`, `@('/')`},
		{"comment still a comment", "@{ // it's fine\nreturn 1; }", "@{ // it's fine\nreturn 1; }"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := Read("p.xml", []byte(`<policies><inbound><set-variable name="x" value="`+c.attr+`"/></inbound></policies>`))
			if err != nil {
				t.Fatal(err)
			}
			sv := n.Children[0].Children[0]
			if got := sv.Attr("value").Value; got != c.want {
				t.Errorf("value %q, want %q", got, c.want)
			}
		})
	}
}
