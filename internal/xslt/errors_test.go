package xslt

import (
	"errors"
	"testing"
)

// TestCompileErrors checks compile errors: message, line and column.
func TestCompileErrors(t *testing.T) {
	const head = `<xsl:stylesheet version="1.0" ` + xslNS + `>` + "\n"
	const tail = "\n</xsl:stylesheet>"
	for _, tc := range []struct{ name, src, want string }{
		{"not xml", `<xsl:stylesheet`, `xslt: line 1, column 16: XML syntax error: unexpected EOF`},
		{"not a stylesheet", `<doc/>`, `xslt: line 1, column 1: not a stylesheet: the document element is neither xsl:stylesheet nor a literal result element with an xsl:version attribute`},
		{"no version", `<xsl:stylesheet ` + xslNS + `/>`, `xslt: line 1, column 1: xsl:stylesheet must have a version attribute`},
		{"import", head + `  <xsl:import href="other.xsl"/>` + tail, `xslt: line 2, column 3: xsl:import is not supported: a stylesheet may not load other files`},
		{"include", head + `  <xsl:include href="other.xsl"/>` + tail, `xslt: line 2, column 3: xsl:include is not supported: a stylesheet may not load other files`},
		{"document()", head + `<xsl:template match="/">` + "\n" + `   <xsl:copy-of select="document('http://example.com/')"/></xsl:template>` + tail, `xslt: line 3, column 4: document() is not supported: a stylesheet may not load other files`},
		{"msxsl:script", `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:msxsl="urn:schemas-microsoft-com:xslt">` + "\n" + `<msxsl:script language="C#">code</msxsl:script>` + tail, `xslt: line 2, column 1: msxsl:script: scripts are not supported`},
		{"unknown instruction", head + `<xsl:template match="/"><xsl:frobnicate/></xsl:template>` + tail, `xslt: line 2, column 25: unknown XSLT instruction xsl:frobnicate`},
		{"unknown top-level", head + `<xsl:frobnicate/>` + tail, `xslt: line 2, column 1: xsl:frobnicate is not allowed at the top level`},
		{"bad xpath", head + `<xsl:template match="/">` + "\n" + `<xsl:value-of select="1 +"/></xsl:template>` + tail, `xslt: line 3, column 1: select="1 +": XPath "1 +": column 4: expected an expression, found end of expression`},
		{"bad pattern", head + `<xsl:template match="a[">` + "\n" + `</xsl:template>` + tail, `xslt: line 2, column 1: match="a[": XPath "a[": column 3: expected an expression, found end of expression`},
		{"variable in pattern", head + `<xsl:variable name="v"/><xsl:template match="a[$v]"/>` + tail, `xslt: line 2, column 25: match="a[$v]": XPath "a[$v]": column 3: variable $v is not in scope`},
		{"undefined variable", head + `<xsl:template match="/"><xsl:value-of select="$nope"/></xsl:template>` + tail, `xslt: line 2, column 25: select="$nope": XPath "$nope": column 1: variable $nope is not in scope`},
		{"shadowing", head + `<xsl:template name="foo">` + "\n" + `<xsl:param name="x" select="1"/>` + "\n" + `<xsl:variable name="x" select="2"/></xsl:template>` + tail, `xslt: line 4, column 1: variable x shadows another local variable or parameter in scope`},
		{"circular globals", head + `<xsl:variable name="a" select="$b"/>` + "\n" + `<xsl:variable name="b" select="$a"/>` + tail, `xslt: line 3, column 1: circular reference between global variables: $a → $b → $a`},
		{"duplicate global", head + `<xsl:variable name="a"/>` + "\n" + `<xsl:param name="a"/>` + tail, `xslt: line 3, column 1: global variable a is already defined at line 2`},
		{"duplicate template name", head + `<xsl:template name="t"/>` + "\n" + `<xsl:template name="t"/>` + tail, `xslt: line 3, column 1: a template named t is already defined at line 2`},
		{"unknown template", head + `<xsl:template match="/"><xsl:call-template name="none"/></xsl:template>` + tail, `xslt: line 2, column 25: no template named none`},
		{"unknown attribute set", head + `<xsl:template match="/"><r xsl:use-attribute-sets="none"/></xsl:template>` + tail, `xslt: line 2, column 25: attribute set none is not defined`},
		{"circular attribute sets", head + `<xsl:attribute-set name="a" use-attribute-sets="b"/>` + "\n" + `<xsl:attribute-set name="b" use-attribute-sets="a"/>` + tail, `xslt: line 3, column 1: attribute set a uses itself`},
		{"unknown function", head + `<xsl:template match="/"><xsl:value-of select="nope()"/></xsl:template>` + tail, `xslt: line 2, column 25: select="nope()": XPath "nope()": column 1: unknown function nope()`},
		{"bad avt", head + `<xsl:template match="/"><r a="{1"/></xsl:template>` + tail, `xslt: line 2, column 25: attribute a="{1": '{' has no matching '}'`},
		{"lone brace", head + `<xsl:template match="/"><r a="}"/></xsl:template>` + tail, `xslt: line 2, column 25: attribute a="}": a lone '}' must be written '}}'`},
		{"missing select", head + `<xsl:template match="/"><xsl:for-each/></xsl:template>` + tail, `xslt: line 2, column 25: xsl:for-each must have a select attribute`},
		{"bad attribute", head + `<xsl:template match="/" bogus="1"/>` + tail, `xslt: line 2, column 1: xsl:template has no attribute "bogus"`},
		{"otherwise first", head + `<xsl:template match="/"><xsl:choose><xsl:otherwise/><xsl:when test="1"/></xsl:choose></xsl:template>` + tail, `xslt: line 2, column 37: xsl:otherwise must be the last child of xsl:choose`},
		{"param not first", head + `<xsl:template match="/"><a/><xsl:param name="p"/></xsl:template>` + tail, `xslt: line 2, column 29: xsl:param is allowed only at the top level and at the start of xsl:template`},
		{"undeclared prefix", head + `<xsl:template match="p:a"/>` + tail, `xslt: line 2, column 1: match="p:a": XPath "p:a": column 1: undeclared namespace prefix "p"`},
		{"DTD", `<!DOCTYPE xsl:stylesheet [<!ENTITY a "b">]>` + head + tail, `xslt: line 1, column 1: DTDs are not allowed`},
		{"text at top level", head + `hello` + tail, `xslt: line 1, column 80: text is not allowed at the top level of a stylesheet`},
		{"bad encoding", head + `<xsl:output encoding="klingon"/>` + tail, `xslt: line 2, column 1: unsupported output encoding "klingon"`},
		{"template without match or name", head + `<xsl:template/>` + tail, `xslt: line 2, column 1: xsl:template must have a match or a name attribute`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.src))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want an *Error", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err.Error(), tc.want)
			}
		})
	}
}
