package chatsvc

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
)

func TestServiceNegotiate(t *testing.T) {
	e := newEnv(t, nil)
	aud := ClientAudience(e.svcSrv.URL, "chat")
	mint := func(key, aud string, lifetime time.Duration) string {
		tok, err := MintClientToken(key, aud, "u1", lifetime, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"aud": aud, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(testKey))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": aud}).SignedString([]byte(testKey))
	const q1 = "hub=chat&asrs.op=%2Fchat&negotiateVersion=1&asrs_request_id=AAECAwQFBgc%3D"
	tests := []struct {
		name, query, token string
		status             int
		version            float64
	}{
		{"v1", q1, mint(testKey, aud, time.Hour), 200, 1},
		{"v0 (no negotiateVersion)", "hub=chat&asrs.op=%2Fchat", mint(testKey, aud, time.Hour), 200, 0},
		{"newer version answered with 1", "hub=chat&negotiateVersion=7", mint(testKey, aud, time.Hour), 200, 1},
		{"hub is case-insensitive", "hub=Chat&negotiateVersion=1", mint(testKey, aud, time.Hour), 200, 1},
		{"bad signature", q1, mint(testKey+"x", aud, time.Hour), 401, 0},
		{"wrong aud (extras kept)", q1, mint(testKey, e.clientURL(""), time.Hour), 401, 0},
		{"wrong aud (other hub)", q1, mint(testKey, ClientAudience(e.svcSrv.URL, "other"), time.Hour), 401, 0},
		{"expired", q1, mint(testKey, aud, -time.Minute), 401, 0},
		{"no exp", q1, noExp, 401, 0},
		{"HS512 refused", q1, hs512, 401, 0},
		{"no token", q1, "", 401, 0},
		{"garbage token", q1, "not.a.jwt", 401, 0},
		{"unknown hub", "hub=other&negotiateVersion=1", mint(testKey, ClientAudience(e.svcSrv.URL, "other"), time.Hour), 404, 0},
		{"no hub", "negotiateVersion=1", mint(testKey, aud, time.Hour), 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.serviceNegotiate(tc.query, tc.token)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if status != 200 {
				if msg, _ := body["error"].(string); msg == "" {
					t.Errorf("error response without error text: %v", body)
				}
				return
			}
			if body["negotiateVersion"] != tc.version {
				t.Errorf("negotiateVersion %v, want %v", body["negotiateVersion"], tc.version)
			}
			if id, _ := body["connectionId"].(string); id == "" {
				t.Errorf("no connectionId: %v", body)
			}
			_, hasToken := body["connectionToken"]
			if hasToken != (tc.version == 1) {
				t.Errorf("connectionToken present=%v for version %v", hasToken, tc.version)
			}
			tr, _ := body["availableTransports"].([]any)
			if len(tr) != 1 {
				t.Fatalf("availableTransports %v", body["availableTransports"])
			}
			ws, _ := tr[0].(map[string]any)
			if ws["transport"] != "WebSockets" || len(ws["transferFormats"].([]any)) != 2 {
				t.Errorf("transport %v", ws)
			}
		})
	}

	req, _ := http.NewRequest(http.MethodGet, e.svcSrv.URL+"/client/negotiate?"+q1, nil)
	if status, _ := doJSON(t, req); status != http.StatusMethodNotAllowed {
		t.Errorf("GET negotiate: %d, want 405", status)
	}
}

func TestConnectToken(t *testing.T) {
	e := newEnv(t, nil)
	good := e.token("alice")
	bad, _ := MintClientToken(testKey, ClientAudience("http://elsewhere", "chat"), "alice", time.Hour, time.Now())
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	tests := []struct {
		name   string
		query  string
		header http.Header
		status int
	}{
		{"query", "access_token=" + url.QueryEscape(good), nil, 101},
		{"header", "", bearer(good), 101},
		{"header wins over a bad query", "access_token=" + url.QueryEscape(bad), bearer(good), 101},
		{"a bad header wins over a good query", "access_token=" + url.QueryEscape(good), bearer(bad), 401},
		{"bad query", "access_token=" + url.QueryEscape(bad), nil, 401},
		{"no token", "", nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, status := dial(t, e.clientURL(tc.query), tc.header)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if c != nil {
				c.handshake()
				c.send(invoke("0", "alice", "hi"))
				c.expect(received("alice", "hi"))
				c.expect(`{"type":3,"invocationId":"0"}`)
			}
		})
	}

	// Plain HTTP on the WebSocket endpoint.
	status, _, _ := get(t, e.clientURL("access_token="+url.QueryEscape(good)))
	if status != http.StatusBadRequest {
		t.Errorf("non-WebSocket GET: %d, want 400", status)
	}
}

