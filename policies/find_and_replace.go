package policies

import (
	"bytes"
	"context"

	"tollgate/engine"
)

// <find-and-replace from="notebook" to="laptop"/>
// Replaces every occurrence of from in the request body (inbound, backend)
// or the response body (outbound, on-error). An empty to removes from.
type findAndReplace struct {
	from, to engine.Str
	response bool
}

func (k *kit) parseFindAndReplace(p *engine.Parser) engine.Step {
	f := &findAndReplace{
		from:     p.RequiredStr("from"),
		to:       p.RequiredStr("to"),
		response: isResponseSection(p.Section()),
	}
	if f.from.IsConst() && f.from.Const() == "" && p.Has("from") {
		p.ErrorAt(p.Node().Attr("from").ValuePos, "attribute \"from\" must not be empty")
	}
	return f
}

func (f *findAndReplace) Run(_ context.Context, s *engine.State) error {
	from, err := f.from.Eval(s)
	if err != nil {
		return err
	}
	to, err := f.to.Eval(s)
	if err != nil {
		return err
	}
	if from == "" {
		return nil // an expression gave "": nothing to find
	}
	m := messageOf(s, f.response)
	data, err := m.read(f.response)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(from)) {
		return nil
	}
	m.replace(bytes.ReplaceAll(data, []byte(from), []byte(to)), "")
	return nil
}
