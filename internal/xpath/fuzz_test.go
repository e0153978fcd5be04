package xpath

import (
	"strings"
	"testing"
)

// fuzzDoc is small, so that any expression over it is cheap.
const fuzzDoc = `<a xmlns:x="urn:x" xml:lang="en" id="1"><b x:c="2">t<c/>u</b><!--k--><?p q?><x:d><b>3</b></x:d></a>`

var fuzzSeeds = []string{
	`//b`, `/a/b[1]/@x:c`, `count(//node())`, `//b[last()]/preceding::node()`, `namespace::*`,
	`substring('12345', 1.5, 2.6)`, `round(-0.5)`, `1 div 0 mod 2`, `$one * $str`, `x:twice(2)`,
	`(//b | //c)[position() > 1]/ancestor-or-self::*[1]`, `//@*[. = 2] != //b`, `lang('en')`,
	`following-sibling::*[1]/self::x:d`, `id('1')`, `string(1e2)`, `a/b//c`, `..//.`,
	`*[position()=1 and self::para]`, `para[last()=1] | items/item[position()>1]`, `key('k', 'v')`,
	`@*`, `text()`, `processing-instruction('p')`, `/`, `id("W11")`, `child::b/attribute::x:*`,
	`translate(normalize-space(.), 'abc', 'AB')`, `-(-(1))`, `and/or or or/and`, `div div div`,
	`*|*`, `((((1))))`, `a[b[c[d]]]`, `$frag/x`, `sum(//@*) > 1`, `name(namespace::x)`,
}

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	root, err := Parse([]byte(fuzzDoc))
	if err != nil {
		f.Fatal(err)
	}
	env := patEnv()
	env.vars["frag"] = &Fragment{Root: root}
	all, err := mustCompile(f, `/ | //node() | //@* | //namespace::node()`).EvalNodeSet(env.context(root))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1000 {
			return
		}
		if e, err := Compile(src, env); err == nil {
			if e.String() != src {
				t.Fatalf("String() = %q", e.String())
			}
			// Evaluate from a few context nodes; errors are fine, panics not.
			// With a namespace cache (Context.NS, one for the three) the
			// value is the same: the same nodes in the same order.
			var nsc NamespaceCache
			for _, n := range []*Node{root, all[len(all)/2], all[len(all)-1]} {
				v, err := e.Eval(env.context(n))
				cc := env.context(n)
				cc.NS = &nsc
				if cv, cerr := e.Eval(cc); (cerr == nil) != (err == nil) || err == nil && !sameValue(v, cv) {
					t.Fatalf("%q from %s: %v (%v) without a namespace cache, %v (%v) with one", src, pathOf(n), v, err, cv, cerr)
				}
				if err == nil {
					_ = ToString(v)
					_ = ToNumber(v)
					if ns, ok := v.(NodeSet); ok {
						for i := 1; i < len(ns); i++ {
							if ns[i-1].Order() >= ns[i].Order() {
								t.Fatalf("%q: node-set not in document order", src)
							}
						}
					}
				}
			}
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("Compile(%q): %T %v", src, err, err)
		} else if !strings.Contains(err.Error(), "column ") {
			t.Fatalf("no column: %v", err)
		}
		if p, err := CompilePattern(src, env); err == nil {
			if e, err := Compile(src, env); err != nil && !strings.Contains(src, "key(") {
				t.Fatalf("a pattern that is not an expression: %q: %v", src, err)
			} else if err == nil {
				// A node matches iff the pattern as an expression selects it
				// from some context node (skipping key(), whose host
				// version here is only an approximation).
				var union NodeSet
				for _, n := range all {
					if ns, err := e.EvalNodeSet(env.context(n)); err == nil {
						union = append(union, ns...)
					}
				}
				union = sortNodes(union)
				for _, n := range all {
					ok, err := p.Match(env.context(n), n)
					if err != nil {
						return
					}
					in := false
					for _, m := range union {
						in = in || m.Order() == n.Order()
					}
					if ok != in && !strings.Contains(src, "key(") && !strings.Contains(src, "id(") && n.Kind != NamespaceNode {
						t.Fatalf("pattern %q: Match(%s) = %v, as an expression %v", src, pathOf(n), ok, in)
					}
				}
			}
			for _, a := range p.Alternatives() {
				_ = a.DefaultPriority()
			}
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("CompilePattern(%q): %T %v", src, err, err)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		fuzzDoc, specDoc(), nsDoc, patDoc, `<a/>`, `<a xmlns="">x</a>`, `<?xml version="1.0"?><a>&lt;&#65;</a>`,
		`<a><![CDATA[x]]></a>`, `<!DOCTYPE a><a/>`, `<a:b xmlns:a="u"/>`, `<a b="1" b="2"/>`, `<a><b></a>`,
		`<a xmlns:p="u" xmlns:p="v"/>`, `<a xml:lang="en"><b xmlns:xml="http://www.w3.org/XML/1998/namespace"/></a>`,
	} {
		f.Add([]byte(s))
	}
	e := mustCompile(f, `count(//node() | //@* | //namespace::node())`)
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := Parse(data)
		if err != nil {
			return
		}
		_ = root.StringValue()
		if _, err := e.Eval(&Context{Node: root}); err != nil {
			t.Fatal(err)
		}
	})
}

// sameValue reports whether a and b are one XPath value: equal strings,
// numbers or booleans, or node-sets of the same nodes in the same order (a
// namespace node by its element, prefix and place).
func sameValue(a, b Value) bool {
	switch a := a.(type) {
	case NodeSet:
		b, ok := b.(NodeSet)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameNode(a[i], b[i]) && !(a[i].Kind == NamespaceNode && a[i].Order() == b[i].Order() && a[i].Parent == b[i].Parent && a[i].Local == b[i].Local && a[i].Data == b[i].Data) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && (a == b || a != a && b != b)
	default:
		return a == b
	}
}
