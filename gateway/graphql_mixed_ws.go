package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway/internal/gqlexec"
	"tollgate/gateway/wsproxy"
)

// The subscriptions of a pass-through GraphQL API with resolvers
// (docs/graphql.md): APIM invokes a resolver whenever its type and field
// are executed, and a subscription's selection is executed on every
// event. The relay dials, instead of the backend, an in-process pipe to
// graphqlMixedWS, which dials the backend itself and passes every message
// both ways as it is, but for the subscriptions whose selection reaches a
// resolver: their subscribe (graphql-ws: start) goes to the backend with
// the query the backend can answer (gqlexec.Operation.Split, as for a
// request), and each of their events (next; graphql-ws: data) is the
// client's selection executed over the backend's event, the resolvers
// running. Subscriptions that reach no resolver, and every other message,
// pass untouched.

// graphqlMixedSubs reports whether api's subscriptions go through
// graphqlMixedWS: a pass-through GraphQL API with resolvers and a
// Subscription type.
func graphqlMixedSubs(api *API) bool {
	g := api.gql
	return g != nil && g.passThrough && len(g.resolvers) > 0 && g.schema != nil && g.schema.Subscription != nil
}

// graphqlMixedDialer is the dialer of such an API's subscription
// connection: a pipe to graphqlMixedWS, which reaches target through real
// (the backend's dialer: its TLS settings). The relay dials the pipe as a
// plain ws URL (graphqlMixedPipeURL).
func (s *Server) graphqlMixedDialer(api *API, real *wsproxy.Dialer, target *url.URL) *wsproxy.Dialer {
	tgt := *target
	return wsproxy.NewDialer(&http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() {
			srv := &http.Server{
				Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.graphqlMixedWS(w, r, api, real, &tgt) }),
				ReadHeaderTimeout: 10 * time.Second,
				ErrorLog:          zap.NewStdLog(s.log),
			}
			_ = srv.Serve(&oneConn{c: b})
		}()
		return a, nil
	}})
}

// graphqlMixedPipeURL is what the relay dials for target: ws, whatever
// target's scheme (the pipe speaks no TLS; graphqlMixedWS does to the
// backend).
func graphqlMixedPipeURL(target *url.URL) *url.URL {
	u := *target
	u.Scheme, u.Host = "ws", "graphql"
	return &u
}

// mixedHopHeaders are the handshake's own headers: the backend's
// handshake makes its own.
var mixedHopHeaders = []string{"Connection", "Upgrade", "Sec-Websocket-Key", "Sec-Websocket-Version",
	"Sec-Websocket-Extensions", "Sec-Websocket-Protocol", "Host"}

// graphqlMixedWS serves the pipe's one connection: the backend is dialed
// first (a refusal is passed back as the backend answered it), then the
// client is accepted with the subprotocol the backend chose.
func (s *Server) graphqlMixedWS(w http.ResponseWriter, r *http.Request, api *API, real *wsproxy.Dialer, target *url.URL) {
	hdr := r.Header.Clone()
	for _, h := range mixedHopHeaders {
		hdr.Del(h)
	}
	var offered []string
	for _, v := range r.Header.Values("Sec-Websocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				offered = append(offered, p)
			}
		}
	}
	ctx, cancel := context.WithCancel(s.baseCtx) // not r's: the pipe's request is over once accepted
	defer cancel()
	dctx, dcancel := context.WithTimeout(r.Context(), api.Limits.HandshakeTimeout)
	be, resp, err := websocket.Dial(dctx, target.String(), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: real.HTTPTransport()}, HTTPHeader: hdr, Subprotocols: offered})
	dcancel()
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			for k, vv := range resp.Header {
				w.Header()[k] = vv
			}
			w.WriteHeader(resp.StatusCode)
			if resp.Body != nil {
				_, _ = io.Copy(w, io.LimitReader(resp.Body, 1<<10))
			}
			return
		}
		s.log.Debug("GraphQL backend subscription handshake failed", zap.String("api", api.Name),
			zap.String("error", engine.Mask(err.Error(), planSecrets(api))))
		http.Error(w, "the GraphQL backend could not be reached", http.StatusBadGateway)
		return
	}
	var protos []string
	if p := be.Subprotocol(); p != "" {
		protos = []string{p}
	}
	cl, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protos, InsecureSkipVerify: true})
	if err != nil {
		be.Close(websocket.StatusGoingAway, "")
		return
	}
	lim := api.Limits.MaxMessageSize
	cl.SetReadLimit(lim)
	be.SetReadLimit(lim)
	m := &mixedWS{s: s, api: api, ctx: ctx, cl: cl, be: be, legacy: be.Subprotocol() == "graphql-ws", subs: map[string]*gqlexec.Operation{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.pump(be, cl, m.fromBackend)
	}()
	m.pump(cl, be, m.fromClient)
	<-done
}

