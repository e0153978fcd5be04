package engine

import "testing"

func TestReadRawXML(t *testing.T) {
	src := `<policies>
  <inbound>
    <choose>
      <when condition="@(context.Request.Headers.GetValueOrDefault("X-Mode","") == "a" && 1 < 2)">
        <set-body>@{ let x = "<b>"; return x; }</set-body>
      </when>
    </choose>
  </inbound>
</policies>`
	n, err := Read("p.xml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	when := n.Children[0].Children[0].Children[0]
	if when.Path != "inbound/choose[1]/when[1]" {
		t.Errorf("path = %q", when.Path)
	}
	a := when.Attr("condition")
	if a.Value != `@(context.Request.Headers.GetValueOrDefault("X-Mode","") == "a" && 1 < 2)` {
		t.Errorf("value = %q", a.Value)
	}
	if a.Pos.String() != "p.xml:4:13" || a.ValuePos.String() != "p.xml:4:24" {
		t.Errorf("attr pos = %s value pos = %s", a.Pos, a.ValuePos)
	}
	body := when.Children[0]
	if body.Text != `@{ let x = "<b>"; return x; }` || body.TextPos.String() != "p.xml:5:19" {
		t.Errorf("body = %q at %s", body.Text, body.TextPos)
	}
}

// TestReadRawAmpInValue: rewrite-uri's reference page writes a raw '&' in
// a plain attribute value; one that starts no reference is a literal '&'
// (tollgate's choice: APIM documents the example, not its parser), and
// references are decoded as usual. Positions after it stay exact.
func TestReadRawAmpInValue(t *testing.T) {
	src := "<policies>\n <rewrite-uri template=\"/v2/{s}&{o}?City=city&State=state&amp;x=&#38;&#x26;\" b=\"&\" />\n</policies>"
	n, err := Read("p.xml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := n.Children[0]
	if a := r.Attr("template"); a.Value != "/v2/{s}&{o}?City=city&State=state&x=&&" || a.ValuePos.String() != "p.xml:2:25" {
		t.Errorf("template = %q at %s", a.Value, a.ValuePos)
	}
	if b := r.Attr("b"); b.Value != "&" || b.Pos.String() != "p.xml:2:78" {
		t.Errorf("b = %q at %s", b.Value, b.Pos)
	}
	// A reference to an entity XML does not define is still an error.
	if _, err := Read("p.xml", []byte(`<a b="&nbsp;"/>`)); err == nil {
		t.Error("&nbsp; read without an error")
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"mismatched", "<policies>\n  <inbound>\n  </outbound>\n</policies>", "p.xml:3:"},
		{"unterminated expr", "<policies>\n <inbound>\n  <set-variable name=\"a\" value=\"@(1 + (2)\"/>", "p.xml:3:33: unterminated expression"},
		// a missing ")": the attribute's closing quote opens a string
		{"expr without its bracket", "<policies>\n <inbound>\n  <set-status code=\"@(context.Response.StatusCode\" />\n </inbound>\n</policies>",
			`p.xml:3:21: unterminated expression: this "@(" has no closing ")" (the quote after it then starts a string), or a string literal in it is never closed`},
		// \" pasted from a JSON string: the backslash, not a missing bracket
		{"backslash quote", "<policies>\n <inbound>\n  <set-variable name=\"c\" value=\"@(context.Request.Headers.GetValueOrDefault(\\\"x-id\\\", \\\"\\\"))\" />\n </inbound>\n</policies>",
			`p.xml:3:77: malformed expression: \" outside a C# string escapes nothing: inside "@(" write the quote as it is (or as &quot;)`},
		// "<@(...)>" in a log message: the "<" starts no element
		{"lt before expr", "<policies>\n <inbound>\n  <log-to-eventhub logger-id=\"l\">Method: <@(context.Request.Method)></log-to-eventhub>\n </inbound>\n</policies>",
			`p.xml:3:42: malformed XML: this "<" before "@(" starts no element: write it as &lt; (and a ">" after the expression as &gt;)`},
		{"dup attr", "<policies>\n<inbound a=\"1\" a=\"2\"/></policies>", "p.xml:2:16: malformed XML: attribute \"a\" given twice"},
		{"empty", "", "p.xml:1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read("p.xml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); len(got) < len(tc.want) || got[:len(tc.want)] != tc.want {
				t.Errorf("error = %q, want prefix %q", got, tc.want)
			}
		})
	}
}

// TestReadCSharpLiterals: inside @{...} and @(...), C#'s comments and
// literals are skipped as such: an apostrophe in a comment, a verbatim
// string ending in a backslash, a quote in an interpolation hole.
func TestReadCSharpLiterals(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"apostrophe in // comment", "@{\n // it's the token\n return \"a\"; }"},
		{"apostrophe in /* */ comment", "@{ /* don't ) } */ return \"a\"; }"},
		{"verbatim string ending in a backslash", `@(@"c:\dir\" + "x")`},
		{"verbatim string with a doubled quote", `@(@"say ""hi"")" + "x")`},
		{"quotes in an interpolation hole", `@($"{context.Variables["a"]}) and }}")`},
		{"char literals", `@('(' + "" + ')')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "<policies><inbound><set-variable name=\"v\" value=\"" + tc.value + "\"/><x>" + tc.value + "</x></inbound></policies>"
			n, err := Read("p.xml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			in := n.Children[0]
			if got := in.Children[0].Attr("value").Value; got != tc.value {
				t.Errorf("attribute = %q, want %q", got, tc.value)
			}
			if got := in.Children[1].Text; got != tc.value {
				t.Errorf("text = %q, want %q", got, tc.value)
			}
			if end := exprEnd(tc.value); end != len(tc.value) {
				t.Errorf("exprEnd = %d, want %d", end, len(tc.value))
			}
		})
	}
}
