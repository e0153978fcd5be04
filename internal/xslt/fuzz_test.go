package xslt

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tollgate/internal/xpath"
)

var fuzzInput = []byte(`<?xml version="1.0"?><s:Envelope xmlns:s="urn:s"><s:Body><m a="1" xml:lang="en"><i k="2">x</i><i k="1">y<!--c--><?p d?></i></m></s:Body></s:Envelope>`)

func fuzzOptions() Options {
	return Options{MaxOutput: 1 << 16, MaxDepth: 50, MaxSteps: 20000, Params: map[string]string{"p": "v"}}
}

func addSeedFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b)
		}
	}
}

// FuzzCompile compiles arbitrary stylesheets; what compiles is run over a
// small input with small limits. Neither may panic.
func FuzzCompile(f *testing.F) {
	addSeedFiles(f, "testdata/diff/*.xsl")
	addSeedFiles(f, "testdata/*.xsl")
	f.Add([]byte(sheet(`<xsl:template match="/"><xsl:number level="any" count="node()" format="a.I.01"/><xsl:value-of select="format-number(-1234.5,'#,##0.0#;(#)')"/></xsl:template>`)))
	f.Add([]byte(`<r xsl:version="1.0" ` + xslNS + ` a="{name(*)}{{"><xsl:copy-of select="/"/></r>`))
	f.Add([]byte(`<xsl:stylesheet version="2.0" ` + xslNS + `><xsl:template match="/"><xsl:unknown><xsl:fallback>f</xsl:fallback></xsl:unknown></xsl:template></xsl:stylesheet>`))
	f.Fuzz(func(t *testing.T, src []byte) {
		ss, err := Compile(src)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _, _ = ss.TransformMessages(ctx, fuzzInput, fuzzOptions())
		_ = ss.MediaType()
		_ = ss.Params()
	})
}

// FuzzTransform runs an identity-like stylesheet over arbitrary input.
func FuzzTransform(f *testing.F) {
	addSeedFiles(f, "testdata/diff/*.xml")
	addSeedFiles(f, "testdata/*.xml")
	f.Add(fuzzInput)
	f.Add([]byte(`<a xmlns="urn:a" xmlns:b="urn:b"><b:c b:d="&lt;&amp;" xmlns=""><![CDATA[x]]>&#x10FFFF;</b:c></a>`))
	ss, err := Compile([]byte(`<xsl:stylesheet version="1.0" ` + xslNS + `>
<xsl:output indent="yes" cdata-section-elements="c"/>
<xsl:strip-space elements="x"/>
<xsl:key name="k" match="*" use="local-name()"/>
<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
<xsl:template match="/*"><xsl:copy><xsl:attribute name="n"><xsl:number level="any" count="*"/>-<xsl:value-of select="count(key('k', local-name()))"/></xsl:attribute><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
<xsl:template match="text()[normalize-space()]"><xsl:value-of select="translate(., 'abc', 'ABC')"/></xsl:template>
</xsl:stylesheet>`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		out, err := ss.Transform(context.Background(), input, Options{MaxOutput: 1 << 20, MaxSteps: 100000})
		if err != nil {
			return
		}
		// what parsed must serialize to well-formed XML
		if _, err := xpath.Parse(out); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
	})
}
