package gateway

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"tollgate/engine"
)

func TestParseWSDL(t *testing.T) {
	calc, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	const head = `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:t" targetNamespace="urn:t">`
	tests := []struct {
		name, src string
		ops       []string // id action
		err       string
	}{
		{"a WCF service with SOAP 1.1 and 1.2 bindings", string(calc),
			[]string{"Add http://tempuri.org/ICalculator/Add", "Subtract http://tempuri.org/ICalculator/Subtract"}, ""},
		{"no service: every SOAP binding", head + `<binding name="b" type="tns:p"><soap:binding/><operation name="Op"><soap:operation soapAction="urn:op"/></operation></binding>` +
			`<binding name="http" type="tns:p"><operation name="Get"/></binding></definitions>`, []string{"Op urn:op"}, ""},
		{"an operation without soap:operation has the empty action", head + `<binding name="b" type="tns:p"><soap:binding/><operation name="Op"/></binding></definitions>`,
			[]string{"Op "}, ""},
		{"only the bindings the service's ports use", head + `<binding name="a" type="tns:p"><soap:binding/><operation name="A"><soap:operation soapAction="urn:a"/></operation></binding>` +
			`<binding name="b" type="tns:p"><soap:binding/><operation name="B"><soap:operation soapAction="urn:b"/></operation></binding>` +
			`<service name="s"><port name="p" binding="tns:b"/></service></definitions>`, []string{"B urn:b"}, ""},
		// APIM's import page supports document/literal bindings only; a
		// pass-through API needs nothing of the style, so an RPC-style
		// binding's operations load (docs/resource-model.md says so).
		{"an RPC-style binding", head + `<binding name="b" type="tns:p"><soap:binding style="rpc"/><operation name="Op"><soap:operation soapAction="urn:op" style="rpc"/></operation></binding></definitions>`,
			[]string{"Op urn:op"}, ""},
		{"WSDL 2.0", `<description xmlns="http://www.w3.org/ns/wsdl"/>`, nil, "x.wsdl:1:1: WSDL 2.0 is not supported"},
		{"not a WSDL", `<definitions/>`, nil, `x.wsdl:1:1: a WSDL 1.1 document starts with <definitions xmlns="http://schemas.xmlsoap.org/wsdl/">`},
		{"wsdl:import", head + "\n  <import namespace=\"urn:x\" location=\"other.wsdl\"/></definitions>", nil, "x.wsdl:2:3: wsdl:import is not supported"},
		{"malformed XML", head + "\n<binding name=\"b\">\n</definitions>", nil, "x.wsdl:3:"},
		{"a port's binding is missing", head + `<service name="s">` + "\n" + `<port name="p" binding="tns:nope"/></service></definitions>`, nil,
			`x.wsdl:2:1: port's binding "nope" is not defined in this WSDL`},
		{"no SOAP operation", head + `<binding name="http" type="tns:p"><operation name="Get"/></binding></definitions>`, nil,
			"x.wsdl:1:1: the WSDL has no operation in a SOAP binding"},
		{"one operation, two actions", head + `<binding name="a" type="tns:p"><soap:binding/><operation name="A"><soap:operation soapAction="urn:a"/></operation></binding>` +
			"\n" + `<binding name="b" type="tns:p"><soap:binding/><operation name="A"><soap:operation soapAction="urn:other"/></operation></binding></definitions>`, nil,
			`x.wsdl:2:47: operation "A" has SOAP action "urn:other" here and "urn:a" in another binding (x.wsdl:1:`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errs engine.ErrorList
			ops := parseWSDL("x.wsdl", []byte(tc.src), &errs)
			if tc.err != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.err) {
					t.Fatalf("errors %v, want one with %q", errs, tc.err)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			var got []string
			for _, op := range ops {
				if op.method != "POST" {
					t.Errorf("%s: method %s", op.id, op.method)
				}
				got = append(got, op.id+" "+soapActionOf(op.template))
			}
			if strings.Join(got, "|") != strings.Join(tc.ops, "|") {
				t.Errorf("operations %q, want %q", got, tc.ops)
			}
		})
	}
}

