// Command tollgate is a self-hosted API gateway with APIM-style policies.
//
//	tollgate serve [--apis DIR] [--listen ADDR] [--admin ADDR] ...
//	tollgate check [--explain] [--subscription-keys FILE] [DIR]
//	tollgate subscription create|list|regenerate|suspend|activate ...
//	tollgate version
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/gateway/console"
	"tollgate/gateway/h1"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
	"tollgate/store"
)

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "subscription":
		return subscription(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "tollgate", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "tollgate: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  tollgate serve [flags]   serve every API in the apis folder (see tollgate serve -h)
  tollgate check [--explain] [--subscription-keys FILE] [DIR]
                           validate an apis folder; prints file:line:col: message per problem;
                           --explain also prints, per expression, its language (C# or expr) and program
  tollgate subscription create|list|regenerate|suspend|activate
                           manage a running gateway's subscriptions through its admin API
  tollgate version
`)
}

// envDefault gives a flag its TOLLGATE_* environment value as default.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv("TOLLGATE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

// splitList splits a comma-separated flag value ("" gives nil).
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// deployment is context.Deployment: this gateway (a self-hosted one, not
// managed) and the certificates of --certificates by thumbprint.
func deployment(host, serviceName, serviceID string, certs []policies.NamedCertificate) *engine.Deployment {
	d := &engine.Deployment{GatewayId: host, ServiceName: serviceName, ServiceId: serviceID,
		Gateway: &engine.GatewayInfo{Id: host, InstanceId: host}, Certificates: map[string]*engine.Certificate{}}
	for _, nc := range certs {
		if nc.Cert.Leaf == nil && len(nc.Cert.Certificate) > 0 {
			leaf, err := x509.ParseCertificate(nc.Cert.Certificate[0])
			if err != nil {
				continue
			}
			nc.Cert.Leaf = leaf
		}
		if nc.Cert.Leaf != nil {
			c := engine.NewCertificateWithKey([]*x509.Certificate{nc.Cert.Leaf}, nc.Cert.PrivateKey)
			d.Certificates[c.Thumbprint] = c
		}
	}
	return d
}

// daprDefault is where the Dapr sidecar listens: DAPR_HTTP_PORT, which
// Dapr sets in the containers of its pods, else Dapr's default port.
func daprDefault(getenv func(string) string) string {
	if p := getenv("DAPR_HTTP_PORT"); p != "" {
		return "http://localhost:" + p
	}
	return policies.DefaultDaprURL
}

type serveFlags struct {
	apis, listen, admin, logLevel, logFormat, redis string
	adminToken                                      string
	tlsCert, tlsKey, tlsClientCA, certificates      string
	loggers                                         string
	subscriptionKeys, overrides, namedValues        string
	identities                                      string // --identities
	credentialsState                                string // --credentials-state
	gateway                                         string // --gateway
	workspaces                                      string // --workspace
	serviceName, serviceID                          string // --service-name, --service-id
	daprURL                                         string
	subscriptionsFailOpen                           bool
	drain, storeTimeout, headerTimeout              time.Duration
	maxPendingBodies                                int
	eventLoops                                      int // --event-loops (0: GOMAXPROCS)
	wsEventLoops                                    int // --ws-event-loops (0: GOMAXPROCS)
	cacheMiB                                        int // --cache-mib: the in-process cache's budget
	watch                                           bool
	wsDataPath                                      string
	relayer                                         wsproxy.Relayer
	httpServer, backendTransport                    string
	gcPercent                                       int  // debug.SetGCPercent's argument (-1: off)
	gcSet                                           bool // --gc-percent or its variable was given
	gcFloor                                         int  // --gc-heap-floor, MiB
}

func parseServe(args []string, stderr io.Writer) (*serveFlags, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &serveFlags{}
	str := func(p *string, name, def, help string) {
		fs.StringVar(p, name, envDefault(name, def), help+" (env TOLLGATE_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+")")
	}
	str(&f.apis, "apis", "apis", "folder of API definitions")
	str(&f.listen, "listen", ":8080", "address for API traffic")
	str(&f.admin, "admin", "127.0.0.1:9090", "address for the console (/console), /healthz, /readyz, /metrics, /status/reload (empty: off)")
	str(&f.adminToken, "admin-token", "", "token the admin listener requires (needed when --admin is not a loopback address; prefer the env variable)")
	str(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	str(&f.logFormat, "log-format", "console", "console or json")
	str(&f.redis, "redis", "", "redis://host:port/db to share limits and caches across replicas (empty: in memory)")
	str(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) to serve https/wss on --listen; reloaded when the file changes")
	str(&f.tlsKey, "tls-key", "", "PEM private key for --tls-cert")
	str(&f.tlsClientCA, "tls-client-ca", "", "PEM roots validate-client-certificate trusts (empty: the system's)")
	str(&f.loggers, "loggers", "", "loggers file: the sinks log-to-eventhub's logger-id names (file, stdout, http, eventhub)")
	str(&f.gateway, "gateway", "", "serve as the APIOps gateway resource gateways/NAME/ of the apis folder: only the APIs assigned to it (apis.json)")
	str(&f.workspaces, "workspace", "", "serve as the gateway of the APIOps workspace workspaces/NAME/ of the apis folder (comma-separated: several): only its APIs")
	str(&f.serviceName, "service-name", "tollgate", "context.Deployment.ServiceName in policy expressions (an APIM user's service name, for policies that read it)")
	str(&f.serviceID, "service-id", "", "context.Deployment.ServiceId in policy expressions (APIM's service resource ID, for policies that read it; empty by default)")
	str(&f.certificates, "certificates", "", "folder of NAME.pem files (certificate and key) for authentication-certificate")
	str(&f.overrides, "apiops-config", "", "APIOps publisher configuration file (configuration.prod.yaml) applied over the apis folder")
	str(&f.namedValues, "named-values", "", "JSON file {\"name\": \"value\"} with the values of APIOps named values that are not in the folder (secrets)")
	str(&f.identities, "identities", "", "JSON file {\"CLIENT-ID\": {\"tokenUrl\", \"clientId\", \"clientSecret\"}}: the OAuth2 clients behind authentication-managed-identity client-id=\"…\" (secrets)")
	str(&f.credentialsState, "credentials-state", "", "file (created 0600) that keeps the consented credential manager connections' tokens across restarts; memory store only (with --redis they live in Redis)")
	str(&f.subscriptionKeys, "subscription-keys", "", "JSON file with the keys of the apis folder's subscriptions (subscriptions/NAME/)")
	str(&f.daprURL, "dapr-url", daprDefault(os.Getenv), "the Dapr sidecar's HTTP API, which publish-to-dapr, invoke-dapr-binding and set-backend-service backend-id=\"dapr\" call (default: http://localhost:$DAPR_HTTP_PORT, else "+policies.DefaultDaprURL+")")
	var drain, storeTimeout, watch, subsFailOpen, headerTimeout, maxPending, gcPercent, gcFloor, eventLoops, wsEventLoops, cacheMiB string
	str(&gcPercent, "gc-percent", "200", "Go garbage collector target: a collection starts when the heap has grown by this percent of what the last one left (off: never); higher costs less CPU per request and more memory. Default 200, unless the GOGC variable is set")
	str(&gcFloor, "gc-heap-floor", "32", "MiB the heap may reach before a garbage collection, however little is live (above it, --gc-percent alone paces the collector): fewer collections per request under load, for up to that much memory held; 0: none")
	str(&subsFailOpen, "subscriptions-fail-open", "false", "when the subscription store fails: true serves a request with a key without its subscription, false answers 503")
	str(&drain, "drain-timeout", "30s", "how long shutdown waits for open connections")
	str(&headerTimeout, "header-timeout", "10s", "how long a client may take to send a request's headers")
	str(&maxPending, "max-pending-bodies", "256", "HTTP request bodies arriving at once; one more expires the oldest (408)")
	str(&storeTimeout, "store-timeout", store.DefaultRedisTimeout.String(), "bound on one limit/cache store call (Redis)")
	str(&watch, "watch", "true", "reload when files in the apis folder change")
	str(&f.backendTransport, "backend-transport", gateway.BackendUpstream, "client of REST backends and send-request call-outs: upstream (synchronous, pooled HTTP/1.1) or nethttp (Go's http.Transport)")
	str(&f.httpServer, "http-server", "loop", "front HTTP server: loop (tollgate's own HTTP/1.1 server on epoll event loops: Linux, cleartext listeners, else a goroutine per connection; h2 over TLS goes to net/http), tollgate (the same server with a goroutine per connection everywhere) or nethttp (Go's net/http for everything); see docs/http-server.md")
	str(&cacheMiB, "cache-mib", "1024", "MiB the in-process cache (cache-store, cache-store-value, the semantic cache) may hold; past it, expired entries go first, then others (with --redis, Redis's maxmemory bounds it instead)")
	str(&eventLoops, "event-loops", "0", "with --http-server=loop (the default): how many event loops serve connections (0: one per GOMAXPROCS, at most 8)")
	str(&wsEventLoops, "ws-event-loops", "0", "with --ws-data-path eventloop (the default on Linux): how many event loops relay WebSocket frames (0: one per GOMAXPROCS, at most 8)")
	str(&f.wsDataPath, "ws-data-path", "auto", "WebSocket data path: auto, "+strings.Join(wsproxy.Relayers(), " or ")+" (auto: "+wsproxy.Relayers()[0]+")")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if f.gcPercent, err = parseGCPercent(gcPercent); err != nil {
		return nil, err
	}
	if f.gcFloor, err = strconv.Atoi(gcFloor); err != nil || f.gcFloor < 0 || f.gcFloor > 4096 {
		return nil, fmt.Errorf("--gc-heap-floor must be a whole number of MiB from 0 to 4096, not %q", gcFloor)
	}
	if u, perr := url.Parse(f.daprURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("--dapr-url must be an http:// or https:// URL such as %s, not %q", policies.DefaultDaprURL, f.daprURL)
	}
	_, f.gcSet = os.LookupEnv("TOLLGATE_GC_PERCENT")
	fs.Visit(func(fl *flag.Flag) { f.gcSet = f.gcSet || fl.Name == "gc-percent" })
	if f.drain, err = time.ParseDuration(drain); err != nil {
		return nil, fmt.Errorf("--drain-timeout: %w", err)
	}
	if f.storeTimeout, err = time.ParseDuration(storeTimeout); err != nil {
		return nil, fmt.Errorf("--store-timeout: %w", err)
	}
	if f.headerTimeout, err = time.ParseDuration(headerTimeout); err != nil || f.headerTimeout <= 0 {
		return nil, fmt.Errorf("--header-timeout must be a positive duration, not %q", headerTimeout)
	}
	if f.cacheMiB, err = strconv.Atoi(cacheMiB); err != nil || f.cacheMiB < 1 || f.cacheMiB > 1<<20 {
		return nil, fmt.Errorf("--cache-mib must be a whole number of MiB from 1 to 1048576, not %q", cacheMiB)
	}
	if f.eventLoops, err = strconv.Atoi(eventLoops); err != nil || f.eventLoops < 0 || f.eventLoops > 64 {
		return nil, fmt.Errorf("--event-loops must be a whole number from 0 to 64, not %q", eventLoops)
	}
	if f.maxPendingBodies, err = strconv.Atoi(maxPending); err != nil || f.maxPendingBodies < 1 {
		return nil, fmt.Errorf("--max-pending-bodies must be a whole number of at least 1, not %q", maxPending)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if f.gateway != "" && f.workspaces != "" {
		return nil, fmt.Errorf("--gateway and --workspace do not go together: in APIM a workspace is not served by a self-hosted gateway resource")
	}
	if f.admin != "" && f.adminToken == "" && !console.IsLoopback(f.admin) {
		return nil, fmt.Errorf("--admin %s is not a loopback address: set --admin-token (or TOLLGATE_ADMIN_TOKEN) too", f.admin)
	}
	if f.backendTransport != gateway.BackendUpstream && f.backendTransport != gateway.BackendNetHTTP {
		return nil, fmt.Errorf("--backend-transport must be %s or %s, not %q", gateway.BackendUpstream, gateway.BackendNetHTTP, f.backendTransport)
	}
	if f.httpServer != "tollgate" && f.httpServer != "loop" && f.httpServer != "nethttp" {
		return nil, fmt.Errorf("--http-server must be tollgate, loop or nethttp, not %q", f.httpServer)
	}
	if f.wsEventLoops, err = strconv.Atoi(wsEventLoops); err != nil || f.wsEventLoops < 0 || f.wsEventLoops > 64 {
		return nil, fmt.Errorf("--ws-event-loops must be a whole number from 0 to 64, not %q", wsEventLoops)
	}
	if err := wsproxy.SetEventLoops(f.wsEventLoops); err != nil {
		return nil, fmt.Errorf("--ws-event-loops: %w", err)
	}
	if f.relayer, err = wsproxy.NewRelayer(f.wsDataPath); err != nil {
		return nil, fmt.Errorf("--ws-data-path: %w", err)
	}
	if f.storeTimeout <= 0 {
		return nil, fmt.Errorf("--store-timeout must be positive, not %s", storeTimeout)
	}
	if f.drain <= 0 {
		return nil, fmt.Errorf("--drain-timeout must be positive, not %s", drain)
	}
	switch subsFailOpen {
	case "true", "1", "yes":
		f.subscriptionsFailOpen = true
	case "false", "0", "no":
	default:
		return nil, fmt.Errorf("--subscriptions-fail-open must be true or false, not %q", subsFailOpen)
	}
	switch watch {
	case "true", "1", "yes":
		f.watch = true
	case "false", "0", "no":
	default:
		return nil, fmt.Errorf("--watch must be true or false, not %q", watch)
	}
	return f, nil
}

// parseGCPercent reads --gc-percent: "off" or a whole number from 10 up.
func parseGCPercent(s string) (int, error) {
	if s == "off" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 10 {
		return 0, fmt.Errorf("--gc-percent must be off or a whole number of at least 10, not %q", s)
	}
	return n, nil
}

// setGC applies --gc-percent: its default gives way to a GOGC the
// operator set for the Go runtime; an explicit --gc-percent does not.
func setGC(f *serveFlags) {
	percent := f.gcPercent
	if _, ok := os.LookupEnv("GOGC"); ok && !f.gcSet {
		percent = debug.SetGCPercent(100)
	}
	debug.SetGCPercent(percent)
	gcFloor.set(uint64(f.gcFloor)<<20, percent)
}

func newLogger(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.Development = false
	default:
		return nil, fmt.Errorf("--log-format must be console or json, not %q", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = true
	return cfg.Build()
}

func serve(args []string, stderr io.Writer) int {
	f, err := parseServe(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "tollgate serve:", err)
		return 2
	}
	log, err := newLogger(f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate serve:", err)
		return 2
	}
	defer log.Sync()
	setGC(f)

	metrics := gateway.NewMetrics()
	var st store.Store = store.NewMemory(store.WithCacheBytes(int64(f.cacheMiB) << 20))
	var subs store.Subscriptions = store.NewMemorySubscriptions()
	if f.redis != "" {
		redis.SetLogger(redisLog{log.Named("redis").Sugar()})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// The store bounds its own calls: --store-timeout goes to it alone
		// (the in-process store never waits).
		rs, err := store.NewRedis(ctx, f.redis, store.RedisOptions{Timeout: f.storeTimeout, Lazy: true})
		cancel()
		if err != nil { // a bad URL; an unreachable Redis is not an error (Lazy)
			log.Error("cannot use redis", zap.String("redis", engine.RedactURL(f.redis)), zap.Error(err))
			return 1
		}
		st = rs
		subs = store.NewRedisSubscriptions(rs) // replicas share subscriptions too
		if perr := rs.Ping(context.Background()); perr != nil {
			log.Warn("redis does not answer yet: limit policies fail open (or closed, with fail-open=\"false\") until it does",
				zap.String("redis", engine.RedactURL(f.redis)), zap.Error(perr))
		} else {
			log.Info("limits and caches are shared through redis", zap.String("redis", engine.RedactURL(f.redis)))
		}
	}
	defer st.Close()
	host, _ := os.Hostname()
	// Policies log too (trace, store failures): their logger masks secret
	// named values like the gateway's own, once the server exists.
	mask := &gateway.SecretMask{}
	clientCAs, err := loadClientCAs(f.tlsClientCA)
	if err != nil {
		log.Error("cannot use --tls-client-ca", zap.Error(err))
		return 1
	}
	var backendCerts []policies.NamedCertificate
	if f.certificates != "" {
		if backendCerts, err = policies.LoadCertificateDir(f.certificates); err != nil {
			log.Error("cannot use --certificates", zap.Error(err))
			return 1
		}
	}
	wantClientCerts := &atomic.Bool{}
	oneWayDropped, err := metrics.Counter("tollgate_send_one_way_dropped_total", "send-one-way-request calls dropped because the queue was full.", nil)
	if err != nil {
		log.Error("metrics", zap.Error(err))
		return 1
	}
	var loggers *policies.Loggers
	if f.loggers != "" {
		if loggers, err = policies.LoadLoggers(f.loggers, metrics, mask.Wrap(log).Named("logger")); err != nil {
			var el engine.ErrorList
			if errors.As(err, &el) {
				for _, e := range el {
					fmt.Fprintln(stderr, e.Error())
				}
			}
			log.Error("cannot use --loggers", zap.Error(err))
			return 1
		}
	} else if loggers, err = policies.NewLoggers(metrics, mask.Wrap(log).Named("logger")); err != nil { // the folder's APIOps loggers only
		log.Error("metrics", zap.Error(err))
		return 1
	}
	defer loggers.Close() // after the server has drained: flushes what is buffered
	// OpenTelemetry, when the OTEL_* environment asks for it: spans for
	// requests, backends and call-outs (the send-request client's
	// transport is wrapped so call-outs carry the trace context).
	tel, err := gateway.NewTelemetry(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate serve:", err)
		return 2
	}
	if tel != nil {
		log.Info("OpenTelemetry tracing on (OTLP)")
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tel.Shutdown(ctx); err != nil {
				log.Warn("OpenTelemetry: spans still queued were dropped", zap.Error(err))
			}
		}()
	}
	callouts, err := gateway.NewCalloutClient(f.backendTransport) // send-request's client: --backend-transport's too
	if err != nil {
		fmt.Fprintln(stderr, "tollgate serve:", err)
		return 2
	}
	callouts.Transport = tel.WrapTransport(callouts.Transport)
	ids, err := identities(f.identities)
	if err != nil {
		fmt.Fprintln(stderr, "tollgate serve:", err)
		return 2
	}
	backends := new(policies.LateBackends) // llm-content-safety's backend-id: the server's backends, once it exists
	// The credential manager (get-authorization-context): its tokens and
	// consent flows live in the store, shared by replicas with --redis.
	creds := policies.NewCredentials(policies.CredentialsOptions{Store: st, HTTPClient: callouts,
		Log: mask.Wrap(log).Named("credentials"), Identity: gatewayIdentity()})
	if f.credentialsState != "" {
		if err := creds.UseStateFile(f.credentialsState); err != nil {
			fmt.Fprintln(stderr, "tollgate serve: --credentials-state:", err)
			return 2
		}
	}
	reg := policies.Registry(policies.Deps{
		Credentials:        creds,
		Backends:           backends,
		HTTPClient:         callouts,
		Loggers:            loggers,
		Metrics:            metrics,
		OnOneWayDropped:    func() { oneWayDropped(1) },
		Certificates:       backendCerts,
		ClientCAs:          clientCAs,
		ClientCertificates: wantClientCerts,
		Store:              st,
		Log:                mask.Wrap(log).Named("policy"),
		OnStoreError:       func(policy string, err error) { metrics.StoreErrors.WithLabelValues(policy).Inc() },
		Identities:         ids,
		DaprURL:            f.daprURL,
	})
	srv, err := gateway.New(gateway.Options{
		Dir: f.apis, Registry: reg, Log: log, Metrics: metrics,
		Subscriptions: subs, SubscriptionKeys: f.subscriptionKeys, SubscriptionsFailOpen: f.subscriptionsFailOpen,
		Overrides: f.overrides, NamedValuesFile: f.namedValues, Store: st,
		Deployment:       deployment(host, f.serviceName, f.serviceID, backendCerts),
		Certificates:     backendCerts,
		Telemetry:        tel,
		MaxPendingBodies: f.maxPendingBodies,
		Relayer:          f.relayer,
		BackendTransport: f.backendTransport,
		Loggers:          loggers,
		Gateway:          f.gateway,
		Workspaces:       splitList(f.workspaces),
		KeyVault:         policies.NewKeyVault(ids, callouts, log.Named("keyvault")),
		Credentials:      creds,
	})
	if err != nil {
		var el engine.ErrorList
		if errors.As(err, &el) {
			for _, e := range el {
				fmt.Fprintln(stderr, e.Error())
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		log.Error("the configuration does not load; not starting", zap.String("apis", f.apis))
		return 1
	}
	mask.Bind(srv)
	backends.Set(srv)

	// No TCP keepalive on accepted connections: WebSocket sessions are
	// pinged by the relay, and idle HTTP connections end after IdleTimeout.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", f.listen)
	if err != nil {
		log.Error("cannot listen", zap.String("listen", f.listen), zap.Error(err))
		return 1
	}
	errc := make(chan error, 2)
	var tlsConf *tls.Config
	if f.tlsCert != "" {
		certs, err := newCertReloader(f.tlsCert, f.tlsKey, func(err error) {
			log.Error("cannot load the rotated TLS certificate; still serving the previous one", zap.Error(err))
		})
		if err != nil {
			log.Error("cannot serve TLS", zap.Error(err))
			return 1
		}
		tlsConf = certs.tlsConfig(wantClientCerts)
		log.Info("serving TLS", zap.String("cert", f.tlsCert))
	}
	httpSrv := frontServer(f, srv, tlsConf, zap.NewStdLog(log.Named("http")))
	if f.httpServer == "nethttp" && tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("serving", zap.String("listen", ln.Addr().String()), zap.String("apis", f.apis), zap.String("version", version),
		zap.String("ws_data_path", f.relayer.Name()), zap.String("http_server", f.httpServer))

	var adminSrv *http.Server
	if f.admin != "" {
		aln, err := net.Listen("tcp", f.admin)
		if err != nil {
			log.Error("cannot listen (admin)", zap.String("admin", f.admin), zap.Error(err))
			return 1
		}
		h, closeConsole := adminHandler(srv, f.adminToken, ln.Addr(), f.tlsCert != "", log)
		defer closeConsole()
		adminSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- adminSrv.Serve(aln) }()
		log.Info("admin", zap.String("listen", aln.Addr().String()))
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if f.watch {
		w, err := gateway.Watch(ctx, srv, f.apis, log.Named("watch"))
		if err != nil {
			log.Warn("cannot watch the apis folder; reload with SIGHUP", zap.Error(err))
		} else {
			defer w.Close()
		}
	}

	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for {
		select {
		case err := <-errc:
			log.Error("server stopped", zap.Error(err))
			return 1
		case s := <-sig:
			if s == syscall.SIGHUP {
				srv.Reload("SIGHUP")
				continue
			}
			log.Info("shutting down: closing sessions with 1001", zap.String("signal", s.String()), zap.Duration("drain_timeout", f.drain))
			dctx, cancel := context.WithTimeout(context.Background(), f.drain)
			httpSrv.SetKeepAlivesEnabled(false)
			_ = ln.Close()
			if err := srv.Shutdown(dctx); err != nil {
				log.Warn("drain timed out; closing what is left", zap.Error(err))
			}
			_ = httpSrv.Shutdown(dctx)
			cancel()
			if adminSrv != nil {
				_ = adminSrv.Close()
			}
			log.Info("stopped")
			return 0
		}
	}
}

// frontServer is the server clients talk to: tollgate's own HTTP/1.1
// server (gateway/h1; on its event loops with --http-server=loop), or
// net/http's with --http-server=nethttp. All serve
// the gateway's handler, over TLS when tlsConf is set (net/http's through
// the listener the caller wraps).
//
// Every one serves HTTP/2 too: over TLS (ALPN h2) and, on a cleartext
// listener, with prior knowledge (h2c: the connection opens with the
// HTTP/2 preface), so that gRPC clients reach gRPC APIs without TLS.
func frontServer(f *serveFlags, h http.Handler, tlsConf *tls.Config, errLog *stdlog.Logger) h1.Front {
	if f.httpServer == "nethttp" {
		p := new(http.Protocols)
		p.SetHTTP1(true)
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		return &http.Server{Handler: h, ReadHeaderTimeout: f.headerTimeout, IdleTimeout: 2 * time.Minute,
			ErrorLog: errLog, TLSConfig: tlsConf, Protocols: p}
	}
	return &h1.Server{Handler: h, ReadHeaderTimeout: f.headerTimeout, IdleTimeout: 2 * time.Minute,
		ErrorLog: errLog, TLSConfig: tlsConf, EventLoop: f.httpServer == "loop", Loops: f.eventLoops, H2C: true}
}

// redisLog sends go-redis's own messages (reconnects, pool errors) to zap.
type redisLog struct{ l *zap.SugaredLogger }

func (r redisLog) Printf(_ context.Context, format string, v ...any) { r.l.Warnf(format, v...) }

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	explain := fs.Bool("explain", false, "also print, per expression, its language (C# or expr) and the program it runs")
	keys := fs.String("subscription-keys", envDefault("subscription-keys", ""), "JSON file with the keys of the folder's subscriptions")
	overrides := fs.String("apiops-config", envDefault("apiops-config", ""), "APIOps publisher configuration file applied over the folder")
	values := fs.String("named-values", envDefault("named-values", ""), "JSON file with the values of APIOps named values that are not in the folder")
	idFile := fs.String("identities", envDefault("identities", ""), "JSON file with the OAuth2 clients behind authentication-managed-identity client-id")
	certDir := fs.String("certificates", envDefault("certificates", ""), "folder of NAME.pem files (certificate and key), as for serve: authentication-certificate and validate-jwt's <key certificate-id>")
	gw := fs.String("gateway", envDefault("gateway", ""), "check as the APIOps gateway resource gateways/NAME/: list only the APIs assigned to it")
	wsp := fs.String("workspace", envDefault("workspace", ""), "check as the gateway of the APIOps workspace workspaces/NAME/ (comma-separated: several): list only its APIs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	dir := "apis"
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "usage: tollgate check [--explain] [--subscription-keys FILE] [--apiops-config FILE] [--named-values FILE] [--identities FILE] [--certificates DIR] [--gateway NAME | --workspace NAME] [DIR]")
		return 2
	}
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	if *gw != "" && *wsp != "" {
		fmt.Fprintln(stderr, "--gateway and --workspace do not go together: in APIM a workspace is not served by a self-hosted gateway resource")
		return 2
	}
	var loggers *policies.Loggers
	if path := os.Getenv("TOLLGATE_LOGGERS"); path != "" {
		var err error
		if loggers, err = policies.CheckLoggers(path); err != nil {
			fmt.Fprintln(stdout, err.Error())
			return 1
		}
	} else {
		loggers, _ = policies.NewLoggers(nil, nil) // the folder's: checked, never started
	}
	ids, err := identities(*idFile)
	if err != nil {
		fmt.Fprintln(stdout, err.Error())
		return 1
	}
	var certs []policies.NamedCertificate
	if *certDir != "" {
		if certs, err = policies.LoadCertificateDir(*certDir); err != nil {
			fmt.Fprintln(stdout, "--certificates: "+err.Error())
			return 1
		}
	}
	reg := policies.Registry(policies.Deps{Store: store.NewMemory(), Identities: ids, Metrics: gateway.NewMetrics(), Loggers: loggers, Certificates: certs})
	lo := gateway.LoadOptions{SubscriptionKeys: *keys, Overrides: *overrides, NamedValuesFile: *values, Loggers: loggers, Gateway: *gw, Workspaces: splitList(*wsp),
		KeyVault: policies.NewKeyVault(ids, nil, nil)}
	if *explain {
		lo.Explain = func(e engine.Explanation) { fmt.Fprint(stdout, e.String()) }
	}
	lo.Certificates = certs
	snap, errs := gateway.Load(dir, reg, lo)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stdout, e.Error())
		}
		fmt.Fprintf(stderr, "%d problem(s)\n", len(errs))
		return 1
	}
	secrets := snap.Secrets()
	for _, n := range snap.Notices {
		fmt.Fprintln(stdout, n)
	}
	for _, a := range snap.APIs {
		// A secret named value may sit in a query parameter RedactURL does
		// not know (?x-key={{key}}): mask it too.
		u := engine.Mask(engine.RedactURL(a.ServiceURLText()), secrets)
		if t := a.MCPTarget(); t != "" {
			u = engine.Mask(t, secrets) // an MCP server (docs/mcp.md)
		} else if g := a.SyntheticGraphQL(); g != "" {
			u = g // docs/graphql.md
		} else if r := a.GraphQLResolvers(); r != "" {
			u += " " + r // a pass-through GraphQL API with resolvers (docs/graphql.md)
		} else if u == "" {
			u = "(no serviceUrl: the policy sets the backend)"
		}
		ws := ""
		if a.Workspace != nil {
			ws = "  (workspace " + a.Workspace.Id + ")"
		}
		fmt.Fprintf(stdout, "ok  %-20s %-9s %-20s -> %s%s\n", a.Name, a.Type, a.Path, u, ws)
	}
	return 0
}
