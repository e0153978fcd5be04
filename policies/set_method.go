package policies

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"tollgate/engine"
)

// <set-method>POST</set-method>
// Sets context.Request.Method, the method the gateway uses for the backend
// call. The text is the method (a literal or an expression); it must be an
// HTTP token (GET, POST, PATCH, a custom one…). On a WebSocket API the
// handshake must stay a GET: any other method is an error at run time.
// Sections: inbound and on-error (APIM), and backend (tollgate: the method
// is read when the gateway forwards, after the backend section).
type setMethod struct {
	method engine.Str
}

func (k *kit) parseSetMethod(p *engine.Parser) engine.Step {
	m := &setMethod{method: p.TextStr()}
	if m.method.IsConst() {
		if err := checkMethod(strings.TrimSpace(m.method.Const())); err != nil {
			p.Errorf("<set-method>: %s", err.Error())
		}
	}
	return m
}

func checkMethod(m string) error {
	if m == "" {
		return fmt.Errorf("the method must not be empty")
	}
	if strings.IndexFunc(m, notTokenChar) >= 0 {
		return fmt.Errorf("%q is not an HTTP method", m)
	}
	return nil
}

func (m *setMethod) Run(_ context.Context, s *engine.State) error {
	v, err := m.method.Eval(s)
	if err != nil {
		return err
	}
	v = strings.TrimSpace(v)
	if err := checkMethod(v); err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "set-method: "+err.Error(), nil)
	}
	ctx := s.Context()
	if ctx.Api != nil && ctx.Api.Type == "websocket" && v != http.MethodGet {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "set-method: a WebSocket handshake must stay a GET, not "+v, nil)
	}
	if ctx.Request != nil {
		ctx.Request.Method = v
	}
	s.Tracef("method %s", v)
	return nil
}
