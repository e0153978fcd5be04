package wsproxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/gateway/internal/sessctx"
)

// ---------------------------------------------------------------------------
// Harness: client --ws--> proxy (acceptWebSocket + Dialer.dial +
// Relay, as the gateway does) --ws--> backend. Clients and backends are
// coder/websocket: the reference implementation the relay must interoperate
// with.

// closeSeen is how one end saw its connection end.
type closeSeen struct {
	code   websocket.StatusCode // -1 if no close frame (e.g. TCP drop)
	reason string
	err    error
	sent   int64 // mode=flood: bytes written
}

func (c closeSeen) String() string { return fmt.Sprintf("%d %q (%v)", c.code, c.reason, c.err) }

func seenFromErr(err error) closeSeen {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return closeSeen{code: ce.Code, reason: ce.Reason, err: err}
	}
	return closeSeen{code: -1, err: err}
}

type relayHarness struct {
	t        testing.TB
	relayer  Relayer
	lim      Limits
	obs      Observer
	shutdown func(cause error) // ends every session's ctx (see useSessCtx)
	backend  *httptest.Server
	proxy    *httptest.Server
	release  chan struct{}          // closed at cleanup: hung backends give up
	noRelay  bool                   // the proxy holds both legs but does not call Relay
	initial  []initialMsg           // sent by the proxy before Relay
	ctxOf    func() context.Context // the next session's ctx: the gateway's shutdown context, or its own
	stats    chan Stats

	backendPings atomic.Int64
	clientPings  atomic.Int64

	closeOnce sync.Once
	mu        sync.Mutex
	results   map[string]chan closeSeen // backend's view, by connection id
	clients   []*websocket.Conn
	held      []*websocket.Conn // backend connections of mode=held
	nextID    int
}

func newRelayHarness(t testing.TB, lim Limits, obs Observer) *relayHarness {
	h := &relayHarness{
		t:       t,
		relayer: relayerFor(t),
		lim:     lim,
		obs:     obs,
		release: make(chan struct{}),
		stats:   make(chan Stats, 4096),
		results: map[string]chan closeSeen{},
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	h.ctxOf, h.shutdown = func() context.Context { return ctx }, cancel
	h.backend = httptest.NewServer(http.HandlerFunc(h.serveBackend))
	h.proxy = httptest.NewServer(http.HandlerFunc(h.serveProxy))
	t.Cleanup(h.close)
	return h
}

// useSessCtx gives each session a context of its own, a *sessctx.Ctx as the
// gateway gives them (watched by the event loop without context.AfterFunc),
// which shutdown cancels one by one as the gateway's session set does.
func (h *relayHarness) useSessCtx() {
	var mu sync.Mutex
	var all []*sessctx.Ctx
	var over error
	h.ctxOf = func() context.Context {
		c := new(sessctx.Ctx)
		mu.Lock()
		defer mu.Unlock()
		if over != nil {
			c.Cancel(over)
		}
		all = append(all, c)
		return c
	}
	h.shutdown = func(cause error) {
		if cause == nil {
			cause = context.Canceled
		}
		mu.Lock()
		if over == nil {
			over = cause
		}
		list := all
		mu.Unlock()
		for _, c := range list {
			c.Cancel(cause)
		}
	}
}

// forEachCtxKind runs f with the harness's shared context and with a
// sessctx.Ctx per session.
func forEachCtxKind(t *testing.T, f func(t *testing.T, sess bool)) {
	for _, sess := range []bool{false, true} {
		name := "context"
		if sess {
			name = "sessctx"
		}
		t.Run(name, func(t *testing.T) { f(t, sess) })
	}
}

func (h *relayHarness) close() { h.closeOnce.Do(h.doClose) }

func (h *relayHarness) doClose() {
	close(h.release)
	h.mu.Lock()
	clients := h.clients
	h.clients = nil
	h.mu.Unlock()
	for _, c := range clients {
		_ = c.CloseNow()
	}
	h.shutdown(nil)
	checkNoRelayLeaks(h.t)
	h.proxy.Close()
	h.backend.Close()
}

func (h *relayHarness) result(id string) chan closeSeen {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch, ok := h.results[id]
	if !ok {
		ch = make(chan closeSeen, 1)
		h.results[id] = ch
	}
	return ch
}

// serveBackend is the test backend. mode=echo echoes every message and obeys
// text commands: "cmd:close:<code>:<reason>", "cmd:closeempty", "cmd:drop",
// "cmd:send:<n>" (sends n bytes, binary). mode=hang never reads.
func (h *relayHarness) serveBackend(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OnPingReceived: func(context.Context, []byte) bool { h.backendPings.Add(1); return true },
	})
	if err != nil {
		return
	}
	c.SetReadLimit(-1)
	q := r.URL.Query()
	if q.Get("mode") == "hang" {
		<-h.release
		_ = c.CloseNow()
		return
	}
	if q.Get("mode") == "fastecho" {
		fastEcho(c)
		return
	}
	if q.Get("mode") == "flood" {
		res := flood(c)
		if id := q.Get("id"); id != "" {
			h.result(id) <- res
		}
		return
	}
	if q.Get("mode") == "held" { // closed all at once by restartBackend
		h.mu.Lock()
		h.held = append(h.held, c)
		h.mu.Unlock()
	}
	res := backendEcho(c)
	if id := q.Get("id"); id != "" {
		h.result(id) <- res
	}
}

