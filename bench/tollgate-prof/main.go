// Command tollgate-prof is `tollgate serve` for profiling: the same
// gateway.New setup as cmd/tollgate (memory store, warn-level logs, no admin
// listener, no watcher) plus net/http/pprof on a separate loopback address.
// bench/run uses it with -pprof; it is not for production.
//
//	tollgate-prof --apis bench/apis --listen 127.0.0.1:8080 --pprof 127.0.0.1:6060
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/gateway/h1"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
	"tollgate/store"
)

func main() {
	apis := flag.String("apis", "bench/apis", "apis folder")
	listen := flag.String("listen", "127.0.0.1:8080", "API traffic address")
	pp := flag.String("pprof", "127.0.0.1:6060", "pprof address")
	mutex := flag.Int("mutex-fraction", 0, "runtime.SetMutexProfileFraction")
	dataPath := flag.String("ws-data-path", "auto", "WebSocket data path (as tollgate serve --ws-data-path)")
	front := flag.String("http-server", envOr("TOLLGATE_HTTP_SERVER", "loop"), "front server (as tollgate serve --http-server): loop, tollgate or nethttp")
	flag.Parse()
	relayer, err := wsproxy.NewRelayer(*dataPath)
	if err != nil {
		fatal(err)
	}
	runtime.SetMutexProfileFraction(*mutex)

	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
	log, err := cfg.Build()
	if err != nil {
		fatal(err)
	}
	metrics := gateway.NewMetrics()
	st := store.NewMemory()
	reg := policies.Registry(policies.Deps{Store: st, Log: log.Named("policy")})
	srv, err := gateway.New(gateway.Options{
		Dir: *apis, Registry: reg, Log: log, Metrics: metrics,
		Deployment: &engine.Deployment{GatewayId: "bench", ServiceName: "tollgate"},
		Relayer:    relayer,
	})
	if err != nil {
		fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	pln, err := net.Listen("tcp", *pp)
	if err != nil {
		fatal(err)
	}
	go func() { _ = http.Serve(pln, mux) }()
	var hs h1.Front = &h1.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, EventLoop: *front == "loop"}
	if *front == "nethttp" {
		hs = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = hs.Close()
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		fatal(err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "tollgate-prof:", err)
	os.Exit(1)
}
