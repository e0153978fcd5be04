package store

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memShards is the number of lock stripes. A power of two so the shard is a
// mask of the key's hash; 64 keeps contention negligible on the core counts a
// gateway replica runs on while costing a few KiB.
const memShards = 64

// DefaultSweepInterval is how often Memory's janitor drops expired entries.
const DefaultSweepInterval = 30 * time.Second

// Memory is the in-process Store. State is split over lock-striped shards
// (by a seeded hash of the key) so concurrent calls on different keys rarely
// share a mutex; each kind of state (rate, quota, leases, cache) has its own
// map so one key string can be used by several policies without clashing.
// Expired entries are removed lazily when touched and by a janitor goroutine
// every sweep interval; Close stops the janitor.
type Memory struct {
	seed   maphash.Seed
	now    func() time.Time
	shards [memShards]memShard
	// shardCache bounds the bytes a shard's cache values and lists may
	// hold (WithCacheBytes / memShards).
	shardCache int64
	leaseSeq   atomic.Uint64
	ps         memPubSub // Publish and Listen (pubsub.go)

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type memShard struct {
	mu     sync.Mutex
	rate   map[string]*rateEntry
	quota  map[string]*quotaEntry
	leases map[string]*leaseSet
	cache  map[string]cacheEntry
	lists  map[string]*memList
	// written counts the cache and list bytes stored since the shard's
	// last recount: at least what it holds, so a recount (bound) is due
	// only once it passes the shard's share of the cache budget.
	written int64
	_       [72]byte // keep neighbouring shards' mutexes on separate cache lines
}

// rateEntry is one sliding-window counter: the counts of fixed sub-window idx
// (cur) and idx-1 (prev). All Memory times are microseconds since the Unix
// epoch, like the Redis scripts', so both stores do the same arithmetic.
type rateEntry struct {
	window, idx, cur, prev int64
}

// quotaEntry is the count of fixed window idx (start + idx*period, µs); the
// window, and so the entry, ends at start + (idx+1)*period.
type quotaEntry struct {
	period, start, idx, count int64
}

type leaseSet struct {
	items []leaseItem
}

type leaseItem struct {
	id  uint64
	exp int64 // UnixMicro; the lease is dead once now >= exp
}

type cacheEntry struct {
	val []byte
	exp int64
}

// memList is one CacheListPush list: oldest first, each value with its
// own expiry (UnixMicro).
type memList struct {
	items []cacheEntry
}

// size is what the list under key is counted for in the cache budget.
func (l *memList) size(key string) int64 {
	n := int64(len(key)) + entryOverhead
	for _, e := range l.items {
		n += int64(len(e.val)) + entryOverhead
	}
	return n
}

// prune drops the expired values, keeping the order.
func (l *memList) prune(now int64) {
	live := l.items[:0]
	for _, e := range l.items {
		if e.exp > now {
			live = append(live, e)
		}
	}
	clear(l.items[len(live):]) // let the dropped values go
	l.items = live
}

type memoryConfig struct {
	sweep      time.Duration
	now        func() time.Time
	cacheBytes int64
}

// DefaultCacheBytes bounds what Memory's cache (cache-store,
// cache-store-value, the semantic cache) holds: values and keys, counted
// with a fixed overhead each (1 GiB, APIM's Standard tier's built-in
// cache; each of the 64 shards holds a 64th, so one value is at most
// 16 MiB). Past it, expired entries go first, then
// others (no order: as Redis's allkeys-random), so keys a client chooses
// (a vary-by header) cannot grow the gateway's memory without bound.
const DefaultCacheBytes = 1 << 30

// entryOverhead is what an entry is counted for besides its key and value.
const entryOverhead = 64

// WithCacheBytes sets the cache's budget (default DefaultCacheBytes;
// values <= 0 keep the default).
func WithCacheBytes(n int64) MemoryOption {
	return func(c *memoryConfig) {
		if n > 0 {
			c.cacheBytes = n
		}
	}
}

// MemoryOption configures NewMemory.
type MemoryOption func(*memoryConfig)

// WithSweepInterval sets how often the janitor removes expired entries
// (default DefaultSweepInterval; values <= 0 keep the default).
func WithSweepInterval(d time.Duration) MemoryOption {
	return func(c *memoryConfig) {
		if d > 0 {
			c.sweep = d
		}
	}
}

// WithClock replaces time.Now, for tests that need to control time.
func WithClock(now func() time.Time) MemoryOption {
	return func(c *memoryConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// NewMemory returns an in-process Store and starts its janitor; call Close to
// stop it.
func NewMemory(opts ...MemoryOption) *Memory {
	cfg := memoryConfig{sweep: DefaultSweepInterval, now: time.Now, cacheBytes: DefaultCacheBytes}
	for _, o := range opts {
		o(&cfg)
	}
	m := &Memory{
		seed:       maphash.MakeSeed(),
		now:        cfg.now,
		shardCache: max(cfg.cacheBytes/memShards, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	for i := range m.shards {
		s := &m.shards[i]
		s.rate = make(map[string]*rateEntry)
		s.quota = make(map[string]*quotaEntry)
		s.leases = make(map[string]*leaseSet)
		s.cache = make(map[string]cacheEntry)
		s.lists = make(map[string]*memList)
	}
	go m.janitor(cfg.sweep)
	return m
}

var _ Store = (*Memory)(nil)

func (m *Memory) shard(key string) *memShard {
	return &m.shards[maphash.String(m.seed, key)&(memShards-1)]
}

func memUnavailable(op, key string, err error) error {
	return fmt.Errorf("memory %s %q: %w: %w", op, key, ErrUnavailable, err)
}

// RateLimit implements Store with a sliding-window counter (see README.md).
func (m *Memory) RateLimit(ctx context.Context, key string, limit int64, window time.Duration, n int64) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, memUnavailable("ratelimit", key, err)
	}
	if err := checkLimit("memory ratelimit", key, limit, window, n); err != nil {
		return Decision{}, err
	}
	now := m.now().UnixMicro()
	w := window.Microseconds()
	idx, elapsed := windowIndex(now, 0, w)

	s := m.shard(key)
	s.mu.Lock()
	e := s.rate[key]
	var prev, cur int64
	if e != nil && e.window == w {
		switch e.idx {
		case idx:
			prev, cur = e.prev, e.cur
		case idx - 1:
			prev = e.cur
		}
	}
	allowed := slidingAdmit(limit, prev, cur, elapsed, w, n)
	if allowed && n > 0 {
		cur += n
		if e == nil {
			e = new(rateEntry)
			s.rate[keptKey(key)] = e
		}
		*e = rateEntry{window: w, idx: idx, cur: cur, prev: prev}
	}
	s.mu.Unlock()
	return slidingDecision(allowed, limit, prev, cur, elapsed, w, n, time.Microsecond), nil
}

// Quota implements Store with fixed windows aligned to start + k*period.
func (m *Memory) Quota(ctx context.Context, key string, limit int64, period time.Duration, start time.Time, n int64) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, memUnavailable("quota", key, err)
	}
	if err := checkLimit("memory quota", key, limit, period, n); err != nil {
		return Decision{}, err
	}
	now := m.now().UnixMicro()
	p, st := period.Microseconds(), start.UnixMicro()
	idx, elapsed := windowIndex(now, st, p)

	s := m.shard(key)
	s.mu.Lock()
	e := s.quota[key]
	var count int64
	if e != nil && e.period == p && e.start == st && e.idx == idx {
		count = e.count
	}
	allowed := count+need(n) <= limit
	if allowed && n > 0 {
		count += n
		if e == nil {
			e = new(quotaEntry)
			s.quota[keptKey(key)] = e
		}
		*e = quotaEntry{period: p, start: st, idx: idx, count: count}
	}
	s.mu.Unlock()
	return fixedDecision(allowed, limit, count, time.Duration(p-elapsed)*time.Microsecond), nil
}

// Acquire implements Store. Slots are counted per key; expired leases are
// dropped before counting, so a holder that dies frees its slot after ttl.
func (m *Memory) Acquire(ctx context.Context, key string, maxLeases int64, ttl time.Duration) (Lease, Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, Decision{}, memUnavailable("acquire", key, err)
	}
	if err := checkLimit("memory acquire", key, maxLeases, ttl, 1); err != nil {
		return nil, Decision{}, err
	}
	now := m.now().UnixMicro()
	s := m.shard(key)
	s.mu.Lock()
	ls := s.leases[key]
	if ls == nil {
		ls = &leaseSet{}
		s.leases[keptKey(key)] = ls
	}
	ls.prune(now)
	count := int64(len(ls.items))
	if count < maxLeases {
		id := m.leaseSeq.Add(1)
		ls.items = append(ls.items, leaseItem{id: id, exp: now + ttl.Microseconds()})
		s.mu.Unlock()
		return &memLease{m: m, key: key, id: id, ttl: ttl}, fixedDecision(true, maxLeases, count+1, 0), nil
	}
	earliest := ls.items[0].exp
	for _, it := range ls.items[1:] {
		earliest = min(earliest, it.exp)
	}
	s.mu.Unlock()
	return nil, fixedDecision(false, maxLeases, count, time.Duration(earliest-now)*time.Microsecond), nil
}

