package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway/h1"
	"tollgate/gateway/internal/wire"
	"tollgate/gateway/upstream"
	"tollgate/internal/monoclock"
)

// httpProxy forwards HTTP API requests to their backends: the part of
// httputil.ReverseProxy the gateway uses (hop-by-hop headers, 1xx and
// trailers relayed, streaming answers flushed as they come, a copy error
// aborting the client's connection), without its per-request copies of the
// request and its headers: the outbound request is built once from what
// the policies left (outRequest). The per-request data travels in the
// request context (proxyKey), where the transports find it.
type httpProxy struct {
	transport http.RoundTripper
	log       *zap.Logger
	// bare: nothing wraps the backend clients that could keep a request
	// (telemetry's spans), so a request gateway/upstream answered leaves
	// its header map to be reused (outHeaders).
	bare bool
	// upstream: bare, and a backend request that names no certificate,
	// proxy or backend entity transport of its own goes out through
	// gateway/upstream (the REST client, with no environment proxy):
	// see upstreamSends.
	upstream bool
}

// proxyKey carries the *exchange to the transports (certTransport,
// backendTransport, telemetry).
type proxyKey struct{}

func (p *httpProxy) init(s *Server) {
	ct := newCertTransport(s.rest, s.transport)
	p.transport = s.tel.WrapTransport(backendTransport{ct}) // backend entities, authentication-certificate and proxy, telemetry
	p.log = s.log.Named("proxy")
	p.bare = s.tel == nil
	_, up := s.rest.(*upstream.Transport)
	p.upstream = p.bare && up && !ct.envProxy
}

// upstreamSends reports whether x's backend request goes out through
// gateway/upstream itself, as backendTransport and certTransport route
// it: no MCP or GraphQL handling, no backend entity's transport, no
// client certificate or proxy the policies chose (those go over clones of
// net/http's Transport), and no diagnostic (which logs the headers as
// sent). upstream sends no User-Agent of its own, so outRequest need not
// set the empty one that keeps net/http's away.
func (p *httpProxy) upstreamSends(x *exchange) bool {
	return p.upstream && x.m.diag == nil && x.api.mcp == nil && x.api.gql == nil &&
		(x.be == nil || x.be.rt == nil) && x.st.BackendCertificate == nil && x.st.BackendProxy == nil
}

// outHeaders lends the backend request its header map (the copy of the
// policies' headers serveHTTPAPI makes): a map and its first group, two
// allocations per request. A map goes back only from a request
// gateway/upstream sent and answered (upstream.Answered: it read the map
// while it laid out the head, before it sent anything, and keeps no
// reference) through nothing that could keep it: no telemetry span, no
// diagnostic (which logs the headers as sent), no MCP or GraphQL
// handling of the call. Policies never see the map (they see the
// client's request), and the values it held are not touched by clear, so
// a value kept elsewhere stays as it was. net/http's transport may still
// be writing a request after its RoundTrip returns: its maps are never
// reused.
var outHeaders headerPool

type headerPool struct{ p sync.Pool }

func (hp *headerPool) get(hint int) http.Header {
	if h, _ := hp.p.Get().(http.Header); h != nil {
		return h
	}
	return make(http.Header, hint)
}

// put clears h and keeps it, unless it grew for a request with many
// fields (a map keeps its room once cleared).
func (hp *headerPool) put(h http.Header) {
	if h == nil || len(h) > maxPooledHeaderFields {
		return
	}
	clear(h)
	hp.p.Put(h)
}

const maxPooledHeaderFields = 16

// copyBuffers lends the response copy its 32 KiB buffers. Allocating one
// per request (as httputil.ReverseProxy does without a BufferPool) was three
// quarters of the bytes the REST path allocated (BenchmarkRESTRequest's
// memory profile).
var copyBuffers = bufferPool{size: 32 << 10}

// bigCopyBuffers lends 64 KiB ones to the copy of an answer of known length
// over 32 KiB: a 64 KiB answer is then read in two system calls and
// written in one (with the head), where the 32 KiB buffer took three and
// two (docs/http-server.md, "The 64 KiB answer").
var bigCopyBuffers = bufferPool{size: 64 << 10}

type bufferPool struct {
	p    sync.Pool
	size int
}

// Get returns a buffer and the pointer to give back to Put: the pool holds
// *[]byte, and putting back the pointer it gave (not a new one to a slice
// header) costs no allocation per request.
func (b *bufferPool) Get() (*[]byte, []byte) {
	if v, _ := b.p.Get().(*[]byte); v != nil {
		return v, *v
	}
	buf := make([]byte, b.size)
	return &buf, buf
}

func (b *bufferPool) Put(p *[]byte) { b.p.Put(p) }

