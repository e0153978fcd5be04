// Package store holds the counters and values that must outlive a config
// snapshot: rate-limit windows, quotas, concurrency leases and cached values.
//
// Two implementations share one contract: Memory (the default, one process)
// and Redis (shared by every replica). Keys are opaque strings built by the
// policies; each implementation adds its own namespace.
//
// Both run the same algorithms with the same arithmetic: a sliding-window
// counter for RateLimit, fixed windows aligned to start + k*period for Quota,
// expiring leases for Acquire. README.md in this directory describes them and
// their accuracy. The package never logs: errors carry their context and wrap
// their cause (ErrUnavailable, ErrInvalidArgument, ErrLeaseLost, ...).
//
// A store bounds its own calls: policies pass the request's context through
// and add no timeout of their own (Redis: RedisOptions.Timeout, fed by
// tollgate serve --store-timeout). A new backend implements Store and runs
// the contract suites of contract_test.go.
package store

import (
	"context"
	"errors"
	"time"
)

// Decision is the answer of a limit check.
type Decision struct {
	Allowed    bool          // the call is admitted
	Limit      int64         // the configured limit
	Remaining  int64         // calls (or units) left in the current window after this call
	RetryAfter time.Duration // when not allowed: how long until a call would be admitted (> 0)
}

// Store is the shared-state contract used by the limit and cache policies.
// Every method must be safe for concurrent use and must honour ctx's deadline:
// a store that cannot answer in time returns an error wrapping ErrUnavailable.
type Store interface {
	// RateLimit checks key against limit calls per sliding window and, when
	// admitted, adds n (n == 0 only checks: it is refused exactly when a call
	// of one unit would be). Rejected calls are not counted.
	RateLimit(ctx context.Context, key string, limit int64, window time.Duration, n int64) (Decision, error)

	// Quota checks key against limit units per fixed period whose windows
	// start at start + k*period, and when admitted adds n (n == 0 only checks).
	Quota(ctx context.Context, key string, limit int64, period time.Duration, start time.Time, n int64) (Decision, error)

	// Acquire takes one of max concurrent slots for key. The lease expires
	// after ttl unless renewed, so a dead replica never leaks slots. A nil
	// Lease with Allowed=false means the key is full.
	Acquire(ctx context.Context, key string, max int64, ttl time.Duration) (Lease, Decision, error)

	// CacheGet, CacheSet and CacheDelete back the cache-*-value policies.
	CacheGet(ctx context.Context, key string) (value []byte, ok bool, err error)
	CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error
	CacheDelete(ctx context.Context, key string) error
	// CacheTake returns the value under key and removes it in one atomic
	// step: of any number of concurrent takes of one stored value (on every
	// replica sharing the store) exactly one gets it, the others miss.
	// Single-use tokens are built on it (cache-lookup-value remove="true").
	CacheTake(ctx context.Context, key string) (value []byte, ok bool, err error)

	// CacheListPush puts value at the head of the list under key, where it
	// lives ttl (>= 1ms; each value expires on its own), and keeps the
	// list to its max (1..MaxListLen) newest values, dropping the oldest.
	// The semantic cache keeps a partition's entries in one list.
	CacheListPush(ctx context.Context, key string, value []byte, ttl time.Duration, max int) error
	// CacheList returns the unexpired values of the list under key, newest
	// first (none: an empty result). Callers must not modify them.
	CacheList(ctx context.Context, key string) ([][]byte, error)

	Close() error
}

// Lease is one held concurrency slot.
type Lease interface {
	// Renew extends the lease to now + its ttl. Holders renew at ttl/3. Once
	// the lease has expired or been released Renew returns an error wrapping
	// ErrLeaseLost: the slot may be someone else's by then.
	Renew(ctx context.Context) error
	// Release frees the slot. It is idempotent.
	Release(ctx context.Context) error
}

// MaxListLen bounds CacheListPush's max.
const MaxListLen = 10000

// ErrUnavailable marks errors caused by the store being down or slow.
var ErrUnavailable = errors.New("store unavailable")

// PubSub hands messages from one replica to another through the store:
// a message published on a channel reaches the listeners of that channel
// on every replica sharing the store (Memory: in this process) at the
// moment it is published, at most once, in the order one publisher
// published them. Nothing is stored: a message nobody listens to is lost,
// and Publish says how many received it. The MCP servers' HTTP+SSE
// sessions use it to hand a POSTed message to the replica that holds the
// session's stream. Memory and Redis implement it; it is not part of
// Store, so other Store implementations need not.
type PubSub interface {
	// Publish hands msg to the listeners of channel and returns how many
	// took it: Redis counts the stores (replicas) that listen to the
	// channel, Memory the listeners that had room for it.
	Publish(ctx context.Context, channel string, msg []byte) (receivers int64, err error)
	// Listen receives the messages published on channel once it has
	// returned (Redis: the subscription is confirmed). size (1..MaxListen)
	// bounds the messages waiting to be read: one that finds them full is
	// dropped for this listener, so a slow reader never holds up the
	// others nor grows memory.
	Listen(ctx context.Context, channel string, size int) (Listener, error)
}

// Listener is one Listen.
type Listener interface {
	// Messages delivers the messages; it is closed by Close and when the
	// store closes. Receivers must not modify a message: several
	// listeners of one channel may share it.
	Messages() <-chan []byte
	// Close stops listening (idempotent).
	Close() error
}

// MaxListen bounds Listen's size.
const MaxListen = 10000
