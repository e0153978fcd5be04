package policies

import "tollgate/store"

// Which steps never block the goroutine that runs them (engine.NonBlocking).
// A server may run a request whose whole plan never blocks on an event
// loop thread, where one blocked request would stall every connection of
// the loop; anything else goes to a goroutine of its own. The default is
// "may block": a step opts in here, after an audit of its Run, and only
// for what it knows at parse time (its attributes, the kit's store).
//
// Not counted as blocking: evaluating expressions and Liquid templates
// (CPU), reading the request or response body (engine.Body: the
// connection's own I/O, on which the server suspends), a short mutex
// (sync.Map, a shared LRU, a Prometheus counter), a log line, and a
// non-blocking send on a buffered channel that drops when it is full.
//
// May block, so never opted in:
//   - send-request: an HTTP call-out (and its token fetch, DNS);
//   - publish-to-dapr, invoke-dapr-binding: an HTTP call to the Dapr
//     sidecar;
//   - send-service-bus-message, llm-content-safety: HTTPS calls to Azure
//     (and a token fetch on a cache miss);
//   - wait: waits for the goroutines of its children;
//   - limit-concurrency: a lease from the store, renewed by another
//     goroutine (leaseKeeper) and released at the end of the request (APIM's
//     form: when its policies finish; they are checked on their own).
//     With store.Memory none of that waits today (Acquire refuses at
//     once, the keeper's mutex is held briefly), but it stays "may block"
//     until the keeper is audited for running on an event loop;
//   - authentication-managed-identity: fetches a token on a cache miss;
//   - authentication-certificate and proxy: the step only records a
//     setting, but a backend call with a client certificate or an
//     outbound proxy goes over net/http's transport, which parks the
//     goroutine (gateway.Options.BackendTransport);
//   - xsl-transform: CPU only, but a transformation may run for up to its
//     step limit (xsltLimits), far longer than an expression; on a
//     goroutine of its own it never stalls an event loop's other
//     connections;
//   - the Azure-only elements (azure_only.go).
//
// May block depending on configuration (NeverBlocks below decides):
// forward-request inside retry or limit-concurrency (sends the backend call), retry with a wait
// between runs, validate-jwt and validate-azure-ad-token with keys fetched
// from a URL, validate-client-certificate checking revocation (CRLs), and
// the policies that use the store (rate-limit, rate-limit-by-key, quota,
// quota-by-key, llm-token-limit, cache-*-value, cache-lookup, cache-store):
// only the in-process store.Memory never blocks.

// localStore reports whether the kit's store answers in process
// (store.Memory) rather than over the network (Redis).
func (k *kit) localStore() bool {
	_, ok := k.store.(*store.Memory)
	return ok
}

// Never block: they evaluate expressions and change the request, the
// response or the variables.
func (*setHeader) NeverBlocks() bool           { return true }
func (*setVariable) NeverBlocks() bool         { return true }
func (*setQueryParameter) NeverBlocks() bool   { return true }
func (*setStatus) NeverBlocks() bool           { return true }
func (*setMethod) NeverBlocks() bool           { return true }
func (*setBody) NeverBlocks() bool             { return true }
func (*rewriteURI) NeverBlocks() bool          { return true }
func (*checkHeader) NeverBlocks() bool         { return true }
func (*mockResponse) NeverBlocks() bool        { return true }
func (*cors) NeverBlocks() bool                { return true }
func (*ipFilter) NeverBlocks() bool            { return true }
func (*crossDomain) NeverBlocks() bool         { return true }
func (*jsonp) NeverBlocks() bool               { return true }
func (*findAndReplace) NeverBlocks() bool      { return true }
func (*redirectContentURLs) NeverBlocks() bool { return true }
func (*jsonToXMLStep) NeverBlocks() bool       { return true }
func (*xmlToJSONStep) NeverBlocks() bool       { return true }
func (*authenticationBasic) NeverBlocks() bool { return true }
func (*sendMessage) NeverBlocks() bool         { return true }

