package chatsvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

const (
	recordSeparator = "\x1e"
	// maxMessageSize bounds one WebSocket message and the bytes buffered
	// while waiting for a record separator.
	maxMessageSize = 64 << 10
)

var (
	handshakeOK = []byte("{}" + recordSeparator)
	pingMessage = []byte(`{"type":6}` + recordSeparator)
)

// outFrame is one item of a connection's send queue. A close item ends the
// writer: data (if any) is written, then the WebSocket is closed with code.
type outFrame struct {
	data  []byte
	close bool
	code  websocket.StatusCode
}

// conn is one client connection. The read loop runs in the HTTP handler's
// goroutine and handles one record at a time, so one connection's
// invocations run in order; the write loop owns all writes after the
// handshake and sends the keep-alive Ping.
type conn struct {
	s    *Service
	ws   *websocket.Conn
	id   string
	user string
	log  *zap.Logger

	joined bool // guarded by s.mu: handshaken and receiving broadcasts

	out        chan outFrame
	quit       chan struct{} // closed to stop the writer
	quitOnce   sync.Once
	writerDone chan struct{}
	killOnce   sync.Once
}

func newConn(s *Service, ws *websocket.Conn, id, user string) *conn {
	return &conn{
		s:          s,
		ws:         ws,
		id:         id,
		user:       user,
		log:        s.log.With(zap.String("connectionId", id)),
		out:        make(chan outFrame, s.cfg.SendQueue),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// enqueue queues f without blocking. When the queue is full the client is
// too slow to keep up: it is closed at once (no close handshake) so that
// it cannot stall the broadcast, and false is returned.
func (c *conn) enqueue(f outFrame) bool {
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.out <- f:
		return true
	default:
		c.kill("send queue overflow")
		return false
	}
}

// kill drops the connection immediately.
func (c *conn) kill(reason string) {
	c.killOnce.Do(func() {
		c.log.Warn("dropping connection", zap.String("reason", reason))
		go func() { _ = c.ws.CloseNow() }()
	})
}

func (c *conn) stopWriter() { c.quitOnce.Do(func() { close(c.quit) }) }

// shutdown sends the Close message and closes with 1001.
func (c *conn) shutdown() {
	c.s.mu.Lock()
	joined := c.joined
	c.s.mu.Unlock()
	if !joined {
		go func() { _ = c.ws.Close(websocket.StatusGoingAway, "server shutting down") }()
		return
	}
	c.enqueue(outFrame{data: shutdownMessage, close: true, code: websocket.StatusGoingAway})
}

func (c *conn) serve(ctx context.Context) {
	c.log.Info("connected", zap.String("user", c.user))
	defer c.log.Info("disconnected")
	rest, ok := c.handshake(ctx)
	if !ok {
		return
	}
	go c.writeLoop()
	end := c.readLoop(ctx, rest)
	if end != nil {
		// Let the writer flush what is queued, then send end and close.
		if c.enqueue(*end) {
			select {
			case <-c.writerDone:
			case <-time.After(c.s.cfg.WriteTimeout):
			}
		}
	}
	c.stopWriter()
	<-c.writerDone
	_ = c.ws.CloseNow()
}

// handshake reads the handshake request and answers it. It returns the
// bytes received after the handshake record.
func (c *conn) handshake(ctx context.Context) ([]byte, bool) {
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.HandshakeTimeout)
	defer cancel()
	var buf []byte
	for {
		if i := bytes.IndexByte(buf, recordSeparator[0]); i >= 0 {
			rec, rest := buf[:i], buf[i+1:]
			if errMsg := checkHandshake(rec); errMsg != "" {
				c.log.Info("handshake rejected", zap.String("error", errMsg))
				resp, _ := json.Marshal(map[string]string{"error": errMsg})
				_ = c.ws.Write(ctx, websocket.MessageText, append(resp, recordSeparator...))
				_ = c.ws.Close(websocket.StatusNormalClosure, "")
				return nil, false
			}
			// Join the broadcast before answering: a client that has seen
			// {} gets every message sent after that. Broadcasts queued
			// meanwhile wait in c.out; the writer starts after this write.
			if !c.s.markJoined(c) {
				_ = c.ws.Close(websocket.StatusGoingAway, "server shutting down")
				return nil, false
			}
			if err := c.ws.Write(ctx, websocket.MessageText, handshakeOK); err != nil {
				c.log.Info("handshake write failed", zap.Error(err))
				_ = c.ws.CloseNow()
				return nil, false
			}
			return rest, true
		}
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				c.log.Info("no handshake within timeout")
			}
			_ = c.ws.CloseNow()
			return nil, false
		}
		buf = append(buf, data...)
		if len(buf) > maxMessageSize {
			_ = c.ws.Close(websocket.StatusMessageTooBig, "handshake too large")
			return nil, false
		}
	}
}

