package gateway

import (
	"bufio"
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/zap"

	"tollgate/store"
)

// HTTP+SSE sessions of REST-as-MCP servers across replicas (docs/mcp.md,
// "Replicas"). The SDK keeps a session in the process that holds its
// stream (GET PATH/sse); its messages (POST PATH/messages?sessionid=…) may
// reach any replica. With a shared store (Redis):
//
//   - the replica holding the stream puts a record of the session in the
//     store (mcpSessionKey, MCPSessionTTL, refreshed while the stream is
//     open, deleted when it closes) and listens on the session's channel
//     before the client learns the session's id (the endpoint event);
//   - a replica that gets a POST for a session it does not hold answers it
//     as the SDK's handler would (mcpForward: the same checks in the same
//     order, the message checked by the SDK itself) and publishes the
//     message on the session's channel;
//   - the holder feeds each message into its SDK session (a POST to its own
//     handler), which answers on the stream.
//
// The POST runs the MCP server's policies where it lands, as any request.
// With the in-process store none of this runs: a session is the SDK's.

// MCPSessionTTL is how long an SSE session's record lives in the shared
// store unless refreshed; the replica holding the stream refreshes it every
// third of it, and deletes it when the stream closes. A variable for
// programs embedding the gateway (and tests); set it before serving.
var MCPSessionTTL = time.Minute

// mcpForwardQueue bounds the messages forwarded to one stream waiting to
// be fed into its session: more are dropped (the store's Listener), so a
// client flooding another replica cannot grow the holder's memory past
// this many of its API's largest body.
const mcpForwardQueue = 16

// mcpPubSub is the shared store's publish/subscribe, or nil when the
// store answers in process (one replica: sessions stay the SDK's).
func (s *Server) mcpPubSub() store.PubSub {
	if s.localStore() {
		return nil
	}
	ps, _ := s.opt.Store.(store.PubSub)
	return ps
}

// mcpSessionKey names an SSE session in the store: its record (a cached
// value) and its channel.
func mcpSessionKey(api, id string) string { return "mcp-sse|" + api + "|" + id }

// mcpPlausibleID: a session id the SDK could have made (rand.Text: 26
// base32 letters; any URL-safe text up to 128 bytes is let through), so a
// forged one of any size never reaches the store as a key.
func mcpPlausibleID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// mcpShared is an MCP server's part of the cross-replica handling.
type mcpShared struct {
	// held: the ids of the sessions whose stream this replica holds.
	held sync.Map
	// check is an SDK transport of the gateway's own, never read by a
	// session: mcpForward hands it each forwarded POST so the SDK parses
	// and checks the message (and answers 400 as it would), then takes the
	// message back off its queue (checkConn).
	checkOnce sync.Once
	check     *mcp.SSEServerTransport
	checkConn mcp.Connection
}

func (l *mcpLocal) holds(id string) bool {
	_, ok := l.shared.held.Load(id)
	return ok
}

// checkMessage answers w as the SDK's session would answer the POST r
// (202, or 400 for a message it refuses), keeping nothing.
func (l *mcpLocal) checkMessage(w http.ResponseWriter, r *http.Request) {
	sh := &l.shared
	sh.checkOnce.Do(func() {
		sh.check = &mcp.SSEServerTransport{Response: &mcpRecorder{h: http.Header{}}, MaxRequestBodyBytes: -1}
		sh.checkConn, _ = sh.check.Connect(context.Background()) // fails only when connected twice
	})
	rec := &mcpRecorder{h: http.Header{}}
	sh.check.ServeHTTP(rec, r)
	if rec.code == http.StatusAccepted {
		// Every 202 queued one message and is followed by one read: the
		// queue never holds more than the POSTs in flight.
		_, _ = sh.checkConn.Read(context.Background())
	}
	rec.copyTo(w)
}

// mcpForward answers a POST for an SSE session this replica does not
// hold: as the SDK's SSEHandler does (ServeHTTP), in its order (the media
// type, the session id, the session, the message), the session looked up
// in the store, and the message published to the replica holding it.
type mcpForward struct {
	s    *Server
	l    *mcpLocal
	api  *API
	ps   store.PubSub
	data []byte // the body (already bounded by the API's max body size)
}

