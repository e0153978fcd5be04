package policies

import (
	"context"
	"time"

	"tollgate/engine"
)

// <forward-request timeout="300" follow-redirects="false"
//
//	fail-on-error-status-code="false" buffer-response="true"/>
//
// Records how the gateway forwards the request (HTTP APIs). For WebSocket
// APIs, timeout bounds the backend's handshake.
type forwardRequest struct {
	settings engine.ForwardSettings
}

func (k *kit) parseForwardRequest(p *engine.Parser) engine.Step {
	f := engine.ForwardSettings{Set: true}
	f.Timeout = time.Duration(p.LitInt("timeout", 300, 1, 3600)) * time.Second
	f.FollowRedirects = p.LitBool("follow-redirects", false)
	f.FailOnErrorStatusCode = p.LitBool("fail-on-error-status-code", false)
	f.BufferResponse = p.LitBool("buffer-response", true)
	p.LitBool("buffer-request-body", false)
	p.LitStr("http-version", "1", "1", "2", "2or1")
	return &forwardRequest{settings: f}
}

func (f *forwardRequest) Run(_ context.Context, s *engine.State) error {
	s.Forward = f.settings
	return nil
}
