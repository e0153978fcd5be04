// Command signalr-chat is the backend of tollgate's SignalR chat sample: one
// program that plays both Azure parts of the article — the Chat App (web app
// with the Azure SignalR SDK's negotiate redirect and the chat page) and the
// Azure SignalR Service (client negotiate and the WebSocket hub endpoint).
// See README.md and package chatsvc.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/samples/signalr-chat/chatsvc"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "signalr-chat:", err)
		os.Exit(1)
	}
}

type options struct {
	appListen, serviceListen, serviceURL, accessKey, hub string
	nodeModules, pageHubURL, logLevel                    string
	idTTL, keepAlive, clientTimeout, handshakeTimeout    time.Duration
	tokenLifetime                                        time.Duration
	sendQueue                                            int
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("signalr-chat", flag.ContinueOnError)
	fs.StringVar(&o.appListen, "app-listen", "127.0.0.1:5000", "address of the Chat App (negotiate redirect and chat page)")
	fs.StringVar(&o.serviceListen, "service-listen", "127.0.0.1:5001", "address of the SignalR Service emulation")
	fs.StringVar(&o.serviceURL, "service-url", "", "public base URL of the service as clients see it (default http://<service-listen>)")
	fs.StringVar(&o.accessKey, "access-key", chatsvc.DevAccessKey, fmt.Sprintf("access key signing client tokens (HS256, UTF-8 bytes; at least %d bytes; default: the SignalR emulator's dev key); env SIGNALR_ACCESS_KEY", chatsvc.MinAccessKeyLength))
	fs.StringVar(&o.hub, "hub", chatsvc.DefaultHub, "hub name")
	fs.DurationVar(&o.idTTL, "id-ttl", chatsvc.DefaultIDTTL, "lifetime of a negotiated connection id (single use)")
	fs.DurationVar(&o.keepAlive, "keepalive", chatsvc.DefaultKeepAliveInterval, "server Ping after this much send-idle time")
	fs.DurationVar(&o.clientTimeout, "client-timeout", chatsvc.DefaultClientTimeout, "drop clients silent for this long")
	fs.DurationVar(&o.handshakeTimeout, "handshake-timeout", chatsvc.DefaultHandshakeTimeout, "close connections without a handshake after this long")
	fs.DurationVar(&o.tokenLifetime, "token-lifetime", chatsvc.DefaultTokenLifetime, "lifetime of access tokens minted by the app")
	fs.IntVar(&o.sendQueue, "send-queue", chatsvc.DefaultSendQueue, "per-connection send queue length; a client whose queue overflows is dropped")
	fs.StringVar(&o.nodeModules, "node-modules", "", "node_modules folder holding @microsoft/signalr (default: ./node_modules or ./samples/signalr-chat/node_modules, whichever has it)")
	fs.StringVar(&o.pageHubURL, "page-hub-url", chatsvc.DefaultPageHubURL, "hub URL the chat page connects to (the page's ?hub= overrides it)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	explicitKey := false
	fs.Visit(func(f *flag.Flag) { explicitKey = explicitKey || f.Name == "access-key" })
	if k := os.Getenv("SIGNALR_ACCESS_KEY"); k != "" && !explicitKey {
		o.accessKey = k
	}
	return o, nil
}

// findNodeModules returns the first candidate holding the SignalR browser
// build, or "".
func findNodeModules() string {
	for _, dir := range []string{"node_modules", filepath.Join("samples", "signalr-chat", "node_modules")} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(chatsvc.SignalRBrowserPath))); err == nil {
			if abs, err := filepath.Abs(dir); err == nil {
				return abs
			}
			return dir
		}
	}
	return ""
}

func newLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = true
	cfg.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	return cfg.Build()
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	// Listen first so that ":0" works and the default service URL names the
	// real port.
	svcLn, err := net.Listen("tcp", o.serviceListen)
	if err != nil {
		return err
	}
	appLn, err := net.Listen("tcp", o.appListen)
	if err != nil {
		_ = svcLn.Close()
		return err
	}
	if o.serviceURL == "" {
		o.serviceURL = "http://" + svcLn.Addr().String()
	}
	if o.nodeModules == "" {
		o.nodeModules = findNodeModules()
	}
	if o.nodeModules == "" {
		log.Warn("@microsoft/signalr not found: the chat page will not work; run `npm ci` in samples/signalr-chat or pass --node-modules")
	}
	cfg := chatsvc.Config{
		AccessKey:         o.accessKey,
		ServiceURL:        o.serviceURL,
		Hub:               o.hub,
		IDTTL:             o.idTTL,
		KeepAliveInterval: o.keepAlive,
		ClientTimeout:     o.clientTimeout,
		HandshakeTimeout:  o.handshakeTimeout,
		TokenLifetime:     o.tokenLifetime,
		SendQueue:         o.sendQueue,
		NodeModulesDir:    o.nodeModules,
		PageHubURL:        o.pageHubURL,
		Logger:            log,
	}
	if err := cfg.Validate(); err != nil {
		_ = svcLn.Close()
		_ = appLn.Close()
		return err
	}
	svc := chatsvc.NewService(cfg)
	svcSrv := &http.Server{Handler: svc, ReadHeaderTimeout: 10 * time.Second}
	appSrv := &http.Server{Handler: chatsvc.NewApp(cfg), ReadHeaderTimeout: 10 * time.Second}

	errc := make(chan error, 2)
	go func() { errc <- svcSrv.Serve(svcLn) }()
	go func() { errc <- appSrv.Serve(appLn) }()
	log.Info("signalr service listening", zap.String("addr", svcLn.Addr().String()), zap.String("serviceURL", o.serviceURL), zap.String("hub", o.hub))
	log.Info("chat app listening", zap.String("addr", appLn.Addr().String()),
		zap.String("negotiate", "http://"+appLn.Addr().String()+"/"+o.hub+"/negotiate"),
		zap.String("page", "http://"+appLn.Addr().String()+"/"), zap.String("pageHubURL", o.pageHubURL))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("signal received, shutting down")
	case serveErr = <-errc:
		log.Error("server stopped", zap.Error(serveErr))
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = svc.Shutdown(sctx)
	_ = svcSrv.Shutdown(sctx)
	_ = appSrv.Shutdown(sctx)
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}