func backendEcho(c *websocket.Conn) closeSeen {
	ctx := context.Background()
	defer c.CloseNow()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return seenFromErr(err)
		}
		if typ == websocket.MessageText && bytes.HasPrefix(msg, []byte("cmd:")) {
			args := strings.SplitN(string(msg), ":", 4)
			switch args[1] {
			case "close":
				code, _ := strconv.Atoi(args[2])
				err := c.Close(websocket.StatusCode(code), args[3])
				return closeSeen{code: -2, err: err}
			case "closeempty":
				err := c.Close(websocket.StatusNoStatusRcvd, "")
				return closeSeen{code: -2, err: err}
			case "drop":
				return closeSeen{code: -2, err: c.CloseNow()}
			case "send":
				n, _ := strconv.Atoi(args[2])
				if err := c.Write(ctx, websocket.MessageBinary, make([]byte, n)); err != nil {
					return seenFromErr(err)
				}
				continue
			}
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return seenFromErr(err)
		}
	}
}

// fastEcho echoes messages without allocating (for benchmarks).
func fastEcho(c *websocket.Conn) {
	defer c.CloseNow()
	ctx := context.Background()
	buf := make([]byte, 1<<20)
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return
		}
		n, err := readChunk(r, buf)
		if err != io.EOF {
			return
		}
		if err := c.Write(ctx, typ, buf[:n]); err != nil {
			return
		}
	}
}

func (h *relayHarness) serveProxy(w http.ResponseWriter, r *http.Request) {
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, _ := url.Parse("ws" + strings.TrimPrefix(h.backend.URL, "http") + "/?" + r.URL.RawQuery)
	backend, resp, err := NewDirectDialer(nil).Dial(dctx, u, nil, OfferedSubprotocols(r))
	if err != nil {
		status := http.StatusBadGateway
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			status = resp.StatusCode
		}
		http.Error(w, err.Error(), status)
		return
	}
	client, err := acceptWebSocket(w, r, backend.Subprotocol(), nil)
	if err != nil {
		_ = backend.Close()
		return
	}
	for _, m := range h.initial {
		conn := backend
		if m.toClient {
			conn = client
		}
		if err := conn.SendMessage(m.binary, []byte(m.data)); err != nil {
			h.t.Error(err)
		}
	}
	if h.noRelay { // memory baseline: hold both legs without relaying
		go func() {
			<-h.release
			_ = client.Close()
			_ = backend.Close()
		}()
		return
	}
	// As the gateway: the session runs in a fresh goroutine and the handler
	// returns, so net/http's connection state is released.
	ctx := h.ctxOf()
	h.relayer.Start(ctx, client, backend, h.lim, h.obs, DoneFunc(func(st Stats) {
		select {
		case h.stats <- st:
		default:
		}
	}))
}

// dial opens a client connection through the proxy; mode selects the backend
// behaviour. It returns the connection and the id of its backend result.
func (h *relayHarness) dial(mode string) (*websocket.Conn, string) {
	h.t.Helper()
	return h.dialServer(h.proxy, mode)
}

// dialServer is dial to the proxy or, for baselines, directly to the backend.
func (h *relayHarness) dialServer(srv *httptest.Server, mode string) (*websocket.Conn, string) {
	h.t.Helper()
	h.mu.Lock()
	h.nextID++
	id := strconv.Itoa(h.nextID)
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/?mode=" + mode + "&id=" + id
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { h.clientPings.Add(1); return true },
	})
	if err != nil {
		h.t.Fatalf("dial through proxy: %v", err)
	}
	c.SetReadLimit(-1)
	h.mu.Lock()
	h.clients = append(h.clients, c)
	h.mu.Unlock()
	return c, id
}

func (h *relayHarness) backendSaw(id string) closeSeen {
	h.t.Helper()
	select {
	case res := <-h.result(id):
		return res
	case <-time.After(20 * time.Second):
		h.t.Fatalf("backend of connection %s never finished", id)
		return closeSeen{}
	}
}

func (h *relayHarness) nextStats() Stats {
	h.t.Helper()
	select {
	case st := <-h.stats:
		return st
	case <-time.After(20 * time.Second):
		h.t.Fatal("Relay never returned")
		return Stats{}
	}
}