func TestSOAPRouter(t *testing.T) {
	r := &soapRouter{}
	add := func(id, method, tpl string) error {
		return r.add(&Operation{Info: &engine.Operation{Id: id, Method: method, UrlTemplate: tpl}})
	}
	for _, op := range [][3]string{{"Add", "POST", "/?soapAction=urn:add"}, {"Empty", "POST", "/?soapAction="}} {
		if err := add(op[0], op[1], op[2]); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []struct{ id, method, tpl, err string }{
		{"Again", "POST", "/?soapAction=urn:add", `operations "Add" and "Again" have the same SOAP action "urn:add"`},
		{"Get", "GET", "/?soapAction=urn:get", "a SOAP operation's method is POST, not GET"},
		{"Path", "POST", "/add", "a SOAP operation's URL template is /?soapAction=ACTION"},
		{"Half", "POST", "/soapAction=urn:x", "a SOAP operation's URL template is /?soapAction=ACTION"},
	} {
		if err := add(bad.id, bad.method, bad.tpl); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%s: %v, want %q", bad.id, err, bad.err)
		}
	}
	match := func(method, rel string, h http.Header) string {
		if op := r.match(method, rel, h); op != nil {
			return op.Info.Id
		}
		return ""
	}
	tests := []struct {
		name, method, rel string
		h                 http.Header
		want, wantWild    string
	}{
		{"SOAP 1.1, quoted", "POST", "", http.Header{"Soapaction": {`"urn:add"`}}, "Add", "Add"},
		{"SOAP 1.1, bare", "POST", "/", http.Header{"Soapaction": {`urn:add`}}, "Add", "Add"},
		{"SOAP 1.1, empty action", "POST", "/", http.Header{"Soapaction": {`""`}}, "Empty", "Empty"},
		{"SOAP 1.2", "POST", "", http.Header{"Content-Type": {`application/soap+xml; charset=utf-8; action="urn:add"`}}, "Add", "Add"},
		{"SOAP 1.2 without action", "POST", "", http.Header{"Content-Type": {`application/soap+xml`}}, "", "Any"},
		{"an unknown action", "POST", "", http.Header{"Soapaction": {`"urn:nope"`}}, "", "Any"},
		{"no action at all", "POST", "", http.Header{"Content-Type": {"text/xml"}}, "", "Any"},
		{"case differs", "POST", "", http.Header{"Soapaction": {`"URN:ADD"`}}, "", "Any"},
		{"GET", "GET", "", http.Header{"Soapaction": {`"urn:add"`}}, "", ""},
		{"another path", "POST", "/svc.asmx", http.Header{"Soapaction": {`"urn:add"`}}, "", ""},
	}
	for _, tc := range tests {
		if got := match(tc.method, tc.rel, tc.h); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if err := add("Any", "POST", "/soapAction={any}"); err != nil {
		t.Fatal(err)
	}
	if err := add("Any2", "POST", "/?soapAction={x}"); err == nil || !strings.Contains(err.Error(), "second wildcard") {
		t.Errorf("a second wildcard: %v", err)
	}
	for _, tc := range tests {
		if got := match(tc.method, tc.rel, tc.h); got != tc.wantWild {
			t.Errorf("%s, with a wildcard: %q, want %q", tc.name, got, tc.wantWild)
		}
	}
}

// FuzzParseWSDL: any bytes give operations or errors, never a panic, and
// every operation it returns is one the router takes.
func FuzzParseWSDL(f *testing.F) {
	calc, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(calc)
	f.Add([]byte(`<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:s="http://schemas.xmlsoap.org/wsdl/soap12/"><binding name="b"><s:binding/><operation name="O"><s:operation soapAction="a"/></operation></binding><service><port binding="b"/></service></definitions>`))
	f.Add([]byte(`<description xmlns="http://www.w3.org/ns/wsdl"/>`))
	f.Add([]byte(`<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"><import/><binding><operation/></binding></definitions>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var errs engine.ErrorList
		ops := parseWSDL("f.wsdl", data, &errs)
		if len(errs) > 0 {
			return
		}
		r := &soapRouter{}
		for _, op := range ops {
			if _, _, err := soapTemplate(op.template); err != nil {
				t.Fatalf("operation %q: template %q: %v", op.id, op.template, err)
			}
			_ = r.add(&Operation{Info: &engine.Operation{Id: op.id, Method: op.method, UrlTemplate: op.template}})
		}
	})
}
