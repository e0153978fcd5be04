package chatsvc

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/internal/testutil"
)

func TestAppNegotiateRedirect(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, method, query string
		wantUser            string // "" = generated
	}{
		{"POST v1", http.MethodPost, "negotiateVersion=1", ""},
		{"GET v1", http.MethodGet, "negotiateVersion=1", ""},
		{"user param", http.MethodPost, "negotiateVersion=1&user=alice", "alice"},
		{"no version", http.MethodPost, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.appSrv.URL+"/chat/negotiate?"+tc.query, nil)
			status, body := doJSON(t, req)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			rawURL, _ := body["url"].(string)
			tok, _ := body["accessToken"].(string)
			if rawURL == "" || tok == "" {
				t.Fatalf("want url and accessToken, got %v", body)
			}
			if _, has := body["connectionId"]; has {
				t.Errorf("redirect must not carry a connectionId: %v", body)
			}

			prefix := e.svcSrv.URL + "/client/?hub=chat&asrs.op=%2Fchat&"
			if !strings.HasPrefix(rawURL, prefix) {
				t.Fatalf("url %q, want prefix %q", rawURL, prefix)
			}
			u, err := url.Parse(rawURL)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("asrs.op") != "/chat" || q.Get("hub") != "chat" {
				t.Errorf("url query %v", q)
			}
			// The original negotiate query is copied through.
			if tc.query != "" && !strings.Contains(rawURL, "&"+tc.query+"&asrs_request_id=") {
				t.Errorf("url %q does not carry the original query %q", rawURL, tc.query)
			}
			id, err := base64.StdEncoding.DecodeString(q.Get("asrs_request_id"))
			if err != nil || len(id) != 8 {
				t.Errorf("asrs_request_id %q: want base64 of 8 bytes (%v)", q.Get("asrs_request_id"), err)
			}
			if !strings.Contains(rawURL, "asrs_request_id="+url.QueryEscape(q.Get("asrs_request_id"))) {
				t.Errorf("asrs_request_id is not URL-encoded in %q", rawURL)
			}

			claims := jwt.MapClaims{}
			parsed, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(testKey), nil },
				jwt.WithValidMethods([]string{"HS256"}))
			if err != nil || !parsed.Valid {
				t.Fatalf("token does not verify with the UTF-8 key bytes: %v", err)
			}
			if claims["aud"] != e.svcSrv.URL+"/client/?hub=chat" {
				t.Errorf("aud %v", claims["aud"])
			}
			now := float64(time.Now().Unix())
			exp, _ := claims["exp"].(float64)
			if exp < now+3500 || exp > now+3700 {
				t.Errorf("exp %v, want about now+1h", exp)
			}
			for _, k := range []string{"iat", "nbf"} {
				if v, _ := claims[k].(float64); v < now-60 || v > now+60 {
					t.Errorf("%s %v, want about now", k, claims[k])
				}
			}
			nameid, _ := claims["nameid"].(string)
			if tc.wantUser != "" && nameid != tc.wantUser || nameid == "" {
				t.Errorf("nameid %q, want %q", nameid, tc.wantUser)
			}

			// The redirect works end to end: the service accepts the token.
			st, neg := e.serviceNegotiate(u.RawQuery, tok)
			if st != http.StatusOK {
				t.Errorf("service negotiate with the app's redirect: %d %v", st, neg)
			}
		})
	}
}

func TestAppNegotiateMethodsAndCORS(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest(http.MethodPut, e.appSrv.URL+"/chat/negotiate", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d, want 405", resp.StatusCode)
	}

	req, _ = http.NewRequest(http.MethodOptions, e.appSrv.URL+"/chat/negotiate?negotiateVersion=1", nil)
	req.Header.Set("Origin", "http://example.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://example.test" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-SignalR-User-Agent") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func get(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAppPageAndLibrary(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, filepath.FromSlash(SignalRBrowserPath))
	testutil.WriteFile(t, lib, "var signalR={};")
	e := newEnv(t, func(c *Config) { c.NodeModulesDir = dir; c.PageHubURL = "http://gw.test:8080/chat" })

	status, body, hdr := get(t, e.appSrv.URL+"/")
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", status, hdr.Get("Content-Type"))
	}
	for _, want := range []string{`id="user"`, `id="message"`, `id="send"`, `id="messages"`, `id="status"`,
		`src="/lib/signalr.min.js"`, `data-hub-url="http://gw.test:8080/chat"`, "skipNegotiation: true", `"SendMessage"`, `"ReceiveMessage"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "cdn") || strings.Contains(body, "https://") {
		t.Errorf("page must not load anything from a CDN")
	}

	status, body, hdr = get(t, e.appSrv.URL+"/lib/signalr.min.js")
	if status != http.StatusOK || body != "var signalR={};" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") {
		t.Errorf("lib: %d %q %s", status, body, hdr.Get("Content-Type"))
	}
	if status, _, _ := get(t, e.appSrv.URL+"/nope"); status != http.StatusNotFound {
		t.Errorf("unknown path: %d", status)
	}
	if status, body, _ := get(t, e.appSrv.URL+"/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz: %d %q", status, body)
	}

	e2 := newEnv(t, func(c *Config) { c.NodeModulesDir = t.TempDir() })
	if status, body, _ := get(t, e2.appSrv.URL+"/lib/signalr.min.js"); status != http.StatusNotFound || !strings.Contains(body, "npm ci") {
		t.Errorf("missing lib: %d %q", status, body)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"short key", Config{AccessKey: "short"}, false},
		{"bad service url", Config{ServiceURL: "ftp://x"}, false},
		{"service url with query", Config{ServiceURL: "http://x/?a=b"}, false},
		{"bad hub", Config{Hub: "a/b"}, false},
		{"good", Config{AccessKey: testKey, ServiceURL: "https://x.service.signalr.net/", Hub: "Chat"}, true},
	}
	for _, tc := range tests {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewApp without ServiceURL must panic")
		}
	}()
	NewApp(Config{})
}
