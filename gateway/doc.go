// Package gateway serves APIs: routing, WebSocket handshakes and frame
// proxying, REST proxying, config snapshots and reload, metrics.
//
// Where things are:
//
//	config.go      Load: the apis folder (api.xml, policy.xml, fragments,
//	               named values) -> an immutable Snapshot of compiled APIs.
//	reload.go      Reload swaps snapshots atomically; watch.go reloads on
//	               file changes; a broken folder keeps the old snapshot.
//	server.go      Server: ServeHTTP routes by longest path prefix to one of
//	               the two proxy paths; log masking of secrets.
//	exchange.go    exchange: one request through either path (policy runs,
//	               the backend URL, failures through on-error, the answer,
//	               the end of the policy State), and the helpers both share.
//	http.go        the REST path: inbound, backend, httputil.ReverseProxy,
//	               outbound on the backend's response.
//	websocket.go   the WebSocket path: inbound, backend, dial the backend
//	               and upgrade the client (package wsproxy), then hand the
//	               session to the data path (wsproxy.Relayer) and account
//	               for it when it ends; sessions.go tracks live sessions
//	               for shutdown and drain.
//	wsproxy/       the WebSocket handshakes and the frame relay (its own
//	               package; see its doc.go).
//	metrics.go     Prometheus metrics; admin.go the admin endpoints.
//	pathnorm.go    request path normalisation (RFC 3986) before routing.
//	headers.go     hop-by-hop stripping, X-Forwarded-*, outbound header
//	               checks, allowed-hosts.
//	slowbody.go    HTTP request body deadline and the cap on bodies in
//	               flight (408/413/400).
//	mask.go        secret masking of structured log fields.
//	tracing.go     trace tokens (Tollgate-Trace-Token) and the ring of
//	               recent request traces, masked like the logs.
//	telemetry.go   OpenTelemetry: spans per request, backend, call-out and
//	               (when traced) policy step; W3C trace context propagation.
//	diagnostics.go APIM diagnostics: azuremonitor's request line, and
//	               applicationinsights applied to the spans;
//	               diagnostics_appinsights.go its Application Insights items
//	               (loggers.go reads the loggers; internal/appinsights sends).
//	inline.go      API.RunsInline: whether a REST request to an API never
//	               blocks its goroutine (an event-loop front may run it on
//	               its loop), with the audit of the request path.
//	loop.go        leaveLoopUnless: on h1's event-loop front, a request
//	               that may block releases its loop task first (a
//	               WebSocket handshake that stays reads its 101 on the
//	               loop, or its dial releases the task).
//	mcp*.go        MCP servers (type mcp, docs/mcp.md): mcp.go loads them
//	               and routes PATH/mcp, /sse, /messages; mcp_local.go is the
//	               in-process MCP "backend" (the Go SDK); mcp_tools.go a
//	               tool's schema and its call through ServeHTTP; mcp_sse.go
//	               a pass-through SSE stream's endpoint event.
//
// The web console (package gateway/console) is built on the exported API
// (Current, LastReload, Traces, MintTraceToken, ...) and mounted on the
// admin listener by the command.
//
// The APIM resource model (docs/resource-model.md):
//
//	operations.go  an API's operations, URL template matching, the 404
//	               OperationNotFound; openapi.go reads OpenAPI 2/3 files.
//	scopes.go      global -> product -> API -> operation plans, compiled per
//	               product into the API views a request picks from.
//	products.go    products/NAME (productInformation.json, apis.json, policy).
//	subscriptions.go  keys, the check before any policy, folder subscriptions;
//	               admin_subscriptions.go the admin API of `tollgate subscription`.
//	backends.go    backend entities: credentials, TLS, circuit breaker, pools.
//	apiops.go      the APIOps extractor layout and configuration overrides.
//
// A gateway feature that acts on every request belongs on exchange; one
// that only one protocol has, in its path's file.
package gateway
