package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
)

// A REST API exposed as an MCP server: each tool is an API operation. Its
// input schema is tollgate's choice (APIM does not document one): an
// object with one property per template, query and header parameter of the
// operation, and "body" for its request body. A tools/call fills the
// operation's request from the arguments and runs it through the gateway's
// own request handling (Server.ServeHTTP, in process): the REST API's
// subscription check, products, policies, backend and limits apply as to
// any client request. docs/mcp.md describes the mapping.

// mcpTool is one tool of a REST-as-MCP server, resolved for a snapshot.
type mcpTool struct {
	decl   *mcpToolDecl
	api    *API       // the REST API
	op     *Operation // its operation
	schema json.RawMessage
	desc   string
	params []mcpParam
	// body: the operation takes a request body (argument "body"), sent as
	// bodyType; bodyJSON says it is JSON.
	body, bodyRequired, bodyJSON bool
	bodyType                     string
	// restArg is the argument that holds the rest of the path of APIM's
	// wildcard operation ("GET /*"), whose * names no parameter; "" for
	// any other template.
	restArg string
}

// mcpParam is one argument that becomes a part of the request.
type mcpParam struct {
	name     string
	in       string // path (template), query, header
	required bool
	wire     string // the query name, where the template names it otherwise ("name={n}")
}

// mcpMaxDepth bounds the nesting of JSON the MCP handling reads (request
// bodies, tool arguments): deeper input is refused before it is decoded.
const mcpMaxDepth = 64