// serveHTTPAPI runs inbound and backend, forwards, then runs outbound on the
// backend's response.
func (s *Server) serveHTTPAPI(w http.ResponseWriter, r *http.Request, api *API, m reqMatch) {
	x := s.newRESTExchange(r, api, time.Now())
	x.m = m
	x.a2aCard = api.A2A.isCard(r)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if came, ok := h1.Noted(w, frontFields); ok && came&notedConnection == 0 {
		x.noConnection = true // no list to strip (beginWith)
	}
	x.beginWith(r, scheme, r.Header) // the header map is the policies' (beginWith)
	if api.mcp == nil && api.gql == nil {
		// Nothing keeps the header map itself past this request (an
		// MCP server's streams and GraphQL's resolvers were not looked
		// at; A2A changes only the backend request's copy and the
		// answer), so gateway/h1 may fill it with the connection's next
		// request's: docs/http-server.md, "The request's header map
		// reused".
		h1.ReuseHeader(w)
	}
	st := x.st
	ctx := r.Context()
	var answer *http.Response
	defer func() { releaseAnswer(w, answer) }() // last: after close
	defer x.releaseReqBody()                    // after close: nothing reads the body then (reqpool.go)
	defer x.close(ctx)
	maxBody := api.Limits.MaxBodySize
	body := s.pending.guardBody(w, r, api.Limits.BodyTimeout, &x.rest.guard) // slowbody.go
	defer body.done()
	x.body = body
	x.in = r
	st.SetForwarder(x) // forward-request inside retry sends from the backend section (forward.go)
	// The request body as policies see it: the exchange's own, read on
	// first use; a request without one gets an empty body.
	if orig := r.Body; orig != nil && orig != http.NoBody {
		x.rest.reqSrc = limitedBody{r: orig, size: r.ContentLength, max: maxBody, what: "the request body", req: body}
		if body != nil {
			body.pool = s.proxy.bare && x.m.diag == nil && api.mcp == nil && api.gql == nil && st.Trace() == nil && s.poolableBodyAPI(api)
		}
		engine.InitLazyBody(&x.rest.reqBody, &x.rest.reqSrc)
	}
	st.Context().Request.Body = &x.rest.reqBody
	status := 0
	defer func() {
		x.rt.metrics.request(status, time.Since(x.start).Seconds())
		if x.m.diag != nil { // its "request" line (diagnostics.go)
			x.m.diag.restDone(x, w, status)
		}
	}()
	// Inbound's start is the exchange's arrival (x.start's monotonic
	// reading): no clock read of its own a few hundred instructions later.
	if x.inboundAndBackendFrom(ctx, x.start.Sub(monoclock.Epoch())) {
		if body.failed(w) { // a policy could not read the body: the client's fault
			status = http.StatusBadRequest
			return
		}
		status = st.Response().StatusCode
		x.respond(w)
		return
	}
	if st.Forward.Sent {
		// forward-request inside retry sent the request from the backend
		// section (forward.go): outbound runs on the last attempt's answer.
		st.BackendResponded()
		x.run(ctx, engine.Outbound)
		status = st.Response().StatusCode
		x.respond(w)
		if bc := st.ByteCount(); bc != nil {
			if data, err := st.Context().Request.Body.Bytes(); err == nil {
				bc.In.Add(int64(len(data)))
			}
			if data, err := st.Response().Body.Bytes(); err == nil {
				bc.Out.Add(int64(len(data)))
			}
		}
		return
	}
	if api.Plan.ForwardsNothing && api.gql == nil { // a synthetic GraphQL API answers itself (graphql_synthetic.go)
		// The backend section is written empty (<backend/>): as in APIM,
		// nothing is forwarded, and outbound runs on a 200 with an empty
		// body (what publish-to-dapr's example relies on).
		st.SetResponse(engine.NewResponse(http.StatusOK))
		x.run(ctx, engine.Outbound)
		status = st.Response().StatusCode
		x.respond(w)
		return
	}
	if api.Plan.KeepsRequestBody() { // outbound or on-error reads the body after the forward (reqkeep.go)
		if status = x.keepRequestBody(w); status != 0 {
			return
		}
	}
	// The headers are checked as they are copied for the backend request
	// (outRequest takes the copy): one walk of the map where two were made.
	reqHeaders := st.Context().Request.Headers
	outHeader := outHeaders.get(len(reqHeaders) + 4)
	xff, ua, err := copyOutboundHeaders(outHeader, reqHeaders, hostHeader)
	if err != nil {
		status = http.StatusBadRequest
		writeJSONError(w, status, "Bad request: "+err.Error()+".")
		return
	}
	x.rest.outHeader, x.rest.outHeld = outHeader, 0
	if !xff {
		x.rest.outHeld |= heldNoXFF
	}
	if ua {
		x.rest.outHeld |= heldUA
	}
	if err := x.backendURL(ctx, false); err != nil {
		x.rest.outHeader = nil // not sent: on-error's policies may change the headers
		x.backendFailed(ctx, backendPickError(err))
		status = st.Response().StatusCode
		x.respond(w)
		return
	}
	timeout := api.Limits.Timeout
	if st.Forward.Set && st.Forward.Timeout > 0 {
		timeout = st.Forward.Timeout
	}
	pctx := x.callCtx(ctx, timeout, w) // the exchange under proxyKey, 1xx relayed to w
	defer pctx.release()
	var in *countingReader
	if bc := st.ByteCount(); bc != nil && r.Body != nil && r.Body != http.NoBody {
		in = &countingReader{ReadCloser: r.Body}
		r.Body = in
	}
	var sent int64
	status, sent, answer = s.proxy.serve(w, r, pctx, x)
	if body != nil && body.buf != nil { // the pooled buffer may go back after the exchange (reqpool.go)
		body.free = x.rest.outFree && st.Trace() == nil
	}
	if x.rest.outFree { // the backend client is done with the request's header map: the next request's
		outHeaders.put(x.rest.out.Header)
		x.rest.out.Header = nil
	}
	if bc := st.ByteCount(); bc != nil {
		if b := st.Context().Request.Body; b != nil && b.Loaded() && !x.rest.reqSrc.streamed() {
			data, _ := b.Bytes() // a policy read (or replaced) it: that is what was sent
			bc.In.Add(int64(len(data)))
		} else if in != nil {
			bc.In.Add(in.n)
		}
		bc.Out.Add(sent)
	}
}