// prune drops leases whose expiry is not after now (the same "score <= now"
// rule as the Redis script).
func (ls *leaseSet) prune(now int64) {
	kept := ls.items[:0]
	for _, it := range ls.items {
		if it.exp > now {
			kept = append(kept, it)
		}
	}
	clear(ls.items[len(kept):])
	ls.items = kept
}

type memLease struct {
	m   *Memory
	key string
	id  uint64
	ttl time.Duration
}

// Renew pushes the lease's expiry to now+ttl, or returns ErrLeaseLost when it
// has already expired or been released.
func (l *memLease) Renew(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return memUnavailable("renew", l.key, err)
	}
	now := l.m.now().UnixMicro()
	s := l.m.shard(l.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ls := s.leases[l.key]; ls != nil {
		ls.prune(now)
		for i := range ls.items {
			if ls.items[i].id == l.id {
				ls.items[i].exp = now + l.ttl.Microseconds()
				return nil
			}
		}
	}
	return fmt.Errorf("memory renew %q: %w", l.key, ErrLeaseLost)
}

// Release frees the slot; releasing twice (or after expiry) is a no-op.
func (l *memLease) Release(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return memUnavailable("release", l.key, err)
	}
	s := l.m.shard(l.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := s.leases[l.key]
	if ls == nil {
		return nil
	}
	for i := range ls.items {
		if ls.items[i].id == l.id {
			last := len(ls.items) - 1
			ls.items[i] = ls.items[last]
			ls.items[last] = leaseItem{}
			ls.items = ls.items[:last]
			break
		}
	}
	// An emptied set stays (with its capacity) until the janitor's sweep,
	// so a key that is acquired and released in a loop does not allocate.
	return nil
}

