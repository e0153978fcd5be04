package store

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// This file holds the decision arithmetic shared by Memory and Redis. The
// admit/reject test itself runs inside each store (under a shard lock in
// Memory, inside a Lua script in Redis) because it must be atomic with the
// update; both then hand the raw state to these functions, so Remaining and
// RetryAfter are computed by the very same code whichever store answered.
// See README.md for the algorithms and their accuracy.

// ErrLeaseLost is returned by Lease.Renew when the lease has already expired
// or been released: its slot may belong to someone else by now, so the holder
// must not assume it still holds one.
var ErrLeaseLost = errors.New("store: lease lost (expired or released)")

// ErrInvalidArgument marks calls with a non-positive limit, window, period,
// ttl or a negative n. It is a programming or configuration error, never a
// reason to fail open.
var ErrInvalidArgument = errors.New("store: invalid argument")

// minDuration is the smallest window, period or ttl a store accepts. Redis
// keeps time in microseconds and expiries in milliseconds, so anything below a
// millisecond could not behave the same in both stores.
const minDuration = time.Millisecond

// minRetryAfter is the floor for Decision.RetryAfter on a rejection, so a
// caller never sees 0 (which would read as "retry immediately").
const minRetryAfter = time.Millisecond

func checkLimit(op, key string, limit int64, d time.Duration, n int64) error {
	switch {
	case limit <= 0:
		return fmt.Errorf("%s %q: limit %d must be > 0: %w", op, key, limit, ErrInvalidArgument)
	case d < minDuration:
		return fmt.Errorf("%s %q: duration %v must be >= %v: %w", op, key, d, minDuration, ErrInvalidArgument)
	case n < 0:
		return fmt.Errorf("%s %q: n %d must be >= 0: %w", op, key, n, ErrInvalidArgument)
	}
	return nil
}

// checkTTL rejects a cache ttl below minDuration.
func checkTTL(op, key string, ttl time.Duration) error {
	if ttl < minDuration {
		return fmt.Errorf("%s %q: ttl %v must be >= %v: %w", op, key, ttl, minDuration, ErrInvalidArgument)
	}
	return nil
}

// checkList rejects a list ttl below minDuration and a max outside
// 1..MaxListLen.
func checkList(op, key string, ttl time.Duration, max int) error {
	if err := checkTTL(op, key, ttl); err != nil {
		return err
	}
	if max < 1 || max > MaxListLen {
		return fmt.Errorf("%s %q: max %d must be within 1..%d: %w", op, key, max, MaxListLen, ErrInvalidArgument)
	}
	return nil
}

// need is the number of units a call must fit to be admitted: n, or 1 for a
// pure check (n == 0), so that a check is refused exactly when a call of one
// unit would be.
func need(n int64) int64 {
	if n < 1 {
		return 1
	}
	return n
}

// slidingEstimate is the sliding-window counter's estimate of the number of
// units in the last window: the previous fixed sub-window weighted by how
// much of it still overlaps the sliding window, plus the current one.
// elapsed is the time since the current sub-window started, in the same unit
// as window. The Lua script in redis.go evaluates the same expression in the
// same order (IEEE doubles in both), so both stores admit identically.
func slidingEstimate(prev, cur, elapsed, window int64) float64 {
	return float64(prev)*float64(window-elapsed)/float64(window) + float64(cur)
}

// slidingAdmit is the admission rule of RateLimit.
func slidingAdmit(limit, prev, cur, elapsed, window, n int64) bool {
	return slidingEstimate(prev, cur, elapsed, window)+float64(need(n)) <= float64(limit)
}

// slidingDecision builds the Decision of RateLimit from the state after the
// call: prev and cur are the sub-window counts (cur already includes n when
// allowed), elapsed is the time into the current sub-window, unit converts the
// window/elapsed unit to a Duration (both stores count in microseconds).
func slidingDecision(allowed bool, limit, prev, cur, elapsed, window, n int64, unit time.Duration) Decision {
	est := slidingEstimate(prev, cur, elapsed, window)
	d := Decision{Allowed: allowed, Limit: limit, Remaining: floorRemaining(limit, est)}
	if allowed {
		return d
	}
	d.RetryAfter = slidingRetryAfter(limit, prev, cur, elapsed, window, n, unit)
	return d
}

// slidingRetryAfter solves, for the earliest time t, estimate(t) + need <=
// limit assuming nothing else is admitted meanwhile. The estimate never grows
// without admissions, so sleeping RetryAfter is always enough (up to float
// rounding, which we cover by rounding up).
func slidingRetryAfter(limit, prev, cur, elapsed, window, n int64, unit time.Duration) time.Duration {
	nd := need(n)
	var wait float64 // in units of window
	switch {
	case nd > limit:
		// Never admissible; say "one window" rather than something absurd.
		wait = float64(window)
	case cur+nd <= limit && prev > 0:
		// Still admissible in this sub-window once prev's weight has decayed:
		// prev*(1-f) + cur + nd <= limit  <=>  f >= 1 - (limit-cur-nd)/prev.
		f := 1 - float64(limit-cur-nd)/float64(prev)
		wait = f*float64(window) - float64(elapsed)
	default:
		// Only in the next sub-window, where cur becomes prev:
		// cur*(1-f') + nd <= limit  <=>  f' >= 1 - (limit-nd)/cur.
		f := 0.0
		if cur > 0 {
			f = 1 - float64(limit-nd)/float64(cur)
		}
		wait = float64(window-elapsed) + f*float64(window)
	}
	return roundRetry(wait, unit)
}

// fixedDecision builds the Decision of Quota (and of Acquire, where count is
// the number of live leases and untilFree the wait for a slot).
func fixedDecision(allowed bool, limit, count int64, untilFree time.Duration) Decision {
	rem := limit - count
	if rem < 0 {
		rem = 0
	}
	d := Decision{Allowed: allowed, Limit: limit, Remaining: rem}
	if !allowed {
		d.RetryAfter = max(untilFree, minRetryAfter)
	}
	return d
}

// windowIndex returns floor((now-start)/period) and the time elapsed in that
// window, correct for now < start as well.
func windowIndex(now, start, period int64) (idx, elapsed int64) {
	d := now - start
	idx = d / period
	if d%period != 0 && d < 0 {
		idx--
	}
	return idx, d - idx*period
}

func floorRemaining(limit int64, est float64) int64 {
	r := math.Floor(float64(limit) - est)
	if r < 0 {
		return 0
	}
	return int64(r)
}

func roundRetry(wait float64, unit time.Duration) time.Duration {
	d := time.Duration(math.Ceil(wait)) * unit
	if d < minRetryAfter {
		return minRetryAfter
	}
	return d
}