// readUntilClose reads and discards messages until the connection ends.
func readUntilClose(t testing.TB, c *websocket.Conn) closeSeen {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("connection did not close: %v", err)
			}
			return seenFromErr(err)
		}
	}
}

func wantSeen(t testing.TB, who string, got closeSeen, code websocket.StatusCode, reason string) {
	t.Helper()
	if got.code != code || got.reason != reason {
		t.Errorf("%s saw close %v, want %d %q", who, got, code, reason)
	}
}

func wantStats(t testing.TB, st Stats, by string, code websocket.StatusCode, reason string) {
	t.Helper()
	if st.ClosedBy != by || st.CloseCode != code || st.CloseReason != reason {
		t.Errorf("stats: closed by %q with %d %q (err %v), want %q %d %q", st.ClosedBy, st.CloseCode, st.CloseReason, st.Err, by, code, reason)
	}
}

// checkNoRelayLeaks waits until no goroutine runs relay or harness code.
func checkNoRelayLeaks(t testing.TB) {
	t.Helper()
	markers := []string{"wsproxy.Relay(", "wsproxy.(*relaySession)", "wsproxy.(*relayLeg)", "wsproxy.(*relayHarness)", "wsproxy.backendEcho(", "wsproxy.fastEcho("}
	buf := make([]byte, 1<<20)
	var leaked []string
	for wait, deadline := time.Millisecond, time.Now().Add(20*time.Second); time.Now().Before(deadline); wait = min(2*wait, 500*time.Millisecond) {
		time.Sleep(wait)
		n := runtime.Stack(buf, true)
		for n == len(buf) {
			buf = make([]byte, 2*len(buf))
			n = runtime.Stack(buf, true)
		}
		leaked = leaked[:0]
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			for _, m := range markers {
				if strings.Contains(g, m) && !strings.Contains(g, "checkNoRelayLeaks") {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 && loopSessions.Load() == 0 {
			return
		}
	}
	if n := loopSessions.Load(); n != 0 {
		t.Errorf("%d sessions left on the event loops", n)
	}
	t.Errorf("%d leaked relay goroutines, first:\n%s", len(leaked), strings.Join(leaked[:min(len(leaked), 5)], "\n\n"))
}

// ---------------------------------------------------------------------------

type countingObserver struct {
	msgs  [2]atomic.Int64
	bytes [2]atomic.Int64
}

func (o *countingObserver) OnMessages(dir Direction, msgs, bytes int64) {
	o.msgs[dir].Add(msgs)
	o.bytes[dir].Add(bytes)
}

func TestRelayEcho(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		obs := &countingObserver{}
		h := newRelayHarness(t, Limits{}, obs)
		c, id := h.dial("echo")
		ctx := context.Background()

		type msg struct {
			typ  websocket.MessageType
			data []byte
		}
		var msgs []msg
		for i, size := range []int{0, 1, 125, 126, 4096, 65535, 65536, relayBufSize - 1, relayBufSize, relayBufSize + 1, 200_000, 3 * relayBufSize} {
			typ := websocket.MessageText
			if i%2 == 1 {
				typ = websocket.MessageBinary
			}
			data := make([]byte, size)
			for j := range data {
				data[j] = byte('a' + (i+j)%26)
			}
			msgs = append(msgs, msg{typ, data})
		}
		var total int64
		for _, m := range msgs {
			total += int64(len(m.data))
		}

		check := func(i int, typ websocket.MessageType, data []byte) {
			t.Helper()
			if typ != msgs[i].typ || !bytes.Equal(data, msgs[i].data) {
				t.Fatalf("message %d: got %v len %d, want %v len %d", i, typ, len(data), msgs[i].typ, len(msgs[i].data))
			}
		}

		// One at a time.
		for i, m := range msgs {
			if err := c.Write(ctx, m.typ, m.data); err != nil {
				t.Fatal(err)
			}
			typ, data, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			check(i, typ, data)
		}
		// Back to back (boundaries must be kept), including a streamed
		// fragmented message from the client.
		werr := make(chan error, 1)
		go func() {
			for _, m := range msgs {
				w, err := c.Writer(ctx, m.typ)
				if err != nil {
					werr <- err
					return
				}
				for p := m.data; len(p) > 0; p = p[min(len(p), 1000):] { // 1000-byte fragments
					if _, err := w.Write(p[:min(len(p), 1000)]); err != nil {
						werr <- err
						return
					}
				}
				if err := w.Close(); err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		for i := range msgs {
			typ, data, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			check(i, typ, data)
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}

		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		wantSeen(t, "backend", h.backendSaw(id), websocket.StatusNormalClosure, "")
		st := h.nextStats()
		wantStats(t, st, ClosedByClient, websocket.StatusNormalClosure, "")
		n := int64(2 * len(msgs))
		if st.ClientToBackendMsgs != n || st.BackendToClientMsgs != n || st.ClientToBackendBytes != 2*total || st.BackendToClientBytes != 2*total {
			t.Errorf("stats %+v, want %d msgs and %d bytes each way", st, n, 2*total)
		}
		for d := range 2 {
			if obs.msgs[d].Load() != n || obs.bytes[d].Load() != 2*total {
				t.Errorf("observer %v: %d msgs %d bytes, want %d %d", Direction(d), obs.msgs[d].Load(), obs.bytes[d].Load(), n, 2*total)
			}
		}
	})
}

func TestRelaySendMessageBeforeRelay(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		// A policy injecting a message right after connecting: each end of a
		// proxied pair gets it before anything else (masked toward the backend,
		// which coder/websocket checks).
		h := newRelayHarness(t, Limits{}, nil)
		h.initial = []initialMsg{
			{data: `{"protocol":"json","version":1}`},
			{toClient: true, binary: true, data: "hello"},
		}
		c, id := h.dial("echo")
		ctx := context.Background()
		// The backend echoes what it got first.
		for _, want := range []struct {
			typ  websocket.MessageType
			data string
		}{{websocket.MessageBinary, "hello"}, {websocket.MessageText, `{"protocol":"json","version":1}`}} {
			typ, msg, err := c.Read(ctx)
			if err != nil || typ != want.typ || string(msg) != want.data {
				t.Fatalf("client got %v %q %v, want %v %q", typ, msg, err, want.typ, want.data)
			}
		}
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
		wantSeen(t, "backend", h.backendSaw(id), websocket.StatusNormalClosure, "")
		st := h.nextStats()
		if st.ClientToBackendMsgs != 0 || st.BackendToClientMsgs != 1 {
			t.Errorf("stats %+v: injected messages must not count, the echo must", st)
		}
	})
}