// outRequest is the request sent to the backend for the client's request
// in: the policies' method, headers (hop-by-hop ones dropped) and body, the
// backend URL, X-Forwarded-*, the backend entity's credentials, and no
// default User-Agent (as httputil.ReverseProxy).
func outRequest(ctx context.Context, in *http.Request, x *exchange) *http.Request {
	req := x.st.Context().Request
	// The exchange's room for the X-Forwarded-* values serves its first
	// backend request; another (forward-request inside retry) gets its own,
	// as the transport may still read the one before (net/http writes a
	// request from a goroutine of its own).
	var xf *[3]string
	if !x.rest.xfUsed {
		xf, x.rest.xfUsed = &x.rest.xf, true
	}
	// serveHTTPAPI copied the headers as it checked them, after the
	// policies and with nothing run between (backendURL changes no
	// header); forward-request inside retry (Forward) checked them
	// and they are copied here.
	h, held := x.rest.outHeader, x.rest.outHeld
	x.rest.outHeader, x.rest.outHeld = nil, 0
	// What the copy holds is known only when it is taken (a
	// forward-request drops the copy, not what was held).
	copied := h != nil
	noPrior, hasUA := copied && held&heldNoXFF != 0, copied && held&heldUA != 0
	checked := h != nil && in == x.in // the copy's fields were checked (copyOutboundHeaders)
	if h == nil {
		h = make(http.Header, len(req.Headers)+4)
		for k, v := range req.Headers {
			if !isHopHeader(k) && !hostHeader(k) {
				h[k] = v
			}
		}
	}
	if in == x.in { // the exchange split its address when it began
		setXForwardedFrom(h, in, x.ip, x.rest.ipPort, noPrior, xf)
	} else {
		setXForwarded(h, in, xf)
	}
	host := ""
	if hv := req.Headers.GetValueOrDefault("Host", ""); hv != "" && hv != in.Host {
		host = hv // a policy changed Host
	}
	backendCredentials(x.be, h)
	if x.a2aCard {
		a2aCardRequestHeaders(h) // constant names and values
	}
	// No User-Agent: an empty one, which keeps Go's transports from
	// sending theirs; gateway/upstream sends none of its own, so a request
	// it sends needs nothing. Whether the copy holds one is known
	// (copyOutboundHeaders); only the backend entity's credentials may
	// have added one since (a2aCardRequestHeaders does not).
	switch {
	case copied && hasUA:
	case x.s != nil && x.s.proxy.upstreamSends(x): // (an exchange without a server: tests)
	case copied && (x.be == nil || len(x.be.header) == 0):
		h["User-Agent"] = noUserAgent
	default:
		if _, ok := h["User-Agent"]; !ok {
			h["User-Agent"] = noUserAgent
		}
	}
	// What was added to the checked copy is checked here, so that the
	// backend client need not check the whole map again (httpProxy.serve):
	// X-Forwarded-For and -Host (the client's address and Host; -Proto is
	// a constant) and the backend entity's credentials. A field that fails
	// leaves the map unmarked, and the backend client refuses it as before.
	x.rest.outChecked = checked && addedFieldsValid(xf, x.be)
	out := http.Request{
		Method: req.Method, URL: x.target, Host: host, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: in.Body, ContentLength: in.ContentLength, Trailer: in.Trailer,
	}
	if b := req.Body; b == &x.rest.reqBody && in == x.in && x.rest.reqSrc.streams(b) {
		// The client's body goes to the backend as it arrives: a read
		// after this one is refused in clear words (reqkeep.go).
		out.Body = x.rest.reqSrc.forward(in.Body)
	} else if b := req.Body; b != nil && b.Loaded() {
		data, _ := b.Bytes()
		if len(data) == 0 {
			out.Body, out.ContentLength = nil, 0 // an empty body: nothing to send or send again
			return x.withCallCtx(&out, ctx)
		}
		out.ContentLength = int64(len(data))
		if !x.rest.outUsed && x.s.proxy.bare && x.api.mcp == nil && x.api.gql == nil {
			// The first backend request, through nothing that wraps the
			// backend clients: the body in the exchange's room, which
			// gateway/upstream sends again itself; certTransport gives
			// any other client its reader and GetBody (NetHTTPBody).
			x.rest.memBody.Reset(data)
			out.Body = &x.rest.memBody
		} else {
			out.Body = io.NopCloser(bytes.NewReader(data)) // net/http's transport sees through it to an in-memory reader (one write)
			out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		}
	}
	if out.ContentLength == 0 {
		out.Body = nil // no body, not one of unknown length (chunked)
	}
	return x.withCallCtx(&out, ctx)
}