// build works out the tool's parameters and input schema.
func (t *mcpTool) build() {
	props := map[string]any{}
	var required []string
	add := func(name, in string, req bool, schema map[string]any) {
		if _, dup := props[name]; dup || name == "body" && t.body {
			return
		}
		props[name] = schema
		t.params = append(t.params, mcpParam{name: name, in: in, required: req})
		if req {
			required = append(required, name)
		}
	}
	spec := t.op.Info.Spec
	specParams := map[string]*openapi3.Parameter{} // in + "\x00" + name
	var order []*openapi3.Parameter
	if spec != nil {
		for _, list := range []openapi3.Parameters{itemParams(spec), opParams(spec)} {
			for _, pr := range list {
				if pr == nil || pr.Value == nil {
					continue
				}
				k := pr.Value.In + "\x00" + pr.Value.Name
				if _, seen := specParams[k]; !seen {
					order = append(order, pr.Value)
				}
				specParams[k] = pr.Value // the operation's own overrides the path item's
			}
		}
	}
	paramSchema := func(p *openapi3.Parameter, fallbackDesc string) map[string]any {
		s := map[string]any{"type": "string"}
		if p != nil && p.Schema != nil && p.Schema.Value != nil {
			s = plainSchema(p.Schema.Value, 0, map[*openapi3.Schema]bool{})
		}
		if p != nil && p.Description != "" {
			s["description"] = p.Description
		} else if fallbackDesc != "" {
			if _, ok := s["description"]; !ok {
				s["description"] = fallbackDesc
			}
		}
		return s
	}
	// The URL template's parameters: required, as in APIM.
	for _, seg := range t.op.tpl.segs {
		if seg.param != "" {
			add(seg.param, "path", true, paramSchema(specParams["path\x00"+seg.param], "URL template parameter"))
		}
	}
	if w := t.op.tpl.wild; w != "" {
		add(w, "path", true, paramSchema(specParams["path\x00"+w], "the rest of the path"))
	} else if t.op.tpl.rest {
		// APIM's wildcard operation ("GET /*") matches the rest of the
		// path, which its template does not name: the argument "rest"
		// (another name if a template parameter has it; tollgate's
		// choice) holds it, optional as the matcher's empty rest is.
		t.restArg = "rest"
		for i := 2; props[t.restArg] != nil; i++ {
			t.restArg = "rest" + strconv.Itoa(i)
		}
		at := strings.TrimSuffix(strings.TrimSuffix(t.op.tpl.raw, "*"), "/") + "/"
		add(t.restArg, "path", false, map[string]any{"type": "string",
			"description": "the rest of the path, after " + at + " (segments separated by '/'); without it, the call goes to " + at})
	}
	// The template's query parameters (operations.go): the argument is
	// named after the parameter, sent under the query name.
	for _, q := range t.op.tpl.query {
		if q.param == "" {
			continue // a literal value: request sends it
		}
		n := len(t.params)
		add(q.param, "query", true, paramSchema(specParams["query\x00"+q.name], "query parameter"))
		if len(t.params) > n && q.name != q.param {
			t.params[n].wire = q.name
		}
	}
	for _, p := range order {
		switch p.In {
		case "query", "header":
			if p.In == "header" && !httpguts.ValidHeaderFieldName(p.Name) {
				continue
			}
			add(p.Name, p.In, p.Required, paramSchema(p, ""))
		}
	}
	// The request body.
	var bodySchema map[string]any
	if spec != nil && spec.Op != nil && spec.Op.RequestBody != nil && spec.Op.RequestBody.Value != nil {
		rb := spec.Op.RequestBody.Value
		t.bodyRequired = rb.Required
		types := make([]string, 0, len(rb.Content))
		for ct := range rb.Content {
			types = append(types, ct)
		}
		sort.Strings(types)
		for _, ct := range types {
			if isJSONType(ct) {
				t.bodyType = ct
				break
			}
		}
		if t.bodyType == "" && len(types) > 0 {
			t.bodyType = types[0]
		}
		if t.bodyType != "" {
			t.body = true
			t.bodyJSON = isJSONType(t.bodyType)
			mt := rb.Content[t.bodyType]
			switch {
			case t.bodyJSON && mt != nil && mt.Schema != nil && mt.Schema.Value != nil:
				bodySchema = plainSchema(mt.Schema.Value, 0, map[*openapi3.Schema]bool{})
			case t.bodyJSON:
				bodySchema = map[string]any{}
			default:
				bodySchema = map[string]any{"type": "string"}
			}
			if rb.Description != "" {
				bodySchema["description"] = rb.Description
			} else if _, ok := bodySchema["description"]; !ok {
				bodySchema["description"] = "the request body (" + t.bodyType + ")"
			}
		}
	} else if spec == nil {
		switch t.op.Info.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			t.body, t.bodyJSON, t.bodyType = true, true, "application/json"
			bodySchema = map[string]any{"description": "the request body, sent as JSON (a string is sent as it is)"}
		}
	}
	if t.body {
		if _, dup := props["body"]; dup {
			// A parameter called body: the body wins, the parameter is dropped.
			for i, p := range t.params {
				if p.name == "body" {
					t.params = append(t.params[:i], t.params[i+1:]...)
					break
				}
			}
			for i, r := range required {
				if r == "body" {
					required = append(required[:i], required[i+1:]...)
					break
				}
			}
		}
		props["body"] = bodySchema
		if t.bodyRequired {
			required = append(required, "body")
		}
	}
	schema := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		schema["required"] = required
	}
	t.schema, _ = json.Marshal(schema)
	t.desc = t.decl.Description
	if t.desc == "" && spec != nil && spec.Op != nil {
		t.desc = strings.TrimSpace(spec.Op.Summary + "\n\n" + spec.Op.Description)
	}
	if t.desc == "" {
		t.desc = t.op.Info.Method + " " + t.api.Path + t.op.tpl.raw + " (" + t.op.Info.Name + ")"
	}
}

func itemParams(s *engine.OperationSpec) openapi3.Parameters {
	if s.Item == nil {
		return nil
	}
	return s.Item.Parameters
}

func opParams(s *engine.OperationSpec) openapi3.Parameters {
	if s.Op == nil {
		return nil
	}
	return s.Op.Parameters
}

