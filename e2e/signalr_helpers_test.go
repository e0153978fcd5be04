package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/policies"
	"tollgate/samples/signalr-chat/chatsvc"
	"tollgate/store"
)

// The repo's real apis folder: the tests exercise exactly what ships.
const apisDir = "../apis"

const (
	serviceKey = "e2e-service-access-key-0123456789abcdef"
	otherKey   = "e2e-some-other-access-key-0123456789xyz"
)

// rs is the SignalR record separator.
const rs = "\x1e"

// stack is one chat App + SignalR Service (in-process, httptest) with a
// gateway in front of them serving ../apis.
type stack struct {
	t       *testing.T
	svc     *chatsvc.Service
	svcSrv  *httptest.Server
	appSrv  *httptest.Server
	gw      *gateway.Server
	gwSrv   *h1test.Server
	logs    *observer.ObservedLogs
	log     *zap.Logger
	env     map[string]string // the gateways' environment
	apis    string            // the gateways' apis folder
	secrets *secretLog
}

type stackOptions struct {
	appKey string            // the App's access key (default serviceKey)
	env    map[string]string // extra gateway environment
	store  store.Store       // the gateway's store (default: a fresh in-memory one)
	apis   string            // the apis folder (default apisDir)
}

// newStack starts the App, the Service and the gateway; everything stops
// at the end of the test.
func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	if o.appKey == "" {
		o.appKey = serviceKey
	}
	s := &stack{t: t, secrets: &secretLog{}, apis: o.apis}
	if s.apis == "" {
		s.apis = apisDir
	}

	// ServiceURL empty: the Service derives the token audience from Host.
	s.svc = chatsvc.NewService(chatsvc.Config{AccessKey: serviceKey})
	s.svcSrv = httptest.NewServer(recordSecrets(s.svc, s.secrets))
	s.appSrv = httptest.NewServer(recordSecrets(chatsvc.NewApp(chatsvc.Config{
		AccessKey: o.appKey, ServiceURL: s.svcSrv.URL,
	}), s.secrets))

	s.env = map[string]string{
		"SIGNALR_APP_URL":     s.appSrv.URL,
		"SIGNALR_SERVICE_URL": "ws://" + strings.TrimPrefix(s.svcSrv.URL, "http://") + "/client/",
	}
	for k, v := range o.env {
		s.env[k] = v
	}
	core, logs := observer.New(zapcore.DebugLevel)
	s.logs = logs
	s.log = zap.New(core)
	// Registered before any gateway's: cleanups run last-in first-out, so the
	// gateways stop first and the log check sees all their lines.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.svc.Shutdown(ctx)
		s.svcSrv.Close()
		s.appSrv.Close()
		s.assertNoSecretsLogged()
	})
	s.gw, s.gwSrv = s.newGateway(o.store)
	return s
}

// newGateway starts a gateway serving ../apis in front of the stack's App
// and Service, with st as its store (nil: a fresh in-memory one). Every
// gateway of a stack logs to s.logs. It stops at the end of the test.
func (s *stack) newGateway(st store.Store) (*gateway.Server, *h1test.Server) {
	s.t.Helper()
	gw, err := gateway.New(gateway.Options{
		Dir:      s.apis,
		Registry: policies.Registry(policies.Deps{Store: st, Log: s.log.Named("policy")}),
		Log:      s.log,
		Getenv:   func(k string) string { return s.env[k] },
	})
	if err != nil {
		s.t.Fatalf("gateway.New(%s): %v", s.apis, err)
	}
	srv := h1test.NewServer(gw)
	s.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		srv.Close()
	})
	return gw, srv
}

// wsURL is the gateway's WebSocket URL for path.
func (s *stack) wsURL(path string) string {
	return "ws://" + strings.TrimPrefix(s.gwSrv.URL, "http://") + path
}

// assertNoSecretsLogged fails if an access token or connection token the
// App or Service handed out shows up in any gateway log line (message or
// field).
func (s *stack) assertNoSecretsLogged() {
	s.t.Helper()
	secrets := s.secrets.all()
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range s.logs.AllUntimed() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			s.t.Errorf("encode log entry: %v", err)
			continue
		}
		line := buf.String()
		buf.Free()
		for _, sec := range secrets {
			if strings.Contains(line, sec) {
				s.t.Errorf("a gateway log line holds a secret (%.8s…): %s", sec, strings.ReplaceAll(line, sec, "<SECRET>"))
			}
		}
	}
}

// secretLog collects the tokens the App and the Service hand out.
type secretLog struct {
	mu   sync.Mutex
	vals []string
}

func (l *secretLog) add(v string) {
	if len(v) < 8 {
		return
	}
	l.mu.Lock()
	l.vals = append(l.vals, v)
	l.mu.Unlock()
}

func (l *secretLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.vals...)
}