// withCallCtx is out.WithContext(ctx): for the exchange's first backend
// request, in the exchange's room (WithContext is inlined, so the copy it
// makes stays on the stack and is copied into the room: one allocation
// less, and the REST exchange's size class had the room free). Another
// (forward-request inside retry) gets its own, as the transport may still
// read the one before, as the X-Forwarded-* room does.
func (x *exchange) withCallCtx(out *http.Request, ctx context.Context) *http.Request {
	if x.rest.outUsed {
		return out.WithContext(ctx)
	}
	x.rest.outUsed = true
	x.rest.out = *out.WithContext(ctx)
	return &x.rest.out
}

// inTime turns a backend answer that came after its call's context (ctx:
// callCtx's, or forward-request's) had ended into that end's error: the
// answer raced the cancellation, and is the timeout's failure (or the
// client's leaving), whatever it holds. net/http's Transport cancels by
// closing the connection and hands over an answer read meanwhile; a
// backend whose handler returns when its request ends sends an empty 200
// in that moment. Only a context a transport watched can have ended so
// (its Done built): behind h1, gateway/upstream bounds the call with its
// connection's deadline (DeadlineOnly), a read past which fails; that
// case costs one load.
func inTime(ctx context.Context, res *http.Response, err error) (*http.Response, error) {
	if err != nil {
		return res, err
	}
	if c, ok := ctx.(*sectionCtx); ok && c.Built() == nil {
		return res, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		res.Body.Close()
		return nil, cerr
	}
	return res, nil
}

// addedFieldsValid checks the fields outRequest adds to the checked copy
// of the policies' headers: the X-Forwarded-For and X-Forwarded-Host
// values setXForwardedFrom put in xf (nil: they are elsewhere, and
// nothing is marked), and the backend entity's credentials (be may be
// nil). X-Forwarded-Proto is a constant.
func addedFieldsValid(xf *[3]string, be *Backend) bool {
	if xf == nil || !wire.ValidFieldValue(xf[0]) || !wire.ValidFieldValue(xf[1]) {
		return false
	}
	if be != nil {
		for k, vs := range be.header {
			if checkOutboundField(k, vs) != nil {
				return false
			}
		}
	}
	return true
}

// hostHeader: a REST request's Host is sent as Request.Host, not a field.
func hostHeader(k string) bool { return k == "Host" }

// noUserAgent keeps Go's transports from sending their default User-Agent.
var noUserAgent = []string{""}

