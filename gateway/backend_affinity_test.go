package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// affinityPool is APIM's documented pool with session awareness
// (backends.md, "Load-balanced pool": the Bicep/ARM example's
// sessionAffinity), over members a and b of equal weight.
const affinityPool = `{"properties": {"description": "Load balancer for multiple backends", "type": "Pool", "pool": {"services": [
  {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/myAPIM/backends/a", "priority": "1", "weight": "1"},
  {"id": "/backends/b", "priority": 1, "weight": 1}],
  "sessionAffinity": {"sessionId": {"source": "Cookie", "name": "SessionId"}}}}}`

var affinityCookieRE = regexp.MustCompile(`^SessionId=([A-Za-z0-9_-]{22})\.([0-9a-f]{16}); Path=/b; HttpOnly$`)

// sessionCookie finds the pool's Set-Cookie in resp and returns the
// cookie to send back ("SessionId=VALUE"), its session id and member part.
func sessionCookie(t *testing.T, h http.Header) (cookie, session, member string) {
	t.Helper()
	for _, v := range h.Values("Set-Cookie") {
		if m := affinityCookieRE.FindStringSubmatch(v); m != nil {
			return "SessionId=" + m[1] + "." + m[2], m[1], m[2]
		}
	}
	t.Fatalf("no session cookie in %q", h.Values("Set-Cookie"))
	return "", "", ""
}

func TestBackendPoolSessionAffinity(t *testing.T) {
	a, b := newFlaky(t), newFlaky(t)
	dir := backendFolder(t, "pool", map[string]string{
		"pool": strings.Replace(affinityPool, `"priority": "1", "weight": "1"`, `"priority": 1, "weight": 1`, 1),
		"a":    breakerJSON(a.url, 1, "PT1H", false),
		"b":    breakerJSON(b.url, 1, "PT1H", false),
	})
	g := startGateway(t, dir)
	calls := func() (int64, int64) { return a.calls.Load(), b.calls.Load() }

	// Without a cookie the pool balances as before, and each answer binds
	// a new session to the member that served it.
	resp, _ := get(t, g.url+"/b/x", nil)
	cookie, session, member := sessionCookie(t, resp.Header)
	resp2, _ := get(t, g.url+"/b/x", nil)
	_, session2, member2 := sessionCookie(t, resp2.Header)
	if session == session2 || member == member2 {
		t.Fatalf("two new sessions: %s.%s and %s.%s, want two ids on two members", session, member, session2, member2)
	}
	na, nb := calls()
	if na != 1 || nb != 1 {
		t.Fatalf("round robin without cookies: a=%d b=%d", na, nb)
	}
	// With the cookie, every request goes to the session's member, and no
	// new cookie is set.
	for range 6 {
		resp, _ := get(t, g.url+"/b/x", http.Header{"Cookie": {"theme=dark; " + cookie}})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if v := resp.Header.Values("Set-Cookie"); len(v) != 0 {
			t.Fatalf("a bound session got Set-Cookie %q", v)
		}
	}
	served, other := a, b
	switch na2, nb2 := calls(); {
	case na2-na == 6 && nb2 == nb:
	case nb2-nb == 6 && na2 == na:
		served, other = b, a
	default:
		t.Fatalf("the session's six requests went to a=%d b=%d, want all six on one member", na2-na, nb2-nb)
	}

	// Another replica with the same configuration (its own memory store)
	// sends the session to the same member: nothing is shared but the cookie.
	g2 := startGateway(t, dir)
	before := served.calls.Load()
	for range 3 {
		get(t, g2.url+"/b/x", http.Header{"Cookie": {cookie}})
	}
	if n := served.calls.Load() - before; n != 3 {
		t.Fatalf("on the second replica the session's member got %d of 3 requests", n)
	}

	// Values tollgate did not set start a new session.
	for _, bad := range []string{"SessionId=", "SessionId=x", "SessionId=" + session + ".zzzzzzzzzzzzzzzz",
		"SessionId=" + session + "." + strings.Repeat("0", 16), "SessionId=" + strings.Repeat("!", 22) + "." + member,
		"sessionid=" + session + "." + member} {
		resp, _ := get(t, g.url+"/b/x", http.Header{"Cookie": {bad}})
		if _, s, _ := sessionCookie(t, resp.Header); s == session && !strings.HasPrefix(bad, "SessionId="+session+".0") {
			t.Errorf("cookie %q: kept session %s", bad, s)
		}
	}

	// The session's member trips: the session moves to the other member,
	// keeping its id, and the answer says so.
	served.fail.Store(500)
	get(t, g.url+"/b/x", http.Header{"Cookie": {cookie}}) // trips it (count 1)
	before = other.calls.Load()
	resp, _ = get(t, g.url+"/b/x", http.Header{"Cookie": {cookie}})
	if resp.StatusCode != 200 || other.calls.Load() != before+1 {
		t.Fatalf("with the session's member tripped: status %d, other member called %d times", resp.StatusCode, other.calls.Load()-before)
	}
	_, s, m := sessionCookie(t, resp.Header)
	if s != session || m == member {
		t.Fatalf("moved session: %s.%s, want id %s on another member than %s", s, m, session, member)
	}
}

