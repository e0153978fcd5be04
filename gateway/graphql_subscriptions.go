package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway/internal/gqlexec"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
	"tollgate/store"
)

// Subscriptions of synthetic GraphQL APIs (docs/graphql.md): a WebSocket
// upgrade to the API goes through the WebSocket data path as any
// WebSocket API's handshake (its inbound policy, origin check, limits),
// and its "backend" is in process: the dial is a net.Pipe whose other end
// this file serves with the graphql-transport-ws protocol. A subscribe
// message registers with the server's hub for its root field; publish-event
// in a resolver's http-response (a mutation's, typically) hands the
// resolver's answer to the hub, which runs each subscriber's selection over
// it and sends the result as a "next" message. With a shared store the
// event goes through the store's publish/subscribe, so that a subscriber on
// any replica hears it (gqlHub).

// graphqlSubQueue is how many events may wait for one subscription; a
// subscriber slower than that loses events (each one lost is logged).
const graphqlSubQueue = 64

// graphqlReplicaQueue bounds the events of one Subscription field waiting,
// on one replica, to be handed to its subscribers (the store's listener):
// the hand-off never waits, so this is slack for a burst.
const graphqlReplicaQueue = 256

// gqlHub is the subscribers of every synthetic API, by API name and
// Subscription field; it outlives configuration snapshots.
//
// With a shared store (Redis) an event goes through the store whatever
// replica published it: each replica with subscribers to a field listens,
// once, on that field's channel (gqlChannel) and hands every event it hears
// to its own subscribers; the publishing replica's subscribers hear it the
// same way, never also in process, so nobody gets it twice. Without one
// (the in-process store) publish hands the event to the subscribers here.
type gqlHub struct {
	mu     sync.Mutex
	topics map[string]*gqlTopic
}

// gqlTopic is the subscribers of one Subscription field of one API.
type gqlTopic struct {
	subs map[*gqlSub]struct{}
	// Shared store only: ready is closed once lis listens (or err says
	// why it does not); lis is this replica's one listener of the channel.
	ready chan struct{}
	lis   store.Listener
	err   error
	limit int64 // graphql-max-event-bytes of the API when the topic began
}

type gqlSub struct {
	events chan []byte
}

func hubKey(api, field string) string { return api + "\x00" + field }

// gqlChannel is the store channel of one Subscription field: GraphQL
// names hold no "|", so the field ends it unambiguously.
func gqlChannel(api, field string) string { return "gql-sub|" + api + "|" + field }

// add registers sub for the field. With ps (a shared store) the first
// subscriber of the field on this replica starts listening to its channel;
// add returns once the replica listens, so that an event published after
// it reaches sub, or with the error that kept it from listening (sub is
// then not registered).
func (h *gqlHub) add(s *Server, ps store.PubSub, api, field string, limit int64, sub *gqlSub) error {
	k := hubKey(api, field)
	h.mu.Lock()
	if h.topics == nil {
		h.topics = map[string]*gqlTopic{}
	}
	t := h.topics[k]
	first := t == nil
	if first {
		t = &gqlTopic{subs: map[*gqlSub]struct{}{}, limit: limit}
		if ps != nil {
			t.ready = make(chan struct{})
		}
		h.topics[k] = t
	}
	t.subs[sub] = struct{}{}
	h.mu.Unlock()
	if ps == nil {
		return nil
	}
	if first {
		lis, err := ps.Listen(s.baseCtx, gqlChannel(api, field), graphqlReplicaQueue)
		t.lis, t.err = lis, err
		close(t.ready)
		if err == nil {
			go h.relay(s, api, field, t)
		}
	} else {
		<-t.ready
	}
	if t.err != nil {
		h.remove(api, field, sub)
		return t.err
	}
	return nil
}

