package policies

import (
	"context"

	"tollgate/engine"
)

// <set-body>text or @(expression)</set-body>
// In inbound and backend it replaces the request body sent to the backend;
// in outbound and on-error, the response body. (Liquid templates are not
// supported: template="liquid" is a load error.)
type setBody struct {
	body     engine.Str
	response bool
}

func (k *kit) parseSetBody(p *engine.Parser) engine.Step {
	return parseSetBodyInto(p, p.Section()&(engine.Outbound|engine.OnError) != 0)
}

func parseSetBodyInto(p *engine.Parser, response bool) *setBody {
	if p.Has("template") {
		p.LitStr("template", "", "none")
	}
	return &setBody{body: p.TextStr(), response: response}
}

func (sb *setBody) Run(_ context.Context, s *engine.State) error {
	v, err := sb.body.Eval(s)
	if err != nil {
		return err
	}
	if sb.response {
		s.Response().Body = engine.NewBody([]byte(v))
	} else {
		s.Context().Request.Body = engine.NewBody([]byte(v))
	}
	return nil
}
