package main

import (
	"net"
	"net/http"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/gateway/console"
)

// adminHandler is the admin listener's handler: the gateway's endpoints
// (/healthz, /readyz, /metrics, /status/...) and the console, behind the
// admin token when there is one. gatewayAddr is the API listener's bound
// address: the console's test tab connects there. Close stops the
// console's sampler.
func adminHandler(srv *gateway.Server, token string, gatewayAddr net.Addr, tls bool, log *zap.Logger) (http.Handler, func()) {
	mux := http.NewServeMux()
	mux.Handle("/", srv.AdminHandler())
	con := console.New(console.Options{Server: srv, GatewayURL: gatewayURL(gatewayAddr, tls), InsecureTLS: tls,
		Log: log.Named("console")})
	con.Register(mux)
	return console.Protect(mux, token), con.Close
}

// gatewayURL is how the admin side reaches the API listener: an
// unspecified address (":8080", "[::]:8080") is reached on loopback.
func gatewayURL(addr net.Addr, tls bool) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
