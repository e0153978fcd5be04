package policies

import (
	"context"
	"regexp"

	"tollgate/engine"
)

// <jsonp callback-parameter-name="cb"/>
// When the client's URL carries ?cb=NAME, the JSON response body becomes
// NAME(<body>); with Content-Type: application/javascript. Without the
// parameter the response is left alone. NAME must be a JavaScript
// identifier path (a.b.c, a[0] is not allowed): anything else would let a
// caller inject script, so it is answered as plain JSON.
type jsonp struct {
	param engine.Str
}

// jsonpCallback is what a callback name may be: dotted identifiers.
var jsonpCallback = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

func (k *kit) parseJsonp(p *engine.Parser) engine.Step {
	j := &jsonp{param: p.RequiredStr("callback-parameter-name")}
	if j.param.IsConst() && j.param.Const() == "" && p.Has("callback-parameter-name") {
		p.ErrorAt(p.Node().Attr("callback-parameter-name").ValuePos, "attribute \"callback-parameter-name\" must not be empty")
	}
	return j
}

func (j *jsonp) Run(_ context.Context, s *engine.State) error {
	name, err := j.param.Eval(s)
	if err != nil || name == "" {
		return err
	}
	u := s.Context().Request.OriginalUrl
	if u == nil {
		return nil
	}
	cb := u.Query.GetValueOrDefault(name, "")
	if cb == "" {
		return nil
	}
	if len(cb) > 256 || !jsonpCallback.MatchString(cb) {
		s.Tracef("callback %q is not a JavaScript identifier: plain JSON", cb)
		return nil
	}
	m := messageOf(s, true)
	data, err := m.read(true)
	if err != nil {
		return err
	}
	out := make([]byte, 0, len(cb)+len(data)+3)
	out = append(out, cb...)
	out = append(out, '(')
	out = append(out, data...)
	out = append(out, ");"...)
	m.replace(out, "application/javascript; charset=utf-8")
	if m.headers != nil {
		m.headers["X-Content-Type-Options"] = []string{"nosniff"}
	}
	return nil
}
