package gateway

import (
	"net/http"
	"time"

	"tollgate/engine"
)

// CORS preflights (docs/policies-security.md, cors). A browser preflights
// a cross-origin call that carries Ocp-Apim-Subscription-Key or a JSON
// body with an OPTIONS request that has Origin and
// Access-Control-Request-Method and no key. APIM's cors page: "Only the
// cors policy is evaluated on the OPTIONS request during preflight", and
// "if a request matches an operation with an OPTIONS method defined in the
// API, preflight request processing logic associated with the cors policy
// will not be executed". So an OPTIONS request that matches no operation
// of method OPTIONS is answered by the cors policies of the chain of the
// operation the browser asks for (Access-Control-Request-Method: global,
// product, API, operation) and by nothing else: no subscription check, no
// other policy, no backend. The chains' cors steps are picked out at load
// (setPreflights), so a request pays nothing for this unless it is an
// OPTIONS on an API where some chain has a cors policy.

// corsPreflightPlan is p's preflight plan: the cors policies that stand
// directly in its inbound (<base/> and include-fragment spliced theirs in
// place), in order; nil when there is none.
func corsPreflightPlan(p *engine.Plan) *engine.Plan {
	if p == nil {
		return nil
	}
	var b engine.Block
	for _, c := range p.Inbound {
		if c.Name == "cors" {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return nil
	}
	return &engine.Plan{Inbound: b, Secrets: p.Secrets}
}

// setPreflights compiles the preflight plan of a and of each of its
// views. A WebSocket API has none (APIM does not run cors on one: its
// handshake checks api.xml's allowed-origins).
func (a *API) setPreflights() {
	none := a.Type == "websocket" || a.Type == "grpc"
	a.preflights = false
	for _, v := range a.allViews() {
		v.preflight = nil
		if !none {
			v.preflight = corsPreflightPlan(v.Plan)
		}
		a.preflights = a.preflights || v.preflight != nil
	}
}

// preflightRoutes says whether the OPTIONS request that matched op (ok:
// matched at all) goes the preflight way: it matched no operation, or one
// that is not an OPTIONS operation of its own (an API without operations,
// a "*" operation). Called for OPTIONS requests on an API with preflight
// plans only.
func preflightRoutes(op *Operation, ok bool) bool {
	return !ok || op == nil || op.Info == nil || op.Info.Method != http.MethodOptions
}

// servePreflight answers r if it is a CORS preflight that api's cors
// policies answer, and reports whether it did. It did not when r lacks
// Origin or Access-Control-Request-Method, when no operation of api
// matches the requested method at r's path, or when the chain of that
// operation (and the request's product) has no cors policy: r then goes
// on as any request.
func (s *Server) servePreflight(w http.ResponseWriter, r *http.Request, snap *Snapshot, api *API, diag *diagRequest, noDefault bool) bool {
	if r.Header.Get("Origin") == "" {
		return false
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if method == "" {
		return false
	}
	if api.A2A != nil && !api.A2A.routes(r.URL.Path) { // a2a.go: its card and JSON-RPC paths only
		return false
	}
	op, params, ok := api.matchOperation(method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header)
	if !ok {
		return false
	}
	// The product is the subscription's when the preflight carries a key
	// that covers the API (in the query: a browser sends no header of its
	// own on a preflight), the open product's when it carries none, and
	// none otherwise. A key is never required and a bad one refuses
	// nothing.
	prod, sub := preflightProduct(api), (*subscriptionMatch)(nil)
	if presentedKey(r, api.Subscription, noDefault) != "" {
		var pe *engine.PolicyError
		if prod, sub, pe = s.checkSubscription(r.Context(), snap, api, r, noDefault); pe != nil {
			prod, sub = 0, nil
		}
	}
	view := api.viewFor(op, prod)
	pf := view.preflight
	if pf == nil {
		return false
	}
	x := s.newExchange(r, view, time.Now())
	x.m = reqMatch{params: params, sub: sub, diag: diag}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	x.begin(r, scheme)
	defer x.close(r.Context())
	if !pf.Run(r.Context(), engine.Inbound, x.st) {
		// Every cors policy refused it with terminate-unmatched-request
		// "false": as APIM's page says, an empty 200 when no other cors
		// policy is left.
		resp := engine.NewResponse(http.StatusOK)
		resp.Headers["Vary"] = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
		x.st.SetResponse(resp)
	}
	status := x.st.Response().StatusCode
	x.rt.metrics.request(status, time.Since(x.start).Seconds())
	x.respond(w)
	if diag != nil {
		diag.restDone(x, w, status)
	}
	return true
}

// preflightProduct is the views index of a preflight without a key: the
// open product's, as for any keyless request (checkSubscription), without
// building the error a keyless request to an API that needs a key gets.
func preflightProduct(api *API) int {
	if api.Subscription.Required {
		return api.openProduct
	}
	return 0
}
