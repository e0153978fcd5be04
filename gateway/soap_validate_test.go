package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// validate-content on a SOAP API, through a real socket: the WSDL's
// schemas (compiled at load) validate the envelope's payload, which must
// be the matched operation's input element; a bad
// request gets APIM's 400 and error body and never reaches the backend,
// a good one does, in SOAP 1.1 and 1.2.
func TestSOAPValidateContent(t *testing.T) {
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprint(w, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><AddResponse xmlns="http://tempuri.org/"><AddResult>5</AddResult></AddResponse></s:Body></s:Envelope>`)
	})
	wsdl, err := os.ReadFile("testdata/soap/calculator.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "calc/api.xml", fmt.Sprintf(`<api name="calc" type="soap" path="/calc" service-url=%q/>`, rb.url+"/Calculator.svc"))
	writeFile(t, dir, "calc/specification.wsdl", string(wsdl))
	writeFile(t, dir, "calc/policy.xml", `<policies><inbound>
  <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="requestBodyValidation">
    <content type="text/xml" validate-as="soap" action="prevent" />
    <content type="application/soap+xml" validate-as="soap" action="prevent" />
  </validate-content>
</inbound><backend><forward-request/></backend><outbound>
  <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
    <content type="text/xml" validate-as="soap" action="prevent" />
  </validate-content>
</outbound><on-error/></policies>`)
	g := startGateway(t, dir)

	const add11 = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Add xmlns="http://tempuri.org/"><a>2</a><b>%s</b></Add></s:Body></s:Envelope>`
	const add12 = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Add xmlns="http://tempuri.org/"><a>2</a><b>%s</b></Add></s:Body></s:Envelope>`
	v11 := http.Header{"Content-Type": {"text/xml; charset=utf-8"}, "Soapaction": {`"http://tempuri.org/ICalculator/Add"`}}
	v12 := http.Header{"Content-Type": {`application/soap+xml; charset=utf-8; action="http://tempuri.org/ICalculator/Add"`}}
	for _, tc := range []struct {
		name    string
		h       http.Header
		body    string
		status  int
		want    string // the response body (exact for 400, contained for 200)
		reaches bool
	}{
		{"SOAP 1.1, valid", v11, fmt.Sprintf(add11, "3"), 200, "<AddResult>5</AddResult>", true},
		{"SOAP 1.2, valid", v12, fmt.Sprintf(add12, "3"), 200, "<AddResult>5</AddResult>", true},
		{"SOAP 1.1, b is not an int", v11, fmt.Sprintf(add11, "three"), 400,
			`{"statusCode":400,"message":"Body of the request does not conform to the definition Add, which is associated with the content type text/xml.\n\n` +
				`The 'http://tempuri.org/:b' element is invalid - The value 'three' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int' - The string 'three' is not a valid Int32 value. Path '/Envelope/Body/Add/b'. Line: 1, Position: 115"}`, false},
		{"SOAP 1.2, b missing", v12, strings.Replace(fmt.Sprintf(add12, ""), "<b></b>", "", 1), 400,
			`{"statusCode":400,"message":"Body of the request does not conform to the definition Add, which is associated with the content type application/soap+xml.\n\n` +
				`The element 'Add' in namespace 'http://tempuri.org/' has incomplete content. List of possible elements expected: 'b' in namespace 'http://tempuri.org/'. Path '/Envelope/Body/Add'. Line: 1, Position: 72"}`, false},
		{"Add's action with Subtract's payload", v11, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Subtract xmlns="http://tempuri.org/"><a>2</a><b>1</b></Subtract></s:Body></s:Envelope>`, 400,
			`{"statusCode":400,"message":"Body of the request does not conform to the definition Subtract, which is associated with the content type text/xml.\n\n` +
				`The element 'Body' in namespace 'http://schemas.xmlsoap.org/soap/envelope/' has invalid child element 'Subtract' in namespace 'http://tempuri.org/'. List of possible elements expected: 'Add' in namespace 'http://tempuri.org/'. Path '/Envelope/Body/Subtract'. Line: 1, Position: 74"}`, false},
		{"a SOAP 1.2 envelope as SOAP 1.1", http.Header{"Content-Type": {"text/xml"}, "Soapaction": {`"http://tempuri.org/ICalculator/Add"`}}, fmt.Sprintf(add12, "3"), 400,
			`{"statusCode":400,"message":"Body of the request does not conform to the definition Envelope, which is associated with the content type text/xml.\n\n` +
				`The 'http://www.w3.org/2003/05/soap-envelope:Envelope' element is not declared. Path '/Envelope'. Line: 1, Position: 2"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := rb.calls.Load()
			req, _ := http.NewRequest("POST", g.url+"/calc", strings.NewReader(tc.body))
			for k, v := range tc.h {
				req.Header[k] = v
			}
			resp, body := do(t, req.WithContext(testCtx(t)))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 200 && !strings.Contains(body, tc.want) || tc.status != 200 && body != tc.want {
				t.Errorf("body %s\nwant %s", body, tc.want)
			}
			if reached := rb.calls.Load() != calls; reached != tc.reaches {
				t.Errorf("the backend was called: %v, want %v", reached, tc.reaches)
			}
		})
	}
}
