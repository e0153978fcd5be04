package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const handshake = `{"protocol":"json","version":1}`

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The article's scenario: SignalR clients connect to /chat with
// skipNegotiation; the gateway negotiates with the App and the Service for
// them and connects to the Service's WebSocket URL.
func TestChatThroughGateway(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := testContext(t)

	clients := []*client{s.dial(ctx, "alice", "/chat"), s.dial(ctx, "bob", "/chat"), s.dial(ctx, "carol", "/chat")}
	for _, c := range clients {
		c.send(ctx, handshake)
		c.expect(ctx, `{}`)
	}
	if n := s.svc.Connections(); n != 3 {
		t.Fatalf("service has %d connections, want 3 (one per client, through the gateway)", n)
	}

	// An invocation: broadcast to all three, the completion to the caller only.
	clients[0].send(ctx, invocation("1", "alice", "hello through tollgate"))
	clients[0].expect(ctx, received("alice", "hello through tollgate"))
	clients[0].expect(ctx, completion("1"))
	for _, c := range clients[1:] {
		c.expect(ctx, received("alice", "hello through tollgate"))
	}

	// Bob and Carol got no completion: the next thing they see is Bob's
	// message (sent without invocationId: no completion for anyone).
	clients[1].send(ctx, sendOnly("bob", "hi alice"))
	for _, c := range clients {
		c.expect(ctx, received("bob", "hi alice"))
	}

	// Several records in one frame, each sender's order kept.
	clients[2].send(ctx, invocation("7", "carol", "one"), invocation("8", "carol", "two"))
	for _, c := range clients[:2] {
		c.expect(ctx, received("carol", "one"))
		c.expect(ctx, received("carol", "two"))
	}
	clients[2].expect(ctx, received("carol", "one"))
	clients[2].expect(ctx, completion("7"))
	clients[2].expect(ctx, received("carol", "two"))
	clients[2].expect(ctx, completion("8"))

	// A hub error comes back as an error completion through the gateway.
	clients[1].send(ctx, `{"type":1,"invocationId":"9","target":"NoSuchMethod","arguments":[]}`)
	got, err := clients[1].next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var comp struct {
		Type         int    `json:"type"`
		InvocationID string `json:"invocationId"`
		Error        string `json:"error"`
	}
	if err := json.Unmarshal([]byte(got), &comp); err != nil || comp.Type != 3 || comp.InvocationID != "9" || comp.Error == "" {
		t.Fatalf("unknown method: got %s, want an error completion for invocation 9", got)
	}

	for _, c := range clients {
		c.expectNothing(ctx, 200*time.Millisecond)
	}

	// The no-secrets-in-logs check (at cleanup) has something to look for.
	if n := len(s.secrets.all()); n < 6 {
		t.Fatalf("recorded %d tokens, want 3 access tokens and 3 connection tokens", n)
	}
	if n := s.logs.FilterMessage("handshake").Len(); n < 3 {
		t.Fatalf("%d handshake log lines, want 3", n)
	}
}

// /plain-chat: the gateway sends the JSON hub protocol handshake to the
// Service itself (send-message), so a client that knows nothing of SignalR
// first sees the Service's {} and then chats.
func TestPlainChatGatewaySendsHandshake(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := testContext(t)

	plain := []*client{s.dial(ctx, "plain1", "/plain-chat"), s.dial(ctx, "plain2", "/plain-chat"), s.dial(ctx, "plain3", "/plain-chat")}
	for _, c := range plain {
		// No handshake sent by the client.
		c.expect(ctx, `{}`)
	}
	plain[0].send(ctx, invocation("1", "plain1", "no handshake needed"))
	plain[0].expect(ctx, received("plain1", "no handshake needed"))
	plain[0].expect(ctx, completion("1"))
	for _, c := range plain[1:] {
		c.expect(ctx, received("plain1", "no handshake needed"))
	}

	// Both APIs front the same hub: a /chat client and a /plain-chat client
	// see each other.
	sig := s.dial(ctx, "signalr", "/chat")
	sig.send(ctx, handshake)
	sig.expect(ctx, `{}`)
	sig.send(ctx, sendOnly("signalr", "from /chat"))
	plain[2].send(ctx, sendOnly("plain3", "from /plain-chat"))
	for _, c := range append(plain, sig) {
		// The two senders are independent: accept either order.
		a, err := c.next(ctx)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, err := c.next(ctx)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		x, y := received("signalr", "from /chat"), received("plain3", "from /plain-chat")
		if !(jsonEqual(a, x) && jsonEqual(b, y) || jsonEqual(a, y) && jsonEqual(b, x)) {
			t.Fatalf("%s: got %s and %s, want both messages", c.name, a, b)
		}
	}
	if n := s.svc.Connections(); n != 4 {
		t.Fatalf("service has %d connections, want 4", n)
	}
}

