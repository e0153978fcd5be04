package engine

import (
	"net/http"
	"net/url"
	"testing"
)

// countingHook records the States RefreshUrl was called with.
type countingHook struct{ calls []*State }

func (h *countingHook) RefreshUrl(s *State) { h.calls = append(h.calls, s) }

// TestRoutePathAndUrlHook: the routed path starts as the client's and is
// kept apart from context.Request.Url (which the gateway's hook makes the
// backend URL); a fork keeps the routed path but not the hook; Release
// forgets both. The hook is called when the Url is first read after
// RefreshUrl (SyncUrl), once.
func TestRoutePathAndUrlHook(t *testing.T) {
	s := AcquireState(nil)
	u, _ := url.Parse("http://gw/api/items/42?q=1")
	s.SetRequest(http.MethodGet, "http", "gw:8080", u, http.Header{}, "10.0.0.1")
	if got := s.RoutePath(); got != "/api/items/42" {
		t.Fatalf("RoutePath %q", got)
	}
	s.RefreshUrl() // no hook: nothing happens
	h := &countingHook{}
	s.SetUrlHook(h)
	s.Context().Request.Url.Path = "/svc/items/42" // as a hook would
	s.SetRoutePath("/api/v2/42")
	s.RefreshUrl()
	s.RefreshUrl() // twice before a read: the hook is called once, when read
	if len(h.calls) != 0 || !s.UrlStale() {
		t.Fatalf("hook called before the Url was read: %v", h.calls)
	}
	s.SyncUrl()
	s.SyncUrl()
	if len(h.calls) != 1 || h.calls[0] != s || s.UrlStale() {
		t.Fatalf("hook calls %v", h.calls)
	}
	for _, c := range []struct{ what, got, want string }{
		{"RoutePath", s.RoutePath(), "/api/v2/42"},
		{"Url.Path", s.Context().Request.Url.Path, "/svc/items/42"},
		{"OriginalUrl.Path", s.Context().Request.OriginalUrl.Path, "/api/items/42"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	f := s.Fork()
	if f.RoutePath() != "/api/v2/42" {
		t.Errorf("fork's RoutePath %q", f.RoutePath())
	}
	f.RefreshUrl() // a fork has no hook: its URL changes never reach the exchange
	if len(h.calls) != 1 {
		t.Errorf("a fork called the hook")
	}
	f.Release()
	s.Release()
	r := AcquireState(nil)
	defer r.Release()
	if r.RoutePath() != "" || r.urlHook != nil {
		t.Errorf("a released State kept RoutePath %q or its hook", r.RoutePath())
	}
}