// serve sends in to its backend under ctx and relays the answer (after
// outbound) to w. It returns the status sent, the body bytes written and,
// when nothing but serve saw it, the backend client's answer, which the
// caller gives back (releaseAnswer) once the exchange is over.
func (p *httpProxy) serve(w http.ResponseWriter, in *http.Request, ctx context.Context, x *exchange) (int, int64, *http.Response) {
	// 1xx answers (103 Early Hints) are relayed as they come: ctx (callCtx)
	// holds the httptrace hooks that do it.
	out := outRequest(ctx, in, x)
	if out.Body != nil {
		defer out.Body.Close()
	}
	var start time.Time
	if d := x.m.diag; d != nil {
		start = time.Now()
		d.aiTraceparent(out.Header)
	}
	if x.rest.outChecked && out == &x.rest.out && x.m.diag == nil && len(out.Header) <= math.MaxUint16 {
		// Every field of out's map was checked (outRequest): the backend
		// client finds this through ctx (sectionCtx.CheckedFields) and
		// does not check them again.
		x.rest.checkedFields = uint16(len(out.Header))
	}
	x.rest.outChecked = false
	res, err := p.transport.RoundTrip(out)
	x.rest.checkedFields = 0
	res, err = inTime(ctx, res, err)
	if diag := x.m.diag; diag != nil { // diagnostics.go: the headers as sent and as answered
		diag.backendCall(out, res, err, start)
	}
	if err != nil {
		return x.proxyFailed(w, ctx, err), 0, nil
	}
	// Before anything replaces res.Body: whether upstream itself answered out.
	x.rest.outFree = p.bare && x.m.diag == nil && x.api.mcp == nil && x.api.gql == nil &&
		out == &x.rest.out && upstream.Answered(res, out)
	// The backend client noted while reading the answer whether it has a
	// hop-by-hop field; none (the usual answer): no walk of the map to
	// strip them.
	if !upstream.HopByHopFree(res) {
		stripHopByHop(res.Header, true) // the body is relayed as it comes: its Content-Length stands
	}
	if err := modifyResponse(res); err != nil {
		res.Body.Close()
		return x.proxyFailed(w, ctx, err), 0, nil
	}
	// h1 takes the backend's header map as the response's own (the fields
	// set so far go in front, as below), one map and its copy less per
	// request; net/http's ResponseWriter gets the fields copied.
	if a, ok := w.(headerAdopter); !ok || !a.AdoptHeader(res.Header) {
		dst := w.Header()
		for k, vv := range res.Header {
			if len(dst[k]) > 0 {
				dst[k] = append(dst[k], vv...)
			} else {
				dst[k] = vv
			}
		}
	}
	dst := w.Header()
	if len(res.Trailer) > 0 {
		keys := make([]string, 0, len(res.Trailer))
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		dst.Add("Trailer", strings.Join(keys, ", "))
	}
	announced := len(res.Trailer)
	// An outbound set-status's reason is the status line's, as on the
	// answers policies build (exchange.go); the backend's own reason is
	// not relayed (the standard text is sent). Only string compares here.
	flush := false
	if fr := x.st.Response(); fr != nil && fr.StatusCode == res.StatusCode && fr.StatusReason != "" &&
		fr.StatusReason != http.StatusText(res.StatusCode) {
		writeHeaderReason(w, res.StatusCode, fr.StatusReason)
		flush = flushEach(res)
	} else if stream, ok := upstream.EventStream(res); ok && x.answerUnseen() {
		// The map is the backend client's as it read it, and no policy
		// could change a value in it: its Content-Length is
		// res.ContentLength (upstream's frame set both) and whether it is
		// an event stream was seen as it was read. h1, when it adopted
		// that map whole, needs no lookup of either (about 230
		// instructions per answer).
		if h1.WriteHeaderLength(w, res.StatusCode, res.ContentLength) {
			flush = res.ContentLength == -1 || stream
		} else { // not h1's own writer, or fields set before the map was adopted
			flush = flushEach(res)
		}
	} else {
		w.WriteHeader(res.StatusCode)
		flush = flushEach(res)
	}
	if x.rest.flushHead {
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	}
	n, err := copyResponse(w, res.Body, flush, res.ContentLength)
	if err != nil {
		res.Body.Close()
		if !errors.Is(err, errClientWrite) {
			// The backend's body broke off after the head went out: the
			// client must see a truncated answer, not a complete one.
			// What came before the break is passed on first: a server's
			// write buffer may hold its last piece, which the abort would
			// drop (net/http's answer buffer is not flushed by its
			// connection's close).
			p.log.Debug("the backend's body broke off", zap.String("api", x.api.Name), zap.Error(err))
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler)
		}
		return res.StatusCode, n, nil
	}
	res.Body.Close() // before reading the trailers, which come after the body
	if len(res.Trailer) > 0 {
		if len(res.Trailer) == announced {
			for k, vv := range res.Trailer {
				dst[k] = vv
			}
		} else {
			for k, vv := range res.Trailer {
				dst[http.TrailerPrefix+k] = vv
			}
		}
		return res.StatusCode, n, nil
	}
	// No policy saw the answer (no outbound or on-error policy, nothing
	// registered to watch it, no trace), nothing kept the request
	// (outFree: no telemetry, diagnostic, MCP or GraphQL) and the A2A
	// card was not rewritten: the answer may go back to the backend client
	// once h1 wrote its head (releaseAnswer).
	if pl := x.api.Plan; x.rest.outFree && !x.a2aCard && (pl == nil || len(pl.Outbound) == 0 && len(pl.OnError) == 0) &&
		x.st.Trace() == nil && !x.st.WatchesResponse() {
		return res.StatusCode, n, res
	}
	return res.StatusCode, n, nil
}

