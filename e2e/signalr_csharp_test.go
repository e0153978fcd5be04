package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// The same scenario as TestChatThroughGateway on /chat-cs, whose
// onHandshake policy (apis/signalr-chat-cs) is written in APIM's C#.
func TestChatThroughGatewayCSharp(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := testContext(t)

	clients := []*client{s.dial(ctx, "alice", "/chat-cs"), s.dial(ctx, "bob", "/chat-cs")}
	for _, c := range clients {
		c.send(ctx, handshake)
		c.expect(ctx, `{}`)
	}
	if n := s.svc.Connections(); n != 2 {
		t.Fatalf("service has %d connections, want 2 (one per client, through the gateway)", n)
	}
	clients[0].send(ctx, invocation("1", "alice", "hello from C#"))
	clients[0].expect(ctx, received("alice", "hello from C#"))
	clients[0].expect(ctx, completion("1"))
	clients[1].expect(ctx, received("alice", "hello from C#"))
	clients[1].send(ctx, sendOnly("bob", "hi"))
	for _, c := range clients {
		c.expect(ctx, received("bob", "hi"))
	}
	for _, c := range clients {
		c.expectNothing(ctx, 200*time.Millisecond)
	}
}

// The C# policy's failure answers: the same JSON as the expr policy's.
func TestNegotiationFailuresCSharp(t *testing.T) {
	type jsonBody struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
		Reason string `json:"reason"`
		Step   string `json:"step"`
	}
	parse := func(t *testing.T, body string) jsonBody {
		t.Helper()
		var b jsonBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Fatalf("body %q is not JSON: %v", body, err)
		}
		return b
	}
	t.Run("wrong access key", func(t *testing.T) {
		s := newStack(t, stackOptions{appKey: otherKey})
		status, body := s.dialRefused(testContext(t), "/chat-cs")
		if status != http.StatusUnauthorized && status != http.StatusForbidden {
			t.Fatalf("status %d (%s), want 401 or 403", status, body)
		}
		if b := parse(t, body); b.Error != "the SignalR service rejected the access token" {
			t.Fatalf("body %s", body)
		}
	})
	t.Run("service down: 502 from on-error", func(t *testing.T) {
		s := newStack(t, stackOptions{})
		s.svcSrv.Close()
		status, body := s.dialRefused(testContext(t), "/chat-cs")
		if status != http.StatusBadGateway {
			t.Fatalf("status %d (%s), want 502", status, body)
		}
		if b := parse(t, body); b.Error != "SignalR negotiation failed" || b.Reason == "" || b.Step != "inbound/send-request[2]" {
			t.Fatalf("body %s, want the on-error JSON", body)
		}
	})
	t.Run("app answers non-200: 502 naming the status", func(t *testing.T) {
		other := newStack(t, stackOptions{})
		s := newStack(t, stackOptions{env: map[string]string{"SIGNALR_APP_URL": other.svcSrv.URL + "/nothing-here"}})
		status, body := s.dialRefused(testContext(t), "/chat-cs")
		if status != http.StatusBadGateway {
			t.Fatalf("status %d (%s), want 502", status, body)
		}
		if b := parse(t, body); b.Error != "the chat app refused to negotiate" || b.Status != http.StatusNotFound {
			t.Fatalf("body %s", body)
		}
	})
}
