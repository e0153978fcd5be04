package policies

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tollgate/engine"
)

// APIM's "JSON schema validation" example, as written.
const docValidateContentJSON = `<validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="requestBodyValidation">
    <content-type-map missing-content-type-value="application/json">
        <type from="application/hal+json" to="application/json" />
    </content-type-map>
    <content type="application/json" validate-as="json" action="detect" allow-additional-properties="false" />
</validate-content>`

func TestValidateContentRequest(t *testing.T) {
	doc := compile(t, testDeps(), docValidateContentJSON)
	prevent := compile(t, testDeps(), `<validate-content unspecified-content-type-action="detect" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" action="prevent" />
</validate-content>`)
	schemaRef := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" schema-ref="#/components/schemas/address" action="prevent" />
</validate-content>`)
	missingRef := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" schema-ref="#/components/schemas/Nope" action="prevent" />
</validate-content>`)
	allowMore := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content validate-as="json" action="prevent" allow-additional-properties="true" />
</validate-content>`)
	anyType := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="detect" errors-variable-name="v">
    <content-type-map any-content-type-value="application/json">
        <type when="@(context.Request.Headers.GetValueOrDefault(&quot;X-Raw&quot;, &quot;&quot;) == &quot;1&quot;)" to="text/plain" />
    </content-type-map>
    <content type="application/json" validate-as="json" action="prevent" />
</validate-content>`)

	// deployed policies ask for more than APIM's page allows (with a support request)
	large := compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="524288" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" action="prevent" />
