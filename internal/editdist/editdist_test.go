package editdist

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"Header", "Headers", 1},
		{"exist-action", "exists-action", 1},
		{"Nme", "Name", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{strings.Repeat("a", 65), strings.Repeat("a", 64) + "b", 99},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
