package xpath

import (
	"math"
	"strings"
	"sync"
	"testing"
)

func TestValues(t *testing.T) {
	root := mustParse(t, specDoc())
	env := newTestEnv()
	tests := []struct{ ctx, expr, want string }{
		// Arithmetic (IEEE 754) and section 3.5's mod examples.
		{"", `1 + 2 * 3`, "number 7"},
		{"", `(1 + 2) * 3`, "number 9"},
		{"", `7 div 2`, "number 3.5"},
		{"", `1 div 0`, "number Infinity"},
		{"", `-1 div 0`, "number -Infinity"},
		{"", `0 div 0`, "number NaN"},
		{"", `1 div -0`, "number -Infinity"},
		{"", `-0`, "number -0"},
		{"", `- - 2`, "number 2"},
		{"", `--2`, "number 2"},
		{"", `5 mod 2`, "number 1"},
		{"", `5 mod -2`, "number 1"},
		{"", `-5 mod 2`, "number -1"},
		{"", `-5 mod -2`, "number -1"},
		{"", `5.5 mod 2`, "number 1.5"},
		{"", `5 mod 0`, "number NaN"},
		{"", `5 mod (1 div 0)`, "number 5"},
		{"", `3-1`, "number 2"},
		{"", `3 - -1`, "number 4"},
		{"", `.5 + 1.`, "number 1.5"},
		{"", `'3' * '4'`, "number 12"},
		{"", `'x' + 1`, "number NaN"},
		{"", `true() + true()`, "number 2"},
		// Operator names and * by position (section 3.7).
		{ctxDoc, `count(*) * 2`, "number 18"},
		{ctxDoc, `count(* | *)`, "number 9"},
		{"/doc/chapter[1]/para[1]", `count(../*[. = 'w1' or . = 'n1'])`, "number 2"},
		{ctxDoc, `div`, "nodes "},
		{ctxDoc, `count(div | div/div)`, "number 0"},
		{"/doc/chapter[1]", `div div div`, "number NaN"},
		{"/doc/chapter[1]", `div/div div div/div`, "number NaN"},
		{"", `2 mod 3 div 4`, "number 0.5"},
		// Number to string (section 4.2).
		{"", `string(1)`, `string "1"`},
		{"", `string(-1)`, `string "-1"`},
		{"", `string(1.50)`, `string "1.5"`},
		{"", `string(-0.5)`, `string "-0.5"`},
		{"", `string(.25)`, `string "0.25"`},
		{"", `string(-0)`, `string "0"`},
		{"", `string(0 div 0)`, `string "NaN"`},
		{"", `string(1 div 0)`, `string "Infinity"`},
		{"", `string(-1 div 0)`, `string "-Infinity"`},
		{"", `string(0.1 + 0.2)`, `string "0.30000000000000004"`},
		{"", `string(1000000 * 1000000 * 1000000 * 1000)`, `string "1000000000000000000000"`},
		{"", `string(1 div 1000000 div 10)`, `string "0.0000001"`},
		{"", `string(12345678901234567890)`, `string "12345678901234567000"`},
		// String to number.
		{"", `number(' 12.5 ')`, "number 12.5"},
		{"", `number('-12')`, "number -12"},
		{"", `number('-.5')`, "number -0.5"},
		{"", `number('1.')`, "number 1"},
		{"", `number('-0')`, "number -0"},
		{"", `number('')`, "number NaN"},
		{"", `number('-')`, "number NaN"},
		{"", `number('.')`, "number NaN"},
		{"", `number('1e3')`, "number NaN"},
		{"", `number('+1')`, "number NaN"},
		{"", `number('- 1')`, "number NaN"},
		{"", `number('1.2.3')`, "number NaN"},
		{"", `number('0x10')`, "number NaN"},
		{"", `number('Infinity')`, "number NaN"},
		{"", `number(' 7 ')`, "number 7"},
		{"", `number(true())`, "number 1"},
		{"", `number(false())`, "number 0"},
		{"/doc/chapter[5]/figure[7]", `number(@n)`, "number 7"},
		{"/doc/chapter[5]/figure[7]/@n", `number()`, "number 7"},
		// round, floor, ceiling.
		{"", `round(2.5)`, "number 3"},
		{"", `round(2.4999)`, "number 2"},
		{"", `round(-2.5)`, "number -2"},
		{"", `round(-2.6)`, "number -3"},
		{"", `round(-0.5)`, "number -0"},
		{"", `round(-0.2)`, "number -0"},
		{"", `round(-0)`, "number -0"},
		{"", `round(0.49999999999999994)`, "number 0"},
		{"", `round(4503599627370497)`, "number 4503599627370497"},
		{"", `round(1 div 0)`, "number Infinity"},
		{"", `round(-1 div 0)`, "number -Infinity"},
		{"", `round(0 div 0)`, "number NaN"},
		{"", `string(round(-0.5))`, `string "0"`},
		{"", `1 div round(-0.4)`, "number -Infinity"},
		{"", `floor(2.5)`, "number 2"},
		{"", `floor(-2.5)`, "number -3"},
		{"", `floor(-0)`, "number -0"},
		{"", `floor(0 div 0)`, "number NaN"},
		{"", `ceiling(2.1)`, "number 3"},
		{"", `ceiling(-0.5)`, "number -0"},
		{"", `ceiling(-2.5)`, "number -2"},
		{"", `ceiling(1 div 0)`, "number Infinity"},
		// sum and count.
		{ctxDoc, `sum(//figure/@n)`, "number 1035"},
		{ctxDoc, `sum(//para)`, "number NaN"},
		{ctxDoc, `sum(//nothing)`, "number 0"},
		{ctxDoc, `count(//figure)`, "number 45"},
		{ctxDoc, `count(//node())`, "number 98"},
		{ctxDoc, `count(//@*)`, "number 57"},
		{ctxDoc, `last()`, "number 1"},
		{ctxDoc, `position()`, "number 1"},
		// substring (section 4.2's examples).
		{"", `substring("12345",2,3)`, `string "234"`},
		{"", `substring("12345",2)`, `string "2345"`},
		{"", `substring("12345", 1.5, 2.6)`, `string "234"`},
		{"", `substring("12345", 0, 3)`, `string "12"`},
		{"", `substring("12345", 0 div 0, 3)`, `string ""`},
		{"", `substring("12345", 1, 0 div 0)`, `string ""`},
		{"", `substring("12345", -42, 1 div 0)`, `string "12345"`},
		{"", `substring("12345", -1 div 0, 1 div 0)`, `string ""`},
		{"", `substring("12345", 5)`, `string "5"`},
		{"", `substring("12345", 6)`, `string ""`},
		{"", `substring("12345", 1 div 0)`, `string ""`},
		{"", `substring("12345", -1 div 0)`, `string "12345"`},
		{"", `substring("12345", 2, -1)`, `string ""`},
		{"", `substring("héllo wörld", 2, 3)`, `string "éll"`},
		{"", `substring("日本語", 3)`, `string "語"`},
		// Other string functions.
		{"", `string-length("héllo")`, "number 5"},
		{"/doc/chapter[2]/title", `string-length()`, "number 6"},
		{"", `concat('a', 1, true(), 'b')`, `string "a1trueb"`},
		{"", `starts-with('abc', 'ab')`, "boolean true"},
		{"", `starts-with('abc', '')`, "boolean true"},
		{"", `starts-with('abc', 'b')`, "boolean false"},
		{"", `contains('abc', 'bc')`, "boolean true"},
		{"", `contains('abc', 'x')`, "boolean false"},
		{"", `substring-before("1999/04/01","/")`, `string "1999"`},
		{"", `substring-after("1999/04/01","/")`, `string "04/01"`},
		{"", `substring-after("1999/04/01","19")`, `string "99/04/01"`},
		{"", `substring-before("abc","x")`, `string ""`},
		{"", `substring-after("abc","x")`, `string ""`},
		{"", `substring-before("abc","")`, `string ""`},
		{"", `substring-after("abc","")`, `string "abc"`},
		{"", "normalize-space(\"  a \t b\n\r c  \")", `string "a b c"`},
		{"", `normalize-space("  a \t b")`, `string "a \\t b"`},
		{"/doc/chapter[1]/para[1]", `normalize-space()`, `string "w1"`},
		{"", `translate("bar","abc","ABC")`, `string "BAr"`},
		{"", `translate("--aaa--","abc-","ABC")`, `string "AAA"`},
		{"", `translate("aba","aa","xy")`, `string "xbx"`},
		{"", `translate("héllo","é","e")`, `string "hello"`},
		{"/doc/chapter[3]", `string()`, `string ""`},
		{ctxDoc, `string(chapter[2])`, `string "Seconds1i1i2"`},
		{ctxDoc, `string(//figure/@n)`, `string "1"`},
		{ctxDoc, `string(//nothing)`, `string ""`},
		{"", `string(true())`, `string "true"`},
		// Booleans.
		{"", `boolean(0)`, "boolean false"},
		{"", `boolean(-0)`, "boolean false"},
		{"", `boolean(0 div 0)`, "boolean false"},
		{"", `boolean(0.1)`, "boolean true"},
		{"", `boolean('0')`, "boolean true"},
		{"", `boolean('')`, "boolean false"},
		{ctxDoc, `boolean(nothing)`, "boolean false"},
		{ctxDoc, `boolean(chapter)`, "boolean true"},
		{"", `not(1)`, "boolean false"},
		{"", `true() and false()`, "boolean false"},
		{"", `false() or true()`, "boolean true"},
		{"", `1 or 0 and 0`, "boolean true"},
		{"", `(1 or 0) and 0`, "boolean false"},
		{"", `false() and $one div $zero`, "boolean false"},
		// Comparisons (section 3.4).
		{"", `1 = 1.0`, "boolean true"},
		{"", `'1' = 1`, "boolean true"},
		{"", `'1.0' = 1`, "boolean true"},
		{"", `'1.0' = '1'`, "boolean false"},
		{"", `'abc' = 'abc'`, "boolean true"},
		{"", `'abc' != 'abd'`, "boolean true"},
		{"", `true() = 'x'`, "boolean true"},
		{"", `false() = ''`, "boolean true"},
		{"", `0 = false()`, "boolean true"},
		{"", `2 = true()`, "boolean true"},
		{"", `'a' < 'b'`, "boolean false"},
		{"", `'a' >= 'a'`, "boolean false"},
		{"", `'1' < '2'`, "boolean true"},
		{"", `1 < 2 < 3`, "boolean true"},
		{"", `3 > 2 > 1`, "boolean false"},
		{"", `0 div 0 = 0 div 0`, "boolean false"},
		{"", `0 div 0 != 0 div 0`, "boolean true"},
		{"", `-0 = 0`, "boolean true"},
		{"", `true() > false()`, "boolean true"},
		{"", `1 = 2 = false()`, "boolean true"},
		{ctxDoc, `//para = 'w1'`, "boolean true"},
		{ctxDoc, `//para != 'w1'`, "boolean true"},
		{ctxDoc, `'w1' = //para`, "boolean true"},
		{ctxDoc, `chapter/title = 'Second'`, "boolean true"},
		{ctxDoc, `employee/@secretary != 's'`, "boolean false"},
		{ctxDoc, `employee/@secretary = employee/@secretary`, "boolean true"},
		{ctxDoc, `employee/@secretary != employee/@secretary`, "boolean false"},
		{ctxDoc, `employee/@* != employee/@secretary`, "boolean true"},
		{ctxDoc, `//figure/@n > 44`, "boolean true"},
		{ctxDoc, `//figure/@n > 45`, "boolean false"},
		{ctxDoc, `45 <= //figure/@n`, "boolean true"},
		{ctxDoc, `46 <= //figure/@n`, "boolean false"},
		{ctxDoc, `1 > //figure/@n`, "boolean false"},
		{ctxDoc, `//figure/@n = 17`, "boolean true"},
		{ctxDoc, `//figure/@n != 17`, "boolean true"},
		{ctxDoc, `//figure/@n < //figure/@n`, "boolean true"},
		{ctxDoc, `//figure[1]/@n < //figure[1]/@n`, "boolean false"},
		{ctxDoc, `//figure[1]/@n <= //figure[1]/@n`, "boolean true"},
		{ctxDoc, `//figure/@n >= //para`, "boolean false"},
		{ctxDoc, `//figure/@n > '44'`, "boolean true"},
		{ctxDoc, `//nothing = //nothing`, "boolean false"},
		{ctxDoc, `//nothing != //nothing`, "boolean false"},
		{ctxDoc, `//nothing = 'x'`, "boolean false"},
		{ctxDoc, `//nothing != 'x'`, "boolean false"},
		{ctxDoc, `//nothing = false()`, "boolean true"},
		{ctxDoc, `//para = true()`, "boolean true"},
		{ctxDoc, `//nothing < 1`, "boolean false"},
		{ctxDoc, `//nothing < true()`, "boolean true"},
		{ctxDoc, `not(//nothing = 'x')`, "boolean true"},
		// Names.
		{ctxDoc, `name()`, `string "doc"`},
		{ctxDoc, `name(chapter[2]/@xml:lang)`, `string "xml:lang"`},
		{ctxDoc, `local-name(chapter[2]/@xml:lang)`, `string "lang"`},
		{ctxDoc, `namespace-uri(chapter[2]/@xml:lang)`, `string "http://www.w3.org/XML/1998/namespace"`},
		{ctxDoc, `namespace-uri()`, `string ""`},
		{ctxDoc, `name(//processing-instruction())`, `string "pi"`},
		{ctxDoc, `string(//processing-instruction())`, `string "data"`},
		{ctxDoc, `name(//comment())`, `string ""`},
		{ctxDoc, `string(//comment())`, `string "c"`},
		{ctxDoc, `name(/)`, `string ""`},
		{ctxDoc, `name(nothing)`, `string ""`},
		{ctxDoc, `local-name(//figure/@*)`, `string "n"`},
		{ctxDoc, `name(namespace::x)`, `string "x"`},
		{ctxDoc, `string(namespace::x)`, `string "urn:x"`},
		// Variables and host functions.
		{"", `$one + 1`, "number 2"},
		{"", `$x:v`, `string "xv"`},
		{"", `$str`, `string "abc"`},
		{"", `x:twice(21)`, "number 42"},
		{"", `x:cat()`, `string ""`},
		{"", `x:cat('a', 1, true())`, `string "a1true"`},
		{ctxDoc, `x:ctxname()`, `string "doc"`},
		{ctxDoc, `chapter[1]/x:ctxname()`, ""}, // a function call is not a step: syntax error, tested below
	}
	env.vars["zero"] = 0.0
	for _, tt := range tests {
		if tt.want == "" {
			continue
		}
		v, err := evalAt(t, env, root, tt.ctx, tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := show(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
		}
	}
}

// nsDoc has namespace declarations, an override and an undeclaration.
const nsDoc = `<r xmlns="urn:d" xmlns:a="urn:a" a:at="1" b="2"><s xmlns:b="urn:b" xmlns:a="urn:a2"><t xmlns=""/></s><a:u/></r>`

func TestNamespaces(t *testing.T) {
	root := mustParse(t, nsDoc)
	env := newTestEnv()
	env.ns["d"] = "urn:d"
	env.ns["a"] = "urn:a"
	env.ns["a2"] = "urn:a2"
	tests := []struct{ ctx, expr, want string }{
		{"", `/r`, "nodes "},
		{"", `count(/d:r)`, "number 1"},
		{"", `count(/*/*)`, "number 2"},
		{"", `name(/d:r/a:u)`, `string "a:u"`},
		{"", `count(/d:r/a2:*)`, "number 0"},
		{"", `count(/d:r/a:*)`, "number 1"},
		{"", `count(/*/@a:*)`, "number 1"},
		{"", `count(/*/@b)`, "number 1"},
		{"", `count(/*/@d:b)`, "number 0"},
		{"", `count(//d:s/t)`, "number 1"},
		{"", `count(//d:t)`, "number 0"},
		{"/*", `count(namespace::*)`, "number 3"},
		{"/*/*[1]", `count(namespace::*)`, "number 4"},
		{"/*/*[1]/*", `count(namespace::*)`, "number 3"},
		{"/*", `x:names(namespace::*)`, `string "=urn:d a=urn:a xml=http://www.w3.org/XML/1998/namespace"`},
		{"/*/*[1]", `x:names(namespace::*)`, `string "b=urn:b a=urn:a2 xml=http://www.w3.org/XML/1998/namespace =urn:d"`},
		{"/*/*[1]/*", `x:names(namespace::*)`, `string "xml=http://www.w3.org/XML/1998/namespace b=urn:b a=urn:a2"`},
		{"/*/*[1]/*", `x:names(namespace::node()[2])`, `string "b=urn:b"`},
		{"/*/*[1]/*", `x:names(namespace::a)`, `string "a=urn:a2"`},
		{"/*/*[1]/*", `count(namespace::a | namespace::* | namespace::a)`, "number 3"},
		{"/*/*[1]/*", `count(namespace::*/..)`, "number 1"},
		{"/*/*[1]/*", `local-name(namespace::b/parent::*)`, `string "t"`},
		{"/*/*[1]/*", `count(namespace::b/ancestor::*)`, "number 3"},
		{"/*/*[1]/*", `count(namespace::b/following::*)`, "number 1"},
		{"/*/*[1]/*", `count(namespace::b/preceding::*)`, "number 0"},
		{"/*/*[1]/*", `count(namespace::b/self::node())`, "number 1"},
		{"/*/*[1]/*", `count(namespace::b/self::*)`, "number 0"},
		{"/*/*[1]/*", `count(namespace::*[. = 'urn:b'])`, "number 1"},
		{"/*", `x:names(. | namespace::* | @*)`, `string "r =urn:d a=urn:a xml=http://www.w3.org/XML/1998/namespace a:at=1 b=2"`},
		{"/*", `x:names((@* | namespace::*)[1])`, `string "=urn:d"`},
		{"/*", `x:names(//namespace::a)`, `string "a=urn:a a=urn:a2 a=urn:a2 a=urn:a"`},
	}
	env.funcs["{urn:x}names"] = &Function{MinArgs: 1, MaxArgs: 1, Call: func(_ *Context, args []Value) (Value, error) {
		var out []string
		for _, n := range args[0].(NodeSet) {
			switch n.Kind {
			case NamespaceNode:
				out = append(out, n.Local+"="+n.Data)
			case AttributeNode:
				out = append(out, n.Name()+"="+n.Data)
			default:
				out = append(out, n.Name())
			}
		}
		return strings.Join(out, " "), nil
	}}
	for _, tt := range tests {
		v, err := evalAt(t, env, root, tt.ctx, tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := show(v); got != tt.want {
			t.Errorf("%s from %s = %s, want %s", tt.expr, tt.ctx, got, tt.want)
		}
	}
	// Document order is total: every node has its own place.
	e, _ := Compile(`//node() | //@* | //namespace::node()`, env)
	ns, err := e.EvalNodeSet(env.context(root))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(ns); i++ {
		if ns[i-1].Order() >= ns[i].Order() {
			t.Errorf("not in document order at %d", i)
		}
	}
	if len(ns) != 4+2+3+4+3+3 {
		t.Errorf("%d nodes, want 19", len(ns))
	}
}

func TestFragments(t *testing.T) {
	frag := mustParse(t, `<f>text<g>more</g></f>`)
	root := mustParse(t, `<doc>textmore</doc>`)
	env := newTestEnv()
	env.vars["frag"] = &Fragment{Root: frag}
	env.vars["empty"] = &Fragment{Root: &Node{Kind: RootNode}}
	Number(env.vars["empty"].(*Fragment).Root)
	tests := []struct{ expr, want, err string }{
		{`string($frag)`, `string "textmore"`, ""},
		{`$frag`, "fragment", ""},
		{`boolean($frag)`, "boolean true", ""},
		{`boolean($empty)`, "boolean true", ""},
		{`string($empty)`, `string ""`, ""},
		{`number($frag)`, "number NaN", ""},
		{`$frag = 'textmore'`, "boolean true", ""},
		{`$frag = /doc`, "boolean true", ""},
		{`$frag != 'x'`, "boolean true", ""},
		{`concat($frag, '!')`, `string "textmore!"`, ""},
		{`$frag/f`, "", "cannot convert a result tree fragment to a node-set"},
		{`$frag//g`, "", "cannot convert a result tree fragment to a node-set"},
		{`$frag[1]`, "", "cannot convert a result tree fragment to a node-set"},
		{`$frag | /`, "", "cannot convert a result tree fragment to a node-set"},
		{`count($frag)`, "", "cannot convert a result tree fragment to a node-set"},
		{`sum($frag)`, "", "cannot convert a result tree fragment to a node-set"},
		{`$str/x`, "", "cannot convert the string"},
		{`count(1)`, "", "cannot convert the number 1 to a node-set"},
		{`$undefined`, "", ""},
	}
	for _, tt := range tests {
		if tt.expr == `$undefined` {
			continue
		}
		v, err := evalAt(t, env, root, "", tt.expr)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.expr, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := show(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
		}
	}
	e, _ := Compile(`$frag`, env)
	if _, err := e.EvalNodeSet(env.context(root)); err == nil || !strings.Contains(err.Error(), "result tree fragment") {
		t.Errorf("EvalNodeSet($frag): %v", err)
	}
}

func TestRuntimeErrors(t *testing.T) {
	env := newTestEnv()
	env.vars["nil"] = nil
	env.funcs["{urn:x}bad"] = &Function{MinArgs: 0, MaxArgs: 0, Call: func(*Context, []Value) (Value, error) { return 42, nil }}
	for _, tt := range []struct{ expr, err string }{
		{`child::x`, "needs a context node"},
		{`/`, "needs a context node"},
		{`string()`, "needs a context node"},
		{`$nil`, "variable $nil: no value"},
		{`x:bad() + 1`, ""},
	} {
		e, err := Compile(tt.expr, env)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Eval(&Context{Vars: func(space, local string) Value { return env.vars[varKey(space, local)] }})
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.expr, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.expr, err, tt.err)
		}
	}
	// Without Vars at all.
	e, _ := Compile(`$one`, env)
	if _, err := e.Eval(nil); err == nil {
		t.Error("$one without Vars: no error")
	}
}