func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// plainSchema is an OpenAPI schema as a self-contained JSON Schema: $refs
// resolved (kin-openapi resolved them at load), cycles and depth cut off
// as an unconstrained schema.
func plainSchema(s *openapi3.Schema, depth int, seen map[*openapi3.Schema]bool) map[string]any {
	out := map[string]any{}
	if s == nil || depth > 8 || seen[s] {
		return out
	}
	seen[s] = true
	defer delete(seen, s)
	if s.Type != nil && len(*s.Type) > 0 {
		types := s.Type.Slice()
		if s.Nullable {
			types = append(types, "null")
		}
		if len(types) == 1 {
			out["type"] = types[0]
		} else {
			out["type"] = types
		}
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if s.Format != "" {
		out["format"] = s.Format
	}
	if len(s.Enum) > 0 {
		out["enum"] = s.Enum
	}
	if s.Default != nil {
		out["default"] = s.Default
	}
	if s.Min != nil {
		out["minimum"] = *s.Min
	}
	if s.Max != nil {
		out["maximum"] = *s.Max
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.Items != nil && s.Items.Value != nil {
		out["items"] = plainSchema(s.Items.Value, depth+1, seen)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			if p != nil {
				props[name] = plainSchema(p.Value, depth+1, seen)
			}
		}
		out["properties"] = props
	}
	if len(s.Required) > 0 {
		out["required"] = s.Required
	}
	for key, list := range map[string]openapi3.SchemaRefs{"oneOf": s.OneOf, "anyOf": s.AnyOf, "allOf": s.AllOf} {
		if len(list) == 0 {
			continue
		}
		var subs []any
		for _, r := range list {
			if r != nil {
				subs = append(subs, plainSchema(r.Value, depth+1, seen))
			}
		}
		out[key] = subs
	}
	return out
}

// mcpRequest is a tool call's request to its operation, before it becomes
// an *http.Request.
type mcpRequest struct {
	method, path string // path: escaped, relative to the API's path
	query        url.Values
	header       http.Header
	body         []byte
	contentType  string
}

// errArgs is a tools/call whose arguments do not fit the tool: the
// client's mistake, answered as a tool error.
var errArgs = errors.New("invalid arguments")

// request builds the operation's request from a tools/call's arguments
// (a JSON object, or empty). Errors name arguments, never their values.
func (t *mcpTool) request(args json.RawMessage) (*mcpRequest, error) {
	vals := map[string]json.RawMessage{}
	if a := bytes.TrimSpace(args); len(a) > 0 && !bytes.Equal(a, []byte("null")) {
		if jsonDepth(a, mcpMaxDepth) != nil {
			return nil, fmt.Errorf("%w: nested deeper than %d levels", errArgs, mcpMaxDepth)
		}
		if err := json.Unmarshal(a, &vals); err != nil {
			return nil, fmt.Errorf("%w: the arguments must be a JSON object", errArgs)
		}
	}
	known := map[string]bool{}
	for _, p := range t.params {
		known[p.name] = true
	}
	if t.body {
		known["body"] = true
	}
	var unknown []string
	for k := range vals {
		if !known[k] {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%w: unknown argument(s) %s", errArgs, strings.Join(unknown, ", "))
	}
	r := &mcpRequest{method: t.op.Info.Method, query: url.Values{}, header: http.Header{}}
	pathVals := map[string]string{}
	for _, p := range t.params {
		raw, ok := vals[p.name]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if p.required {
				return nil, fmt.Errorf("%w: argument %q is required", errArgs, p.name)
			}
			continue
		}
		key := p.name
		if p.wire != "" {
			key = p.wire
		}
		var list []json.RawMessage
		if p.in == "query" && json.Unmarshal(raw, &list) == nil {
			for _, item := range list {
				s, err := argString(p.name, item)
				if err != nil {
					return nil, err
				}
				r.query.Add(key, s)
			}
			continue
		}
		s, err := argString(p.name, raw)
		if err != nil {
			return nil, err
		}
		switch p.in {
		case "path":
			pathVals[p.name] = s
		case "query":
			r.query.Add(key, s)
		case "header":
			if !httpguts.ValidHeaderFieldValue(s) {
				return nil, fmt.Errorf("%w: argument %q is not a valid header value", errArgs, p.name)
			}
			r.header.Add(p.name, s)
		}
	}
	// The template's literal query values ("/jobs?op=running"): without
	// them the request would be another operation's.
	for _, q := range t.op.tpl.query {
		if q.param == "" {
			r.query.Set(q.name, q.lit)
		}
	}
	// The path, each value escaped as one segment (a {*rest} value as
	// segments): a value cannot add segments or climb with "..".
	var b strings.Builder
	for _, seg := range t.op.tpl.segs {
		b.WriteByte('/')
		if seg.param == "" {
			b.WriteString(url.PathEscape(seg.lit))
			continue
		}
		v := pathVals[seg.param]
		if err := segmentOK(seg.param, v, seg.prefix+seg.suffix == ""); err != nil {
			return nil, err
		}
		b.WriteString(url.PathEscape(seg.prefix))
		b.WriteString(url.PathEscape(v))
		b.WriteString(url.PathEscape(seg.suffix))
	}
	w := t.op.tpl.wild
	if w == "" {
		w = t.restArg // "" without a wildcard; an empty rest adds nothing
	}
	if v := pathVals[w]; w != "" && (v != "" || t.op.tpl.wild != "") {
		for _, part := range strings.Split(v, "/") {
			if err := restSegmentOK(w, part); err != nil {
				return nil, err
			}
			b.WriteByte('/')
			b.WriteString(url.PathEscape(part))
		}
	}
	if b.Len() == 0 || strings.HasSuffix(t.op.tpl.raw, "/") || strings.Contains(t.op.tpl.raw, "/?") {
		b.WriteByte('/')
	}
	r.path = b.String()
	if raw, ok := vals["body"]; ok && t.body && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		r.contentType = t.bodyType
		var s string
		if json.Unmarshal(raw, &s) == nil && (!t.bodyJSON || t.op.Info.Spec == nil) {
			r.body = []byte(s) // a string body of a non-JSON type (or an undescribed one) goes as it is
			if t.op.Info.Spec == nil {
				r.contentType = "text/plain; charset=utf-8"
				if json.Valid(r.body) {
					r.contentType = "application/json"
				}
			}
		} else {
			r.body = bytes.TrimSpace(raw)
		}
	} else if t.bodyRequired {
		return nil, fmt.Errorf("%w: argument \"body\" is required", errArgs)
	}
	return r, nil
}

