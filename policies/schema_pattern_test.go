package policies

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
)

// patternSpec is an OpenAPI document whose schemas have patterns RE2
// cannot run (look-ahead) and a catastrophic one, in a request body, a
// query parameter, request headers and a response header.
const patternSpec = `openapi: 3.0.3
info: {title: accounts, version: "1"}
paths:
  /accounts:
    post:
      parameters:
        - {name: code, in: query, schema: {type: string, pattern: '^(?=.*[A-Z])(?=.*\d).{8,}$'}}
        - {name: X-Ref, in: header, schema: {type: string, pattern: '^(a+)+$'}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [password]
              properties:
                password: {type: string, pattern: '^(?=.*[A-Z])(?=.*\d).{8,}$'}
                nick: {type: string, pattern: '^(a+)+$'}
                tags: {type: array, items: {type: string, pattern: '^\w+$'}}
      responses:
        "200":
          description: ok
          headers:
            X-Token: {schema: {type: string, pattern: '^(?=.*\d)[A-Za-z\d]{8,}$'}}
`

// patternSpecOnce loads patternSpec as the gateway does: its patterns
// compiled at load on .NET's engine.
var patternSpecOnce = sync.OnceValues(func() (*openapi3.T, error) {
	d, err := openapi3.NewLoader().LoadFromData([]byte(patternSpec))
	if err != nil {
		return nil, err
	}
	return d, d.Validate(context.Background(), openapi3.SetRegexCompiler(OpenAPIRegex))
})

// withPatternOp puts patternSpec's POST /accounts on s.
func withPatternOp(t testing.TB, s *engine.State) *engine.State {
	t.Helper()
	d, err := patternSpecOnce()
	if err != nil {
		t.Fatal(err)
	}
	item := d.Paths.Value("/accounts")
	op := item.Post
	s.Context().Operation = &engine.Operation{Id: "create", Name: "create", Method: "POST", UrlTemplate: "/accounts",
		Spec: &engine.OperationSpec{Doc: d, Path: "/accounts", Item: item, Op: op}}
	return s
}

// hostile is a value on which ^(a+)+$ backtracks exponentially.
var hostile = strings.Repeat("a", 40) + "!"

