package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// usersSchema is APIM's publish-event example's schema.
const usersSchema = `type User {
  id: Int!
  name: String!
}

type Query {
  users: [User]
}

type Mutation {
    createUser(id: Int!, name: String!): User
}

type Subscription {
    onUserCreated: User!
}
`

// usersAPI writes APIM's publish-event example as an API folder: the
// createUser mutation's resolver publishes its answer to onUserCreated.
func usersAPI(t *testing.T, be, attrs string) string {
	t.Helper()
	dir := t.TempDir()
	writeAPI(t, dir, "users", `type="graphql" path="/users" `+attrs, "")
	writeFile(t, dir, "users/schema.graphql", usersSchema)
	writeFile(t, dir, "users/resolvers/Mutation.createUser.xml", createUserResolver(be))
	return dir
}

// createUserResolver is APIM's publish-event example's resolver, its data
// source at be.
func createUserResolver(be string) string {
	return `<http-data-source>
    <http-request>
        <set-method>POST</set-method>
        <set-url>` + be + `/user/create</set-url>
        <set-body template="liquid">{ "id" : {{body.arguments.id}}, "name" : "{{body.arguments.name}}"}</set-body>
    </http-request>
    <http-response>
        <publish-event>
            <targets>
                <graphql-subscription id="onUserCreated" />
            </targets>
        </publish-event>
    </http-response>
</http-data-source>`
}

// gqlSubscriber opens a graphql-transport-ws connection to g's users API
// and subscribes id to onUserCreated { name }; it returns once the
// subscription is registered (a ping sent after it is answered).
func gqlSubscriber(t *testing.T, g *testGateway, id string) *websocket.Conn {
	t.Helper()
	c, err := gqlSubscribe(testCtx(t), g, id)
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gqlSubscribe is gqlSubscriber for any goroutine.
func gqlSubscribe(ctx context.Context, g *testGateway, id string) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	for _, step := range [][2]string{
		{`{"type":"connection_init"}`, `{"type":"connection_ack"}`},
		{`{"type":"subscribe","id":"` + id + `","payload":{"query":"subscription { onUserCreated { name } }"}}`, ""},
		{`{"type":"ping"}`, `{"type":"pong"}`},
	} {
		if err := c.Write(ctx, websocket.MessageText, []byte(step[0])); err != nil {
			return c, err
		}
		if step[1] == "" {
			continue
		}
		_, got, err := c.Read(ctx)
		if err != nil {
			return c, err
		}
		if string(got) != step[1] {
			return c, fmt.Errorf("read %s, want %s", got, step[1])
		}
	}
	return c, nil
}

func createUser(t *testing.T, g *testGateway, name string) {
	t.Helper()
	resp, body := gqlPost(t, g, "/users", gqlBody(`mutation($n: String!) { createUser(id: 1, name: $n) { id } }`, fmt.Sprintf(`{"n":%q}`, name)))
	if resp.StatusCode != 200 || body != `{"data":{"createUser":{"id":7}}}` {
		t.Fatalf("mutation %s: %d %s", name, resp.StatusCode, body)
	}
}

func wantEvent(t *testing.T, c *websocket.Conn, id, name string) {
	t.Helper()
	want := `{"type":"next","id":"` + id + `","payload":{"data":{"onUserCreated":{"name":"` + name + `"}}}}`
	if got := mustRead(t, c); got != want {
		t.Fatalf("event: %s\nwant %s", got, want)
	}
}

