package console

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway"
)

// The test tab. A browser cannot set headers on a WebSocket, so the page
// does not connect to the gateway itself: it opens a WebSocket to the
// admin listener (the bridge), says what to connect with (path, query,
// headers), and the bridge connects to the gateway's real listener with
// those headers plus a fresh trace token, then streams the handshake's
// outcome, its trace and every frame both ways to the page as JSON. HTTP
// tests go the same way through testHTTP. Either way the request takes the
// real path: listener, routing, policies, backend.

const (
	testTokenTTL    = time.Minute
	maxTestBody     = 256 << 10 // response body shown for an HTTP test
	maxFrameShown   = 64 << 10  // payload bytes of one frame sent to the page
	maxBridgeFrame  = 4 << 20   // a frame from the gateway larger than this ends the test
	testHTTPTimeout = 60 * time.Second
)

// testRequest is what the page asks for.
type testRequest struct {
	Type     string     `json:"type"`
	Method   string     `json:"method"`
	Path     string     `json:"path"`  // appended to the API's path
	Query    string     `json:"query"` // raw query, without '?'
	Headers  []headerKV `json:"headers"`
	Body     string     `json:"body"`
	Text     string     `json:"text"`   // send: a text frame
	Base64   string     `json:"base64"` // send: a binary frame
	Code     int        `json:"code"`   // close
	Reason   string     `json:"reason"` // close
	Protocol []string   `json:"subprotocols"`
}

type headerKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// target builds the gateway URL for a test of api.
func (c *Console) target(api *gateway.API, path, query string, ws bool) (*url.URL, error) {
	u, err := url.Parse(c.opt.GatewayURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("the console does not know the gateway's listener address")
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	full := strings.TrimSuffix(api.Path, "/") + path
	if full == "" {
		full = "/"
	}
	u.Path = full
	u.RawQuery = strings.TrimPrefix(query, "?")
	if _, err := url.ParseQuery(u.RawQuery); err != nil {
		return nil, errors.New("bad query: " + err.Error())
	}
	if ws {
		if u.Scheme == "https" {
			u.Scheme = "wss"
		} else {
			u.Scheme = "ws"
		}
	}
	return u, nil
}

func (c *Console) httpClient() *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	if c.opt.InsecureTLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // our own listener, dialed by address
	}
	return &http.Client{Transport: tr, Timeout: testHTTPTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func buildHeader(kvs []headerKV, token string) (http.Header, error) {
	h := http.Header{}
	for _, kv := range kvs {
		name := strings.TrimSpace(kv.Name)
		if name == "" {
			continue
		}
		if strings.ContainsAny(name, " :\r\n\t") || strings.ContainsAny(kv.Value, "\r\n") {
			return nil, errors.New("bad header " + name)
		}
		h.Add(name, kv.Value)
	}
	h.Set(gateway.TraceTokenHeader, token)
	return h, nil
}

// testHTTP sends one request to an HTTP API through the gateway.
func (c *Console) testHTTP(w http.ResponseWriter, r *http.Request) {
	api := c.srv.Current().API(r.PathValue("name"))
	if api == nil {
		writeError(w, http.StatusNotFound, "no API "+r.PathValue("name")+" in the served configuration")
		return
	}
	var req testRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad test request: "+err.Error())
		return
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	u, err := c.target(api, req.Path, req.Query, false)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	tok, _, err := c.srv.MintTraceToken(api.Name, testTokenTTL)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	h, err := buildHeader(req.Headers, tok)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	out, err := http.NewRequestWithContext(r.Context(), req.Method, u.String(), body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return
	}
	out.Header = h
	t0 := time.Now()
	resp, err := c.httpClient().Do(out)
	res := map[string]any{"url": engine.RedactURL(u.String())}
	if err != nil {
		msg := err.Error()
		if u := errors.Unwrap(err); u != nil {
			msg = u.Error() // without the URL, which may hold secrets
		}
		res["error"] = "the gateway did not answer: " + msg
		writeJSON(w, http.StatusOK, res)
		return
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxTestBody+1))
	res["duration_ns"] = time.Since(t0)
	res["status"] = resp.StatusCode
	res["headers"] = resp.Header
	if len(data) > maxTestBody {
		data, res["body_truncated"] = data[:maxTestBody], true
	}
	res["body"] = c.srv.MaskSecrets(string(data))
	id := resp.Header.Get(gateway.TraceIDHeader)
	res["trace_id"] = id
	if t := c.waitTrace(id); t != nil {
		res["trace"] = t
	}
	writeJSON(w, http.StatusOK, res)
}

