package policies

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// <rate-limit calls="20" renewal-period="90" retry-after-header-name="Retry-After"
//
//	retry-after-variable-name="" remaining-calls-header-name=""
//	remaining-calls-variable-name="" total-calls-header-name="" fail-open="true"/>
//
// As in APIM a <rate-limit> counts per subscription (docs/resource-model.md);
// a request without a subscription counts per API. Its store key is built
// from the scope, the element's id (or, without one, its element path such
// as inbound/rate-limit[1]) and the subscription's id or the API's name
// (plus the operation or product for an element in an operation's or a
// product's policy). Nothing in the key depends on a config snapshot, so
// counters survive reloads as long as the element keeps its place (give it
// an id to keep the counter while moving it). Without a subscription, a
// global <rate-limit> spliced in with <base/> counts each API separately.
// APIM's <api>/<operation> children add limits of their own on one API and
// one of its operations (limit_children.go).
//
// <rate-limit-by-key calls="10" renewal-period="60" counter-key="@(context.Request.IpAddress)"
//
//	increment-condition="@(context.Response.StatusCode == 200)" increment-count="1" …/>
//
// calls, renewal-period and counter-key accept expressions. As in APIM there
// is one counter per key value across every scope and API (store key "rlk:"
// + key): add a suffix to the key to separate them. With an expression
// increment-condition or increment-count, inbound only checks (rejecting a
// key already over the limit) and counting moves to the end of outbound
// (State.AtEnd), so the 429 arrives one call late, as in APIM.
//
// Both use a sliding window of renewal-period seconds (at most 300). Over the
// limit the step fails with RateLimitExceeded and a prepared 429: APIM's body
// {"statusCode":429,"message":"Rate limit is exceeded. Try again in N
// seconds."} and the Retry-After header (whole seconds, rounded up, ≥ 1), so
// on-error runs with context.LastError and may change the response. The
// remaining-calls and total-calls headers are recorded with
// State.SetResponseHeader, which the gateway applies to whatever response
// goes out. The variables are ints.
//
// Store failures (every limit policy): the store bounds each call itself
// (store.Redis by its Timeout, --store-timeout; the in-process Memory store
// cannot hang). By default a failure admits the request (fail-open),
// logs a warning and calls Deps.OnStoreError; fail-open="false" answers 503
// with reason StoreUnavailable instead.
type rateLimit struct {
	limitBase
	byKey  bool
	calls  engine.Int
	period engine.Int
	key    engine.Str   // rate-limit-by-key
	cond   *engine.Bool // increment-condition, nil when absent
	count  engine.Int   // increment-count
	// readsBody: a deferred expression reads context.Response.Body, which
	// is kept as it is sent (deferred_body.go).
	readsBody bool
	deferred  bool // count at the end of outbound
	out       rateOutputs
	apiKeys   apiKeys       // rate-limit: per-API store keys
	children  []*childLimit // rate-limit: its <api> children
}

// rateOutputs are the optional header and variable names.
type rateOutputs struct {
	retryHeader, retryVar, remainingHeader, remainingVar, totalHeader string
}

func (k *kit) parseRateLimit(p *engine.Parser) engine.Step {
	r := &rateLimit{
		limitBase: k.newLimitBase(p),
		calls:     engine.ConstInt(p.RequiredLitInt("calls", 1, maxCalls)),
		period:    engine.ConstInt(p.RequiredLitInt("renewal-period", 1, 300)),
		count:     engine.ConstInt(1),
	}
	r.out = parseRateOutputs(p)
	r.apiKeys.prefix = "rl|" + stableID(p) + "|"
	r.apiKeys.scope = p.Scope()
	r.children = parseLimitChildren(p, [2]string{r.apiKeys.prefix}, func(cp *engine.Parser, c *childLimit) {
		c.calls = cp.RequiredLitInt("calls", 1, maxCalls)
		c.period = time.Duration(cp.RequiredLitInt("renewal-period", 1, 300)) * time.Second
	})
	return r
}

func (k *kit) parseRateLimitByKey(p *engine.Parser) engine.Step {
	r := &rateLimit{
		limitBase: k.newLimitBase(p),
		byKey:     true,
		calls:     p.RequiredInt("calls", 1, maxCalls),
		period:    p.RequiredInt("renewal-period", 1, 300),
		key:       parseCounterKey(p),
		count:     p.Int("increment-count", 1, 0, maxCalls),
	}
	if p.Has("increment-condition") {
		b := p.Bool("increment-condition", true)
		r.cond = &b
	}
	r.deferred = (r.cond != nil && !r.cond.IsConst()) || !r.count.IsConst()
	r.readsBody = r.deferred && readsResponseBody(p, "increment-count", "increment-condition")
	r.out = parseRateOutputs(p)
	return r
}

func parseRateOutputs(p *engine.Parser) rateOutputs {
	return rateOutputs{
		retryHeader:     headerNameAttr(p, "retry-after-header-name", "Retry-After"),
		retryVar:        p.LitStr("retry-after-variable-name", ""),
		remainingHeader: headerNameAttr(p, "remaining-calls-header-name", ""),
		remainingVar:    p.LitStr("remaining-calls-variable-name", ""),
		totalHeader:     headerNameAttr(p, "total-calls-header-name", ""),
	}
}

// QueryBlind (engine.QueryBlind): its Go code reads no query (the counting it leaves for AtEnd runs after State.Finish parses it).
func (*rateLimit) QueryBlind() {}