// recordSecrets wraps a handler: negotiate answers' accessToken and
// connectionToken are remembered (the WebSocket upgrade is passed through
// untouched).
func recordSecrets(h http.Handler, l *secretLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/negotiate") {
			h.ServeHTTP(w, r)
			return
		}
		rec := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		var body struct {
			AccessToken     string `json:"accessToken"`
			ConnectionToken string `json:"connectionToken"`
		}
		if json.Unmarshal(rec.buf.Bytes(), &body) == nil {
			l.add(body.AccessToken)
			l.add(body.ConnectionToken)
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

// client is a raw SignalR JSON hub protocol client over coder/websocket.
type client struct {
	t       *testing.T
	name    string
	ws      *websocket.Conn
	pending []string // records read but not yet returned
}

// dial connects through the gateway; it fails the test if the upgrade fails.
func (s *stack) dial(ctx context.Context, name, path string) *client {
	s.t.Helper()
	ws, resp, err := websocket.Dial(ctx, s.wsURL(path), nil)
	if err != nil {
		s.t.Fatalf("%s: dial %s: %v%s", name, path, err, describe(resp))
	}
	c := &client{t: s.t, name: name, ws: ws}
	s.t.Cleanup(func() { _ = ws.CloseNow() })
	return c
}

// dialRefused dials and expects the gateway to refuse the upgrade; it
// returns the HTTP status and body.
func (s *stack) dialRefused(ctx context.Context, path string) (int, string) {
	s.t.Helper()
	ws, resp, err := websocket.Dial(ctx, s.wsURL(path), nil)
	if err == nil {
		_ = ws.CloseNow()
		s.t.Fatalf("dial %s: a WebSocket was established; want a refusal before the upgrade", path)
	}
	if resp == nil {
		s.t.Fatalf("dial %s: no HTTP answer: %v", path, err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		s.t.Fatalf("dial %s: got 101 Switching Protocols; want a refusal before the upgrade", path)
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(resp.Body)
	}
	return resp.StatusCode, string(body)
}

func describe(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(resp.Body)
	}
	return fmt.Sprintf(" (HTTP %d %s)", resp.StatusCode, body)
}

func (c *client) send(ctx context.Context, records ...string) {
	c.t.Helper()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(strings.Join(records, rs)+rs)); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// next returns the next record (without the separator), skipping Pings.
func (c *client) next(ctx context.Context) (string, error) {
	for {
		for len(c.pending) > 0 {
			r := c.pending[0]
			c.pending = c.pending[1:]
			if r == `{"type":6}` {
				continue
			}
			return r, nil
		}
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return "", err
		}
		if typ != websocket.MessageText {
			return "", fmt.Errorf("%s: got a binary frame", c.name)
		}
		s := string(data)
		if !strings.HasSuffix(s, rs) {
			return "", fmt.Errorf("%s: frame without a trailing record separator: %q", c.name, s)
		}
		c.pending = append(c.pending, strings.Split(strings.TrimSuffix(s, rs), rs)...)
	}
}

// expect reads the next record and compares it as JSON with want.
func (c *client) expect(ctx context.Context, want string) {
	c.t.Helper()
	got, err := c.next(ctx)
	if err != nil {
		c.t.Fatalf("%s: waiting for %s: %v", c.name, want, err)
	}
	if !jsonEqual(got, want) {
		c.t.Fatalf("%s: got record %s, want %s", c.name, got, want)
	}
}

// expectNothing asserts no record (other than Pings) arrives within d.
func (c *client) expectNothing(ctx context.Context, d time.Duration) {
	c.t.Helper()
	if len(c.pending) > 0 {
		for _, r := range c.pending {
			if r != `{"type":6}` {
				c.t.Fatalf("%s: unexpected record %s", c.name, r)
			}
		}
	}
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	got, err := c.next(rctx)
	if err == nil {
		c.t.Fatalf("%s: unexpected record %s", c.name, got)
	}
	// A read timeout closes a coder/websocket connection: callers use this
	// last.
	if !errors.Is(err, context.DeadlineExceeded) && rctx.Err() == nil {
		c.t.Fatalf("%s: read: %v", c.name, err)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func invocation(id, user, msg string) string {
	b, _ := json.Marshal(map[string]any{"type": 1, "invocationId": id, "target": "SendMessage", "arguments": []string{user, msg}})
	return string(b)
}

func sendOnly(user, msg string) string {
	b, _ := json.Marshal(map[string]any{"type": 1, "target": "SendMessage", "arguments": []string{user, msg}})
	return string(b)
}

func received(user, msg string) string {
	b, _ := json.Marshal(map[string]any{"type": 1, "target": "ReceiveMessage", "arguments": []string{user, msg}})
	return string(b)
}

func completion(id string) string {
	return fmt.Sprintf(`{"type":3,"invocationId":%q}`, id)
}
