package xpath

import (
	"errors"
	"strings"
	"testing"
)

const patDoc = `<doc><chapter><para>c1p1</para><para>c1p2</para><olist><item>o1</item><item>o2</item><item>o3</item></olist></chapter>` +
	`<appendix><div><para>ap1</para></div><para>ap2</para></appendix>` +
	`<div class="appendix" id="d"><section><p>dp1</p></section><p>dp2</p></div>` +
	`<items><item>i1</item><item>i2</item><item>i3</item></items><?pi x?><!--c--></doc>`

func patEnv() *testEnv {
	env := newTestEnv()
	// key('k', v): the item elements whose string-value is v.
	env.funcs["key"] = &Function{MinArgs: 2, MaxArgs: 2, Call: func(c *Context, args []Value) (Value, error) {
		e, err := Compile(`//item`, nil)
		if err != nil {
			return nil, err
		}
		items, err := e.EvalNodeSet(&Context{Node: c.Node})
		if err != nil {
			return nil, err
		}
		var out NodeSet
		for _, n := range items {
			if n.StringValue() == ToString(args[1]) {
				out = append(out, n)
			}
		}
		return out, nil
	}}
	return env
}

const (
	cp   = "/doc[1]/chapter[1]/para"
	oi   = "/doc[1]/chapter[1]/olist[1]/item"
	ap   = "/doc[1]/appendix[1]"
	dv   = "/doc[1]/div[1]"
	itm  = "/doc[1]/items[1]/item"
	allP = cp + "[1] " + cp + "[2] " + ap + "/div[1]/para[1] " + ap + "/para[1]"
)

