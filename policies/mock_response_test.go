package policies

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
)

// petsSpec describes GET /pets/{id} with examples, schemas and none.
const petsSpec = `openapi: 3.0.1
info: {title: Pets, version: "1.0"}
paths:
  /pets/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
            application/xml:
              example: "<pet><name>Rex</name></pet>"
        "201":
          description: created
          content:
            application/json:
              example: {id: 7, name: "Rex & <Fido>"}
        "202":
          description: accepted
          content:
            application/json:
              examples:
                zebra: {value: {first: false}}
                alpha: {value: {first: true}}
        "4XX":
          description: client error
          content:
            application/problem+json:
              schema:
                type: object
                properties:
                  title: {type: string, example: "Not found"}
                  status: {type: integer, minimum: 400}
        "204": {description: empty}
components:
  schemas:
    Pet:
      type: object
      properties:
        name: {type: string}
        id: {type: integer, format: int64}
        born: {type: string, format: date}
        tags: {type: array, items: {type: string, enum: [cat, dog]}}
        kind: {type: string, default: "mammal"}
        password: {type: string, writeOnly: true}
        owner: {$ref: "#/components/schemas/Owner"}
        parent: {$ref: "#/components/schemas/Pet"}
        choice:
          oneOf:
            - {type: number}
            - {type: string}
    Owner:
      allOf:
        - type: object
          properties:
            email: {type: string, format: email}
        - type: object
          properties:
            active: {type: boolean}
`

func petsOperation(t *testing.T) *engine.Operation {
	t.Helper()
	l := openapi3.NewLoader()
	l.IncludeOrigin = true
	doc, err := l.LoadFromData([]byte(petsSpec))
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Value("/pets/{id}")
	return &engine.Operation{Id: "get", Method: "GET", UrlTemplate: "/pets/{id}",
		Spec: &engine.OperationSpec{Doc: doc, Path: "/pets/{id}", Item: item, Op: item.Get}}
}

