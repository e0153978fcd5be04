package wsproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// What a policy chose for one backend dial travels in its context: the
// client certificate (authentication-certificate) and the outbound HTTP
// proxy (the proxy policy), so that Dial needs no per-request options.

type clientCertKey struct{}

// WithClientCertificate carries authentication-certificate's choice to the
// WebSocket backend dial (nil: none).
func WithClientCertificate(ctx context.Context, cert *tls.Certificate) context.Context {
	if cert == nil {
		return ctx
	}
	return context.WithValue(ctx, clientCertKey{}, cert)
}

func clientCertFrom(ctx context.Context) *tls.Certificate {
	c, _ := ctx.Value(clientCertKey{}).(*tls.Certificate)
	return c
}

type proxyKeyCtx struct{}

// WithProxy carries the proxy policy's choice to the WebSocket backend dial
// (nil: direct).
func WithProxy(ctx context.Context, proxy *url.URL) context.Context {
	if proxy == nil {
		return ctx
	}
	return context.WithValue(ctx, proxyKeyCtx{}, proxy)
}

// dialVia connects to addr through the HTTP proxy in ctx with CONNECT (Basic
// proxy authentication when the proxy URL has a user), or directly.
func dialVia(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr string) (net.Conn, error) {
	proxy, _ := ctx.Value(proxyKeyCtx{}).(*url.URL)
	if proxy == nil {
		return dial(ctx, "tcp", addr)
	}
	paddr := proxy.Host
	if proxy.Port() == "" {
		paddr = net.JoinHostPort(proxy.Hostname(), "80")
	}
	conn, err := dial(ctx, "tcp", paddr)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", paddr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: %w", paddr, err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: %w", paddr, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy %s refused CONNECT: %s", paddr, res.Status)
	}
	if br.Buffered() > 0 { // the proxy must not speak before the backend
		conn.Close()
		return nil, fmt.Errorf("proxy %s sent data after CONNECT", paddr)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}