// segmentOK refuses a path value that would not stay one segment where
// it is put: empty (when it is the whole segment), "." or "..", and one
// with a control character, which the gateway refuses in a path.
func segmentOK(name, v string, whole bool) error {
	if (v == "" && whole) || v == "." || v == ".." || strings.ContainsAny(v, "/\\") {
		return fmt.Errorf("%w: argument %q must be one path segment (not empty, \".\" or \"..\", no '/' or '\\')", errArgs, name)
	}
	return controlOK(name, v)
}

// controlOK refuses a path value with a control character: the gateway
// refuses such a path (pathnorm.go), so the call is not made.
func controlOK(name, v string) error {
	if hasControl(v) {
		return fmt.Errorf("%w: argument %q must not hold a control character", errArgs, name)
	}
	return nil
}

// restSegmentOK refuses a segment of a rest-of-the-path value ({*rest},
// or the wildcard operation's) that would not stay one: empty, "." or
// "..", or holding '\'.
func restSegmentOK(name, v string) error {
	if v == "" || v == "." || v == ".." || strings.ContainsRune(v, '\\') {
		return fmt.Errorf("%w: argument %q must be path segments separated by '/' (none empty, \".\" or \"..\", no '\\')", errArgs, name)
	}
	return controlOK(name, v)
}

// argString is an argument as the text of a parameter: a string as it is,
// a number or boolean as written, an object or array as JSON.
func argString(name string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%w: argument %q is not a valid string", errArgs, name)
		}
		return s, nil
	}
	return string(raw), nil
}

