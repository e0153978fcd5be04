package policies

import (
	"context"
	"net/http"

	"tollgate/engine"
)

// <set-status code="401" reason="Unauthorized"/> sets context.Response's status.
type setStatus struct {
	code   engine.Int
	reason engine.Str
}

func (k *kit) parseSetStatus(p *engine.Parser) engine.Step { return parseSetStatusInto(p) }

func parseSetStatusInto(p *engine.Parser) *setStatus {
	return &setStatus{code: p.RequiredInt("code", 100, 599), reason: p.Str("reason", "")}
}

func (ss *setStatus) Run(_ context.Context, s *engine.State) error {
	code, err := ss.code.Eval(s)
	if err != nil {
		return err
	}
	reason, err := ss.reason.Eval(s)
	if err != nil {
		return err
	}
	if reason == "" {
		reason = http.StatusText(int(code))
	}
	r := s.Response()
	r.StatusCode, r.StatusReason = int(code), reason
	return nil
}
