package csharp

import (
	"math/rand/v2"
	"sync"
)

// randomT is System.Random: the process's generator, or with a seed
// (new Random(seed)) one of its own that repeats its sequence (not .NET's
// sequence for that seed).
type randomT struct{ r *rand.Rand }

func (x *randomT) intn(n int) int {
	if x != nil && x.r != nil {
		return x.r.IntN(n)
	}
	return rand.IntN(n)
}

// float is NextDouble: in [0, 1).
func (x *randomT) float() float64 {
	if x != nil && x.r != nil {
		return x.r.Float64()
	}
	return rand.Float64()
}

// lru is the bounded cache of compiled regular expressions: at most max
// entries, whose size estimates (dnRegex.size) sum to at most maxBytes.
// Full, it is emptied (a pattern too big for it is not kept): distinct
// patterns from requests cannot grow it, and a policy's patterns compile
// again after.
type lru struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int // the sum of the entries' sizes
	m        map[regexKey]*dnRegex
}

func newLRU(max, maxBytes int) *lru {
	return &lru{max: max, maxBytes: maxBytes, m: map[regexKey]*dnRegex{}}
}

func (l *lru) get(k regexKey) *dnRegex {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[k]
}

func (l *lru) put(k regexKey, re *dnRegex) {
	if re.size > l.maxBytes {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.m[k]; old != nil {
		l.bytes -= old.size
		delete(l.m, k)
	}
	if len(l.m) >= l.max || l.bytes+re.size > l.maxBytes {
		clear(l.m)
		l.bytes = 0
	}
	l.m[k] = re
	l.bytes += re.size
}

// stats is the cache's entries and the sum of their sizes.
func (l *lru) stats() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m), l.bytes
}
