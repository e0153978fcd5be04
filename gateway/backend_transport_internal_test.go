package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// recordingRT answers every request itself and counts them.
type recordingRT struct{ n int }

func (r *recordingRT) RoundTrip(*http.Request) (*http.Response, error) {
	r.n++
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
}
func (r *recordingRT) CloseIdleConnections() {}

// TestEnvProxyRequests: when HTTP_PROXY/HTTPS_PROXY are set, a request
// they send to a proxy goes over net/http (which speaks to proxies), the
// others over the default client.
func TestEnvProxyRequests(t *testing.T) {
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied = append(proxied, r.RequestURI) // absolute form: a proxy request
		io.WriteString(w, "via proxy")
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	tmpl := &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		if r.URL.Host == "proxied.example" {
			return pu, nil
		}
		return nil, nil
	}}
	t.Cleanup(tmpl.CloseIdleConnections)
	base := &recordingRT{}
	c := &certTransport{base: base, tmpl: tmpl, envProxy: true, by: map[transportKey]*http.Transport{}}
	for _, tc := range []struct {
		url       string
		viaProxy  bool
		baseCalls int
	}{
		{"http://proxied.example/a", true, 0},
		{"http://direct.example/b", false, 1},
	} {
		req, _ := http.NewRequest("GET", tc.url, nil)
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := string(data) == "via proxy"; got != tc.viaProxy || base.n != tc.baseCalls {
			t.Fatalf("%s: via proxy %v, default client calls %d", tc.url, got, base.n)
		}
	}
	if len(proxied) != 1 || proxied[0] != "http://proxied.example/a" {
		t.Fatalf("proxy saw %q", proxied)
	}
}

// TestCalloutEnvProxy: NewCalloutClient's transport, like the REST one,
// sends a request the environment's proxy settings send to a proxy over
// net/http, and the others over upstream. (The settings are faked:
// net/http reads the environment once per process.)
func TestCalloutEnvProxy(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "via proxy "+r.RequestURI)
	}))
	t.Cleanup(proxy.Close)
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "direct "+r.RequestURI)
	}))
	t.Cleanup(direct.Close)
	pu, _ := url.Parse(proxy.URL)
	c, err := NewCalloutClient(BackendUpstream)
	if err != nil {
		t.Fatal(err)
	}
	ct := c.Transport.(*calloutTransport)
	if !ct.up.OffLoop {
		t.Fatal("the call-out client's upstream transport may use the event loops")
	}
	ct.envProxy = true
	ct.tmpl.Proxy = func(r *http.Request) (*url.URL, error) {
		if r.URL.Host == "proxied.example" {
			return pu, nil
		}
		return nil, nil
	}
	t.Cleanup(c.CloseIdleConnections)
	for _, tc := range []struct{ url, want string }{
		{"http://proxied.example/a", "via proxy http://proxied.example/a"},
		{direct.URL + "/b", "direct /b"},
	} {
		res, err := c.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(data) != tc.want {
			t.Errorf("%s: %q, want %q", tc.url, data, tc.want)
		}
	}
	if _, err := NewCalloutClient("quic"); err == nil {
		t.Error("an unknown client was accepted")
	}
}
