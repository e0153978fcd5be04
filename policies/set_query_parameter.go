package policies

import (
	"context"

	"tollgate/engine"
)

// <set-query-parameter name="x" exists-action="override|skip|append|delete"><value>…</value></set-query-parameter>
// Changes the query string sent to the backend.
type setQueryParameter struct {
	name, action engine.Str
	values       []engine.Str
}

func (k *kit) parseSetQueryParameter(p *engine.Parser) engine.Step {
	q := &setQueryParameter{}
	q.name, q.action, q.values = parseNameActionValues(p, "parameter")
	return q
}

func (q *setQueryParameter) Run(_ context.Context, s *engine.State) error {
	name, action, vals, err := evalAll(s, q.name, q.action, q.values)
	if err != nil {
		return err
	}
	u := s.Context().Request.Url
	if u == nil {
		return nil
	}
	query := u.MutableQuery()
	before := query[name]
	applyValues(query, name, action, vals)
	u.SetQueryParamIn(query, name, before, s) // the others' pairs as written; the string in the request's room
	if s.Trace() != nil {                     // the arguments would be boxed even with tracing off
		s.Tracef("%s %s", action, name)
	}
	return nil
}
