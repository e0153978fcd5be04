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
//
// Inside <retry> (APIM's way to retry the backend call) and inside APIM's
// <limit-concurrency> wrapper (whose slot must cover the call), it sends
// the request at once, through the gateway's engine.Forwarder, once per
// run: context.Response is then the backend's answer for retry's
// condition, and the gateway does not forward again after the section.
type forwardRequest struct {
	settings engine.ForwardSettings
	send     bool // inside retry or limit-concurrency: send now
}

func (k *kit) parseForwardRequest(p *engine.Parser) engine.Step {
	f := engine.ForwardSettings{Set: true}
	// Without a timeout attribute the gateway's own bound stays (the API's
	// timeout, 300 s by default as APIM's forward-request, or its
	// handshake-timeout): Timeout 0. A bare <forward-request/> in a global
	// policy would otherwise lift every API's smaller bound to 300 s.
	if p.Has("timeout") {
		f.Timeout = time.Duration(p.LitInt("timeout", 300, 1, 3600)) * time.Second
	}
	f.FollowRedirects = p.LitBool("follow-redirects", false)
	f.FailOnErrorStatusCode = p.LitBool("fail-on-error-status-code", false)
	f.BufferResponse = p.LitBool("buffer-response", true)
	f.BufferRequestBody = p.LitBool("buffer-request-body", false)
	p.LitStr("http-version", "1", "1", "2", "2or1")
	return &forwardRequest{settings: f}
}

// Settings are the element's attributes (the gateway's load checks).
func (f *forwardRequest) Settings() engine.ForwardSettings { return f.settings }

// QueryBlind (engine.QueryBlind): a call it makes itself syncs the query first.
func (*forwardRequest) QueryBlind() {}

func (f *forwardRequest) Run(ctx context.Context, s *engine.State) error {
	s.Forward = f.settings
	s.Forward.From = s.Step()
	if !f.send {
		return nil
	}
	s.SyncQuery() // the call hands the request on
	fw := s.Forwarder()
	if fw == nil {
		return engine.NewPolicyError(engine.ReasonBackendConnection, 500, "forward-request inside retry cannot send the request here (no backend call in this context)", nil)
	}
	if err := fw.Forward(ctx, s); err != nil {
		return err
	}
	s.Forward.Sent = true
	return nil
}
