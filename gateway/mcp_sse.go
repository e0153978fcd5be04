package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// The HTTP+SSE transport of a pass-through MCP server: the backend's
// stream opens with an "endpoint" event naming the URL the client POSTs
// its messages to, on the backend. The gateway points it at itself:
// PATH/messages (mapped to the messages endpoint's path on the backend),
// or PATH/sse when the backend takes its messages on its SSE path (as the
// Go SDK's servers do), the backend's query (the session id) kept. Every
// other event passes as it is, each as soon as its closing blank line
// arrives (an event is dispatched by the client only then anyway).

// sseMaxEvent bounds one event of a relayed stream.
const sseMaxEvent = 1 << 20

// sseRelay is a pass-through server's event stream as the client gets it:
// read event by event on a goroutine of its own, so that when the backend
// says nothing for MCPKeepAlive a comment line goes out instead; the write
// finds a client that went away (the front server does not watch idle
// connections), and the relay then closes the backend's stream. The first
// endpoint event of an SSE stream is pointed at the gateway (endpoint).
type sseRelay struct {
	src      io.ReadCloser
	br       *bufio.Reader
	backend  *url.URL // the stream's URL on the backend
	public   string   // the API's path, no trailing '/'
	m        *mcpServer
	log      *zap.Logger
	api      string
	endpoint bool            // rewrite the endpoint event (an SSE stream's GET)
	allowed  map[string]bool // a pass-through server's tool selection (mcp_filter.go); nil: all

	ev      bytes.Buffer // the event being read (the goroutine's)
	events  chan []byte  // whole events, closed after the last
	done    chan struct{}
	gerr    error // why events was closed (set before it is)
	tick    *time.Ticker
	stop    <-chan struct{} // the gateway shuts down
	pending []byte
	err     error
	once    sync.Once
}

func newSSERelay(src io.ReadCloser, backend *url.URL, x *exchange, log *zap.Logger, endpoint bool, allowed map[string]bool) io.ReadCloser {
	r := &sseRelay{src: src, br: bufio.NewReaderSize(src, 4096), backend: backend,
		public: strings.TrimSuffix(x.api.Path, "/"), m: x.api.mcp, log: log, api: x.api.Name, endpoint: endpoint, allowed: allowed,
		events: make(chan []byte, 1), done: make(chan struct{}), tick: time.NewTicker(MCPKeepAlive), stop: x.s.baseCtx.Done()}
	go r.pump()
	return r
}

func (r *sseRelay) Close() error {
	r.once.Do(func() {
		close(r.done)
		r.tick.Stop()
	})
	return r.src.Close()
}

func (r *sseRelay) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		select {
		case ev, ok := <-r.events:
			if !ok {
				r.err = r.gerr
				continue
			}
			r.pending = ev
		case <-r.tick.C:
			r.pending = []byte(": keepalive\n\n")
		case <-r.stop:
			r.err = errShutdown // the stream ends with the gateway (the client reconnects elsewhere)
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// pump reads the backend's events and hands them to Read.
func (r *sseRelay) pump() {
	for {
		ev, err := r.readEvent()
		if len(ev) > 0 {
			select {
			case r.events <- ev:
			case <-r.done:
				return
			}
		}
		if err != nil {
			r.gerr = err
			close(r.events)
			return
		}
	}
}

// readEvent reads lines up to an event's end (a blank line) and returns
// the event, rewritten if it is the endpoint one; at the stream's end (or
// a failure) what came before it, and the error.
func (r *sseRelay) readEvent() ([]byte, error) {
	r.ev.Reset()
	for {
		line, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil // a long line: keep reading it
		}
		r.ev.Write(line)
		if r.ev.Len() > sseMaxEvent {
			return nil, errors.New("an event of the MCP server's stream is larger than 1 MiB")
		}
		if err != nil {
			return bytes.Clone(r.ev.Bytes()), err
		}
		if len(line) > 0 && line[len(line)-1] == '\n' && len(bytes.TrimRight(line, "\r\n")) == 0 {
			ev := bytes.Clone(r.ev.Bytes())
			if r.endpoint {
				ev = r.rewrite(ev)
			}
			if r.allowed != nil {
				ev = filterEvent(ev, r.allowed)
			}
			return ev, nil
		}
	}
}

// rewrite returns the event, its data pointed at the gateway when it is
// the endpoint event.
func (r *sseRelay) rewrite(ev []byte) []byte {
	lines := strings.Split(strings.ReplaceAll(string(ev), "\r\n", "\n"), "\n")
	name, data := "", ""
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "event:"):
			name = strings.TrimSpace(l[len("event:"):])
		case strings.HasPrefix(l, "data:"):
			data = strings.TrimPrefix(l[len("data:"):], " ")
		}
	}
	if name != "endpoint" {
		return ev
	}
	r.endpoint = false // the first one only
	u, err := url.Parse(strings.TrimSpace(data))
	if err != nil {
		r.log.Warn("MCP server's endpoint event is no URL: passed as it is", zap.String("api", r.api))
		return ev
	}
	target := r.backend.ResolveReference(u)
	ssePath := r.m.endpoints["sse"]
	base := strings.TrimSuffix(r.backend.Path, ssePath)
	ep := "/messages"
	switch target.Path {
	case r.backend.Path:
		ep = "/sse" // POSTs to the stream's own path (the Go SDK's servers)
	case base + r.m.endpoints["messages"]:
	default:
		r.log.Warn("MCP server's endpoint event names a path that is not its messages endpoint: the gateway sends the messages to the configured one",
			zap.String("api", r.api), zap.String("configured", r.m.endpoints["messages"]))
	}
	out := r.public + ep
	if target.RawQuery != "" {
		out += "?" + target.RawQuery
	}
	var b bytes.Buffer
	for _, l := range lines {
		if strings.HasPrefix(l, "data:") {
			if out != "" {
				b.WriteString("data: " + out + "\n")
				out = ""
			}
			continue
		}
		if l == "" {
			continue
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	return b.Bytes()
}
