package policies

import (
	"context"

	"tollgate/engine"
)

// <set-variable name="x" value="literal | @(expr)"/>
// A literal value is a string; an expression keeps its result's type.
type setVariable struct {
	name  string
	value engine.Value
}

func (k *kit) parseSetVariable(p *engine.Parser) engine.Step {
	name := p.RequiredLitStr("name")
	v := p.RequiredValue("value")
	return &setVariable{name: name, value: v}
}

func (sv *setVariable) Run(_ context.Context, s *engine.State) error {
	v, err := sv.value.Eval(s)
	if err != nil {
		return err
	}
	s.Variables()[sv.name] = v
	if s.Trace() != nil {
		if sv.value.Secret() {
			s.Tracef("%s = (secret)", sv.name)
		} else {
			s.Tracef("%s = %v", sv.name, v)
		}
	}
	return nil
}
