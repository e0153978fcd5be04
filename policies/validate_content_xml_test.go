package policies

import (
	"os"
	"testing"

	"tollgate/engine"
	"tollgate/internal/xsd"
)

const (
	soap12Add = `<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:t="http://tempuri.org/">
  <soap:Header><x:Trace xmlns:x="urn:trace">1</x:Trace></soap:Header>
  <soap:Body>
    <t:Add><t:a>1</t:a><t:b>%s</t:b></t:Add>
  </soap:Body>
</soap:Envelope>`
	soap11Add = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Add xmlns="http://tempuri.org/"><a>1</a><b>%s</b></Add></s:Body></s:Envelope>`
)

func soapBody(tpl, b string) string {
	out := []byte{}
	for i := 0; i < len(tpl); i++ {
		if tpl[i] == '%' && i+1 < len(tpl) && tpl[i+1] == 's' {
			out = append(out, b...)
			i++
			continue
		}
		out = append(out, tpl[i])
	}
	return string(out)
}

// TestValidateContentXML: validate-as="xml" and "soap", against a schema
// resource (schema-id) and against a SOAP API's WSDL schemas, with APIM's
// SOAP example as its documentation writes it.
func TestValidateContentXML(t *testing.T) {
	example, err := os.ReadFile("testdata/apim-docs/validate-content-soap.xml")
	if err != nil {
		t.Fatal(err)
	}
	doc := compile(t, testDeps(), string(example))
	xml := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/xml" validate-as="xml" schema-id="myschema" action="prevent" />
</validate-content>`)
	imports := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/xml" validate-as="xml" schema-id="order" action="prevent" />