type initialMsg struct {
	toClient, binary bool
	data             string
}

func TestRelayClosePropagation(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		const noFrame = -1 // the close handshake was not completed / no frame
		tests := []struct {
			name string
			// act ends the session from one side; it returns what the client saw.
			act         func(t *testing.T, c *websocket.Conn) closeSeen
			wantClient  closeSeen // checked if act returns a result
			wantBackend *closeSeen
			statsBy     string
			statsCode   websocket.StatusCode
			statsReason string
		}{
			{
				name:        "client closes 4001",
				act:         func(t *testing.T, c *websocket.Conn) closeSeen { return seenFromErr(c.Close(4001, "bye")) },
				wantClient:  closeSeen{code: noFrame}, // nil error: clean handshake
				wantBackend: &closeSeen{code: 4001, reason: "bye"},
				statsBy:     ClosedByClient, statsCode: 4001, statsReason: "bye",
			},
			{
				name: "client closes 1000",
				act: func(t *testing.T, c *websocket.Conn) closeSeen {
					return seenFromErr(c.Close(websocket.StatusNormalClosure, ""))
				},
				wantClient:  closeSeen{code: noFrame},
				wantBackend: &closeSeen{code: websocket.StatusNormalClosure},
				statsBy:     ClosedByClient, statsCode: websocket.StatusNormalClosure,
			},
			{
				name: "client closes without status",
				act: func(t *testing.T, c *websocket.Conn) closeSeen {
					return seenFromErr(c.Close(websocket.StatusNoStatusRcvd, ""))
				},
				wantClient:  closeSeen{code: noFrame},
				wantBackend: &closeSeen{code: websocket.StatusNoStatusRcvd},
				statsBy:     ClosedByClient, statsCode: websocket.StatusNoStatusRcvd,
			},
			{
				name:        "client drops",
				act:         func(t *testing.T, c *websocket.Conn) closeSeen { return seenFromErr(c.CloseNow()) },
				wantClient:  closeSeen{code: noFrame},
				wantBackend: &closeSeen{code: websocket.StatusGoingAway, reason: "client disconnected"},
				statsBy:     ClosedByClient, statsCode: websocket.StatusAbnormalClosure, statsReason: "client disconnected",
			},
			{
				name: "backend closes 4002",
				act: func(t *testing.T, c *websocket.Conn) closeSeen {
					c.Write(context.Background(), websocket.MessageText, []byte("cmd:close:4002:server bye"))
					return readUntilClose(t, c)
				},
				wantClient: closeSeen{code: 4002, reason: "server bye"},
				statsBy:    ClosedByBackend, statsCode: 4002, statsReason: "server bye",
			},
			{
				name: "backend closes 1011",
				act: func(t *testing.T, c *websocket.Conn) closeSeen {
					c.Write(context.Background(), websocket.MessageText, []byte("cmd:close:1011:oops"))
					return readUntilClose(t, c)
				},
				wantClient: closeSeen{code: websocket.StatusInternalError, reason: "oops"},
				statsBy:    ClosedByBackend, statsCode: websocket.StatusInternalError, statsReason: "oops",
			},
			{
				name: "backend closes without status",
				act: func(t *testing.T, c *websocket.Conn) closeSeen {
					c.Write(context.Background(), websocket.MessageText, []byte("cmd:closeempty"))
					return readUntilClose(t, c)
				},
				wantClient: closeSeen{code: websocket.StatusNoStatusRcvd},
				statsBy:    ClosedByBackend, statsCode: websocket.StatusNoStatusRcvd,
			},
			{
				name: "backend drops",
				act: func(t *testing.T, c *websocket.Conn) closeSeen {
					c.Write(context.Background(), websocket.MessageText, []byte("cmd:drop"))
					return readUntilClose(t, c)
				},
				wantClient: closeSeen{code: websocket.StatusBadGateway, reason: "backend disconnected"},
				statsBy:    ClosedByBackend, statsCode: websocket.StatusAbnormalClosure, statsReason: "backend disconnected",
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newRelayHarness(t, Limits{}, nil)
				c, id := h.dial("echo")
				// Make sure the relay runs before closing.
				if err := c.Write(context.Background(), websocket.MessageText, []byte("x")); err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.Read(context.Background()); err != nil {
					t.Fatal(err)
				}
				got := tt.act(t, c)
				if tt.wantClient.code == noFrame {
					if got.err != nil {
						t.Errorf("client close: %v", got.err)
					}
				} else {
					wantSeen(t, "client", got, tt.wantClient.code, tt.wantClient.reason)
				}
				if tt.wantBackend != nil {
					wantSeen(t, "backend", h.backendSaw(id), tt.wantBackend.code, tt.wantBackend.reason)
				}
				wantStats(t, h.nextStats(), tt.statsBy, tt.statsCode, tt.statsReason)
			})
		}
	})
}

