package e2e

// SignalR clients with their default settings: POST /chat/negotiate (the
// signalr-negotiate HTTP API), then the WebSocket to /chat?id=<token>,
// which the signalr-chat policy redeems once. Raw protocol here; the
// official client and Chromium are in samples/signalr-chat/e2e.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/internal/redistest"
	"tollgate/store"
)

// negotiation is a negotiate response as the official client reads it.
type negotiation struct {
	NegotiateVersion    *int   `json:"negotiateVersion"`
	ConnectionID        string `json:"connectionId"`
	ConnectionToken     string `json:"connectionToken"`
	URL                 string `json:"url"`
	AccessToken         string `json:"accessToken"`
	Error               string `json:"error"`
	AvailableTransports []struct {
		Transport       string   `json:"transport"`
		TransferFormats []string `json:"transferFormats"`
	} `json:"availableTransports"`
}

type httpAnswer struct {
	status int
	header http.Header
	body   string
}

// do sends method base+path with headers (name, value pairs).
func do(t *testing.T, ctx context.Context, method, url string, hdr ...string) httpAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return httpAnswer{resp.StatusCode, resp.Header, ""} // the body is the connection
	}
	b, _ := io.ReadAll(resp.Body)
	return httpAnswer{resp.StatusCode, resp.Header, string(b)}
}

// negotiate POSTs base/chat/negotiate?query as the official client does and
// returns the parsed 200 answer. The gateway's id is recorded as a secret:
// it must not show up in any log line either.
func (s *stack) negotiate(ctx context.Context, base, query string) negotiation {
	s.t.Helper()
	a := do(s.t, ctx, http.MethodPost, base+"/chat/negotiate"+query, "X-Requested-With", "XMLHttpRequest")
	if a.status != http.StatusOK {
		s.t.Fatalf("negotiate: %d %s", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		s.t.Fatalf("negotiate: Content-Type %q", ct)
	}
	var n negotiation
	if err := json.Unmarshal([]byte(a.body), &n); err != nil {
		s.t.Fatalf("negotiate: %v: %s", err, a.body)
	}
	s.secrets.add(n.ConnectionToken)
	if n.NegotiateVersion != nil && *n.NegotiateVersion == 0 {
		s.secrets.add(n.ConnectionID)
	}
	return n
}

// dialAt connects to base+path (a WebSocket through that gateway replica).
func (s *stack) dialAt(ctx context.Context, name, base, path string) *client {
	s.t.Helper()
	u := "ws://" + strings.TrimPrefix(base, "http://") + path
	ws, resp, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		s.t.Fatalf("%s: dial %s: %v%s", name, path, err, describe(resp))
	}
	s.t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: s.t, name: name, ws: ws}
}

// refusedAt dials base+path and expects an HTTP answer instead of an upgrade.
func (s *stack) refusedAt(ctx context.Context, base, path string) (int, string) {
	s.t.Helper()
	u := "ws://" + strings.TrimPrefix(base, "http://") + path
	ws, resp, err := websocket.Dial(ctx, u, nil)
	if err == nil {
		_ = ws.CloseNow()
		s.t.Fatalf("dial %s: upgraded; want a refusal before the upgrade", path)
	}
	if resp == nil {
		s.t.Fatalf("dial %s: no HTTP answer: %v", path, err)
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(resp.Body)
	}
	return resp.StatusCode, string(body)
}

const unknownID = `{"error": "unknown, expired or already used connection id: negotiate again"}`