// CacheGet returns a copy of the value stored under key, if not expired.
func (m *Memory) CacheGet(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, memUnavailable("cache get", key, err)
	}
	now := m.now().UnixMicro()
	s := m.shard(key)
	s.mu.Lock()
	e, ok := s.cache[key]
	if ok && e.exp <= now {
		delete(s.cache, key)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	// Values are immutable once stored (CacheSet copies), so copying outside
	// the lock is safe.
	return append([]byte{}, e.val...), true, nil
}

// CacheTake returns the value stored under key, if not expired, and removes
// it under the shard lock, so concurrent takes cannot both get it.
func (m *Memory) CacheTake(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, memUnavailable("cache take", key, err)
	}
	now := m.now().UnixMicro()
	s := m.shard(key)
	s.mu.Lock()
	e, ok := s.cache[key]
	delete(s.cache, key)
	s.mu.Unlock()
	if !ok || e.exp <= now {
		return nil, false, nil
	}
	return e.val, true, nil // removed: nobody else holds e.val
}

// CacheSet stores a copy of value under key for ttl (>= 1ms).
func (m *Memory) CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return memUnavailable("cache set", key, err)
	}
	if err := checkTTL("memory cache set", key, ttl); err != nil {
		return err
	}
	v := append([]byte{}, value...)
	exp := m.now().UnixMicro() + ttl.Microseconds()
	s := m.shard(key)
	s.mu.Lock()
	s.cache[keptKey(key)] = cacheEntry{val: v, exp: exp} // a map assignment stores the key again
	s.written += int64(len(key)+len(v)) + entryOverhead
	if s.written > m.shardCache {
		s.bound(m.shardCache, m.now().UnixMicro(), key)
	}
	s.mu.Unlock()
	return nil
}

// bound brings the shard's cache values and lists within limit: expired
// ones go first, then others (map order: no ranking), never keep (the key
// just written) unless it alone is over the limit. It leaves the shard at
// most 7/8 of limit, so the next recount is an eighth of the budget away.
// Called with s.mu held.
func (s *memShard) bound(limit, now int64, keep string) {
	var total int64
	for k, e := range s.cache {
		if e.exp <= now {
			delete(s.cache, k)
			continue
		}
		total += int64(len(k)+len(e.val)) + entryOverhead
	}
	for k, l := range s.lists {
		l.prune(now)
		if len(l.items) == 0 {
			delete(s.lists, k)
			continue
		}
		total += l.size(k)
	}
	target := limit - limit/8
	for k, e := range s.cache {
		if total <= target {
			break
		}
		if k != keep {
			delete(s.cache, k)
			total -= int64(len(k)+len(e.val)) + entryOverhead
		}
	}
	for k, l := range s.lists {
		if total <= target {
			break
		}
		if k != keep {
			total -= l.size(k)
			delete(s.lists, k)
		}
	}
	if total > limit { // keep alone is over the budget: it goes too
		if e, ok := s.cache[keep]; ok {
			delete(s.cache, keep)
			total -= int64(len(keep)+len(e.val)) + entryOverhead
		}
		if l := s.lists[keep]; l != nil {
			total -= l.size(keep)
			delete(s.lists, keep)
		}
	}
	s.written = total
}

