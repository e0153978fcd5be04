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

// FuzzParseDN: any subject string parses or fails cleanly; what parses is
// sorted and non-empty.
func FuzzParseDN(f *testing.F) {
	for _, s := range []string{`C=US, ST=Illinois, L=Chicago, O="Contoso, Inc.", CN=*.contoso.com`, "CN=a;OU=b", "OID.2.5.4.3=x", `O="`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dn, err := parseDN(s)
		if err != nil {
			return
		}
		if len(dn) == 0 {
			t.Fatal("empty DN without an error")
		}
		for i := 1; i < len(dn); i++ {
			if dn[i-1].typ > dn[i].typ {
				t.Fatalf("not sorted: %v", dn)
			}
		}
	})
}

// FuzzUsageCounter: any answer, in any split, gives a count without
// panicking, and the same count whatever the split.
func FuzzUsageCounter(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n"), uint8(3), true)
	f.Add([]byte(`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`), uint8(1), false)
	f.Fuzz(func(t *testing.T, body []byte, split uint8, sse bool) {
		ct := "application/json"
		if sse {
			ct = "text/event-stream"
		}
		whole := newUsageCounter(ct)
		whole.write(body)
		parts := newUsageCounter(ct)
		n := int(split%16) + 1
		for b := body; len(b) > 0; {
			k := min(n, len(b))
			parts.write(b[:k])
			b = b[k:]
		}
		if a, b := whole.result(5), parts.result(5); a != b {
			t.Fatalf("whole %+v, split %+v", a, b)
		}
	})
}