// mixedWS is one subscription connection of a pass-through API with
// resolvers: cl the client's, be the backend's.
type mixedWS struct {
	s      *Server
	api    *API
	ctx    context.Context
	cl, be *websocket.Conn
	legacy bool // graphql-ws (subscriptions-transport-ws): start and data
	mu     sync.Mutex
	subs   map[string]*gqlexec.Operation // the subscriptions executed here, by id
}

// pump passes src's messages to dst through edit (nil: as they are) until
// either side ends; dst is then closed with src's close status.
func (m *mixedWS) pump(src, dst *websocket.Conn, edit func([]byte) []byte) {
	for {
		typ, data, err := src.Read(m.ctx)
		if err != nil {
			code, reason := websocket.CloseStatus(err), ""
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			if code == -1 {
				code = websocket.StatusGoingAway
			}
			dst.Close(code, reason)
			return
		}
		if typ == websocket.MessageText {
			data = edit(data)
		}
		if err := dst.Write(m.ctx, typ, data); err != nil {
			src.Close(websocket.StatusGoingAway, "")
			return
		}
	}
}

// mixedPayload is a subscribe (start) message's payload.
type mixedPayload struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     map[string]any  `json:"variables,omitempty"`
	Extensions    json.RawMessage `json:"extensions,omitempty"`
}

// fromClient: a subscription whose selection reaches a resolver is sent
// to the backend with what the backend can answer, and remembered.
func (m *mixedWS) fromClient(data []byte) []byte {
	var msg gqlMsg
	if json.Unmarshal(data, &msg) != nil || msg.ID == "" {
		return data
	}
	switch msg.Type {
	case "complete", "stop":
		m.mu.Lock()
		delete(m.subs, msg.ID)
		m.mu.Unlock()
		return data
	case "subscribe", "start":
	default:
		return data
	}
	var p mixedPayload
	if json.Unmarshal(msg.Payload, &p) != nil || p.Query == "" {
		return data
	}
	g := m.api.gql
	op, res := gqlexec.Prepare(g.schema, gqlexec.Params{Query: p.Query, OperationName: p.OperationName, Variables: p.Variables}, g.limits)
	if res != nil || op.Kind() != ast.Subscription {
		return data // the backend answers it (an error, or not a subscription)
	}
	gw, query, vars := op.Split(func(typ, field string) bool { return g.resolvers[typ+"."+field] != nil })
	if !gw || query == "" {
		return data
	}
	m.mu.Lock()
	if int64(len(m.subs)) >= m.api.Limits.GraphQLMaxSubscriptions {
		m.mu.Unlock()
		return data // past the bound, the backend's as it is: no resolvers
	}
	m.subs[msg.ID] = op
	m.mu.Unlock()
	p.Query = query
	given := p.Variables
	p.Variables = nil
	if len(vars) > 0 {
		p.Variables = make(map[string]any, len(vars))
		for _, name := range vars {
			if v, ok := given[name]; ok {
				p.Variables[name] = v
			}
		}
	}
	return msg.withPayload(p, data)
}

// fromBackend: an event of a subscription executed here is the client's
// selection executed over it, the resolvers running.
func (m *mixedWS) fromBackend(data []byte) []byte {
	var msg gqlMsg
	if json.Unmarshal(data, &msg) != nil || msg.ID == "" {
		return data
	}
	m.mu.Lock()
	op := m.subs[msg.ID]
	if op != nil && (msg.Type == "complete" || msg.Type == "error") {
		delete(m.subs, msg.ID)
	}
	m.mu.Unlock()
	if op == nil || (msg.Type != "next" && msg.Type != "data") {
		return data
	}
	root, backendErrs, failure := parseBackendAnswer(msg.Payload, http.StatusOK)
	if failure != "" {
		return data // not a GraphQL result: passed as it came
	}
	api, g := m.api, m.api.gql
	rr := &resolverRun{budget: api.Limits.GraphQLMaxAnswerBytes}
	if rr.budget <= 0 {
		rr.budget = DefaultLimits.GraphQLMaxAnswerBytes
	}
	fresh := func() (*engine.State, func()) {
		st := engine.AcquireState(api.Info)
		return st, st.Release
	}
	res := op.ExecuteEvent(m.ctx, root, func(typ, field string) gqlexec.Resolver {
		rv := g.resolvers[typ+"."+field]
		if rv == nil {
			return nil
		}
		return func(ctx context.Context, f *gqlexec.Field) (any, error) {
			return m.s.runResolver(ctx, api, fresh, g, rv, f, rr)
		}
	})
	res.Errors = mergeBackendErrors(backendErrs, res.Errors)
	return msg.withPayload(res, data)
}

// withPayload is msg with payload as its payload, encoded; orig (the
// message as it came) when either does not encode.
func (msg gqlMsg) withPayload(payload any, orig []byte) []byte {
	b, err := json.Marshal(payload)
	if err != nil {
		return orig
	}
	msg.Payload = b
	out, err := json.Marshal(msg)
	if err != nil {
		return orig
	}
	return out
}
