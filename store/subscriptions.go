package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Subscription is an API subscription as stored: its keys are held only as
// SHA-256 hashes (hex), never in plain text.
type Subscription struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
	// Scope is "/apis" (every API), "/apis/NAME" or "/products/NAME".
	Scope string `json:"scope"`
	// Owner is the owner's user id ("/users/NAME" or "NAME"; "" for none).
	Owner string `json:"ownerId,omitempty"`
	// State is active, suspended, cancelled, expired, submitted or rejected;
	// only active subscriptions are let through.
	State            string     `json:"state"`
	PrimaryKeyHash   string     `json:"primaryKeyHash"`
	SecondaryKeyHash string     `json:"secondaryKeyHash,omitempty"`
	CreatedDate      time.Time  `json:"createdDate"`
	StartDate        *time.Time `json:"startDate,omitempty"`
	EndDate          *time.Time `json:"endDate,omitempty"` // after it the subscription is expired
	// Folder: the record holds only the keys of the configuration
	// folder's subscription of this id, given at run time because the
	// folder has none; the folder gives the rest (scope, state, owner).
	Folder bool `json:"folder,omitempty"`
}

// Subscriptions holds the subscriptions created at run time (tollgate
// subscription create): in memory for one gateway, in Redis for replicas
// that share it.
type Subscriptions interface {
	// Lookup returns the subscription one of whose key hashes is keyHash,
	// or nil when there is none.
	Lookup(ctx context.Context, keyHash string) (*Subscription, error)
	// Get returns the subscription id, or nil.
	Get(ctx context.Context, id string) (*Subscription, error)
	// List returns every subscription, sorted by id.
	List(ctx context.Context) ([]*Subscription, error)
	// Put creates or replaces a subscription; the old key hashes stop
	// matching at once.
	Put(ctx context.Context, s *Subscription) error
}

// ErrNotFound is returned by Subscriptions users for an unknown id.
var ErrNotFound = errors.New("not found")

// MemorySubscriptions is Subscriptions for one process.
type MemorySubscriptions struct {
	mu    sync.RWMutex
	byID  map[string]*Subscription
	byKey map[string]string // key hash -> id
}

// NewMemorySubscriptions returns an empty in-process Subscriptions.
func NewMemorySubscriptions() *MemorySubscriptions {
	return &MemorySubscriptions{byID: map[string]*Subscription{}, byKey: map[string]string{}}
}

var _ Subscriptions = (*MemorySubscriptions)(nil)

func clone(s *Subscription) *Subscription {
	c := *s
	return &c
}

// Lookup implements Subscriptions.
func (m *MemorySubscriptions) Lookup(_ context.Context, keyHash string) (*Subscription, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if id, ok := m.byKey[keyHash]; ok {
		return m.byID[id], nil // never changed in place: Put replaces
	}
	return nil, nil
}

// Get implements Subscriptions.
func (m *MemorySubscriptions) Get(_ context.Context, id string) (*Subscription, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if s := m.byID[id]; s != nil {
		return clone(s), nil
	}
	return nil, nil
}

