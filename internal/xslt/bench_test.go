package xslt

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// soapDocument is a SOAP-like document of about size bytes.
func soapDocument(size int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body><GetOrdersResponse xmlns="http://example.com/orders">` + "\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `  <Order id="%d" status="shipped"><Customer>Customer &amp; Co %d</Customer><Total currency="EUR">%d.95</Total><Lines><Line sku="SKU-%d" qty="2"/></Lines></Order>`+"\n", i, i, i*7, i)
	}
	b.WriteString(`</GetOrdersResponse></soap:Body></soap:Envelope>`)
	return []byte(b.String())
}

// BenchmarkAPIMCopy runs APIM's copy stylesheet over a 50 KB SOAP-like
// document.
func BenchmarkAPIMCopy(b *testing.B) {
	xsl, err := os.ReadFile("testdata/apim-copy.xsl")
	if err != nil {
		b.Fatal(err)
	}
	ss, err := Compile(xsl)
	if err != nil {
		b.Fatal(err)
	}
	doc := soapDocument(50 << 10)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ss.Transform(context.Background(), doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
