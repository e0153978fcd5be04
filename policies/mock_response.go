package policies

import (
	"context"
	"mime"

	"tollgate/engine"
)

// <mock-response status-code="200" content-type="application/json">optional body</mock-response>
// Ends the pipeline and answers without calling the backend (in outbound:
// replaces the backend's response). status-code defaults to 200,
// content-type is optional (no Content-Type header without it); both take
// expressions. APIM answers with an example or schema sample from the API
// definition, else an empty body; tollgate has no API definitions, so the
// body is empty, or — a tollgate extension — the element's text (a
// literal or an expression). Sections: inbound, outbound, on-error (APIM).
type mockResponse struct {
	status      engine.Int
	contentType *engine.Str
	body        *engine.Str
}

func (k *kit) parseMockResponse(p *engine.Parser) engine.Step {
	m := &mockResponse{status: p.Int("status-code", 200, 100, 599)}
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
	if m.contentType != nil {
		ct, err := m.contentType.Eval(s)
		if err != nil {
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
	}
	s.SetResponse(resp)
	s.Tracef("mock %d", code)
	s.Stop()
	return nil
}