// TestSchemaPatterns: look-ahead patterns load and validate (accept and
// refuse) in a JSON Schema resource, an OpenAPI operation's body schema,
// its parameters and its response headers; a catastrophic pattern on a
// hostile value ends with the value refused, the message naming the
// property and the pattern but never quoting the value.
func TestSchemaPatterns(t *testing.T) {
	resource := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" schema-id="account" action="prevent" />
</validate-content>`)
	spec := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" action="prevent" />
</validate-content>`)
	const conformRes = "Body of the request does not conform to the definition account, which is associated with the content type application/json.\n\n"
	const conformSpec = "Body of the request does not conform to the definition /accountsRequest, which is associated with the content type application/json.\n\n"
	stopped := outcome{stopped: true, status: 400, reason: ReasonBadRequest}
	rule := []string{"RequestBody/application/json/IncorrectMessage/prevent"}
	for _, tc := range []struct {
		name   string
		plan   *engine.Plan
		body   string
		want   outcome
		rules  []string
		detail string
	}{
		{"resource: a password with an upper-case letter and a digit", resource, `{"password":"Secret123"}`, outcome{}, nil, ""},
		{"resource: a password without a digit", resource, `{"password":"SecretPass"}`, stopped, rule,
			conformRes + `'SecretPass' does not match pattern '^(?=.*[A-Z])(?=.*\\d).{8,}$'. Path 'password'.`},
		{"resource: a password too short", resource, `{"password":"Ab1"}`, stopped, rule, "does not match pattern"},
		{"resource: ECMAScript's \\w is ASCII", resource, `{"password":"Secret123","tags":["ok_1","café"]}`, stopped, rule, "Path 'tags.1'."},
		{"resource: patternProperties with a negative look-ahead", resource, `{"password":"Secret123","x-a":"one"}`, stopped, rule, "Path 'x-a'."},
		{"resource: a name the negative look-ahead excludes", resource, `{"password":"Secret123","x-internal":"one"}`, outcome{}, nil, ""},
		{"resource: a catastrophic pattern on a hostile value is refused", resource, `{"password":"Secret123","nick":"` + hostile + `"}`, stopped, rule,
			conformRes + "Matching the value against the pattern '^(a+)+$' "},
		{"resource: a hostile value ends the validation: the body's other errors are not reported", resource, `{"password":"SecretPass","nick":"` + hostile + `"}`, stopped, rule,
			conformRes + "Matching the value against the pattern '^(a+)+$' "},
		{"resource: the catastrophic pattern on a good value", resource, `{"password":"Secret123","nick":"aaaa"}`, outcome{}, nil, ""},

		{"spec: a password with an upper-case letter and a digit", spec, `{"password":"Secret123"}`, outcome{}, nil, ""},
		{"spec: a password without an upper-case letter", spec, `{"password":"secret123"}`, stopped, rule,
			conformSpec + `string doesn't match the regular expression "^(?=.*[A-Z])(?=.*\d).{8,}$" Path 'password'.`},
		{"spec: ECMAScript's \\w is ASCII", spec, `{"password":"Secret123","tags":["café"]}`, stopped, rule, "Path 'tags.0'."},
		{"spec: a catastrophic pattern on a hostile value is refused", spec, `{"password":"Secret123","nick":"` + hostile + `"}`, stopped, rule,
			conformSpec + "Matching the value against the pattern '^(a+)+$' did not end within tollgate's limit of 500 ms: the value is refused. Path 'nick'. Line: 1, Position: 74"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withPatternOp(t, httpRequest("POST", "http://gw/accounts"))
			defer s.Release()
			withBody(s, tc.body, "Content-Type", "application/json")
			got := runValidate(t, tc.plan, engine.Inbound, s, "v")
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
			if strings.Contains(tc.name, "hostile") {
				checkLimitMessage(t, got, "Path 'nick'.")
			}
		})
	}
}

// checkLimitMessage: a match past the limits is refused with a message
// that says so, names where, and never quotes the value.
func checkLimitMessage(t *testing.T, got outcome, path string) {
	t.Helper()
	if len(got.errors) == 0 {
		t.Fatal("no error recorded")
	}
	d := got.errors[0]["Details"].(string)
	if !strings.Contains(d, "the value is refused.") || !strings.Contains(d, path) {
		t.Errorf("Details %q: want the limit's message with %s", d, path)
	}
	for _, m := range []string{d, got.message, got.details} {
		if strings.Contains(m, "aaaaaaaa") {
			t.Errorf("the value is quoted: %q", m)
		}
	}
}

func TestSchemaPatternsParameters(t *testing.T) {
	plan := compile(t, testDeps(), `<validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="ignore" errors-variable-name="v" />`)
	for _, tc := range []struct {
		name   string
		url    string
		hdr    []string
		want   outcome
		rules  []string
		detail string
	}{
		{"a query value matching its look-ahead pattern", "http://gw/accounts?code=Abcdefg1", nil, outcome{}, nil, ""},
		{"a query value without a digit", "http://gw/accounts?code=Abcdefgh", nil,
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "The value of the query parameter code does not conform to the definition.\n\nstring doesn't match the regular expression \"^(?=.*[A-Z])(?=.*\\d).{8,}$\""},
			[]string{"QueryParameter/code/IncorrectMessage/prevent"}, ""},
		{"a header on a catastrophic pattern, hostile", "http://gw/accounts", []string{"X-Ref", hostile},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "The value of the header X-Ref does not conform to the definition.\n\nMatching the value against the pattern '^(a+)+$' "},
			[]string{"RequestHeader/X-Ref/IncorrectMessage/prevent"}, ""},
		{"a header on a catastrophic pattern, good", "http://gw/accounts", []string{"X-Ref", "aaaa"}, outcome{}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withPatternOp(t, httpRequest("POST", tc.url, tc.hdr...))
			defer s.Release()
			got := runValidate(t, plan, engine.Inbound, s, "v")
			if tc.want.message != "" {
				if !strings.HasPrefix(got.message, tc.want.message) {
					t.Errorf("client message %q\nwant it to start with %q", got.message, tc.want.message)
				}
				tc.want.message = ""
			}
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
			if strings.Contains(tc.name, "hostile") {
				checkLimitMessage(t, got, "")
			}
		})
	}
}

