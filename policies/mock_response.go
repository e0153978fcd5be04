package policies

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"mime"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/engine"
	"tollgate/internal/boundcache"
)

// <mock-response status-code="200" content-type="application/json">optional body</mock-response>
// Ends the pipeline and answers without calling the backend (in outbound:
// replaces the backend's response). status-code defaults to 200,
// content-type is optional; both take expressions (a tollgate extension).
// As in APIM, the body comes from the matched operation's OpenAPI
// description: the response for the status code (or its range, 2XX), the
// media type content-type names (without it, the first in the document,
// which then becomes the Content-Type), and there its example, else the
// first of its examples, else a sample generated from its schema; with none
// of these the body is empty. The element's text, when it has one (a
// tollgate extension: a literal or an expression), is the body instead.
// Sections: inbound, outbound, on-error (APIM).
type mockResponse struct {
	status      engine.Int
	contentType *engine.Str
	body        *engine.Str
	// samples: a description's answer, worked out once per operation,
	// status and type (bounded: the status and type may be expressions)
	samples *boundcache.Map[mockKey, *mockBody]
}

type mockKey struct {
	spec   *engine.OperationSpec
	status int
	ct     string
}

// mockBody is what an operation's description gives for a status and
// media type: the media type (when chosen here) and the body.
type mockBody struct {
	ct   string
	body []byte
}

// maxMockSamples bounds the cache of answers worked out from descriptions.
const maxMockSamples = 1024

func (k *kit) parseMockResponse(p *engine.Parser) engine.Step {
	m := &mockResponse{status: p.Int("status-code", 200, 100, 599), samples: boundcache.New[mockKey, *mockBody](maxMockSamples)}
	if p.Has("content-type") {
		ct := p.Str("content-type", "")
		if ct.IsConst() {
			if _, _, err := mime.ParseMediaType(ct.Const()); err != nil {
				p.ErrorAt(p.Node().Attr("content-type").ValuePos, "attribute \"content-type\" must be a media type such as application/json, not %q", ct.Const())
			}
		}
		m.contentType = &ct
	}
	if p.HasText() {
		b := p.TextStr()
		m.body = &b
	}
	return m
}

func (m *mockResponse) Run(_ context.Context, s *engine.State) error {
	code, err := m.status.Eval(s)
	if err != nil {
		return err
	}
	resp := engine.NewResponse(int(code))
	ct := ""
	if m.contentType != nil {
		if ct, err = m.contentType.Eval(s); err != nil {
			return err
		}
		if ct != "" {
			resp.Headers["Content-Type"] = []string{ct}
		}
	}
	if m.body != nil {
		b, err := m.body.Eval(s)
		if err != nil {
			return err
		}
		resp.Body = engine.NewBody([]byte(b))
	} else if spec := opSpec(s); spec != nil {
		if mb := m.fromSpec(spec, int(code), ct); mb != nil {
			if ct == "" && mb.ct != "" {
				resp.Headers["Content-Type"] = []string{mb.ct}
			}
			if len(mb.body) > 0 {
				resp.Body = engine.NewBody(mb.body)
			}
			s.Tracef("mock %d from the operation's description (%s, %d bytes)", code, mb.ct, len(mb.body))
		}
	}
	s.SetResponse(resp)
	s.Tracef("mock %d", code)
	s.Stop()
	return nil
}

// fromSpec is the answer the operation's description gives, worked out
// once per operation, status and media type (nil: nothing there).
func (m *mockResponse) fromSpec(spec *engine.OperationSpec, code int, ct string) *mockBody {
	k := mockKey{spec, code, ct}
	if mb, ok := m.samples.Get(k); ok {
		return mb
	}
	return m.samples.Put(k, mockFromSpec(spec, code, ct))
}

