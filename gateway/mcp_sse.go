package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"

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

type sseRewriter struct {
	src     io.ReadCloser
	br      *bufio.Reader
	backend *url.URL // the stream's URL on the backend
	public  string   // the API's path, no trailing '/'
	m       *mcpServer
	log     *zap.Logger
	api     string
	out     bytes.Buffer // what is ready to be read
	ev      bytes.Buffer // the event being read
	done    bool         // the endpoint event was seen: the rest is copied
	err     error
}

func newSSERewriter(src io.ReadCloser, backend *url.URL, x *exchange, log *zap.Logger) io.ReadCloser {
	return &sseRewriter{src: src, br: bufio.NewReaderSize(src, 4096), backend: backend,
		public: strings.TrimSuffix(x.api.Path, "/"), m: x.api.mcp, log: log, api: x.api.Name}
}

func (r *sseRewriter) Close() error { return r.src.Close() }

func (r *sseRewriter) Read(p []byte) (int, error) {
	for r.out.Len() == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			// Past the endpoint event: a plain copy.
			return r.br.Read(p)
		}
		r.readEvent()
	}
	return r.out.Read(p)
}

// readEvent reads lines up to an event's end (a blank line) and moves the
// event, rewritten if it is the endpoint one, to out.
func (r *sseRewriter) readEvent() {
	for {
		line, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil // a long line: keep reading it
		}
		r.ev.Write(line)
		if r.ev.Len() > sseMaxEvent {
			r.err = errors.New("an event of the MCP server's stream is larger than 1 MiB")
			return
		}
		if err != nil {
			r.out.Write(r.ev.Bytes()) // what came before the end, as it is
			r.ev.Reset()
			r.err = err
			return
		}
		if len(line) > 0 && line[len(line)-1] == '\n' && len(bytes.TrimRight(line, "\r\n")) == 0 {
			r.out.Write(r.rewrite(r.ev.Bytes()))
			r.ev.Reset()
			return
		}
	}
}

// rewrite returns the event, its data pointed at the gateway when it is
// the endpoint event.
func (r *sseRewriter) rewrite(ev []byte) []byte {
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
	r.done = true
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
