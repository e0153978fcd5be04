package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/zap"
)

// The MCP side of MCP servers: the requests to PATH/mcp, PATH/sse and
// PATH/messages go through the MCP server's policies as REST requests do
// (serveHTTPAPI), and the MCP handling plays the backend's part
// (mcpRoundTrip): for a REST-as-MCP server the official Go SDK's handlers,
// called in process; for a pass-through server the backend, its event
// streams flushed as they come and an SSE endpoint event pointed at the
// gateway (mcp_sse.go).

// MCPMaxSSEStreams is how many SSE streams (GET PATH/sse) one MCP server
// holds open at once per process; one more is refused with 503. A
// variable for programs embedding the gateway (and tests); set it before
// serving.
var MCPMaxSSEStreams int64 = 1000

// MCP servers' SSE streams per client: at most the API's
// mcp-max-streams-per-client (Limits.MCPMaxClientStreams) per client
// address, counted per MCP server and process; one more is 429. The count
// of an address goes when its last stream closes, so the map holds no more
// than the open streams.
type clientStreams struct {
	mu sync.Mutex
	n  map[string]int64
}

// add counts one more stream of ip, unless ip already holds lim (lim 0:
// no limit).
func (c *clientStreams) add(ip string, lim int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if lim > 0 && c.n[ip] >= lim {
		return false
	}
	if c.n == nil {
		c.n = map[string]int64{}
	}
	c.n[ip]++
	return true
}

func (c *clientStreams) done(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[ip]--; c.n[ip] <= 0 {
		delete(c.n, ip)
	}
}

// mcpState is the server's MCP handling: per MCP server (by API name) the
// SDK's handlers, which outlive reloads (an SSE session lives in its
// handler) and the count of open SSE streams.
type mcpState struct {
	servers sync.Map // API name -> *mcpLocal
	// streams: the SSE streams whose session is shared across replicas
	// (mcp_replicas.go), for Shutdown to wait for their records' removal.
	streams streamCount
}

type mcpLocal struct {
	once       sync.Once
	streamable *mcp.StreamableHTTPHandler
	sse        *mcp.SSEHandler
	streams    atomic.Int64
	clients    clientStreams // streams per client address
	// written counts the writes of every in-process answer, and every
	// request loads it before the handler runs: an edge the race detector
	// sees from what a handler did before it wrote (an SSE session set up
	// before its endpoint event) to the requests the client sends after
	// reading it. The front's event loop reads and writes sockets with
	// raw system calls, which the detector does not take as one.
	written atomic.Int64
	// shared: the SSE sessions shared across replicas (mcp_replicas.go).
	shared mcpShared
}

func (s *Server) mcpLocal(name string) *mcpLocal {
	if v, ok := s.mcpState.servers.Load(name); ok {
		return v.(*mcpLocal)
	}
	v, _ := s.mcpState.servers.LoadOrStore(name, &mcpLocal{})
	return v.(*mcpLocal)
}

// serveMCP serves a request to an MCP server (api is its view): the
// gateway's own checks for MCP, then the REST flow.
func (s *Server) serveMCP(w http.ResponseWriter, r *http.Request, api *API, m reqMatch) {
	ep := mcpEndpoint(api, r.URL.Path)
	if ep == "" || !api.mcp.serves(ep) {
		writeJSONError(w, http.StatusNotFound, "API "+strconv.Quote(api.Name)+" is an MCP server: its endpoints are "+mcpEndpointList(api)+".")
		return
	}
	if !mcpOriginAllowed(r, api) || !mcpLoopbackOrigin(r, api) {
		writeJSONError(w, http.StatusForbidden, "Origin "+strconv.Quote(r.Header.Get("Origin"))+" may not call MCP server "+strconv.Quote(api.Name)+".")
		return
	}
	if ep == "sse" && r.Method == http.MethodGet {
		l := s.mcpLocal(api.Name)
		ip := clientIP(r)
		if !l.clients.add(ip, api.Limits.MCPMaxClientStreams) {
			writeJSONError(w, http.StatusTooManyRequests, "This client has "+strconv.FormatInt(api.Limits.MCPMaxClientStreams, 10)+
				" SSE streams of MCP server "+strconv.Quote(api.Name)+" open: close one first.")
			return
		}
		defer l.clients.done(ip)
		if l.streams.Add(1) > MCPMaxSSEStreams {
			l.streams.Add(-1)
			writeJSONError(w, http.StatusServiceUnavailable, "MCP server "+strconv.Quote(api.Name)+" has "+strconv.FormatInt(MCPMaxSSEStreams, 10)+" SSE streams open: try again later.")
			return
		}
		defer l.streams.Add(-1)
	}
	s.serveHTTPAPI(w, r, api, m)
}

