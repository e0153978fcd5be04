package xpath

import (
	"fmt"
	"strings"
	"testing"
)

// specDoc is a document for the examples of XPath 1.0 sections 2 and 2.5.
func specDoc() string {
	var b strings.Builder
	b.WriteString(`<doc xml:lang="en" xmlns:x="urn:x">`)
	b.WriteString(`<chapter name="one" lang="en"><title>Introduction</title>`)
	b.WriteString(`<para type="warning">w1</para><para>n1</para><para type="warning">w2</para><para type="warning">w3</para>`)
	b.WriteString(`<para>n2</para><para type="warning">w4</para><para type="warning">w5</para>`)
	b.WriteString(`text1<div><div><para>deep</para></div></div>text2</chapter>`)
	b.WriteString(`<chapter xml:lang="EN-us"><title>Second</title><section><para>s1</para></section>`)
	b.WriteString(`<olist><item>i1</item><item>i2</item></olist><!--c--><?pi data?></chapter>`)
	b.WriteString(`<appendix><para>ap</para></appendix>`)
	b.WriteString(`<chapter/><chapter><title/></chapter>`)
	b.WriteString(`<chapter><section/><section><para>s5</para></section>`)
	for i := 1; i <= 45; i++ {
		fmt.Fprintf(&b, `<figure n="%d"/>`, i)
	}
	b.WriteString(`</chapter>`)
	b.WriteString(`<employee secretary="s" assistant="a"/><employee secretary="s"/>`)
	b.WriteString(`<olist><item>x1</item></olist>`)
	b.WriteString(`</doc>`)
	return b.String()
}

// expand replaces the shorthands of the tables below: C1 is the first
// chapter, C2 the second, and P(a-b) the paras a to b of the first chapter.
func expand(s string) string {
	var out []string
	for _, f := range strings.Fields(s) {
		var a, b int
		if n, _ := fmt.Sscanf(f, "P(%d-%d)", &a, &b); n == 2 {
			for i := a; i <= b; i++ {
				out = append(out, fmt.Sprintf("C1/para[%d]", i))
			}
			continue
		}
		out = append(out, f)
	}
	s = strings.Join(out, " ")
	s = strings.ReplaceAll(s, "C1", "/doc[1]/chapter[1]")
	s = strings.ReplaceAll(s, "C2", "/doc[1]/chapter[2]")
	return s
}

const (
	ctxC1   = "/doc/chapter[1]"
	ctxDoc  = "/doc"
	ctxDiv2 = "/doc/chapter[1]/div/div"
	allPara = "P(1-7) C1/div[1]/div[1]/para[1] C2/section[1]/para[1] /doc[1]/appendix[1]/para[1] /doc[1]/chapter[5]/section[2]/para[1]"
)

