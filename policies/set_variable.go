package policies

import (
	"context"
	"fmt"

	"tollgate/engine"
)

// <set-variable name="x" value="literal | @(expr)" secret="false"/>
// A literal value is a string; an expression keeps its result's type.
// secret="true" (tollgate's own) marks a value learned at run time (a token
// from a send-request response) as secret: the trace shows "(secret)" for
// it and masks it, raw or URL-escaped, in every note of the request.
type setVariable struct {
	name   string
	value  engine.Value
	secret bool
}

func (k *kit) parseSetVariable(p *engine.Parser) engine.Step {
	name := p.RequiredLitStr("name")
	v := p.RequiredValue("value")
	return &setVariable{name: name, value: v, secret: p.LitBool("secret", false)}
}

// QueryBlind (engine.QueryBlind): its Go code reads the value alone.
func (*setVariable) QueryBlind() {}

func (sv *setVariable) Run(_ context.Context, s *engine.State) error {
	v, err := sv.value.Eval(s)
	if err != nil {
		return err
	}
	s.Variables()[sv.name] = v
	if s.Trace() != nil {
		if sv.secret {
			if str, ok := v.(string); ok {
				s.AddTraceSecret(str)
			} else if v != nil {
				s.AddTraceSecret(fmt.Sprint(v))
			}
		}
		if sv.secret || sv.value.Secret() {
			s.TraceVar(sv.name, "(secret)")
		} else {
			s.TraceVar(sv.name, fmt.Sprint(v))
		}
	}
	return nil
}