func (h *gqlHub) remove(api, field string, sub *gqlSub) {
	k := hubKey(api, field)
	h.mu.Lock()
	t := h.topics[k]
	if t == nil {
		h.mu.Unlock()
		return
	}
	delete(t.subs, sub)
	last := len(t.subs) == 0
	if last {
		delete(h.topics, k)
	}
	h.mu.Unlock()
	if last && t.ready != nil {
		<-t.ready
		if t.lis != nil {
			_ = t.lis.Close() // ends relay
		}
	}
}

// deliver hands payload to every subscriber of the field on this
// replica; it never waits.
func (h *gqlHub) deliver(api, field string, payload []byte) (delivered, dropped int) {
	h.mu.Lock()
	t := h.topics[hubKey(api, field)]
	h.mu.Unlock()
	if t == nil {
		return 0, 0
	}
	return h.deliverTo(t, payload)
}

// deliverTo hands payload to every subscriber of t; it never waits. A
// topic that ended has none.
func (h *gqlHub) deliverTo(t *gqlTopic, payload []byte) (delivered, dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range t.subs {
		select {
		case sub.events <- payload:
			delivered++
		default:
			dropped++
		}
	}
	return delivered, dropped
}

// relay hands the events the store delivers on the topic's channel to the
// topic's subscribers on this replica, in the order it hears them.
func (h *gqlHub) relay(s *Server, api, field string, t *gqlTopic) {
	for payload := range t.lis.Messages() {
		if int64(len(payload)) > t.limit {
			s.gqlTooLarge(api, field, len(payload), t.limit)
			continue
		}
		if _, dropped := h.deliverTo(t, payload); dropped > 0 {
			s.gqlDropped(api, field, dropped)
		}
	}
}

// graphqlDialer is the WebSocket "backend" of a synthetic API: every dial
// is a pipe served by serveGraphQLWS for that API.
func (s *Server) graphqlDialer(api *API) *wsproxy.Dialer {
	return wsproxy.NewDialer(&http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		a, b := net.Pipe()
		go s.serveGraphQLPipe(api, b)
		return a, nil
	}})
}

// oneConn is a listener that accepts one connection.
type oneConn struct {
	c    net.Conn
	once sync.Once
}

func (l *oneConn) Accept() (net.Conn, error) {
	var c net.Conn
	l.once.Do(func() { c = l.c })
	if c == nil {
		return nil, io.EOF
	}
	return c, nil
}
func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "graphql" }

func (s *Server) serveGraphQLPipe(api *API, c net.Conn) {
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveGraphQLWS(w, r, api) }),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log),
	}
	_ = srv.Serve(&oneConn{c: c}) // returns after the one connection is accepted; the handler goes on
}

// gqlMsg is a graphql-transport-ws message.
type gqlMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// serveGraphQLWS speaks graphql-transport-ws with one client.
func (s *Server) serveGraphQLWS(w http.ResponseWriter, r *http.Request, api *API) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{"graphql-transport-ws", "graphql-ws"},
		InsecureSkipVerify: true, // the gateway checked the client's Origin (allowed-origins)
	})
	if err != nil {
		return
	}
	legacy := conn.Subprotocol() == "graphql-ws" // subscriptions-transport-ws: start/data/stop
	if conn.Subprotocol() == "" {
		conn.Close(4406, "Subprotocol not acceptable: this gateway speaks graphql-transport-ws and graphql-ws")
		return
	}
	conn.SetReadLimit(api.Limits.MaxMessageSize)
	ctx, cancel := context.WithCancel(s.baseCtx) // not r's: the handler's request is over once accepted
	defer cancel()
	c := newGQLConn(s, api, conn, ctx, legacy)
	defer c.end()
	// The protocol's connectionInitWaitTimeout: a client that has not sent
	// connection_init by then is closed with 4408.
	initWait := time.AfterFunc(api.Limits.GraphQLInitTimeout, func() {
		if !c.acked.Load() {
			conn.Close(4408, "Connection initialisation timeout")
		}
	})
	defer initWait.Stop()
	for {
		// A binary frame is read as text, as graphql-ws's server does.
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if code, reason := c.message(data); code != 0 {
			conn.Close(code, reason)
			return
		}
	}
}