// checkHandshake returns "" for {"protocol":"json","version":1}, else the
// error to send.
func checkHandshake(rec []byte) string {
	var hs struct {
		Protocol *string `json:"protocol"`
		Version  *int    `json:"version"`
	}
	if err := json.Unmarshal(rec, &hs); err != nil || hs.Protocol == nil || hs.Version == nil {
		return "An unexpected error occurred during connection handshake."
	}
	if *hs.Protocol != "json" {
		return fmt.Sprintf("Requested protocol '%s' is not available.", *hs.Protocol)
	}
	if *hs.Version != 1 {
		return fmt.Sprintf("The server does not support version %d of the '%s' protocol.", *hs.Version, *hs.Protocol)
	}
	return ""
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	ka := time.NewTimer(c.s.cfg.KeepAliveInterval)
	defer ka.Stop()
	for {
		var f outFrame
		select {
		case <-c.quit:
			return
		case f = <-c.out:
		case <-ka.C:
			f = outFrame{data: pingMessage}
		}
		if f.data != nil {
			ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.WriteTimeout)
			err := c.ws.Write(ctx, websocket.MessageText, f.data)
			cancel()
			if err != nil {
				c.kill("write failed: " + err.Error())
				return
			}
		}
		if f.close {
			_ = c.ws.Close(f.code, "")
			return
		}
		ka.Reset(c.s.cfg.KeepAliveInterval)
	}
}

// readLoop reads and handles records until the connection ends. It returns
// the frame that ends the connection in an orderly way, or nil when the
// socket is already gone.
func (c *conn) readLoop(ctx context.Context, buf []byte) *outFrame {
	for {
		for {
			i := bytes.IndexByte(buf, recordSeparator[0])
			if i < 0 {
				break
			}
			rec := buf[:i]
			buf = buf[i+1:]
			if end := c.handle(rec); end != nil {
				return end
			}
		}
		rctx, cancel := context.WithTimeout(ctx, c.s.cfg.ClientTimeout)
		_, data, err := c.ws.Read(rctx)
		timedOut := rctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil {
			if timedOut {
				c.log.Info("client timeout: nothing received", zap.Duration("timeout", c.s.cfg.ClientTimeout))
			} else if s := websocket.CloseStatus(err); s == -1 && !errors.Is(err, context.Canceled) {
				c.log.Debug("read ended", zap.Error(err))
			}
			return nil
		}
		if len(buf) == 0 {
			buf = data
		} else {
			buf = append(buf, data...)
		}
		if len(buf) > maxMessageSize {
			return closeWithError("Connection closed with an error. InvalidDataException: message too large.")
		}
	}
}

func closeWithError(msg string) *outFrame {
	b, _ := json.Marshal(closeMessage{Type: 7, Error: msg})
	return &outFrame{data: append(b, recordSeparator...), close: true, code: websocket.StatusNormalClosure}
}

type hubMessage struct {
	Type         int               `json:"type"`
	InvocationID *string           `json:"invocationId"`
	Target       string            `json:"target"`
	Arguments    []json.RawMessage `json:"arguments"`
	StreamIDs    []string          `json:"streamIds"`
}

