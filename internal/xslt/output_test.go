package xslt

import (
	"context"
	"testing"
)

func out(attrs string) string {
	return `<xsl:output ` + attrs + `/>`
}

func full(body string) string {
	return `<xsl:stylesheet version="1.0" ` + xslNS + `>` + body + `</xsl:stylesheet>`
}

// TestSerialization checks the conventions taken from XslCompiledTransform.
func TestSerialization(t *testing.T) {
	runCases(t, []tcase{
		{name: "declaration and empty elements",
			xsl:  full(`<xsl:template match="/"><a><b/><c></c></a></xsl:template>`),
			want: `<?xml version="1.0" encoding="utf-8"?><a><b /><c /></a>`},
		{name: "standalone",
			xsl:  full(out(`standalone="yes"`) + `<xsl:template match="/"><a/></xsl:template>`),
			want: `<?xml version="1.0" encoding="utf-8" standalone="yes"?><a />`},
		{name: "escaping in text and attributes",
			xsl:  full(out(`omit-xml-declaration="yes"`) + `<xsl:template match="/"><a x="&lt;&amp;&gt;&quot;'&#9;&#10;&#13;">&lt;&amp;&gt;"'&#13;</a></xsl:template>`),
			want: "<a x=\"&lt;&amp;&gt;&quot;'&#x9;&#xA;&#xD;\">&lt;&amp;&gt;\"'&#xD;</a>"},
		{name: "indent with mixed content",
			xsl:  full(out(`indent="yes" omit-xml-declaration="yes"`) + `<xsl:template match="/"><a><b><c>t</c></b><d>x<e/>y</d><xsl:comment>c</xsl:comment><f><g/></f></a></xsl:template>`),
			want: "<a>\n  <b>\n    <c>t</c>\n  </b>\n  <d>x<e />y</d>\n  <!--c-->\n  <f>\n    <g />\n  </f>\n</a>"},
		{name: "indent after declaration",
			xsl:  full(out(`indent="yes"`) + `<xsl:template match="/"><a><b/></a></xsl:template>`),
			want: "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<a>\n  <b />\n</a>"},
		{name: "doctype",
			xsl:  full(out(`doctype-public="-//X//DTD Y//EN" doctype-system="y.dtd" omit-xml-declaration="yes"`) + `<xsl:template match="/"><r/></xsl:template>`),
			want: `<!DOCTYPE r PUBLIC "-//X//DTD Y//EN" "y.dtd"><r />`},
		{name: "doctype system only",
			xsl:  full(out(`doctype-system="y.dtd"`) + `<xsl:template match="/"><r/></xsl:template>`),
			want: `<?xml version="1.0" encoding="utf-8"?><!DOCTYPE r SYSTEM "y.dtd"><r />`},
		{name: "cdata-section-elements",
			xsl:  full(out(`cdata-section-elements="c" omit-xml-declaration="yes"`) + `<xsl:template match="/"><r><c>a&lt;b]]&gt;c</c><d>a&lt;b</d></r></xsl:template>`),
			want: `<r><c><![CDATA[a<b]]]]><![CDATA[>c]]></c><d>a&lt;b</d></r>`},
		{name: "encoding iso-8859-1 uses character references",
			xsl:  full(out(`encoding="ISO-8859-1"`) + `<xsl:template match="/"><r a="é€">é€</r></xsl:template>`),
			want: "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><r a=\"\xe9&#x20AC;\">\xe9&#x20AC;</r>"},
		{name: "encoding us-ascii",
			xsl:  full(out(`encoding="us-ascii" omit-xml-declaration="yes"`) + `<xsl:template match="/"><r>é𝄞</r></xsl:template>`),
			want: "<r>&#xE9;&#x1D11E;</r>"},
		{name: "cdata with characters the encoding lacks",
			xsl:  full(out(`encoding="us-ascii" omit-xml-declaration="yes" cdata-section-elements="c"`) + `<xsl:template match="/"><c>a&lt;é&gt;b</c></xsl:template>`),
			want: "<c><![CDATA[a<]]>&#xE9;<![CDATA[>b]]></c>"},
		{name: "encoding utf-16",
			xsl:  full(out(`encoding="UTF-16" omit-xml-declaration="yes"`) + `<xsl:template match="/"><r/></xsl:template>`),
			want: "\xff\xfe<\x00r\x00 \x00/\x00>\x00"},
		{name: "text method",
			xsl:  full(out(`method="text"`) + `<xsl:template match="/"><r>a &lt; b<x>c</x></r></xsl:template>`),
			want: `a < bc`},
		{name: "html detected",
			xsl:  full(`<xsl:template match="/"><html><body><br/><p></p><img src="a b/é.png" alt="x&amp;y"/><input type="checkbox" checked="checked"/><script>if (a &lt; b &amp;&amp; c) {}</script><xsl:processing-instruction name="pi">x</xsl:processing-instruction></body></html></xsl:template>`),
			want: "<html>\n  <body><br><p></p><img src=\"a b/%C3%A9.png\" alt=\"x&amp;y\"><input type=\"checkbox\" checked><script>if (a < b && c) {}</script><?pi x></body>\n</html>"},
		{name: "html indentation of blocks",
			xsl:  full(`<xsl:template match="/"><html><body><div><p>a <b>b</b></p><ul><li><a href="x">x</a></li></ul></div></body></html></xsl:template>`),
			want: "<html>\n  <body>\n    <div>\n      <p>a <b>b</b></p>\n      <ul>\n        <li><a href=\"x\">x</a></li>\n      </ul>\n    </div>\n  </body>\n</html>"},
		{name: "html head meta and doctype",
			xsl:  full(out(`method="html" indent="no" doctype-public="-//W3C//DTD HTML 4.01//EN"`) + `<xsl:template match="/"><html><head><title>t</title></head></html></xsl:template>`),
			want: `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN"><html><head><META http-equiv="Content-Type" content="text/html; charset=utf-8"><title>t</title></head></html>`},
		{name: "html attribute with brace and lt",
			xsl:  full(out(`method="html" indent="no"`) + `<xsl:template match="/"><a onclick="a&lt;b &amp;{{x}}" title="&quot;"/></xsl:template>`),
			want: `<a onclick="a<b &{x}" title="&quot;"></a>`},
		{name: "namespace fixup undeclares the default namespace",
			xsl:  full(out(`omit-xml-declaration="yes"`) + `<xsl:template match="/"><a xmlns="urn:a"><xsl:element name="b" namespace=""/></a></xsl:template>`),
			want: `<a xmlns="urn:a"><b xmlns="" /></a>`},
		{name: "namespace fixup generates prefixes for attributes",
			xsl:  full(out(`omit-xml-declaration="yes"`) + `<xsl:template match="/"><a><xsl:attribute name="x" namespace="urn:1">1</xsl:attribute><xsl:attribute name="y" namespace="urn:2">2</xsl:attribute><xsl:attribute name="z" namespace="urn:1">3</xsl:attribute></a></xsl:template>`),
			want: `<a xmlns:ns0="urn:1" xmlns:ns1="urn:2" ns0:x="1" ns1:y="2" ns0:z="3" />`},
		{name: "xml namespace attribute",
			xsl:  full(out(`omit-xml-declaration="yes"`) + `<xsl:template match="/"><a xml:lang="en"><xsl:attribute name="xml:space">preserve</xsl:attribute></a></xsl:template>`),
			want: `<a xml:lang="en" xml:space="preserve" />`},
		{name: "top-level text",
			xsl:  full(out(`omit-xml-declaration="yes"`) + `<xsl:template match="/">text<a/>more</xsl:template>`),
			want: `text<a />more`},
	})
}

