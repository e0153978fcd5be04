package console_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"tollgate/gateway/console"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "[::1]:9090": true, "localhost:9090": true, "127.0.0.2:1": true,
		":9090": false, "0.0.0.0:9090": false, "[::]:9090": false, "10.0.0.5:9090": false,
		"example.com:9090": false, "127.0.0.1": false, "": false,
	} {
		if got := console.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// With a token, every admin path but the probes needs it, as a bearer
// token or as the cookie the login page sets; the console works the same.
func TestAdminToken(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "s3cret-admin-token")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := func(method, path string, h http.Header, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, e.admin.URL+path, strings.NewReader(body))
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	bearer := http.Header{"Authorization": {"Bearer s3cret-admin-token"}}
	for _, c := range []struct {
		name, method, path string
		h                  http.Header
		want               int
	}{
		{"probe", "GET", "/healthz", nil, 200},
		{"readiness", "GET", "/readyz", nil, 200},
		{"metrics without token", "GET", "/metrics", nil, 401},
		{"reload status without token", "GET", "/status/reload", nil, 401},
		{"console api without token", "GET", "/console/api/apis", nil, 401},
		{"file without token", "GET", "/console/api/file?path=chat/policy.xml", nil, 401},
		{"console page sends to login", "GET", "/console/", nil, 303},
		{"script without token", "GET", "/console/app.js", nil, 401},
		{"login page", "GET", "/console/login", nil, 200},
		{"wrong bearer", "GET", "/metrics", http.Header{"Authorization": {"Bearer nope"}}, 401},
		{"token as basic", "GET", "/metrics", http.Header{"Authorization": {"Basic s3cret-admin-token"}}, 401},
		{"forged cookie", "GET", "/console/api/apis", http.Header{"Cookie": {console.CookieName + "=s3cret-admin-token"}}, 401},
		{"bearer metrics", "GET", "/metrics", bearer, 200},
		{"bearer console api", "GET", "/console/api/apis", bearer, 200},
		{"bearer trace token", "POST", "/console/api/apis/chat/trace-token", bearer, 200},
		{"credentials without token", "GET", "/credentials", nil, 401},
		{"consent login without token", "GET", "/credentials/p/c/login", nil, 401},
		// The provider sends the operator's browser back here from another
		// site, without the SameSite=Strict cookie: the single-use state a
		// login with the token made is what admits it (here: none, 400).
		{"consent callback without token", "GET", "/credentials/callback?state=forged&code=x", nil, 400},
		{"bearer credentials", "GET", "/credentials", bearer, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := status(c.method, c.path, c.h, "").StatusCode; got != c.want {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
			}
		})
	}

	// Login: a wrong token is refused, a cross-origin form too.
	form := "token=" + url.QueryEscape("wrong")
	ct := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if got := status("POST", "/console/login", ct, form).StatusCode; got != 401 {
		t.Errorf("wrong login: %d", got)
	}
	evil := http.Header{"Content-Type": ct["Content-Type"], "Origin": {"http://evil.example"}}
	if got := status("POST", "/console/login", evil, "token=s3cret-admin-token").StatusCode; got != 403 {
		t.Errorf("cross-origin login: %d", got)
	}
	// The right one sets the cookie, which opens the console, its API and
	// the test bridge; it does not hold the token itself.
	resp := status("POST", "/console/login", ct, "token=s3cret-admin-token")
	if resp.StatusCode != 303 || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Cookies())
	}
	ck := resp.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || strings.Contains(ck.Value, "s3cret") {
		t.Errorf("cookie %+v", ck)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(e.admin.URL)
	jar.SetCookies(u, []*http.Cookie{ck})
	client := &http.Client{Jar: jar}
	for _, p := range []string{"/console/", "/console/app.js", "/console/api/apis", "/console/api/apis/chat/plan", "/metrics"} {
		r, err := client.Get(e.admin.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			t.Errorf("with the cookie, %s: %d", p, r.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, _, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws", nil); err == nil {
		t.Error("bridge without the cookie opened")
	}
	c, _, err := websocket.Dial(ctx, wsURL(e.admin.URL)+"/console/api/apis/chat/test-ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("bridge with the cookie: %v", err)
	}
	send(t, c, map[string]any{"type": "connect"})
	if hs := readEvent(t, c); !hs.OK {
		t.Errorf("handshake through the bridge: %+v", hs)
	}
	c.CloseNow()
}

// Without a token the console answers only to the listener's address: a
// page on a rebound domain name (DNS rebinding) is refused.
func TestHostGuardWithoutToken(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	for host, want := range map[string]int{
		"": 200, "localhost": 200, "127.0.0.1:1": 200, "[::1]:9090": 200,
		"evil.example": 403, "evil.example:9090": 403, "127.0.0.1.nip.io": 403,
	} {
		req, _ := http.NewRequest("GET", e.admin.URL+"/console/api/apis", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
}