func mcpEndpointList(api *API) string {
	var out []string
	for _, ep := range []string{"mcp", "sse", "messages"} {
		if api.mcp.serves(ep) {
			out = append(out, strings.TrimSuffix(api.Path, "/")+"/"+ep)
		}
	}
	return strings.Join(out, ", ")
}

// mcpLoopbackOrigin: a browser page (the request has an Origin) on the
// gateway's own machine (the request came from, or reached, a loopback
// address) must have a loopback origin too, unless allowed-hosts names
// the gateway's hosts, or allowed-origins or the policy's <cors> allow
// others: a page served from elsewhere whose name was rebound to
// 127.0.0.1 (DNS rebinding) has its own name as both Origin and Host.
func mcpLoopbackOrigin(r *http.Request, api *API) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(api.Limits.AllowedHosts) > 0 {
		return true
	}
	local := isLoopbackHostPort(r.RemoteAddr)
	if la, _ := r.Context().Value(http.LocalAddrContextKey).(interface{ String() string }); la != nil && isLoopbackHostPort(la.String()) {
		local = true
	}
	if !local {
		return true
	}
	if i := strings.Index(origin, "://"); i >= 0 && isLoopbackHostPort(origin[i+3:]) {
		return true
	}
	if len(api.Limits.AllowedOrigins) > 0 && originAllowedByPattern(origin, api.Limits.AllowedOrigins) {
		return true
	}
	return planHas(api.Plan.Inbound, "cors")
}

func originAllowedByPattern(origin string, patterns []string) bool {
	r := &http.Request{Header: http.Header{"Origin": {origin}}, Host: "\x00"}
	return originAllowed(r, patterns)
}

func isLoopbackHostPort(hp string) bool {
	h := hp
	if i := strings.LastIndexByte(hp, ':'); i >= 0 && !strings.HasSuffix(hp, "]") {
		h = hp[:i]
	}
	h = strings.Trim(h, "[]")
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
}

