package engine

import (
	"strings"
	"testing"
)

// longLine is a policy of n sibling elements on one line; with utf8, each
// carries a multi-byte rune, so columns cannot be byte offsets.
func longLine(n int, utf8 bool) []byte {
	var b strings.Builder
	b.WriteString(`<policies><inbound>`)
	v := "x"
	if utf8 {
		v = "é"
	}
	for i := 0; i < n; i++ {
		b.WriteString(`<set-header name="X-` + v + `" exists-action="override"><value>` + v + `</value></set-header>`)
	}
	b.WriteString(`</inbound></policies>`)
	return []byte(b.String())
}

// TestLineIndexLinear: reading a document whose elements all sit on one
// line counts through each byte of it at most once (it used to count from
// the line's start for every element: 40,000 elements took a minute).
func TestLineIndexLinear(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		src := longLine(2000, utf8)
		root, li, err := read("p.xml", src)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(root.Children[0].Children); got != 2000 {
			t.Fatalf("%d elements", got)
		}
		if li.scanned > len(src) {
			t.Errorf("utf8=%v: counted through %d bytes of a %d-byte line", utf8, li.scanned, len(src))
		}
		// Columns are still right.
		last := root.Children[0].Children[1999]
		if want := strings.LastIndex(string(src), "<set-header") + 1; !utf8 && last.Pos.Col != want {
			t.Errorf("column %d, want %d", last.Pos.Col, want)
		}
	}
}

func BenchmarkReadLongLine(b *testing.B) {
	src := longLine(40000, true)
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if _, err := Read("p.xml", src); err != nil {
			b.Fatal(err)
		}
	}
}
