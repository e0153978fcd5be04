package odata

import (
	"net/http"
	"strings"
	"testing"
)

// go test -run x -bench . ./internal/odata/: what the limits of
// docs/limits.md cost at their worst.
func BenchmarkCheckRequest(b *testing.B) {
	m := loadNorthwind(b)
	for _, bc := range []struct{ name, query string }{
		{"typical", "$filter=Name%20eq%20'Milk'%20and%20Price%20lt%202.55&$orderby=Rating%20desc&$top=5&$expand=Category($select=Name)"},
		{"5000 nested parentheses", "$filter=" + strings.Repeat("(", 5000) + "true" + strings.Repeat(")", 5000)},
		{"64KiB of or", "$filter=" + strings.Repeat("Rating%20eq%201%20or%20", 4000) + "true"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := Request{Method: http.MethodGet, Path: "/Products", RawQuery: bc.query, V401: true}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m.CheckRequest(r)
			}
		})
	}
}