type invocation struct {
	Type      int       `json:"type"`
	Target    string    `json:"target"`
	Arguments []*string `json:"arguments"`
}

type completion struct {
	Type         int    `json:"type"`
	InvocationID string `json:"invocationId"`
	Error        string `json:"error,omitempty"`
}

type closeMessage struct {
	Type           int    `json:"type"`
	Error          string `json:"error,omitempty"`
	AllowReconnect bool   `json:"allowReconnect,omitempty"`
}

// Hub protocol message types.
const (
	typeInvocation       = 1
	typeStreamItem       = 2
	typeCompletion       = 3
	typeStreamInvocation = 4
	typeCancelInvocation = 5
	typePing             = 6
	typeClose            = 7
)

// handle handles one record; a non-nil result ends the connection.
func (c *conn) handle(rec []byte) *outFrame {
	var m hubMessage
	if err := json.Unmarshal(rec, &m); err != nil || m.Type == 0 {
		c.log.Info("invalid message")
		return closeWithError("Connection closed with an error. InvalidDataException: Error reading JSON.")
	}
	switch m.Type {
	case typeInvocation:
		if m.InvocationID != nil && *m.InvocationID == "" {
			return closeWithError("Connection closed with an error. InvalidDataException: Invalid invocationId.")
		}
		errMsg := c.invoke(m)
		if errMsg != "" {
			c.log.Info("invocation failed", zap.String("target", m.Target), zap.String("error", errMsg))
		}
		if m.InvocationID != nil {
			c.complete(*m.InvocationID, errMsg)
		}
	case typeStreamInvocation:
		if m.InvocationID != nil {
			msg := fmt.Sprintf("The client attempted to invoke the non-streaming '%s' method with a streaming invocation.", m.Target)
			if !strings.EqualFold(m.Target, "SendMessage") {
				msg = fmt.Sprintf("Unknown hub method '%s'", m.Target)
			}
			c.complete(*m.InvocationID, msg)
		}
	case typeClose:
		c.log.Info("client sent Close")
		return &outFrame{close: true, code: websocket.StatusNormalClosure}
	case typePing, typeStreamItem, typeCompletion, typeCancelInvocation:
		// Ping resets the client timeout (any message does); the others
		// have no meaning for this hub.
	default:
		// Ack, Sequence (stateful reconnect is not offered) and unknown
		// types are ignored.
	}
	return nil
}

// invoke runs ChatHub.SendMessage; it returns an error text or "".
func (c *conn) invoke(m hubMessage) string {
	if !strings.EqualFold(m.Target, "SendMessage") {
		return fmt.Sprintf("Unknown hub method '%s'", m.Target)
	}
	if len(m.StreamIDs) > 0 {
		return fmt.Sprintf("Client sent %d stream(s), Hub method expects 0.", len(m.StreamIDs))
	}
	if len(m.Arguments) != 2 {
		return fmt.Sprintf("Failed to invoke '%s' due to an error on the server. InvalidDataException: Invocation provides %d argument(s) but target expects 2.", m.Target, len(m.Arguments))
	}
	args := make([]*string, 2)
	for i, raw := range m.Arguments {
		if err := json.Unmarshal(raw, &args[i]); err != nil {
			return "Failed to invoke '" + m.Target + "' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."
		}
	}
	msg, err := json.Marshal(invocation{Type: typeInvocation, Target: "ReceiveMessage", Arguments: args})
	if err != nil {
		return "Failed to invoke '" + m.Target + "' due to an error on the server."
	}
	c.s.broadcast(append(msg, recordSeparator...))
	return ""
}

func (c *conn) complete(id, errMsg string) {
	b, _ := json.Marshal(completion{Type: typeCompletion, InvocationID: id, Error: errMsg})
	c.enqueue(outFrame{data: append(b, recordSeparator...)})
}