func (r *rateLimit) Run(ctx context.Context, s *engine.State) error {
	calls, err := r.calls.Eval(s)
	if err != nil {
		return err
	}
	window, err := r.period.Seconds(s)
	if err != nil {
		return err
	}
	var key string
	if r.byKey {
		k, err := r.key.Eval(s)
		if err != nil {
			return err
		}
		key = "rlk:" + k
	} else {
		key = r.apiKeys.get(s)
		if len(r.children) > 0 {
			var buf [4]*childLimit
			if ch := applying(r.children, s.Context(), buf[:0]); len(ch) > 0 {
				return r.runChildren(ctx, s, key, calls, window, ch)
			}
		}
	}
	n := int64(0)
	if !r.deferred {
		if n, err = r.count.Eval(s); err != nil {
			return err
		}
		if r.cond != nil && !r.cond.Const() {
			n = 0
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dec, err := r.k.store.RateLimit(ctx, key, calls, window, n)
	if err != nil {
		return r.storeFailed(err)
	}
	if !dec.Allowed {
		return r.reject(s, calls, dec)
	}
	r.admit(s, calls, dec)
	if r.deferred {
		var body *bodyCopy
		if r.readsBody {
			body = captureResponseBody(s)
		}
		s.AtEnd(func(ctx context.Context, s *engine.State) {
			body.restore(s)
			r.countAtEnd(ctx, s, key, calls, window)
		})
	}
	return nil
}

// runChildren applies the element's limit and those of its <api> and
// <operation> children that match the request: each is checked, then the
// call is counted against each (a refused call counts nowhere). The
// remaining-calls outputs report the limit with the fewest calls left.
func (r *rateLimit) runChildren(ctx context.Context, s *engine.State, key string, calls int64, window time.Duration, ch []*childLimit) error {
	st := r.k.store
	type level struct {
		key    string
		calls  int64
		window time.Duration
	}
	var buf [5]level
	levels := append(buf[:0], level{key, calls, window})
	for _, c := range ch {
		levels = append(levels, level{c.keys[0].get(s), c.calls, c.period})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, l := range levels {
		dec, err := st.RateLimit(ctx, l.key, l.calls, l.window, 0)
		if err != nil {
			return r.storeFailed(err)
		}
		if !dec.Allowed {
			return r.reject(s, l.calls, dec)
		}
	}
	var tight store.Decision
	tightCalls := int64(-1)
	for _, l := range levels {
		dec, err := st.RateLimit(ctx, l.key, l.calls, l.window, 1)
		if err != nil {
			return r.storeFailed(err)
		}
		if !dec.Allowed { // taken meanwhile by another request
			return r.reject(s, l.calls, dec)
		}
		if tightCalls < 0 || dec.Remaining < tight.Remaining {
			tight, tightCalls = dec, l.calls
		}
	}
	r.admit(s, tightCalls, tight)
	return nil
}

// countAtEnd is the deferred counting of rate-limit-by-key: after outbound,
// when increment-condition can see the response.
func (r *rateLimit) countAtEnd(ctx context.Context, s *engine.State, key string, calls int64, window time.Duration) {
	if r.cond != nil {
		ok, err := r.cond.Eval(s)
		if err != nil {
			r.laterFailure("increment-condition", err)
			return
		}
		if !ok {
			s.Tracef("%s: increment-condition false, not counted", r.policy)
			return
		}
	}
	n, err := r.count.Eval(s)
	if err != nil {
		r.laterFailure("increment-count", err)
		return
	}
	if n == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx) // the response is out; count regardless
	dec, err := r.k.store.RateLimit(ctx, key, calls, window, n)
	if err == nil && !dec.Allowed && dec.Remaining > 0 {
		// The store does not count what does not fit; the call has happened
		// though, so fill the window up to the limit: the next check rejects.
		_, err = r.k.store.RateLimit(ctx, key, calls, window, dec.Remaining)
	}
	if err != nil {
		r.laterFailure("counting", err)
	}
}

func (r *rateLimit) admit(s *engine.State, calls int64, dec store.Decision) {
	if r.out.remainingVar != "" {
		s.Variables()[r.out.remainingVar] = int(dec.Remaining)
	}
	if r.out.remainingHeader != "" {
		s.SetResponseHeader(r.out.remainingHeader, strconv.FormatInt(dec.Remaining, 10))
	}
	if r.out.totalHeader != "" {
		s.SetResponseHeader(r.out.totalHeader, strconv.FormatInt(calls, 10))
	}
	if s.Trace() != nil { // the arguments would be boxed even with tracing off
		s.Tracef("admitted: %d of %d calls remaining", dec.Remaining, calls)
	}
}

func (r *rateLimit) reject(s *engine.State, calls int64, dec store.Decision) error {
	secs := retrySeconds(dec.RetryAfter)
	msg := fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", secs)
	if r.out.retryVar != "" {
		s.Variables()[r.out.retryVar] = int(secs)
	}
	if r.out.remainingVar != "" {
		s.Variables()[r.out.remainingVar] = 0
	}
	if r.out.remainingHeader != "" {
		s.SetResponseHeader(r.out.remainingHeader, "0")
	}
	if r.out.totalHeader != "" {
		s.SetResponseHeader(r.out.totalHeader, strconv.FormatInt(calls, 10))
	}
	s.Tracef("rejected: retry in %ds", secs)
	return limitError(engine.ReasonRateLimitExceeded, 429, msg, r.out.retryHeader, secs)
}