</validate-content>`)
	wsdl := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="text/xml" validate-as="soap" action="detect" />
    <content type="application/soap+xml" validate-as="soap" action="prevent" />
    <content type="application/xml" validate-as="xml" action="prevent" />
</validate-content>`)
	calc, err := xsd.Compile([]xsd.Doc{{Name: "calculator.wsdl", Data: []byte(calcXSD)}}, xsd.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const tns = "http://tempuri.org/"
	const conform = "Body of the request does not conform to the definition myschema, which is associated with the content type application/soap+xml.\n\n"
	addOp := &engine.SOAPOperation{Input: []xsd.QName{{Space: "http://tempuri.org/", Local: "Add"}}, Output: []xsd.QName{{Space: "http://tempuri.org/", Local: "AddResponse"}}}
	for _, tc := range []struct {
		name    string
		plan    *engine.Plan
		op      *engine.SOAPOperation
		soapAPI bool
		body    string
		hdr     []string
		want    outcome
		rules   []string
		detail  string
	}{
		{"doc: a valid SOAP 1.2 request", doc, nil, false, soapBody(soap12Add, "2"), []string{"Content-Type", "application/soap+xml"}, outcome{}, nil, ""},
		{"doc: any content type is read as SOAP 1.2", doc, nil, false, soapBody(soap12Add, "2"), []string{"Content-Type", "text/plain"}, outcome{}, nil, ""},
		{"doc: a payload value of the wrong type", doc, nil, false, soapBody(soap12Add, "two"), []string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: conform + "The '" + tns + ":b' element is invalid - The value 'two' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int' - The string 'two' is not a valid Int32 value. Path '/Envelope/Body/Add/b'. Line: 5, Position: 25"},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"doc: a SOAP 1.1 envelope where 1.2 is expected", doc, nil, false, soapBody(soap11Add, "2"), []string{"Content-Type", "text/xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				details: conform + "The 'http://schemas.xmlsoap.org/soap/envelope/:Envelope' element is not declared. Path '/Envelope'. Line: 1, Position: 2"},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"doc: an operation the schema does not declare", doc, nil, false,
			`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Multiply xmlns="http://tempuri.org/"/></e:Body></e:Envelope>`, []string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "The '" + tns + ":Multiply' element is not declared. Path '/Envelope/Body/Multiply'. Line: 1, Position: 72"},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"doc: an envelope without a Body", doc, nil, false,
			`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Header/></e:Envelope>`, []string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				details: "The element 'Envelope' in namespace 'http://www.w3.org/2003/05/soap-envelope' has incomplete content. List of possible elements expected: 'Body' in namespace 'http://www.w3.org/2003/05/soap-envelope'."},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"doc: a Body twice", doc, nil, false,
			`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/><e:Body/></e:Envelope>`, []string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				details: "The element 'Envelope' in namespace 'http://www.w3.org/2003/05/soap-envelope' has invalid child element 'Body' in namespace 'http://www.w3.org/2003/05/soap-envelope'."},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"doc: not XML", doc, nil, false, `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>`, []string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "The body is not well-formed XML"},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"doc: a DOCTYPE is refused (no entity expansion)", doc, nil, false, `<!DOCTYPE e [<!ENTITY x "y">]><e/>`, []string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "a DOCTYPE (or other directive) is not allowed"},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},

		{"xml: a valid document", xml, nil, false, `<Add xmlns="http://tempuri.org/"><a>1</a><b>2</b></Add>`, []string{"Content-Type", "application/xml"}, outcome{}, nil, ""},
		{"xml: children out of order", xml, nil, false, `<Add xmlns="http://tempuri.org/"><b>2</b><a>1</a></Add>`, []string{"Content-Type", "application/xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "Body of the request does not conform to the definition myschema, which is associated with the content type application/xml.\n\n" +
					"The element 'Add' in namespace '" + tns + "' has invalid child element 'b' in namespace '" + tns + "'. List of possible elements expected: 'a' in namespace '" + tns + "'. Path '/Add/b'. Line: 1, Position: 35"},
			[]string{"RequestBody/application/xml/IncorrectMessage/prevent"}, ""},
		{"xml: a content type without a content element", xml, nil, false, `{}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest}, []string{"ApiSchema///prevent"}, ""},
		{"xml: a schema importing another schema resource", imports, nil, false, `<order xmlns="urn:order"><total>1.25</total></order>`, []string{"Content-Type", "application/xml"}, outcome{}, nil, ""},
		{"xml: the imported type's facet", imports, nil, false, `<order xmlns="urn:order"><total>1.255</total></order>`, []string{"Content-Type", "application/xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "according to its datatype 'urn:common:Money' - The FractionDigits constraint failed."},
			[]string{"RequestBody/application/xml/IncorrectMessage/prevent"}, ""},
		{"xml: another schema resource's element is not a root", imports, nil, false, `<Add xmlns="http://tempuri.org/"><a>1</a><b>2</b></Add>`, []string{"Content-Type", "application/xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "The 'http://tempuri.org/:Add' element is not declared."},
			[]string{"RequestBody/application/xml/IncorrectMessage/prevent"}, ""},
		{"xml: no body, nothing to validate", xml, nil, false, ``, []string{"Content-Type", "application/xml"}, outcome{}, nil, ""},

		{"wsdl: SOAP 1.1 valid", wsdl, nil, true, soapBody(soap11Add, "2"), []string{"Content-Type", "text/xml; charset=utf-8"}, outcome{}, nil, ""},
		{"wsdl: SOAP 1.1 invalid, detected", wsdl, nil, true, soapBody(soap11Add, "x"), []string{"Content-Type", "text/xml"},
			outcome{}, []string{"RequestBody/text/xml/IncorrectMessage/detect"},
			"Body of the request does not conform to the definition Add, which is associated with the content type text/xml.\n\nThe '" + tns + ":b' element is invalid"},
		{"wsdl: SOAP 1.2 invalid, prevented", wsdl, nil, true, soapBody(soap12Add, "9999999999"), []string{"Content-Type", "application/soap+xml; action=\"http://tempuri.org/ICalculator/Add\""},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "The string '9999999999' is not a valid Int32 value."},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"wsdl: a SOAP 1.2 envelope sent as text/xml (SOAP 1.1)", wsdl, nil, true, soapBody(soap12Add, "1"), []string{"Content-Type", "text/xml"},
			outcome{}, []string{"RequestBody/text/xml/IncorrectMessage/detect"}, "The 'http://www.w3.org/2003/05/soap-envelope:Envelope' element is not declared."},
		{"wsdl: a content type the policy does not list", wsdl, nil, true, `{}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "Unspecified content type application/json is not allowed."},
			[]string{"RequestBody/application/json/Unspecified/prevent"}, ""},
		{"wsdl: xml validated against the WSDL's schemas", wsdl, nil, true, `<Add xmlns="http://tempuri.org/"><a>1</a></Add>`, []string{"Content-Type", "application/xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				details: "The element 'Add' in namespace '" + tns + "' has incomplete content. List of possible elements expected: 'b' in namespace '" + tns + "'."},
			[]string{"RequestBody/application/xml/IncorrectMessage/prevent"}, ""},
		{"wsdl: the operation's element", wsdl, addOp, true, soapBody(soap11Add, "2"), []string{"Content-Type", "text/xml"}, outcome{}, nil, ""},
		{"wsdl: another operation's element", wsdl, addOp, true, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Subtract xmlns="http://tempuri.org/"><a>1</a><b>2</b></Subtract></s:Body></s:Envelope>`,
			[]string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "Body of the request does not conform to the definition Subtract, which is associated with the content type application/soap+xml.\n\n" +
					"The element 'Body' in namespace 'http://www.w3.org/2003/05/soap-envelope' has invalid child element 'Subtract' in namespace '" + tns + "'. List of possible elements expected: 'Add' in namespace '" + tns + "'. Path '/Envelope/Body/Subtract'. Line: 1, Position: 72"},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"wsdl: an empty Body", wsdl, addOp, true, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`,
			[]string{"Content-Type", "application/soap+xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				details: "Body of the request does not conform to the definition Add, which is associated with the content type application/soap+xml.\n\n" +
					"The element 'Body' in namespace 'http://www.w3.org/2003/05/soap-envelope' has incomplete content. List of possible elements expected: 'Add' in namespace '" + tns + "'."},
			[]string{"RequestBody/application/soap+xml/IncorrectMessage/prevent"}, ""},
		{"wsdl: an RPC-style operation's payload is not validated", wsdl, &engine.SOAPOperation{RPC: true}, true,
			`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Add xmlns="urn:rpc"><x>1</x></Add></s:Body></s:Envelope>`,
			[]string{"Content-Type", "application/soap+xml"}, outcome{}, nil, ""},
		{"wsdl: an API without schemas", wsdl, nil, false, soapBody(soap11Add, "2"), []string{"Content-Type", "text/xml"},
			outcome{}, []string{"ApiSchema///detect"}, "API's schema does not exist or it could not be resolved."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httpRequest("POST", "http://gw/calc")
			defer s.Release()
			if tc.soapAPI {
				engine.SetSOAPSchemas(s.Context().Api, calc)
			}
			if tc.op != nil {
				s.Context().Operation = &engine.Operation{Id: "Add", Name: "Add", Method: "POST", UrlTemplate: "/?soapAction=Add", SOAP: tc.op}
			}
			withBody(s, tc.body, tc.hdr...)
			vn := "v"
			if tc.plan == doc {
				vn = "requestBodyValidation"
			}
			got := runValidate(t, tc.plan, engine.Inbound, s, vn)
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
		})
	}
}