// List implements Subscriptions.
func (m *MemorySubscriptions) List(_ context.Context) ([]*Subscription, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Subscription, 0, len(m.byID))
	for _, s := range m.byID {
		out = append(out, clone(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Put implements Subscriptions.
func (m *MemorySubscriptions) Put(_ context.Context, s *Subscription) error {
	if s.ID == "" {
		return fmt.Errorf("subscription put: %w: empty id", ErrInvalidArgument)
	}
	s = clone(s)
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.byID[s.ID]; old != nil {
		delete(m.byKey, old.PrimaryKeyHash)
		delete(m.byKey, old.SecondaryKeyHash)
	}
	m.byID[s.ID] = s
	for _, h := range []string{s.PrimaryKeyHash, s.SecondaryKeyHash} {
		if h != "" {
			m.byKey[h] = s.ID
		}
	}
	return nil
}

// RedisSubscriptions is Subscriptions in Redis, shared by replicas:
// PREFIX sub:r:ID holds the subscription (JSON), PREFIX sub:k:HASH the id
// of the subscription with that key hash, PREFIX sub:ids the set of ids.
// Lookup and Put are one script each, so one round trip and atomic. These
// keys never expire.
type RedisSubscriptions struct {
	r *Redis
}

// NewRedisSubscriptions keeps subscriptions in r's Redis, under its prefix
// and with its per-call timeout.
func NewRedisSubscriptions(r *Redis) *RedisSubscriptions { return &RedisSubscriptions{r: r} }

var _ Subscriptions = (*RedisSubscriptions)(nil)

var subLookupScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('GET', ARGV[1] .. id)
`)

var subPutScript = redis.NewScript(`
local old = redis.call('GET', KEYS[1])
if old then
  local o = cjson.decode(old)
  if o.primaryKeyHash and o.primaryKeyHash ~= '' then redis.call('DEL', ARGV[1] .. o.primaryKeyHash) end
  if o.secondaryKeyHash and o.secondaryKeyHash ~= '' then redis.call('DEL', ARGV[1] .. o.secondaryKeyHash) end
end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', ARGV[1] .. ARGV[3], ARGV[5]) end
if ARGV[4] ~= '' then redis.call('SET', ARGV[1] .. ARGV[4], ARGV[5]) end
redis.call('SADD', KEYS[2], ARGV[5])
return 1
`)

// Lookup implements Subscriptions.
func (s *RedisSubscriptions) Lookup(ctx context.Context, keyHash string) (*Subscription, error) {
	ctx, cancel := s.r.ctx(ctx)
	defer cancel()
	v, err := subLookupScript.Run(ctx, s.r.c, []string{s.r.key("sub", "k:"+keyHash)}, s.r.key("sub", "r:")).Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, s.r.wrap("subscription lookup", "", err)
	}
	return decodeSub(v)
}

// Get implements Subscriptions.
func (s *RedisSubscriptions) Get(ctx context.Context, id string) (*Subscription, error) {
	ctx, cancel := s.r.ctx(ctx)
	defer cancel()
	v, err := s.r.c.Get(ctx, s.r.key("sub", "r:"+id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, s.r.wrap("subscription get", id, err)
	}
	return decodeSub(v)
}

// List implements Subscriptions.
func (s *RedisSubscriptions) List(ctx context.Context) ([]*Subscription, error) {
	ctx, cancel := s.r.ctx(ctx)
	defer cancel()
	ids, err := s.r.c.SMembers(ctx, s.r.key("sub", "ids")).Result()
	if err != nil {
		return nil, s.r.wrap("subscription list", "", err)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.r.key("sub", "r:"+id)
	}
	vals, err := s.r.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, s.r.wrap("subscription list", "", err)
	}
	var out []*Subscription
	for _, v := range vals {
		if str, ok := v.(string); ok {
			sub, err := decodeSub(str)
			if err != nil {
				return nil, err
			}
			out = append(out, sub)
		}
	}
	return out, nil
}

// Put implements Subscriptions.
func (s *RedisSubscriptions) Put(ctx context.Context, sub *Subscription) error {
	if sub.ID == "" {
		return fmt.Errorf("subscription put: %w: empty id", ErrInvalidArgument)
	}
	data, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	ctx, cancel := s.r.ctx(ctx)
	defer cancel()
	err = subPutScript.Run(ctx, s.r.c, []string{s.r.key("sub", "r:"+sub.ID), s.r.key("sub", "ids")},
		s.r.key("sub", "k:"), data, sub.PrimaryKeyHash, sub.SecondaryKeyHash, sub.ID).Err()
	if err != nil {
		return s.r.wrap("subscription put", sub.ID, err)
	}
	return nil
}

func decodeSub(v string) (*Subscription, error) {
	var sub Subscription
	if err := json.Unmarshal([]byte(v), &sub); err != nil {
		return nil, fmt.Errorf("subscription record: %w", err)
	}
	return &sub, nil
}