// CacheDelete removes key; deleting a missing key is not an error.
func (m *Memory) CacheDelete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return memUnavailable("cache delete", key, err)
	}
	s := m.shard(key)
	s.mu.Lock()
	delete(s.cache, key)
	s.mu.Unlock()
	return nil
}

// CacheListPush implements Store: a copy of value goes at the head of the
// list, which keeps its max newest values.
func (m *Memory) CacheListPush(ctx context.Context, key string, value []byte, ttl time.Duration, max int) error {
	if err := ctx.Err(); err != nil {
		return memUnavailable("cache list push", key, err)
	}
	if err := checkList("memory cache list push", key, ttl, max); err != nil {
		return err
	}
	v := append([]byte{}, value...)
	now := m.now().UnixMicro()
	s := m.shard(key)
	s.mu.Lock()
	l := s.lists[key]
	if l == nil {
		l = &memList{}
		s.lists[keptKey(key)] = l
	}
	l.prune(now)
	l.items = append(l.items, cacheEntry{val: v, exp: now + ttl.Microseconds()})
	if n := len(l.items) - max; n > 0 {
		clear(l.items[:n])
		l.items = append(l.items[:0], l.items[n:]...)
	}
	s.written += int64(len(v)) + entryOverhead
	if s.written > m.shardCache {
		s.bound(m.shardCache, now, key)
	}
	s.mu.Unlock()
	return nil
}

// CacheList implements Store. The values are the stored ones (never
// changed once stored), not copies: a lookup over a long list of vectors
// costs no copying.
func (m *Memory) CacheList(ctx context.Context, key string) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, memUnavailable("cache list", key, err)
	}
	now := m.now().UnixMicro()
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[key]
	if l == nil {
		return nil, nil
	}
	l.prune(now)
	if len(l.items) == 0 {
		delete(s.lists, key)
		return nil, nil
	}
	out := make([][]byte, len(l.items))
	for i, e := range l.items {
		out[len(out)-1-i] = e.val
	}
	return out, nil
}

// Close stops the janitor and ends the listeners (PubSub). The store
// keeps answering afterwards (it has nothing to disconnect from) but no
// longer sweeps, and Listen fails. Close is idempotent.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		<-m.done
		m.ps.close()
	})
	return nil
}

func (m *Memory) janitor(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.Sweep()
		}
	}
}

// Sweep removes every expired entry now. The janitor calls it periodically;
// it is exported for tests and for callers that want to reclaim memory at a
// moment of their choosing. Shards are locked one at a time.
func (m *Memory) Sweep() {
	now := m.now().UnixMicro()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for k, e := range s.rate {
			// cur still matters as prev during sub-window idx+1.
			if (e.idx+2)*e.window <= now {
				delete(s.rate, k)
			}
		}
		for k, e := range s.quota {
			if e.start+(e.idx+1)*e.period <= now {
				delete(s.quota, k)
			}
		}
		for k, ls := range s.leases {
			ls.prune(now)
			if len(ls.items) == 0 {
				delete(s.leases, k)
			}
		}
		for k, e := range s.cache {
			if e.exp <= now {
				delete(s.cache, k)
			}
		}
		for k, l := range s.lists {
			if l.prune(now); len(l.items) == 0 {
				delete(s.lists, k)
			}
		}
		s.mu.Unlock()
	}
}

// Len reports how many entries of each kind Memory holds (expired ones
// included until swept). For tests and metrics.
func (m *Memory) Len() (rate, quota, leases, cache int) {
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		rate += len(s.rate)
		quota += len(s.quota)
		leases += len(s.leases)
		cache += len(s.cache)
		s.mu.Unlock()
	}
	return
}

// keptKey is the copy of key a map of the store keeps. A key a policy
// built may share the bytes of a request's larger allocation (the REST
// exchange's or a handshake's room, a body's buffer): kept as it is, each
// key would hold that whole allocation for as long as its entry lives, a
// few KiB per distinct client key instead of the key's own bytes.
func keptKey(key string) string { return strings.Clone(key) }
