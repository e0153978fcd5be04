package xslt

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMisc(t *testing.T) {
	runCases(t, []tcase{
		{name: "stylesheet in iso-8859-1",
			xsl:  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + sheet("<xsl:template match=\"/\"><r>\xe9</r></xsl:template>"),
			want: "<r>é</r>"},
		{name: "exclude-result-prefixes #all",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:a="urn:a" exclude-result-prefixes="#all"><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><r/></xsl:template></xsl:stylesheet>`,
			want: `<r />`},
		{name: "number single with from",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//i"><xsl:number count="i" from="sec" level="single"/>,</xsl:for-each><xsl:for-each select="//i"><xsl:number count="sec|i" level="multiple" from="doc"/>;</xsl:for-each></xsl:template>`),
			input: `<doc><sec><i/><i/></sec><sec><i/></sec></doc>`,
			want:  `1,2,1,1.1;1.2;2.1;`},
		{name: "number of attributes and default count",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//p/@*"><xsl:number/></xsl:for-each>|<xsl:for-each select="//p"><xsl:number level="any"/></xsl:for-each>|<xsl:for-each select="//comment()"><xsl:number/></xsl:for-each></xsl:template>`),
			input: `<d><p a="1"/><x/><p b="2"/><!--a--><p/><!--b--></d>`,
			want:  `11|123|12`},
		{name: "number value rounding and non-positive",
			xsl:  sheet(`<xsl:template match="/"><xsl:number value="2.5"/>,<xsl:number value="0"/>,<xsl:number value="-3"/>,<xsl:number value="'x'"/>,<xsl:number value="4" format="A. "/>,<xsl:number value="5" format="&#x661;"/></xsl:template>`),
			want: `3,0,-3,NaN,D. ,٥`},
		{name: "decimal format special characters",
			xsl:  sheet(`<xsl:decimal-format zero-digit="&#x660;" digit="x" pattern-separator="!" percent="p" grouping-separator=" "/><xsl:template match="/"><xsl:value-of select="format-number(1234.5, 'x x&#x660;&#x660;.&#x660;&#x660;')"/>|<xsl:value-of select="format-number(-0.25, 'x&#x660;p!(x&#x660;p)')"/></xsl:template>`),
			want: `١ ٢٣٤.٥٠|(٢٥p)`},
		{name: "unknown instruction in forwards-compatible mode with fallback",
			xsl:  `<xsl:stylesheet version="3.0" ` + xslNS + `><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><xsl:try><xsl:fallback>fallback</xsl:fallback></xsl:try></xsl:template></xsl:stylesheet>`,
			want: `fallback`},
		{name: "forwards-compatible syntax errors only when evaluated",
			xsl:  `<xsl:stylesheet version="2.0" ` + xslNS + `><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><xsl:choose><xsl:when test="false()"><xsl:value-of select="for $x in 1 to 3 return $x"/></xsl:when><xsl:otherwise>ok</xsl:otherwise></xsl:choose></xsl:template></xsl:stylesheet>`,
			want: `ok`},
		{name: "xsl:version on a literal result element",
			xsl:  sheet(`<xsl:template match="/"><r xsl:version="2.0"><xsl:if test="false()"><xsl:later/></xsl:if>ok</r></xsl:template>`),
			want: `<r>ok</r>`},
		{name: "attribute set applied with variables",
			xsl:  sheet(`<xsl:variable name="g" select="'G'"/><xsl:attribute-set name="s"><xsl:attribute name="a"><xsl:variable name="l" select="concat($g, name(*))"/><xsl:value-of select="$l"/></xsl:attribute></xsl:attribute-set><xsl:template match="/"><r xsl:use-attribute-sets="s"/></xsl:template>`),
			want: `<r a="Gdoc" />`},
		{name: "attribute sets merged",
			xsl:  sheet(`<xsl:attribute-set name="s"><xsl:attribute name="a">1</xsl:attribute><xsl:attribute name="b">1</xsl:attribute></xsl:attribute-set><xsl:attribute-set name="s"><xsl:attribute name="b">2</xsl:attribute></xsl:attribute-set><xsl:template match="/"><r xsl:use-attribute-sets="s"/></xsl:template>`),
			want: `<r a="1" b="2" />`},
		{name: "global variable with a literal result element using an attribute set",
			xsl:  sheet(`<xsl:variable name="v"><e xsl:use-attribute-sets="s"/></xsl:variable><xsl:attribute-set name="s"><xsl:attribute name="a">1</xsl:attribute></xsl:attribute-set><xsl:template match="/"><xsl:copy-of select="$v"/></xsl:template>`),
			want: `<e a="1" />`},
		{name: "copy of namespace nodes",
			xsl:   sheet(`<xsl:template match="/"><r><xsl:copy-of select="/*/namespace::p"/><xsl:for-each select="/*/namespace::q"><xsl:copy/></xsl:for-each></r></xsl:template>`),
			input: `<d xmlns:p="urn:p" xmlns:q="urn:q"/>`,
			want:  `<r xmlns:p="urn:p" xmlns:q="urn:q" />`},
		{name: "processing instruction name from an AVT",
			xsl:  sheet(`<xsl:template match="/"><xsl:processing-instruction name="{name(*)}">x</xsl:processing-instruction></xsl:template>`),
			want: `<?doc x?>`},
		{name: "text after an attribute set in copy",
			xsl:   sheet(`<xsl:template match="*"><xsl:copy><xsl:value-of select="name()"/></xsl:copy></xsl:template>`),
			input: `<d/>`,
			want:  `<d>d</d>`},
		{name: "param defaults see earlier params",
			xsl:  sheet(`<xsl:template match="/"><xsl:call-template name="t"><xsl:with-param name="a" select="2"/></xsl:call-template></xsl:template><xsl:template name="t"><xsl:param name="a" select="1"/><xsl:param name="b" select="$a * 10"/><xsl:value-of select="$b"/></xsl:template>`),
			want: `20`},
		{name: "sort by AVT order and data-type",
			xsl:    sheet(`<xsl:param name="o" select="'descending'"/><xsl:template match="/"><xsl:for-each select="//i"><xsl:sort select="." order="{$o}" data-type="{'number'}"/><xsl:value-of select="."/>,</xsl:for-each></xsl:template>`),
			input:  `<d><i>2</i><i>10</i><i>1</i></d>`,
			params: map[string]string{"o": "ascending"},
			want:   `1,2,10,`},
	})
}