// answerUnseen reports whether nothing but serve could see or change the
// backend's answer (its header map included) once the backend client read
// it: no outbound or on-error policy, nothing registered to watch it, no
// trace, no header a policy recorded for the response
// (applyResponseHeaders), nothing that kept the request (outFree: no
// telemetry, diagnostic, MCP or GraphQL) and no A2A card rewritten.
// modifyResponse's own changes (a replaced body, a filter) keep
// res.ContentLength and the map's Content-Length the same.
func (x *exchange) answerUnseen() bool {
	pl := x.api.Plan
	return x.rest.outFree && !x.a2aCard && (pl == nil || len(pl.Outbound) == 0 && len(pl.OnError) == 0) &&
		x.st.Trace() == nil && !x.st.WatchesResponse() && len(x.st.ResponseHeaders()) == 0
}

// releaseAnswer gives res (serve's answer to give back, or nil) to the
// backend client for a later answer to be read into (upstream.Release),
// once the exchange is over and h1 reads the header map it adopted no
// more (h1.HeaderDone: its head is laid out and it is not chunked). Run
// after the exchange closed: its end-of-request functions and its State
// are done with the answer. Another front (net/http's writes the head
// after the handler returns) keeps it.
func releaseAnswer(w http.ResponseWriter, res *http.Response) {
	if res != nil && h1.HeaderDone(w) {
		upstream.Release(res)
	}
}

// headerAdopter is gateway/h1's response: see its AdoptHeader.
type headerAdopter interface {
	AdoptHeader(http.Header) bool
}

// flushEach: answers of unknown length and event streams are flushed after
// every read, as httputil.ReverseProxy does, so that they stream.
func flushEach(res *http.Response) bool {
	if res.ContentLength == -1 {
		return true
	}
	return isEventStream(res.Header)
}

// errClientWrite marks a failed write to the client (the client went
// away), as opposed to a failed read from the backend.
var errClientWrite = errors.New("writing to the client failed")

