package policies

import (
	"context"
	"net/http"
)

// TransportWrapper is a call-out transport that wraps another to observe
// its calls: gateway.Telemetry.WrapTransport's, which gives each call an
// OpenTelemetry client span and its trace context. The policies keep such
// wrappers where they do not send with Deps.HTTPClient's transport
// itself: the clients made for send-request's <authentication-certificate>
// and <proxy>, and a backend entity's own transport (llm-content-safety,
// the semantic cache's embeddings) are wrapped the same way
// (Unwrap, Wrap), and send-one-way-request, sent later by a worker, is
// sent under what DetachContext keeps of the request's context.
type TransportWrapper interface {
	http.RoundTripper
	// Unwrap returns the transport wrapped.
	Unwrap() http.RoundTripper
	// Wrap returns rt wrapped the same way.
	Wrap(rt http.RoundTripper) http.RoundTripper
	// DetachContext returns dst with what the wrapper needs of src (a
	// request's context) to observe a call made after the request ended:
	// none of src's deadline or cancellation, nothing that holds the
	// request's State.
	DetachContext(dst, src context.Context) context.Context
}

// innermostTransport is rt without its wrappers.
func innermostTransport(rt http.RoundTripper) http.RoundTripper {
	for {
		w, ok := rt.(TransportWrapper)
		if !ok {
			return rt
		}
		rt = w.Unwrap()
	}
}

// wrapLike wraps rt as outer's wrappers wrap what they wrap (rt itself
// when outer has none).
func wrapLike(outer, rt http.RoundTripper) http.RoundTripper {
	w, ok := outer.(TransportWrapper)
	if !ok {
		return rt
	}
	return w.Wrap(wrapLike(w.Unwrap(), rt))
}

// detachContext is what outer's wrappers keep of ctx for a call made
// later (context.Background when it has none).
func detachContext(outer http.RoundTripper, ctx context.Context) context.Context {
	dst := context.Background()
	for w, ok := outer.(TransportWrapper); ok; w, ok = w.Unwrap().(TransportWrapper) {
		dst = w.DetachContext(dst, ctx)
	}
	return dst
}
