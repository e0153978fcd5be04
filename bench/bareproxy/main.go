// Command bareproxy is the REST benchmark's reference column: a bare
// net/http/httputil.ReverseProxy to one backend, with the same transport
// pool sizes as tollgate's, and nothing else (no routing, no policy, no
// metrics). It answers "what does Go's own proxy cost here", so that the
// table shows what tollgate adds on top of it.
//
//	bareproxy -listen 127.0.0.1:8081 -backend http://127.0.0.1:9002
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address (loopback)")
	backend := flag.String("backend", "http://127.0.0.1:9002", "backend base URL")
	flag.Parse()
	u, err := url.Parse(*backend)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareproxy:", err)
		os.Exit(2)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.SetXForwarded() },
		Transport: tr,
	}
	srv := &http.Server{Addr: *listen, Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "bareproxy:", err)
		os.Exit(1)
	}
}