// Two replicas sharing one real Redis: a mutation made through either
// reaches the subscribers of both, once each, in the order it published
// them; an event over graphql-max-event-bytes is dropped with a warning
// where it is published (never sent to the store), and one that arrives
// from the store over the limit is dropped too.
func TestGraphQLSubscriptionReplicas(t *testing.T) {
	be := blogBackend(t, nil)
	dir := usersAPI(t, be.url, `graphql-max-event-bytes="100"`)
	srv := redistest.Start(t)
	newStore := func() *store.Redis {
		rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() }) // after the gateway's shutdown
		return rs
	}
	var gs []*testGateway
	for range 2 {
		rs := newStore()
		gs = append(gs, startGateway(t, dir, func(o *gateway.Options) {
			o.Store = rs
			o.Registry = policies.Registry(policies.Deps{Store: rs})
		}))
	}
	a, b := gs[0], gs[1]
	onA := gqlSubscriber(t, a, "a")
	onB := gqlSubscriber(t, b, "b")
	onB2 := gqlSubscriber(t, b, "b2") // a second subscriber on B: still one listener there

	// Through A, then through B: every subscriber hears each once, in order.
	createUser(t, a, "ada")
	createUser(t, b, "bob")
	for i := range 20 {
		createUser(t, a, fmt.Sprint("n", i))
	}
	for _, s := range []struct {
		c  *websocket.Conn
		id string
	}{{onA, "a"}, {onB, "b"}, {onB2, "b2"}} {
		wantEvent(t, s.c, s.id, "ada")
		wantEvent(t, s.c, s.id, "bob")
		for i := range 20 {
			wantEvent(t, s.c, s.id, fmt.Sprint("n", i))
		}
	}

	// Over the limit where published: dropped there, with a warning.
	createUser(t, a, strings.Repeat("x", 120))
	if n := len(a.logsNamed("GraphQL subscription event dropped: larger than graphql-max-event-bytes")); n != 1 {
		t.Errorf("%d warnings on A for the large event", n)
	}
	// Over the limit as it arrives from the store (another replica's
	// larger limit): dropped by each replica, with a warning.
	other := newStore()
	if n, err := other.Publish(context.Background(), "gql-sub|users|onUserCreated", []byte(`{"name":"`+strings.Repeat("y", 200)+`"}`)); err != nil || n != 2 {
		t.Fatalf("publish: %d %v", n, err)
	}
	createUser(t, a, "cy")
	wantEvent(t, onB, "b", "cy") // not the large ones
	wantEvent(t, onA, "a", "cy")
	if n := len(b.logsNamed("GraphQL subscription event dropped: larger than graphql-max-event-bytes")); n != 1 {
		t.Errorf("%d warnings on B for the large event", n)
	}

	// The last subscriber of the field on B leaves: B stops listening.
	onB.Close(websocket.StatusNormalClosure, "")
	onB2.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(testTimeout)
	for {
		n, err := other.Publish(context.Background(), "gql-sub|users|onUserCreated", []byte(`{"name":"z"}`))
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B still listens: %d listeners", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Hostile and malformed clients, message by message, on both
// subprotocols. A step is "> text" (a text message), "b> text" (a binary
// message), "f> text" (a text message in three fragments), "< text" (the
// next message read is text exactly) or "<~ text" (it contains text);
// close is the close code expected after the steps (0: the connection is
// still open, which a ping proves under graphql-transport-ws).
func TestGraphQLSubscriptionHostile(t *testing.T) {
	be := blogBackend(t, nil)
	dir := usersAPI(t, be.url, `graphql-max-subscriptions="2" graphql-max-fields="2" max-message-size="512" graphql-init-timeout="1"`)
	g := startGateway(t, dir)
	const init, ack = `> {"type":"connection_init"}`, `< {"type":"connection_ack"}`
	sub := func(id, sel string) string {
		return `> {"type":"subscribe","id":"` + id + `","payload":{"query":"subscription { onUserCreated { ` + sel + ` } }"}}`
	}
	for _, tc := range []struct {
		name   string
		legacy bool
		steps  []string
		close  websocket.StatusCode
	}{
		{name: "no connection_init", close: 4408},
		{name: "malformed JSON", steps: []string{init, ack, `> {"type":`}, close: 4400},
		{name: "type not a string", steps: []string{`> {"type":5}`}, close: 4400},
		{name: "id not a string", steps: []string{init, ack, `> {"type":"subscribe","id":1,"payload":{}}`}, close: 4400},
		{name: "no type", steps: []string{`> {"id":"1"}`}, close: 4400},
		{name: "not an object", steps: []string{`> [1,2]`}, close: 4400},
		{name: "unknown type", steps: []string{init, ack, `> {"type":"hello"}`}, close: 4400},
		{name: "legacy type", steps: []string{init, ack, `> {"type":"start","id":"1"}`}, close: 4400},
		{name: "payload not an object", steps: []string{init, ack, `> {"type":"subscribe","id":"1","payload":[1]}`}, close: 4400},
		{name: "id too long", steps: []string{init, ack, `> {"type":"subscribe","id":"` + strings.Repeat("i", 129) + `","payload":{}}`}, close: 4400},
		{name: "message over max-message-size", steps: []string{init, ack, `> {"type":"ping","payload":"` + strings.Repeat("p", 600) + `"}`}, close: websocket.StatusMessageTooBig},
		{name: "binary frames read as text", steps: []string{`b> {"type":"connection_init"}`, ack, `b> {"type":"ping"}`, `< {"type":"pong"}`}},
		{name: "fragmented messages", steps: []string{`f> {"type":"connection_init","payload":{"a":"bcdefghijkl"}}`, ack, sub("1", "id"), `f> {"type":"ping"}`, `< {"type":"pong"}`}},
		{name: "ping before connection_init", steps: []string{`> {"type":"ping"}`, `< {"type":"pong"}`, `> {"type":"pong"}`, init, ack}},
		{name: "subscribe before connection_init", steps: []string{`> {"type":"ping"}`, `< {"type":"pong"}`, sub("1", "id")}, close: 4401},
		{name: "second connection_init", steps: []string{init, ack, init}, close: 4429},
		{name: "complete for an unknown id", steps: []string{init, ack, `> {"type":"complete","id":"nobody"}`, `> {"type":"complete"}`}},
		{name: "reused id", steps: []string{init, ack, sub("1", "id"), sub("1", "id")}, close: 4409},
		{name: "selection over graphql-max-fields", steps: []string{init, ack, sub("f", "id name"), `<~ {"type":"error","id":"f","payload":[{"message":`}},
		{name: "too many subscriptions", steps: []string{init, ack, sub("1", "id"), sub("2", "id"), sub("3", "id"),
			`< {"type":"error","id":"3","payload":[{"message":"too many subscriptions on this connection (graphql-max-subscriptions 2)"}]}`,
			`> {"type":"complete","id":"1"}`, sub("4", "id"), `> {"type":"ping"}`, `< {"type":"pong"}`}},

		{name: "legacy ping", legacy: true, steps: []string{init, ack, `< {"type":"ka"}`, `> {"type":"ping","id":"p"}`,
			`< {"type":"error","id":"p","payload":{"message":"Invalid message type!"}}`, `> {"type":"subscribe","id":"s"}`,
			`< {"type":"error","id":"s","payload":{"message":"Invalid message type!"}}`, `> {"type":"connection_terminate"}`}, close: websocket.StatusNormalClosure},
		{name: "legacy malformed JSON", legacy: true, steps: []string{`> {"type`, `< {"type":"connection_error","payload":{"message":"Invalid message"}}`}, close: 4400},
		{name: "legacy second connection_init", legacy: true, steps: []string{init, ack, `< {"type":"ka"}`, init,
			`< {"type":"connection_error","payload":{"message":"Too many initialisation requests"}}`}, close: 4429},
		{name: "legacy no connection_init", legacy: true, close: 4408},
		{name: "legacy too many subscriptions", legacy: true, steps: []string{init, ack, `< {"type":"ka"}`,
			`> {"type":"start","id":"1","payload":{"query":"subscription { onUserCreated { id } }"}}`,
			`> {"type":"start","id":"2","payload":{"query":"subscription { onUserCreated { id } }"}}`,
			`> {"type":"start","id":"3","payload":{"query":"subscription { onUserCreated { id } }"}}`,
			`< {"type":"error","id":"3","payload":{"message":"too many subscriptions on this connection (graphql-max-subscriptions 2)"}}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proto := "graphql-transport-ws"
			if tc.legacy {
				proto = "graphql-ws"
			}
			c := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{proto}})
			defer c.CloseNow()
			ctx := testCtx(t)
			for _, st := range tc.steps {
				op, msg, _ := strings.Cut(st, " ")
				switch op {
				case ">":
					mustWrite(t, c, msg)
				case "b>":
					if err := c.Write(ctx, websocket.MessageBinary, []byte(msg)); err != nil {
						t.Fatal(err)
					}
				case "f>":
					w, err := c.Writer(ctx, websocket.MessageText)
					if err != nil {
						t.Fatal(err)
					}
					third := len(msg) / 3
					for _, part := range []string{msg[:third], msg[third : 2*third], msg[2*third:]} {
						if _, err := w.Write([]byte(part)); err != nil {
							t.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				case "<":
					if got := mustRead(t, c); got != msg {
						t.Fatalf("read %s\nwant %s", got, msg)
					}
				case "<~":
					if got := mustRead(t, c); !strings.Contains(got, msg) {
						t.Fatalf("read %s\nwant it to contain %s", got, msg)
					}
				default:
					t.Fatalf("step %q", st)
				}
			}
			if tc.close == 0 {
				if !tc.legacy {
					mustWrite(t, c, `{"type":"ping"}`)
					if got := mustRead(t, c); got != `{"type":"pong"}` {
						t.Fatalf("after the steps: %s", got)
					}
				}
				return
			}
			if cs := readUntilClose(t, c); cs.code != tc.close {
				t.Fatalf("close %+v, want %d", cs, tc.close)
			}
		})
	}
}

// A subscriber that stops reading while events flow: its queue fills, the
// events it cannot take are dropped with a warning, and the mutations and
// the other subscribers (many, subscribed at once) go on, each hearing
// every event in order.
func TestGraphQLSubscriptionSlowReader(t *testing.T) {
	be := blogBackend(t, nil)
	dir := usersAPI(t, be.url, `max-message-size="1048576"`)
	g := startGateway(t, dir)
	slow := gqlSubscriber(t, g, "slow") // never read again
	_ = slow
	fast := make([]*websocket.Conn, 4)
	errs := make(chan error, len(fast))
	for i := range fast {
		go func() {
			var err error
			fast[i], err = gqlSubscribe(testCtx(t), g, "f")
			errs <- err
		}()
	}
	for range fast {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for _, c := range fast {
		if c != nil {
			defer c.CloseNow()
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	pad := strings.Repeat("p", 60<<10)
	const dropped = "GraphQL subscription events dropped (subscribers too slow)"
	// The slow subscriber is let go one of two ways: its events are
	// dropped once its queue is full, or, on a machine so loaded that the
	// events come slower than the relay's write timeout (30 s), its session
	// ends first with 1011 "client not reading". Either way it must hold up
	// nothing.
	slowGone := func() bool {
		for _, e := range g.logsNamed("session closed") {
			if e.ContextMap()["close_reason"] == "client not reading" {
				return true
			}
		}
		return false
	}
	for i := 0; len(g.logsNamed(dropped)) == 0 && !slowGone(); i++ {
		if i == 2000 {
			t.Fatalf("no event dropped after %d events of 60 KiB", i)
		}
		name := fmt.Sprint(i, pad)
		createUser(t, g, name)
		for _, c := range fast {
			wantEvent(t, c, "f", name)
		}
	}
	// The slow subscriber's connection holds up nothing: one more event
	// reaches the others.
	createUser(t, g, "last")
	for _, c := range fast {
		wantEvent(t, c, "f", "last")
	}
}

// Redis down at publish: the event still reaches the publishing replica's
// own subscribers (once), with a warning; the mutation answers. Redis down
// when a replica must start listening to a field: that subscribe gets an
// error message.
func TestGraphQLSubscriptionStoreDown(t *testing.T) {
	be := blogBackend(t, nil)
	dir := usersAPI(t, be.url, "")
	srv := redistest.Start(t)
	rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Store = rs
		o.Registry = policies.Registry(policies.Deps{Store: rs})
	})
	c := gqlSubscriber(t, g, "s")
	createUser(t, g, "through-redis")
	wantEvent(t, c, "s", "through-redis")
	srv.Stop()
	createUser(t, g, "local")
	wantEvent(t, c, "s", "local")
	if n := len(g.logsNamed("GraphQL subscription event not shared across replicas: the store failed; delivered to this replica's subscribers only")); n != 1 {
		t.Errorf("%d warnings", n)
	}
	mustWrite(t, c, `{"type":"ping"}`)
	if got := mustRead(t, c); got != `{"type":"pong"}` {
		t.Fatalf("after the fallback: %s", got)
	}
	// The field's last subscriber leaves; a new one cannot be listened
	// for: its subscribe gets an error, the connection goes on.
	mustWrite(t, c, `{"type":"complete","id":"s"}`)
	mustWrite(t, c, `{"type":"subscribe","id":"t","payload":{"query":"subscription { onUserCreated { name } }"}}`)
	want := `{"type":"error","id":"t","payload":[{"message":"the subscription could not be started: the event store is unavailable"}]}`
	if got := mustRead(t, c); got != want {
		t.Fatalf("subscribe with the store down: %s", got)
	}
	if n := len(g.logsNamed("GraphQL subscription refused: the store failed")); n != 1 {
		t.Errorf("%d warnings for the refused subscription", n)
	}
	mustWrite(t, c, `{"type":"ping"}`)
	if got := mustRead(t, c); got != `{"type":"pong"}` {
		t.Fatalf("after the refused subscription: %s", got)
	}
}

// rawWS is a WebSocket client written frame by frame over a plain
// socket, to send what well-behaved clients never do.
type rawWS struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRawWS(t *testing.T, g *testGateway, path, proto string) *rawWS {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n", path, proto)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return &rawWS{t: t, c: c, br: br}
}

// frame writes one masked frame.
func (w *rawWS) frame(fin bool, op byte, payload string) {
	w.t.Helper()
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var hdr []byte
	switch n := len(payload); {
	case n < 126:
		hdr = []byte{b0, 0x80 | byte(n)}
	default:
		hdr = []byte{b0, 0x80 | 126, byte(n >> 8), byte(n)}
	}
	mask := [4]byte{1, 2, 3, 4}
	data := []byte(payload)
	for i := range data {
		data[i] ^= mask[i%4]
	}
	if _, err := w.c.Write(append(append(hdr, mask[:]...), data...)); err != nil {
		w.t.Fatal(err)
	}
}

// read reads one (unmasked, unfragmented) frame: its opcode and payload.
func (w *rawWS) read() (byte, string) {
	w.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		w.t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(w.br, l[:])
		n = int(l[0])<<8 | int(l[1])
	case 127:
		w.t.Fatal("frame too large for this test")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(w.br, p); err != nil {
		w.t.Fatal(err)
	}
	return h[0] & 0x0f, string(p)
}

// Frame by frame: a WebSocket ping before connection_init is answered
// with its pong; connection_init in fragments with a ping between them is
// put together; a binary subscribe works as text; a close is answered.
func TestGraphQLSubscriptionRawFrames(t *testing.T) {
	be := blogBackend(t, nil)
	g := startGateway(t, usersAPI(t, be.url, ""))
	w := dialRawWS(t, g, "/users", "graphql-transport-ws")
	w.frame(true, 0x9, "hello")
	if op, p := w.read(); op != 0xA || p != "hello" {
		t.Fatalf("ping: %x %q", op, p)
	}
	w.frame(false, 0x1, `{"type":"conn`)
	w.frame(true, 0x9, "mid")
	if op, p := w.read(); op != 0xA || p != "mid" {
		t.Fatalf("ping between fragments: %x %q", op, p)
	}
	w.frame(false, 0x0, `ection_`)
	w.frame(true, 0x0, `init"}`)
	if op, p := w.read(); op != 0x1 || p != `{"type":"connection_ack"}` {
		t.Fatalf("ack: %x %q", op, p)
	}
	w.frame(true, 0x2, `{"type":"subscribe","id":"1","payload":{"query":"subscription { onUserCreated { name } }"}}`)
	w.frame(true, 0x1, `{"type":"ping"}`)
	if op, p := w.read(); op != 0x1 || p != `{"type":"pong"}` {
		t.Fatalf("pong: %x %q", op, p)
	}
	createUser(t, g, "raw")
	if op, p := w.read(); op != 0x1 || p != `{"type":"next","id":"1","payload":{"data":{"onUserCreated":{"name":"raw"}}}}` {
		t.Fatalf("event: %x %q", op, p)
	}
	w.frame(true, 0x8, "\x03\xe8")
	if op, p := w.read(); op != 0x8 || len(p) < 2 || p[:2] != "\x03\xe8" {
		t.Fatalf("close: %x %q", op, p)
	}
}

// Under the legacy graphql-ws subprotocol the gateway sends "ka" right
// after connection_ack and then every graphql-keepalive seconds, as
// subscriptions-transport-ws's server with keepAlive does; a subscription
// still gets its events between them. The count is loose (at least two
// periodic ones), and the wait bounded only by the test's deadline.
func TestGraphQLLegacyKeepAlive(t *testing.T) {
	be := blogBackend(t, nil)
	g := startGateway(t, usersAPI(t, be.url, `graphql-keepalive="1"`))
	c := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
	defer c.CloseNow()
	mustWrite(t, c, `{"type":"connection_init"}`)
	if m := mustRead(t, c); m != `{"type":"connection_ack"}` {
		t.Fatalf("got %s", m)
	}
	if m := mustRead(t, c); m != `{"type":"ka"}` {
		t.Fatalf("got %s, want the ka that follows the ack", m)
	}
	mustWrite(t, c, `{"type":"start","id":"s","payload":{"query":"subscription { onUserCreated { name } }"}}`)
	// graphql-ws has no ping: a message of an unknown type is answered, in
	// order, once the start before it is registered.
	mustWrite(t, c, `{"type":"ping","id":"barrier"}`)
	kas, data, published := 1, false, false
	for kas < 3 || !data {
		m := mustRead(t, c)
		switch {
		case m == `{"type":"ka"}`:
			kas++
		case strings.Contains(m, `"id":"barrier"`):
			createUser(t, g, "between")
			published = true
		case published && m == `{"type":"data","id":"s","payload":{"data":{"onUserCreated":{"name":"between"}}}}`:
			data = true
		default:
			t.Fatalf("unexpected message %s", m)
		}
	}
}

// TestGraphQLLegacyKeepAliveNoGoroutine: the legacy ka is a timer, not a
// goroutine parked per idle connection; once the clients close, nothing of
// the connections' GraphQL server is left running. (The wait for the
// close is bounded only by the test's deadline: no timing margin.)
func TestGraphQLLegacyKeepAliveNoGoroutine(t *testing.T) {
	count := testutil.Goroutines
	// Connections of the tests before this one may still be closing.
	waitFor(t, "earlier tests' GraphQL connections to end", func() bool {
		return count("serveGraphQLWS")+count("(*gqlConn)") == 0
	})
	be := blogBackend(t, nil)
	g := startGateway(t, usersAPI(t, be.url, `graphql-keepalive="3600"`))
	const n = 5
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
		defer c.CloseNow()
		mustWrite(t, c, `{"type":"connection_init"}`)
		if m := mustRead(t, c); m != `{"type":"connection_ack"}` {
			t.Fatalf("got %s", m)
		}
		if m := mustRead(t, c); m != `{"type":"ka"}` {
			t.Fatalf("got %s", m)
		}
		conns[i] = c
	}
	// The reader that sent the last ka may still be returning from
	// handle (startKeepAlive) when the client has read it: wait for the
	// connections to go idle, then none may park in a gqlConn method.
	deadline := time.Now().Add(2 * time.Second)
	k := count("(*gqlConn)")
	for k != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		k = count("(*gqlConn)")
	}
	if k != 0 {
		t.Errorf("%d goroutines in a gqlConn method for %d idle connections, want 0 (the ka is a timer)", k, n)
	}
	if k := count("serveGraphQLWS"); k != n {
		t.Errorf("%d connections served, want %d", k, n)
	}
	for _, c := range conns {
		c.Close(websocket.StatusNormalClosure, "")
	}
	for count("serveGraphQLWS")+count("(*gqlConn)") > 0 {
		if t.Context().Err() != nil {
			t.Fatal("goroutines left after the connections closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
