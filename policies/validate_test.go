package policies

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
)

// The validation policies' shared test fixtures: a small OpenAPI document
// (testdata/validation/petstore.yaml) and helpers that put one of its
// operations on a State, as the gateway does for a matched operation.

var petstoreOnce = sync.OnceValues(func() (*openapi3.T, error) {
	data, err := os.ReadFile("testdata/validation/petstore.yaml")
	if err != nil {
		return nil, err
	}
	d, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, err
	}
	return d, d.Validate(context.Background(), openapi3.SetRegexCompiler(OpenAPIRegex)) // as the gateway loads it
})

// withOp puts the petstore's operation method+path on s.
func withOp(t testing.TB, s *engine.State, method, path string) *engine.State {
	t.Helper()
	d, err := petstoreOnce()
	if err != nil {
		t.Fatal(err)
	}
	item := d.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("petstore has no %s %s", method, path)
	}
	op := item.GetOperation(method)
	s.Context().Operation = &engine.Operation{Id: op.OperationID, Name: op.OperationID, Method: method, UrlTemplate: path,
		Spec: &engine.OperationSpec{Doc: d, Path: path, Item: item, Op: op}}
	return s
}

// withBody gives s's request a body and headers (name, value pairs).
func withBody(s *engine.State, body string, hdr ...string) *engine.State {
	r := s.Context().Request
	r.Body = engine.NewBody([]byte(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Headers[hdr[i]] = append(r.Headers[hdr[i]], hdr[i+1])
	}
	return s
}

// response builds a backend response.
func response(status int, body string, hdr ...string) *engine.Response {
	r := engine.NewResponse(status)
	r.Body = engine.NewBody([]byte(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Headers[hdr[i]] = append(r.Headers[hdr[i]], hdr[i+1])
	}
	return r
}

// outcome is what a validation policy did to a request.
type outcome struct {
	stopped bool
	status  int    // the client's status when stopped
	message string // the client's message when stopped
	reason  string // LastError.Reason
	details string // LastError.Message (contains)
	errors  []map[string]any
}

// runValidate runs section of plan on s and reads the outcome, with the
// errors variable named varName.
func runValidate(t testing.TB, plan *engine.Plan, sec engine.Section, s *engine.State, varName string) outcome {
	t.Helper()
	var o outcome
	o.stopped = plan.Run(context.Background(), sec, s)
	if o.stopped {
		r := s.Response()
		o.status = r.StatusCode
		var body struct {
			StatusCode int    `json:"statusCode"`
			Message    string `json:"message"`
		}
		b, _ := r.Body.Bytes()
		if err := json.Unmarshal(b, &body); err != nil || body.StatusCode != r.StatusCode {
			t.Errorf("error body %q is not APIM's shape", b)
		}
		o.message = body.Message
		if le := s.LastError(); le != nil {
			o.reason, o.details = le.Reason, le.Message
			if le.Source == "" || !strings.HasPrefix(le.Source, "validate-") {
				t.Errorf("LastError.Source = %q", le.Source)
			}
		}
	}
	if varName != "" {
		list, ok := s.Variables()[varName].([]any)
		if !ok {
			t.Fatalf("variable %s = %#v, want a list", varName, s.Variables()[varName])
		}
		for _, e := range list {
			o.errors = append(o.errors, e.(map[string]any))
		}
	}
	return o
}

// rules lists "Type/Name/ValidationRule/Action" of each recorded error.
func rules(errs []map[string]any) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e["Type"].(string)+"/"+e["Name"].(string)+"/"+e["ValidationRule"].(string)+"/"+e["Action"].(string))
	}
	return out
}

func outboundDoc(policy string) string {
	return "<policies><inbound/><backend/><outbound>" + policy + "</outbound><on-error/></policies>"
}

// TestValidateConcurrent runs the validation policies from many goroutines
// on one plan and one specification (shared by every request at run time);
// go test -race checks they share nothing mutable.
func TestValidateConcurrent(t *testing.T) {
	plan := compile(t, testDeps(), `<policies><inbound>
  <validate-parameters specified-parameter-action="detect" unspecified-parameter-action="detect" errors-variable-name="p" />
  <validate-content unspecified-content-type-action="detect" max-size="1024" size-exceeded-action="detect" errors-variable-name="b">
    <content validate-as="json" action="detect" allow-additional-properties="false" />
  </validate-content>
</inbound><backend/><outbound>
  <validate-status-code unspecified-status-code-action="detect" />
  <validate-headers specified-header-action="detect" unspecified-header-action="detect" />
</outbound><on-error/></policies>`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s := withOp(t, httpRequest("GET", "http://gw/pets?limit=5&x="+strconv.Itoa(i), "Authorization", "Bearer "+strconv.Itoa(g)), "GET", "/pets")
				withBody(s, `{"name":"Rex","extra":1}`, "Content-Type", "application/json")
				if plan.Run(context.Background(), engine.Inbound, s) {
					t.Errorf("detect stopped: %+v", s.LastError())
				}
				s.SetResponse(response(200+i%2, `[]`, "X-Rate-Limit", "x"))
				if plan.Run(context.Background(), engine.Outbound, s) {
					t.Errorf("detect stopped: %+v", s.LastError())
				}
				if len(s.Variables()["p"].([]any)) != 1 {
					t.Errorf("parameter errors %v", s.Variables()["p"])
				}
				s.Release()
			}
		})
	}
	wg.Wait()
}
