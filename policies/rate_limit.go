package policies

import (
	"context"
	"fmt"
	"math"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/store"
)

// <rate-limit calls="20" renewal-period="90" retry-after-header-name="Retry-After"
//
//	retry-after-variable-name="" remaining-calls-header-name=""
//	remaining-calls-variable-name="" total-calls-header-name="" fail-open="true"/>
//
// APIM counts rate-limit per subscription; tollgate has no subscriptions, so
// a <rate-limit> counts per API: its store key is built from the scope, the
// element's id (or, without one, its element path such as
// inbound/rate-limit[1]) and the API's name. Nothing in the key depends on a
// config snapshot, so counters survive reloads as long as the element keeps
// its place (give it an id to keep the counter while moving it). A global
// <rate-limit> spliced in with <base/> still counts each API separately.
// APIM's <api>/<operation> children are not supported (load error).
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
// Store failures (every limit policy): each call is bounded by
// Deps.StoreTimeout (except calls to the in-process Memory store, which
// cannot hang; see storeContext). By default a failure admits the request (fail-open),
// logs a warning and calls Deps.OnStoreError; fail-open="false" answers 503
// with reason StoreUnavailable instead.
type rateLimit struct {
	limitBase
	byKey    bool
	calls    engine.Int
	period   engine.Int
	key      engine.Str   // rate-limit-by-key
	cond     *engine.Bool // increment-condition, nil when absent
	count    engine.Int   // increment-count
	deferred bool         // count at the end of outbound
	out      rateOutputs
	apiKeys  apiKeys // rate-limit: per-API store keys
}

// rateOutputs are the optional header and variable names.
type rateOutputs struct {
	retryHeader, retryVar, remainingHeader, remainingVar, totalHeader string
}

const maxCalls = math.MaxInt32

func (d *Deps) parseRateLimit(p *engine.Parser) engine.Step {
	r := &rateLimit{
		limitBase: newLimitBase(d, p),
		calls:     engine.ConstInt(p.LitInt("calls", true, 1, 1, maxCalls)),
		period:    engine.ConstInt(p.LitInt("renewal-period", true, 1, 1, 300)),
		count:     engine.ConstInt(1),
	}
	r.out = parseRateOutputs(p)
	r.apiKeys.prefix = "rl|" + stableID(p) + "|"
	rejectAPIChildren(p)
	return r
}

func (d *Deps) parseRateLimitByKey(p *engine.Parser) engine.Step {
	r := &rateLimit{
		limitBase: newLimitBase(d, p),
		byKey:     true,
		calls:     p.Int("calls", true, 1, 1, maxCalls),
		period:    p.Int("renewal-period", true, 1, 1, 300),
		key:       parseCounterKey(p),
		count:     p.Int("increment-count", false, 1, 0, maxCalls),
	}
	if p.Has("increment-condition") {
		b := p.Bool("increment-condition", false, true)
		r.cond = &b
	}
	r.deferred = (r.cond != nil && !r.cond.IsConst()) || !r.count.IsConst()
	r.out = parseRateOutputs(p)
	return r
}

