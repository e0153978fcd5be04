package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/gateway"
	"tollgate/internal/redistest"
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
	writeFile(t, dir, "users/resolvers/Mutation.createUser.xml", `<http-data-source>
    <http-request>
        <set-method>POST</set-method>
        <set-url>`+be+`/user/create</set-url>
        <set-body template="liquid">{ "id" : {{body.arguments.id}}, "name" : "{{body.arguments.name}}"}</set-body>
    </http-request>
    <http-response>
        <publish-event>
            <targets>
                <graphql-subscription id="onUserCreated" />
            </targets>
        </publish-event>
    </http-response>
</http-data-source>`)
	return dir
}

// gqlSubscriber opens a graphql-transport-ws connection to g's users API
// and subscribes id to onUserCreated { name }; it returns once the
// subscription is registered (a ping sent after it is answered).
func gqlSubscriber(t *testing.T, g *testGateway, id string) *websocket.Conn {
	t.Helper()
	c := dial(t, g.ws+"/users", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	t.Cleanup(func() { c.CloseNow() })
	mustWrite(t, c, `{"type":"connection_init"}`)
	if got := mustRead(t, c); got != `{"type":"connection_ack"}` {
		t.Fatalf("ack: %s", got)
	}
	mustWrite(t, c, `{"type":"subscribe","id":"`+id+`","payload":{"query":"subscription { onUserCreated { name } }"}}`)
	mustWrite(t, c, `{"type":"ping"}`)
	if got := mustRead(t, c); got != `{"type":"pong"}` {
		t.Fatalf("pong: %s", got)
	}
	return c
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
