package csharp

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// FuzzXMLText: what xmlText writes (etree's output finished by
// netSelfClose) reads back as the same attribute value, text, comment and
// CDATA, whatever they hold.
func FuzzXMLText(f *testing.F) {
	for _, s := range [][4]string{
		{`a/>b`, `it's "q" > p`, `x/>`, `y/>`},
		{`<x/>`, `/>`, `-`, `]]`},
		{`"'&<>`, `&amp;`, ``, `a]]>b`},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, attr, text, comment, cdata string) {
		for _, s := range []string{attr, text, comment, cdata} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
				return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
			}) {
				return // not XML characters
			}
		}
		if strings.Contains(comment, "--") || strings.HasSuffix(comment, "-") || strings.Contains(text, "\r") || strings.Contains(cdata, "\r") {
			return // no such comment exists; \r in text is normalized by any XML reader
		}
		e := etree.NewElement("r")
		e.CreateAttr("t", attr)
		e.CreateText(text)
		e.CreateElement("e")
		e.CreateComment(comment)
		e.CreateCData(cdata)
		out := xmlText(e, false)
		d := xml.NewDecoder(strings.NewReader(out))
		var gotAttr, gotText, gotComment string
		var chars strings.Builder
		for {
			tok, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%q does not read back: %v", out, err)
				}
				break
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if x.Name.Local == "r" {
					for _, a := range x.Attr {
						gotAttr = a.Value
					}
				}
			case xml.CharData:
				chars.Write(x)
			case xml.Comment:
				gotComment = string(x)
			}
		}
		gotText = chars.String()
		if gotAttr != attr || gotText != text+cdata || gotComment != comment {
			t.Fatalf("wrote %q: attribute %q (want %q), text %q (want %q), comment %q (want %q)", out, gotAttr, attr, gotText, text+cdata, gotComment, comment)
		}
		if strings.Contains(out, "<e/>") {
			t.Fatalf("%q: an empty element without .NET's space", out)
		}
	})
}