</validate-content>`)

	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, tc := range []struct {
		name    string
		plan    *engine.Plan
		varName string
		method  string
		path    string
		body    string
		hdr     []string
		want    outcome
		rules   []string
		detail  string // contained in the first error's Details
	}{
		{"doc: valid body", doc, "requestBodyValidation", "POST", "/pets", `{"name":"Rex","tag":"dog"}`, []string{"Content-Type", "application/json"},
			outcome{}, nil, ""},
		{"doc: missing required property is detected", doc, "requestBodyValidation", "POST", "/pets", `{"tag":"dog"}`, []string{"Content-Type", "application/json; charset=utf-8"},
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"},
			"Body of the request does not conform to the definition Pet, which is associated with the content type application/json.\n\nproperty \"name\" is missing"},
		{"doc: additional property is detected (allow-additional-properties=false)", doc, "requestBodyValidation", "POST", "/pets", `{"name":"Rex","color":"red"}`, []string{"Content-Type", "application/json"},
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"}, "property \"color\" is unsupported"},
		{"doc: additional property in a nested $ref", doc, "requestBodyValidation", "POST", "/pets", `{"name":"Rex","owner":{"name":"Ann","age":3}}`, []string{"Content-Type", "application/json"},
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"}, "Path 'owner'. Line: 1, Position: 23"},
		{"doc: hal+json is mapped to application/json", doc, "requestBodyValidation", "POST", "/pets", `{"name":""}`, []string{"Content-Type", "application/hal+json"},
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"}, "minimum string length is 1"},
		{"doc: missing content type is mapped to application/json", doc, "requestBodyValidation", "POST", "/pets", `{"name":7}`, nil,
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"}, "value must be a string"},
		{"doc: unspecified content type is prevented", doc, "requestBodyValidation", "POST", "/pets", `<pet/>`, []string{"Content-Type", "application/xml"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "Unspecified content type application/xml is not allowed.", details: "Unspecified content type application/xml is not allowed."},
			[]string{"RequestBody/application/xml/Unspecified/prevent"}, ""},
		{"doc: text/plain is in the spec but has no content element: not validated", doc, "requestBodyValidation", "POST", "/pets", `anything`, []string{"Content-Type", "text/plain"},
			outcome{}, nil, ""},
		{"doc: Content-Length over max-size is prevented without reading", doc, "requestBodyValidation", "POST", "/pets", "", []string{"Content-Type", "application/json", "Content-Length", "204800"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "Request's body is 204800 bytes long and it exceeds the limit of 102400 bytes.",
				details: "Request's body is 204800 bytes long and it exceeds the configured limit of 102400 bytes."},
			[]string{"RequestBody//SizeLimit/prevent"}, ""},
		{"doc: a body without Content-Length over max-size", doc, "requestBodyValidation", "POST", "/pets", `{"name":"` + strings.Repeat("x", 102400) + `"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "Request's body is 102411 bytes long and it exceeds the limit of 102400 bytes."},
			[]string{"RequestBody//SizeLimit/prevent"}, ""},
		{"doc: invalid JSON is detected with line and position", doc, "requestBodyValidation", "POST", "/pets", "{\n  \"name\": \"Rex\",,\n}", []string{"Content-Type", "application/json"},
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"}, "Line: 2, Position: 17"},
		{"doc: deeply nested JSON is an error, not a crash", doc, "requestBodyValidation", "POST", "/pets", deep, []string{"Content-Type", "application/json"},
			outcome{}, []string{"RequestBody/application/json/IncorrectMessage/detect"}, "exceeded max depth"},
		{"doc: an operation without a body and no body", doc, "requestBodyValidation", "GET", "/pets", "", nil, outcome{}, nil, ""},

		{"prevent: bad body is blocked with APIM's message", prevent, "v", "POST", "/pets", `{"id":"seven","name":"Rex"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest,
				message: "Body of the request does not conform to the definition Pet, which is associated with the content type application/json.\n\nvalue must be an integer Path 'id'. Line: 1, Position: 13",
				details: "Body of the request does not conform to the definition Pet"},
			[]string{"RequestBody/application/json/IncorrectMessage/prevent"}, ""},
		{"prevent: unspecified content type only detected", prevent, "v", "POST", "/pets", `x`, []string{"Content-Type", "application/octet-stream"},
			outcome{}, []string{"RequestBody/application/octet-stream/Unspecified/detect"}, "Unspecified content type application/octet-stream is not allowed."},
		{"prevent: no specification", prevent, "v", "", "", `{}`, []string{"Content-Type", "application/json"},
			outcome{}, []string{"ApiSchema///detect"}, "API's schema does not exist or it could not be resolved."},
		{"schema-ref: the named component is used", schemaRef, "v", "POST", "/pets", `{"name":"Rex"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "definition address, which is associated with the content type application/json.\n\nproperty \"street\" is missing"},
			[]string{"RequestBody/application/json/IncorrectMessage/prevent"}, ""},
		{"schema-ref: a component the specification does not have", missingRef, "v", "POST", "/pets", `{"name":"Rex"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: internalError,
				details: "API's schema does not contain definition Nope, which is associated with the content type application/json."},
			[]string{"RequestBody/application/json/MissingDefinition/prevent"}, ""},
		{"strict schema: additional property is prevented", prevent, "v", "PUT", "/pets/{petId}", `{"name":"Rex","color":"red"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "definition StrictPet"},
			[]string{"RequestBody/application/json/IncorrectMessage/prevent"}, ""},
		{"allow-additional-properties=true overrides the schema", allowMore, "v", "PUT", "/pets/{petId}", `{"name":"Rex","color":"red"}`, []string{"Content-Type", "application/json"},
			outcome{}, nil, ""},
		{"allow-additional-properties=true still checks types", allowMore, "v", "PUT", "/pets/{petId}", `{"name":1,"color":"red"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "value must be a string"},
			[]string{"RequestBody/application/json/IncorrectMessage/prevent"}, ""},
		{"any-content-type-value: text/xml validated as JSON", anyType, "v", "POST", "/pets", `{"name":"Rex"}`, []string{"Content-Type", "text/xml"},
			outcome{}, nil, ""},
		{"content without type: every type of the spec, text/plain as JSON", allowMore, "v", "POST", "/pets", `not json`, []string{"Content-Type", "text/plain"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "The body is not valid JSON"},
			[]string{"RequestBody/text/plain/IncorrectMessage/prevent"}, ""},
		{"required body missing", prevent, "v", "POST", "/pets", "", []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, details: "The request body is required."},
			[]string{"RequestBody/application/json/IncorrectMessage/prevent"}, ""},
		{"type when: expression maps to text/plain", anyType, "v", "POST", "/pets", `not json`, []string{"Content-Type", "application/json", "X-Raw", "1"},
			outcome{}, nil, ""},
		{"max-size over APIM's 102,400 (a notice at load): a 200 KB body is validated", large, "v", "POST", "/pets", `{"name":"` + strings.Repeat("x", 200000) + `"}`, []string{"Content-Type", "application/json"},
			outcome{}, nil, ""},
		{"max-size over APIM's 102,400: a larger body is still refused by size", large, "v", "POST", "/pets", `{"name":"` + strings.Repeat("x", 600000) + `"}`, []string{"Content-Type", "application/json"},
			outcome{stopped: true, status: 400, reason: ReasonBadRequest, message: "Request's body is 600011 bytes long and it exceeds the limit of 524288 bytes."},
			[]string{"RequestBody//SizeLimit/prevent"}, ""},
		{"size-exceeded detect: recorded, body not validated", anyType, "v", "POST", "/pets", `{}`, []string{"Content-Type", "application/json", "Content-Length", "5000"},
			outcome{}, []string{"RequestBody//SizeLimit/detect"}, "Request's body is 5000 bytes long and it exceeds the configured limit of 1000 bytes."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httpRequest(coalesce(tc.method, "POST"), "http://gw/pets")
			defer s.Release()
			if tc.path != "" {
				withOp(t, s, tc.method, tc.path)
			}
			withBody(s, tc.body, tc.hdr...)
			if tc.body == "" && strings.Contains(tc.name, "without reading") {
				s.Context().Request.Body = engine.NewLazyBody(func() ([]byte, error) {
					t.Error("the body was read")
					return nil, errors.New("read")
				})
			}
			got := runValidate(t, tc.plan, engine.Inbound, s, tc.varName)
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
		})
	}
}

func TestValidateContentResponse(t *testing.T) {
	plan := compile(t, testDeps(), outboundDoc(`<validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent" errors-variable-name="respBody">
    <content type="application/json" validate-as="json" action="prevent" />
</validate-content>`))
	for _, tc := range []struct {
		name   string
		resp   *engine.Response
		want   outcome
		rules  []string
		detail string
	}{
		{"valid 201", response(201, `{"name":"Rex"}`, "Content-Type", "application/json"), outcome{}, nil, ""},
		{"bad body: 502 without details for the client", response(201, `{"id":"x"}`, "Content-Type", "application/json"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError,
				details: "Body of the response does not conform to the definition Pet, which is associated with the content type application/json."},
			[]string{"ResponseBody/application/json/IncorrectMessage/prevent"}, ""},
		{"response content type not in the spec", response(201, `<x/>`, "Content-Type", "text/html"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError, details: "Unspecified content type text/html is not allowed."},
			[]string{"ResponseBody/text/html/Unspecified/prevent"}, ""},
		{"response over max-size", response(201, "", "Content-Type", "application/json", "Content-Length", "4096"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError,
				details: "Response's body is 4096 bytes long and it exceeds the configured limit of 1024 bytes."},
			[]string{"ResponseBody//SizeLimit/prevent"}, ""},
		{"a 4XX without content in the spec", response(404, `{"error":"x"}`, "Content-Type", "application/json"),
			outcome{stopped: true, status: 502, reason: ReasonResponseNotAllowed, message: internalError},
			[]string{"ResponseBody/application/json/Unspecified/prevent"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withOp(t, httpRequest("POST", "http://gw/pets"), "POST", "/pets")
			defer s.Release()
			s.SetResponse(tc.resp)
			got := runValidate(t, plan, engine.Outbound, s, "respBody")
			checkOutcome(t, got, tc.want, tc.rules, tc.detail)
		})
	}
}

func checkOutcome(t *testing.T, got, want outcome, wantRules []string, detail string) {
	t.Helper()
	if got.stopped != want.stopped || got.status != want.status || got.reason != want.reason {
		t.Errorf("stopped %v status %d reason %q, want %v %d %q (details %q)", got.stopped, got.status, got.reason, want.stopped, want.status, want.reason, got.details)
	}
	if want.message != "" && got.message != want.message {
		t.Errorf("client message %q\nwant %q", got.message, want.message)
	}
	if !strings.Contains(got.details, want.details) {
		t.Errorf("LastError.Message %q\nwant it to contain %q", got.details, want.details)
	}
	if r := rules(got.errors); !slices.Equal(r, wantRules) {
		t.Errorf("errors %v, want %v (%v)", r, wantRules, got.errors)
	}
	if detail != "" && (len(got.errors) == 0 || !strings.Contains(got.errors[0]["Details"].(string), detail)) {
		t.Errorf("errors %v: want Details containing %q", got.errors, detail)
	}
}

func coalesce(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// BenchmarkValidateContent validates a small JSON body (APIM's example
// policy, allow-additional-properties="false": the schema copy is cached).
func BenchmarkValidateContent(b *testing.B) {
	plan := compile(b, testDeps(), docValidateContentJSON)
	body := `{"id":7,"name":"Rex","tag":"dog","owner":{"name":"Ann"}}`
	b.ReportAllocs()
	for b.Loop() {
		s := withOp(b, httpRequest("POST", "http://gw/pets"), "POST", "/pets")
		withBody(s, body, "Content-Type", "application/json", "Content-Length", strconv.Itoa(len(body)))
		if plan.Run(b.Context(), engine.Inbound, s) {
			b.Fatal(s.LastError())
		}
		s.Release()
	}
}

// case-insensitive-property-names (an attribute of APIM's <content>, as
// Microsoft's policy toolkit writes it): property names match without
// case, against the API's specification and against a schema resource.
func TestValidateContentCaseInsensitive(t *testing.T) {
	plan := func(attrs string) *engine.Plan {
		return compile(t, testDeps(), `<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent" errors-variable-name="v">
    <content type="application/json" validate-as="json" action="prevent" `+attrs+` />
</validate-content>`)
	}
	fold, strict := plan(`case-insensitive-property-names="true"`), plan(`case-insensitive-property-names="false"`)
	foldGlobal, global := plan(`schema-id="address" case-insensitive-property-names="true"`), plan(`schema-id="address"`)
	foldNoExtra := plan(`schema-id="address" allow-additional-properties="false" case-insensitive-property-names="true"`)
	bad := outcome{stopped: true, status: 400, reason: ReasonBadRequest}
	for _, tc := range []struct {
		name, method, path, body string
		plan                     *engine.Plan
		want                     outcome
		detail                   string
	}{
		{"spec: required name in capitals, folded", "POST", "/pets", `{"NAME":"Rex","Tag":"dog"}`, fold, outcome{}, ""},
		{"spec: required name in capitals, not folded", "POST", "/pets", `{"NAME":"Rex"}`, strict, bad, `property "name" is missing`},
		{"spec: additionalProperties false, a known name in another case", "PUT", "/pets/{petId}", `{"Name":"Rex"}`, fold, outcome{}, ""},
		{"spec: still an unknown name", "PUT", "/pets/{petId}", `{"Name":"Rex","Color":"red"}`, fold, bad, `property "color" is unsupported`},
		{"spec: types still checked", "POST", "/pets", `{"Name":7}`, fold, bad, "value must be a string"},
		{"spec: two names differing only in case", "POST", "/pets", `{"name":"a","Name":"b"}`, fold, bad, `differ only in case`},
		{"schema: required city in capitals, folded", "POST", "/pets", `{"CITY":"Oslo"}`, foldGlobal, outcome{}, ""},
		{"schema: not folded", "POST", "/pets", `{"CITY":"Oslo"}`, global, bad, "Missing property 'city'"},
		{"schema: folded, no additional properties", "POST", "/pets", `{"City":"Oslo","Zip":"1"}`, foldNoExtra, bad, "Additional properties 'zip' not allowed"},
		{"schema: nested duplicate", "POST", "/pets", `{"city":"Oslo","x":[{"a":1,"A":2}]}`, foldGlobal, bad, `differ only in case`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := httpRequest(tc.method, "http://gw/pets")
			defer s.Release()
			withOp(t, s, tc.method, tc.path)
			withBody(s, tc.body, "Content-Type", "application/json")
			got := runValidate(t, tc.plan, engine.Inbound, s, "v")
			if got.stopped != tc.want.stopped || (tc.want.stopped && got.status != tc.want.status) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if tc.detail != "" && !strings.Contains(got.details+got.message, tc.detail) {
				t.Errorf("details %q, want %q", got.details+got.message, tc.detail)
			}
		})
	}
}

// A max-size over the 102,400 bytes APIM's page allows (it says support can
// raise it, and deployed policies ask for 512 KB to 50 MB) loads with a notice
// naming the value; within it, the value loads quietly; past int32 it is an error.
func TestValidateContentMaxSizeOverAPIMLimit(t *testing.T) {
	for _, tc := range []struct {
		maxSize string
		notice  string
		err     string
	}{
		{"102400", "", ""},
		{"102401", "max-size 102401 is over the 102,400 bytes APIM's page allows", ""},
		{"52428800", "max-size 52428800 is over the 102,400 bytes APIM's page allows", ""},
		{"2147483648", "", `attribute "max-size" must be between 0 and 2147483647, not 2147483648`},
	} {
		t.Run(tc.maxSize, func(t *testing.T) {
			root, err := engine.Read("policy.xml", []byte(`<policies><inbound><validate-content unspecified-content-type-action="ignore" max-size="`+tc.maxSize+`" size-exceeded-action="prevent" /></inbound></policies>`))
			if err != nil {
				t.Fatal(err)
			}
			c := engine.NewCompiler(Registry(testDeps()), engine.NewNamedValues())
			c.Compile(root, "api", nil)
			errs, notices := fmt.Sprint(c.Errors()), strings.Join(c.TakeNotices(), "\n")
			if tc.err == "" && len(c.Errors()) > 0 || tc.err != "" && !strings.Contains(errs, tc.err) {
				t.Errorf("errors %s, want %q", errs, tc.err)
			}
			if tc.notice == "" && notices != "" || tc.notice != "" && !strings.Contains(notices, tc.notice) {
				t.Errorf("notices %q, want %q", notices, tc.notice)
			}
		})
	}
}
