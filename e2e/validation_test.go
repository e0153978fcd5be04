package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// validationSpec is the API's OpenAPI specification (specification.yaml).
const validationSpec = `openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    post:
      operationId: createPet
      parameters:
        - {name: dryRun, in: query, schema: {type: boolean}}
        - {name: X-Client, in: header, schema: {type: string, maxLength: 8}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        "201":
          description: created
          headers:
            X-Pet-Id: {schema: {type: integer}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{petId}:
    get:
      operationId: showPetById
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: a pet
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer}
        name: {type: string}
`

// validationPolicy uses every validation policy with the given action;
// the errors variables are echoed in response headers so a test sees what
// detect recorded.
func validationPolicy(act string) string {
	return fmt.Sprintf(`<policies>
  <inbound>
    <validate-parameters specified-parameter-action="%[1]s" unspecified-parameter-action="%[1]s" errors-variable-name="paramErrors">
      <headers specified-parameter-action="%[1]s" unspecified-parameter-action="ignore" />
    </validate-parameters>
    <validate-content unspecified-content-type-action="%[1]s" max-size="1024" size-exceeded-action="%[1]s" errors-variable-name="requestBodyValidation">
      <content-type-map missing-content-type-value="application/json" />
      <content type="application/json" validate-as="json" action="%[1]s" allow-additional-properties="false" />
    </validate-content>
  </inbound>
  <backend><forward-request/></backend>
  <outbound>
    <validate-status-code unspecified-status-code-action="%[1]s" errors-variable-name="statusErrors" />
    <validate-headers specified-header-action="%[1]s" unspecified-header-action="%[1]s" errors-variable-name="headerErrors" />
    <validate-content unspecified-content-type-action="%[1]s" max-size="1024" size-exceeded-action="%[1]s" errors-variable-name="responseBodyValidation">
      <content type="application/json" validate-as="json" action="%[1]s" />
    </validate-content>
    <set-header name="X-Errors" exists-action="override">
      <value>@(toJSON([context.Variables["paramErrors"], context.Variables["requestBodyValidation"], context.Variables["statusErrors"], context.Variables["headerErrors"], context.Variables["responseBodyValidation"]]))</value>
    </set-header>
  </outbound>
  <on-error/>
</policies>`, act)
}