// TestMockResponseFromDescription: as APIM, the body is the operation's
// example for the status and media type, else a sample of its schema,
// else empty; without content-type the first media type is used and sent.
func TestMockResponseFromDescription(t *testing.T) {
	op := petsOperation(t)
	for _, tc := range []struct {
		name, policy, wantCT, wantBody string
		wantStatus                     int
	}{
		{"schema sample, first media type", `<mock-response/>`, "application/json", `{
  "name": "string",
  "id": 0,
  "born": "2024-01-01",
  "tags": [
    "cat"
  ],
  "kind": "mammal",
  "owner": {
    "email": "user@example.com",
    "active": true
  },
  "parent": null,
  "choice": 0
}`, 200},
		{"named media type", `<mock-response status-code="200" content-type="application/xml"/>`, "application/xml", "<pet><name>Rex</name></pet>", 200},
		{"example", `<mock-response status-code="201" content-type="application/json"/>`, "application/json", `{
  "id": 7,
  "name": "Rex & <Fido>"
}`, 201},
		{"first of examples in document order", `<mock-response status-code="202"/>`, "application/json", `{
  "first": false
}`, 202},
		{"status range, property example and minimum", `<mock-response status-code="404"/>`, "application/problem+json", `{
  "title": "Not found",
  "status": 400
}`, 404},
		{"no content", `<mock-response status-code="204"/>`, "", "", 204},
		{"media type not described", `<mock-response status-code="200" content-type="text/csv"/>`, "text/csv", "", 200},
		{"status not described", `<mock-response status-code="500"/>`, "", "", 500},
		{"the element's text wins", `<mock-response status-code="200" content-type="application/json">{"mine":1}</mock-response>`, "application/json", `{"mine":1}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), tc.policy)
			for range 2 { // the second answer comes from the cache
				s := request("http://gw/pets/1")
				s.Context().Operation = op
				if !runInbound(plan, s) {
					t.Fatal("mock-response did not end the pipeline")
				}
				r := s.Response()
				body := ""
				if r.Body != nil {
					body, _ = r.Body.AsString()
				}
				if r.StatusCode != tc.wantStatus || r.Headers.GetValueOrDefault("Content-Type", "") != tc.wantCT || body != tc.wantBody {
					t.Fatalf("got %d %q\n%s\nwant %d %q\n%s", r.StatusCode, r.Headers.GetValueOrDefault("Content-Type", ""), body, tc.wantStatus, tc.wantCT, tc.wantBody)
				}
				s.Release()
			}
		})
	}
	// Without an operation (or one without a description) the body is empty.
	plan := compile(t, testDeps(), `<mock-response/>`)
	s := request("http://gw/pets/1")
	defer s.Release()
	if !plan.Run(context.Background(), engine.Inbound, s) || s.Response().Body != nil && bodyString(s.Response().Body) != "" {
		t.Fatalf("no operation: %+v", s.Response())
	}
}

// A description whose schemas nest deeply or refer to themselves gives a
// bounded sample.
func TestMockSampleBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\npaths:\n  /x:\n    get:\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/N0\"}\ncomponents:\n  schemas:\n")
	for i := range 40 {
		b.WriteString("    N" + strconv.Itoa(i) + ":\n      type: object\n      properties:\n        next: {$ref: \"#/components/schemas/N" + strconv.Itoa(i+1) + "\"}\n        self: {$ref: \"#/components/schemas/N" + strconv.Itoa(i) + "\"}\n")
	}
	b.WriteString("    N40: {type: string}\n")
	l := openapi3.NewLoader()
	l.IncludeOrigin = true
	doc, err := l.LoadFromData([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Value("/x")
	mb := mockFromSpec(&engine.OperationSpec{Doc: doc, Path: "/x", Item: item, Op: item.Get}, 200, "")
	if mb == nil || strings.Count(string(mb.body), `"next"`) != maxSampleDepth+1 || !strings.Contains(string(mb.body), `"self": null`) {
		t.Fatalf("sample:\n%s", mb.body)
	}
}

func bodyString(b *engine.Body) string {
	s, _ := b.AsString()
	return s
}

// Objects that fan out (five properties, each the next level's object)
// stop at maxSampleValues values, where they would have 5^10.
func TestMockSampleFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\npaths:\n  /x:\n    get:\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: \"#/components/schemas/L0\"}\ncomponents:\n  schemas:\n")
	for i := range 12 {
		b.WriteString("    L" + strconv.Itoa(i) + ":\n      type: object\n      properties:\n")
		for p := range 5 {
			b.WriteString("        p" + strconv.Itoa(p) + ": {$ref: \"#/components/schemas/L" + strconv.Itoa(i+1) + "\"}\n")
		}
	}
	b.WriteString("    L12: {type: string}\n")
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Value("/x")
	mb := mockFromSpec(&engine.OperationSpec{Doc: doc, Path: "/x", Item: item, Op: item.Get}, 200, "")
	if n := strings.Count(string(mb.body), ":"); mb == nil || n > maxSampleValues || n < maxSampleValues/2 {
		t.Fatalf("%d values in %d bytes", n, len(mb.body))
	}
}

// FuzzMockSample: whatever a loadable description says, the answer worked
// out from it is bounded and, for a JSON media type, valid JSON.
func FuzzMockSample(f *testing.F) {
	f.Add([]byte(petsSpec), 200)
	f.Add([]byte(petsSpec), 404)
	f.Add([]byte("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: array, items: {type: object, properties: {a: {type: number, minimum: 1.5}}}}\n"), 200)
	f.Fuzz(func(t *testing.T, data []byte, code int) {
		l := openapi3.NewLoader()
		l.IncludeOrigin = true
		doc, err := l.LoadFromData(data)
		if err != nil || doc.Paths == nil {
			return
		}
		if doc.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation()) != nil {
			return
		}
		for path, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				mb := mockFromSpec(&engine.OperationSpec{Doc: doc, Path: path, Item: item, Op: op}, code, "")
				if mb == nil {
					continue
				}
				if isJSONMedia(mb.ct) && len(mb.body) > 0 && !json.Valid(mb.body) {
					t.Fatalf("not JSON for %s:\n%s", mb.ct, mb.body)
				}
				if len(mb.body) > len(data)*4+maxSampleValues*64 {
					t.Fatalf("%d bytes from a %d-byte description", len(mb.body), len(data))
				}
			}
		}
	})
}
