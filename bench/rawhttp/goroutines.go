//go:build linux

package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"tollgate/gateway/h1"
	"tollgate/gateway/upstream"
)

// serveGoroutines is the same probe on tollgate's own goroutine-per-
// connection pieces (-goroutines): its HTTP/1.1 front server (gateway/h1)
// and its backend client (gateway/upstream), with nothing between them
// either. Against the event-loop probe, it measures what the goroutine
// model costs; against tollgate's column, what the gateway's own work
// (routing, policies, headers, metrics) costs.
//
// With -loops the same front server runs its connections on epoll event
// loops instead (h1.Server.EventLoop), the backend client then using each
// loop's own connections: the pieces tollgate's event-loop front is made
// of, with nothing between them.
func serveGoroutines(listen, backend string, loops bool) error {
	tr := &upstream.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	bufs := sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := &http.Request{
			Method: r.Method, URL: &url.URL{Scheme: "http", Host: backend, Path: r.URL.Path, RawQuery: r.URL.RawQuery},
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: r.Header, Host: r.Host, Body: r.Body, ContentLength: r.ContentLength,
		}
		if out.ContentLength == 0 {
			out.Body = nil
		}
		res, err := tr.RoundTrip(out.WithContext(r.Context()))
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		for k, vv := range res.Header {
			w.Header()[k] = vv
		}
		w.WriteHeader(res.StatusCode)
		bp := bufs.Get().(*[]byte)
		_, _ = io.CopyBuffer(w, res.Body, *bp)
		bufs.Put(bp)
	})
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	return (&h1.Server{Handler: h, EventLoop: loops}).Serve(ln)
}
