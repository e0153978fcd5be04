package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// proxy: the backend call goes through an HTTP proxy, with Basic proxy
// authentication; an API without the policy goes direct.
func TestOutboundProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend %s", r.URL.Path)
	}))
	t.Cleanup(backend.Close)
	proxied := make(chan string, 10)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("gw:pw")) {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		proxied <- r.URL.String() // absolute-form: the request was sent to a proxy
		res, err := http.Get(r.URL.String())
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		_, _ = io.Copy(w, res.Body)
	}))
	t.Cleanup(proxy.Close)
	dir := t.TempDir()
	for _, api := range []struct{ name, inbound string }{
		{"via", `<proxy url="` + proxy.URL + `" username="gw" password="pw"/>`},
		{"direct", ``},
	} {
		testutil.WriteFile(t, filepath.Join(dir, api.name, "api.xml"), fmt.Sprintf(`<api name=%q type="http" path="/%s" service-url=%q/>`, api.name, api.name, backend.URL))
		testutil.WriteFile(t, filepath.Join(dir, api.name, "policy.xml"), "<policies><inbound>"+api.inbound+"</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>")
	}
	gw := serveGateway(t, gateway.Options{Dir: dir, Log: zap.NewNop(), Getenv: func(string) string { return "" },
		Registry: policies.Registry(policies.Deps{Log: zap.NewNop()})})
	get := func(path string) string {
		resp, err := http.Get(gw + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	if got := get("/via/a"); got != "200 backend /a" {
		t.Fatalf("via: %s", got)
	}
	if u := <-proxied; u != backend.URL+"/a" {
		t.Fatalf("proxy saw %s", u)
	}
	if got := get("/direct/b"); got != "200 backend /b" {
		t.Fatalf("direct: %s", got)
	}
	select {
	case u := <-proxied:
		t.Fatalf("the direct API went through the proxy: %s", u)
	default:
	}
}

// connectProxy is an HTTP CONNECT proxy requiring Basic gw:pw; it reports
// each tunnel's target.
func connectProxy(t *testing.T) (string, chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	seen := make(chan string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.Method != http.MethodConnect || req.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("gw:pw")) {
					_, _ = io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				seen <- req.Host
				_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { _, _ = io.Copy(up, br) }()
				_, _ = io.Copy(c, up)
			}(c)
		}
	}()
	return "http://" + ln.Addr().String(), seen
}

// proxy on a WebSocket API: the backend handshake goes through a CONNECT
// tunnel, with Basic proxy authentication; wrong credentials fail the
// handshake with 502.
func TestOutboundProxyWebSocket(t *testing.T) {
	backend := testutil.EchoBackend(t)
	proxyURL, seen := connectProxy(t)
	dir := t.TempDir()
	for _, api := range []struct{ name, pw string }{{"via", "pw"}, {"wrong", "nope"}} {
		testutil.WriteFile(t, filepath.Join(dir, api.name, "api.xml"), fmt.Sprintf(`<api name=%q type="websocket" path="/%s" service-url=%q/>`, api.name, api.name, "ws"+strings.TrimPrefix(backend.URL, "http")+"/"))
		testutil.WriteFile(t, filepath.Join(dir, api.name, "policy.xml"), `<policies><inbound><proxy url="`+proxyURL+`" username="gw" password="`+api.pw+`"/></inbound><backend/><outbound/><on-error/></policies>`)
	}
	gw := serveGateway(t, gateway.Options{Dir: dir, Log: zap.NewNop(), Getenv: func(string) string { return "" },
		Registry: policies.Registry(policies.Deps{Log: zap.NewNop()})})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(gw, "http")+"/via", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if host := <-seen; host != strings.TrimPrefix(backend.URL, "http://") {
		t.Fatalf("tunnel to %s", host)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "ping" {
		t.Fatalf("%q %v", msg, err)
	}
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(gw, "http")+"/wrong", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("wrong proxy credentials: %v %v", resp, err)
	}
}
