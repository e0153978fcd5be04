package policies

import (
	"context"
	"fmt"
	"math"
	"time"

	"tollgate/engine"
)

// <quota calls="10000" bandwidth="40000" renewal-period="3600" fail-open="true"/>
// <quota-by-key calls="10000" bandwidth="40000" renewal-period="3600"
//
//	counter-key="@(context.Request.IpAddress)"
//	increment-condition="@(context.Response.StatusCode >= 200 && context.Response.StatusCode < 400)"
//	increment-count="@((int)context.Variables[\"tokens\"])" first-period-start="2024-01-01T00:00:00Z"/>
//
// Fixed-window quotas. At least one of calls and bandwidth (in kilobytes,
// 1 KB = 1024 bytes) is required; renewal-period is in seconds and 0 means
// the quota never renews. Nothing but counter-key, increment-condition and
// increment-count (quota-by-key's: the calls one request counts, default 1,
// as APIM documents it) takes expressions. Windows start at first-period-start + k*renewal-period
// (default 0001-01-01T00:00:00Z, so a daily quota renews at 00:00 UTC).
//
// <quota> counts per subscription as in APIM (per API for a request without
// one), keyed like <rate-limit> (scope, id or element path, subscription id
// or API name: stable across reloads). <quota-by-key> has one counter per key value across scopes and
// APIs (store keys "qk:c:" and "qk:b:" + key).
//
// Calls are counted in inbound, or, with increment-condition or an
// expression increment-count, at the end of outbound when the condition is
// true (inbound then only checks; what does not fit fills the quota up). Over the
// calls quota the step fails with QuotaExceeded and a prepared 403 with
// Retry-After and APIM's body "Out of call volume quota. Quota will be
// replenished in HH:MM:SS.".
//
// Bandwidth is the request's State.CountBytes counter (In + Out), which the
// gateway fills before running the Done functions: body bytes for HTTP APIs,
// the message bytes of the whole session for WebSocket APIs. It is counted
// when the request (session) is over, in an OnDone function, so a request is admitted while the quota is
// not yet used up and the bytes it moves count against the following
// requests: a quota can only reject at the handshake, so a long WebSocket
// session may overrun it and the next handshakes are rejected ("Out of
// bandwidth quota…"). Bytes that do not fit fill the quota up to its limit.
// With increment-condition, bytes count only when the condition was true at
// the end of outbound (State.Finish); if Finish never runs they do not count.
type quota struct {
	limitBase
	byKey   bool
	key     engine.Str
	apiKeys [2]apiKeys // quota: calls, bandwidth
	calls   int64      // 0: no calls quota
	bytes   int64      // 0: no bandwidth quota
	period  time.Duration
	start   time.Time
	cond    *engine.Bool
	count   engine.Int // quota-by-key's increment-count; quota's is 1
	// readsBody: increment-count or increment-condition reads
	// context.Response.Body, kept as it is sent (deferred_body.go).
	readsBody bool
	// children: quota's <api> children (limit_children.go).
	children []*childLimit
}

// foreverPeriod stands for renewal-period="0": long enough never to renew,
// short enough for every wait to fit a time.Duration.
const foreverPeriod = 200 * 365 * 24 * time.Hour

func (k *kit) parseQuota(p *engine.Parser) engine.Step {
	q := k.parseQuotaCommon(p)
	id := stableID(p)
	q.apiKeys[0].prefix = "q|c|" + id + "|"
	q.apiKeys[1].prefix = "q|b|" + id + "|"
	q.apiKeys[0].scope, q.apiKeys[1].scope = p.Scope(), p.Scope()
	q.start = alignStart(q.start, q.period)
	q.children = parseLimitChildren(p, [2]string{q.apiKeys[0].prefix, q.apiKeys[1].prefix}, func(cp *engine.Parser, c *childLimit) {
		c.calls, c.bytes, c.period = parseQuotaLimits(cp)
		c.start = alignStart(time.Time{}, c.period)
	})
	return q
}