// message is one client message as read; a non-zero code closes the
// connection.
func (c *gqlConn) message(data []byte) (websocket.StatusCode, string) {
	var m gqlMsg
	if json.Unmarshal(data, &m) != nil || m.Type == "" {
		if c.legacy {
			// subscriptions-transport-ws's server answers connection_error.
			c.send(gqlMsg{Type: "connection_error", Payload: json.RawMessage(`{"message":"Invalid message"}`)})
		}
		return 4400, "Invalid message"
	}
	if len(m.ID) > graphqlMaxIDBytes {
		return 4400, "Invalid message: id longer than " + strconv.Itoa(graphqlMaxIDBytes) + " bytes"
	}
	return c.handle(m)
}

// graphqlMaxIDBytes bounds an operation id (tollgate's: the protocol sets
// none); ids are kept for as long as their subscription.
const graphqlMaxIDBytes = 128

type gqlConn struct {
	s     *Server
	api   *API
	conn  *websocket.Conn
	ctx   context.Context
	wmu   sync.Mutex
	acked atomic.Bool // connection_init received (the init timer reads it)
	// legacy: the graphql-ws subprotocol (subscriptions-transport-ws):
	// start, data, stop and connection_terminate for subscribe, next,
	// complete and a close.
	legacy bool
	mu     sync.Mutex
	subs   map[string]func() // id -> stop
	wg     sync.WaitGroup
	// The legacy ka: a timer that re-arms itself (no goroutine parked per
	// idle connection); kaStopped, under mu, tells it the connection
	// ended, and wg counts a tick while it sends.
	ka        *time.Timer
	kaStopped bool
}

func newGQLConn(s *Server, api *API, conn *websocket.Conn, ctx context.Context, legacy bool) *gqlConn {
	return &gqlConn{s: s, api: api, conn: conn, ctx: ctx, subs: map[string]func(){}, legacy: legacy}
}