func TestRelayMessageSizeLimit(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		// 1000 exercises the single-frame path, 100000 the streaming path.
		for _, limit := range []int{1000, 100_000} {
			t.Run(strconv.Itoa(limit), func(t *testing.T) {
				h := newRelayHarness(t, Limits{MaxMessageSize: int64(limit)}, nil)
				ctx := context.Background()

				t.Run("client at limit passes, one over gets 1009", func(t *testing.T) {
					c, id := h.dial("echo")
					data := bytes.Repeat([]byte{7}, limit)
					if err := c.Write(ctx, websocket.MessageBinary, data); err != nil {
						t.Fatal(err)
					}
					if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, data) {
						t.Fatalf("message at the limit: len %d, %v", len(got), err)
					}
					if err := c.Write(ctx, websocket.MessageBinary, append(data, 7)); err != nil {
						t.Fatal(err)
					}
					got := readUntilClose(t, c)
					if got.code != websocket.StatusMessageTooBig {
						t.Errorf("client saw %v, want 1009", got)
					}
					wantSeen(t, "backend", h.backendSaw(id), websocket.StatusGoingAway, "client message too big")
					wantStats(t, h.nextStats(), ClosedByLimit, websocket.StatusMessageTooBig, "client message too big")
				})
				t.Run("backend at limit passes, one over gets 1009", func(t *testing.T) {
					c, id := h.dial("echo")
					if err := c.Write(ctx, websocket.MessageText, fmt.Appendf(nil, "cmd:send:%d", limit)); err != nil {
						t.Fatal(err)
					}
					if _, got, err := c.Read(ctx); err != nil || len(got) != limit {
						t.Fatalf("message at the limit: len %d, %v", len(got), err)
					}
					if err := c.Write(ctx, websocket.MessageText, fmt.Appendf(nil, "cmd:send:%d", limit+1)); err != nil {
						t.Fatal(err)
					}
					wantSeen(t, "client", readUntilClose(t, c), websocket.StatusBadGateway, "backend message too big")
					if got := h.backendSaw(id); got.code != websocket.StatusMessageTooBig {
						t.Errorf("backend saw %v, want 1009", got)
					}
					wantStats(t, h.nextStats(), ClosedByLimit, websocket.StatusMessageTooBig, "backend message too big")
				})
			})
		}
	})
}