// event is one message to the page.
type event struct {
	Type     string                `json:"type"` // handshake | frame | close | error
	OK       bool                  `json:"ok,omitempty"`
	Status   int                   `json:"status,omitempty"`
	Headers  http.Header           `json:"headers,omitempty"`
	Body     string                `json:"body,omitempty"`
	URL      string                `json:"url,omitempty"`
	TraceID  string                `json:"trace_id,omitempty"`
	Trace    *gateway.RequestTrace `json:"trace,omitempty"`
	Dir      string                `json:"dir,omitempty"` // in (gateway to page) | out
	Binary   bool                  `json:"binary,omitempty"`
	Size     int                   `json:"size,omitempty"`
	Text     string                `json:"text,omitempty"`
	Base64   string                `json:"base64,omitempty"`
	Cut      bool                  `json:"cut,omitempty"` // payload shown in part
	Time     time.Time             `json:"time"`
	Code     int                   `json:"code,omitempty"`
	Reason   string                `json:"reason,omitempty"`
	By       string                `json:"by,omitempty"` // close: gateway | client
	Error    string                `json:"error,omitempty"`
	Duration time.Duration         `json:"duration_ns,omitempty"`
	Protocol string                `json:"subprotocol,omitempty"`
}

// page is the bridge's connection to the browser; writes are serialized.
type page struct {
	conn *websocket.Conn
	mu   sync.Mutex
}

func (p *page) send(ctx context.Context, e event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.conn.Write(wctx, websocket.MessageText, data)
}

func frameEvent(dir string, typ websocket.MessageType, data []byte) event {
	e := event{Type: "frame", Dir: dir, Size: len(data), Binary: typ == websocket.MessageBinary}
	if len(data) > maxFrameShown {
		data, e.Cut = data[:maxFrameShown], true
	}
	if e.Binary || !utf8.Valid(data) {
		e.Base64 = base64.StdEncoding.EncodeToString(data)
	} else {
		e.Text = string(data)
	}
	return e
}