func TestPatterns(t *testing.T) {
	root := mustParse(t, patDoc)
	env := patEnv()
	all, err := mustCompile(t, `/ | //node() | //@* | //namespace::*`).EvalNodeSet(env.context(root))
	if err != nil {
		t.Fatal(err)
	}
	elements, _ := mustCompile(t, `//*`).EvalNodeSet(env.context(root))
	texts, _ := mustCompile(t, `//text()`).EvalNodeSet(env.context(root))
	nodes, _ := mustCompile(t, `//node()`).EvalNodeSet(env.context(root))
	tests := []struct{ pattern, want string }{
		// XSLT 1.0 section 5.2's examples.
		{`para`, allP},
		{`*`, paths(elements)},
		{`chapter|appendix`, "/doc[1]/chapter[1] " + ap},
		{`olist/item`, oi + "[1] " + oi + "[2] " + oi + "[3]"},
		{`appendix//para`, ap + "/div[1]/para[1] " + ap + "/para[1]"},
		{`/`, "/"},
		{`text()`, paths(texts)},
		{`processing-instruction()`, "/doc[1]/processing-instruction(pi)[1]"},
		{`node()`, paths(nodes)},
		{`id("W11")`, ""},
		{`para[1]`, cp + "[1] " + ap + "/div[1]/para[1] " + ap + "/para[1]"},
		{`*[position()=1 and self::para]`, cp + "[1] " + ap + "/div[1]/para[1]"},
		{`para[last()=1]`, ap + "/div[1]/para[1] " + ap + "/para[1]"},
		{`items/item[position()>1]`, itm + "[2] " + itm + "[3]"},
		{`item[position() mod 2 = 1]`, oi + "[1] " + oi + "[3] " + itm + "[1] " + itm + "[3]"},
		{`div[@class="appendix"]//p`, dv + "/section[1]/p[1] " + dv + "/p[1]"},
		{`@class`, dv + "/@class"},
		{`@*`, dv + "/@class " + dv + "/@id"},
		// More.
		{`child::para`, allP},
		{`attribute::id`, dv + "/@id"},
		{`//para`, allP},
		{`/doc/chapter/para`, cp + "[1] " + cp + "[2]"},
		{`/para`, ""},
		{`/doc`, "/doc[1]"},
		{`//doc`, "/doc[1]"},
		{`doc`, "/doc[1]"},
		{`/*`, "/doc[1]"},
		{`/node()`, "/doc[1]"},
		{`/doc//para[2]`, cp + "[2]"},
		{`doc//div//p`, dv + "/section[1]/p[1] " + dv + "/p[1]"},
		{`doc/*//para`, allP},
		{`doc//*//para`, allP},
		{`doc/*/*//para`, ap + "/div[1]/para[1]"},
		{`chapter//item[2]`, oi + "[2]"},
		{`olist/item[last()]`, oi + "[3]"},
		{`item[2][. = 'o2']`, oi + "[2]"},
		{`item[. != 'o2'][2]`, oi + "[3] " + itm + "[2]"},
		{`item[. = $str or . = 'i3']`, itm + "[3]"},
		{`node()[2]`, cp + "[2] " + oi + "[2] /doc[1]/appendix[1] " + ap + "/para[1] " + dv + "/p[1] " + itm + "[2]"},
		{`text()[1]`, paths(texts)},
		{`@*[1]`, dv + "/@class"},
		{`@*[2]`, dv + "/@id"},
		{`div//@id`, dv + "/@id"},
		{`doc/div/@*[last()]`, dv + "/@id"},
		{`comment()`, "/doc[1]/comment()[1]"},
		{`processing-instruction('pi')`, "/doc[1]/processing-instruction(pi)[1]"},
		{`processing-instruction('no')`, ""},
		{`key('k', 'o2')`, oi + "[2]"},
		{`key('k', 'i1')/text()`, itm + "[1]/text()[1]"},
		{`key('k', 'i1')//text()`, itm + "[1]/text()[1]"},
		{`key('k', 'nope') | /doc/items`, "/doc[1]/items[1]"},
		{`id('d')/p`, ""},
		{`x:*`, ""},
		{`section/p | div/p | p`, dv + "/section[1]/p[1] " + dv + "/p[1]"},
		{`para[../olist]`, cp + "[1] " + cp + "[2]"},
		{`para[following-sibling::*[1][self::olist]]`, cp + "[2]"},
		{`*[count(*) = 3]/*[position() = last() - 1]`, cp + "[2] " + oi + "[2] " + itm + "[2]"},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern, env)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tt.pattern, err)
			continue
		}
		if p.String() != tt.pattern {
			t.Errorf("String() = %q", p.String())
		}
		var got NodeSet
		for _, n := range all {
			ok, err := p.Match(env.context(n), n)
			if err != nil {
				t.Errorf("%s: Match(%s): %v", tt.pattern, pathOf(n), err)
			}
			if ok {
				got = append(got, n)
			}
		}
		if g := paths(got); g != tt.want {
			t.Errorf("pattern %s\n got: %s\nwant: %s", tt.pattern, g, tt.want)
		}
		// The definition: matches iff selected by the pattern as an
		// expression from some context (here: some node of the document).
		if strings.Contains(tt.pattern, "key(") || strings.Contains(tt.pattern, "id(") {
			continue
		}
		e, err := Compile(tt.pattern, env)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.pattern, err)
			continue
		}
		var union NodeSet
		for _, n := range all {
			ns, err := e.EvalNodeSet(env.context(n))
			if err != nil {
				t.Fatal(err)
			}
			union = append(union, ns...)
		}
		if g := paths(sortNodes(union)); g != tt.want {
			t.Errorf("pattern %s as an expression\n got: %s\nwant: %s", tt.pattern, g, tt.want)
		}
	}
}