// mcpRoundTrip is the backend call of a request to an MCP server.
func (s *Server) mcpRoundTrip(send func(*http.Request) (*http.Response, error), r *http.Request, x *exchange) (*http.Response, error) {
	m := x.api.mcp
	if m.passThrough {
		ep := mcpEndpoint(x.api, x.in.URL.Path)
		allowed := m.allowedTools()
		if allowed != nil && r.Method == http.MethodPost && r.Body != nil {
			// Tool selection (mcp_filter.go): the message is read to see
			// what it calls, then forwarded as read.
			data, err := readLimited(r.Body, r.ContentLength, x.api.Limits.MaxBodySize, "the MCP request body")
			if err != nil {
				if errors.Is(err, errBodyTooLarge) {
					return jsonRPCError(r, http.StatusRequestEntityTooLarge, -32600, "the request body is larger than "+strconv.FormatInt(x.api.Limits.MaxBodySize, 10)+" bytes"), nil
				}
				return nil, err
			}
			if res := mcpRefuseCalls(r, data, allowed, ep != "mcp"); res != nil {
				return res, nil
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		}
		res, err := send(r)
		if err != nil {
			return nil, err
		}
		switch {
		case isEventStream(res.Header):
			sse := ep == "sse" && r.Method == http.MethodGet
			res.Body = newSSERelay(res.Body, res.Request.URL, x, s.log, sse, allowed)
		case allowed != nil && strings.Contains(res.Header.Get("Content-Type"), "json"):
			res.Body = filteredJSONBody(res.Body, x.api.Limits.MaxBodySize, allowed)
			res.ContentLength = -1
			res.Header.Del("Content-Length")
		}
		return res, nil
	}
	return s.mcpServeLocal(r, x)
}

func isEventStream(h http.Header) bool {
	ct := headerGet(h, "Content-Type")
	return len(ct) >= 17 && strings.EqualFold(ct[:17], "text/event-stream")
}

// mcpReqKey carries a request's MCP server and caller to getServer.
type mcpReqKey struct{}

type mcpReq struct {
	s      *Server
	api    *API
	tools  *mcpToolSet
	caller *mcpCaller
}

// mcpServeLocal answers a REST-as-MCP server's request with the SDK's
// handler, in process: the handler writes into a pipe that is the
// "backend's" response body, streamed to the client as it comes.
func (s *Server) mcpServeLocal(r *http.Request, x *exchange) (*http.Response, error) {
	api := x.api
	ep := mcpEndpoint(api, x.in.URL.Path)
	l := s.mcpLocal(api.Name)
	l.once.Do(func() {
		getServer := func(req *http.Request) *mcp.Server {
			mr, _ := req.Context().Value(mcpReqKey{}).(*mcpReq)
			if mr == nil {
				return nil
			}
			return mr.s.newMCPServer(mr)
		}
		l.streamable = mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{
			Stateless: true, DisableLocalhostProtection: true, MaxRequestBodyBytes: -1, // bounded below
		})
		l.sse = mcp.NewSSEHandler(getServer, &mcp.SSEOptions{DisableLocalhostProtection: true, MaxRequestBodyBytes: -1})
	})
	var tools *mcpToolSet
	if snap := s.current.Load(); snap != nil {
		tools = snap.mcp[api.Name]
	}
	if tools == nil {
		tools = &mcpToolSet{byName: map[string]*mcpTool{}}
	}
	ctx, cancelReq := context.WithCancel(r.Context())
	stopOnShutdown := context.AfterFunc(s.baseCtx, cancelReq) // a stream ends with the gateway
	cancel := func() { stopOnShutdown(); cancelReq() }
	caller := &mcpCaller{header: r.Header, remoteAddr: x.in.RemoteAddr, host: x.in.Host, tls: x.in.TLS, maxBody: api.Limits.MaxBodySize}
	ctx = context.WithValue(ctx, mcpReqKey{}, &mcpReq{s: s, api: api, tools: tools, caller: caller})
	hr := r.Clone(ctx)
	hr.Host, hr.RemoteAddr, hr.TLS = x.in.Host, x.in.RemoteAddr, x.in.TLS
	public := strings.TrimSuffix(api.Path, "/")
	switch ep {
	case "mcp":
		hr.URL.Path = public + "/mcp"
	default:
		// An SSE session's endpoint event names the URL of its POSTs
		// (the SDK's: this URL with ?sessionid=): PATH/messages.
		hr.URL.Path = public + "/messages"
	}
	hr.URL.RawPath = ""
	var body []byte
	if r.Method == http.MethodPost {
		data, err := readLimited(orEmpty(r.Body), r.ContentLength, api.Limits.MaxBodySize, "the MCP request body")
		if err != nil {
			cancel()
			if errors.Is(err, errBodyTooLarge) {
				return jsonRPCError(r, http.StatusRequestEntityTooLarge, -32600, "the request body is larger than "+strconv.FormatInt(api.Limits.MaxBodySize, 10)+" bytes"), nil
			}
			return nil, err
		}
		if jsonDepth(data, mcpMaxDepth) != nil {
			cancel()
			return jsonRPCError(r, http.StatusBadRequest, -32700, "the JSON is nested deeper than "+strconv.Itoa(mcpMaxDepth)+" levels"), nil
		}
		hr.Body, hr.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
		body = data
	}
	var h http.Handler = l.streamable
	idle := time.Duration(0)
	var first func([]byte)
	if ep != "mcp" {
		h = l.sse
		if r.Method == http.MethodGet {
			idle = api.Limits.IdleTimeout
		}
		// Replicas sharing a store share the sessions (mcp_replicas.go).
		if ps := s.mcpPubSub(); ps != nil {
			switch r.Method {
			case http.MethodGet:
				st := &mcpStream{s: s, l: l, api: api, ps: ps, path: hr.URL.Path}
				h, first = http.HandlerFunc(st.serve), st.open
			case http.MethodPost:
				if id := hr.URL.Query().Get("sessionid"); id != "" && !l.holds(id) {
					h = &mcpForward{s: s, l: l, api: api, ps: ps, data: body}
				}
			}
		}
	}
	l.written.Load()
	return serveInProcess(h, hr, cancel, idle, &l.written, first), nil
}

func orEmpty(b io.ReadCloser) io.Reader {
	if b == nil {
		return http.NoBody
	}
	return b
}

// jsonRPCError is an answer with a JSON-RPC error of no id.
func jsonRPCError(r *http.Request, status, code int, msg string) *http.Response {
	body := `{"jsonrpc":"2.0","id":null,"error":{"code":` + strconv.Itoa(code) + `,"message":` + strconv.Quote(msg) + `}}`
	return &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r,
	}
}