func TestNegotiateThenConnect(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := testContext(t)
	base := s.gwSrv.URL

	// Version 1, as the official client asks: connectionId public,
	// connectionToken the gateway's own id; WebSockets only; no url or
	// token of the service's.
	n := s.negotiate(ctx, base, "?negotiateVersion=1")
	if n.NegotiateVersion == nil || *n.NegotiateVersion != 1 || n.ConnectionID == "" || n.ConnectionToken == "" ||
		n.ConnectionID == n.ConnectionToken || n.URL != "" || n.AccessToken != "" || n.Error != "" {
		t.Fatalf("negotiate v1: %+v", n)
	}
	if len(n.AvailableTransports) != 1 || n.AvailableTransports[0].Transport != "WebSockets" {
		t.Fatalf("transports: %+v", n.AvailableTransports)
	}
	for _, sec := range s.secrets.all() {
		if sec != n.ConnectionToken && strings.Contains(n.ConnectionToken+n.ConnectionID, sec) {
			t.Fatalf("the negotiate answer holds a token of the app's or the service's")
		}
	}
	if got := s.svc.Connections(); got != 0 {
		t.Fatalf("service has %d connections after negotiate, want 0", got)
	}
	alice := s.dial(ctx, "alice", "/chat?id="+n.ConnectionToken)
	alice.send(ctx, handshake)
	alice.expect(ctx, `{}`)

	// Version 0 (no negotiateVersion): the id is the connectionId.
	n0 := s.negotiate(ctx, base, "")
	if n0.NegotiateVersion == nil || *n0.NegotiateVersion != 0 || n0.ConnectionID == "" || n0.ConnectionToken != "" {
		t.Fatalf("negotiate v0: %+v", n0)
	}
	bob := s.dial(ctx, "bob", "/chat?id="+n0.ConnectionID)
	bob.send(ctx, handshake)
	bob.expect(ctx, `{}`)

	// And a skipNegotiation client, in the same hub.
	carol := s.dial(ctx, "carol", "/chat")
	carol.send(ctx, handshake)
	carol.expect(ctx, `{}`)

	alice.send(ctx, invocation("1", "alice", "negotiated through tollgate"))
	alice.expect(ctx, received("alice", "negotiated through tollgate"))
	alice.expect(ctx, completion("1"))
	bob.expect(ctx, received("alice", "negotiated through tollgate"))
	carol.expect(ctx, received("alice", "negotiated through tollgate"))
	if got := s.svc.Connections(); got != 3 {
		t.Fatalf("service has %d connections, want 3", got)
	}

	// The id was single use.
	status, body := s.dialRefused(ctx, "/chat?id="+n.ConnectionToken)
	if status != http.StatusNotFound || !jsonEqual(body, unknownID) {
		t.Fatalf("reused id: %d %s, want 404 %s", status, body, unknownID)
	}
}

