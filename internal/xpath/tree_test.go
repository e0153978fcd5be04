package xpath

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Parse: what XML allows loads, what a gateway must refuse is an error
// with its line and column.
func TestParseDocuments(t *testing.T) {
	tests := []struct {
		name, src string
		value     string // the root's string-value
		err       string
	}{
		{"a UTF-8 byte order mark", "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><d>x</d>", "x", ""},
		{"CDATA joins the text", "<d>a<![CDATA[<b>]]>c</d>", "a<b>c", ""},
		{"a DTD", `<!DOCTYPE d [<!ENTITY e "boom">]><d>&e;</d>`, "", "DTDs are not allowed"},
		{"an unknown entity", `<d>&e;</d>`, "", "invalid character entity &e;"},
		{"two roots", `<a/><b/>`, "", "a second root element <b>"},
		{"text outside", `<a/>x`, "", "text outside the root element"},
		{"an unclosed element", `<a><b></a>`, "", "unexpected end element </a>"},
		{"an undeclared prefix", `<p:a/>`, "", `undeclared namespace prefix "p"`},
		{"an attribute twice", `<a x="1" x="2"/>`, "", "attribute x given twice"},
		{"the same attribute through two prefixes", `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, "", "attribute q:x given twice"},
		{"too deep", strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1), "", "elements nested deeper than 512"},
		{"no root", `<?xml version="1.0"?>`, "", "no root element"},
		{"256 namespaces in scope", "<a" + nsDecls(0, 128) + "><b" + nsDecls(128, 256) + ">x</b></a>", "x", ""},
		{"257 namespaces in scope", "<a" + nsDecls(0, 128) + "><b" + nsDecls(128, 257) + ">x</b></a>", "", "line 1, column 4413: more than 256 namespace declarations in scope"},
		{"siblings do not add up", "<a" + nsDecls(0, 200) + "><b" + nsDecls(200, 256) + "/><b" + nsDecls(200, 256) + ">x</b></a>", "x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, err := Parse([]byte(tc.src))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if tc.err == "DTDs are not allowed" && !errors.Is(err, ErrDTD) {
					t.Errorf("%v is not ErrDTD", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := root.StringValue(); got != tc.value {
				t.Errorf("string-value %q, want %q", got, tc.value)
			}
		})
	}
}

// Context.Charge sees the nodes every step visits, predicates' steps
// included, and its error ends the evaluation.
func TestCharge(t *testing.T) {
	doc := mustParse(t, `<d><a>1</a><a>2</a><b>1</b><b>3</b></d>`)
	env := newTestEnv()
	e, err := Compile(`count(//a[. = //b])`, env)
	if err != nil {
		t.Fatal(err)
	}
	c := env.context(doc)
	visits := 0
	c.Charge = func(n int) error { visits += n; return nil }
	v, err := e.Eval(c)
	if err != nil || v != 1.0 {
		t.Fatalf("got %v, %v", v, err)
	}
	if visits < 10 { // //a, then //b once for each a
		t.Errorf("charged %d nodes", visits)
	}
	stop := errors.New("budget spent")
	c.Charge = func(n int) error {
		visits -= n
		if visits < 0 {
			return stop
		}
		return nil
	}
	visits = 5
	if _, err := e.Eval(c); !errors.Is(err, stop) {
		t.Errorf("with a budget of 5: %v", err)
	}
}

func nsDecls(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, ` xmlns:p%d="u%d"`, i, i)
	}
	return b.String()
}

// Parse resolves prefixes against the declarations in scope: the first
// of a prefix declared twice on one element, an inner one over an outer
// one until its element ends.
func TestParseNamespaceScope(t *testing.T) {
	root, err := Parse([]byte(`<a xmlns:p="u1" xmlns:p="u2"><p:b xmlns:p="v" p:x="1"/><p:c p:y="2"><d xmlns="w"/><e/></p:c></a>`))
	if err != nil {
		t.Fatal(err)
	}
	a := root.Children[0]
	b, c := a.Children[0], a.Children[1]
	d, e := c.Children[0], c.Children[1]
	for _, tc := range []struct {
		n     *Node
		space string
	}{{b, "v"}, {b.Attrs[0], "v"}, {c, "u1"}, {c.Attrs[0], "u1"}, {d, "w"}, {e, ""}} {
		if tc.n.Space != tc.space {
			t.Errorf("%s: namespace %q, want %q", tc.n.Name(), tc.n.Space, tc.space)
		}
	}
	// the namespace axis agrees: c has p (u1) and xml
	ns := mustCompile(t, `count(namespace::*)`)
	if v, err := ns.Eval(&Context{Node: c}); err != nil || v != 2.0 {
		t.Errorf("namespace nodes of c: %v, %v", v, err)
	}
	if v, err := ns.Eval(&Context{Node: d}); err != nil || v != 3.0 {
		t.Errorf("namespace nodes of d: %v, %v", v, err)
	}
}

// TestNamespaceCacheSameNodes: with a NamespaceCache the namespace axis
// gives an element's namespace nodes once, the same nodes each time, in the
// same document order and with the same names and URIs as without one.
func TestNamespaceCacheSameNodes(t *testing.T) {
	root, err := Parse([]byte(`<a xmlns:x="urn:x" xmlns="urn:d"><b xmlns:y="urn:y" xmlns:x="urn:x2"><c xmlns=""/></b></a>`))
	if err != nil {
		t.Fatal(err)
	}
	env := patEnv()
	e := mustCompile(t, `//namespace::node() | //*/namespace::*[../namespace::*[1]]`)
	plain, err := e.EvalNodeSet(env.context(root))
	if err != nil {
		t.Fatal(err)
	}
	var nsc NamespaceCache
	cc := env.context(root)
	cc.NS = &nsc
	cached, err := e.EvalNodeSet(cc)
	if err != nil {
		t.Fatal(err)
	}
	if !sameValue(plain, cached) || len(plain) != 10 {
		t.Fatalf("%d nodes without the cache, %d with: %v / %v", len(plain), len(cached), plain, cached)
	}
	again, _ := e.EvalNodeSet(cc)
	for i := range cached {
		if again[i] != cached[i] {
			t.Fatalf("node %d made anew: the cache gives the same nodes each time", i)
		}
	}
}
