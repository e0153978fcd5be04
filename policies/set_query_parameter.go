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

// newValues is a parameter's values after applyValues's change from before
// (its values, none when absent) to vals with the action.
func newValues(before []string, action string, vals []string) []string {
	switch action {
	case "delete":
		return nil
	case "skip":
		if len(before) > 0 {
			return before
		}
		return vals
	case "append":
		return append(before[:len(before):len(before)], vals...)
	}
	return vals
}

// QueryBlind (engine.QueryBlind): it reads the query itself, parsing it
// only when the change cannot be made as text.
func (*setQueryParameter) QueryBlind() {}

func (q *setQueryParameter) Run(_ context.Context, s *engine.State) error {
	name, action, vals, err := evalAll(s, q.name, q.action, q.values)
	if err != nil {
		return err
	}
	u := s.Context().Request.Url
	if u == nil {
		return nil
	}
	if before, ok := u.TextBefore(name); ok && (len(vals) > 0 || action == "delete") {
		// The query is the one OriginalUrl shows: rather than parse it
		// or copy its map to change it, change the text and leave the
		// map to be parsed from it if anything reads it (a later
		// expression or policy): most requests never do. A parameter
		// set to no values is kept in the map with none, which the text
		// cannot say.
		u.SetQueryParamText(name, before, newValues(before, action, vals), s)
	} else {
		s.SyncQuery()
		query := u.MutableQuery()
		before := query[name]
		applyValues(query, name, action, vals)
		u.SetQueryParamIn(query, name, before, s) // the others' pairs as written; the string in the request's room
	}
	if s.Trace() != nil { // the arguments would be boxed even with tracing off
		s.Tracef("%s %s", action, name)
	}
	return nil
}
