package policies

import (
	"testing"

	"tollgate/engine"
)

func TestValidateHeaders(t *testing.T) {
	// APIM's example, as written.
	doc := compile(t, testDeps(), outboundDoc(`<validate-headers specified-header-action="ignore" unspecified-header-action="prevent" errors-variable-name="responseHeadersValidation" />`))
	strict := compile(t, testDeps(), outboundDoc(`<validate-headers specified-header-action="prevent" unspecified-header-action="detect" errors-variable-name="v">
    <header name="x-powered-by" action="ignore" />
</validate-headers>`))
	for _, tc := range []struct {
		name    string
		plan    *engine.Plan
		varName string
		resp    *engine.Response
		want    outcome
		rules   []string
		detail  string
	}{
		{"doc: declared and message headers only", doc, "responseHeadersValidation",
			response(200, `[]`, "Content-Type", "application/json", "Content-Length", "2", "Date", "Fri, 04 Dec 2026 17:00:00 GMT", "X-Rate-Limit", "5"), outcome{}, nil, ""},
		{"doc: specified header is ignored", doc, "responseHeadersValidation", response(200, `[]`, "X-Rate-Limit", "lots"), outcome{}, nil, ""},
		{"doc: unspecified header is prevented with 502", doc, "responseHeadersValidation", response(200, `[]`, "X-Rate-Limit", "5", "X-Powered-By", "PHP/5.4"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError, details: "Unspecified header X-Powered-By is not allowed."},
			[]string{"ResponseHeader/X-Powered-By/Unspecified/prevent"}, ""},
		{"doc: a status without declared headers", doc, "responseHeadersValidation", response(404, ``, "X-Rate-Limit", "5"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError},
			[]string{"ResponseHeader/X-Rate-Limit/Unspecified/prevent"}, ""},

		{"strict: bad value", strict, "v", response(200, `[]`, "X-Rate-Limit", "-1"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError,
				details: "Value of the header X-Rate-Limit does not conform to the definition.\n\nnumber must be at least 0"},
			[]string{"ResponseHeader/X-Rate-Limit/IncorrectMessage/prevent"}, ""},
		{"strict: unparsable value", strict, "v", response(200, `[]`, "X-Rate-Limit", "many"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, details: "Value of the header X-Rate-Limit couldn't be parsed according to the definition."},
			[]string{"ResponseHeader/X-Rate-Limit/IncorrectMessage/prevent"}, ""},
		{"strict: two values", strict, "v", response(200, `[]`, "X-Rate-Limit", "1", "X-Rate-Limit", "2"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, details: "Response cannot contain multiple values for the header X-Rate-Limit."},
			[]string{"ResponseHeader/X-Rate-Limit/IncorrectMessage/prevent"}, ""},
		{"strict: required header missing", strict, "v", response(200, `[]`),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, details: "The header is required but missing."},
			[]string{"ResponseHeader/X-Rate-Limit/IncorrectMessage/prevent"}, ""},
		{"strict: override ignores one, others detected", strict, "v", response(200, `[]`, "X-Rate-Limit", "3", "X-Powered-By", "x", "Server", "y"),
			outcome{}, []string{"ResponseHeader/Server/Unspecified/detect"}, "Unspecified header Server is not allowed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withOp(t, httpRequest("GET", "http://gw/pets"), "GET", "/pets")
			defer s.Release()
			s.SetResponse(tc.resp)
			got := runValidate(t, tc.plan, engine.Outbound, s, tc.varName)
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
		})
	}
}

func TestValidateStatusCode(t *testing.T) {
	// APIM's example, as written.
	doc := compile(t, testDeps(), outboundDoc(`<validate-status-code unspecified-status-code-action="prevent" errors-variable-name="responseStatusCodeValidation" />`))
	override := compile(t, testDeps(), outboundDoc(`<validate-status-code unspecified-status-code-action="@(&quot;prevent&quot;)" errors-variable-name="v">
    <status-code code="500" action="detect" />
    <status-code code="200" action="prevent" />
</validate-status-code>`))
	for _, tc := range []struct {
		name         string
		plan         *engine.Plan
		varName      string
		method, path string
		status       int
		want         outcome
		rules        []string
	}{
		{"doc: declared 200", doc, "responseStatusCodeValidation", "GET", "/pets", 200, outcome{}, nil},
		{"doc: declared 404", doc, "responseStatusCodeValidation", "GET", "/pets", 404, outcome{}, nil},
		{"doc: undeclared 500 is prevented", doc, "responseStatusCodeValidation", "GET", "/pets", 500,
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError, details: "Response status code 500 is not allowed."},
			[]string{"StatusCode/500/Unspecified/prevent"}},
		{"doc: 418 within the declared 4XX range", doc, "responseStatusCodeValidation", "POST", "/pets", 418, outcome{}, nil},
		{"doc: default covers every status", doc, "responseStatusCodeValidation", "GET", "/pets/{petId}", 503, outcome{}, nil},
		{"override: 500 only detected", override, "v", "GET", "/pets", 500, outcome{}, []string{"StatusCode/500/Unspecified/detect"}},
		{"override: a declared code is not affected", override, "v", "GET", "/pets", 200, outcome{}, nil},
		{"override: other codes prevented", override, "v", "GET", "/pets", 502,
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed}, []string{"StatusCode/502/Unspecified/prevent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withOp(t, httpRequest(tc.method, "http://gw/pets"), tc.method, tc.path)
			defer s.Release()
			s.SetResponse(response(tc.status, ""))
			got := runValidate(t, tc.plan, engine.Outbound, s, tc.varName)
			checkOutcome(t, got, tc.want, tc.rules, "")
		})
	}
}