func TestRelayIdleAndPing(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		ctx := context.Background()
		t.Run("idle closes both even though pings are answered", func(t *testing.T) {
			const idle = 600 * time.Millisecond
			h := newRelayHarness(t, Limits{IdleTimeout: idle, PingInterval: 100 * time.Millisecond, PingTimeout: 5 * time.Second}, nil)
			start := time.Now()
			c, id := h.dial("echo")
			wantSeen(t, "client", readUntilClose(t, c), websocket.StatusGoingAway, "idle timeout")
			if el := time.Since(start); el < idle {
				t.Errorf("closed after %v, before the idle timeout %v", el, idle)
			}
			wantSeen(t, "backend", h.backendSaw(id), websocket.StatusGoingAway, "idle timeout")
			wantStats(t, h.nextStats(), ClosedByIdle, websocket.StatusGoingAway, "idle timeout")
			if h.clientPings.Load() == 0 || h.backendPings.Load() == 0 {
				t.Errorf("pings seen: client %d, backend %d; want both > 0", h.clientPings.Load(), h.backendPings.Load())
			}
		})
		t.Run("data keeps the connection alive", func(t *testing.T) {
			const idle = 600 * time.Millisecond
			h := newRelayHarness(t, Limits{IdleTimeout: idle, PingInterval: -1}, nil)
			c, id := h.dial("echo")
			for end := time.Now().Add(4 * idle); time.Now().Before(end); time.Sleep(idle / 6) {
				if err := c.Write(ctx, websocket.MessageText, []byte("tick")); err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					t.Fatalf("closed while active: %v", err)
				}
			}
			wantSeen(t, "client", readUntilClose(t, c), websocket.StatusGoingAway, "idle timeout")
			wantSeen(t, "backend", h.backendSaw(id), websocket.StatusGoingAway, "idle timeout")
			st := h.nextStats()
			wantStats(t, st, ClosedByIdle, websocket.StatusGoingAway, "idle timeout")
			if st.ClientToBackendMsgs < 4 {
				t.Errorf("only %d messages", st.ClientToBackendMsgs)
			}
		})
		t.Run("answered pings keep an idle connection open when idle timeout is off", func(t *testing.T) {
			h := newRelayHarness(t, Limits{IdleTimeout: -1, PingInterval: 20 * time.Millisecond, PingTimeout: 5 * time.Second}, nil)
			c, id := h.dial("echo")
			// The client must read for its pongs to be sent.
			readDone := make(chan closeSeen, 1)
			go func() { readDone <- readUntilClose(t, c) }()
			for h.clientPings.Load() < 10 || h.backendPings.Load() < 10 {
				select {
				case got := <-readDone:
					t.Fatalf("closed: %v", got)
				case <-time.After(10 * time.Millisecond):
				}
			}
			if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
				t.Fatal(err)
			}
			<-readDone
			wantSeen(t, "backend", h.backendSaw(id), websocket.StatusNormalClosure, "done")
			wantStats(t, h.nextStats(), ClosedByClient, websocket.StatusNormalClosure, "done")
		})
		t.Run("dead backend", func(t *testing.T) {
			h := newRelayHarness(t, Limits{PingInterval: 100 * time.Millisecond, PingTimeout: 300 * time.Millisecond}, nil)
			c, _ := h.dial("hang")
			wantSeen(t, "client", readUntilClose(t, c), websocket.StatusBadGateway, "backend ping timeout")
			wantStats(t, h.nextStats(), ClosedByError, websocket.StatusBadGateway, "backend ping timeout")
		})
		t.Run("dead client", func(t *testing.T) {
			h := newRelayHarness(t, Limits{PingInterval: 100 * time.Millisecond, PingTimeout: 300 * time.Millisecond}, nil)
			_, id := h.dial("echo") // never reads, so never answers pings
			wantSeen(t, "backend", h.backendSaw(id), websocket.StatusGoingAway, "client ping timeout")
			wantStats(t, h.nextStats(), ClosedByError, websocket.StatusGoingAway, "client ping timeout")
		})
	})
}

func TestRelayWriteTimeout(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		h := newRelayHarness(t, Limits{PingInterval: -1, WriteTimeout: 300 * time.Millisecond}, nil)
		c, _ := h.dial("hang") // the backend never reads: the proxy's writes block
		go func() {
			data := make([]byte, 64<<10)
			for c.Write(context.Background(), websocket.MessageBinary, data) == nil {
			}
		}()
		wantSeen(t, "client", readUntilClose(t, c), websocket.StatusBadGateway, "backend not reading")
		wantStats(t, h.nextStats(), ClosedByError, websocket.StatusBadGateway, "backend not reading")
	})
}

func TestRelayShutdown(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) { forEachCtxKind(t, testRelayShutdown) })
}

func testRelayShutdown(t *testing.T, sess bool) {
	h, c, id := shutdownAfterEcho(t, sess, nil)
	wantSeen(t, "client", readUntilClose(t, c), websocket.StatusGoingAway, "going away")
	wantSeen(t, "backend", h.backendSaw(id), websocket.StatusGoingAway, "going away")
	st := h.nextStats()
	wantStats(t, st, ClosedByShutdown, websocket.StatusGoingAway, "going away")
	if !errors.Is(st.Err, context.Canceled) {
		t.Errorf("stats.Err = %v, want context.Canceled", st.Err)
	}
}