func (f *mcpForward) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "Content-Type must be 'application/json'", http.StatusUnsupportedMediaType)
		return
	}
	id := r.URL.Query().Get("sessionid")
	if id == "" {
		http.Error(w, "sessionid must be provided", http.StatusBadRequest)
		return
	}
	if !mcpPlausibleID(id) {
		http.Error(w, "session not found", http.StatusNotFound)
		return
	}
	ctx := r.Context()
	key := mcpSessionKey(f.api.Name, id)
	_, ok, err := f.s.opt.Store.CacheGet(ctx, key)
	if err != nil {
		f.storeFailed(w, id, err)
		return
	}
	if !ok {
		http.Error(w, "session not found", http.StatusNotFound)
		return
	}
	rec := &mcpRecorder{h: http.Header{}}
	f.l.checkMessage(rec, r)
	if rec.code != http.StatusAccepted {
		rec.copyTo(w)
		return
	}
	n, err := f.ps.Publish(ctx, key, f.data)
	if err != nil {
		f.storeFailed(w, id, err)
		return
	}
	if n == 0 {
		// The record outlived its stream (a replica that died): the
		// session is gone.
		http.Error(w, "session not found", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// storeFailed answers a POST the store could not look up or forward.
func (f *mcpForward) storeFailed(w http.ResponseWriter, id string, err error) {
	f.s.log.Warn("MCP SSE message not forwarded: the store failed", zap.String("api", f.api.Name),
		zap.String("error", strings.ReplaceAll(err.Error(), id, "…"))) // the id lets anyone post to the session
	http.Error(w, "the session store is unavailable", http.StatusServiceUnavailable)
}

// mcpStream is one SSE stream (GET PATH/sse) of a REST-as-MCP server when
// sessions are shared: its session's record and its listener.
type mcpStream struct {
	s    *Server
	l    *mcpLocal
	api  *API
	ps   store.PubSub
	path string          // where the session's POSTs go on this replica
	ctx  context.Context // the GET's

	id, key string
	lis     store.Listener
	done    chan struct{} // run ended
}

// serve is the stream's handler: the SDK's, and the session's cleanup
// when it ends.
func (st *mcpStream) serve(w http.ResponseWriter, r *http.Request) {
	st.ctx = r.Context()
	st.s.mcpState.streams.add(1)
	defer st.s.mcpState.streams.add(-1)
	defer st.close()
	st.l.sse.ServeHTTP(w, r)
}

// open is called with the stream's first write, before it reaches the
// client: the SDK's endpoint event, which names the session. The session
// is made known to every replica before the client can POST to one. When
// the store fails the stream still serves, its POSTs to this replica only.
func (st *mcpStream) open(first []byte) {
	id := endpointSessionID(first)
	if !mcpPlausibleID(id) {
		st.s.log.Warn("MCP SSE stream: no session id in its first event: its messages must come to this replica", zap.String("api", st.api.Name))
		return
	}
	st.id = id
	st.l.shared.held.Store(id, struct{}{}) // this replica's POSTs for it go to the SDK, shared or not
	key := mcpSessionKey(st.api.Name, id)
	if err := st.s.opt.Store.CacheSet(st.ctx, key, []byte(st.s.idPrefix), MCPSessionTTL); err != nil {
		st.notShared(id, err)
		return
	}
	lis, err := st.ps.Listen(st.ctx, key, mcpForwardQueue)
	if err != nil {
		_ = st.s.opt.Store.CacheDelete(context.WithoutCancel(st.ctx), key)
		st.notShared(id, err)
		return
	}
	st.key, st.lis, st.done = key, lis, make(chan struct{})
	go st.run()
}

func (st *mcpStream) notShared(id string, err error) {
	st.s.log.Warn("MCP SSE session not shared across replicas: the store failed; its messages must come to this replica",
		zap.String("api", st.api.Name), zap.String("error", strings.ReplaceAll(err.Error(), id, "…")))
}

// run feeds the forwarded messages into the session, in order, and keeps
// the session's record alive.
func (st *mcpStream) run() {
	defer close(st.done)
	t := time.NewTicker(max(MCPSessionTTL/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case msg, ok := <-st.lis.Messages():
			if !ok {
				return // the store closed
			}
			st.deliver(msg)
		case <-t.C:
			if err := st.s.opt.Store.CacheSet(st.ctx, st.key, []byte(st.s.idPrefix), MCPSessionTTL); err != nil {
				st.s.log.Warn("MCP SSE session's record not refreshed: the store failed", zap.String("api", st.api.Name),
					zap.String("error", strings.ReplaceAll(err.Error(), st.id, "…")))
			}
		case <-st.ctx.Done():
			return
		}
	}
}

// deliver hands one forwarded message to the session as a POST to the
// SDK's handler: the SDK parses it again and queues it for the session.
func (st *mcpStream) deliver(msg []byte) {
	if lim := st.api.Limits.MaxBodySize; lim > 0 && int64(len(msg)) > lim {
		st.s.log.Warn("MCP SSE forwarded message dropped: larger than the API's max body size", zap.String("api", st.api.Name))
		return
	}
	req, err := http.NewRequestWithContext(st.ctx, http.MethodPost, st.path+"?sessionid="+url.QueryEscape(st.id), bytes.NewReader(msg))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	rec := &mcpRecorder{h: http.Header{}}
	st.l.written.Load()
	st.l.sse.ServeHTTP(rec, req)
	if rec.code != http.StatusAccepted {
		st.s.log.Debug("MCP SSE forwarded message refused by its session", zap.String("api", st.api.Name), zap.Int("status", rec.code))
	}
}

// close: the stream ended (the client went away, the session closed, or
// the gateway shuts down): the session is forgotten everywhere.
func (st *mcpStream) close() {
	if st.id != "" {
		st.l.shared.held.Delete(st.id)
	}
	if st.lis == nil {
		return
	}
	_ = st.lis.Close() // ends run, unless it is feeding the session, which has ended too
	<-st.done
	if err := st.s.opt.Store.CacheDelete(context.WithoutCancel(st.ctx), st.key); err != nil {
		st.s.log.Warn("MCP SSE session's record not deleted: the store failed; it expires by itself", zap.String("api", st.api.Name),
			zap.String("error", strings.ReplaceAll(err.Error(), st.id, "…")))
	}
}

// endpointSessionID is the session id in the SDK's endpoint event
// ("event: endpoint\ndata: /PATH/messages?sessionid=ID\n\n"), or "".
func endpointSessionID(ev []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(ev))
	endpoint, data := false, ""
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == "event: endpoint":
			endpoint = true
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
	if !endpoint {
		return ""
	}
	u, err := url.Parse(data)
	if err != nil {
		return ""
	}
	return u.Query().Get("sessionid")
}

// mcpRecorder is an answer of the SDK's handler kept in memory.
type mcpRecorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *mcpRecorder) Header() http.Header { return r.h }

func (r *mcpRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *mcpRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len() > 64<<10 {
		return len(p), nil // an error text; the check transport's endpoint event
	}
	return r.body.Write(p)
}

// copyTo writes the kept answer to w.
func (r *mcpRecorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.h {
		w.Header()[k] = v
	}
	if r.code == 0 {
		r.code = http.StatusOK
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}

// mcpStreamsWait waits, bounded by ctx, for the shared SSE streams to have
// ended and removed their sessions' records (Shutdown).
func (s *Server) mcpStreamsWait(ctx context.Context) error {
	select {
	case <-s.mcpState.streams.zero():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// streamCount counts streams; zero is closed while there are none.
type streamCount struct {
	mu   sync.Mutex
	n    int
	none chan struct{} // closed when n == 0 (nil: never used)
}

func (c *streamCount) add(d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 && d > 0 {
		c.none = make(chan struct{})
	}
	c.n += d
	if c.n == 0 {
		close(c.none)
	}
}

func (c *streamCount) zero() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.none == nil {
		c.none = make(chan struct{})
		close(c.none)
	}
	return c.none
}