func TestMiscErrors(t *testing.T) {
	// unknown instruction without fallback is an error only when instantiated
	src := `<xsl:stylesheet version="1.1" ` + xslNS + `><xsl:template match="/">
<xsl:later/></xsl:template><xsl:template name="unused"><xsl:later/></xsl:template></xsl:stylesheet>`
	_, err := transform(t, src, `<d/>`, nil)
	if err == nil || err.Error() != "xslt: xsl:later at line 2: XSLT instruction xsl:later is not supported and has no xsl:fallback" {
		t.Errorf("got %v", err)
	}
	_, err = Compile([]byte(sheet(`<xsl:decimal-format name="d" decimal-separator=","/><xsl:decimal-format name="d" decimal-separator=";"/>`)))
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "already defined differently") || ce.Line != 1 {
		t.Errorf("got %v", err)
	}
	// a syntax error in forwards-compatible mode is raised when evaluated
	_, err = transform(t, `<xsl:stylesheet version="2.0" `+xslNS+`><xsl:template match="/">
<xsl:value-of select="1 to 3"/></xsl:template></xsl:stylesheet>`, `<d/>`, nil)
	if err == nil || !strings.HasPrefix(err.Error(), `xslt: xsl:value-of at line 2: select="1 to 3": `) {
		t.Errorf("got %v", err)
	}
	// apply-imports inside for-each has no current template rule
	_, err = transform(t, sheet(`<xsl:template match="/"><xsl:for-each select="*"><xsl:apply-imports/></xsl:for-each></xsl:template>`), `<d/>`, nil)
	if err == nil || !strings.Contains(err.Error(), "no current template rule") {
		t.Errorf("got %v", err)
	}
	ss := compileT(t, sheet(`<xsl:template match="/"><xsl:value-of select="format-number(1, '0', 'nope')"/></xsl:template>`))
	if _, err := ss.Transform(context.Background(), []byte(`<d/>`), Options{}); err == nil || !strings.Contains(err.Error(), "no xsl:decimal-format named nope") {
		t.Errorf("got %v", err)
	}
	ss = compileT(t, sheet(`<xsl:template match="/"><xsl:value-of select="key('nope', 'x')"/></xsl:template>`))
	if _, err := ss.Transform(context.Background(), []byte(`<d/>`), Options{}); err == nil || !strings.Contains(err.Error(), "no xsl:key named nope") {
		t.Errorf("got %v", err)
	}
}