func (k *kit) parseQuotaByKey(p *engine.Parser) engine.Step {
	q := k.parseQuotaCommon(p)
	q.byKey = true
	q.key = parseCounterKey(p)
	if p.Has("increment-condition") {
		b := p.Bool("increment-condition", true)
		q.cond = &b
	}
	q.count = p.Int("increment-count", 1, 0, math.MaxInt64)
	q.readsBody = readsResponseBody(p, "increment-count", "increment-condition")
	if a := p.Attr("first-period-start"); a != nil {
		t, err := time.Parse(time.RFC3339, a.Value)
		if err != nil {
			p.ErrorAt(a.ValuePos, "attribute %q must be a time such as 2024-01-01T00:00:00Z, not %q", a.Name, a.Value)
		}
		q.start = t
	}
	q.start = alignStart(q.start, q.period)
	return q
}

// alignStart moves a first-period-start before 1970 forward by whole
// periods to the last window start at or before 1970-01-01: the windows are
// the same, but the store's microsecond arithmetic stays small (Redis's Lua
// numbers are doubles, exact only below 2^53 µs, about 285 years).
func alignStart(start time.Time, period time.Duration) time.Time {
	ps := int64(period / time.Second)
	ss := start.Unix()
	if ss >= 0 || ps <= 0 {
		return start
	}
	k := -ss / ps // whole periods that fit between start and 1970
	return time.Unix(ss+k*ps, int64(start.Nanosecond())).UTC()
}

func (k *kit) parseQuotaCommon(p *engine.Parser) *quota {
	q := &quota{limitBase: k.newLimitBase(p), count: engine.ConstInt(1)}
	q.calls, q.bytes, q.period = parseQuotaLimits(p)
	return q
}

// parseQuotaLimits reads calls, bandwidth (KB, returned in bytes) and
// renewal-period (0: forever) of a quota element or of its <api> and
// <operation> children.
func parseQuotaLimits(p *engine.Parser) (calls, bytes int64, period time.Duration) {
	calls = p.LitInt("calls", 0, 1, math.MaxInt64)
	bytes = p.LitInt("bandwidth", 0, 1, math.MaxInt64/1024) * 1024
	if !p.Has("calls") && !p.Has("bandwidth") {
		p.Errorf("<%s> needs the attribute \"calls\" or \"bandwidth\" (or both)", p.Node().Name)
	}
	secs := p.RequiredLitInt("renewal-period", 0, int64(foreverPeriod/time.Second)/2)
	period = time.Duration(secs) * time.Second
	if secs == 0 {
		period = foreverPeriod
	}
	return calls, bytes, period
}

