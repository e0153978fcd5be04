package xsd

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// benchSchema is the WCF data-contract schema of testdata/diff (nillable,
// optional elements, nested types).
func benchSchema(b *testing.B) []byte {
	data, err := os.ReadFile("testdata/diff/30-dotnet-datacontract.txt")
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range splitSections(&testing.T{}, "", data) {
		if s.name == "s.xsd" {
			return s.data
		}
	}
	b.Fatal("no schema")
	return nil
}

func benchOrder(lines int) []byte {
	var sb strings.Builder
	sb.WriteString(`<Order xmlns="http://schemas.datacontract.org/2004/07/Shop" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Customer>Ann</Customer><Id>7</Id><Lines>`)
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&sb, `<Line><Qty>%d</Qty><Sku>SKU-%d</Sku></Line>`, i, i)
	}
	sb.WriteString(`</Lines><Placed>2024-05-01T10:00:00Z</Placed></Order>`)
	return []byte(sb.String())
}

func BenchmarkCompile(b *testing.B) {
	schema := benchSchema(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile([]Doc{{Name: "s.xsd", Data: schema}}, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	set, err := Compile([]Doc{{Name: "s.xsd", Data: benchSchema(b)}}, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	for _, lines := range []int{1, 100} {
		doc := benchOrder(lines)
		b.Run(fmt.Sprintf("lines=%d/%dB", lines, len(doc)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if errs := set.Validate(doc); len(errs) > 0 {
					b.Fatal(errs)
				}
			}
		})
	}
}
