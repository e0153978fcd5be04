package xsd

import (
	"fmt"
	"strings"
	"testing"
)

// Parse refuses an attribute given twice however many attributes the
// element has (past 16 the check is a map look-up), and through two
// prefixes bound to one namespace.
func TestParseAttributeTwice(t *testing.T) {
	attrs := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, ` a%d="%d"`, i, i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, doc, err string
	}{
		{"few", `<r` + attrs(5) + ` a3="x"/>`, `1:1: attribute "a3" is given twice`},
		{"the 17th", `<r` + attrs(16) + ` a3="x"/>`, `1:1: attribute "a3" is given twice`},
		{"many", `<r` + attrs(5000) + ` a4999="x"/>`, `1:1: attribute "a4999" is given twice`},
		{"two prefixes past 16", `<r xmlns:p="u" xmlns:q="u"` + attrs(20) + ` p:x="1" q:x="2"/>`, `1:1: attribute "x" is given twice`},
		{"all different", `<r` + attrs(5000) + `/>`, ""},
		{"the same name in two namespaces", `<r xmlns:p="u" xmlns:q="v"` + attrs(20) + ` p:x="1" q:x="2" x="3"/>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := Parse([]byte(tc.doc), 0)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.Count(tc.doc, `="`) - strings.Count(tc.doc, `xmlns:`); len(root.Attrs) != want {
					t.Fatalf("%d attributes, want %d", len(root.Attrs), want)
				}
				return
			}
			if err == nil || err.Error() != tc.err {
				t.Fatalf("error %v, want %s", err, tc.err)
			}
		})
	}
}
