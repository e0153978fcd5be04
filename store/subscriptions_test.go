package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"tollgate/internal/redistest"
)

func TestSubscriptionsContract(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) Subscriptions{
		"memory": func(t *testing.T) Subscriptions { return NewMemorySubscriptions() },
		"redis": func(t *testing.T) Subscriptions {
			return NewRedisSubscriptions(newTestRedis(t, redistest.Start(t), RedisOptions{Timeout: 2 * time.Second}))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			ctx := context.Background()
			if got, err := s.Lookup(ctx, "nope"); got != nil || err != nil {
				t.Fatalf("Lookup on empty: %v %v", got, err)
			}
			if err := s.Put(ctx, &Subscription{}); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("Put without id: %v", err)
			}
			a := &Subscription{ID: "a", Scope: "/apis", State: "active", PrimaryKeyHash: "p1", SecondaryKeyHash: "s1", CreatedDate: time.Unix(1, 0).UTC()}
			b := &Subscription{ID: "b", Scope: "/products/starter", Owner: "/users/bob", State: "active", PrimaryKeyHash: "p2"}
			for _, x := range []*Subscription{b, a} {
				if err := s.Put(ctx, x); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct{ hash, id string }{{"p1", "a"}, {"s1", "a"}, {"p2", "b"}, {"x", ""}} {
				got, err := s.Lookup(ctx, tc.hash)
				if err != nil {
					t.Fatal(err)
				}
				if id := idOf(got); id != tc.id {
					t.Errorf("Lookup(%s) = %q, want %q", tc.hash, id, tc.id)
				}
			}
			// Regenerating the primary key: the old hash stops matching at once.
			a2 := *a
			a2.PrimaryKeyHash, a2.State = "p1b", "suspended"
			if err := s.Put(ctx, &a2); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Lookup(ctx, "p1"); got != nil {
				t.Errorf("the old key still matches %q", got.ID)
			}
			if got, _ := s.Lookup(ctx, "p1b"); idOf(got) != "a" || got.State != "suspended" {
				t.Errorf("Lookup(new key) = %+v", got)
			}
			if got, _ := s.Lookup(ctx, "s1"); idOf(got) != "a" {
				t.Errorf("the secondary key stopped matching")
			}
			got, err := s.Get(ctx, "b")
			if err != nil || got == nil || got.Owner != "/users/bob" || got.Scope != "/products/starter" {
				t.Errorf("Get(b) = %+v %v", got, err)
			}
			if got, _ := s.Get(ctx, "zz"); got != nil {
				t.Errorf("Get(unknown) = %+v", got)
			}
			list, err := s.List(ctx)
			if err != nil || len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" || !list[0].CreatedDate.Equal(a.CreatedDate) {
				t.Errorf("List = %+v %v", list, err)
			}
		})
	}
}

func idOf(s *Subscription) string {
	if s == nil {
		return ""
	}
	return s.ID
}

func TestRedisSubscriptionsUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	r := newTestRedis(t, srv, RedisOptions{Timeout: 200 * time.Millisecond})
	s := NewRedisSubscriptions(r)
	srv.Stop()
	if _, err := s.Lookup(context.Background(), "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Lookup with Redis down: %v, want ErrUnavailable", err)
	}
}
