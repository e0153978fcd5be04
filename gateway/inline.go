package gateway

import (
	"fmt"
	"sort"
	"strings"

	"tollgate/engine"
	"tollgate/store"
)

// Which REST requests may run on an event loop thread. A front that serves
// connections from an event loop (each connection's requests in a
// coroutine that suspends on socket I/O) must not run a request whose path
// blocks its goroutine in any other way: one blocked request would stall
// every connection of the loop. API.RunsInline says, per API and once per
// snapshot, whether a REST request to it never blocks; a request to any
// other API goes to an ordinary goroutine (the net/http path of today).
//
// What the gateway does for a REST request, audited for blocking (the
// backend call itself is the front's: it brings its own backend client):
//
//   - routing, path normalisation, allowed-hosts, the operation match
//     (server.go, pathnorm.go, headers.go, operations.go): CPU only;
//   - the subscription key (subscriptions.go): the folder's subscriptions
//     are a map in the snapshot; a key not there is looked up in
//     Options.Subscriptions, which is a map (store.MemorySubscriptions)
//     or Redis: with Redis every API may block, since any request may
//     present a key (LoadOptions.LocalSubscriptions);
//   - the product and operation views (scopes.go, products.go): picked by
//     two slice indexings; their plans are checked below;
//   - the policies of every scope and section, on-error included (a
//     refused request runs on-error too): engine.Plan.MayBlock;
//   - backend entities (backends.go), reached through set-backend-service
//     backend-id: a circuit breaker reads and counts in Options.Store
//     (Redis may block: LoadOptions.LocalStore), and a backend with its
//     own TLS settings is called over net/http's Transport, which parks
//     the goroutine; an API whose plans set a backend service may block
//     when the configuration has such a backend;
//   - the request body (slowbody.go): guardBody sets a read deadline and
//     takes a short mutex; it starts no goroutine and waits for none. Body
//     reads are the connection's own I/O;
//   - trace tokens and the trace ring (tracing.go): an HMAC and a short
//     mutex; the "policy trace" log line is a log line;
//   - OpenTelemetry (telemetry.go): spans end into the SDK's batch
//     processor, which drops rather than waits when its queue is full;
//   - metrics (metrics.go): Prometheus counters and histograms;
//   - the end of the exchange (exchange.go close): the policies' AtEnd
//     and OnDone work, which belongs to the steps and is covered by
//     their classification (quota's bandwidth count, limit-concurrency's
//     release).
//
// A WebSocket API never runs inline as REST does: its handshake dials the
// backend and hands the connection to the data path. Its handshake may
// stay on the loop all the same (HandshakeInline) when nothing else in it
// may block: the dial then waits on the loop too, or releases the task
// where it cannot (wsproxy.Dialer.DialCheckedOn).

// RunsInline reports whether a REST request to a may run on an event loop
// thread: a is not a WebSocket API, no plan a request to it may run (every
// product and operation view, every section) may block, and neither may
// the gateway's own steps for it with the configured stores. Computed when
// the snapshot is built; false for an API of a snapshot loaded without the
// server's stores (tollgate check).
func (a *API) RunsInline() bool { return a.inline }

// inlineStores are what a snapshot's inline verdicts were computed with.
type inlineStores struct {
	subscriptions, store bool // in process (LoadOptions)
}

// InlineBlockers says why a REST request to a may block (why RunsInline
// is false), one reason a line: the policy steps that may block, as
// "file:line:col: path: <name> may block (scope scope)", and what the
// gateway itself may wait on. Empty when a runs inline. Worked out on each
// call, with the stores a's snapshot was loaded with: for tools (tollgate
// check, the admin API), not for the request path.
func (a *API) InlineBlockers() []string { return inlineBlockers(a, a.inlineStores, true, false) }

// HandshakeInline reports whether a WebSocket handshake to a (a WebSocket
// API's, not a GraphQL API's subscriptions) may run on an event loop
// thread up to its backend dial: what RunsInline checks but the WebSocket
// API itself (its policies, every view's, its backend entities and the
// stores) never blocks. The dial decides for itself whether it can wait
// on the loop (wsproxy.Dialer.DialCheckedOn); its 101 and the client's
// are socket I/O, and the session's start hands both sockets to a relay
// loop without waiting.
func (a *API) HandshakeInline() bool { return a.hsInline }

// runsInline works out RunsInline for a freshly built API (after
// buildScopes: its views are there).
func runsInline(a *API, stores inlineStores) bool {
	return len(inlineBlockers(a, stores, false, false)) == 0
}

