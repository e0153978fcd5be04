package engine

import "testing"

func TestInnerOuter(t *testing.T) {
	src := `<policies><inbound><xsl-transform>
  <parameter name="p">@(context.Request.Headers.GetValueOrDefault("a","<b>"))</parameter>
  <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><a/></xsl:template></xsl:stylesheet>
  <empty a="1"/>
</xsl-transform></inbound></policies>`
	root, err := Read("policy.xml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	xt := root.Children[0].Children[0]
	cases := []struct {
		n            *Node
		inner, outer string
	}{
		{xt.Children[0], `@(context.Request.Headers.GetValueOrDefault("a","<b>"))`,
			`<parameter name="p">@(context.Request.Headers.GetValueOrDefault("a","<b>"))</parameter>`},
		{xt.Children[1], `<xsl:template match="/"><a/></xsl:template>`,
			`<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><a/></xsl:template></xsl:stylesheet>`},
		{xt.Children[2], ``, `<empty a="1"/>`},
	}
	for _, c := range cases {
		in, ok := c.n.Inner()
		if !ok || in != c.inner {
			t.Errorf("%s: Inner = %q, %v; want %q", c.n.Name, in, ok, c.inner)
		}
		out, ok := c.n.Outer()
		if !ok || out != c.outer {
			t.Errorf("%s: Outer = %q, %v; want %q", c.n.Name, out, ok, c.outer)
		}
	}
	if p := xt.Children[1].Pos; p.Line != 3 || p.Col != 3 {
		t.Errorf("stylesheet at %v, want line 3 col 3", p)
	}
	if _, ok := (&Node{Name: "x"}).Outer(); ok {
		t.Error("Outer of a Node not made by Read: ok")
	}
}
