package policies

import (
	"context"
	"net/textproto"
	"strings"

	"tollgate/engine"
)

// <set-header name="X" exists-action="override|skip|append|delete"><value>…</value>…</set-header>
// In inbound and backend it changes the request sent to the backend; in
// outbound and on-error, the response sent to the client.
type setHeader struct {
	name     engine.Str
	action   engine.Str
	values   []engine.Str
	response bool
}

// Headers APIM does not let policies change; changing them would break
// the connection itself.
var fixedHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Keep-Alive": true, "Transfer-Encoding": true, "Upgrade": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Accept": true, "Sec-Websocket-Extensions": true,
}

// Headers whose values repeat as separate lines instead of joining with ",".
var repeatHeaders = map[string]bool{
	"User-Agent": true, "Www-Authenticate": true, "Proxy-Authenticate": true, "Cookie": true,
	"Set-Cookie": true, "Warning": true, "Date": true, "Expires": true, "Last-Modified": true,
	"If-Modified-Since": true, "If-Unmodified-Since": true, "Retry-After": true,
}

var actions = []string{"override", "skip", "append", "delete"}

func parseSetHeader(p *engine.Parser) engine.Step {
	sh := &setHeader{response: p.Section()&(engine.Outbound|engine.OnError) != 0}
	sh.name, sh.action, sh.values = parseNameActionValues(p, "header")
	if sh.name.IsConst() && fixedHeaders[textproto.CanonicalMIMEHeaderKey(sh.name.Const())] {
		p.Errorf("header %q cannot be changed by a policy", sh.name.Const())
	}
	return sh
}

// parseNameActionValues reads the shape shared by set-header and
// set-query-parameter: name, exists-action and <value> children.
func parseNameActionValues(p *engine.Parser, what string) (engine.Str, engine.Str, []engine.Str) {
	name := p.Str("name", true, "")
	if name.IsConst() && name.Const() == "" && p.Has("name") {
		p.Errorf("the %s name must not be empty", what)
	}
	action := p.Str("exists-action", false, "override")
	if action.IsConst() && !oneOf(action.Const(), actions) {
		p.ErrorAt(p.Node().Attr("exists-action").ValuePos, "attribute \"exists-action\" must be one of %s, not %q", strings.Join(actions, ", "), action.Const())
	}
	values := textList(p, "value")
	if len(values) == 0 && action.IsConst() && action.Const() != "delete" {
		p.Errorf("<%s> needs at least one <value> (or exists-action=\"delete\")", p.Node().Name)
	}
	return name, action, values
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func evalAll(s *engine.State, name, action engine.Str, values []engine.Str) (string, string, []string, error) {
	n, err := name.Eval(s)
	if err != nil {
		return "", "", nil, err
	}
	a, err := action.Eval(s)
	if err != nil {
		return "", "", nil, err
	}
	if !oneOf(a, actions) {
		return "", "", nil, engine.NewPolicyError(engine.ReasonExpression, 500, "exists-action evaluated to "+a, nil)
	}
	vals := make([]string, 0, len(values))
	for _, v := range values {
		x, err := v.Eval(s)
		if err != nil {
			return "", "", nil, err
		}
		vals = append(vals, x)
	}
	return n, a, vals, nil
}

func (sh *setHeader) Run(_ context.Context, s *engine.State) error {
	name, action, vals, err := evalAll(s, sh.name, sh.action, sh.values)
	if err != nil {
		return err
	}
	key := textproto.CanonicalMIMEHeaderKey(name)
	if fixedHeaders[key] {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "header "+name+" cannot be changed by a policy", nil)
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
	applyHeader(h, key, action, vals)
	if s.Trace() != nil { // the arguments would be boxed even with tracing off
		s.Tracef("%s %s", action, key)
	}
	return nil
}