// handshakeInline works out HandshakeInline for a freshly built API.
func handshakeInline(a *API, stores inlineStores) bool {
	return a.Type == "websocket" && a.gql == nil && a.mcp == nil && len(inlineBlockers(a, stores, false, true)) == 0
}

// inlineBlockers lists the reasons a may block; with all false it stops at
// the first one. hs: for a WebSocket handshake (HandshakeInline), which
// being one does not make block.
func inlineBlockers(a *API, stores inlineStores, all, hs bool) []string {
	var out []string
	if a.Type == "websocket" && !hs {
		out = append(out, "a WebSocket API: its handshake dials the backend and hands the connection to the data path")
		if !all {
			return out
		}
	}
	if a.Type == "mcp" {
		out = append(out, "an MCP server: its requests stream, and its tool calls run other requests")
		if !all {
			return out
		}
	}
	if a.Type == "grpc" {
		out = append(out, "a gRPC API: its calls stream over HTTP/2 (never on an event loop)")
		if !all {
			return out
		}
	}
	if !stores.subscriptions {
		out = append(out, "the subscription store is not in process (Redis): a key not in the folder is looked up over the network")
		if !all {
			return out
		}
	}
	var slow []string // backend entities that may block, sorted
	for name, b := range a.backends {
		switch {
		case b.transport != nil:
			slow = append(slow, fmt.Sprintf("backend %q is called over net/http's transport (its own TLS settings)", name))
		case b.breaker != nil && !stores.store:
			slow = append(slow, fmt.Sprintf("backend %q keeps its circuit breaker in a shared store (Redis)", name))
		}
	}
	sort.Strings(slow)
	seen := map[engine.Pos]bool{}
	for _, v := range a.allViews() {
		if v.Plan == nil || !v.Plan.MayBlock(engine.AllSections) && len(slow) == 0 {
			continue // MayBlock is worked out at compile time: most views stop here
		}
		for _, c := range v.Plan.BlockingSteps(engine.AllSections) {
			if !seen[c.Pos] {
				seen[c.Pos] = true
				out = append(out, fmt.Sprintf("%s: %s: <%s> may block (%s scope)", c.Pos, c.Path, c.Name, c.Scope))
				if !all {
					return out
				}
			}
		}
		if len(slow) == 0 {
			continue
		}
		for _, c := range planSteps(v.Plan, "set-backend-service") {
			if !seen[c.Pos] {
				seen[c.Pos] = true
				out = append(out, fmt.Sprintf("%s: %s: <set-backend-service> may pick a backend that blocks: %s",
					c.Pos, c.Path, strings.Join(slow, "; ")))
				if !all {
					return out
				}
			}
		}
	}
	return out
}

// allViews lists every API value a request to a may be served with: a
// itself, its product views and its operations' views.
func (a *API) allViews() []*API {
	out := []*API{a}
	for _, v := range a.views {
		if v != nil {
			out = append(out, v)
		}
	}
	for _, op := range a.Operations {
		for _, v := range op.views {
			if v != nil {
				out = append(out, v)
			}
		}
	}
	return out
}

// setInline records the verdict on a and every view of it (the views are
// copies made by buildScopes, before the verdict was known).
func (a *API) setInline(stores inlineStores) {
	in, hs := runsInline(a, stores), handshakeInline(a, stores)
	for _, v := range a.allViews() {
		v.inline, v.inlineStores, v.hsInline = in, stores, hs
	}
}

// planSteps lists the steps called name anywhere in p.
func planSteps(p *engine.Plan, name string) []*engine.Compiled {
	var out []*engine.Compiled
	for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound, engine.OnError} {
		out = blockSteps(p.Section(sec), name, out)
	}
	return out
}

func blockSteps(b engine.Block, name string, out []*engine.Compiled) []*engine.Compiled {
	for _, c := range b {
		if c.Name == name {
			out = append(out, c)
		}
		for _, br := range c.Branches {
			out = blockSteps(br.Steps, name, out)
		}
	}
	return out
}

// localSubscriptions: the subscription store answers in process.
func (s *Server) localSubscriptions() bool {
	_, ok := s.opt.Subscriptions.(*store.MemorySubscriptions)
	return ok
}

// localStore: the limits store (circuit breakers) answers in process.
func (s *Server) localStore() bool {
	_, ok := s.opt.Store.(*store.Memory)
	return ok
}