// Negotiation failures are answered before any upgrade: the client never
// gets a WebSocket, and the Service never sees a connection.
func TestNegotiationFailures(t *testing.T) {
	type jsonBody struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
		Reason string `json:"reason"`
		Step   string `json:"step"`
	}
	// Where each API's policy includes the negotiate fragment (/chat only
	// negotiates for clients that did not, i.e. without ?id=).
	fragmentAt := map[string]string{
		"/chat":       "inbound/choose[1]/otherwise[1]/include-fragment[1]",
		"/plain-chat": "inbound/include-fragment[1]",
	}
	parse := func(t *testing.T, body string) jsonBody {
		t.Helper()
		var b jsonBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Fatalf("body %q is not JSON: %v", body, err)
		}
		return b
	}

	t.Run("wrong access key: the service rejects the token", func(t *testing.T) {
		s := newStack(t, stackOptions{appKey: otherKey})
		ctx := testContext(t)
		for _, path := range []string{"/chat", "/plain-chat"} {
			status, body := s.dialRefused(ctx, path)
			if status != http.StatusUnauthorized && status != http.StatusForbidden {
				t.Fatalf("%s: status %d (%s), want 401 or 403", path, status, body)
			}
			if b := parse(t, body); b.Error != "the SignalR service rejected the access token" {
				t.Fatalf("%s: body %s", path, body)
			}
		}
		if n := s.svc.Connections(); n != 0 {
			t.Fatalf("service has %d connections, want 0", n)
		}
	})

	t.Run("service down: 502 from on-error", func(t *testing.T) {
		s := newStack(t, stackOptions{})
		s.svcSrv.Close()
		ctx := testContext(t)
		for _, path := range []string{"/chat", "/plain-chat"} {
			status, body := s.dialRefused(ctx, path)
			if status != http.StatusBadGateway {
				t.Fatalf("%s: status %d (%s), want 502", path, status, body)
			}
			b := parse(t, body)
			// The service's negotiate is the fragment's second send-request.
			if b.Error != "SignalR negotiation failed" || b.Reason == "" || b.Step != fragmentAt[path]+"/send-request[2]" {
				t.Fatalf("%s: body %s, want the on-error JSON", path, body)
			}
			t.Logf("%s: %d %s", path, status, body)
		}
	})

	t.Run("app down: 502 from on-error", func(t *testing.T) {
		s := newStack(t, stackOptions{})
		s.appSrv.Close()
		ctx := testContext(t)
		for _, path := range []string{"/chat", "/plain-chat"} {
			status, body := s.dialRefused(ctx, path)
			if status != http.StatusBadGateway {
				t.Fatalf("%s: status %d (%s), want 502", path, status, body)
			}
			// The app's negotiate is the fragment's first send-request.
			if b := parse(t, body); b.Error != "SignalR negotiation failed" || b.Reason == "" || b.Step != fragmentAt[path]+"/send-request[1]" {
				t.Fatalf("%s: body %s, want the on-error JSON", path, body)
			}
			t.Logf("%s: %d %s", path, status, body)
		}
		if n := s.svc.Connections(); n != 0 {
			t.Fatalf("service has %d connections, want 0", n)
		}
	})

	t.Run("app answers non-200: 502 naming the status", func(t *testing.T) {
		// Point the App URL at something that is not a chat app (404).
		other := newStack(t, stackOptions{})
		s := newStack(t, stackOptions{env: map[string]string{"SIGNALR_APP_URL": other.svcSrv.URL + "/nothing-here"}})
		ctx := testContext(t)
		status, body := s.dialRefused(ctx, "/chat")
		if status != http.StatusBadGateway {
			t.Fatalf("status %d (%s), want 502", status, body)
		}
		if b := parse(t, body); b.Error != "the chat app refused to negotiate" || b.Status != http.StatusNotFound {
			t.Fatalf("body %s", body)
		}
	})
}

// Browsers send Origin: /chat lets the chat page's origin in
// (SIGNALR_PAGE_ORIGINS, default the sample's 127.0.0.1:5000), nobody else.
func TestChatOrigins(t *testing.T) {
	dialOrigin := func(t *testing.T, s *stack, origin string) (*websocket.Conn, *http.Response, error) {
		ctx := testContext(t)
		return websocket.Dial(ctx, s.wsURL("/chat"), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
	}
	expectStatus := func(t *testing.T, s *stack, origin string, want int) {
		t.Helper()
		ws, resp, err := dialOrigin(t, s, origin)
		if want == http.StatusSwitchingProtocols {
			if err != nil {
				t.Fatalf("Origin %s: %v%s", origin, err, describe(resp))
			}
			_ = ws.Close(websocket.StatusNormalClosure, "")
			return
		}
		if err == nil {
			_ = ws.CloseNow()
			t.Fatalf("Origin %s: upgraded, want %d", origin, want)
		}
		if resp == nil || resp.StatusCode != want {
			t.Fatalf("Origin %s: %v%s, want %d", origin, err, describe(resp), want)
		}
	}

	t.Run("default: the sample page's origin", func(t *testing.T) {
		s := newStack(t, stackOptions{})
		expectStatus(t, s, "http://127.0.0.1:5000", http.StatusSwitchingProtocols)
		expectStatus(t, s, "http://localhost:5000", http.StatusSwitchingProtocols)
		expectStatus(t, s, "http://evil.example", http.StatusForbidden)
	})
	t.Run("SIGNALR_PAGE_ORIGINS", func(t *testing.T) {
		s := newStack(t, stackOptions{env: map[string]string{"SIGNALR_PAGE_ORIGINS": "127.0.0.1:43210"}})
		expectStatus(t, s, "http://127.0.0.1:43210", http.StatusSwitchingProtocols)
		expectStatus(t, s, "http://127.0.0.1:5000", http.StatusForbidden)
	})
}
