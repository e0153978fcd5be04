package store

import (
	"context"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestMemoryKeepsOwnKeys: a key that shares a larger allocation's bytes (a
// policy's key made in a request's room) is copied before a map of the
// store keeps it, so that an entry holds its key's bytes only, not the
// request's whole allocation.
func TestMemoryKeepsOwnKeys(t *testing.T) {
	ctx := context.Background()
	room := strings.Repeat("x", 2048) + "client-203.0.113.7" + strings.Repeat("y", 2048)
	key := room[2048 : 2048+len("client-203.0.113.7")]
	lo := uintptr(unsafe.Pointer(unsafe.StringData(room)))
	hi := lo + uintptr(len(room))
	for _, tc := range []struct {
		name string
		op   func(m *Memory) error
		keys func(s *memShard) []string
	}{
		{"rate", func(m *Memory) error { _, err := m.RateLimit(ctx, key, 5, time.Second, 1); return err },
			func(s *memShard) []string { return keysOf(s.rate) }},
		{"quota", func(m *Memory) error {
			_, err := m.Quota(ctx, key, 5, time.Hour, time.Unix(0, 0), 1)
			return err
		}, func(s *memShard) []string { return keysOf(s.quota) }},
		{"lease", func(m *Memory) error { _, _, err := m.Acquire(ctx, key, 5, time.Minute); return err },
			func(s *memShard) []string { return keysOf(s.leases) }},
		{"cache", func(m *Memory) error {
			if err := m.CacheSet(ctx, key, []byte("v"), time.Minute); err != nil {
				return err
			}
			return m.CacheSet(ctx, key, []byte("w"), time.Minute) // the assignment to a key held already
		}, func(s *memShard) []string { return keysOf(s.cache) }},
		{"list", func(m *Memory) error { return m.CacheListPush(ctx, key, []byte("v"), time.Minute, 4) },
			func(s *memShard) []string { return keysOf(s.lists) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory()
			defer m.Close()
			if err := tc.op(m); err != nil {
				t.Fatal(err)
			}
			s := m.shard(key)
			s.mu.Lock()
			ks := tc.keys(s)
			s.mu.Unlock()
			if len(ks) != 1 || ks[0] != key {
				t.Fatalf("keys %q, want [%q]", ks, key)
			}
			if p := uintptr(unsafe.Pointer(unsafe.StringData(ks[0]))); p >= lo && p < hi {
				t.Errorf("the store keeps the caller's bytes (the %d-byte allocation they are in stays alive)", len(room))
			}
		})
	}
}

func keysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