func TestPatternPriorities(t *testing.T) {
	env := patEnv()
	for _, tt := range []struct {
		pattern string
		want    float64
	}{
		{`para`, 0}, {`x:para`, 0}, {`child::para`, 0}, {`@class`, 0}, {`attribute::class`, 0}, {`@x:class`, 0},
		{`processing-instruction('pi')`, 0},
		{`x:*`, -0.25}, {`@x:*`, -0.25}, {`child::x:*`, -0.25},
		{`*`, -0.5}, {`@*`, -0.5}, {`node()`, -0.5}, {`text()`, -0.5}, {`comment()`, -0.5},
		{`processing-instruction()`, -0.5}, {`@node()`, -0.5}, {`child::*`, -0.5},
		{`/`, 0.5}, {`para[1]`, 0.5}, {`chapter/para`, 0.5}, {`//para`, 0.5}, {`/para`, 0.5},
		{`id('x')`, 0.5}, {`key('k', 'v')`, 0.5}, {`*[1]`, 0.5}, {`@*[. = 1]`, 0.5}, {`a//b`, 0.5},
	} {
		p, err := CompilePattern(tt.pattern, env)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := p.DefaultPriority(); got != tt.want {
			t.Errorf("DefaultPriority(%s) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
	p, err := CompilePattern(` chapter | x:* |node() | para[1] `, env)
	if err != nil {
		t.Fatal(err)
	}
	alts := p.Alternatives()
	var got []string
	for _, a := range alts {
		got = append(got, a.String()+"="+NumberToString(a.DefaultPriority()))
	}
	if g, w := strings.Join(got, " "), "chapter=0 x:*=-0.25 node()=-0.5 para[1]=0.5"; g != w {
		t.Errorf("Alternatives: %s, want %s", g, w)
	}
	if p.DefaultPriority() != 0.5 {
		t.Errorf("DefaultPriority of several: %v", p.DefaultPriority())
	}
}

func TestPatternErrors(t *testing.T) {
	env := patEnv()
	for _, tt := range []struct {
		pattern string
		col     int
		msg     string
	}{
		{`following::x`, 1, `the following axis is not allowed in a pattern`},
		{`a/descendant::x`, 3, `the descendant axis is not allowed`},
		{`self::a`, 1, `the self axis is not allowed`},
		{`1+1`, 1, `expected a pattern step, found "1"`},
		{`$x`, 1, `expected a pattern step`},
		{`a/..`, 3, `".." is not allowed in a pattern`},
		{`.`, 1, `"." is not allowed in a pattern`},
		{`a|1`, 3, `expected a pattern step`},
		{`a or b`, 3, `expected '|' or end of pattern, found "or"`},
		{`(a)`, 1, `expected a pattern step`},
		{`'a'`, 1, `expected a pattern step`},
		{`-a`, 1, `expected a pattern step`},
		{`count(a)`, 1, `only id() and key() may start a pattern, not count()`},
		{`id($x)`, 4, `expected string literal (id() in a pattern takes literal arguments)`},
		{`id('a', 'b')`, 7, `expected ')'`},
		{`key('a')`, 8, `expected ','`},
		{`key('a', 1)`, 10, `expected string literal`},
		{`a[`, 3, `expected an expression`},
		{`a[$nope]`, 3, `variable $nope is not in scope`},
		{`a[nope()]`, 3, `unknown function nope()`},
		{`q:a`, 1, `undeclared namespace prefix "q"`},
		{`//`, 3, `expected a pattern step`},
		{`a//`, 4, `expected a pattern step`},
		{`@`, 2, `expected a node test`},
		{``, 1, `expected a pattern step`},
		{`a|`, 3, `expected a pattern step`},
		{`id('x')[1]`, 8, `expected '|' or end of pattern`},
	} {
		_, err := CompilePattern(tt.pattern, env)
		var xe *Error
		if !errors.As(err, &xe) {
			t.Errorf("CompilePattern(%q) = %v, want an *Error", tt.pattern, err)
			continue
		}
		if !strings.Contains(xe.Msg, tt.msg) || xe.Offset+1 != tt.col {
			t.Errorf("CompilePattern(%q): %v; want column %d: %s", tt.pattern, err, tt.col, tt.msg)
		}
	}
	// key() needs the host to provide it.
	if _, err := CompilePattern(`key('a', 'b')`, newTestEnv()); err == nil || !strings.Contains(err.Error(), "unknown function key()") {
		t.Errorf("key without a host: %v", err)
	}
}

func TestPatternMatchEdgeCases(t *testing.T) {
	root := mustParse(t, patDoc)
	env := patEnv()
	p, _ := CompilePattern(`node() | @* | *`, env)
	// Namespace nodes and the root match none of these; nil matches nothing.
	ns, _ := mustCompile(t, `//namespace::*`).EvalNodeSet(env.context(root))
	if len(ns) == 0 {
		t.Fatal("no namespace nodes")
	}
	for _, n := range append(ns, root, nil) {
		if ok, err := p.Match(env.context(root), n); ok || err != nil {
			t.Errorf("matched %v: %v", n, err)
		}
	}
	// A runtime error in a predicate is reported.
	env.vars["frag"] = &Fragment{Root: root}
	p, _ = CompilePattern(`item[$frag/x]`, env)
	item, _ := mustCompile(t, `(//item)[1]`).EvalNodeSet(env.context(root))
	if _, err := p.Match(env.context(root), item[0]); err == nil || !strings.Contains(err.Error(), "result tree fragment") {
		t.Errorf("Match with a bad predicate: %v", err)
	}
	// A nil context is an empty one.
	p, _ = CompilePattern(`item[2]`, env)
	if ok, err := p.Match(nil, item[0]); ok || err != nil {
		t.Errorf("Match(nil): %v %v", ok, err)
	}
}