// TestValidationPolicies runs the four validation policies through the
// gateway against a real backend, in prevent mode (blocked with APIM's
// status and body) and detect mode (passed, errors recorded and logged).
func TestValidationPolicies(t *testing.T) {
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		switch r.Header.Get("X-Backend") {
		case "status":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "stack trace: secret internals")
			return
		case "header":
			w.Header().Set("X-Powered-By", "PHP/5.4")
		case "body":
			body = []byte(`{"id":"seven"}`)
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.Header().Set("X-Pet-Id", "7")
			w.WriteHeader(http.StatusCreated)
		} else {
			body = []byte(`{"id":7,"name":"Rex"}`)
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	for _, act := range []string{"prevent", "detect"} {
		testutil.WriteFile(t, filepath.Join(dir, act, "api.xml"),
			fmt.Sprintf(`<api name="%s" type="http" path="/%s" service-url=%q/>`, act, act, backend.URL))
		testutil.WriteFile(t, filepath.Join(dir, act, "specification.yaml"), validationSpec)
		testutil.WriteFile(t, filepath.Join(dir, act, "policy.xml"), validationPolicy(act))
	}
	core, logs := observer.New(zapcore.InfoLevel)
	gwURL := serveGateway(t, gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Log: zap.New(core)}),
		Log:      zap.NewNop(),
		Getenv:   func(string) string { return "" },
	})

	const internal = "The request could not be processed due to an internal error. Contact the API owner."
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		status                   int    // prevent
		message                  string // prevent: the client's message ("" : the backend's answer)
		reached                  bool   // prevent: the backend was called
		detected                 string // detect: contained in X-Errors
	}{
		{"valid", "POST", "/pets?dryRun=true", `{"name":"Rex"}`, []string{"X-Client", "cli"}, 201, "", true, ""},
		{"valid get", "GET", "/pets/7", "", nil, 200, "", true, ""},
		{"query parameter type", "POST", "/pets?dryRun=maybe", `{"name":"Rex"}`, nil, 400,
			"Value of the query parameter dryRun couldn't be parsed according to the definition. \n\ncannot parse: the value is not a boolean", false, "QueryParameter"},
		{"unspecified query parameter", "POST", "/pets?debug=1", `{"name":"Rex"}`, nil, 400, "Unspecified query parameter debug is not allowed.", false, "Unspecified query parameter debug"},
		{"header too long", "POST", "/pets", `{"name":"Rex"}`, []string{"X-Client", "a-very-long-client"}, 400,
			"The value of the header X-Client does not conform to the definition.\n\nmaximum string length is 8", false, "RequestHeader"},
		{"path parameter", "GET", "/pets/0", "", nil, 400, "The value of the path parameter petId does not conform to the definition.\n\nnumber must be at least 1", false, "PathParameter"},
		{"body missing required property", "POST", "/pets", `{"id":1}`, nil, 400,
			"Body of the request does not conform to the definition Pet, which is associated with the content type application/json.\n\nproperty \"name\" is missing Path 'name'. Line: 1, Position: 1", false, "IncorrectMessage"},
		{"body additional property", "POST", "/pets", `{"name":"Rex","color":"red"}`, nil, 400, "", false, "property \\\"color\\\" is unsupported"},
		{"invalid JSON", "POST", "/pets", `{"name":`, nil, 400, "", false, "The body is not valid JSON"},
		{"deeply nested JSON", "POST", "/pets", strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200), nil, 400, "", false, "RequestBody"},
		{"wrong content type", "POST", "/pets", `name=Rex`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 400,
			"Unspecified content type application/x-www-form-urlencoded is not allowed.", false, "Unspecified content type"},
		{"body over max-size", "POST", "/pets", `{"name":"` + strings.Repeat("x", 2000) + `"}`, nil, 400,
			"Request's body is 2011 bytes long and it exceeds the limit of 1024 bytes.", false, "SizeLimit"},
		{"backend status not in the spec", "POST", "/pets", `{"name":"Rex"}`, []string{"X-Backend", "status"}, 502, internal, true, "Response status code 500 is not allowed."},
		{"backend header not in the spec", "POST", "/pets", `{"name":"Rex"}`, []string{"X-Backend", "header"}, 502, internal, true, "Unspecified header X-Powered-By is not allowed."},
		{"backend body not conforming", "POST", "/pets", `{"name":"Rex"}`, []string{"X-Backend", "body"}, 502, internal, true, "Body of the response does not conform"},
	} {
		for _, act := range []string{"prevent", "detect"} {
			t.Run(act+"/"+tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, gwURL+"/"+act+tc.path, strings.NewReader(tc.body))
				if tc.body == "" {
					req, _ = http.NewRequest(tc.method, gwURL+"/"+act+tc.path, nil)
				}
				req.Header.Set("Content-Type", "application/json")
				for i := 0; i+1 < len(tc.hdr); i += 2 {
					req.Header.Set(tc.hdr[i], tc.hdr[i+1])
				}
				before := calls.Load()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				reached := calls.Load() > before
				if act == "detect" || tc.status < 400 {
					// Detect never blocks: the backend's answer comes through.
					if !reached || resp.StatusCode >= 400 && tc.name != "backend status not in the spec" {
						t.Fatalf("detect blocked: %d %s (backend reached %v)", resp.StatusCode, body, reached)
					}
					if got := strings.Join(strings.Fields(resp.Header.Get("X-Errors")), ""); !strings.Contains(got, strings.ReplaceAll(tc.detected, " ", "")) || (tc.detected == "") != (got == "[[],[],[],[],[]]") {
						t.Errorf("X-Errors = %s, want it to contain %q", got, tc.detected)
					}
					return
				}
				if resp.StatusCode != tc.status || reached != tc.reached {
					t.Fatalf("status %d (backend reached %v), want %d (%v): %s", resp.StatusCode, reached, tc.status, tc.reached, body)
				}
				var e struct {
					StatusCode int    `json:"statusCode"`
					Message    string `json:"message"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.StatusCode != tc.status {
					t.Fatalf("body %s is not APIM's error shape", body)
				}
				if tc.message != "" && e.Message != tc.message {
					t.Errorf("message %q\nwant %q", e.Message, tc.message)
				}
				if bytes.Contains(body, []byte("secret internals")) {
					t.Errorf("the backend's error leaked: %s", body)
				}
			})
		}
	}
	if n := logs.FilterMessageSnippet("validation error").FilterField(zap.String("action", "detect")).Len(); n < 10 {
		t.Errorf("%d detect validation errors logged, want one per detected case", n)
	}

	// Hostile: a huge chunked body is refused without the gateway reading it all.
	t.Run("huge chunked body", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(gwURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST /prevent/pets HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := strings.Repeat("x", 64<<10)
		go func() {
			for i := 0; i < 4096; i++ { // up to 256 MiB unless the gateway answers first
				if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return
				}
			}
		}()
		line := make([]byte, 12)
		if _, err := io.ReadFull(conn, line); err != nil {
			t.Fatalf("no answer: %v", err)
		}
		// Chunked, the body has no length to check against max-size: it is
		// read up to the API's max-body-size, and the gateway's own limit
		// answers first (413, hardening) or validate-content's (400).
		if s := string(line); s != "HTTP/1.1 400" && s != "HTTP/1.1 413" {
			t.Errorf("answer %q, want 400 or 413", s)
		}
	})
}