func (c *gqlConn) send(m any) {
	data, err := json.Marshal(m)
	if err != nil {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.Write(c.ctx, websocket.MessageText, data)
}

// legacyTypes are graphql-ws's client message types in
// graphql-transport-ws's words.
var legacyTypes = map[string]string{"start": "subscribe", "stop": "complete", "connection_terminate": "terminate"}

// handle is one client message; a non-zero code closes the connection.
func (c *gqlConn) handle(m gqlMsg) (websocket.StatusCode, string) {
	if c.legacy {
		if t, ok := legacyTypes[m.Type]; ok {
			m.Type = t
		} else if m.Type == "subscribe" || m.Type == "complete" || m.Type == "ping" || m.Type == "pong" || m.Type == "terminate" {
			m.Type = "unknown:" + m.Type
		}
	}
	switch m.Type {
	case "terminate":
		return websocket.StatusNormalClosure, ""
	case "connection_init":
		if c.acked.Load() {
			if c.legacy {
				c.send(gqlMsg{Type: "connection_error", Payload: json.RawMessage(`{"message":"Too many initialisation requests"}`)})
			}
			return 4429, "Too many initialisation requests"
		}
		c.acked.Store(true)
		c.send(gqlMsg{Type: "connection_ack"})
		if c.legacy {
			// subscriptions-transport-ws's server with its keepAlive
			// option: a ka right after the ack, then one per interval.
			c.send(gqlMsg{Type: "ka"})
			if iv := c.api.Limits.GraphQLKeepAlive; iv > 0 {
				c.startKeepAlive(iv)
			}
		}
	case "ping":
		c.send(gqlMsg{Type: "pong"})
	case "pong":
	case "subscribe":
		if !c.acked.Load() {
			return 4401, "Unauthorized"
		}
		if m.ID == "" {
			return 4400, "subscribe needs an id"
		}
		c.mu.Lock()
		_, dup := c.subs[m.ID]
		n := len(c.subs)
		c.mu.Unlock()
		if dup {
			return 4409, "Subscriber for " + m.ID + " already exists"
		}
		if lim := c.api.Limits.GraphQLMaxSubscriptions; int64(n) >= lim {
			// The protocol's error message for this operation: the
			// connection and its other subscriptions go on.
			c.send(gqlMsg{Type: "error", ID: m.ID, Payload: c.errorPayload("too many subscriptions on this connection (graphql-max-subscriptions " + strconv.FormatInt(lim, 10) + ")")})
			return 0, ""
		}
		var p struct {
			Query         string         `json:"query"`
			OperationName string         `json:"operationName"`
			Variables     map[string]any `json:"variables"`
		}
		if err := decodeJSON(m.Payload, &p); err != nil {
			return 4400, "Invalid subscribe payload"
		}
		g := c.api.gql
		sub, res := gqlexec.PrepareSubscription(g.schema, gqlexec.Params{Query: p.Query, OperationName: p.OperationName, Variables: p.Variables}, g.limits)
		if res != nil {
			errs, _ := json.Marshal(res.Errors)
			if c.legacy && len(res.Errors) > 0 {
				errs, _ = json.Marshal(res.Errors[0]) // graphql-ws's error payload is one error
			}
			c.send(gqlMsg{Type: "error", ID: m.ID, Payload: errs})
			return 0, ""
		}
		c.start(m.ID, sub)
	case "complete":
		c.mu.Lock()
		stop := c.subs[m.ID]
		delete(c.subs, m.ID)
		c.mu.Unlock()
		if stop != nil {
			stop()
			if c.legacy {
				c.send(gqlMsg{Type: "complete", ID: m.ID})
			}
		}
	default:
		if c.legacy {
			// subscriptions-transport-ws's server answers an error for the
			// id and goes on (its protocol has no ping: a client's ping is
			// answered so).
			c.send(gqlMsg{Type: "error", ID: m.ID, Payload: json.RawMessage(`{"message":"Invalid message type!"}`)})
			return 0, ""
		}
		return 4400, "Unknown message type " + strconv.Quote(m.Type)
	}
	return 0, ""
}

// start registers a subscription with the hub and delivers its events.
func (c *gqlConn) start(id string, sub *gqlexec.Subscription) {
	hs := &gqlSub{events: make(chan []byte, graphqlSubQueue)}
	api := c.api
	if err := c.s.gqlHub.add(c.s, c.s.gqlPubSub(), api.Name, sub.Field, api.Limits.GraphQLMaxEventBytes, hs); err != nil {
		c.s.log.Warn("GraphQL subscription refused: the store failed", zap.String("api", api.Name),
			zap.String("field", sub.Field), zap.String("error", err.Error()))
		c.send(gqlMsg{Type: "error", ID: id, Payload: c.errorPayload("the subscription could not be started: the event store is unavailable")})
		return
	}
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			c.s.gqlHub.remove(api.Name, sub.Field, hs)
			close(done)
		})
	}
	c.mu.Lock()
	c.subs[id] = stop
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			select {
			case <-done:
				return
			case <-c.ctx.Done():
				return
			case data := <-hs.events:
				var payload any
				if len(data) > 0 && decodeJSON(data, &payload) != nil {
					payload = string(data)
				}
				rr := &resolverRun{budget: api.Limits.GraphQLMaxAnswerBytes}
				g := api.gql
				res := sub.Event(c.ctx, payload, func(typ, field string) gqlexec.Resolver {
					rv := g.resolvers[typ+"."+field]
					if rv == nil {
						return nil
					}
					return func(ctx context.Context, f *gqlexec.Field) (any, error) {
						return c.s.runResolver(ctx, api, c.freshState, g, rv, f, rr)
					}
				})
				body, err := json.Marshal(res)
				if err != nil {
					continue
				}
				next := "next"
				if c.legacy {
					next = "data"
				}
				c.send(gqlMsg{Type: next, ID: id, Payload: body})
			}
		}
	}()
}