// TestSOAP unwraps a SOAP 1.1 body into plain XML and wraps plain XML in
// an envelope, keeping namespaces.
func TestSOAP(t *testing.T) {
	unwrap := `<xsl:stylesheet version="1.0" ` + xslNS + ` xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" exclude-result-prefixes="soap">
  <xsl:output method="xml" indent="yes" omit-xml-declaration="yes"/>
  <xsl:strip-space elements="*"/>
  <xsl:template match="/">
    <xsl:apply-templates select="soap:Envelope/soap:Body/*"/>
  </xsl:template>
  <xsl:template match="*">
    <xsl:element name="{local-name()}" namespace="{namespace-uri()}">
      <xsl:copy-of select="@*"/>
      <xsl:apply-templates/>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>`
	wrap := `<xsl:stylesheet version="1.0" ` + xslNS + `>
  <xsl:output method="xml" indent="yes"/>
  <xsl:param name="action" select="'urn:shop/GetPrice'"/>
  <xsl:template match="/">
    <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
      <soap:Header><wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing"><xsl:value-of select="$action"/></wsa:Action></soap:Header>
      <soap:Body><xsl:copy-of select="*"/></soap:Body>
    </soap:Envelope>
  </xsl:template>
</xsl:stylesheet>`
	envelope := `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header><auth>x</auth></soap:Header>
  <soap:Body>
    <m:GetPrice xmlns:m="urn:shop" m:currency="EUR">
      <m:Item>Apples</m:Item>
      <m:Qty unit="kg">3</m:Qty>
    </m:GetPrice>
  </soap:Body>
</soap:Envelope>`
	got := mustTransform(t, unwrap, envelope, nil)
	want := "<GetPrice xmlns=\"urn:shop\" xmlns:m=\"urn:shop\" m:currency=\"EUR\">\n  <Item>Apples</Item>\n  <Qty unit=\"kg\">3</Qty>\n</GetPrice>"
	if got != want {
		t.Errorf("unwrap: got\n%s\nwant\n%s", got, want)
	}
	got = mustTransform(t, wrap, `<GetPrice xmlns="urn:shop"><Item>Apples</Item></GetPrice>`, nil)
	want = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header>
    <wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:shop/GetPrice</wsa:Action>
  </soap:Header>
  <soap:Body>
    <GetPrice xmlns="urn:shop">
      <Item>Apples</Item>
    </GetPrice>
  </soap:Body>
</soap:Envelope>`
	if got != want {
		t.Errorf("wrap: got\n%s\nwant\n%s", got, want)
	}
	// round trip: wrapping then unwrapping gives the payload back
	ss, _ := Compile([]byte(unwrap))
	back, err := ss.Transform(context.Background(), []byte(got), Options{})
	if err != nil || string(back) != "<GetPrice xmlns=\"urn:shop\">\n  <Item>Apples</Item>\n</GetPrice>" {
		t.Errorf("round trip: %q %v", back, err)
	}
}
