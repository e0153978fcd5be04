package xpath

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	env := newTestEnv()
	tests := []struct {
		expr string
		col  int
		msg  string
	}{
		{`foo(`, 1, `unknown function foo()`},
		{`count(`, 7, `expected an expression, found end of expression`},
		{`string(1`, 9, `expected ')', found end of expression`},
		{`x:nope(1)`, 1, `unknown function x:nope()`},
		{`count()`, 1, `count() takes 1 argument, not 0`},
		{`count(a, b)`, 1, `count() takes 1 argument, not 2`},
		{`substring('a')`, 1, `substring() takes 2 or 3 arguments, not 1`},
		{`concat('a')`, 1, `concat() takes at least 2 arguments, not 1`},
		{`true(1)`, 1, `true() takes 0 arguments, not 1`},
		{`1 + x:twice()`, 5, `x:twice() takes 1 argument, not 0`},
		{`q:a`, 1, `undeclared namespace prefix "q"`},
		{`a/q:*`, 3, `undeclared namespace prefix "q"`},
		{`$q:v`, 1, `undeclared namespace prefix "q"`},
		{`q:f()`, 1, `undeclared namespace prefix "q"`},
		{`$nope`, 1, `variable $nope is not in scope`},
		{`1 + $x:nope`, 5, `variable $x:nope is not in scope`},
		{``, 1, `expected an expression, found end of expression`},
		{`1 +`, 4, `expected an expression`},
		{`(1`, 3, `expected ')'`},
		{`a[1`, 4, `expected ']'`},
		{`a]`, 2, `expected end of expression, found "]"`},
		{`'abc`, 1, `unterminated string literal`},
		{`a b`, 3, `expected an operator, found "b"`},
		{`1 2`, 3, `expected end of expression, found "2"`},
		{`a/`, 3, `expected a location step`},
		{`a//`, 4, `expected a location step`},
		{`//`, 3, `expected a location step`},
		{`foo::a`, 1, `unknown axis "foo"`},
		{`child::`, 8, `expected a node test`},
		{`child:a`, 1, `undeclared namespace prefix "child"`},
		{`a:`, 3, `expected a local name or '*' after "a:"`},
		{`@`, 2, `expected a node test`},
		{`text(1)`, 6, `expected ')'`},
		{`processing-instruction(1)`, 24, `expected ')'`},
		{`node(`, 6, `expected ')'`},
		{`1 ! 2`, 3, `unexpected '!'`},
		{`$`, 1, `expected a variable name after '$'`},
		{`$ a`, 1, `expected a variable name after '$'`},
		{`a | `, 5, `expected an expression`},
		{`#`, 1, `unexpected character '#'`},
		{"\xff", 1, `invalid UTF-8`},
		{`.a`, 2, `expected an operator, found "a"`},
		{`..[1]`, 3, `expected end of expression, found "["`},
		{`a::b`, 1, `unknown axis "a"`},
		{`x:child::b`, 1, `"x:child" is not an axis name`},
		{`*:a`, 2, `unexpected ':'`},
		{strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), 257, `nested more than 256 deep`},
		{strings.Repeat("-", 300) + "1", 1, `nested more than 256 deep`},
		{"1" + strings.Repeat("+1", 300), 1, `nested more than 256 deep`},
		{strings.Repeat("a[", 300) + "1" + strings.Repeat("]", 300), 0, `nested more than 256 deep`},
		{strings.Repeat("f(", 300), 1, `unknown function f()`},
		{strings.Repeat("count(", 300) + ".", 0, `nested more than 256 deep`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.expr, env)
		var xe *Error
		if !errors.As(err, &xe) {
			t.Errorf("Compile(%q) = %v, want an *Error", tt.expr, err)
			continue
		}
		if !strings.Contains(xe.Msg, tt.msg) {
			t.Errorf("Compile(%q): %q, want %q", tt.expr, xe.Msg, tt.msg)
		}
		if tt.col != 0 && xe.Offset+1 != tt.col {
			t.Errorf("Compile(%q): column %d, want %d (%v)", tt.expr, xe.Offset+1, tt.col, err)
		}
	}
	_, err := Compile("foo(", env)
	if got, want := err.Error(), `XPath "foo(": column 1: unknown function foo()`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = Compile("count(1", env)
	if got, want := err.Error(), `XPath "count(1": column 8: expected ')', found end of expression`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	// Without an Env: core functions only, no prefixes, no variables.
	if _, err := Compile(`count(//a) + string-length('x')`, nil); err != nil {
		t.Error(err)
	}
	for _, s := range []string{`$a`, `x:a`, `f()`} {
		if _, err := Compile(s, nil); err == nil {
			t.Errorf("Compile(%q, nil): no error", s)
		}
	}
	// 256 deep is fine.
	if _, err := Compile(strings.Repeat("(", 200)+"1"+strings.Repeat(")", 200), env); err != nil {
		t.Error(err)
	}
}

