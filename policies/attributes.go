package policies

import (
	"fmt"
	"strings"

	"tollgate/engine"
)

// Readers and checks for attribute and child-element shapes that more than
// one policy uses. Single attributes are read with engine.Parser's own
// readers (Str, Int, LitStr...).

// textList reads the <name> children of p as literal-or-expression texts.
func textList(p *engine.Parser, name string) []engine.Str {
	var out []engine.Str
	for _, n := range p.Children() {
		if n.Name == name {
			out = append(out, p.Child(n).TextStr())
		}
	}
	return out
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
