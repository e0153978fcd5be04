// Package h1test starts a gateway front server on a loopback socket for
// tests, like net/http/httptest, choosing the server path the way the
// binary does: tollgate's own HTTP/1.1 server (gateway/h1) on its event
// loops by default, with a goroutine per connection when
// TOLLGATE_TEST_FRONT=h1, or net/http's when TOLLGATE_TEST_FRONT=nethttp.
// The test task runs the gateway and end-to-end packages once with each,
// so every REST and WebSocket test covers every server path.
package h1test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"time"

	"tollgate/gateway/h1"
)

// Env is the variable that picks the front server ("loop", the default;
// "h1" or "nethttp").
const Env = "TOLLGATE_TEST_FRONT"

// Front reports which front server tests use.
func Front() string {
	switch v := os.Getenv(Env); v {
	case "nethttp", "h1":
		return v
	}
	return "loop"
}

// Server is a running front server.
type Server struct {
	URL      string
	Listener net.Listener
	close    func()
}

// NewServer serves h on 127.0.0.1 over plain HTTP.
func NewServer(h http.Handler) *Server { return start(h, nil) }

// NewTLSServer serves h over TLS with cfg (which must carry a certificate).
func NewTLSServer(h http.Handler, cfg *tls.Config) *Server { return start(h, cfg) }

func start(h http.Handler, cfg *tls.Config) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("h1test: " + err.Error())
	}
	scheme := "http://"
	if cfg != nil {
		scheme = "https://"
	}
	s := &Server{URL: scheme + ln.Addr().String(), Listener: ln}
	if Front() == "nethttp" {
		p := new(http.Protocols) // as the binary's: HTTP/2 over TLS and with prior knowledge (h2c)
		p.SetHTTP1(true)
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: cfg, Protocols: p}
		l := ln
		if cfg != nil {
			l = tls.NewListener(ln, hs.TLSConfig)
		}
		go func() { _ = hs.Serve(l) }()
		s.close = func() { _ = hs.Close() }
		return s
	}
	hs := &h1.Server{Handler: h, TLSConfig: cfg, EventLoop: Front() == "loop", H2C: true}
	go func() { _ = hs.Serve(ln) }()
	s.close = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = hs.Close()
	}
	return s
}

// Close stops the server and closes its connections (hijacked ones are
// the handler's).
func (s *Server) Close() { s.close() }