func TestConnectionIDs(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.IDTTL = 200 * time.Millisecond })
	tok := e.token("bob")
	auth := http.Header{"Authorization": {"Bearer " + tok}}
	negotiate := func(query string) (string, string) {
		status, body := e.serviceNegotiate(query, tok)
		if status != 200 {
			t.Fatalf("negotiate: %d %v", status, body)
		}
		id, _ := body["connectionId"].(string)
		token, _ := body["connectionToken"].(string)
		return id, token
	}

	// v1: id = connectionToken; single use.
	connID, connToken := negotiate("hub=chat&negotiateVersion=1")
	u := e.clientURL("id=" + url.QueryEscape(connToken))
	if st := func() int { _, st := dial(t, e.clientURL("id="+url.QueryEscape(connID)), auth); return st }(); st != http.StatusNotFound {
		t.Errorf("v1 connectionId used as id: %d, want 404", st)
	}
	c := mustDial(t, u, auth)
	c.handshake()
	if _, st := dial(t, u, auth); st != http.StatusNotFound {
		t.Errorf("reused id: %d, want 404", st)
	}

	// v0: id = connectionId.
	connID, connToken = negotiate("hub=chat")
	if connToken != "" {
		t.Fatalf("v0 negotiate returned a connectionToken")
	}
	c0 := mustDial(t, e.clientURL("id="+url.QueryEscape(connID)), auth)
	c0.handshake()

	// Unknown and expired ids.
	if _, st := dial(t, e.clientURL("id=never-issued"), auth); st != http.StatusNotFound {
		t.Errorf("unknown id: %d, want 404", st)
	}
	_, connToken = negotiate("hub=chat&negotiateVersion=1")
	time.Sleep(400 * time.Millisecond) // twice the TTL
	if _, st := dial(t, e.clientURL("id="+url.QueryEscape(connToken)), auth); st != http.StatusNotFound {
		t.Errorf("expired id: %d, want 404", st)
	}

	// A bad token is refused before the id is looked at (and the id stays
	// usable).
	_, connToken = negotiate("hub=chat&negotiateVersion=1")
	if _, st := dial(t, e.clientURL("id="+url.QueryEscape(connToken)), nil); st != http.StatusUnauthorized {
		t.Errorf("no token with a valid id: %d, want 401", st)
	}
	mustDial(t, e.clientURL("id="+url.QueryEscape(connToken)), auth).handshake()

	// Both negotiated connections got broadcasts.
	c.send(invoke("", "bob", "to all"))
	c.expect(received("bob", "to all"))
	c0.expect(received("bob", "to all"))
}

