package csharp

import (
	"math/rand/v2"
	"regexp"
	"sync"
)

type randomT struct{}

func randIntn(n int) int { return rand.IntN(n) }

// lru is a small bounded cache of compiled regular expressions.
type lru struct {
	mu  sync.Mutex
	max int
	m   map[string]*regexp.Regexp
}

func newLRU(max int) *lru { return &lru{max: max, m: map[string]*regexp.Regexp{}} }

func (l *lru) get(k string) *regexp.Regexp {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[k]
}

func (l *lru) put(k string, re *regexp.Regexp) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= l.max {
		clear(l.m)
	}
	l.m[k] = re
}
