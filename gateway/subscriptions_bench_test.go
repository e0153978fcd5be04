package gateway

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"tollgate/internal/redistest"
	"tollgate/store"
)

// BenchmarkSubscriptionCheck is the cost the subscription check adds to a
// request: the key read, its hash, the lookup (folder, memory store, or
// Redis store: one round trip) and the scope check.
func BenchmarkSubscriptionCheck(b *testing.B) {
	const key = "bench-key-0123456789abcdef0123456789abcdef"
	sub := &store.Subscription{ID: "bench", Scope: "/apis", State: "active", PrimaryKeyHash: HashKey(key)}
	api := &API{Name: "echo", Subscription: SubscriptionSettings{Required: true, Header: "Ocp-Apim-Subscription-Key", Query: "subscription-key"}}
	run := func(b *testing.B, s *Server, snap *Snapshot) {
		r := httptest.NewRequest("GET", "/echo/x", nil)
		r.Header.Set("Ocp-Apim-Subscription-Key", key)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, m, pe := s.checkSubscription(ctx, snap, api, r, false); pe != nil || m == nil {
				b.Fatal("refused")
			}
		}
	}
	newServer := func(subs store.Subscriptions) *Server {
		return &Server{opt: Options{Subscriptions: subs}, log: zap.NewNop(), metrics: NewMetrics()}
	}
	b.Run("none-required", func(b *testing.B) {
		open := &API{Name: "open", Subscription: defaultSubscriptionSettings}
		s := newServer(store.NewMemorySubscriptions())
		r := httptest.NewRequest("GET", "/open/x?a=1", nil)
		b.ReportAllocs()
		for b.Loop() {
			s.checkSubscription(context.Background(), &Snapshot{}, open, r, false)
		}
	})
	b.Run("folder", func(b *testing.B) {
		snap := &Snapshot{subscriptions: &fileSubscriptions{byHash: map[string]*store.Subscription{sub.PrimaryKeyHash: sub}}}
		run(b, newServer(store.NewMemorySubscriptions()), snap)
	})
	b.Run("memory", func(b *testing.B) {
		subs := store.NewMemorySubscriptions()
		_ = subs.Put(context.Background(), sub)
		run(b, newServer(subs), &Snapshot{})
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		defer rs.Close()
		subs := store.NewRedisSubscriptions(rs)
		if err := subs.Put(context.Background(), sub); err != nil {
			b.Fatal(err)
		}
		run(b, newServer(subs), &Snapshot{})
	})
}
