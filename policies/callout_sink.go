package policies

import (
	"net/http"
	"time"

	"tollgate/engine"
)

// CalloutSinkKey is the State.SetPrivate key of a request's CalloutSink.
type CalloutSinkKey struct{}

// CalloutSink is told of the HTTP call-outs a request's policies make
// (send-request, send-one-way-request, send-service-bus-message,
// publish-to-dapr, invoke-dapr-binding, and the calls llm-content-safety
// and llm-semantic-cache-lookup make to their backend entities), so that
// the gateway can record them (Application Insights dependencies). It is
// called once per call, with the policy's request evaluated, before it is
// sent: method, target URL (as the policy wrote it: secrets included; a
// backend entity's without its query, which may hold its credentials) and
// headers, to which it may add (trace context); it must keep neither h nor
// the State. The
// CalloutEnd it returns (nil: nothing to tell) is called once when the
// call ended, for a one-way request on the sender's goroutine, possibly
// after the request ended. It must be safe for concurrent use: the
// branches of <wait> call it from their goroutines.
type CalloutSink func(method, target string, h http.Header) CalloutEnd

// CalloutEnd is told how a call-out ended: when it was sent, the status of
// the answer (0: none came) and the call's error (nil: the answer was read
// whole; for a one-way request, queued, sent and answered).
type CalloutEnd func(sent time.Time, status int, err error)

// calloutSink returns the request's CalloutSink, or nil (the gateway sets
// one only for the requests that record call-outs: no cost otherwise).
func calloutSink(s *engine.State) CalloutSink {
	f, _ := s.Private(CalloutSinkKey{}).(CalloutSink)
	return f
}
