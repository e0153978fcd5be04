package policies

import (
	"mime"
	"net/http"
	"strings"

	"tollgate/engine"
)

// Shared by the body transformations (find-and-replace, json-to-xml,
// xml-to-json, jsonp, redirect-content-urls, set-body liquid): which body
// a policy works on, reading it within the API's max-body-size, and
// replacing it.

// ReasonRequestTooLarge is the reason when a transformation needs a request
// body larger than the API's max-body-size.
const ReasonRequestTooLarge = "RequestEntityTooLarge"

// isResponseSection reports whether a policy in sec works on the response.
func isResponseSection(sec engine.Section) bool {
	return sec&(engine.Outbound|engine.OnError) != 0
}

// message is the request or response a transformation changes.
type message struct {
	headers engine.Headers
	body    *engine.Body
	set     func(*engine.Body)
}

func messageOf(s *engine.State, response bool) message {
	if response {
		r := s.Response()
		return message{headers: r.Headers, body: r.Body, set: func(b *engine.Body) { r.Body = b }}
	}
	req := s.Context().Request
	return message{headers: req.Headers, body: req.Body, set: func(b *engine.Body) { req.Body = b }}
}

// read returns the body's bytes; a body over the limit (or a failed read)
// is a PolicyError with the reason APIM gives, never a panic.
func (m message) read(response bool) ([]byte, error) {
	data, err := m.body.Bytes()
	if err == nil {
		return data, nil
	}
	if response {
		return nil, engine.NewPolicyError(engine.ReasonResponseTooLarge, http.StatusBadGateway, "cannot transform the response body: "+err.Error(), err)
	}
	return nil, engine.NewPolicyError(ReasonRequestTooLarge, http.StatusRequestEntityTooLarge, "cannot transform the request body: "+err.Error(), err)
}

// replace sets a new body and, when contentType is not empty, its
// Content-Type. Content-Length is the gateway's business (it is computed
// from the body it sends).
func (m message) replace(data []byte, contentType string) {
	m.set(engine.NewBody(data))
	if contentType != "" && m.headers != nil {
		m.headers["Content-Type"] = []string{contentType}
	}
}

func (m message) contentType() string {
	if m.headers == nil {
		return ""
	}
	return m.headers.GetValueOrDefault("Content-Type", "")
}

// mediaType is the lower-case media type of a Content-Type value ("" when
// there is none or it does not parse).
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	return mt
}

// isJSONType: application/json, text/json and any type ending in +json.
func isJSONType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// isXMLType: application/xml, text/xml and any type ending in +xml.
func isXMLType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// accepts reports whether the request's Accept header asks for a type
// that want accepts (each listed range is checked, q=0 excluded).
func accepts(h engine.Headers, want func(string) bool) bool {
	if h == nil {
		return false
	}
	for _, line := range h["Accept"] {
		for _, part := range strings.Split(line, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q := params["q"]; q == "0" || q == "0.0" || q == "0.00" || q == "0.000" {
				continue
			}
			if want(mt) {
				return true
			}
		}
	}
	return false
}

// evalChoice evaluates an attribute that must be one of choices.
func evalChoice(s *engine.State, v engine.Str, attr string, choices ...string) (string, error) {
	x, err := v.Eval(s)
	if err != nil {
		return "", err
	}
	if !oneOf(x, choices) {
		return "", engine.NewPolicyError(engine.ReasonExpression, http.StatusInternalServerError,
			attr+" evaluated to "+x+", want one of "+strings.Join(choices, ", "), nil)
	}
	return x, nil
}

// choiceAttr reads an attribute that must be one of choices (an
// expression is checked when it runs).
func choiceAttr(p *engine.Parser, name string, required bool, def string, choices ...string) engine.Str {
	var v engine.Str
	if required {
		v = p.RequiredStr(name)
	} else {
		v = p.Str(name, def)
	}
	if v.IsConst() && p.Has(name) && !oneOf(v.Const(), choices) {
		p.ErrorAt(p.Node().Attr(name).ValuePos, "attribute %q must be one of %s, not %q", name, strings.Join(choices, ", "), v.Const())
	}
	return v
}