func parseRateOutputs(p *engine.Parser) rateOutputs {
	return rateOutputs{
		retryHeader:     headerNameAttr(p, "retry-after-header-name", "Retry-After"),
		retryVar:        p.LitStr("retry-after-variable-name", false, ""),
		remainingHeader: headerNameAttr(p, "remaining-calls-header-name", ""),
		remainingVar:    p.LitStr("remaining-calls-variable-name", false, ""),
		totalHeader:     headerNameAttr(p, "total-calls-header-name", ""),
	}
}

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
	sctx, cancel := r.d.storeContext(ctx)
	dec, err := r.d.Store.RateLimit(sctx, key, calls, window, n)
	cancel()
	if err != nil {
		return r.storeFailed(err)
	}
	if !dec.Allowed {
		return r.reject(s, calls, dec)
	}
	r.admit(s, calls, dec)
	if r.deferred {
		s.AtEnd(func(ctx context.Context, s *engine.State) { r.countAtEnd(ctx, s, key, calls, window) })
	}
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
	sctx, cancel := r.d.storeContext(context.WithoutCancel(ctx))
	defer cancel()
	dec, err := r.d.Store.RateLimit(sctx, key, calls, window, n)
	if err == nil && !dec.Allowed && dec.Remaining > 0 {
		// The store does not count what does not fit; the call has happened
		// though, so fill the window up to the limit: the next check rejects.
		_, err = r.d.Store.RateLimit(sctx, key, calls, window, dec.Remaining)
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

// storeContext bounds one store call by StoreTimeout. The in-process
// Memory store is the exception: it never waits on anything but a shard
// mutex, and the timer would cost more than the call itself (most of a
// rate-limit step's time and allocations), so it gets ctx as is.
func (d *Deps) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, local := d.Store.(*store.Memory); local {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d.StoreTimeout)
}

// limitBase is what every limit policy shares: its Deps, where it stands
// (for logs) and how it treats store failures.
type limitBase struct {
	d        *Deps
	policy   string
	where    string // file:line:col path, for logs
	failOpen bool
}

func newLimitBase(d *Deps, p *engine.Parser) limitBase {
	return limitBase{
		d:        d,
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
	b.d.Log.Warn(b.policy+": "+msg,
		zap.String("policy", b.policy), zap.String("at", b.where),
		zap.Bool("failOpen", b.failOpen), zap.Error(err))
	if b.d.OnStoreError != nil {
		b.d.OnStoreError(b.policy, err)
	}
}

// stableID names a policy element independently of any config snapshot:
// its scope and its id attribute, or its element path without one.
func stableID(p *engine.Parser) string {
	if a := p.Node().Attr("id"); a != nil && a.Value != "" {
		return p.Scope() + "|id=" + a.Value
	}
	return p.Scope() + "|" + p.Path()
}

// apiKeys caches the per-API store key of a rate-limit or quota: the plan
// may be shared by many APIs (a global policy spliced in with <base/>).
type apiKeys struct {
	prefix string
	m      sync.Map // API name -> prefix + name
}

func (k *apiKeys) get(s *engine.State) string {
	name := ""
	if api := s.Context().Api; api != nil {
		name = api.Name
	}
	if v, ok := k.m.Load(name); ok {
		return v.(string)
	}
	key := k.prefix + name
	k.m.Store(name, key)
	return key
}

// parseCounterKey reads the required counter-key attribute.
func parseCounterKey(p *engine.Parser) engine.Str {
	k := p.Str("counter-key", true, "")
	if p.Has("counter-key") && k.IsConst() && k.Const() == "" {
		p.ErrorAt(p.Node().Attr("counter-key").ValuePos, "attribute %q must not be empty", "counter-key")
	}
	return k
}

// rejectAPIChildren reports APIM's per-API/per-operation children, which
// tollgate does not support.
func rejectAPIChildren(p *engine.Parser) {
	for _, n := range p.Children() {
		if n.Name == "api" || n.Name == "operation" {
			p.Skip(n)
			p.ErrorAt(n.Pos, "<%s> inside <%s> is not supported by tollgate: <%s> already counts per API, so put one in that API's policy instead", n.Name, p.Node().Name, p.Node().Name)
		}
	}
}

// headerNameAttr reads an optional header-name attribute (no expressions).
func headerNameAttr(p *engine.Parser, name, def string) string {
	v := p.LitStr(name, false, def)
	if v == "" || v == def || !p.Has(name) {
		return textproto.CanonicalMIMEHeaderKey(v) // "" turns the header off
	}
	if strings.IndexFunc(v, notTokenChar) >= 0 {
		p.ErrorAt(p.Node().Attr(name).ValuePos, "attribute %q must be a header name, not %q", name, v)
		return ""
	}
	return textproto.CanonicalMIMEHeaderKey(v)
}