// TestBackendPoolSessionAffinityKeepsBackendCookies: the backend's own
// Set-Cookie headers pass beside the pool's.
func TestBackendPoolSessionAffinityKeepsBackendCookies(t *testing.T) {
	a := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "app", Value: "1"})
		w.Header().Add("Set-Cookie", "other=2")
	})
	g := startGateway(t, backendFolder(t, "pool", map[string]string{
		"pool": `{"properties": {"type": "Pool", "pool": {"services": [{"id": "/backends/a"}], "sessionAffinity": {"sessionId": {"source": "cookie", "name": "SessionId"}}}}}`,
		"a":    `{"properties": {"url": "` + a.url + `"}}`,
	}))
	resp, _ := get(t, g.url+"/b/x", nil)
	got := resp.Header.Values("Set-Cookie")
	if len(got) != 3 || got[0] != "app=1" || got[1] != "other=2" {
		t.Fatalf("Set-Cookie %q, want the backend's two and the pool's", got)
	}
	sessionCookie(t, resp.Header)
}

// TestBackendPoolSessionAffinityWebSocket: a WebSocket API's 101 carries
// the cookie, and a handshake that brings it back reaches the same member.
func TestBackendPoolSessionAffinityWebSocket(t *testing.T) {
	a, b := newWSBackend(t), newWSBackend(t)
	dir := t.TempDir()
	writeAPI(t, dir, "b", `type="websocket" path="/b" service-url="ws://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="pool"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeFile(t, dir, "backends/pool/backendInformation.json", affinityPool)
	writeFile(t, dir, "backends/a/backendInformation.json", `{"properties": {"url": "`+a.url+`"}}`)
	writeFile(t, dir, "backends/b/backendInformation.json", `{"properties": {"url": "`+b.url+`"}}`)
	g := startGateway(t, dir)
	ctx := context.Background()
	c, resp, err := websocket.Dial(ctx, g.ws+"/b", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	cookie, _, _ := sessionCookie(t, resp.Header)
	na, nb := a.handshakes.Load(), b.handshakes.Load()
	for range 4 {
		c, resp, err := websocket.Dial(ctx, g.ws+"/b", &websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie}}})
		if err != nil {
			t.Fatal(err)
		}
		if v := resp.Header.Values("Set-Cookie"); len(v) != 0 {
			t.Fatalf("a bound session's 101 set %q", v)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
	if da, db := a.handshakes.Load()-na, b.handshakes.Load()-nb; !(da == 4 && db == 0 || da == 0 && db == 4) {
		t.Fatalf("the session's handshakes: a=%d b=%d, want all four on one member", da, db)
	}
}

// TestBackendPoolARMExample loads APIM's documented ARM example of a pool
// as written (numbers as strings, full resource ids) with a pool property
// tollgate does not use, which is a notice, not an error.
func TestBackendPoolARMExample(t *testing.T) {
	dir := backendFolder(t, "pool", map[string]string{
		"pool": strings.Replace(affinityPool, `"sessionAffinity"`, `"failureResponse": {"statusCode": 503}, "sessionAffinity"`, 1),
		"a":    `{"properties": {"url": "http://127.0.0.1:9"}}`,
		"b":    `{"properties": {"url": "http://127.0.0.1:9"}}`,
	})
	snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var notes []string
	for _, n := range snap.Notices {
		if strings.Contains(n, "pool property") {
			notes = append(notes, n[strings.Index(n, "backends/"):])
		}
	}
	if want := "backends/pool/backendInformation.json:4:3: ignored: pool property failureResponse (Azure only)"; len(notes) != 1 || notes[0] != want {
		t.Fatalf("notices %q, want [%q]", notes, want)
	}
}

// TestCircuitBreakerARMExample: APIM's documented ARM example of a circuit
// breaker, as written (its numbers are strings), trips after three 5xx.
func TestCircuitBreakerARMExample(t *testing.T) {
	f := newFlaky(t)
	info := `{
  "type": "Microsoft.ApiManagement/service/backends",
  "apiVersion": "2023-09-01-preview",
  "name": "myAPIM/myBackend",
  "properties": {
    "url": "` + f.url + `",
    "protocol": "http",
    "circuitBreaker": {
      "rules": [
        {
          "failureCondition": {
            "count": "3",
            "errorReasons": [ "Server errors" ],
            "interval": "PT1H",
            "statusCodeRanges": [
              {
                "min": "500",
                "max": "599"
              }
            ]
          },
          "name": "myBreakerRule",
          "tripDuration": "PT1H",
          "acceptRetryAfter": true
        }
      ]
    }
  }
}`
	g := startGateway(t, backendFolder(t, "svc", map[string]string{"svc": info}))
	f.fail.Store(500)
	for i := range 3 {
		if got := statusOf(t, g.url+"/b/x"); got != 500 {
			t.Fatalf("failure %d: %d", i+1, got)
		}
	}
	if got := statusOf(t, g.url+"/b/x"); got != 503 {
		t.Fatalf("after three 5xx: %d, want 503", got)
	}
}

// TestBackendPoolSessionAffinityHostile: the cookie is the client's to
// write and a member's token is no secret (the SHA-256 of names), so a
// written cookie must not send a request where balancing would not: to a
// lower-priority member (a costly fallback) while the first group serves.
// Oversized, repeated and other pools' cookies start a session on the
// member balancing picks.
func TestBackendPoolSessionAffinityHostile(t *testing.T) {
	a, b := newFlaky(t), newFlaky(t)
	pool := `{"properties": {"type": "Pool", "pool": {"services": [{"id": "/backends/a", "priority": 1}, {"id": "/backends/b", "priority": 2}],
  "sessionAffinity": {"sessionId": {"source": "Cookie", "name": "SessionId"}}}}}`
	g := startGateway(t, backendFolder(t, "pool", map[string]string{"pool": pool,
		"a": breakerJSON(a.url, 1, "PT1H", false), "b": breakerJSON(b.url, 1, "PT1H", false)}))
	token := func(pool, member string) string {
		sum := sha256.Sum256([]byte(pool + "\x00" + member))
		return hex.EncodeToString(sum[:8])
	}
	const session = "AAAAAAAAAAAAAAAAAAAAAA"
	forged := "SessionId=" + session + "." + token("pool", "b")
	for _, tc := range []struct{ name, cookie, keepSession string }{
		{"the fallback's token, forged", forged, session},
		{"another pool's member", "SessionId=" + session + "." + token("other", "a"), session},
		{"repeated: the first counts", forged + "; SessionId=" + session + "." + token("pool", "a"), session},
		{"oversized", "SessionId=" + strings.Repeat("A", 6000), ""},
		{"quoted, forged", `SessionId="` + session + "." + token("pool", "b") + `"`, session},
	} {
		t.Run(tc.name, func(t *testing.T) {
			beforeA, beforeB := a.calls.Load(), b.calls.Load()
			resp, _ := get(t, g.url+"/b/x", http.Header{"Cookie": {tc.cookie}})
			if resp.StatusCode != 200 || a.calls.Load() != beforeA+1 || b.calls.Load() != beforeB {
				t.Fatalf("status %d, a called %d, b called %d: want the first group's member", resp.StatusCode, a.calls.Load()-beforeA, b.calls.Load()-beforeB)
			}
			_, s, m := sessionCookie(t, resp.Header)
			if m != token("pool", "a") || (tc.keepSession != "" && s != tc.keepSession) {
				t.Fatalf("bound to %s.%s, want member a (%s)", s, m, token("pool", "a"))
			}
		})
	}
	// With the first group down, the fallback's cookie is honoured: that
	// is where balancing sends the request too.
	a.fail.Store(500)
	get(t, g.url+"/b/x", nil) // trips a
	resp, _ := get(t, g.url+"/b/x", nil)
	cookie, _, m := sessionCookie(t, resp.Header)
	if m != token("pool", "b") {
		t.Fatalf("with a tripped, bound to %s, want b (%s)", m, token("pool", "b"))
	}
	before := b.calls.Load()
	resp, _ = get(t, g.url+"/b/x", http.Header{"Cookie": {cookie}})
	if resp.StatusCode != 200 || b.calls.Load() != before+1 || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("the fallback's session with a tripped: status %d, b called %d, Set-Cookie %q", resp.StatusCode, b.calls.Load()-before, resp.Header.Values("Set-Cookie"))
	}
}