// copyResponse copies the body to w with a pooled buffer: 32 KiB, or 64
// KiB for a body of declared length (size; -1: unknown) over 32 KiB that is
// not flushed as it comes. A body whose declared length fits the buffer
// and that is not flushed as it comes is read whole before it is written:
// one write of it (with the head, which h1 still holds) instead of one per
// piece the backend's reads return (the first of which shares the
// backend's head's read), each a segment and a wake-up of the client. h1
// holds a small answer's bytes until the handler returns anyway.
func copyResponse(w http.ResponseWriter, body io.Reader, flush bool, size int64) (int64, error) {
	pool := &copyBuffers
	if !flush && size > int64(copyBuffers.size) {
		pool = &bigCopyBuffers
	}
	bp, buf := pool.Get()
	defer pool.Put(bp)
	var fl http.Flusher
	if flush {
		fl, _ = w.(http.Flusher)
	}
	whole := !flush && size > 0 && size <= int64(len(buf))
	var n int64
	for {
		var nr int
		var rerr error
		if whole {
			whole = false
			nr, rerr = readFill(body, buf[:size])
		} else {
			nr, rerr = body.Read(buf)
		}
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, errClientWrite
			}
			if fl != nil && rerr != io.EOF { // at the end, the answer's end flushes (with a chunked one's last chunk)
				fl.Flush()
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// readFill reads r until p is full or a read fails, and returns that
// read's error as it is (io.EOF included, unlike io.ReadFull).
func readFill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func modifyResponse(resp *http.Response) error {
	x := resp.Request.Context().Value(proxyKey{}).(*exchange)
	st, api := x.st, x.api
	if x.be != nil { // only a backend entity counts outcomes (backendOutcome): no Retry-After lookup without one
		x.s.backendOutcome(resp.Request.Context(), x.be, resp.StatusCode, headerGet(resp.Header, "Retry-After"))
	}
	if st.Forward.FailOnErrorStatusCode && resp.StatusCode >= 400 {
		resp.Body.Close()
		return &backendStatusError{code: resp.StatusCode}
	}
	if x.a2aCard {
		if err := x.a2aCardResponse(resp); err != nil { // the rewritten card (a2a.go)
			return err
		}
	}
	maxBody := api.Limits.MaxBodySize
	orig := resp.Body
	// The backend's answer as outbound sees it, its body read on first
	// use: the exchange's own (a second answer, which serve never gives,
	// would get new ones: policies may have kept the first).
	er, eb, src := &x.rest.backendResp, &x.rest.respBody, &x.rest.respSrc
	if er.Body != nil {
		er, eb, src = new(engine.Response), new(engine.Body), new(limitedBody)
	}
	*src = limitedBody{r: orig, size: -1, max: maxBody, what: "the backend response"}
	engine.InitLazyBody(eb, src)
	*er = engine.Response{
		StatusCode: resp.StatusCode, StatusReason: http.StatusText(resp.StatusCode),
		Headers: engine.Headers(resp.Header), Body: eb,
	}
	st.SetResponse(er)
	st.BackendResponded() // llm-token-limit's tokens-consumed-* before outbound
	x.run(resp.Request.Context(), engine.Outbound)
	final := st.Response()
	if final.StatusCode != resp.StatusCode || final.StatusReason != http.StatusText(resp.StatusCode) {
		resp.StatusCode = final.StatusCode // a policy changed it (only the code is sent on: WriteHeader)
		resp.Status = strconv.Itoa(final.StatusCode) + " " + final.StatusReason
	}
	resp.Header = http.Header(final.Headers)
	applyResponseHeaders(resp.Header, st)
	if final.Body != er.Body || er.Body.Loaded() {
		data, err := final.Body.Bytes()
		switch {
		case err != nil && final.Body == er.Body && errors.Is(err, errBodyTooLarge):
			// A policy tried to read an answer over max-body-size and went
			// on (cache-store does not store it): the client still gets
			// the answer whole, what was read and then the rest, streamed.
			resp.Body = prefixedBody{io.MultiReader(bytes.NewReader(src.read), orig), orig}
		case err != nil && final.Body == er.Body:
			// The backend's body broke off while a policy read it.
			orig.Close()
			return err
		default:
			if final.Body != er.Body || err == nil {
				orig.Close()
			}
			if err != nil {
				data = nil // a policy's body that failed to load: an empty one
			}
			resp.Body = io.NopCloser(bytes.NewReader(data))
			resp.ContentLength = int64(len(data))
			resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
			resp.Header.Del("Transfer-Encoding")
			resp.TransferEncoding = nil
		}
	}
	if b, ok := st.FilterResponse(engine.Headers(resp.Header), resp.Body); ok {
		// llm-content-safety's streamed checks: the body may end early.
		resp.Body, resp.ContentLength = b, -1
		resp.Header.Del("Content-Length")
		// Its first bytes wait for the first window's check: the status
		// and headers go now, so the client sees the stream begin.
		x.rest.flushHead = isEventStream(resp.Header)
	}
	resp.Body = st.WrapResponseBody(resp.Body) // policies that count what is sent (llm-token-limit)
	return nil
}

// limitedBody is a body policies read through readLimited (the source of
// an engine.Body): the request's (req notes one over max-body-size) or the
// backend's answer's.
type limitedBody struct {
	r         io.Reader
	size, max int64
	what      string
	req       *requestBody
	// read is what a read over max consumed of r before it stopped: the
	// answer is relayed whole all the same (modifyResponse).
	read []byte
}

func (l *limitedBody) ReadBody() ([]byte, error) {
	if l.req != nil && l.req.streamed && !l.req.kept {
		return nil, errRequestBodyStreamed // reqkeep.go
	}
	if l.req != nil && l.req.pool && l.size > 0 && l.size <= maxPooledBody && l.size <= l.max {
		return l.readPooled()
	}
	data, err := readLimited(l.r, l.size, l.max, l.what)
	if errors.Is(err, errBodyTooLarge) {
		l.read = data
		if l.req != nil && !l.req.kept {
			l.req.tooLarge.Store(true)
		}
		return nil, err
	}
	return data, err
}

// prefixedBody is a body that starts with bytes already read from it.
type prefixedBody struct {
	io.Reader
	io.Closer
}

// readLimited reads r for a policy (a request or response body): at most
// max bytes, or an error naming what was read (with, for a body over max,
// the bytes it consumed before it stopped). size is the body's declared
// length (Content-Length; -1 when unknown): a known one is read into one
// buffer of that size instead of a growing one (a 16 KiB body took five
// allocations and copies), and one over max fails before anything is read.
// net/http's body reader ends a body at its Content-Length, so a known
// size is exact.
func readLimited(r io.Reader, size, max int64, what string) ([]byte, error) {
	if size > max {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", what, max, errBodyTooLarge)
	}
	if size >= 0 {
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		return data, nil
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > max {
		return data, fmt.Errorf("%s is larger than %d bytes: %w", what, max, errBodyTooLarge)
	}
	return data, nil
}

// errBodyTooLarge is engine.ErrBodyTooLarge: validate-content tells a body
// over max-body-size (APIM's SizeLimit error) from a failed read by it.
var errBodyTooLarge = engine.ErrBodyTooLarge

type backendStatusError struct{ code int }

func (e *backendStatusError) Error() string {
	return "the backend answered " + strconv.Itoa(e.code) + " (fail-on-error-status-code)"
}

// proxyFailed answers for a failed backend call through on-error, and
// returns the status sent.
func (x *exchange) proxyFailed(w http.ResponseWriter, ctx context.Context, err error) int {
	rec := &statusRecorder{ResponseWriter: w}
	if x.body.failed(rec) { // the client's body, not the backend, failed
		return rec.status
	}
	x.backendFailed(ctx, x.backendCallError(ctx, err))
	x.respond(rec)
	return rec.status
}

// backendCallError is the policy error for an HTTP backend call that got
// no usable answer, counted for the backend entity's breaker.
func (x *exchange) backendCallError(ctx context.Context, err error) *engine.PolicyError {
	status, reason := http.StatusBadGateway, engine.ReasonBackendConnection
	msg := "the backend " + x.target.Host + " failed: " + dialErrText(err)
	var bse *backendStatusError
	if ce := (*a2aCardError)(nil); errors.As(err, &ce) {
		return ce.policyError(err) // a2a.go
	}
	if !errors.As(err, &bse) && !errors.Is(err, context.Canceled) {
		x.s.backendOutcome(ctx, x.be, 0, "") // no answer (an error status was counted with its status)
	}
	switch {
	case errors.As(err, &bse):
		reason = "BackendErrorStatusCode"
		msg = bse.Error()
	case errors.Is(err, context.DeadlineExceeded):
		status, reason = http.StatusGatewayTimeout, engine.ReasonTimeout
		msg = "the backend " + x.target.Host + " did not answer in time"
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		status, reason = 499, engine.ReasonCanceled
	}
	return engine.NewPolicyError(reason, status, msg, err)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	n      int64 // body bytes written
}

// countingReader counts request body bytes for bandwidth quotas.
type countingReader struct {
	io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// WriteHeaderReason records the status and passes the reason phrase on.
func (r *statusRecorder) WriteHeaderReason(code int, reason string) {
	if r.status == 0 {
		r.status = code
	}
	writeHeaderReason(r.ResponseWriter, code, reason)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// Flush keeps streaming responses (SSE) streaming.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// backendTransport sends a request with its backend entity's own transport
// when it has one (TLS settings), else with the shared one.
type backendTransport struct{ base http.RoundTripper }

func (t backendTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	x, _ := r.Context().Value(proxyKey{}).(*exchange)
	if x != nil && (x.api.mcp != nil || x.api.gql != nil) {
		x.rest.checkedFields = 0 // these may change the request's fields: checked again
	}
	if x != nil && x.api.mcp != nil {
		return x.s.mcpRoundTrip(func(r *http.Request) (*http.Response, error) { return t.send(r, x) }, r, x) // MCP servers: mcp_local.go
	}
	if x != nil && x.api.gql != nil {
		if x.api.gql.passThrough { // pass-through GraphQL APIs with resolvers: graphql_mixed.go
			return x.s.graphqlMixedRoundTrip(r, x, func(r *http.Request) (*http.Response, error) { return t.send(r, x) })
		}
		return x.s.graphqlRoundTrip(r, x) // synthetic GraphQL APIs: graphql_synthetic.go
	}
	return t.send(r, x)
}

// send makes the call with the backend entity's transport when the
// exchange (nil: none) has one.
func (t backendTransport) send(r *http.Request, x *exchange) (*http.Response, error) {
	if x != nil && x.be != nil && x.be.rt != nil {
		return x.be.rt.RoundTrip(r) // its own TLS settings, with the request's certificate and proxy
	}
	return t.base.RoundTrip(r)
}

// backendPickError is how a backend that cannot be used fails: 503 when
// its circuit breaker is open (as APIM), 502 otherwise.
// errNoServiceURL: the API has no serviceUrl and no policy set a backend.
var errNoServiceURL = errors.New("the API has no backend URL: it has no serviceUrl, and no policy set one (set-backend-service)")

func backendPickError(err error) *engine.PolicyError {
	if errors.Is(err, errBackendUnavailable) {
		return engine.NewPolicyError("BackendUnavailable", http.StatusServiceUnavailable, err.Error(), err)
	}
	if errors.Is(err, errNoServiceURL) {
		return engine.NewPolicyError("BackendServiceUrlMissing", http.StatusInternalServerError, err.Error(), err)
	}
	if ce := (*backendConfigError)(nil); errors.As(err, &ce) {
		return engine.NewPolicyError(ce.reason, http.StatusInternalServerError, err.Error(), err)
	}
	return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway, err.Error(), err)
}