// mockFromSpec finds the response for code (exact, else its range) and in
// it the media type ct (or the first one), and gives its example or a
// sample of its schema.
func mockFromSpec(spec *engine.OperationSpec, code int, ct string) *mockBody {
	if spec.Op.Responses == nil {
		return nil
	}
	rr := spec.Op.Responses.Status(code)
	if rr == nil || rr.Value == nil || len(rr.Value.Content) == 0 {
		return nil
	}
	var name string
	var mt *openapi3.MediaType
	if ct != "" {
		mt = rr.Value.Content.Get(ct)
		name = ct
	} else {
		name = firstMediaType(rr.Value.Content)
		mt = rr.Value.Content[name]
	}
	if mt == nil {
		return nil
	}
	out := &mockBody{ct: name}
	var v any
	switch {
	case mt.Example != nil:
		v = mt.Example
	case len(mt.Examples) > 0:
		for _, ex := range orderedExamples(mt.Examples) {
			if ex.Value != nil && ex.Value.Value != nil {
				v = ex.Value.Value
				break
			}
		}
	}
	if v == nil && mt.Schema != nil {
		sp := &sampler{left: maxSampleValues}
		v = sp.of(mt.Schema, 0, nil)
	}
	if v == nil {
		return out
	}
	if isJSONMedia(name) {
		out.body = encodeSample(v)
	} else if str, ok := v.(string); ok {
		out.body = []byte(str) // XML, text...: a string example as written
	}
	return out
}

func isJSONMedia(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(ct)
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// at is an element's place in its document (0, 0 when unknown).
func at(o *openapi3.Origin) (int, int) {
	if o == nil || o.Key == nil {
		return 0, 0
	}
	return o.Key.Line, o.Key.Column
}

// inDocumentOrder sorts names by their place in the document, then by name.
func inDocumentOrder(names []string, origin func(string) *openapi3.Origin) {
	slices.SortFunc(names, func(a, b string) int {
		la, ca := at(origin(a))
		lb, cb := at(origin(b))
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(ca, cb), strings.Compare(a, b))
	})
}

func firstMediaType(c openapi3.Content) string {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	inDocumentOrder(names, func(k string) *openapi3.Origin { return c[k].Origin })
	return names[0]
}

func orderedExamples(ex openapi3.Examples) []*openapi3.ExampleRef {
	names := make([]string, 0, len(ex))
	for k := range ex {
		names = append(names, k)
	}
	inDocumentOrder(names, func(k string) *openapi3.Origin {
		if r := ex[k]; r.Origin != nil || r.Value == nil {
			return r.Origin
		}
		return ex[k].Value.Origin
	})
	out := make([]*openapi3.ExampleRef, len(names))
	for i, k := range names {
		out[i] = ex[k]
	}
	return out
}

// sample is a value generated from a schema, objects keeping their
// properties in document order.
type sampleObject struct {
	keys []string
	vals []any
}

// A sample nests at most maxSampleDepth deep and holds at most
// maxSampleValues values: a description whose objects fan out cannot make
// one large.
const (
	maxSampleDepth  = 10
	maxSampleValues = 2000
)

type sampler struct{ left int }

