package engine

import "io"

// ObserveResponseBody registers f to see the response body's bytes as they
// go to the client, after outbound, without the gateway buffering them (a
// streamed answer stays streamed). Policies that count what a backend
// answers (llm-token-limit's tokens) use it with AtEnd, which runs once the
// body has been sent. f runs on the request's goroutine; a chunk is only
// valid during the call.
func (s *State) ObserveResponseBody(f func(chunk []byte)) {
	s.observers = append(s.observers, f)
}

// WrapResponseBody returns rc, reporting its bytes to the observers (rc
// itself when there are none). The gateway calls it on the body it sends.
func (s *State) WrapResponseBody(rc io.ReadCloser) io.ReadCloser {
	if len(s.observers) == 0 || rc == nil {
		return rc
	}
	s.syncQuery() // the observers may read the request's query
	s.syncUrl()
	return &observedBody{ReadCloser: rc, fs: append([]func([]byte){}, s.observers...)}
}

type observedBody struct {
	io.ReadCloser
	fs []func([]byte)
}

func (b *observedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		for _, f := range b.fs {
			f(p[:n])
		}
	}
	return n, err
}

// OnBackendResponse registers f to run when the backend's response has
// arrived, before the outbound section (HTTP APIs): a policy from inbound
// that reports on the response in outbound's variables and headers
// (llm-token-limit's tokens-consumed-*) uses it.
func (s *State) OnBackendResponse(f func(*State)) {
	s.onResponse = append(s.onResponse, f)
}

// BackendResponded runs the OnBackendResponse functions; the gateway calls
// it once context.Response is the backend's.
// WatchesResponse reports whether a policy registered something that sees
// the backend's answer outside outbound: a function run when it comes
// (OnBackendResponse), a filter or an observer of its body
// (FilterResponseBody, ObserveResponseBody) or one run at the end (AtEnd).
// Without any, and without outbound and on-error policies, no policy sees
// the answer (the gateway may then reuse it).
func (s *State) WatchesResponse() bool {
	return len(s.onResponse) > 0 || len(s.filters) > 0 || len(s.observers) > 0 || len(s.atEnd) > 0
}

func (s *State) BackendResponded() {
	if len(s.onResponse) > 0 {
		s.syncQuery() // what a policy registered may read the request's query
		s.syncUrl()
	}
	for _, f := range s.onResponse {
		f(s)
	}
}

// BodyFilter stands between a response body and the client: it returns
// the reader the client's bytes come from instead of body. h is the
// response's header as it will be sent (its Content-Type and
// Content-Encoding say what body holds); the filter may change it, before
// it is sent.
type BodyFilter func(h Headers, body io.ReadCloser) io.ReadCloser

// FilterResponseBody registers f for the response body the gateway sends
// after outbound (HTTP APIs): llm-content-safety checks a streamed answer
// as it goes, releasing its events once checked and ending it early when
// one is flagged. A filtered body is sent without a Content-Length (the
// filter may shorten it); when it is an event stream, its status and
// headers are flushed before its first read (which may wait for a check)
// and its bytes as they come. Filters run in the order registered, before
// the observers.
func (s *State) FilterResponseBody(f BodyFilter) {
	s.filters = append(s.filters, f)
}

// FilterResponse returns body through the registered filters, and whether
// there were any (when not, body itself). The gateway calls it on the body
// it sends, before WrapResponseBody.
func (s *State) FilterResponse(h Headers, body io.ReadCloser) (io.ReadCloser, bool) {
	if len(s.filters) == 0 || body == nil {
		return body, false
	}
	s.syncQuery() // the filters may read the request's query
	s.syncUrl()
	for _, f := range s.filters {
		body = f(h, body)
	}
	return body, true
}
