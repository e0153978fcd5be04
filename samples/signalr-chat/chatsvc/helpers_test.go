package chatsvc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap/zaptest"
)

const testKey = "test-access-key-0123456789-abcdefghijklmnop"

// waitLong bounds every wait in these tests; it is generous on purpose:
// nothing asserts tight timing.
const waitLong = 10 * time.Second

type env struct {
	t      *testing.T
	svc    *Service
	svcSrv *httptest.Server
	appSrv *httptest.Server
	cfg    Config
}

// newEnv starts the service (ServiceURL left empty: derived from requests)
// and the app (ServiceURL = the service server's URL) on real sockets.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	cfg := Config{AccessKey: testKey, Logger: zaptest.NewLogger(t)}
	if mod != nil {
		mod(&cfg)
	}
	svc := NewService(cfg)
	svcSrv := httptest.NewServer(svc)
	appCfg := cfg
	appCfg.ServiceURL = svcSrv.URL
	appSrv := httptest.NewServer(NewApp(appCfg))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		_ = svc.Shutdown(ctx)
		appSrv.Close()
		svcSrv.Close()
	})
	return &env{t: t, svc: svc, svcSrv: svcSrv, appSrv: appSrv, cfg: cfg}
}

func (e *env) token(user string) string {
	e.t.Helper()
	tok, err := MintClientToken(testKey, ClientAudience(e.svcSrv.URL, "chat"), user, time.Hour, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// clientURL is the service client URL as the app's redirect builds it.
func (e *env) clientURL(extra string) string {
	u := e.svcSrv.URL + "/client/?hub=chat&asrs.op=%2Fchat&negotiateVersion=1&asrs_request_id=AAECAwQFBgc%3D"
	if extra != "" {
		u += "&" + extra
	}
	return u
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// serviceNegotiate posts /client/negotiate and returns status and body.
func (e *env) serviceNegotiate(query, token string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.svcSrv.URL+"/client/negotiate?"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return doJSON(e.t, req)
}

func doJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d, body not JSON: %q", req.Method, req.URL, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

// client is a raw hub-protocol client on a real WebSocket.
type client struct {
	t   *testing.T
	ws  *websocket.Conn
	buf []byte
}

// dial opens a WebSocket; on a refused upgrade it returns the HTTP status.
func dial(t *testing.T, u string, header http.Header) (*client, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, wsURL(u), &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		if resp != nil {
			return nil, resp.StatusCode
		}
		t.Fatalf("dial %s: %v", u, err)
	}
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return c, http.StatusSwitchingProtocols
}

func mustDial(t *testing.T, u string, header http.Header) *client {
	t.Helper()
	c, status := dial(t, u, header)
	if c == nil {
		t.Fatalf("dial %s: HTTP %d", u, status)
	}
	return c
}

// connect dials with the token in the query and completes the handshake.
func (e *env) connect(user string) *client {
	e.t.Helper()
	c := mustDial(e.t, e.clientURL("access_token="+url.QueryEscape(e.token(user))), nil)
	c.handshake()
	return c
}

func (c *client) send(records ...string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(strings.Join(records, ""))); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next record (without the separator) or an error when the
// connection ends.
func (c *client) nextErr() (string, error) {
	for {
		if i := bytes.IndexByte(c.buf, 0x1e); i >= 0 {
			rec := string(c.buf[:i])
			c.buf = c.buf[i+1:]
			return rec, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		typ, data, err := c.ws.Read(ctx)
		cancel()
		if err != nil {
			return "", err
		}
		if typ != websocket.MessageText {
			c.t.Errorf("got a binary frame, want text")
		}
		c.buf = append(c.buf, data...)
	}
}

func (c *client) next() string {
	c.t.Helper()
	rec, err := c.nextErr()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return rec
}

// nextNonPing skips server Pings.
func (c *client) nextNonPing() string {
	c.t.Helper()
	for {
		if rec := c.next(); rec != `{"type":6}` {
			return rec
		}
	}
}

func (c *client) expect(want string) {
	c.t.Helper()
	if got := c.nextNonPing(); got != want {
		c.t.Fatalf("got record %s, want %s", got, want)
	}
}

func (c *client) handshake() {
	c.t.Helper()
	c.send(`{"protocol":"json","version":1}` + "\x1e")
	if got := c.next(); got != "{}" {
		c.t.Fatalf("handshake response %q, want {}", got)
	}
}

// expectClosed reads until the connection ends and returns the close status
// (-1 when closed without a close frame).
func (c *client) expectClosed() websocket.StatusCode {
	c.t.Helper()
	for {
		rec, err := c.nextErr()
		if err != nil {
			return websocket.CloseStatus(err)
		}
		if rec != `{"type":6}` {
			c.t.Fatalf("unexpected record before close: %s", rec)
		}
	}
}

func invoke(id, user, msg string) string {
	m := map[string]any{"type": 1, "target": "SendMessage", "arguments": []string{user, msg}}
	if id != "" {
		m["invocationId"] = id
	}
	b, _ := json.Marshal(m)
	return string(b) + "\x1e"
}

func received(user, msg string) string {
	b, _ := json.Marshal([]string{user, msg})
	return `{"type":1,"target":"ReceiveMessage","arguments":` + string(b) + `}`
}