func TestSpecLocationPaths(t *testing.T) {
	root := mustParse(t, specDoc())
	env := newTestEnv()
	tests := []struct{ ctx, expr, want string }{
		// Section 2.5, abbreviated syntax.
		{ctxC1, `para`, "P(1-7)"},
		{ctxC1, `*`, "C1/title[1] P(1-7) C1/div[1]"},
		{ctxC1, `text()`, "C1/text()[1] C1/text()[2]"},
		{ctxC1, `@name`, "C1/@name"},
		{ctxC1, `@*`, "C1/@name C1/@lang"},
		{ctxC1, `para[1]`, "C1/para[1]"},
		{ctxC1, `para[last()]`, "C1/para[7]"},
		{ctxDoc, `*/para`, "P(1-7) /doc[1]/appendix[1]/para[1]"},
		{"/", `/doc/chapter[5]/section[2]`, "/doc[1]/chapter[5]/section[2]"},
		{ctxDoc, `chapter//para`, "P(1-7) C1/div[1]/div[1]/para[1] C2/section[1]/para[1] /doc[1]/chapter[5]/section[2]/para[1]"},
		{ctxC1, `//para`, allPara},
		{ctxC1, `//olist/item`, "C2/olist[1]/item[1] C2/olist[1]/item[2] /doc[1]/olist[1]/item[1]"},
		{ctxC1, `.`, "C1"},
		{ctxC1, `.//para`, "P(1-7) C1/div[1]/div[1]/para[1]"},
		{ctxC1, `..`, "/doc[1]"},
		{"/doc/chapter[1]/title", `../@lang`, "C1/@lang"},
		{ctxC1, `para[@type="warning"]`, "C1/para[1] C1/para[3] C1/para[4] C1/para[6] C1/para[7]"},
		{ctxC1, `para[@type="warning"][5]`, "C1/para[7]"},
		{ctxC1, `para[5][@type="warning"]`, ""},
		{ctxC1, `para[4][@type="warning"]`, "C1/para[4]"},
		{ctxDoc, `chapter[title="Introduction"]`, "C1"},
		{ctxDoc, `chapter[title]`, "C1 C2 /doc[1]/chapter[4]"},
		{ctxDoc, `employee[@secretary and @assistant]`, "/doc[1]/employee[1]"},

		// Section 2, unabbreviated syntax.
		{ctxC1, `child::para`, "P(1-7)"},
		{ctxC1, `child::*`, "C1/title[1] P(1-7) C1/div[1]"},
		{ctxC1, `child::text()`, "C1/text()[1] C1/text()[2]"},
		{ctxC1, `child::node()`, "C1/title[1] P(1-7) C1/text()[1] C1/div[1] C1/text()[2]"},
		{ctxC1, `attribute::name`, "C1/@name"},
		{ctxC1, `attribute::*`, "C1/@name C1/@lang"},
		{ctxC1, `descendant::para`, "P(1-7) C1/div[1]/div[1]/para[1]"},
		{ctxDiv2, `ancestor::div`, "C1/div[1]"},
		{ctxDiv2, `ancestor-or-self::div`, "C1/div[1] C1/div[1]/div[1]"},
		{ctxC1, `descendant-or-self::para`, "P(1-7) C1/div[1]/div[1]/para[1]"},
		{"/doc/chapter[1]/para[2]", `self::para`, "C1/para[2]"},
		{ctxC1, `self::para`, ""},
		{ctxDoc, `child::chapter/descendant::para`, "P(1-7) C1/div[1]/div[1]/para[1] C2/section[1]/para[1] /doc[1]/chapter[5]/section[2]/para[1]"},
		{ctxDoc, `child::*/child::para`, "P(1-7) /doc[1]/appendix[1]/para[1]"},
		{ctxC1, `/`, "/"},
		{ctxC1, `/descendant::para`, allPara},
		{ctxC1, `/descendant::olist/child::item`, "C2/olist[1]/item[1] C2/olist[1]/item[2] /doc[1]/olist[1]/item[1]"},
		{ctxC1, `child::para[position()=1]`, "C1/para[1]"},
		{ctxC1, `child::para[position()=last()]`, "C1/para[7]"},
		{ctxC1, `child::para[position()=last()-1]`, "C1/para[6]"},
		{ctxC1, `child::para[position()>1]`, "P(2-7)"},
		{"/doc/chapter[2]", `following-sibling::chapter[position()=1]`, "/doc[1]/chapter[3]"},
		{"/doc/chapter[3]", `preceding-sibling::chapter[position()=1]`, "C2"},
		{ctxC1, `/descendant::figure[position()=42]`, "/doc[1]/chapter[5]/figure[42]"},
		{ctxC1, `/child::doc/child::chapter[position()=5]/child::section[position()=2]`, "/doc[1]/chapter[5]/section[2]"},
		{ctxC1, `child::para[attribute::type="warning"]`, "C1/para[1] C1/para[3] C1/para[4] C1/para[6] C1/para[7]"},
		{ctxC1, `child::para[attribute::type='warning'][position()=5]`, "C1/para[7]"},
		{ctxC1, `child::para[position()=5][attribute::type="warning"]`, ""},
		{ctxDoc, `child::chapter[child::title='Introduction']`, "C1"},
		{ctxDoc, `child::chapter[child::title]`, "C1 C2 /doc[1]/chapter[4]"},
		{ctxDoc, `child::*[self::chapter or self::appendix]`, "C1 C2 /doc[1]/appendix[1] /doc[1]/chapter[3] /doc[1]/chapter[4] /doc[1]/chapter[5]"},
		{ctxDoc, `child::*[self::chapter or self::appendix][position()=last()]`, "/doc[1]/chapter[5]"},

		// Reverse axes count backwards; filter expressions count in document order.
		{ctxDiv2, `ancestor::*[1]`, "C1/div[1]"},
		{ctxDiv2, `ancestor::*[last()]`, "/doc[1]"},
		{ctxDiv2, `(ancestor::*)[1]`, "/doc[1]"},
		{ctxDiv2, `ancestor-or-self::*[2]`, "C1/div[1]"},
		{"/doc/chapter[2]", `preceding-sibling::*[1]`, "C1"},
		{"/doc/chapter[3]", `preceding-sibling::*`, "C1 C2 /doc[1]/appendix[1]"},
		{"/doc/chapter[3]", `preceding-sibling::*[2]`, "C2"},
		{"/doc/chapter[2]/section/para", `preceding::para[1]`, "C1/div[1]/div[1]/para[1]"},
		{"/doc/chapter[2]/section/para", `preceding::para[last()]`, "C1/para[1]"},
		{"/doc/chapter[2]/section/para", `preceding::*[3]`, "C1/div[1]/div[1]"},
		{"/doc/chapter[2]/section/para", `(preceding::para)[1]`, "C1/para[1]"},
		{"/doc/chapter[1]/para[7]", `following::para[1]`, "C1/div[1]/div[1]/para[1]"},
		{"/doc/chapter[1]/para[7]", `following::para[2]`, "C2/section[1]/para[1]"},
		{"/doc/chapter[2]/olist", `following::node()[position() < 4]`, "C2/comment()[1] C2/processing-instruction(pi)[1] /doc[1]/appendix[1]"},
		{"/doc/chapter[1]/@name", `following::*[1]`, "C1/title[1]"},
		{"/doc/chapter[1]/@name", `following::text()[1]`, "C1/title[1]/text()[1]"},
		{"/doc/chapter[2]/@xml:lang", `preceding::*[1]`, "C1/div[1]/div[1]/para[1]"},
		{"/doc/chapter[1]/@name", `preceding::node()`, ""},
		{"/doc/chapter[1]/@name", `following-sibling::node() | preceding-sibling::node()`, ""},
		{"/doc/chapter[1]/@name", `parent::node()`, "C1"},
		{"/doc/chapter[1]/@name", `ancestor::*`, "/doc[1] C1"},
		{"/doc/chapter[1]/@name", `ancestor-or-self::node()`, "/ /doc[1] C1 C1/@name"},
		{"/doc/chapter[1]/@name", `self::node()`, "C1/@name"},
		{"/doc/chapter[1]/@name", `self::name`, ""},
		{"/doc/chapter[1]/@name", `self::*`, ""},
		{"/doc/chapter[1]/@name", `child::node() | attribute::node() | descendant::node()`, ""},
		{"/doc/chapter[1]/@name", `descendant-or-self::node()`, "C1/@name"},
		{ctxDoc, `chapter[2]/node()[not(self::*)]`, "C2/comment()[1] C2/processing-instruction(pi)[1]"},
		{ctxDoc, `chapter/comment()`, "C2/comment()[1]"},
		{ctxDoc, `chapter/processing-instruction()`, "C2/processing-instruction(pi)[1]"},
		{ctxDoc, `chapter/processing-instruction('pi')`, "C2/processing-instruction(pi)[1]"},
		{ctxDoc, `chapter/processing-instruction("other")`, ""},
		{ctxDoc, `(chapter|appendix)[3]`, "/doc[1]/appendix[1]"},
		{ctxDoc, `(//item)[2]`, "C2/olist[1]/item[2]"},
		{ctxDoc, `//item[2]`, "C2/olist[1]/item[2]"},
		{ctxDoc, `//olist//item[1]`, "C2/olist[1]/item[1] /doc[1]/olist[1]/item[1]"},
		{ctxDoc, `(//item)[last()]/..`, "/doc[1]/olist[1]"},
		{ctxDoc, `//para[. = 'deep']/ancestor::*[2]`, "C1/div[1]"},
		{ctxDoc, `//para | //title | //para`, "C1/title[1] P(1-7) C1/div[1]/div[1]/para[1] C2/title[1] C2/section[1]/para[1] /doc[1]/appendix[1]/para[1] /doc[1]/chapter[4]/title[1] /doc[1]/chapter[5]/section[2]/para[1]"},
		{ctxDoc, `//section//para | //appendix/para`, "C2/section[1]/para[1] /doc[1]/appendix[1]/para[1] /doc[1]/chapter[5]/section[2]/para[1]"},
		{ctxDoc, `//figure[@n > 43]`, "/doc[1]/chapter[5]/figure[44] /doc[1]/chapter[5]/figure[45]"},
		{ctxDoc, `//figure[@n mod 20 = 0][2]`, "/doc[1]/chapter[5]/figure[40]"},
		{ctxDoc, `//*[@n][position() = 45]`, "/doc[1]/chapter[5]/figure[45]"},
		{ctxDoc, `descendant::figure[45]/preceding-sibling::*[46]`, "/doc[1]/chapter[5]/section[1]"},
		{ctxDoc, `//figure[last()]/following-sibling::node()`, ""},
		{ctxDoc, `/descendant-or-self::node()/child::para[1]`, "C1/para[1] C1/div[1]/div[1]/para[1] C2/section[1]/para[1] /doc[1]/appendix[1]/para[1] /doc[1]/chapter[5]/section[2]/para[1]"},
		{ctxDoc, `id('x')`, ""},
		{ctxDoc, `chapter[$one]`, "C1"},
		{ctxDoc, `chapter[$t]`, "C1 C2 /doc[1]/chapter[3] /doc[1]/chapter[4] /doc[1]/chapter[5]"},
		{ctxDoc, `chapter[x:twice(1)]`, "C2"},
		{ctxDoc, `chapter[lang('en-us')]`, "C2"},
		{ctxDoc, `*[lang('en')][1]`, "C1"},
		{ctxDoc, `*[lang('de')]`, ""},
	}
	for _, tt := range tests {
		v, err := evalAt(t, env, root, tt.ctx, tt.expr)
		if err != nil {
			t.Errorf("%s from %s: %v", tt.expr, tt.ctx, err)
			continue
		}
		ns, ok := v.(NodeSet)
		if !ok {
			t.Errorf("%s from %s = %s, want a node-set", tt.expr, tt.ctx, show(v))
			continue
		}
		if got, want := paths(ns), expand(tt.want); got != want {
			t.Errorf("%s from %s\n got: %s\nwant: %s", tt.expr, tt.ctx, got, want)
		}
	}
}