// TestValidateContentXMLResponse: a SOAP response is validated outbound;
// a bad one is a 502 that does not leak the details.
func TestValidateContentXMLResponse(t *testing.T) {
	plan := compile(t, testDeps(), outboundDoc(`<validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent" errors-variable-name="r">
    <content type="text/xml" validate-as="soap" schema-id="myschema" action="prevent" />
</validate-content>`))
	ok := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><AddResponse xmlns="http://tempuri.org/"><AddResult>3</AddResult></AddResponse></s:Body></s:Envelope>`
	fault := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>`
	bad := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><AddResponse xmlns="http://tempuri.org/"><Result>3</Result></AddResponse></s:Body></s:Envelope>`
	for _, tc := range []struct {
		name  string
		body  string
		want  outcome
		rules []string
	}{
		{"valid", ok, outcome{}, nil},
		{"a fault passes", fault, outcome{}, nil},
		{"invalid: 502", bad, outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError,
			details: "The element 'AddResponse' in namespace 'http://tempuri.org/' has invalid child element 'Result' in namespace 'http://tempuri.org/'. List of possible elements expected: 'AddResult' in namespace 'http://tempuri.org/'."},
			[]string{"ResponseBody/text/xml/IncorrectMessage/prevent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httpRequest("POST", "http://gw/calc")
			defer s.Release()
			s.SetResponse(response(200, tc.body, "Content-Type", "text/xml"))
			got := runValidate(t, plan, engine.Outbound, s, "r")
			checkOutcome(t, got, tc.want, tc.rules, "")
		})
	}
}

// BenchmarkValidateContentSOAP validates a SOAP 1.2 request against a
// schema resource (APIM's SOAP example).
func BenchmarkValidateContentSOAP(b *testing.B) {
	example, err := os.ReadFile("testdata/apim-docs/validate-content-soap.xml")
	if err != nil {
		b.Fatal(err)
	}
	plan := compile(b, testDeps(), string(example))
	body := soapBody(soap12Add, "2")
	b.ReportAllocs()
	for b.Loop() {
		s := httpRequest("POST", "http://gw/calc")
		withBody(s, body, "Content-Type", "application/soap+xml")
		if plan.Run(b.Context(), engine.Inbound, s) {
			b.Fatal(s.LastError())
		}
		s.Release()
	}
}
