package engine

import (
	"context"
	"io"
	"testing"
)

// TestWatchesResponse: every way a policy can see the backend's answer
// outside outbound makes WatchesResponse true, and Release forgets it.
func TestWatchesResponse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		register func(s *State)
	}{
		{"nothing", func(*State) {}},
		{"OnBackendResponse", func(s *State) { s.OnBackendResponse(func(*State) {}) }},
		{"FilterResponseBody", func(s *State) {
			s.FilterResponseBody(func(_ Headers, b io.ReadCloser) io.ReadCloser { return b })
		}},
		{"ObserveResponseBody", func(s *State) { s.ObserveResponseBody(func([]byte) {}) }},
		{"AtEnd", func(s *State) { s.AtEnd(func(context.Context, *State) {}) }},
	} {
		s := AcquireState(&Api{Name: "a"})
		tc.register(s)
		if got, want := s.WatchesResponse(), tc.name != "nothing"; got != want {
			t.Errorf("%s: WatchesResponse %v, want %v", tc.name, got, want)
		}
		s.Release()
		if s = AcquireState(&Api{Name: "a"}); s.WatchesResponse() {
			t.Errorf("after %s, a State from the pool watches the answer", tc.name)
		}
		s.Release()
	}
}
