package xslt

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestNamespaceAxisWork: a document whose root declares many namespaces,
// and a stylesheet reading namespace::* in a predicate of a namespace
// step, made every element's in-scope namespace nodes anew (a map and a
// node per namespace) for each node the predicate was tried on: with 250
// namespaces, tens of seconds of allocation before the step limit. The
// namespace nodes of an element are made once per transformation now; the
// result (and the document order the nodes are counted in) is the same,
// and the allocations stay linear in the nodes made, far below the step
// count.
func TestNamespaceAxisWork(t *testing.T) {
	var decls strings.Builder
	for i := range 250 {
		fmt.Fprintf(&decls, ` xmlns:p%d="urn:n%d"`, i, i)
	}
	body := `<r` + decls.String() + `>` + strings.Repeat(`<e/>`, 20) + `</r>`
	ss := compileT(t, sheet(`<xsl:template match="/"><xsl:value-of select="count(//*/namespace::*[../namespace::*[251]])"/>,<xsl:value-of select="name((/r/e)[3]/namespace::*[2])"/>,<xsl:value-of select="name((/r/e)[3]/namespace::*[last()])"/></xsl:template>`))
	var out []byte
	allocs := testing.AllocsPerRun(1, func() {
		var err error
		out, err = ss.Transform(context.Background(), []byte(body), Options{MaxSteps: 50_000_000})
		if err != nil {
			t.Fatal(err)
		}
	})
	// 21 elements with 251 namespaces each (250 and xml)
	if got := string(out); !strings.HasSuffix(got, "5271,p0,p249") {
		t.Errorf("got %q, want the count 5271 and p0, p249 in document order (xml comes first)", got)
	}
	// each element's 251 namespace nodes once (5271), the tree and the
	// rest; without the cache, 21*251*251 nodes and a map per try (1.4
	// million)
	if allocs > 150_000 {
		t.Errorf("%.0f allocations, want them linear in the namespace nodes (about 5271 of them)", allocs)
	}
}

// BenchmarkNamespaceAxis: TestNamespaceAxisWork's transformation.
func BenchmarkNamespaceAxis(b *testing.B) {
	var decls strings.Builder
	for i := range 250 {
		fmt.Fprintf(&decls, ` xmlns:p%d="urn:n%d"`, i, i)
	}
	body := []byte(`<r` + decls.String() + `>` + strings.Repeat(`<e/>`, 20) + `</r>`)
	ss := compileT(b, sheet(`<xsl:template match="/"><xsl:value-of select="count(//*/namespace::*[../namespace::*[251]])"/></xsl:template>`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ss.Transform(context.Background(), body, Options{MaxSteps: 50_000_000}); err != nil {
			b.Fatal(err)
		}
	}
}
