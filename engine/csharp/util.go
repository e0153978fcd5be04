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

// lru is a small bounded cache of compiled regular expressions.
type lru struct {
	mu  sync.Mutex
	max int
	m   map[regexKey]*dnRegex
}

func newLRU(max int) *lru { return &lru{max: max, m: map[regexKey]*dnRegex{}} }

func (l *lru) get(k regexKey) *dnRegex {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[k]
}

func (l *lru) put(k regexKey, re *dnRegex) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= l.max {
		clear(l.m)
	}
	l.m[k] = re
}
