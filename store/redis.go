package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// DefaultRedisPrefix namespaces every key Redis writes.
const DefaultRedisPrefix = "tollgate:"

// DefaultRedisTimeout bounds every Redis call: the one default of
// tollgate serve --store-timeout.
const DefaultRedisTimeout = 100 * time.Millisecond

// connectTimeout bounds NewRedis's first PING and script loading when the
// caller's ctx has no deadline of its own.
const connectTimeout = 5 * time.Second

// RedisOptions configures NewRedis. The zero value is usable.
type RedisOptions struct {
	// Prefix is prepended to every key (default DefaultRedisPrefix), so
	// several gateways, or a gateway and other applications, can share a
	// Redis database.
	Prefix string
	// Timeout bounds each call (default DefaultRedisTimeout). A call that
	// cannot complete in time returns an error wrapping ErrUnavailable. A
	// shorter deadline on the caller's ctx wins.
	Timeout time.Duration
	// PoolSize overrides go-redis's connection pool size (and the URL's
	// pool_size) when > 0.
	PoolSize int
	// Lazy returns a working store even when Redis cannot be reached yet:
	// calls fail with ErrUnavailable (policies then fail open or closed)
	// until it answers, and the scripts load on first use. A gateway
	// replica that restarts during a Redis outage must still come up.
	Lazy bool
}

// Redis is the Store shared by every replica. Each limit check is one Lua
// script, so it is atomic and costs one round trip (EVALSHA, falling back to
// EVAL once after the server lost its script cache, e.g. on restart).
//
// Time: the scripts read the Redis server's clock (TIME), never the client's,
// so replicas whose clocks disagree still share one consistent window. This
// needs script effects replication, the default since Redis 5 (the only mode
// since 7.0); the scripts also call redis.replicate_commands() where it exists
// so Redis 3.2–4 work too.
//
// Keys are Prefix + kind + ":" + key, kind being rl (rate limit), q (quota),
// cc (concurrency leases), cv (cached values) or cl (cached lists), and every key written carries
// an expiry, so nothing outlives its usefulness.
//
// Redis Cluster is not supported by NewRedis (it builds a single-node
// client), though each script touches exactly one declared key and so would
// run unchanged on a cluster.
type Redis struct {
	c       *redis.Client
	prefix  string
	timeout time.Duration
	now     func() time.Time // tests only: replaces the server clock
	sub     redisPubSub      // Listen's subscriptions (redis_pubsub.go)
}

var _ Store = (*Redis)(nil)

// NewRedis connects to url (redis:// or rediss://, as accepted by
// redis.ParseURL: user, password, db and pool options) and checks the server
// answers PING and loads the scripts. A server that cannot be reached returns
// an error wrapping ErrUnavailable; the caller may retry or fall back to
// Memory. After a successful start go-redis reconnects on its own whenever
// the server goes away and comes back.
func NewRedis(ctx context.Context, url string, opts RedisOptions) (*Redis, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis store: parse url: %w", err)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultRedisTimeout
	}
	if opts.PoolSize > 0 {
		o.PoolSize = opts.PoolSize
	}
	// Let each call's deadline (Timeout) drive socket deadlines, instead of
	// go-redis's 3s read/write defaults.
	o.ContextTimeoutEnabled = true
	// Maintenance notifications only matter for Redis Enterprise/Cloud
	// upgrades; the handshake costs a round trip per new connection.
	if o.MaintNotificationsConfig == nil {
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	r := &Redis{c: redis.NewClient(o), prefix: opts.Prefix, timeout: opts.Timeout}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	if err := r.c.Ping(ctx).Err(); err != nil {
		werr := r.wrap("connect", o.Addr, err)
		if opts.Lazy && errors.Is(werr, ErrUnavailable) {
			return r, nil // go-redis reconnects by itself; Run loads scripts on NOSCRIPT
		}
		_ = r.c.Close()
		return nil, werr
	}
	for _, s := range []*redis.Script{rateScript, quotaScript, acquireScript, renewScript, takeScript, listPushScript} {
		if err := s.Load(ctx, r.c).Err(); err != nil {
			_ = r.c.Close()
			return nil, r.wrap("load script", o.Addr, err)
		}
	}
	return r, nil
}

// Ping reports whether Redis answers now (wrapping ErrUnavailable if not).
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.c.Ping(ctx).Err(); err != nil {
		return r.wrap("ping", r.c.Options().Addr, err)
	}
	return nil
}

// Client exposes the underlying go-redis client, for health checks and tests.
func (r *Redis) Client() *redis.Client { return r.c }

