package policies

import (
	"context"
	"fmt"
	"net/url"

	"tollgate/engine"
)

// <set-backend-service base-url="ws://host:port/path?query"/>
// Replaces the API's service-url for this request. The rest of the request
// path is appended; the base URL's query comes first, then the request's
// parameters that it does not already set.
type setBackendService struct {
	baseURL engine.Str
}

func (k *kit) parseSetBackendService(p *engine.Parser) engine.Step {
	if p.Has("backend-id") {
		p.Attr("backend-id")
		p.ErrorAt(p.Node().Attr("backend-id").Pos, "backend-id is not supported: give base-url")
		return nil
	}
	b := &setBackendService{baseURL: p.RequiredStr("base-url")}
	if b.baseURL.IsConst() && p.Has("base-url") {
		if err := checkBackendURL(b.baseURL.Const()); err != nil {
			p.ErrorAt(p.Node().Attr("base-url").ValuePos, "%s", err.Error())
		}
	}
	return b
}

// checkBackendURL accepts absolute ws, wss, http and https URLs.
func checkBackendURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("base-url %q is not a URL: %s", s, err.Error())
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("base-url %q must start with ws://, wss://, http:// or https://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("base-url %q has no host", s)
	}
	return nil
}

func (b *setBackendService) Run(_ context.Context, s *engine.State) error {
	v, err := b.baseURL.Eval(s)
	if err != nil {
		return err
	}
	if !b.baseURL.IsConst() {
		if err := checkBackendURL(v); err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, err.Error(), nil)
		}
	}
	s.BackendURL = v
	if s.Trace() != nil {
		s.Tracef("backend %s", engine.RedactURL(v))
	}
	return nil
}