// validate-graphql-request reads the request body and parses and
// validates the query against the schema (CPU, bounded by max-size and
// its token limit).
func (*validateGraphQL) NeverBlocks() bool { return true }

// set-backend-service only records the backend; the gateway decides
// whether the backend entity it names may block (a circuit breaker in a
// shared store, its own TLS transport).
func (*setBackendService) NeverBlocks() bool { return true }

// choose evaluates its conditions; the policies of its branches are checked
// on their own (engine.Compiled.Branches).
func (*choose) NeverBlocks() bool { return true }

// return-response runs its own set-status, set-header and set-body.
func (*returnResponse) NeverBlocks() bool { return true }

// The validate-* policies of the OpenAPI specification check what the
// request or the response holds against the schema compiled at load.
func (*validateContent) NeverBlocks() bool    { return true }
func (*validateParameters) NeverBlocks() bool { return true }
func (*validateHeaders) NeverBlocks() bool    { return true }
func (*validateStatusCode) NeverBlocks() bool { return true }

// emit-metric and llm-emit-token-metric add to Prometheus counters; trace
// writes a log line.
func (*emitMetric) NeverBlocks() bool         { return true }
func (*llmEmitTokenMetric) NeverBlocks() bool { return true }
func (*trace) NeverBlocks() bool              { return true }

// log-to-eventhub and send-one-way-request hand their message to a worker
// through a bounded queue that drops when it is full (logger.send,
// oneWaySender.enqueue): the request never waits for the call, nor for
// the token of send-one-way-request's managed identity.
func (*logToEventhub) NeverBlocks() bool { return true }
func (*sendOneWay) NeverBlocks() bool    { return true }

// forward-request only records the settings, except inside retry or
// limit-concurrency, where it sends the backend call (forwardRequest.send,
// set by their parse, which runs before the plan is classified).
func (f *forwardRequest) NeverBlocks() bool { return !f.send }

// retry never blocks when it never waits between runs: interval 0 and no
// delta other than 0 (max-interval only caps a wait, first-fast-retry only
// drops one). Its policies are checked on their own.
func (r *retry) NeverBlocks() bool {
	if !r.interval.IsConst() || r.interval.Const() != 0 {
		return false
	}
	return r.delta == nil || (r.delta.IsConst() && r.delta.Const() == 0)
}

// validate-jwt (and validate-azure-ad-token, the same step) never blocks
// when its keys are in the policy: <issuer-signing-keys> and
// <decryption-keys>, literal or expressions. <openid-config> and <jwks>
// fetch keys (and refetch them when a kid is unknown).
func (v *validateJwt) NeverBlocks() bool { return len(v.sources) == 0 }

// validate-client-certificate checks the chain in process; revocation
// (validate-revocation, true by default) fetches CRLs.
func (v *validateClientCert) NeverBlocks() bool { return !v.revocation }

// The limits and caches never block with the in-process store.
func (r *rateLimit) NeverBlocks() bool     { return r.k.localStore() }
func (q *quota) NeverBlocks() bool         { return q.k.localStore() }
func (l *llmTokenLimit) NeverBlocks() bool { return l.k.localStore() }
func (c *cacheLookup) NeverBlocks() bool   { return c.k.localStore() }
func (c *cacheStore) NeverBlocks() bool    { return c.k.localStore() }
func (c *cacheRemove) NeverBlocks() bool   { return c.k.localStore() }

// cache-lookup uses the in-process LRU unless it is external (the shared
// store: caching-type external, or prefer-external with Redis).
func (c *responseCacheLookup) NeverBlocks() bool { return !c.external }

// cache-store stores where the lookup that missed said: with the
// in-process store no lookup is external (external is a load error then,
// prefer-external means internal).
func (c *responseCacheStore) NeverBlocks() bool { return c.k.localStore() }
