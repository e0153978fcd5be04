package policies

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"
)

// FuzzJSONToXML: any input either fails cleanly or gives well-formed XML.
//
//	go test -run x -fuzz FuzzJSONToXML -fuzztime 60s ./policies/
func FuzzJSONToXML(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[1,"x",null,true]}}`, `{"s:E":{"xmlns:s":"urn:s","#attrs":{"k":"v"},"s:B":{}}}`, `[{"a b":"<&>"}]`, `"2024-03-18T10:00Z"`} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, opts bool) {
		o := jsonToXMLOptions{ParseDate: opts}
		if opts {
			o.NamespaceSeparator, o.NamespacePrefix, o.AttributeBlockName = ":", "xmlns", "#attrs"
		}
		out, err := jsonToXML(data, o)
		if err != nil {
			return
		}
		dec := xml.NewDecoder(bytesReader(out))
		for {
			_, err := dec.RawToken()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("output is not XML: %v\n%s", err, out)
				}
				return
			}
		}
	})
}

// FuzzXMLToJSON: any input either fails cleanly or gives valid JSON.
//
//	go test -run x -fuzz FuzzXMLToJSON -fuzztime 60s ./policies/
func FuzzXMLToJSON(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0"?><a x="1"><b>t</b><b/>m<c xsi:nil="true"/></a>`, `<a><![CDATA[x]]></a>`, `<!DOCTYPE a><a/>`} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, friendly bool) {
		out, err := xmlToJSON(data, xmlToJSONOptions{JavaScriptFriendly: friendly, AlwaysArray: !friendly, XsiNil: "null"})
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %s", out)
		}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
