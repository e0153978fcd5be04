package policies

import (
	"context"

	"tollgate/engine"
)

// <set-body>text or @(expression)</set-body>
// <set-body template="liquid" xsi-nil="blank|null">Liquid template</set-body>
// In inbound and backend it replaces the request body sent to the backend;
// in outbound and on-error, the response body. A Liquid template (see
// liquid.go) is parsed at load and rendered over the current body.
type setBody struct {
	body     engine.Str
	liquid   *liquidTemplate
	response bool
}

func (k *kit) parseSetBody(p *engine.Parser) engine.Step {
	return parseSetBodyInto(p, isResponseSection(p.Section()))
}

func parseSetBodyInto(p *engine.Parser, response bool) *setBody {
	sb := &setBody{response: response}
	tmpl := p.LitStr("template", "none", "none", "liquid")
	xsiNil := p.LitStr("xsi-nil", "blank", "blank", "null")
	if tmpl == "liquid" {
		sb.liquid = parseLiquid(p, p.RawInner(), xsiNil)
		return sb
	}
	if p.Has("xsi-nil") {
		p.ErrorAt(p.Node().Attr("xsi-nil").Pos, "attribute \"xsi-nil\" applies to template=\"liquid\" only")
	}
	sb.body = p.TextStr()
	return sb
}

func (sb *setBody) Run(_ context.Context, s *engine.State) error {
	if sb.liquid != nil {
		out, err := sb.liquid.render(s, sb.response)
		if err != nil {
			return err
		}
		messageOf(s, sb.response).set(engine.NewBody(out))
		return nil
	}
	v, err := sb.body.Eval(s)
	if err != nil {
		return err
	}
	messageOf(s, sb.response).set(engine.NewBody([]byte(v)))
	return nil
}
