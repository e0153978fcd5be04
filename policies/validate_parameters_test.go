package policies

import (
	"strings"
	"testing"

	"tollgate/engine"
)

// APIM's validate-parameters example, as written.
const docValidateParameters = `<validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent" errors-variable-name="requestParametersValidation"> 
    <headers specified-parameter-action="detect" unspecified-parameter-action="detect">
        <parameter name="Authorization" action="prevent" />
        <parameter name="User-Agent" action="ignore" />
        <parameter name="Host" action="ignore" />
        <parameter name="Referrer" action="ignore" />
    </headers>   
</validate-parameters>`

func TestValidateParameters(t *testing.T) {
	doc := compile(t, testDeps(), docValidateParameters)
	exprActions := compile(t, testDeps(), `<validate-parameters specified-parameter-action="@(context.Request.Headers.GetValueOrDefault(&quot;X-Mode&quot;, &quot;detect&quot;))" unspecified-parameter-action="ignore" errors-variable-name="v">
    <query><parameter name="limit" action="ignore" /></query>
    <path specified-parameter-action="prevent" />
</validate-parameters>`)
	const bearer = "Bearer abc"
	for _, tc := range []struct {
		name    string
		plan    *engine.Plan
		varName string
		path    string // petstore path of the GET operation
		url     string
		hdr     []string
		params  map[string]string // matched path parameters
		want    outcome
		rules   []string
		detail  string
	}{
		{"doc: valid", doc, "requestParametersValidation", "/pets", "http://gw/pets?limit=10&tags=a&tags=b", []string{"Authorization", bearer, "User-Agent", "curl"}, nil,
			outcome{}, nil, ""},
		{"doc: comma-separated array", doc, "requestParametersValidation", "/pets", "http://gw/pets?tags=a,b", []string{"Authorization", bearer}, nil,
			outcome{}, nil, ""},
		{"doc: query value cannot be parsed", doc, "requestParametersValidation", "/pets", "http://gw/pets?limit=ten", []string{"Authorization", bearer}, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "Value of the query parameter limit couldn't be parsed according to the definition. \n\ncannot parse: the value is not an integer",
				details: "Value of the query parameter limit cannot be parsed according to the definition."},
			[]string{"QueryParameter/limit/IncorrectMessage/prevent"}, ""},
		{"doc: query value does not conform", doc, "requestParametersValidation", "/pets", "http://gw/pets?limit=500", []string{"Authorization", bearer}, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "The value of the query parameter limit does not conform to the definition.\n\nnumber must be at most 100",
				details: "Value of the query parameter limit does not conform to the definition."},
			[]string{"QueryParameter/limit/IncorrectMessage/prevent"}, ""},
		{"doc: multiple values", doc, "requestParametersValidation", "/pets", "http://gw/pets?limit=1&limit=2", []string{"Authorization", bearer}, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "Request cannot contain multiple values for the query parameter limit."},
			[]string{"QueryParameter/limit/IncorrectMessage/prevent"}, ""},
		{"doc: unspecified query parameter", doc, "requestParametersValidation", "/pets", "http://gw/pets?debug=1", []string{"Authorization", bearer}, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "Unspecified query parameter debug is not allowed."},
			[]string{"QueryParameter/debug/Unspecified/prevent"}, ""},
		{"doc: missing Authorization is prevented", doc, "requestParametersValidation", "/pets", "http://gw/pets", nil, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "The value of the header Authorization does not conform to the definition.\n\nThe header is required but missing."},
			[]string{"RequestHeader/Authorization/IncorrectMessage/prevent"}, ""},
		{"doc: Authorization not matching its pattern", doc, "requestParametersValidation", "/pets", "http://gw/pets", []string{"Authorization", "Basic abc"}, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "Value of the header Authorization does not conform to the definition."},
			[]string{"RequestHeader/Authorization/IncorrectMessage/prevent"}, ""},
		{"doc: other headers are only detected", doc, "requestParametersValidation", "/pets", "http://gw/pets", []string{"Authorization", bearer, "X-Trace", "maybe", "X-Extra", "1", "Host", "gw", "Referrer", "x"}, nil,
			outcome{}, []string{"RequestHeader/X-Trace/IncorrectMessage/detect", "RequestHeader/X-Extra/Unspecified/detect"}, "Value of the header X-Trace cannot be parsed according to the definition."},
		{"doc: path parameter below its minimum", doc, "requestParametersValidation", "/pets/{petId}", "http://gw/pets/0", nil, map[string]string{"petId": "0"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "The value of the path parameter petId does not conform to the definition.\n\nnumber must be at least 1"},
			[]string{"PathParameter/petId/IncorrectMessage/prevent"}, ""},
		{"doc: path parameter not an integer", doc, "requestParametersValidation", "/pets/{petId}", "http://gw/pets/abc", nil, map[string]string{"petId": "abc"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "Value of the path parameter petId cannot be parsed"},
			[]string{"PathParameter/petId/IncorrectMessage/prevent"}, ""},
		{"doc: valid path parameter", doc, "requestParametersValidation", "/pets/{petId}", "http://gw/pets/7", nil, map[string]string{"petId": "7"},
			outcome{}, nil, ""},

		{"expression action detect (default header)", exprActions, "v", "/pets", "http://gw/pets?limit=ten&x=1", []string{"Authorization", "Basic"}, nil,
			outcome{}, []string{"RequestHeader/Authorization/IncorrectMessage/detect"}, ""},
		{"expression action prevent", exprActions, "v", "/pets", "http://gw/pets?limit=ten", []string{"Authorization", "Basic", "X-Mode", "prevent"}, nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest}, []string{"RequestHeader/Authorization/IncorrectMessage/prevent"}, ""},
		{"path section overrides the policy", exprActions, "v", "/pets/{petId}", "http://gw/pets/0", nil, map[string]string{"petId": "0"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest}, []string{"PathParameter/petId/IncorrectMessage/prevent"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withOp(t, httpRequest("GET", tc.url, tc.hdr...), "GET", tc.path)
			defer s.Release()
			s.Context().Request.MatchedParameters = tc.params
			got := runValidate(t, tc.plan, engine.Inbound, s, tc.varName)
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
		})
	}

	// A bad action from an expression fails the policy.
	s := withOp(t, httpRequest("GET", "http://gw/pets", "X-Mode", "block"), "GET", "/pets")
	defer s.Release()
	if !runInbound(exprActions, s) || s.LastError() == nil || s.LastError().Source != "validate-parameters" {
		t.Errorf("a bad expression action did not fail: %+v", s.LastError())
	}
}

// TestValidateParametersNoValueInErrors: an invalid header or parameter
// may be a credential, so no error text (client message, LastError,
// errors variable) quotes its value.
func TestValidateParametersNoValueInErrors(t *testing.T) {
	plan := compile(t, testDeps(), docValidateParameters)
	for _, v := range []string{"Basic s3cr3t", "s3cr3t", "Bearer"} {
		s := withOp(t, httpRequest("GET", "http://gw/pets?limit=s3cr3t&tags=s3cr3t", "Authorization", v, "X-Trace", "s3cr3t"), "GET", "/pets")
		o := runValidate(t, plan, engine.Inbound, s, "requestParametersValidation")
		if !o.stopped || len(o.errors) < 2 {
			t.Fatalf("%q: not refused: %+v", v, o)
		}
		texts := []string{o.message, o.details}
		for _, e := range o.errors {
			texts = append(texts, e["Details"].(string))
		}
		for _, x := range texts {
			if strings.Contains(x, "s3cr3t") {
				t.Errorf("%q: an error quotes the value: %q", v, x)
			}
		}
		s.Release()
	}
}