// TestRelayConcurrentSequenced runs 200 connections through the relay, each
// echoing 1000 sequence-numbered messages of alternating types, and checks
// that none is lost, duplicated, reordered or retyped.
func TestRelayConcurrentSequenced(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		const conns, msgs = 200, 1000
		h := newRelayHarness(t, Limits{}, nil)
		ctx := context.Background()
		errc := make(chan error, conns)
		var wg sync.WaitGroup
		for range conns {
			c, _ := h.dial("echo")
			wg.Add(1)
			go func() {
				defer wg.Done()
				errc <- sequenced(ctx, c, msgs)
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		for range conns {
			st := h.nextStats()
			if st.ClientToBackendMsgs != msgs || st.BackendToClientMsgs != msgs || st.ClosedBy != ClosedByClient {
				t.Fatalf("stats %+v", st)
			}
		}
	})
}

func sequenced(ctx context.Context, c *websocket.Conn, n int) error {
	werr := make(chan error, 1)
	go func() {
		var buf [16]byte
		for i := range n {
			typ := websocket.MessageBinary
			if i%2 == 0 {
				typ = websocket.MessageText
			}
			binary.BigEndian.PutUint64(buf[:], uint64(i))
			if err := c.Write(ctx, typ, buf[:8+i%9]); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	for i := range n {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("read %d: %w", i, err)
		}
		wantTyp := websocket.MessageBinary
		if i%2 == 0 {
			wantTyp = websocket.MessageText
		}
		if len(data) != 8+i%9 || typ != wantTyp {
			return fmt.Errorf("message %d: type %v len %d", i, typ, len(data))
		}
		if got := binary.BigEndian.Uint64(data); got != uint64(i) {
			return fmt.Errorf("message %d: got sequence %d", i, got)
		}
	}
	if err := <-werr; err != nil {
		return err
	}
	return c.Close(websocket.StatusNormalClosure, "")
}

// TestRelayCloseCause: a session cancelled with a *CloseCause (drain-on-change)
// closes both legs with that code and reason.
func TestRelayCloseCause(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) { forEachCtxKind(t, testRelayCloseCause) })
}

func testRelayCloseCause(t *testing.T, sess bool) {
	h, c, id := shutdownAfterEcho(t, sess, &CloseCause{Code: 1012, Reason: "service restart"})
	wantSeen(t, "client", readUntilClose(t, c), 1012, "service restart")
	wantSeen(t, "backend", h.backendSaw(id), 1012, "service restart")
	wantStats(t, h.nextStats(), ClosedByGateway, 1012, "service restart")
}

// shutdownAfterEcho starts a session (with a sessctx.Ctx of its own when
// sess), sees one message echoed, and then cancels the session with cause.
func shutdownAfterEcho(t *testing.T, sess bool, cause error) (*relayHarness, *websocket.Conn, string) {
	t.Helper()
	h := newRelayHarness(t, Limits{}, nil)
	if sess {
		h.useSessCtx()
	}
	c, id := h.dial("echo")
	if err := c.Write(context.Background(), websocket.MessageText, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.shutdown(cause)
	return h, c, id
}

// readChunk reads into buf until it is full or r fails; io.EOF means the
// message ended.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// flood sends 16 KiB messages as fast as the connection takes them until it
// fails; the result's err reports how many bytes it wrote.
func flood(c *websocket.Conn) closeSeen {
	defer c.CloseNow()
	ctx := context.Background()
	readDone := make(chan closeSeen, 1)
	go func() { // control frames (the relay's close) are read by a reader
		_, _, err := c.Read(ctx)
		readDone <- seenFromErr(err)
	}()
	msg := make([]byte, 16<<10)
	var sent int64
	for {
		if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			break
		}
		sent += int64(len(msg))
	}
	res := <-readDone
	res.sent = sent
	return res
}

// restartBackend drops every mode=held backend connection at once, as a
// backend process that restarts.
func (h *relayHarness) restartBackend() int {
	h.mu.Lock()
	held := h.held
	h.held = nil
	h.mu.Unlock()
	for _, c := range held {
		_ = c.CloseNow()
	}
	return len(held)
}