func TestConversions(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {0.5, "0.5"}, {-0.5, "-0.5"},
		{123456789, "123456789"}, {1e21, "1000000000000000000000"}, {1e-7, "0.0000001"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
		{math.MaxFloat64, "17976931348623157" + strings.Repeat("0", 292)},
		{5e-324, "0." + strings.Repeat("0", 323) + "5"},
		{1.0 / 3, "0.3333333333333333"},
	} {
		if got := NumberToString(tt.f); got != tt.want {
			t.Errorf("NumberToString(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	for _, tt := range []struct {
		s    string
		want float64
	}{
		{"1", 1}, {" \t\r\n1.5\n", 1.5}, {"-2", -2}, {".5", 0.5}, {"5.", 5}, {"007", 7},
		{strings.Repeat("9", 400), math.Inf(1)}, {"-" + strings.Repeat("9", 400), math.Inf(-1)},
		{"0." + strings.Repeat("0", 400) + "1", 0},
	} {
		if got := StringToNumber(tt.s); got != tt.want {
			t.Errorf("StringToNumber(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	for _, s := range []string{"", " ", "-", "+1", "1e5", "1E5", "NaN", "Infinity", "1 2", "--1", "1-", ".", "-.", "١", "0x1", "1_000", "\u00a01"} {
		if got := StringToNumber(s); !math.IsNaN(got) {
			t.Errorf("StringToNumber(%q) = %v, want NaN", s, got)
		}
	}
	if _, err := ToNodeSet("x"); err == nil {
		t.Error("ToNodeSet(string): no error")
	}
	if _, err := ToNodeSet(&Fragment{}); err == nil || err.Error() != "cannot convert a result tree fragment to a node-set" {
		t.Errorf("ToNodeSet(fragment): %v", err)
	}
	if !ToBoolean(&Fragment{Root: &Node{}}) || ToBoolean(NodeSet{}) || ToBoolean(math.NaN()) {
		t.Error("ToBoolean")
	}
	a, b, c := &Node{ord: 3}, &Node{ord: 1}, &Node{ord: 2}
	in := NodeSet{a, b, c, a, b}
	got := SortDocOrder(in)
	if len(got) != 3 || got[0] != b || got[1] != c || got[2] != a || in[0] != a {
		t.Errorf("SortDocOrder: %v (input changed: %v)", got, in[0] != a)
	}
}

// TestConcurrent evaluates shared compiled expressions and patterns from
// many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	root := mustParse(t, specDoc())
	env := newTestEnv()
	exprs := []string{`//para[@type='warning'][2]`, `count(//figure[@n > 10])`, `//namespace::*`, `ancestor-or-self::*[last()]`, `sum(//@n) div count(//@n)`}
	var compiled []*Expr
	for _, s := range exprs {
		e, err := Compile(s, env)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, e)
	}
	pat, err := CompilePattern(`chapter/para[position() mod 2 = 1] | figure[last()] | /`, env)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := mustCompile(t, `//node()`).EvalNodeSet(env.context(root))
	want := make([]string, len(compiled))
	for i, e := range compiled {
		v, _ := e.Eval(env.context(root))
		want[i] = show(v)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				for i, e := range compiled {
					v, err := e.Eval(env.context(all[(r*7+g)%len(all)].Root()))
					if err != nil || show(v) != want[i] {
						t.Errorf("concurrent %s = %s, %v", exprs[i], show(v), err)
					}
				}
				n := 0
				for _, x := range all {
					if ok, _ := pat.Match(env.context(x), x); ok {
						n++
					}
				}
				if n != 5 {
					t.Errorf("concurrent matches: %d, want 5", n)
				}
			}
		}()
	}
	wg.Wait()
}

func mustCompile(t testing.TB, s string) *Expr {
	t.Helper()
	e, err := Compile(s, newTestEnv())
	if err != nil {
		t.Fatal(err)
	}
	return e
}