func TestSchemaPatternsHeaders(t *testing.T) {
	plan := compile(t, testDeps(), outboundDoc(`<validate-headers specified-header-action="prevent" unspecified-header-action="ignore" errors-variable-name="v" />`))
	for _, tc := range []struct {
		name  string
		token string
		want  outcome
		rules []string
	}{
		{"a token with a digit", "abcdefg1", outcome{}, nil},
		{"a token without a digit", "abcdefgh", outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError,
			details: "Value of the header X-Token does not conform to the definition.\n\nstring doesn't match the regular expression"},
			[]string{"ResponseHeader/X-Token/IncorrectMessage/prevent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withPatternOp(t, httpRequest("POST", "http://gw/accounts"))
			defer s.Release()
			s.SetResponse(response(200, `{}`, "X-Token", tc.token))
			got := runValidate(t, plan, engine.Outbound, s, "v")
			checkOutcome(t, got, tc.want, tc.rules, "")
		})
	}
}

// A JSON Schema resource whose pattern does not parse is a load error that
// names the schema and .NET's reason.
func TestSchemaPatternLoadError(t *testing.T) {
	_, errs := compileErrs(testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent">
    <content type="application/json" validate-as="json" schema-id="badpattern" action="prevent" />
</validate-content>`)
	msg := errs.Error()
	for _, want := range []string{`policy.xml:2:`, `schema "badpattern" (schemas/badpattern/schemaInformation.json)`, "Not enough )'s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("load errors %q: want %q", msg, want)
		}
	}
}

// contactSpec is contactSchema as an OpenAPI operation's body.
const contactSpec = `openapi: 3.0.3
info: {title: contacts, version: "1"}
paths:
  /contacts:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [email, zip]
              properties:
                email: {type: string, pattern: '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'}
                zip: {type: string, pattern: '^\d{5}(-\d{4})?$'}
                country: {type: string, pattern: '^[A-Z]{2}$'}
                phone: {type: string, pattern: '^\+?[0-9 ()-]{7,20}$'}
                tags: {type: array, items: {type: string, pattern: '^[a-z][a-z0-9-]*$'}}
      responses: {"200": {description: ok}}
`

const contactBody = `{"email":"ann.smith@example.com","zip":"98052-6399","country":"US","phone":"+1 (425) 555-0100","tags":["customer","vip","west-coast"]}`

// BenchmarkValidateContentPatterns validates a typical body with five
// patterns (eight values matched) against a JSON Schema resource and an
// OpenAPI operation's schema.
func BenchmarkValidateContentPatterns(b *testing.B) {
	d, err := openapi3.NewLoader().LoadFromData([]byte(contactSpec))
	if err == nil {
		err = d.Validate(context.Background(), openapi3.SetRegexCompiler(OpenAPIRegex))
	}
	if err != nil {
		b.Fatal(err)
	}
	item := d.Paths.Value("/contacts")
	for _, bc := range []struct {
		name, policy string
	}{
		{"resource", `<validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
    <content type="application/json" validate-as="json" schema-id="contact" action="prevent" /></validate-content>`},
		{"openapi", `<validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
    <content type="application/json" validate-as="json" action="prevent" /></validate-content>`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			plan := compile(b, testDeps(), bc.policy)
			b.ReportAllocs()
			for b.Loop() {
				s := httpRequest("POST", "http://gw/contacts")
				s.Context().Operation = &engine.Operation{Id: "c", Name: "c", Method: "POST", UrlTemplate: "/contacts",
					Spec: &engine.OperationSpec{Doc: d, Path: "/contacts", Item: item, Op: item.Post}}
				withBody(s, contactBody, "Content-Type", "application/json")
				if plan.Run(b.Context(), engine.Inbound, s) {
					b.Fatal(s.LastError())
				}
				s.Release()
			}
		})
	}
}