// mcpCaller is what a tool call takes from the MCP request that carries
// it: the client's address and host, and its headers after the MCP
// server's inbound policy.
type mcpCaller struct {
	header     http.Header
	remoteAddr string
	host       string
	tls        *tls.ConnectionState
	maxBody    int64 // the MCP server's max-body-size: the largest answer relayed
}

// mcpDropHeaders are not passed from the MCP request to a tool's REST
// call: credentials (the security documentation: Authorization is not
// passed on), hop-by-hop and MCP transport headers, and what the REST call
// sets itself.
var mcpDropHeaders = map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true,
	"Mcp-Session-Id": true, "Mcp-Protocol-Version": true, "Last-Event-Id": true, "Accept": true, "Origin": true,
	"Host": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true, "Forwarded": true,
	"Expect": true, "Referer": true}

// callTool runs a tool's operation through the gateway, in process, and
// returns its answer as the tool's result.
func (s *Server) callTool(ctx context.Context, t *mcpTool, args json.RawMessage, c *mcpCaller) *mcp.CallToolResult {
	r, err := t.request(args)
	if err != nil {
		return toolError(err.Error())
	}
	target := strings.TrimSuffix(t.api.Path, "/") + r.path
	switch t.api.Versioning.Scheme {
	case "query":
		if t.api.Versioning.ID != "" {
			r.query.Set(t.api.Versioning.Name, t.api.Versioning.ID)
		}
	case "header":
		if t.api.Versioning.ID != "" {
			r.header.Set(t.api.Versioning.Name, t.api.Versioning.ID)
		}
	}
	u := &url.URL{Scheme: "http", Host: c.host, RawPath: target, RawQuery: r.query.Encode()}
	u.Path, _ = url.PathUnescape(target)
	if c.tls != nil {
		u.Scheme = "https"
	}
	// A context of its own (cancelled with the call's): the REST request
	// is a new request to the gateway, not a part of the MCP one.
	rctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	var body *bytes.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(rctx, r.method, u.String(), nil)
	if err != nil {
		return toolError("the operation's request cannot be built")
	}
	if body != nil {
		req.Body = readerCloser{body}
		req.ContentLength = int64(len(r.body))
	}
	for k, vv := range c.header {
		if !mcpDropHeaders[k] && !isHopHeader(k) && !strings.HasPrefix(k, "Content-") {
			req.Header[k] = append([]string(nil), vv...)
		}
	}
	for k, vv := range r.header {
		req.Header[k] = vv
	}
	if r.body != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Host, req.RemoteAddr, req.TLS = c.host, c.remoteAddr, c.tls
	req.RequestURI = u.RequestURI()
	rec := &toolRecorder{h: http.Header{}, max: c.maxBody}
	s.ServeHTTP(rec, req)
	return toolResult(rec)
}

type readerCloser struct{ *bytes.Reader }

func (readerCloser) Close() error { return nil }

func toolError(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}

// toolResult is the REST answer as a tool's result: its body as text, an
// error when its status is 400 or more.
func toolResult(rec *toolRecorder) *mcp.CallToolResult {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	text := rec.body.String()
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	if rec.over {
		return toolError(fmt.Sprintf("HTTP %d: the answer is larger than %d bytes", status, rec.max))
	}
	if status >= 400 {
		msg := "HTTP " + strconv.Itoa(status) + " " + http.StatusText(status)
		if text != "" {
			msg += ": " + text
		}
		return toolError(msg)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

// toolRecorder takes a tool's REST answer, up to max bytes.
type toolRecorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
	max    int64
	over   bool
}

func (r *toolRecorder) Header() http.Header { return r.h }

func (r *toolRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
}

func (r *toolRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := r.max - int64(r.body.Len()); int64(len(p)) > room {
		r.over = true
		return 0, errors.New("the answer is too large for a tool result")
	}
	return r.body.Write(p)
}

func (r *toolRecorder) Flush() {}