// newMCPServer is the SDK server for one request (Streamable HTTP,
// stateless) or one SSE session: the snapshot's tools, each calling its
// operation with the request's caller.
func (s *Server) newMCPServer(mr *mcpReq) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: mr.api.Name, Version: "tollgate"}, &mcp.ServerOptions{
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
	})
	for _, t := range mr.tools.tools {
		srv.AddTool(&mcp.Tool{Name: t.decl.Name, Description: t.desc, InputSchema: t.schema},
			func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				c := mr.caller
				if h := req.Extra; h != nil && h.Header != nil {
					// Streamable HTTP: this POST's headers (the same as
					// the request's; over SSE the session's GET's).
					cc := *c
					cc.header = h.Header
					c = &cc
				}
				res := s.callTool(ctx, t, req.Params.Arguments, c)
				if res.IsError {
					s.log.Debug("MCP tool call failed", zap.String("api", mr.api.Name), zap.String("tool", t.decl.Name))
				}
				return res, nil
			})
	}
	return srv
}

// MCPKeepAlive is how often an SSE stream of a REST-as-MCP server gets a
// comment line when it has nothing to say: a client that went away is
// found at the next write (the front server does not watch idle
// connections), and proxies on the way see traffic.
var MCPKeepAlive = 15 * time.Second

// serveInProcess runs h on req and returns its answer as a backend's
// response whose body is what h writes, as h writes it (a pipe). Closing
// the body (the client went away, or the relay ended) cancels req. With
// idle > 0, a stream that writes nothing for idle is ended. first, when
// set, sees h's first write before it goes out.
func serveInProcess(h http.Handler, req *http.Request, cancel context.CancelFunc, idle time.Duration, written *atomic.Int64, first func([]byte)) *http.Response {
	pr, pw := io.Pipe()
	w := &pipeWriter{h: http.Header{}, pw: pw, ready: make(chan struct{}), req: req, written: written, first: first}
	if idle > 0 {
		w.idle = idle
		w.timer = time.AfterFunc(idle, cancel)
		go w.keepAlive(req.Context(), MCPKeepAlive)
	}
	go func() {
		defer func() {
			if p := recover(); p != nil && p != http.ErrAbortHandler { //nolint:errorlint // a panic value
				pw.CloseWithError(errors.New("the MCP handler failed"))
			}
			w.WriteHeader(http.StatusOK) // no-op when written
			pw.Close()
			if w.timer != nil {
				w.timer.Stop()
			}
			cancel()
		}()
		h.ServeHTTP(w, req)
	}()
	<-w.ready
	w.res.Body = &pipeBody{PipeReader: pr, cancel: cancel}
	return w.res
}

// pipeWriter is the in-process handler's ResponseWriter.
type pipeWriter struct {
	h     http.Header
	pw    *io.PipeWriter
	ready chan struct{}
	once  sync.Once
	res   *http.Response
	req   *http.Request
	idle  time.Duration
	timer *time.Timer
	mu    sync.Mutex // one Write at a time on the pipe
	// written: mcpLocal.written
	written *atomic.Int64
	// first sees the first write before it goes out (guarded by mu).
	first func([]byte)
}

func (w *pipeWriter) Header() http.Header { return w.h }

func (w *pipeWriter) WriteHeader(code int) {
	if code < 200 {
		return
	}
	w.once.Do(func() {
		h := w.h.Clone()
		h.Del("Content-Length") // the relay streams it (chunked)
		w.res = &http.Response{
			StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, ContentLength: -1, Request: w.req,
		}
		close(w.ready)
	})
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.timer != nil {
		w.timer.Reset(w.idle)
	}
	w.written.Add(1)
	w.mu.Lock() // an SSE event is one Write (the SDK's writeEvent): a keepalive never splits one
	defer w.mu.Unlock()
	if f := w.first; f != nil {
		w.first = nil
		f(p)
	}
	return w.pw.Write(p)
}

// keepAlive writes an SSE comment every period until ctx ends; it does
// not count as activity for the idle timeout.
func (w *pipeWriter) keepAlive(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.mu.Lock()
			_, err := w.pw.Write([]byte(": keepalive\n\n"))
			w.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// Flush: a pipe holds nothing back; the head goes now.
func (w *pipeWriter) Flush() { w.WriteHeader(http.StatusOK) }

type pipeBody struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (b *pipeBody) Close() error {
	b.cancel()
	return b.PipeReader.CloseWithError(errors.New("the client went away"))
}
