// Package boundcache is a bounded map for values worked out once per key
// and shared afterwards (parsed URLs, compiled JSONPath, certificates read
// from policy values): safe for concurrent use, it keeps at most Max
// entries, so a stream of distinct keys (from request data) cannot grow
// it. A Put into a full map empties it first: the keys in use since are
// kept again, where a map that only stopped keeping would leave every key
// that came after the stream (a reload's new backend URL) worked out again
// on each use for the process's life.
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

// Put keeps v under k, and returns the value kept under k (the first one
// stored, when two callers raced). Into a full map, it empties the map
// first (one of the Puts that find it full does; the count may then be a
// few off for Puts racing with it, which moves the next emptying by as
// many).
func (c *Map[K, V]) Put(k K, v V) V {
	if n := c.n.Load(); n >= c.max && c.n.CompareAndSwap(n, 0) {
		c.m.Clear()
	}
	kept, loaded := c.m.LoadOrStore(k, v)
	if !loaded {
		c.n.Add(1)
	}
	return kept.(V)
}