// Close ends the listeners (PubSub) and closes the connection pool. Calls
// after Close fail with an error wrapping ErrUnavailable.
func (r *Redis) Close() error {
	r.closePubSub()
	if err := r.c.Close(); err != nil {
		return fmt.Errorf("redis store: close: %w", err)
	}
	return nil
}

// clock is the scripts' time override: 0 (use the server's TIME) unless a
// test installed a fake clock.
func (r *Redis) clock() int64 {
	if r.now == nil {
		return 0
	}
	return r.now().UnixMicro()
}

func (r *Redis) key(kind, key string) string {
	return r.prefix + kind + ":" + key
}

func (r *Redis) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.timeout)
}

// unavailableReplies are server error prefixes that mean "cannot serve now"
// rather than "this request is wrong".
var unavailableReplies = []string{
	"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
	"READONLY", "NOREPLICAS", "MISCONF", "OOM",
}

// isUnavailable tells apart errors of reaching Redis (network, timeouts,
// closed client, pool exhaustion, a server loading or failing over) from
// errors Redis answered about the request itself (a script error).
func isUnavailable(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return true
	}
	msg := re.Error()
	for _, p := range unavailableReplies {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func (r *Redis) wrap(op, key string, err error) error {
	if isUnavailable(err) {
		return fmt.Errorf("redis %s %q: %w: %w", op, key, ErrUnavailable, err)
	}
	return fmt.Errorf("redis %s %q: %w", op, key, err)
}

// Every script reads the server clock in microseconds; ARGV[1] is a clock
// override for tests (0, always in production, means "use TIME"). Numbers handed back
// to Redis go through string.format('%d') because Lua's default number to
// string conversion keeps only 14 significant digits (a µs timestamp has 16).
// Integer replies are truncated by Redis, so scripts only return integers.
const luaPrelude = `
local now = tonumber(ARGV[1])
if now == 0 then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function int(x) return string.format('%d', x) end
local function windex(d, p)
  local i = math.floor(d / p)
  local e = d - i * p
  if e < 0 then i = i - 1; e = e + p elseif e >= p then i = i + 1; e = e - p end
  return i, e
end
`

// rateScript: sliding-window counter. KEYS[1] hash {i: sub-window index,
// c: its count, p: previous sub-window's count, w: window}. ARGV: now override, limit,
// window µs, n. Returns {allowed, prev, cur (after adding n), elapsed µs}.
var rateScript = redis.NewScript(luaPrelude + `
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local idx, elapsed = windex(now, window)
local st = redis.call('HMGET', KEYS[1], 'i', 'c', 'p', 'w')
local prev, cur = 0, 0
if st[1] and tonumber(st[4]) == window then
  local si = tonumber(st[1])
  if si == idx then
    cur = tonumber(st[2]); prev = tonumber(st[3])
  elseif si == idx - 1 then
    prev = tonumber(st[2])
  end
end
local need = n
if need < 1 then need = 1 end
local allowed = 0
if prev * (window - elapsed) / window + cur + need <= limit then
  allowed = 1
  if n > 0 then
    cur = cur + n
    redis.call('HSET', KEYS[1], 'i', int(idx), 'c', int(cur), 'p', int(prev), 'w', ARGV[3])
    redis.call('PEXPIRE', KEYS[1], int(math.max(1, math.ceil((2 * window - elapsed) / 1000))))
  end
end
return {allowed, prev, cur, elapsed}
`)

// quotaScript: fixed window. KEYS[1] hash {i: window index, c: count,
// p: period, s: start}. ARGV: now override, limit, period µs, start µs, n. Returns
// {allowed, count (after adding n), elapsed µs in the window}.
var quotaScript = redis.NewScript(luaPrelude + `
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local start = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local idx, elapsed = windex(now - start, period)
local st = redis.call('HMGET', KEYS[1], 'i', 'c', 'p', 's')
local count = 0
if st[1] and tonumber(st[1]) == idx and tonumber(st[3]) == period and tonumber(st[4]) == start then
  count = tonumber(st[2])
end
local need = n
if need < 1 then need = 1 end
local allowed = 0
if count + need <= limit then
  allowed = 1
  if n > 0 then
    count = count + n
    redis.call('HSET', KEYS[1], 'i', int(idx), 'c', int(count), 'p', ARGV[3], 's', ARGV[4])
    redis.call('PEXPIRE', KEYS[1], int(math.max(1, math.ceil((period - elapsed) / 1000))))
  end
end
return {allowed, count, elapsed}
`)

// leaseExpire is shared by acquire and renew: keep the set alive until its
// last lease expires.
const leaseExpire = `
local function expire_set(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then
    redis.call('PEXPIRE', key, int(math.max(1, math.ceil((tonumber(last[2]) - now) / 1000))))
  end
end
`

// acquireScript: KEYS[1] sorted set of lease ids scored by expiry (µs).
// ARGV: now override, max, ttl µs, lease id. Returns {allowed, live count, µs until the
// earliest lease expires when full}. Re-running it with the same id (a
// client retry) refreshes that lease instead of taking a second slot.
var acquireScript = redis.NewScript(luaPrelude + leaseExpire + `
local key = KEYS[1]
local max = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local id = ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now))
local count = redis.call('ZCARD', key)
if redis.call('ZSCORE', key, id) then
  redis.call('ZADD', key, int(now + ttl), id)
  expire_set(key)
  return {1, count, 0}
end
if count < max then
  redis.call('ZADD', key, int(now + ttl), id)
  expire_set(key)
  return {1, count + 1, 0}
end
local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, count, tonumber(first[2]) - now}
`)

// renewScript: ARGV: now override, ttl µs, lease id. Returns 1 when renewed, 0 when the
// lease had expired or been released.
var renewScript = redis.NewScript(luaPrelude + leaseExpire + `
local key = KEYS[1]
local ttl = tonumber(ARGV[2])
local id = ARGV[3]
local s = redis.call('ZSCORE', key, id)
if not s then return 0 end
if tonumber(s) <= now then
  redis.call('ZREM', key, id)
  return 0
end
redis.call('ZADD', key, 'XX', int(now + ttl), id)
expire_set(key)
return 1
`)

// RateLimit implements Store; see README.md for the algorithm.
func (r *Redis) RateLimit(ctx context.Context, key string, limit int64, window time.Duration, n int64) (Decision, error) {
	if err := checkLimit("redis ratelimit", key, limit, window, n); err != nil {
		return Decision{}, err
	}
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	w := window.Microseconds()
	res, err := rateScript.Run(ctx, r.c, []string{r.key("rl", key)}, r.clock(), limit, w, n).Int64Slice()
	if err != nil {
		return Decision{}, r.wrap("ratelimit", key, err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("redis ratelimit %q: unexpected script reply %v", key, res)
	}
	return slidingDecision(res[0] == 1, limit, res[1], res[2], res[3], w, n, time.Microsecond), nil
}

// Quota implements Store with fixed windows aligned to start + k*period.
func (r *Redis) Quota(ctx context.Context, key string, limit int64, period time.Duration, start time.Time, n int64) (Decision, error) {
	if err := checkLimit("redis quota", key, limit, period, n); err != nil {
		return Decision{}, err
	}
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	p := period.Microseconds()
	res, err := quotaScript.Run(ctx, r.c, []string{r.key("q", key)}, r.clock(), limit, p, start.UnixMicro(), n).Int64Slice()
	if err != nil {
		return Decision{}, r.wrap("quota", key, err)
	}
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("redis quota %q: unexpected script reply %v", key, res)
	}
	return fixedDecision(res[0] == 1, limit, res[1], time.Duration(p-res[2])*time.Microsecond), nil
}

// Acquire implements Store with one sorted set per key.
func (r *Redis) Acquire(ctx context.Context, key string, maxLeases int64, ttl time.Duration) (Lease, Decision, error) {
	if err := checkLimit("redis acquire", key, maxLeases, ttl, 1); err != nil {
		return nil, Decision{}, err
	}
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	l := &redisLease{r: r, key: r.key("cc", key), name: key, id: rand.Text(), ttl: ttl}
	res, err := acquireScript.Run(ctx, r.c, []string{l.key}, r.clock(), maxLeases, ttl.Microseconds(), l.id).Int64Slice()
	if err != nil {
		return nil, Decision{}, r.wrap("acquire", key, err)
	}
	if len(res) != 3 {
		return nil, Decision{}, fmt.Errorf("redis acquire %q: unexpected script reply %v", key, res)
	}
	d := fixedDecision(res[0] == 1, maxLeases, res[1], time.Duration(res[2])*time.Microsecond)
	if !d.Allowed {
		return nil, d, nil
	}
	return l, d, nil
}

type redisLease struct {
	r    *Redis
	key  string // full Redis key
	name string // caller's key, for errors
	id   string
	ttl  time.Duration
}

// Renew pushes the lease's expiry to now+ttl (server time), or returns
// ErrLeaseLost when it has already expired or been released.
func (l *redisLease) Renew(ctx context.Context) error {
	ctx, cancel := l.r.ctx(ctx)
	defer cancel()
	ok, err := renewScript.Run(ctx, l.r.c, []string{l.key}, l.r.clock(), l.ttl.Microseconds(), l.id).Int64()
	if err != nil {
		return l.r.wrap("renew", l.name, err)
	}
	if ok != 1 {
		return fmt.Errorf("redis renew %q: %w", l.name, ErrLeaseLost)
	}
	return nil
}

// Release frees the slot (ZREM, atomic and idempotent).
func (l *redisLease) Release(ctx context.Context) error {
	ctx, cancel := l.r.ctx(ctx)
	defer cancel()
	if err := l.r.c.ZRem(ctx, l.key, l.id).Err(); err != nil {
		return l.r.wrap("release", l.name, err)
	}
	return nil
}

// CacheGet implements Store.
func (r *Redis) CacheGet(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	v, err := r.c.Get(ctx, r.key("cv", key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, r.wrap("cache get", key, err)
	}
	return v, true, nil
}

// takeScript: GET and DEL of KEYS[1] in one script, so two replicas taking
// the same key cannot both get it. (GETDEL does the same from Redis 6.2;
// the script keeps Redis 3.2+ working, like the other scripts.)
var takeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v
`)

// CacheTake implements Store.
func (r *Redis) CacheTake(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	v, err := takeScript.Run(ctx, r.c, []string{r.key("cv", key)}).Text()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, r.wrap("cache take", key, err)
	}
	return []byte(v), true, nil
}

// CacheSet implements Store (SET with PX; ttl must be >= 1ms).
func (r *Redis) CacheSet(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("redis cache set", key, ttl); err != nil {
		return err
	}
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	if err := r.c.Set(ctx, r.key("cv", key), value, ttl).Err(); err != nil {
		return r.wrap("cache set", key, err)
	}
	return nil
}

// CacheDelete implements Store; deleting a missing key is not an error.
func (r *Redis) CacheDelete(ctx context.Context, key string) error {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	if err := r.c.Del(ctx, r.key("cv", key)).Err(); err != nil {
		return r.wrap("cache delete", key, err)
	}
	return nil
}

// listPushScript: KEYS[1] a list of "expiry µs:value" strings, newest at
// the head. ARGV: now override, value, ttl µs, max. The value goes at the
// head, the list is cut to max, and the key lives at least as long as the
// new value.
var listPushScript = redis.NewScript(luaPrelude + `
local ttl = tonumber(ARGV[3])
redis.call('LPUSH', KEYS[1], int(now + ttl) .. ':' .. ARGV[2])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
local ms = math.max(1, math.ceil(ttl / 1000))
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], int(ms)) end
return 1
`)

// CacheListPush implements Store (one script: LPUSH, LTRIM, PEXPIRE).
func (r *Redis) CacheListPush(ctx context.Context, key string, value []byte, ttl time.Duration, max int) error {
	if err := checkList("redis cache list push", key, ttl, max); err != nil {
		return err
	}
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	if err := listPushScript.Run(ctx, r.c, []string{r.key("cl", key)}, r.clock(), value, ttl.Microseconds(), max).Err(); err != nil {
		return r.wrap("cache list push", key, err)
	}
	return nil
}

// CacheList implements Store: TIME and LRANGE in one pipeline (one round
// trip, no script: the values are not copied inside Redis); the expired
// values are dropped here, by the server's clock.
func (r *Redis) CacheList(ctx context.Context, key string) ([][]byte, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	var tc *redis.TimeCmd
	var lc *redis.StringSliceCmd
	_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		if r.now == nil {
			tc = p.Time(ctx)
		}
		lc = p.LRange(ctx, r.key("cl", key), 0, -1)
		return nil
	})
	if err != nil {
		return nil, r.wrap("cache list", key, err)
	}
	now := r.clock()
	if tc != nil {
		now = tc.Val().UnixMicro()
	}
	vs := lc.Val()
	out := make([][]byte, 0, len(vs))
	for _, v := range vs {
		i := strings.IndexByte(v, ':')
		if i < 0 {
			continue // not written by CacheListPush
		}
		if exp, err := strconv.ParseInt(v[:i], 10, 64); err != nil || exp <= now {
			continue
		}
		// The value's bytes are the string's, not a copy: callers must
		// not modify them (Store.CacheList), and nothing else holds v.
		out = append(out, unsafe.Slice(unsafe.StringData(v[i+1:]), len(v)-i-1))
	}
	return out, nil
}
