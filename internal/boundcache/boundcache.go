// Package boundcache is a bounded map for values worked out once per key
// and shared afterwards (parsed URLs, compiled JSONPath, certificates read
// from policy values): safe for concurrent use, it keeps at most Max
// entries; past that a value is still returned but no longer kept, so a
// stream of distinct keys (from request data) cannot grow it.
package boundcache

import (
	"sync"
	"sync/atomic"
)

// Map is the cache; the zero value is unusable: make one with New.
type Map[K comparable, V any] struct {
	max int64
	n   atomic.Int64
	m   sync.Map // K -> V
}

// New is a Map that keeps at most max entries.
func New[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{max: int64(max)}
}

// Get is the value kept under k.
func (c *Map[K, V]) Get(k K) (V, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

// Put keeps v under k while there is room, and returns the value kept
// under k (the first one stored, when two callers raced), or v itself
// when the map is full.
func (c *Map[K, V]) Put(k K, v V) V {
	if c.n.Load() >= c.max {
		return v
	}
	kept, loaded := c.m.LoadOrStore(k, v)
	if !loaded {
		c.n.Add(1)
	}
	return kept.(V)
}