func TestHandshake(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.HandshakeTimeout = 300 * time.Millisecond })
	u := e.clientURL("access_token=" + url.QueryEscape(e.token("x")))
	tests := []struct {
		name, send, wantErr string
	}{
		{"messagepack", `{"protocol":"messagepack","version":1}`, `{"error":"Requested protocol 'messagepack' is not available."}`},
		{"x", `{"protocol":"x","version":1}`, `{"error":"Requested protocol 'x' is not available."}`},
		{"version 2", `{"protocol":"json","version":2}`, `{"error":"The server does not support version 2 of the 'json' protocol."}`},
		{"not json", `hello`, `{"error":"An unexpected error occurred during connection handshake."}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustDial(t, u, nil)
			c.send(tc.send + "\x1e")
			if got := c.next(); got != tc.wantErr {
				t.Errorf("got %s, want %s", got, tc.wantErr)
			}
			c.expectClosed()
		})
	}

	t.Run("split across frames", func(t *testing.T) {
		c := mustDial(t, u, nil)
		c.send(`{"protocol":"js`)
		c.send(`on","version":1}` + "\x1e")
		if got := c.next(); got != "{}" {
			t.Fatalf("got %s", got)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		c := mustDial(t, u, nil)
		if _, err := c.nextErr(); err == nil {
			t.Fatal("got a record without a handshake")
		}
	})
}

func TestMultiRecordFrames(t *testing.T) {
	e := newEnv(t, nil)
	c := mustDial(t, e.clientURL("access_token="+url.QueryEscape(e.token("m"))), nil)
	// Handshake, Ping and two invocations in one frame, then a record split
	// over two frames.
	c.send(`{"protocol":"json","version":1}`+"\x1e", `{"type":6}`+"\x1e", invoke("0", "m", "one"), invoke("", "m", "two"))
	if got := c.next(); got != "{}" {
		t.Fatalf("handshake: %s", got)
	}
	c.expect(received("m", "one"))
	c.expect(`{"type":3,"invocationId":"0"}`)
	c.expect(received("m", "two"))
	three := invoke("1", "m", "three")
	c.send(three[:10])
	c.send(three[10:] + invoke("2", "m", "four"))
	c.expect(received("m", "three"))
	c.expect(`{"type":3,"invocationId":"1"}`)
	c.expect(received("m", "four"))
	c.expect(`{"type":3,"invocationId":"2"}`)
}

func TestBroadcastAndCompletions(t *testing.T) {
	e := newEnv(t, nil)
	clients := []*client{e.connect("a"), e.connect("b"), e.connect("c")}
	sender := clients[0]

	// With invocationId: everyone (caller included) gets ReceiveMessage, the
	// caller then gets the Completion.
	sender.send(invoke("0", "alice", "hello <all> & \"you\""))
	for _, c := range clients {
		c.expect(received("alice", "hello <all> & \"you\""))
	}
	sender.expect(`{"type":3,"invocationId":"0"}`)

	// Without invocationId: no Completion. The next record the sender gets
	// after this broadcast is the following broadcast, not a Completion.
	sender.send(invoke("", "alice", "fire and forget"))
	for _, c := range clients {
		c.expect(received("alice", "fire and forget"))
	}
	clients[1].send(invoke("5", "bob", "from b"))
	for _, c := range clients {
		c.expect(received("bob", "from b"))
	}
	clients[1].expect(`{"type":3,"invocationId":"5"}`)

	// Null arguments are forwarded as null (ASP.NET binds null strings).
	sender.send(`{"type":1,"invocationId":"6","target":"sendmessage","arguments":[null,"x"]}` + "\x1e")
	for _, c := range clients {
		c.expect(`{"type":1,"target":"ReceiveMessage","arguments":[null,"x"]}`)
	}
	sender.expect(`{"type":3,"invocationId":"6"}`)

	// Errors: a Completion with error for the caller only, no broadcast.
	errTests := []struct{ name, rec, want string }{
		{"unknown target", `{"type":1,"invocationId":"7","target":"Nope","arguments":[]}`,
			`{"type":3,"invocationId":"7","error":"Unknown hub method 'Nope'"}`},
		{"too few args", `{"type":1,"invocationId":"8","target":"SendMessage","arguments":["a"]}`,
			`{"type":3,"invocationId":"8","error":"Failed to invoke 'SendMessage' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 2."}`},
		{"wrong arg type", `{"type":1,"invocationId":"9","target":"SendMessage","arguments":["a",3]}`,
			`{"type":3,"invocationId":"9","error":"Failed to invoke 'SendMessage' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."}`},
		{"stream invocation", `{"type":4,"invocationId":"10","target":"SendMessage","arguments":["a","b"]}`,
			`{"type":3,"invocationId":"10","error":"The client attempted to invoke the non-streaming 'SendMessage' method with a streaming invocation."}`},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			sender.send(tc.rec + "\x1e")
			sender.expect(tc.want)
		})
	}
	// Errors without invocationId get no answer; ignored types are ignored.
	sender.send(`{"type":1,"target":"Nope","arguments":[]}`+"\x1e", `{"type":2,"invocationId":"x","item":1}`+"\x1e",
		`{"type":5,"invocationId":"x"}`+"\x1e", `{"type":8,"sequenceId":1}`+"\x1e", `{"type":42,"headers":{"a":"b"}}`+"\x1e",
		invoke("11", "alice", "still here"))
	for _, c := range clients {
		c.expect(received("alice", "still here"))
	}
	sender.expect(`{"type":3,"invocationId":"11"}`)
}

func TestPerSenderOrdering(t *testing.T) {
	e := newEnv(t, nil)
	const n, perClient = 3, 50
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = e.connect("u")
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perClient {
				c.send(invoke("", string(rune('A'+i)), strings.Repeat("x", j)))
			}
		}()
	}
	wg.Wait()
	for _, c := range clients {
		next := map[string]int{}
		for range n * perClient {
			rec := c.nextNonPing()
			for i := range n {
				user := string(rune('A' + i))
				if strings.HasPrefix(rec, received(user, "")[:len(received(user, ""))-4]) {
					if want := received(user, strings.Repeat("x", next[user])); rec != want {
						t.Fatalf("out of order: got %s, want %s", rec, want)
					}
					next[user]++
				}
			}
		}
		for i := range n {
			if got := next[string(rune('A'+i))]; got != perClient {
				t.Errorf("sender %d: %d messages, want %d", i, got, perClient)
			}
		}
	}
}

