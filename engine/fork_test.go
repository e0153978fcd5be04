package engine

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
)

func TestForkJoin(t *testing.T) {
	u, _ := url.Parse("http://gw/api/x?a=1")
	s := AcquireState(&Api{Name: "a"})
	defer s.Release()
	s.SetRequest("GET", "http", "gw", u, http.Header{"X-A": {"1"}}, "1.2.3.4")
	s.Context().Request.Body = NewBody([]byte(`{"k":"v"}`))
	shared := map[string]any{"m": 1}
	s.Variables()["keep"] = "k"
	s.Variables()["change"] = 1
	s.Variables()["gone"] = true
	s.Variables()["map"] = shared
	s.Variables()["resp"] = &Response{StatusCode: 200, Headers: Headers{}, Body: NewBody([]byte(`{"t":1}`))}

	forks := []*State{s.Fork(), s.Fork()}
	var wg sync.WaitGroup
	for i, f := range forks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// concurrent reads of what they share, and private writes
			_, _ = f.Context().Request.Body.AsJSON()
			_, _ = f.Variables()["resp"].(*Response).Body.AsJSON()
			f.Context().Request.Headers["X-B"] = []string{"b"}
			if i == 0 {
				f.Variables()["change"] = 2
				delete(f.Variables(), "gone")
				f.Variables()["new0"] = "n"
			} else {
				f.Variables()["change"] = 3
				f.Variables()["new1"] = "m"
			}
		}()
	}
	wg.Wait()
	for _, f := range forks {
		s.Join(f)
	}
	v := s.Variables()
	if v["change"] != 3 || v["new0"] != "n" || v["new1"] != "m" || v["keep"] != "k" {
		t.Errorf("variables = %v", v)
	}
	if _, ok := v["gone"]; ok {
		t.Errorf("gone still set")
	}
	if m, _ := v["map"].(map[string]any); m == nil || m["m"] != 1 {
		t.Errorf("map = %v", v["map"])
	}
	if s.Context().Request.Headers.ContainsKey("X-B") {
		t.Errorf("a fork's request header reached the parent")
	}
	if s.Stopped() {
		t.Errorf("stopped")
	}

	// A fork that stops hands its response over.
	f := s.Fork()
	f.SetResponse(NewResponse(418))
	f.Stop()
	s.Join(f)
	if !s.Stopped() || s.Response().StatusCode != 418 {
		t.Errorf("stop not merged: %v %d", s.Stopped(), s.Response().StatusCode)
	}
}