// of generates a value a schema describes: its example, default or first
// enum value where it has one, else one by type (objects with every
// property but write-only ones, arrays of one item). A schema met again
// inside itself, past maxSampleDepth or past maxSampleValues, gives null.
func (sp *sampler) of(r *openapi3.SchemaRef, depth int, seen []*openapi3.Schema) any {
	if sp.left <= 0 {
		return nil
	}
	sp.left-- // a null counts too: it is written
	if r == nil || r.Value == nil || depth > maxSampleDepth || slices.Contains(seen, r.Value) {
		return nil
	}
	sc := r.Value
	switch {
	case sc.Example != nil:
		return sc.Example
	case sc.Default != nil:
		return sc.Default
	case len(sc.Enum) > 0:
		return sc.Enum[0]
	}
	seen = append(seen, sc)
	if len(sc.AllOf) > 0 {
		obj := &sampleObject{}
		for _, part := range sc.AllOf {
			if o, ok := sp.of(part, depth+1, seen).(*sampleObject); ok {
				for i, k := range o.keys {
					obj.set(k, o.vals[i])
				}
			}
		}
		if len(sc.Properties) > 0 {
			o := sp.object(sc, depth, seen)
			for i, k := range o.keys {
				obj.set(k, o.vals[i])
			}
		}
		return obj
	}
	for _, alts := range []openapi3.SchemaRefs{sc.OneOf, sc.AnyOf} {
		if len(alts) > 0 {
			return sp.of(alts[0], depth+1, seen)
		}
	}
	typ := ""
	if sc.Type != nil && len(*sc.Type) > 0 {
		typ = (*sc.Type)[0]
		if typ == "null" && len(*sc.Type) > 1 {
			typ = (*sc.Type)[1]
		}
	}
	switch {
	case typ == "object" || typ == "" && len(sc.Properties) > 0:
		return sp.object(sc, depth, seen)
	case typ == "array":
		item := sp.of(sc.Items, depth+1, seen)
		if item == nil {
			return []any{}
		}
		return []any{item}
	case typ == "string":
		return stringSample(sc.Format)
	case typ == "integer":
		if sc.Min != nil && *sc.Min > 0 {
			return int64(*sc.Min)
		}
		return int64(0)
	case typ == "number":
		if sc.Min != nil && *sc.Min > 0 {
			return *sc.Min
		}
		return int64(0)
	case typ == "boolean":
		return true
	}
	return nil
}

func (sp *sampler) object(sc *openapi3.Schema, depth int, seen []*openapi3.Schema) *sampleObject {
	names := make([]string, 0, len(sc.Properties))
	for k, p := range sc.Properties {
		if p != nil && p.Value != nil && p.Value.WriteOnly {
			continue // a response carries no write-only property
		}
		names = append(names, k)
	}
	inDocumentOrder(names, func(k string) *openapi3.Origin {
		if r := sc.Properties[k]; r.Origin != nil || r.Value == nil {
			return r.Origin
		}
		return sc.Properties[k].Value.Origin
	})
	obj := &sampleObject{}
	for _, k := range names {
		if sp.left <= 0 {
			break // out of values: the rest of the properties are left out
		}
		obj.set(k, sp.of(sc.Properties[k], depth+1, seen))
	}
	return obj
}

func (o *sampleObject) set(k string, v any) {
	if i := slices.Index(o.keys, k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys, o.vals = append(o.keys, k), append(o.vals, v)
}

// stringSample is a string of the format (as Swagger UI's samples are).
func stringSample(format string) string {
	switch format {
	case "date-time":
		return "2024-01-01T00:00:00Z"
	case "date":
		return "2024-01-01"
	case "time":
		return "00:00:00"
	case "email":
		return "user@example.com"
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "uri", "url":
		return "https://example.com/"
	case "hostname":
		return "example.com"
	case "ipv4":
		return "192.0.2.1"
	case "ipv6":
		return "2001:db8::1"
	case "byte":
		return "c3RyaW5n"
	}
	return "string"
}

// encodeSample writes v as JSON, indented by two spaces as APIM's samples
// are; generated objects keep their order, an example's objects are in
// key order (a decoded document does not keep it).
func encodeSample(v any) []byte {
	var b bytes.Buffer
	writeSample(&b, v, "")
	return b.Bytes()
}

func writeSample(b *bytes.Buffer, v any, indent string) {
	switch x := v.(type) {
	case *sampleObject:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, k := range x.keys {
			b.WriteString(indent + "  ")
			writeJSON(b, k, "")
			b.WriteString(": ")
			writeSample(b, x.vals[i], indent+"  ")
			if i < len(x.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range x {
			b.WriteString(indent + "  ")
			writeSample(b, e, indent+"  ")
			if i < len(x)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	default:
		writeJSON(b, x, indent)
	}
}

// writeJSON writes v as encoding/json does, without escaping <, > and &.
func writeJSON(b *bytes.Buffer, v any, indent string) {
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetEscapeHTML(false)
	enc.SetIndent(indent, "  ")
	if err := enc.Encode(v); err != nil {
		b.WriteString("null")
		return
	}
	b.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
}