func TestClientClose(t *testing.T) {
	e := newEnv(t, nil)
	c := e.connect("c")
	c.send(`{"type":7}` + "\x1e")
	if st := c.expectClosed(); st != websocket.StatusNormalClosure {
		t.Errorf("close status %d, want 1000", st)
	}
	waitFor(t, "connection removed", func() bool { return e.svc.Connections() == 0 })
}

func TestProtocolError(t *testing.T) {
	e := newEnv(t, nil)
	c := e.connect("c")
	c.send("{not json}\x1e")
	if got := c.next(); !strings.HasPrefix(got, `{"type":7,"error":"Connection closed with an error.`) {
		t.Errorf("got %s, want a Close with error", got)
	}
	c.expectClosed()
}

func TestShutdown(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.connect("a"), e.connect("b")
	pre := mustDial(t, e.clientURL("access_token="+url.QueryEscape(e.token("pre"))), nil) // no handshake yet

	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.svc.Shutdown(ctx) }()
	for _, c := range []*client{a, b} {
		c.expect(`{"type":7,"error":"Server is shutting down.","allowReconnect":true}`)
		if st := c.expectClosed(); st != websocket.StatusGoingAway {
			t.Errorf("close status %d, want 1001", st)
		}
	}
	if st := pre.expectClosed(); st != websocket.StatusGoingAway {
		t.Errorf("unhandshaken connection: close status %d, want 1001", st)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if st, _ := e.serviceNegotiate("hub=chat&negotiateVersion=1", e.token("late")); st != http.StatusServiceUnavailable {
		t.Errorf("negotiate after shutdown: %d, want 503", st)
	}
	if _, st := dial(t, e.clientURL("access_token="+url.QueryEscape(e.token("late"))), nil); st != http.StatusServiceUnavailable {
		t.Errorf("connect after shutdown: %d, want 503", st)
	}
}

func TestKeepAliveAndClientTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.KeepAliveInterval = 50 * time.Millisecond
		c.ClientTimeout = 500 * time.Millisecond
	})

	t.Run("server pings when idle", func(t *testing.T) {
		c := e.connect("p")
		for range 3 {
			if got := c.next(); got != `{"type":6}` {
				t.Fatalf("got %s, want a Ping", got)
			}
		}
	})

	t.Run("silent client dropped", func(t *testing.T) {
		c := e.connect("silent")
		c.expectClosed() // reads Pings until the server drops us
	})

	t.Run("pinging client kept", func(t *testing.T) {
		c := e.connect("alive")
		stop := make(chan struct{})
		pinged := make(chan struct{})
		go func() {
			defer close(pinged)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					ctx, cancel := context.WithTimeout(context.Background(), waitLong)
					err := c.ws.Write(ctx, websocket.MessageText, []byte(`{"type":6}`+"\x1e"))
					cancel()
					if err != nil {
						return
					}
				}
			}
		}()
		time.Sleep(3 * e.cfg.ClientTimeout)
		close(stop)
		<-pinged
		c.send(invoke("1", "alive", "still connected"))
		c.expect(received("alive", "still connected"))
		c.expect(`{"type":3,"invocationId":"1"}`)
	})
}

func TestSlowConsumerDropped(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SendQueue = 8 })
	fast := e.connect("fast")
	slow := e.connect("slow") // never reads again
	_ = slow
	// The fast client sends and waits for each Completion (as invoke() does),
	// so its own queue stays short; the slow client's queue fills once the
	// TCP buffers are full, and it is dropped. The fast client keeps getting
	// every message meanwhile.
	const n = 3000
	big := strings.Repeat("y", 16<<10)
	for i := range n {
		msg := big + string(rune('a'+i%26))
		fast.send(invoke("1", "fast", msg))
		if got := fast.nextNonPing(); got != received("fast", msg) {
			t.Fatalf("message %d differs", i)
		}
		fast.expect(`{"type":3,"invocationId":"1"}`)
		if i > 100 && e.svc.Connections() == 1 {
			break // the slow one is gone
		}
	}
	waitFor(t, "slow consumer dropped", func() bool { return e.svc.Connections() == 1 })
	fast.send(invoke("2", "fast", "after"))
	fast.expect(received("fast", "after"))
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