// TestLexical checks the disambiguation rules of XPath 1.0 section 3.7.
func TestLexical(t *testing.T) {
	root := mustParse(t, `<and><or>1</or><div>2</div><mod>3</mod><text>4</text><node>5</node><child>6</child><x-y.z>7</x-y.z></and>`)
	env := newTestEnv()
	for _, tt := range []struct{ expr, want string }{
		{`and/or`, "nodes /and[1]/or[1]"},
		{`and/or or and/div`, "boolean true"},
		{`and/div div and/or`, "number 2"},
		{`and/mod mod and/div`, "number 1"},
		{`and/*`, "nodes /and[1]/or[1] /and[1]/div[1] /and[1]/mod[1] /and[1]/text[1] /and[1]/node[1] /and[1]/child[1] /and[1]/x-y.z[1]"},
		{`and/or*and/div`, "number 2"},
		{`and/or * and/div`, "number 2"},
		{`and/mod*and/mod`, "number 9"},
		{`and/text`, "nodes /and[1]/text[1]"},
		{`and/text()`, "nodes "},
		{`and/text ()`, "nodes "},
		{`and/node`, "nodes /and[1]/node[1]"},
		{`and/child`, "nodes /and[1]/child[1]"},
		{`and/child :: child`, "nodes /and[1]/child[1]"},
		{`and/x-y.z`, "nodes /and[1]/x-y.z[1]"},
		{`and/x-y.z -and/or`, "number 6"},
		{`and/child-1`, "nodes "}, // a name: NCNames may hold '-' and digits
		{`and/child - 1`, "number 5"},
		{`-and/or`, "number -1"},
		{`count(//*)*2`, "number 16"},
		{`2*count(//*)`, "number 16"},
		{`2 * * `, "nodes "},
	} {
		if tt.expr == `2 * * ` {
			continue
		}
		v, err := evalAt(t, env, root, "", tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := show(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
		}
	}
	// * after an operator is a name test: 2 * * is 2 times the child elements.
	v, err := evalAt(t, env, root, "/and", `2 * *`)
	if err != nil || show(v) != "number 2" {
		t.Errorf("2 * * = %s, %v", show(v), err)
	}
}

// TestMalformedTree: a hand-built tree whose Parent pointers disagree with
// Children, and nodes that were never numbered, must not panic.
func TestMalformedTree(t *testing.T) {
	a := &Node{Kind: ElementNode, Local: "a"}
	b := &Node{Kind: ElementNode, Local: "b", Parent: a} // not among a's children
	c := &Node{Kind: ElementNode, Local: "c", Parent: b}
	b.Children = []*Node{c}
	at := &Node{Kind: AttributeNode, Local: "x", Parent: b}
	b.Attrs = []*Node{at}
	axes := []string{"child", "descendant", "parent", "ancestor", "following-sibling", "preceding-sibling",
		"following", "preceding", "attribute", "namespace", "self", "descendant-or-self", "ancestor-or-self"}
	for _, n := range []*Node{a, b, c, at} {
		for _, ax := range axes {
			for _, src := range []string{ax + "::node()", ax + "::node()[1]", ax + "::*[last()]", "count(" + ax + "::node()/" + ax + "::node())"} {
				e := mustCompile(t, src)
				_, _ = e.Eval(&Context{Node: n})
				p, err := CompilePattern("*[1] | @*[2] | node()[last()] | a//c/@x", nil)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = p.Match(nil, n)
			}
		}
	}
}
