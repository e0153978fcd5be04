package policies

import (
	"math"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// What the limit policies (rate-limit, rate-limit-by-key, quota,
// quota-by-key, limit-concurrency) share: their store keys, their failure
// handling and APIM's 429 answer.

// maxCalls bounds every calls/max-count attribute.
const maxCalls = math.MaxInt32

// limitError is a PolicyError with APIM's error body and a Retry-After
// header (when header is not empty) in its prepared response.
func limitError(reason string, status int, msg, header string, secs int64) error {
	resp := engine.ErrorResponse(status, msg)
	if header != "" {
		resp.Headers[header] = []string{strconv.FormatInt(secs, 10)}
	}
	pe := engine.NewPolicyError(reason, status, msg, nil)
	pe.Response = resp
	return pe
}

// retrySeconds rounds a wait up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int64 {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return secs
}

// limitBase is what every limit policy shares: the kit, where it stands
// (for logs) and how it treats store failures.
type limitBase struct {
	k        *kit
	policy   string
	where    string // file:line:col path, for logs
	failOpen bool
}

func (k *kit) newLimitBase(p *engine.Parser) limitBase {
	return limitBase{
		k:        k,
		policy:   p.Node().Name,
		where:    p.Node().Pos.String() + " " + p.Path(),
		failOpen: p.LitBool("fail-open", true),
	}
}

// storeFailed handles a failed store call made before the response: nil
// (admit) when failing open, a 503 StoreUnavailable when failing closed.
func (b *limitBase) storeFailed(err error) error {
	b.report("store call failed", err)
	if b.failOpen {
		return nil
	}
	// No cause: the engine would turn a deadline into reason Timeout.
	return engine.NewPolicyError(engine.ReasonStoreUnavailable, 503, b.policy+": limit store unavailable: "+err.Error(), nil)
}

// laterFailure reports a failure after the response was decided (counting
// at the end of outbound, releasing a lease): there is nothing left to
// reject, so it is only logged.
func (b *limitBase) laterFailure(what string, err error) {
	b.report(what+" failed", err)
}

func (b *limitBase) report(msg string, err error) {
	b.k.storeFailed(b.policy, msg, err, zap.String("at", b.where), zap.Bool("failOpen", b.failOpen))
}

// stableID names a policy element independently of any config snapshot:
// its scope and its id attribute, or its element path without one.
func stableID(p *engine.Parser) string {
	if a := p.Node().Attr("id"); a != nil && a.Value != "" {
		return p.Scope() + "|id=" + a.Value
	}
	return p.Scope() + "|" + p.Path()
}

// apiKeys caches the store key of a rate-limit or quota. As in APIM it
// counts per subscription: a request with a subscription counts under the
// subscription's id, one without under the API's name (the plan may be
// shared by many APIs: a global policy spliced in with <base/>). An element
// in an operation's or a product's policy also counts per operation or
// product, since the same element path exists in each of them.
type apiKeys struct {
	prefix string
	scope  string   // the element's policy scope (engine.Parser.Scope)
	m      sync.Map // counterOwner -> the store key
}

// counterOwner is what a counter is kept for.
type counterOwner struct {
	api, sub, op, product string
}

func (k *apiKeys) get(s *engine.State) string {
	var o counterOwner
	c := s.Context()
	if c.Subscription != nil {
		o.sub = c.Subscription.Id
	} else if c.Api != nil {
		o.api = c.Api.Name
	}
	if c.Operation != nil && k.scope == "operation" {
		o.op = c.Operation.Id
	}
	if c.Product != nil && k.scope == "product" {
		o.product = c.Product.Id
	}
	if v, ok := k.m.Load(o); ok {
		return v.(string)
	}
	key := k.prefix + o.api
	if o.sub != "" {
		key = k.prefix + "sub=" + o.sub
	}
	if o.op != "" {
		key += "|op=" + o.op
	}
	if o.product != "" {
		key += "|product=" + o.product
	}
	k.m.Store(o, key)
	return key
}

// parseCounterKey reads the required counter-key attribute.
func parseCounterKey(p *engine.Parser) engine.Str {
	k := p.RequiredStr("counter-key")
	if p.Has("counter-key") && k.IsConst() && k.Const() == "" {
		p.ErrorAt(p.Node().Attr("counter-key").ValuePos, "attribute %q must not be empty", "counter-key")
	}
	return k
}