// Unknown, expired and reused ids, and upstream failures, are answered
// before the upgrade; the service never sees a connection for them.
func TestNegotiateBadInput(t *testing.T) {
	t.Run("unknown or empty id", func(t *testing.T) {
		s := newStack(t, stackOptions{})
		ctx := testContext(t)
		for _, path := range []string{"/chat?id=nope", "/chat?id=", "/chat?id=" + strings.Repeat("x", 4000), "/chat?id=a%00b",
			"/chat?id=%zz", "/chat?id=a&id=b", "/chat?ID=x&id"} {
			status, body := s.dialRefused(ctx, path)
			if status != http.StatusNotFound || !jsonEqual(body, unknownID) {
				t.Fatalf("%.40s: %d %s", path, status, body)
			}
		}
		if n := s.svc.Connections(); n != 0 {
			t.Fatalf("service has %d connections, want 0", n)
		}
	})

	t.Run("reused id, also concurrently", func(t *testing.T) {
		s := newStack(t, stackOptions{})
		ctx := testContext(t)
		n := s.negotiate(ctx, s.gwSrv.URL, "?negotiateVersion=1")
		if counts := racingConnects(t, ctx, n.ConnectionToken, s.gwSrv.URL); counts["101"] != 1 || counts["404 "+unknownID] != 7 {
			t.Fatalf("8 concurrent connects with one id: %v, want one 101 and seven 404 from the gateway", counts)
		}
	})

	t.Run("expired id", func(t *testing.T) {
		s := newStack(t, stackOptions{env: map[string]string{"SIGNALR_CONNECT_TTL": "1"}})
		ctx := testContext(t)
		n := s.negotiate(ctx, s.gwSrv.URL, "?negotiateVersion=1")
		time.Sleep(1500 * time.Millisecond) // past signalr-connect-ttl
		status, body := s.dialRefused(ctx, "/chat?id="+n.ConnectionToken)
		if status != http.StatusNotFound || !jsonEqual(body, unknownID) {
			t.Fatalf("expired id: %d %s", status, body)
		}
		if c := s.svc.Connections(); c != 0 {
			t.Fatalf("service has %d connections, want 0", c)
		}
	})

	type errBody struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
		Step   string `json:"step"`
	}
	failures := []struct {
		name   string
		o      stackOptions
		breaks func(s *stack)
		status int
		want   errBody
	}{
		{"app down", stackOptions{}, func(s *stack) { s.appSrv.Close() }, http.StatusBadGateway,
			errBody{"SignalR negotiation failed", "SendRequestFailure", "inbound/include-fragment[1]/send-request[1]"}},
		{"service down", stackOptions{}, func(s *stack) { s.svcSrv.Close() }, http.StatusBadGateway,
			errBody{"SignalR negotiation failed", "SendRequestFailure", "inbound/include-fragment[1]/send-request[2]"}},
		{"wrong access key", stackOptions{appKey: otherKey}, func(*stack) {}, http.StatusUnauthorized,
			errBody{Error: "the SignalR service rejected the access token"}},
	}
	for _, tc := range failures {
		t.Run("upstream failure: "+tc.name, func(t *testing.T) {
			s := newStack(t, tc.o)
			tc.breaks(s)
			ctx := testContext(t)
			a := do(t, ctx, http.MethodPost, s.gwSrv.URL+"/chat/negotiate?negotiateVersion=1")
			var got errBody
			if err := json.Unmarshal([]byte(a.body), &got); err != nil {
				t.Fatalf("%d %q: %v", a.status, a.body, err)
			}
			if a.status != tc.status || got != tc.want {
				t.Fatalf("%d %+v, want %d %+v", a.status, got, tc.status, tc.want)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}

	t.Run("store down: 503 instead of an id that cannot be redeemed", func(t *testing.T) {
		r := redistest.Start(t)
		s := newStack(t, stackOptions{store: rdNewRedisStore(t, r, 200*time.Millisecond)})
		ctx := testContext(t)
		r.Stop()
		a := do(t, ctx, http.MethodPost, s.gwSrv.URL+"/chat/negotiate?negotiateVersion=1")
		var got struct{ Error string }
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != http.StatusServiceUnavailable ||
			!strings.Contains(got.Error, "store is unavailable") {
			t.Fatalf("%d %s, want 503 with a SignalR error", a.status, a.body)
		}
		// skipNegotiation needs no store.
		c := s.dial(ctx, "skipper", "/chat")
		c.send(ctx, handshake)
		c.expect(ctx, `{}`)
	})

	t.Run("app answers non-200", func(t *testing.T) {
		other := newStack(t, stackOptions{})
		s := newStack(t, stackOptions{env: map[string]string{"SIGNALR_APP_URL": other.svcSrv.URL + "/nothing-here"}})
		a := do(t, testContext(t), http.MethodPost, s.gwSrv.URL+"/chat/negotiate?negotiateVersion=1")
		if a.status != http.StatusBadGateway || !jsonEqual(a.body, `{"error":"the chat app refused to negotiate","status":404}`) {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
}

// /chat/negotiate (HTTP) and /chat (WebSocket) share a prefix: the longest
// prefix routes, whatever the method or the Upgrade header.
func TestNegotiateRouting(t *testing.T) {
	s := newStack(t, stackOptions{env: map[string]string{"SIGNALR_PAGE_CORS_ORIGINS": "http://page.example, http://127.0.0.1:5000"}})
	ctx := testContext(t)
	base := s.gwSrv.URL
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	for _, tc := range []struct {
		name, method, path string
		hdr                []string
		status             int
		body               string // substring
		header             [2]string
	}{
		{"GET negotiate", http.MethodGet, "/chat/negotiate", nil, http.StatusMethodNotAllowed, "negotiate is a POST", [2]string{"Allow", "POST"}},
		{"WebSocket upgrade to negotiate: the HTTP API, no upgrade", http.MethodGet, "/chat/negotiate", upgrade, http.StatusMethodNotAllowed, "negotiate is a POST", [2]string{"Upgrade", ""}},
		{"POST below negotiate: still negotiate", http.MethodPost, "/chat/negotiate/", nil, http.StatusOK, `"connectionId"`, [2]string{}},
		{"plain GET to /chat: the WebSocket API", http.MethodGet, "/chat", nil, http.StatusUpgradeRequired, "speaks WebSocket", [2]string{"Upgrade", "websocket"}},
		{"POST to /chat: the WebSocket API", http.MethodPost, "/chat", nil, http.StatusUpgradeRequired, "speaks WebSocket", [2]string{}},
		{"/chat/negotiatex is not /chat/negotiate", http.MethodPost, "/chat/negotiatex", nil, http.StatusUpgradeRequired, "speaks WebSocket", [2]string{}},
		{"preflight from the page", http.MethodOptions, "/chat/negotiate", []string{"Origin", "http://page.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "x-requested-with, x-signalr-user-agent"}, http.StatusOK, "", [2]string{"Access-Control-Allow-Origin", "http://page.example"}},
		{"preflight from another origin", http.MethodOptions, "/chat/negotiate", []string{"Origin", "http://evil.example", "Access-Control-Request-Method", "POST"},
			http.StatusOK, "", [2]string{"Access-Control-Allow-Origin", ""}},
		{"negotiate from another origin: refused, no negotiation", http.MethodPost, "/chat/negotiate?negotiateVersion=1", []string{"Origin", "http://evil.example"},
			http.StatusForbidden, "Origin not allowed", [2]string{"Access-Control-Allow-Origin", ""}},
		{"negotiate from a page of the gateway's own host", http.MethodPost, "/chat/negotiate?negotiateVersion=1", []string{"Origin", base},
			http.StatusOK, `"connectionToken"`, [2]string{}},
		{"negotiate from the page, origin in another case", http.MethodPost, "/chat/negotiate?negotiateVersion=1", []string{"Origin", "HTTP://Page.Example"},
			http.StatusOK, `"connectionToken"`, [2]string{"Access-Control-Allow-Origin", "HTTP://Page.Example"}},
		{"negotiate from the page", http.MethodPost, "/chat/negotiate?negotiateVersion=1", []string{"Origin", "http://127.0.0.1:5000"},
			http.StatusOK, `"connectionToken"`, [2]string{"Access-Control-Allow-Credentials", "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, ctx, tc.method, base+tc.path, tc.hdr...)
			if a.status != tc.status || !strings.Contains(a.body, tc.body) {
				t.Fatalf("%d %s, want %d with %q", a.status, a.body, tc.status, tc.body)
			}
			if tc.header[0] != "" && a.header.Get(tc.header[0]) != tc.header[1] {
				t.Fatalf("%s: %q, want %q (%v)", tc.header[0], a.header.Get(tc.header[0]), tc.header[1], a.header)
			}
		})
	}
	if n := s.svc.Connections(); n != 0 {
		t.Fatalf("service has %d connections, want 0", n)
	}
}

// Two gateway replicas sharing a real Redis: negotiate on one, connect on
// the other; the id is still single use across both.
func TestNegotiateAcrossReplicasWithRedis(t *testing.T) {
	r := redistest.Start(t)
	newStore := func() store.Store { return rdNewRedisStore(t, r, 2*time.Second) }
	s := newStack(t, stackOptions{store: newStore()})
	_, other := s.newGateway(newStore())
	a, b := s.gwSrv.URL, other.URL
	ctx := testContext(t)

	var clients []*client
	for i, name := range []string{"alice", "bob", "carol", "dave"} {
		neg, conn := a, b // negotiate on one replica, connect on the other
		if i%2 == 1 {
			neg, conn = b, a
		}
		n := s.negotiate(ctx, neg, "?negotiateVersion=1")
		c := s.dialAt(ctx, name, conn, "/chat?id="+n.ConnectionToken)
		c.send(ctx, handshake)
		c.expect(ctx, `{}`)
		clients = append(clients, c)
		// Used: refused on both replicas.
		for _, base := range []string{a, b} {
			if status, body := s.refusedAt(ctx, base, "/chat?id="+n.ConnectionToken); status != http.StatusNotFound {
				t.Fatalf("reused id on %s: %d %s", base, status, body)
			}
		}
	}
	clients[0].send(ctx, sendOnly("alice", "across replicas"))
	for _, c := range clients {
		c.expect(ctx, received("alice", "across replicas"))
	}

	// One id, connects racing on both replicas: exactly one wins.
	n := s.negotiate(ctx, a, "?negotiateVersion=1")
	if counts := racingConnects(t, ctx, n.ConnectionToken, a, b, a, b, a, b); counts["101"] != 1 || counts["404 "+unknownID] != 5 {
		t.Fatalf("6 racing connects on 2 replicas: %v, want one 101 and five 404 from the gateway", counts)
	}
}

// racingConnects dials /chat?id=<id> at once on each of bases (8 times on
// one base if only one is given) and counts the answers: "101", or the
// status and body ("404 {...}"). Only the gateway's own refusal proves the
// id was single use there: the service would refuse a reused id too.
func racingConnects(t *testing.T, ctx context.Context, id string, bases ...string) map[string]int {
	t.Helper()
	if len(bases) == 1 {
		bases = []string{bases[0], bases[0], bases[0], bases[0], bases[0], bases[0], bases[0], bases[0]}
	}
	answers := make(chan string, len(bases))
	var wg sync.WaitGroup
	for _, base := range bases {
		wg.Go(func() {
			u := "ws://" + strings.TrimPrefix(base, "http://") + "/chat?id=" + id
			ws, resp, err := websocket.Dial(ctx, u, nil)
			switch {
			case err == nil:
				t.Cleanup(func() { _ = ws.CloseNow() })
				answers <- "101"
			case resp != nil:
				var body []byte
				if resp.Body != nil {
					body, _ = io.ReadAll(resp.Body)
				}
				if jsonEqual(string(body), unknownID) {
					body = []byte(unknownID)
				}
				answers <- fmt.Sprintf("%d %s", resp.StatusCode, body)
			default:
				t.Errorf("no HTTP answer: %v", err)
			}
		})
	}
	wg.Wait()
	close(answers)
	counts := map[string]int{}
	for a := range answers {
		counts[a]++
	}
	return counts
}

// With trace="true" on every SignalR API, the policy trace lines name the
// steps and variables of negotiate, connect and skipNegotiation, but no
// token: neither the app's access token, the service's connection token,
// nor the gateway's id (the fragment and the policies mark them
// secret="true"; the stack checks every log line at cleanup).
func TestSignalRTraceHoldsNoSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(apisDir)); err != nil {
		t.Fatal(err)
	}
	for _, api := range []string{"signalr-chat", "signalr-negotiate", "signalr-plain"} {
		f := filepath.Join(dir, api, "api.xml")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("<api "), []byte(`<api trace="true" `), 1)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := newStack(t, stackOptions{apis: dir})
	ctx := testContext(t)
	n := s.negotiate(ctx, s.gwSrv.URL, "?negotiateVersion=1")
	a := s.dial(ctx, "negotiated", "/chat?id="+n.ConnectionToken)
	a.send(ctx, handshake)
	a.expect(ctx, `{}`)
	b := s.dial(ctx, "skipped", "/chat")
	b.send(ctx, handshake)
	b.expect(ctx, `{}`)
	p := s.dial(ctx, "plain", "/plain-chat")
	p.expect(ctx, `{}`)
	if status, _ := s.dialRefused(ctx, "/chat?id="+n.ConnectionToken); status != http.StatusNotFound {
		t.Fatalf("reused id: %d", status)
	}
	traces := s.logs.FilterMessage("policy trace")
	if got := traces.Len(); got != 5 {
		t.Fatalf("%d policy trace lines, want one per request (5)", got)
	}
	redacted := 0
	for _, e := range traces.All() {
		if strings.Contains(fmt.Sprint(e.ContextMap()["steps"]), "REDACTED") {
			redacted++
		}
	}
	if redacted < 4 {
		t.Fatalf("%d trace lines with REDACTED values, want the 4 that handled tokens", redacted)
	}
	if len(s.secrets.all()) < 7 {
		t.Fatalf("only %d secrets recorded: the log check would prove little", len(s.secrets.all()))
	}
}
