package policies

import (
	"context"
	"fmt"

	"tollgate/engine"
)

// <set-backend-service base-url="ws://host:port/path?query"/>
// <set-backend-service backend-id="NAME"/>
// Replaces the API's service-url for this request. The rest of the request
// path is appended; the base URL's query comes first, then the request's
// parameters that it does not already set. backend-id names a backend
// entity (docs/resource-model.md: URL, credentials, TLS, circuit breaker,
// pool), which the gateway resolves when it forwards.
type setBackendService struct {
	baseURL   engine.Str
	backendID string
}

func (k *kit) parseSetBackendService(p *engine.Parser) engine.Step {
	for _, a := range []string{"dapr-app-id", "dapr-method", "dapr-namespace"} {
		if p.Has(a) {
			for _, b := range []string{"dapr-app-id", "dapr-method", "dapr-namespace", "backend-id"} {
				p.Attr(b)
			}
			p.ErrorAt(p.Node().Attr(a).Pos, "set-backend-service with Dapr is not available in a self-hosted gateway (it needs Azure's Dapr integration): "+
				"point base-url at the Dapr sidecar's service invocation API, http://localhost:3500/v1.0/invoke/APP-ID/method/")
			return nil
		}
	}
	if p.Has("backend-id") {
		if p.Has("base-url") {
			p.ErrorAt(p.Node().Attr("base-url").Pos, "give base-url or backend-id, not both")
		}
		id := p.RequiredLitStr("backend-id")
		if !p.HasBackend(id) {
			p.ErrorAt(p.Node().Attr("backend-id").ValuePos, "backend-id %q names no backend (backends/NAME/backendInformation.json)", id)
		}
		return &setBackendService{backendID: id}
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
	u, err := engine.ParseURL(s) // parsed once per distinct string, for the gateway too
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
	if b.backendID != "" {
		s.BackendID, s.BackendURL = b.backendID, ""
		if s.Trace() != nil {
			s.Tracef("backend %s", b.backendID)
		}
		return nil
	}
	v, err := b.baseURL.Eval(s)
	if err != nil {
		return err
	}
	if !b.baseURL.IsConst() {
		if err := checkBackendURL(v); err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, err.Error(), nil)
		}
	}
	s.BackendURL, s.BackendID = v, ""
	if s.Trace() != nil {
		s.Tracef("backend %s", engine.RedactURL(v))
	}
	return nil
}