func (q *quota) Run(ctx context.Context, s *engine.State) error {
	var ckey, bkey string
	if q.byKey {
		k, err := q.key.Eval(s)
		if err != nil {
			return err
		}
		ckey, bkey = "qk:c:"+k, "qk:b:"+k
	} else {
		ckey, bkey = q.apiKeys[0].get(s), q.apiKeys[1].get(s)
		if len(q.children) > 0 {
			var buf [4]*childLimit
			if ch := applying(q.children, s.Context(), buf[:0]); len(ch) > 0 {
				return q.runChildren(ctx, s, ckey, bkey, ch)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	deferred := q.cond != nil && !q.cond.IsConst() || !q.count.IsConst()
	counts := q.cond == nil || q.cond.IsConst() && q.cond.Const() || deferred
	if q.bytes > 0 {
		// Only a check: bytes are counted once the request is over.
		if err := q.check(ctx, bkey, q.bytes, q.period, q.start, 0, "bandwidth"); err != nil {
			return err
		}
	}
	if q.calls > 0 {
		n := q.count.Const()
		if deferred || !counts {
			n = 0
		}
		if err := q.check(ctx, ckey, q.calls, q.period, q.start, n, "call volume"); err != nil {
			return err
		}
	}
	if !counts {
		return nil
	}
	// OnDone functions must not touch the State (for WebSocket APIs it is
	// released while the session goes on), so with increment-condition the
	// condition is evaluated once, at the end of outbound, and the bytes are
	// counted only when it was true there.
	var bc *engine.ByteCount
	if q.bytes > 0 {
		bc = s.CountBytes()
	}
	var ok *bool
	if deferred {
		ok = new(bool)
		var body *bodyCopy
		if q.readsBody {
			body = captureResponseBody(s)
		}
		s.AtEnd(func(ctx context.Context, s *engine.State) {
			body.restore(s)
			*ok = q.cond == nil || q.condition(s)
			if !*ok || q.calls == 0 {
				return
			}
			n, err := q.count.Eval(s)
			if err != nil {
				q.laterFailure("increment-count", err)
				return
			}
			if n > 0 {
				q.add(context.WithoutCancel(ctx), ckey, q.calls, q.period, q.start, n)
			}
		})
	}
	if bc != nil {
		s.OnDone(func() {
			if n := bc.In.Load() + bc.Out.Load(); n > 0 && (ok == nil || *ok) {
				q.add(context.Background(), bkey, q.bytes, q.period, q.start, n)
			}
		})
	}
	return nil
}

// runChildren applies the quota and those of its <api> and <operation>
// children that match the request: every calls and bandwidth quota is
// checked, then the call is counted against each calls quota (a refused
// call counts nowhere), and the request's bytes against each bandwidth
// quota once it is over.
func (q *quota) runChildren(ctx context.Context, s *engine.State, ckey, bkey string, ch []*childLimit) error {
	type level struct {
		ckey, bkey   string
		calls, bytes int64
		period       time.Duration
		start        time.Time
	}
	levels := make([]level, 0, len(ch)+1)
	levels = append(levels, level{ckey, bkey, q.calls, q.bytes, q.period, q.start})
	bytes := q.bytes > 0
	for _, c := range ch {
		levels = append(levels, level{c.keys[0].get(s), c.keys[1].get(s), c.calls, c.bytes, c.period, c.start})
		bytes = bytes || c.bytes > 0
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, l := range levels {
		if l.bytes > 0 {
			if err := q.check(ctx, l.bkey, l.bytes, l.period, l.start, 0, "bandwidth"); err != nil {
				return err
			}
		}
		if l.calls > 0 {
			if err := q.check(ctx, l.ckey, l.calls, l.period, l.start, 0, "call volume"); err != nil {
				return err
			}
		}
	}
	for _, l := range levels {
		if l.calls > 0 {
			if err := q.check(ctx, l.ckey, l.calls, l.period, l.start, 1, "call volume"); err != nil {
				return err
			}
		}
	}
	if bytes {
		bc := s.CountBytes()
		s.OnDone(func() {
			n := bc.In.Load() + bc.Out.Load()
			if n <= 0 {
				return
			}
			for _, l := range levels {
				if l.bytes > 0 {
					q.add(context.Background(), l.bkey, l.bytes, l.period, l.start, n)
				}
			}
		})
	}
	return nil
}

// condition evaluates increment-condition at the end of outbound; a failing
// expression is logged and counts as false.
func (q *quota) condition(s *engine.State) bool {
	ok, err := q.cond.Eval(s)
	if err != nil {
		q.laterFailure("increment-condition", err)
		return false
	}
	return ok
}

// check asks the store and turns a refusal into the 403.
func (q *quota) check(ctx context.Context, key string, limit int64, period time.Duration, start time.Time, n int64, what string) error {
	dec, err := q.k.store.Quota(ctx, key, limit, period, start, n)
	if err != nil {
		return q.storeFailed(err)
	}
	if dec.Allowed {
		return nil
	}
	secs := retrySeconds(dec.RetryAfter)
	msg := fmt.Sprintf("Out of %s quota. Quota will be replenished in %02d:%02d:%02d.", what, secs/3600, secs/60%60, secs%60)
	return limitError(engine.ReasonQuotaExceeded, 403, msg, "Retry-After", secs)
}

// add counts n units after the fact; what does not fit fills the quota up.
func (q *quota) add(ctx context.Context, key string, limit int64, period time.Duration, start time.Time, n int64) {
	dec, err := q.k.store.Quota(ctx, key, limit, period, start, n)
	if err == nil && !dec.Allowed && dec.Remaining > 0 {
		_, err = q.k.store.Quota(ctx, key, limit, period, start, dec.Remaining)
	}
	if err != nil {
		q.laterFailure("counting", err)
	}
}