// errorPayload is an error message's payload of one error: a list of
// GraphQL errors under graphql-transport-ws, one error under graphql-ws.
func (c *gqlConn) errorPayload(msg string) json.RawMessage {
	e := map[string]string{"message": msg}
	if c.legacy {
		b, _ := json.Marshal(e)
		return b
	}
	b, _ := json.Marshal([]any{e})
	return b
}

// freshState is a resolver's State under a subscription: the handshake's
// is gone, so it starts with no variables.
func (c *gqlConn) freshState() (*engine.State, func()) {
	st := engine.AcquireState(c.api.Info)
	return st, st.Release
}

// startKeepAlive sends graphql-ws's ka every interval until the
// connection ends: a timer whose tick sends one and re-arms it, so an idle
// connection parks no goroutine for it.
func (c *gqlConn) startKeepAlive(interval time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kaStopped || c.ka != nil {
		return
	}
	c.ka = time.AfterFunc(interval, func() {
		c.mu.Lock()
		if c.kaStopped {
			c.mu.Unlock()
			return
		}
		c.wg.Add(1) // before end's Wait: end sets kaStopped under mu first
		c.mu.Unlock()
		defer c.wg.Done()
		c.send(gqlMsg{Type: "ka"})
		c.mu.Lock()
		if !c.kaStopped {
			c.ka.Reset(interval)
		}
		c.mu.Unlock()
	})
}

// end stops every subscription of the connection, and the keep-alive; it
// returns once none of their goroutines runs.
func (c *gqlConn) end() {
	c.mu.Lock()
	c.kaStopped = true
	if c.ka != nil {
		c.ka.Stop()
	}
	stops := make([]func(), 0, len(c.subs))
	for _, stop := range c.subs {
		stops = append(stops, stop)
	}
	c.subs = map[string]func(){}
	c.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	c.wg.Wait()
}

// gqlPubSub is the shared store's publish/subscribe, or nil when the
// store answers in process (events stay in this process).
func (s *Server) gqlPubSub() store.PubSub { return s.mcpPubSub() }

// publisher is what publish-event calls in a resolver of api: the event
// goes through the shared store to every replica's subscribers (this one's
// included), or, without one, to this process's subscribers.
func (s *Server) publisher(api *API) policies.EventPublisher {
	return func(target string, payload []byte) {
		if lim := api.Limits.GraphQLMaxEventBytes; int64(len(payload)) > lim {
			s.gqlTooLarge(api.Name, target, len(payload), lim)
			return
		}
		if ps := s.gqlPubSub(); ps != nil {
			_, err := ps.Publish(s.baseCtx, gqlChannel(api.Name, target), payload)
			if err == nil {
				return
			}
			s.log.Warn("GraphQL subscription event not shared across replicas: the store failed; delivered to this replica's subscribers only",
				zap.String("api", api.Name), zap.String("field", target), zap.String("error", err.Error()))
		}
		if _, dropped := s.gqlHub.deliver(api.Name, target, payload); dropped > 0 {
			s.gqlDropped(api.Name, target, dropped)
		}
	}
}

func (s *Server) gqlDropped(api, field string, dropped int) {
	s.log.Warn("GraphQL subscription events dropped (subscribers too slow)", zap.String("api", api),
		zap.String("field", field), zap.Int("dropped", dropped))
}

func (s *Server) gqlTooLarge(api, field string, n int, limit int64) {
	s.log.Warn("GraphQL subscription event dropped: larger than graphql-max-event-bytes", zap.String("api", api),
		zap.String("field", field), zap.Int("bytes", n), zap.Int64("limit", limit))
}
