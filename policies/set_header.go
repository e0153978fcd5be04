package policies

import (
	"context"
	"net/textproto"

	"tollgate/engine"
)

// <set-header name="X" exists-action="override|skip|append|delete"><value>…</value>…</set-header>
// In inbound and backend it changes the request sent to the backend; in
// outbound and on-error, the response sent to the client.
type setHeader struct {
	name     engine.Str
	key      string // the canonical form of a constant name, worked out at load
	action   engine.Str
	values   []engine.Str
	response bool
}

func (k *kit) parseSetHeader(p *engine.Parser) engine.Step {
	sh := &setHeader{response: p.Section()&(engine.Outbound|engine.OnError) != 0}
	sh.name, sh.action, sh.values = parseNameActionValues(p, "header")
	if sh.name.IsConst() {
		sh.key = textproto.CanonicalMIMEHeaderKey(sh.name.Const())
		if fixedHeaders[sh.key] {
			p.Errorf("header %q cannot be changed by a policy", sh.name.Const())
		}
	}
	return sh
}

// QueryBlind (engine.QueryBlind): its Go code reads the headers alone.
func (*setHeader) QueryBlind() {}

func (sh *setHeader) Run(_ context.Context, s *engine.State) error {
	name, action, vals, err := evalAll(s, sh.name, sh.action, sh.values)
	if err != nil {
		return err
	}
	key := sh.key  // a constant name of <set-header>: canonical and checked at load
	if key == "" { // an expression, or a <set-header> of <return-response>
		key = textproto.CanonicalMIMEHeaderKey(name)
		if fixedHeaders[key] {
			return engine.NewPolicyError(engine.ReasonExpression, 500, "header "+name+" cannot be changed by a policy", nil)
		}
	}
	var h engine.Headers
	if sh.response {
		h = s.Response().Headers
	} else {
		h = s.Context().Request.Headers
	}
	if h == nil {
		return nil
	}
	applyHeaderKey(h, key, action, vals)
	if s.Trace() != nil { // the arguments would be boxed even with tracing off
		s.Tracef("%s %s", action, key)
	}
	return nil
}
