package policies

import (
	"context"
	"fmt"
	"strings"

	"tollgate/engine"
)

// <return-response response-variable-name="r">
//
//	<set-status code="401" reason="Unauthorized"/>
//	<set-header name="…">…</set-header>
//	<set-body>…</set-body>
//
// </return-response>
// Ends the pipeline and answers with that response (default 200, empty body).
// With response-variable-name, a send-request response is the starting point.
type returnResponse struct {
	fromVar string
	status  *setStatus
	headers []*setHeader
	body    *setBody
}

func (k *kit) parseReturnResponse(p *engine.Parser) engine.Step {
	rr := &returnResponse{fromVar: p.LitStr("response-variable-name", "")}
	if placeholderResponseVar[strings.ToLower(rr.fromVar)] {
		p.Noticef("<return-response response-variable-name=%q> is the placeholder of APIM's policy reference, not a variable a policy sets: the response starts empty (200, no body, no headers) and its children build it", rr.fromVar)
	}
	for _, n := range p.Children() {
		c := p.Child(n)
		switch n.Name {
		case "set-status":
			if rr.status != nil {
				c.Errorf("<return-response> has more than one <set-status>")
			}
			rr.status = parseSetStatusInto(c)
		case "set-header":
			sh := &setHeader{response: true}
			sh.name, sh.action, sh.values = parseNameActionValues(c, "header")
			rr.headers = append(rr.headers, sh)
		case "set-body":
			if rr.body != nil {
				c.Errorf("<return-response> has more than one <set-body>")
			}
			rr.body = parseSetBodyInto(c, true)
		default:
			c.Errorf("unexpected element <%s> inside <return-response> (want set-status, set-header, set-body)", n.Name)
		}
	}
	return rr
}

// placeholderResponseVar are the names APIM's reference writes in its
// policy statement, which deployed policies copy as they are.
var placeholderResponseVar = map[string]bool{"existing context variable": true, "existing response variable": true}

func (rr *returnResponse) Run(ctx context.Context, s *engine.State) error {
	resp := engine.NewResponse(200)
	if rr.fromVar != "" {
		v, ok := s.Variables()[rr.fromVar]
		base, isResp := v.(*engine.Response)
		switch {
		case !ok:
			// A variable no policy set: the response starts empty, as
			// APIM's gateway evidently does (deployed policies copy the
			// reference's placeholder name and rely on their children's
			// status, headers and body); see docs/policies.md.
			s.Tracef("variable %q is not set: the response starts empty", rr.fromVar)
		case !isResp:
			return engine.NewPolicyError(engine.ReasonExpression, 500, fmt.Sprintf("variable %q holds %T, not a response", rr.fromVar, v), nil)
		default:
			resp = &engine.Response{StatusCode: base.StatusCode, StatusReason: base.StatusReason, Headers: engine.Headers{}, Body: base.Body}
			for k, v := range base.Headers {
				resp.Headers[k] = append([]string(nil), v...)
			}
		}
	}
	prev := s.Context().Response
	s.SetResponse(resp)
	if rr.status != nil {
		if err := rr.status.Run(ctx, s); err != nil {
			s.SetResponse(prev)
			return err
		}
	}
	for _, h := range rr.headers {
		if err := h.Run(ctx, s); err != nil {
			s.SetResponse(prev)
			return err
		}
	}
	if rr.body != nil {
		if err := rr.body.Run(ctx, s); err != nil {
			s.SetResponse(prev)
			return err
		}
	}
	s.Tracef("return %d", resp.StatusCode)
	s.Stop()
	return nil
}
