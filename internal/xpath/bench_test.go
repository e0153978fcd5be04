package xpath

import (
	"fmt"
	"strings"
	"testing"
)

func benchDoc(b *testing.B) *Node {
	var sb strings.Builder
	sb.WriteString(`<items>`)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, `<item id="i%d" n="%d"><name>item %d</name><price>%d.5</price></item>`, i, i, i, i%100)
	}
	sb.WriteString(`<item id="x" n="-1"><name>x</name><price>1</price></item></items>`)
	return mustParse(b, sb.String())
}

func benchExpr(b *testing.B, src string, want string) {
	root := benchDoc(b)
	e := mustCompile(b, src)
	ctx := &Context{Node: root, Position: 1, Size: 1}
	v, err := e.Eval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if got := show(v); !strings.HasPrefix(got, want) {
		b.Fatalf("%s = %s, want %s", src, got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Eval(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDescendantByID(b *testing.B) {
	benchExpr(b, `//item[@id='x']`, "nodes /items[1]/item[10001]")
}

func BenchmarkPredicateHeavy(b *testing.B) {
	benchExpr(b, `count(//item[price > 50][position() mod 2 = 0][contains(name, '9')][last()]/following-sibling::item[1])`, "number 1")
}

func BenchmarkSumAndCompare(b *testing.B) {
	benchExpr(b, `sum(//item[@n < 5000]/price) + count(//item[name = 'item 42' or price = 1])`, "number")
}

func BenchmarkUnionNested(b *testing.B) {
	benchExpr(b, `count(//item/name | //item//text() | //*//price)`, "number 40004")
}

func BenchmarkPatternMatch(b *testing.B) {
	root := benchDoc(b)
	p, err := CompilePattern(`items/item[@n mod 2 = 0]/price | item[1] | name[starts-with(., 'item 1')]`, nil)
	if err != nil {
		b.Fatal(err)
	}
	nodes := mustCompile(b, `//node()`)
	all, _ := nodes.EvalNodeSet(&Context{Node: root})
	ctx := &Context{}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, n := range all {
			if _, err := p.Match(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkSiblings(b *testing.B) {
	benchExpr(b, `count(//item[following-sibling::item[1]/@n = @n + 1][preceding-sibling::item[1]])`, "number 9998")
}
