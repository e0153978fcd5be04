package xslt

import (
	"context"
	"strings"
	"testing"
)

const xslNS = `xmlns:xsl="http://www.w3.org/1999/XSL/Transform"`

// sheet wraps top-level elements in a stylesheet that omits the XML
// declaration.
func sheet(body string) string {
	return `<xsl:stylesheet version="1.0" ` + xslNS + `><xsl:output omit-xml-declaration="yes"/>` + body + `</xsl:stylesheet>`
}

type tcase struct {
	name   string
	xsl    string
	input  string
	want   string
	params map[string]string
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.input
			if in == "" {
				in = "<doc/>"
			}
			got := mustTransform(t, tc.xsl, in, tc.params)
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

const chapters = `<doc><chapter><title>A</title><section><title>A.1</title><subsection><title>A.1.a</title></subsection></section><section><title>A.2</title></section></chapter><chapter><title>B</title><section><title>B.1</title></section></chapter><appendix><title>X</title><section><title>X.1</title></section></appendix></doc>`

// TestSpecExamples runs examples the XSLT 1.0 Recommendation gives.
func TestSpecExamples(t *testing.T) {
	runCases(t, []tcase{
		{name: "2.3 literal result element as stylesheet",
			xsl:   `<html xsl:version="1.0" ` + xslNS + ` xmlns="http://www.w3.org/TR/xhtml1/strict"><head><title>Expense Report Summary</title></head><body><p>Total Amount: <xsl:value-of select="expense-report/total"/></p></body></html>`,
			input: `<expense-report><total>123.45</total></expense-report>`,
			want:  `<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/TR/xhtml1/strict"><head><title>Expense Report Summary</title></head><body><p>Total Amount: 123.45</p></body></html>`},
		{name: "5.8 built-in rules copy text",
			xsl:   sheet(``),
			input: `<doc a="x"><p>one</p><!-- c --><?pi x?><p>two</p></doc>`,
			want:  `onetwo`},
		{name: "5.8 built-in rules in a mode",
			xsl:   sheet(`<xsl:template match="/"><xsl:apply-templates mode="m"/></xsl:template><xsl:template match="em" mode="m">[<xsl:value-of select="."/>]</xsl:template>`),
			input: `<doc><p>a<em>b</em>c</p></doc>`,
			want:  `a[b]c`},
		{name: "5.8 built-in rule for attributes",
			xsl:   sheet(`<xsl:template match="/"><xsl:apply-templates select="//@*"/></xsl:template>`),
			input: `<doc a="1"><e b="2"/></doc>`,
			want:  `12`},
		{name: "7.7 numbered list",
			xsl:   sheet(`<xsl:template match="ol/item"><b><xsl:number/><xsl:text>. </xsl:text><xsl:apply-templates/></b></xsl:template>`),
			input: `<ol><item>x</item><item>y</item><item>z</item></ol>`,
			want:  `<b>1. x</b><b>2. y</b><b>3. z</b>`},
		{name: "7.7 multiple level headings",
			xsl: sheet(`<xsl:template match="title"><b><xsl:number level="multiple" count="chapter|section|subsection" format="1.1 "/><xsl:apply-templates/></b></xsl:template>
<xsl:template match="appendix//title" priority="1"><b><xsl:number level="multiple" count="appendix|section|subsection" format="A.1 "/><xsl:apply-templates/></b></xsl:template>`),
			input: chapters,
			want:  `<b>1 A</b><b>1.1 A.1</b><b>1.1.1 A.1.a</b><b>1.2 A.2</b><b>2 B</b><b>2.1 B.1</b><b>A X</b><b>A.1 X.1</b>`},
		{name: "7.7 footnotes level any",
			xsl:   sheet(`<xsl:template match="footnote"><b><xsl:number level="any" count="footnote" format="(a)"/></b></xsl:template>`),
			input: `<doc><p><footnote/></p><chapter><footnote/><p><footnote/></p></chapter></doc>`,
			want:  `<b>(a)</b><b>(b)</b><b>(c)</b>`},
		{name: "7.7 level any from chapter",
			xsl:   sheet(`<xsl:template match="note"><b><xsl:number level="any" from="chapter" format="(1) "/></b></xsl:template>`),
			input: `<doc><chapter><note/><p><note/></p></chapter><chapter><note/></chapter></doc>`,
			want:  `<b>(1) </b><b>(2) </b><b>(1) </b>`},
		{name: "7.7 numbering H4 after H3 level any",
			xsl:   sheet(`<xsl:template match="H4"><b><xsl:number level="any" from="H1" count="H2"/><xsl:text>.</xsl:text><xsl:number level="any" from="H2" count="H3"/><xsl:text>.</xsl:text><xsl:number level="any" from="H3" count="H4"/></b></xsl:template><xsl:template match="text()"/>`),
			input: `<body><H1/><H2/><H3/><H4/><H4/><H3/><H4/><H2/><H3/><H4/></body>`,
			want:  `<b>1.1.1</b><b>1.1.2</b><b>1.2.1</b><b>2.1.1</b>`},
		{name: "7.7.1 format tokens",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//i"><xsl:number value="position()" format="1,01,a,A,i,I"/>;</xsl:for-each><xsl:number value="10" format="01"/>|<xsl:number value="27" format="a"/>|<xsl:number value="1999" format="i"/>|<xsl:number value="12345678" grouping-separator="." grouping-size="3"/>|<xsl:number value="3" format="[1]"/></xsl:template>`),
			input: `<d><i/><i/></d>`,
			want:  `1;2;10|aa|mcmxcix|12.345.678|[3]`},
		{name: "7.7.1 several numbers reuse the last token",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//s"><xsl:number level="multiple" count="s" format="1.a-i"/>;</xsl:for-each></xsl:template>`),
			input: `<s><s><s><s/></s></s></s>`,
			want:  `1;1.a;1.a-i;1.a-i-i;`},
		{name: "11.2 variable with no value is the empty string",
			xsl:  sheet(`<xsl:variable name="x"/><xsl:template match="/">[<xsl:value-of select="$x"/>|<xsl:value-of select="string-length($x)"/>]</xsl:template>`),
			want: `[|0]`},
		{name: "11.2 variable content is a result tree fragment",
			xsl:   sheet(`<xsl:variable name="n">2</xsl:variable><xsl:template match="/"><xsl:value-of select="count(//i[$n])"/>|<xsl:value-of select="count(//i[position()=$n])"/></xsl:template>`),
			input: `<d><i/><i/><i/></d>`,
			want:  `3|1`},
		{name: "11.4 numbered-block with-param",
			xsl: sheet(`<xsl:template name="numbered-block"><xsl:param name="format">1. </xsl:param><b><xsl:number format="{$format}"/><xsl:apply-templates/></b></xsl:template>
<xsl:template match="ol/li"><xsl:call-template name="numbered-block"/></xsl:template>
<xsl:template match="ol//ol/li"><xsl:call-template name="numbered-block"><xsl:with-param name="format">a. </xsl:with-param></xsl:call-template></xsl:template>`),
			input: `<ol><li>x</li><li>y<ol><li>p</li><li>q</li></ol></li></ol>`,
			want:  `<b>1. x</b><b>2. y<b>a. p</b><b>b. q</b></b>`},
		{name: "11.5 a local may shadow a global",
			xsl:  sheet(`<xsl:param name="x" select="1"/><xsl:template match="/"><xsl:variable name="x" select="2"/><xsl:value-of select="$x"/></xsl:template>`),
			want: `2`},
		{name: "11.5 sibling scopes may reuse a name",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//i"><xsl:variable name="x" select="@v"/><xsl:value-of select="$x"/></xsl:for-each><xsl:variable name="x" select="'end'"/><xsl:value-of select="$x"/></xsl:template>`),
			input: `<d><i v="a"/><i v="b"/></d>`,
			want:  `abend`},
		{name: "12.4 current",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//item"><xsl:value-of select="//desc[@for=current()/@name]"/>;</xsl:for-each></xsl:template>`),
			input: `<d><item name="a"/><item name="b"/><desc for="b">B</desc><desc for="a">A</desc></d>`,
			want:  `A;B;`},
		{name: "7.1.4 namespace alias generates a stylesheet",
			xsl: `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:axsl="http://www.w3.org/1999/XSL/TransformAlias"><xsl:output omit-xml-declaration="yes"/><xsl:namespace-alias stylesheet-prefix="axsl" result-prefix="xsl"/>
<xsl:template match="/"><axsl:stylesheet version="1.0"><xsl:apply-templates/></axsl:stylesheet></xsl:template>
<xsl:template match="block"><axsl:template match="{.}"><fo:block xmlns:fo="urn:fo"><axsl:apply-templates/></fo:block></axsl:template></xsl:template></xsl:stylesheet>`,
			input: `<elements><block>p</block></elements>`,
			want:  `<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="p"><fo:block xmlns:fo="urn:fo"><xsl:apply-templates /></fo:block></xsl:template></xsl:stylesheet>`},
	})
}

func TestInstructions(t *testing.T) {
	runCases(t, []tcase{
		{name: "template conflict: last of highest priority wins",
			xsl:  sheet(`<xsl:template match="doc">first</xsl:template><xsl:template match="doc">second</xsl:template><xsl:template match="*">any</xsl:template>`),
			want: `second`},
		{name: "explicit priority beats default",
			xsl:  sheet(`<xsl:template match="*" priority="2">star</xsl:template><xsl:template match="doc">doc</xsl:template>`),
			want: `star`},
		{name: "union pattern alternatives have their own priorities",
			xsl:   sheet(`<xsl:template match="/"><xsl:apply-templates select="//a|//b"/></xsl:template><xsl:template match="a|*">[<xsl:value-of select="name()"/>]</xsl:template><xsl:template match="node()">n</xsl:template>`),
			input: `<d><a/><b/></d>`,
			want:  `[a]n`},
		{name: "apply-templates sort and with-param",
			xsl:   sheet(`<xsl:template match="/"><xsl:apply-templates select="//i"><xsl:sort select="@k" data-type="number" order="descending"/><xsl:with-param name="p" select="'-'"/></xsl:apply-templates></xsl:template><xsl:template match="i"><xsl:param name="p"/><xsl:value-of select="concat(@k,$p)"/></xsl:template>`),
			input: `<d><i k="2"/><i k="10"/><i k="1"/></d>`,
			want:  `10-2-1-`},
		{name: "sort text case-order",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//i"><xsl:sort select="."/><xsl:value-of select="."/>,</xsl:for-each>|<xsl:for-each select="//i"><xsl:sort select="." case-order="upper-first"/><xsl:value-of select="."/>,</xsl:for-each></xsl:template>`),
			input: `<d><i>b</i><i>B</i><i>a</i><i>A</i><i>c</i></d>`,
			want:  `a,A,b,B,c,|A,a,B,b,c,`},
		{name: "sort number NaN first and stable",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//i"><xsl:sort select="." data-type="number"/><xsl:value-of select="concat(., @n)"/>,</xsl:for-each></xsl:template>`),
			input: `<d><i n="1">2</i><i n="2">x</i><i n="3">1</i><i n="4">2</i></d>`,
			want:  `x2,13,21,24,`},
		{name: "for-each position and last",
			xsl:   sheet(`<xsl:template match="/"><xsl:for-each select="//i"><xsl:value-of select="position()"/>/<xsl:value-of select="last()"/> </xsl:for-each></xsl:template>`),
			input: `<d><i/><i/></d>`,
			want:  `1/22/2`},
		{name: "value-of disable-output-escaping",
			xsl:  sheet(`<xsl:template match="/"><r><xsl:value-of select="'&lt;b&gt;'" disable-output-escaping="yes"/><xsl:value-of select="'&lt;i&gt;'"/></r></xsl:template>`),
			want: `<r><b>&lt;i&gt;</r>`},
		{name: "xsl:text keeps whitespace",
			xsl:  sheet(`<xsl:template match="/"><r>  <xsl:text>  a  </xsl:text>  </r></xsl:template>`),
			want: `<r>  a  </r>`},
		{name: "copy element with use-attribute-sets",
			xsl:   sheet(`<xsl:attribute-set name="s"><xsl:attribute name="added">1</xsl:attribute></xsl:attribute-set><xsl:template match="e"><xsl:copy use-attribute-sets="s"><xsl:apply-templates select="@*"/></xsl:copy></xsl:template><xsl:template match="@*"><xsl:copy/></xsl:template>`),
			input: `<e a="x">text</e>`,
			want:  `<e added="1" a="x" />`},
		{name: "copy-of fragment and string",
			xsl:  sheet(`<xsl:variable name="f"><a>1</a>2</xsl:variable><xsl:template match="/"><r><xsl:copy-of select="$f"/><xsl:copy-of select="1+1"/></r></xsl:template>`),
			want: `<r><a>1</a>22</r>`},
		{name: "element and attribute with namespaces",
			xsl:  sheet(`<xsl:template match="/"><xsl:element name="p:e" namespace="urn:p"><xsl:attribute name="a" namespace="urn:a">1</xsl:attribute><xsl:attribute name="q:b" namespace="urn:p">2</xsl:attribute></xsl:element></xsl:template>`),
			want: `<p:e xmlns:p="urn:p" xmlns:ns0="urn:a" xmlns:q="urn:p" ns0:a="1" q:b="2" />`},
		{name: "element name prefix from the stylesheet",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:x="urn:x"><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><xsl:element name="x:e"/><xsl:element name="{'plain'}"/></xsl:template></xsl:stylesheet>`,
			want: `<x:e xmlns:x="urn:x" /><plain />`},
		{name: "default namespace applies to xsl:element",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns="urn:d"><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><xsl:element name="e"><xsl:attribute name="a">1</xsl:attribute><child/></xsl:element></xsl:template></xsl:stylesheet>`,
			want: `<e xmlns="urn:d" a="1"><child /></e>`},
		{name: "attribute replaces an earlier one of the same name",
			xsl:  sheet(`<xsl:template match="/"><r a="1"><xsl:attribute name="a">2</xsl:attribute></r></xsl:template>`),
			want: `<r a="2" />`},
		{name: "comment and processing-instruction",
			xsl:  sheet(`<xsl:template match="/"><r><xsl:comment>a--b-</xsl:comment><xsl:processing-instruction name="x">y?>z</xsl:processing-instruction></r></xsl:template>`),
			want: `<r><!--a- -b- --><?x y? >z?></r>`},
		{name: "choose",
			xsl:   sheet(`<xsl:template match="i"><xsl:choose><xsl:when test=". &lt; 2">small</xsl:when><xsl:when test=". &lt; 5">mid</xsl:when><xsl:otherwise>big</xsl:otherwise></xsl:choose>,</xsl:template>`),
			input: `<d><i>1</i><i>3</i><i>9</i></d>`,
			want:  `small,mid,big,`},
		{name: "message collected",
			xsl:  sheet(`<xsl:template match="/"><xsl:message>hello</xsl:message>ok</xsl:template>`),
			want: `ok`},
		{name: "keys with node-set argument",
			xsl:   sheet(`<xsl:key name="k" match="i" use="@g"/><xsl:template match="/"><xsl:for-each select="key('k', //want)"><xsl:value-of select="@n"/></xsl:for-each></xsl:template>`),
			input: `<d><i g="a" n="1"/><i g="b" n="2"/><i g="a" n="3"/><i g="c" n="4"/><want>c</want><want>a</want></d>`,
			want:  `134`},
		{name: "key used in a match pattern",
			xsl:   sheet(`<xsl:key name="k" match="i" use="@g"/><xsl:template match="key('k','a')">A</xsl:template><xsl:template match="i">-</xsl:template>`),
			input: `<d><i g="a"/><i g="b"/><i g="a"/></d>`,
			want:  `A-A`},
		{name: "generate-id stable and distinct",
			xsl:   sheet(`<xsl:template match="/"><xsl:value-of select="generate-id(//i[1]) = generate-id(//i[1])"/>,<xsl:value-of select="generate-id(//i[1]) = generate-id(//i[2])"/>,<xsl:value-of select="generate-id(/d/nothing)"/>.</xsl:template>`),
			input: `<d><i/><i/></d>`,
			want:  `true,false,.`},
		{name: "system-property and availability",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:msxsl="urn:schemas-microsoft-com:xslt" xmlns:exsl="http://exslt.org/common"><xsl:output method="text"/><xsl:template match="/"><xsl:value-of select="system-property('xsl:version')"/>,<xsl:value-of select="system-property('xsl:vendor')"/>,<xsl:value-of select="element-available('xsl:for-each')"/>,<xsl:value-of select="element-available('xsl:template')"/>,<xsl:value-of select="function-available('msxsl:node-set')"/>,<xsl:value-of select="function-available('exsl:object-type')"/>,<xsl:value-of select="function-available('document')"/>,<xsl:value-of select="function-available('format-number')"/>,[<xsl:value-of select="unparsed-entity-uri('x')"/>]</xsl:template></xsl:stylesheet>`,
			want: `1,Microsoft,true,false,true,true,false,true,[]`},
		{name: "msxsl:node-set",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:msxsl="urn:schemas-microsoft-com:xslt" exclude-result-prefixes="msxsl"><xsl:output omit-xml-declaration="yes"/><xsl:variable name="v"><i>2</i><i>1</i></xsl:variable><xsl:template match="/"><r><xsl:for-each select="msxsl:node-set($v)/i"><xsl:sort select="."/><xsl:copy-of select="."/></xsl:for-each></r></xsl:template></xsl:stylesheet>`,
			want: `<r><i>1</i><i>2</i></r>`},
		{name: "exsl:object-type",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:exsl="http://exslt.org/common"><xsl:output method="text"/><xsl:variable name="f"><a/></xsl:variable><xsl:template match="/"><xsl:value-of select="concat(exsl:object-type($f), ' ', exsl:object-type(/), ' ', exsl:object-type(1), ' ', exsl:object-type('s'), ' ', exsl:object-type(true()))"/></xsl:template></xsl:stylesheet>`,
			want: `RTF node-set number string boolean`},
		{name: "fallback for unknown extension element",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:ext="urn:ext" extension-element-prefixes="ext"><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><r><ext:thing><xsl:fallback>fb</xsl:fallback></ext:thing></r></xsl:template></xsl:stylesheet>`,
			want: `<r>fb</r>`},
		{name: "forwards-compatible mode ignores unknown elements and attributes",
			xsl:  `<xsl:stylesheet version="2.0" ` + xslNS + `><xsl:output omit-xml-declaration="yes"/><xsl:new-top-level/><xsl:template match="/" new-attr="x"><r><xsl:if test="false()"><xsl:new-instruction/></xsl:if>ok</r></xsl:template></xsl:stylesheet>`,
			want: `<r>ok</r>`},
		{name: "strip-space and xml:space",
			xsl:   sheet(`<xsl:strip-space elements="*"/><xsl:preserve-space elements="pre"/><xsl:template match="/"><xsl:value-of select="count(//text())"/></xsl:template>`),
			input: "<d> <a> </a> <pre> </pre> <b xml:space=\"preserve\"> <c> </c> </b><e xml:space=\"preserve\"><f xml:space=\"default\"> </f></e></d>",
			want:  `4`},
		{name: "stylesheet whitespace stripped but xsl:text and xml:space kept",
			xsl:  sheet(`<xsl:template match="/"><r> <a> </a> <b xml:space="preserve"> </b><xsl:text> </xsl:text></r></xsl:template>`),
			want: `<r><a /><b xml:space="preserve"> </b> </r>`},
		{name: "exclude-result-prefixes",
			xsl:  `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:a="urn:a" xmlns:b="urn:b" exclude-result-prefixes="a"><xsl:output omit-xml-declaration="yes"/><xsl:template match="/"><r xmlns:c="urn:c" xsl:exclude-result-prefixes="c"><a:x/></r></xsl:template></xsl:stylesheet>`,
			want: `<r xmlns:b="urn:b"><a:x xmlns:a="urn:a" /></r>`},
		{name: "avt braces",
			xsl:  sheet(`<xsl:template match="/"><r a="{{x}}" b="{'}'}" c="{1+1}{concat('{','')}"/></xsl:template>`),
			want: `<r a="{x}" b="}" c="2{" />`},
		{name: "global variables forward reference",
			xsl:  sheet(`<xsl:variable name="a" select="$b * 2"/><xsl:variable name="b" select="$c + 1"/><xsl:variable name="c" select="1"/><xsl:template match="/"><xsl:value-of select="$a"/></xsl:template>`),
			want: `4`},
		{name: "top-level param",
			xsl:    sheet(`<xsl:param name="p" select="'dflt'"/><xsl:param name="q" select="'dflt'"/><xsl:template match="/"><xsl:value-of select="concat($p,',',$q)"/></xsl:template>`),
			params: map[string]string{"p": "given", "zzz": "ignored"},
			want:   `given,dflt`},
		{name: "apply-imports falls back to built-in rules",
			xsl:   sheet(`<xsl:template match="e">[<xsl:apply-imports/>]</xsl:template>`),
			input: `<e>t</e>`,
			want:  `[t]`},
		{name: "format-number",
			xsl: sheet(`<xsl:decimal-format name="de" decimal-separator="," grouping-separator="."/><xsl:template match="/">` +
				`<xsl:value-of select="format-number(1234.5, '#,##0.00')"/>|` +
				`<xsl:value-of select="format-number(-1234.5, '#,##0.00')"/>|` +
				`<xsl:value-of select="format-number(1234.5, '#.##0,00', 'de')"/>|` +
				`<xsl:value-of select="format-number(0.125, '0.00')"/>|` +
				`<xsl:value-of select="format-number(0.5, '#%')"/>|` +
				`<xsl:value-of select="format-number(0.0125, '0.0&#8240;')"/>|` +
				`<xsl:value-of select="format-number(-3, '0;[0]')"/>|` +
				`<xsl:value-of select="format-number(7, '000')"/>|` +
				`<xsl:value-of select="format-number(0.456, '#.##')"/>|` +
				`<xsl:value-of select="format-number(12, &quot;'#'0&quot;)"/>|` +
				`<xsl:value-of select="format-number(1 div 0, '0')"/>|` +
				`<xsl:value-of select="format-number(-1 div 0, '0')"/>|` +
				`<xsl:value-of select="format-number(number('x'), '0')"/>` +
				`</xsl:template>`),
			want: `1,234.50|-1,234.50|1.234,50|0.12|50%|12.5‰|[3]|007|.46|#12|Infinity|-Infinity|NaN`},
	})
}

func TestMessages(t *testing.T) {
	ss, err := Compile([]byte(sheet(`<xsl:template match="/"><xsl:message>one <xsl:value-of select="name(*)"/></xsl:message><xsl:message>two</xsl:message></xsl:template>`)))
	if err != nil {
		t.Fatal(err)
	}
	_, msgs, err := ss.TransformMessages(context.Background(), []byte(`<doc/>`), Options{})
	if err != nil || strings.Join(msgs, "|") != "one doc|two" {
		t.Fatalf("got %q, %v", msgs, err)
	}
}

func TestMediaTypeAndParams(t *testing.T) {
	for src, want := range map[string]string{
		sheet(``): "text/xml",
		`<xsl:stylesheet version="1.0" ` + xslNS + `><xsl:output method="html"/></xsl:stylesheet>`:                                  "text/html",
		`<xsl:stylesheet version="1.0" ` + xslNS + `><xsl:output method="text"/></xsl:stylesheet>`:                                  "text/plain",
		`<xsl:stylesheet version="1.0" ` + xslNS + `><xsl:output method="xml" media-type="application/soap+xml"/></xsl:stylesheet>`: "application/soap+xml",
	} {
		ss, err := Compile([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got := ss.MediaType(); got != want {
			t.Errorf("%s: MediaType %q, want %q", src, got, want)
		}
	}
	ss, err := Compile([]byte(sheet(`<xsl:param name="a"/><xsl:variable name="v"/><xsl:param name="User-Agent"/>`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ss.Params(), ","); got != "a,User-Agent" {
		t.Errorf("Params %q", got)
	}
}

func TestRuntimeErrors(t *testing.T) {
	for _, tc := range []struct{ name, xsl, input, want string }{
		{"terminate", sheet(`<xsl:template match="/">
<xsl:message terminate="yes">stop: <xsl:value-of select="name(*)"/></xsl:message></xsl:template>`), `<doc/>`,
			`xslt: xsl:message at line 2: transformation terminated: stop: doc`},
		{"attribute after children", sheet(`<xsl:template match="/"><r><c/>
<xsl:attribute name="a">1</xsl:attribute></r></xsl:template>`), `<doc/>`,
			`xslt: xsl:attribute at line 2: cannot add attribute a to element r after its children`},
		{"attribute at the root", sheet(`<xsl:template match="/">
<xsl:attribute name="a">1</xsl:attribute></xsl:template>`), `<doc/>`,
			`xslt: xsl:attribute at line 2: cannot add attribute a to the root of the result: there is no element to add it to`},
		{"element in attribute content", sheet(`<xsl:template match="/"><r>
<xsl:attribute name="a">x<b/></xsl:attribute></r></xsl:template>`), `<doc/>`,
			`xslt: xsl:attribute at line 2: the content may create only text, not a element node`},
		{"bad element name", sheet(`<xsl:template match="/">
<xsl:element name="{'a b'}"/></xsl:template>`), `<doc/>`,
			`xslt: xsl:element at line 2: "a b" is not a valid QName`},
		{"unknown extension element", `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:ext="urn:ext" extension-element-prefixes="ext"><xsl:template match="/">
<ext:thing/></xsl:template></xsl:stylesheet>`, `<doc/>`,
			`xslt: ext:thing at line 2: extension element ext:thing is not supported and has no xsl:fallback`},
		{"unknown extension function", `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:ext="urn:ext"><xsl:template match="/">
<xsl:value-of select="ext:f()"/></xsl:template></xsl:stylesheet>`, `<doc/>`,
			`unknown function {urn:ext}f`},
		{"node-set required", sheet(`<xsl:variable name="f"><a/></xsl:variable><xsl:template match="/">
<xsl:for-each select="$f/a"/></xsl:template>`), `<doc/>`,
			`xslt: xsl:for-each at line 2: `},
		{"circular through a template", sheet(`<xsl:variable name="a"><xsl:call-template name="t"/></xsl:variable><xsl:template name="t">
<xsl:value-of select="$a"/></xsl:template><xsl:template match="/"><xsl:value-of select="$a"/></xsl:template>`), `<doc/>`,
			`circular reference to global variable $a`},
		{"input DTD", sheet(``), `<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>`, `DTDs are not allowed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transform(t, tc.xsl, tc.input, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
