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
