package policies

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"tollgate/engine"
)

// <retry condition="@(bool)" count="1-50" interval="s" max-interval="s" delta="s" first-fast-retry="false">
//
//	…policies…
//
// </retry>
// Runs its policies once, then evaluates condition; while it is true and
// fewer than count retries have run, it waits and runs them again. So the
// policies run at most count+1 times. All attributes take expressions;
// they are evaluated once, before the first run (condition after each run).
//
// The wait before retry n (1-based), as APIM documents it (and as its
// example 10, 20, 40, 80, 100 s shows):
//   - interval only: interval (fixed);
//   - interval and delta: interval + (n-1)·delta (linear);
//   - interval, delta and max-interval: interval + (2^(n-1) - 1)·δn, with
//     δn drawn uniformly from [0.8·delta, 1.2·delta] for each retry
//     (exponential with jitter);
//   - max-interval caps the wait in every mode;
//   - first-fast-retry="true": retry 1 does not wait.
//
// Errors: a policy inside that fails ends the retry and the failure goes
// on as usual (to on-error) — it is not retried, as in APIM; to retry a
// failed call, use send-request ignore-error="true" and test for a null
// variable in condition. A condition that fails to evaluate is an error
// too. A policy inside that ends the pipeline (return-response) ends the
// retry. Waits honour the request's context: a cancelled request stops at
// once (RequestCanceled), and a wait that would end after the section's
// deadline is not started: the retry stops there as if count were
// exhausted, keeping the last run's results (tollgate; APIM would be cut
// off by its own timeout).
//
// <forward-request> inside (backend section) sends the backend call on each
// run, as in APIM: condition then sees the backend's answer in
// context.Response (see forwardRequest).
//
// tollgate differences: interval may be 0 (retry at once); <wait> inside
// is a load error (APIM forbids it).
type retry struct {
	cond      engine.Bool
	count     engine.Int
	interval  engine.Int
	maxIval   *engine.Int
	delta     *engine.Int
	fastFirst engine.Bool
	body      engine.Block
}

const maxRetrySeconds = 3600

func (k *kit) parseRetry(p *engine.Parser) engine.Step {
	r := &retry{
		cond:      p.RequiredBool("condition"),
		count:     p.RequiredInt("count", 1, 50),
		interval:  p.RequiredInt("interval", 0, maxRetrySeconds),
		fastFirst: p.Bool("first-fast-retry", false),
	}
	if p.Has("max-interval") {
		m := p.Int("max-interval", 0, 1, maxRetrySeconds)
		r.maxIval = &m
		if m.IsConst() && r.interval.IsConst() && m.Const() < r.interval.Const() {
			p.ErrorAt(p.Node().Attr("max-interval").ValuePos, "attribute \"max-interval\" (%d) must not be less than \"interval\" (%d)", m.Const(), r.interval.Const())
		}
	}
	if p.Has("delta") {
		d := p.Int("delta", 0, 0, maxRetrySeconds)
		r.delta = &d
	}
	r.body = p.Block(p.Children())
	walkBlock(r.body, func(c *engine.Compiled) {
		switch c.Name {
		case "wait":
			p.ErrorAt(c.Pos, "<wait> is not allowed inside <retry> (as in APIM)")
		case "forward-request":
			if f, ok := c.Step.(*forwardRequest); ok {
				f.send = true // re-sent on each run
			}
		}
	})
	return r
}

// retrySchedule says how long to wait before each retry.
type retrySchedule struct {
	interval, delta, max time.Duration
	hasDelta, hasMax     bool
	fastFirst            bool
}

// wait returns the wait before retry n (1-based); rnd returns a number in
// [0, 1) for the exponential jitter.
func (rs retrySchedule) wait(n int, rnd func() float64) time.Duration {
	if n == 1 && rs.fastFirst {
		return 0
	}
	d := rs.interval
	switch {
	case rs.hasDelta && rs.hasMax:
		f := 0.8 + 0.4*rnd()
		mult := math.Exp2(float64(n-1)) - 1
		extra := mult * f * float64(rs.delta)
		if extra > float64(math.MaxInt64/2) {
			extra = float64(math.MaxInt64 / 2)
		}
		d += time.Duration(extra)
	case rs.hasDelta:
		d += time.Duration(n-1) * rs.delta
	}
	if rs.hasMax && d > rs.max {
		d = rs.max
	}
	return d
}

func (r *retry) schedule(s *engine.State) (retrySchedule, int64, error) {
	var rs retrySchedule
	count, err := r.count.Eval(s)
	if err != nil {
		return rs, 0, err
	}
	if rs.interval, err = r.interval.Seconds(s); err != nil {
		return rs, 0, err
	}
	if r.delta != nil {
		rs.hasDelta = true
		if rs.delta, err = r.delta.Seconds(s); err != nil {
			return rs, 0, err
		}
	}
	if r.maxIval != nil {
		rs.hasMax = true
		if rs.max, err = r.maxIval.Seconds(s); err != nil {
			return rs, 0, err
		}
	}
	if rs.fastFirst, err = r.fastFirst.Eval(s); err != nil {
		return rs, 0, err
	}
	return rs, count, nil
}

func (r *retry) Run(ctx context.Context, s *engine.State) error {
	rs, count, err := r.schedule(s)
	if err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n > 0 {
			d := rs.wait(n, rand.Float64)
			if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) {
				s.Tracef("retry %d would wait %s, past the deadline: stopping", n, d)
				return nil
			}
			if d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			} else if err := ctx.Err(); err != nil {
				return err
			}
			s.Tracef("retry %d after %s", n, d)
		}
		if err := r.body.Run(ctx, s); err != nil {
			return err
		}
		if s.Stopped() {
			return nil
		}
		again, err := r.cond.Eval(s)
		if err != nil {
			return err
		}
		if !again {
			return nil
		}
		if int64(n) >= count {
			s.Tracef("condition still true after %d retries", count)
			return nil
		}
	}
}

// walkBlock calls fn for every compiled policy in b, descending into the
// policies that hold others (choose, retry, wait, limit-concurrency).
func walkBlock(b engine.Block, fn func(*engine.Compiled)) {
	for _, c := range b {
		fn(c)
		switch st := c.Step.(type) {
		case *choose:
			for _, w := range st.whens {
				walkBlock(w.body, fn)
			}
			walkBlock(st.otherwise, fn)
		case *retry:
			walkBlock(st.body, fn)
		case *limitConcurrency:
			walkBlock(st.body, fn)
		case *waitPolicy:
			for _, br := range st.branches {
				walkBlock(engine.Block{br}, fn)
			}
		}
	}
}