// TestRelaySlowClient: a client (a raw socket, after its handshake)
// that stops reading while the backend streams. The relay stops reading
// the backend once the client's socket and the relay's pending output (at
// most one read) are full, so the backend is held back by TCP flow control
// and the gateway's memory stays bounded; once a write to the client has
// made no progress for WriteTimeout (at most 1.125 x WriteTimeout on the
// goroutine relay, whose write deadline is coarse) the client is dropped
// and the backend gets 1011 "client not reading" (ClosedBy error).
func TestRelaySlowClient(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		const wt = 500 * time.Millisecond
		h := newRelayHarness(t, Limits{PingInterval: -1, WriteTimeout: wt}, nil)
		start := time.Now()
		c, id := h.dialRaw("flood")
		defer c.Close()
		// From here on the client reads nothing.
		got := h.backendSaw(id)
		took := time.Since(start)
		wantSeen(t, "backend", got, websocket.StatusInternalError, "client not reading")
		st := h.nextStats()
		wantStats(t, st, ClosedByError, websocket.StatusInternalError, "client not reading")
		if !errors.Is(st.Err, errWriteTimeout) {
			t.Errorf("stats: err %v, want the write timeout", st.Err)
		}
		// The limit plus slack for filling the socket buffers and for a
		// loaded machine (the bound this checks is "ends", not "fast").
		if limit := wt + wt/8 + 5*time.Second; took > limit {
			t.Errorf("the session ended %v after the client stopped reading, want at most %v", took, limit)
		}
		// Without flow control the backend would have written gigabytes in
		// WriteTimeout; with it, only what the sockets' buffers and one
		// pending read hold.
		if got.sent > 64<<20 {
			t.Errorf("the backend wrote %d MiB to a client that does not read", got.sent>>20)
		}
		// The client was dropped: reading again, it finds the backlog the
		// relay had written, then the end of the connection (no close
		// frame could reach it behind the backlog).
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("the client's connection stayed open after the session ended (%d bytes read)", n)
		}
		t.Logf("the backend wrote %d KiB before the session ended after %v; the client had %d KiB waiting", got.sent>>10, took, n>>10)
	})
}

// dialRaw opens a client connection through the proxy with a raw socket:
// it writes the upgrade request, reads the 101 and returns the connection
// with nothing read past the 101's header (the relay's first frames may
// follow it); mode selects the backend as in dial.
func (h *relayHarness) dialRaw(mode string) (net.Conn, string) {
	h.t.Helper()
	h.mu.Lock()
	h.nextID++
	id := strconv.Itoa(h.nextID)
	h.mu.Unlock()
	c, err := net.Dial("tcp", strings.TrimPrefix(h.proxy.URL, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET /?mode=" + mode + "&id=" + id + " HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		h.t.Fatal(err)
	}
	// Byte by byte: nothing past the header is consumed.
	var head []byte
	b := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := c.Read(b); err != nil {
			h.t.Fatalf("reading the 101: %v (got %q)", err, head)
		}
		head = append(head, b[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101 ")) {
		h.t.Fatalf("upgrade refused: %q", head)
	}
	_ = c.SetDeadline(time.Time{})
	return c, id
}

// TestRelayBackendRestart: many sessions whose backend connections all drop
// at once (a backend restart) each end with 1014 "backend disconnected" to
// their client, and nothing is left behind: no relay goroutine, no session
// on the event loops, no file descriptor. (The soak task runs it with 9,900
// connections against the real binary; here 300 keep CI fast.)
func TestRelayBackendRestart(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		const n = 300
		h := newRelayHarness(t, Limits{}, nil)
		fds := openFDs(t)
		ctx := context.Background()
		clients := make([]*websocket.Conn, n)
		for i := range clients {
			clients[i], _ = h.dial("held")
			// One round trip: the session runs.
			if err := clients[i].Write(ctx, websocket.MessageText, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := clients[i].Read(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.restartBackend(); got != n {
			t.Fatalf("%d backend connections held, want %d", got, n)
		}
		var wg sync.WaitGroup
		seen := make([]closeSeen, n)
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seen[i] = readUntilClose(t, c)
			}()
		}
		wg.Wait()
		for i, got := range seen {
			if got.code != websocket.StatusBadGateway || got.reason != "backend disconnected" {
				t.Fatalf("client %d saw %v, want 1014 \"backend disconnected\"", i, got)
			}
		}
		for range n {
			wantStats(t, h.nextStats(), ClosedByBackend, websocket.StatusAbnormalClosure, "backend disconnected")
		}
		for _, c := range clients {
			_ = c.CloseNow()
		}
		checkNoRelayLeaks(t)
		waitFDs(t, fds)
	})
}

// openFDs is the number of open file descriptors of the process.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1 // not Linux: not checked
	}
	return len(ents)
}

// waitFDs waits until the process has no more file descriptors open than
// before (it fails after 20 s).
func waitFDs(t testing.TB, before int) {
	t.Helper()
	if before < 0 {
		return
	}
	n := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n = openFDs(t); n <= before {
			return
		}
	}
	t.Errorf("%d file descriptors open, %d before the sessions", n, before)
}