// testWS is the WebSocket bridge for the test tab.
func (c *Console) testWS(w http.ResponseWriter, r *http.Request) {
	api := c.srv.Current().API(r.PathValue("name"))
	if api == nil {
		writeError(w, http.StatusNotFound, "no API "+r.PathValue("name")+" in the served configuration")
		return
	}
	pc, err := websocket.Accept(w, r, nil) // checks Origin against Host too
	if err != nil {
		return
	}
	pc.SetReadLimit(1 << 20)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	p := &page{conn: pc}
	defer pc.CloseNow()

	var req testRequest
	_, data, err := pc.Read(ctx)
	if err != nil {
		return
	}
	if err := json.Unmarshal(data, &req); err != nil || req.Type != "connect" {
		_ = p.send(ctx, event{Type: "error", Error: "the first message must be {\"type\":\"connect\", ...}"})
		pc.Close(websocket.StatusPolicyViolation, "bad connect message")
		return
	}
	gw, ok := c.dialGateway(ctx, p, api, req)
	if !ok {
		pc.Close(websocket.StatusNormalClosure, "handshake failed")
		return
	}
	defer gw.CloseNow()
	gw.SetReadLimit(maxBridgeFrame)

	var closedByClient sync.Once
	clientClosed := make(chan struct{})
	// The page's close (set before clientClosed is closed) and the outcome
	// of its close handshake: nil when the gateway answered with the same
	// code. The library may read that answer itself, inside Close, while
	// the reader below is between two reads: the reader then finds the
	// connection closed, not a close frame, and takes the outcome from here.
	var asked websocket.CloseError
	closeDone := make(chan error, 1)
	// gateway -> page
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			typ, data, err := gw.Read(ctx)
			if err != nil {
				e := event{Type: "close", By: "gateway", Code: int(websocket.CloseStatus(err))}
				select {
				case <-clientClosed:
					e.By = "client"
				default:
				}
				var ce websocket.CloseError
				switch {
				case errors.As(err, &ce):
					e.Reason = ce.Reason
				case e.By == "client" && <-closeDone == nil:
					e.Code, e.Reason = int(asked.Code), asked.Reason // answered in kind
				case e.Code == -1:
					e.Code, e.Error = 1006, "connection lost: "+err.Error()
				}
				_ = p.send(context.Background(), e)
				// The test connection is over: so is the bridge.
				_ = pc.Close(websocket.StatusNormalClosure, "test connection closed")
				return
			}
			if p.send(ctx, frameEvent("in", typ, data)) != nil {
				return
			}
		}
	}()
	// page -> gateway
	for {
		_, data, err := pc.Read(ctx)
		if err != nil {
			break // the page went away: the deferred CloseNow ends the test connection
		}
		var m testRequest
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		switch m.Type {
		case "send":
			typ, payload := websocket.MessageText, []byte(m.Text)
			if m.Base64 != "" {
				b, err := base64.StdEncoding.DecodeString(m.Base64)
				if err != nil {
					_ = p.send(ctx, event{Type: "error", Error: "bad base64"})
					continue
				}
				typ, payload = websocket.MessageBinary, b
			}
			// Logged before it is written, so the page never sees the
			// answer to a frame before the frame.
			_ = p.send(ctx, frameEvent("out", typ, payload))
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := gw.Write(wctx, typ, payload)
			wcancel()
			if err != nil {
				_ = p.send(ctx, event{Type: "error", Error: "send failed: " + err.Error()})
			}
		case "close":
			code := websocket.StatusCode(m.Code)
			if code == 0 {
				code = websocket.StatusNormalClosure
			}
			closedByClient.Do(func() {
				asked = websocket.CloseError{Code: code, Reason: m.Reason}
				close(clientClosed)
				go func() { closeDone <- gw.Close(code, m.Reason) }()
			})
		}
	}
	cancel()
	<-done
}

// dialGateway connects to the gateway for a WebSocket test and tells the
// page how the handshake went, with its trace.
func (c *Console) dialGateway(ctx context.Context, p *page, api *gateway.API, req testRequest) (*websocket.Conn, bool) {
	fail := func(msg string) (*websocket.Conn, bool) {
		_ = p.send(ctx, event{Type: "handshake", Error: msg})
		return nil, false
	}
	u, err := c.target(api, req.Path, req.Query, true)
	if err != nil {
		return fail(err.Error())
	}
	tok, _, err := c.srv.MintTraceToken(api.Name, testTokenTTL)
	if err != nil {
		return fail(err.Error())
	}
	h, err := buildHeader(req.Headers, tok)
	if err != nil {
		return fail(err.Error())
	}
	dctx, dcancel := context.WithTimeout(ctx, testHTTPTimeout)
	defer dcancel()
	t0 := time.Now()
	gw, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{
		HTTPClient: c.httpClient(), HTTPHeader: h, Subprotocols: req.Protocol,
	})
	e := event{Type: "handshake", URL: c.srv.MaskSecrets(engine.RedactURL(u.String())), Duration: time.Since(t0)}
	if resp != nil {
		e.Status, e.Headers = resp.StatusCode, resp.Header
		e.TraceID = resp.Header.Get(gateway.TraceIDHeader)
		if err != nil && resp.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			e.Body = c.srv.MaskSecrets(string(bytes.ToValidUTF8(b, []byte("?"))))
		}
	}
	e.Trace = c.waitTrace(e.TraceID)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), u.String(), engine.RedactURL(u.String()))
		e.Error = "the gateway refused the WebSocket: " + msg
		if resp == nil {
			e.Error = "cannot reach the gateway at " + u.Host + ": " + msg
		}
		c.log.Debug("console test handshake failed", zap.String("api", api.Name), zap.Error(err))
		_ = p.send(ctx, e)
		return nil, false
	}
	e.OK = true
	e.Protocol = gw.Subprotocol()
	if p.send(ctx, e) != nil {
		gw.CloseNow()
		return nil, false
	}
	return gw, true
}
