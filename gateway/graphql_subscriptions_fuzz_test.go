package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/zap"

	"tollgate/gateway/internal/gqlexec"
)

// FuzzGraphQLSubscriptionMessages hands arbitrary client messages, one
// after the other on one connection, to the subscription protocol's
// handling (both subprotocols), over a real WebSocket whose client reads
// and discards the answers. Invariants: no panic; a message that closes
// the connection gives a 4xxx code; no subscription outlives the
// connection.
//
//	go test -run x -fuzz FuzzGraphQLSubscriptionMessages -fuzztime 20s ./gateway/
func FuzzGraphQLSubscriptionMessages(f *testing.F) {
	f.Add(false, `{"type":"connection_init"}`, `{"type":"subscribe","id":"1","payload":{"query":"subscription { onUser { id } }"}}`, `{"type":"complete","id":"1"}`)
	f.Add(true, `{"type":"connection_init","payload":{}}`, `{"type":"start","id":"a","payload":{"query":"subscription { onUser { name } }"}}`, `{"type":"stop","id":"a"}`)
	f.Add(false, `{"type":"ping"}`, `{"type":"subscribe","id":"1","payload":"x"}`, `{"type":"connection_init"}`)
	f.Add(true, `{"type":"ping"}`, `{"type":5}`, `not json`)
	f.Add(false, `{"type":"connection_init"}`, `{"type":"subscribe","id":"1","payload":{"query":"subscription { onUser { id } }"}}`, `{"type":"subscribe","id":"1","payload":{}}`)
	schema, err := gqlparser.LoadSchema(&ast.Source{Input: `
type Query { a: Int }
type Subscription { onUser: User }
type User { id: ID! name: String }`})
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{log: zap.NewNop()}
	s.baseCtx = context.Background()
	api := &API{Name: "fuzz", Limits: DefaultLimits}
	api.Limits.GraphQLMaxSubscriptions = 2
	api.gql = &syntheticGraphQL{schema: schema, limits: gqlexec.Limits{MaxDepth: 5, MaxFields: 20}}
	f.Fuzz(func(t *testing.T, legacy bool, m1, m2, m3 string) {
		proto := "graphql-transport-ws"
		if legacy {
			proto = "graphql-ws"
		}
		got := make(chan *gqlConn, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{proto}})
			if err != nil {
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := newGQLConn(s, api, conn, ctx, legacy)
			defer func() { c.end(); got <- c }()
			for _, m := range []string{m1, m2, m3} {
				if code, _ := c.message([]byte(m)); code != 0 {
					if code < 4000 && code != websocket.StatusNormalClosure {
						t.Errorf("close code %d for %q", code, m)
					}
					conn.Close(code, "")
					return
				}
			}
			conn.Close(websocket.StatusNormalClosure, "")
		}))
		defer srv.Close()
		ctx := context.Background()
		cc, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Subprotocols: []string{proto}})
		if err != nil {
			t.Fatal(err)
		}
		defer cc.CloseNow()
		for {
			if _, _, err := cc.Read(ctx); err != nil {
				break
			}
		}
		c := <-got
		if len(c.subs) != 0 {
			t.Errorf("%d subscriptions outlive the connection", len(c.subs))
		}
		s.gqlHub.mu.Lock()
		n := len(s.gqlHub.topics)
		s.gqlHub.mu.Unlock()
		if n != 0 {
			t.Errorf("%d hub topics outlive the connection", n)
		}
	})
}
