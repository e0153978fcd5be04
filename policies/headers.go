package policies

import (
	"net/http"
	"net/textproto"
	"strings"

	"tollgate/engine"
)

// What the policies that change headers or query parameters share
// (set-header, set-query-parameter, send-request, return-response, the
// limit policies' header-name attributes).

// Headers APIM does not let policies change; changing them would break
// the connection itself.
var fixedHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Keep-Alive": true, "Transfer-Encoding": true, "Upgrade": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Accept": true, "Sec-Websocket-Extensions": true,
}

// Headers whose values repeat as separate lines instead of joining with ",".
var repeatHeaders = map[string]bool{
	"User-Agent": true, "Www-Authenticate": true, "Proxy-Authenticate": true, "Cookie": true,
	"Set-Cookie": true, "Warning": true, "Date": true, "Expires": true, "Last-Modified": true,
	"If-Modified-Since": true, "If-Unmodified-Since": true, "Retry-After": true,
}

var actions = []string{"override", "skip", "append", "delete"}

// parseNameActionValues reads the shape shared by set-header and
// set-query-parameter: name, exists-action and <value> children.
func parseNameActionValues(p *engine.Parser, what string) (engine.Str, engine.Str, []engine.Str) {
	name := p.RequiredStr("name")
	if name.IsConst() && name.Const() == "" && p.Has("name") {
		p.Errorf("the %s name must not be empty", what)
	}
	action := p.Str("exists-action", "override")
	if action.IsConst() && !oneOf(action.Const(), actions) {
		p.ErrorAt(p.Node().Attr("exists-action").ValuePos, "attribute \"exists-action\" must be one of %s, not %q", strings.Join(actions, ", "), action.Const())
	}
	values := textList(p, "value")
	if len(values) == 0 && action.IsConst() && action.Const() != "delete" {
		p.Errorf("<%s> needs at least one <value> (or exists-action=\"delete\")", p.Node().Name)
	}
	return name, action, values
}

func evalAll(s *engine.State, name, action engine.Str, values []engine.Str) (string, string, []string, error) {
	n, err := name.Eval(s)
	if err != nil {
		return "", "", nil, err
	}
	a, err := action.Eval(s)
	if err != nil {
		return "", "", nil, err
	}
	if !oneOf(a, actions) {
		return "", "", nil, engine.NewPolicyError(engine.ReasonExpression, 500, "exists-action evaluated to "+a, nil)
	}
	vals := s.Strings(len(values))[:0] // the request's room (State.SetStringRoom), a policy may keep them
	for _, v := range values {
		x, err := v.Eval(s)
		if err != nil {
			return "", "", nil, err
		}
		vals = append(vals, x)
	}
	return n, a, vals, nil
}

// applyHeader applies set-header's exists-action to h (the request's or
// response's headers, or a send-request's). Values join with "," except
// for headers that must repeat.
func applyHeader(h engine.Headers, name, action string, vals []string) {
	applyHeaderKey(h, http.CanonicalHeaderKey(name), action, vals)
}

// applyHeaderKey is applyHeader with the name in canonical form already.
func applyHeaderKey(h engine.Headers, key, action string, vals []string) {
	if !repeatHeaders[key] {
		if len(vals) > 1 {
			vals = []string{strings.Join(vals, ",")}
		}
		if action == "append" && len(h[key]) > 0 {
			h[key] = []string{strings.Join(append(append([]string{}, h[key]...), vals...), ",")}
			return
		}
	}
	applyValues(h, key, action, vals)
}

// applyValues applies exists-action to m[key] (set-header's headers,
// set-query-parameter's query).
func applyValues(m map[string][]string, key, action string, vals []string) {
	switch action {
	case "delete":
		delete(m, key)
	case "skip":
		if _, exists := m[key]; !exists {
			m[key] = vals
		}
	case "append":
		m[key] = append(m[key], vals...)
	default:
		m[key] = vals
	}
}

// headerNameAttr reads an optional header-name attribute (no expressions).
func headerNameAttr(p *engine.Parser, name, def string) string {
	v := p.LitStr(name, def)
	if v == "" || v == def || !p.Has(name) {
		return textproto.CanonicalMIMEHeaderKey(v) // "" turns the header off
	}
	if strings.IndexFunc(v, notTokenChar) >= 0 {
		p.ErrorAt(p.Node().Attr(name).ValuePos, "attribute %q must be a header name, not %q", name, v)
		return ""
	}
	return textproto.CanonicalMIMEHeaderKey(v)
}

// notTokenChar reports a rune that cannot appear in an HTTP token (RFC 9110
// §5.6.2): a method or a header name.
func notTokenChar(r rune) bool {
	return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
}
