package lazyctx

import (
	"context"
	"errors"
	"testing"
	"time"
)

// DeadlineOnly holds only while nothing but the deadline can end a Ctx,
// and asking it of a Ctx made from another Ctx builds neither: the case of
// a call-out's own timeout inside a policy section behind the front
// server, whose request context cannot be cancelled.
func TestDeadlineOnly(t *testing.T) {
	soon := time.Now().Add(time.Hour)
	cancelled, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		make func() (*Ctx, []*Ctx)
		ok   bool
	}{
		{"parent never cancelled", func() (*Ctx, []*Ctx) { return New(context.Background(), soon), nil }, true},
		{"parent cancellable", func() (*Ctx, []*Ctx) { return New(cancelled, soon), nil }, false},
		{"built already", func() (*Ctx, []*Ctx) {
			c := New(context.Background(), soon)
			c.Done()
			return c, nil
		}, false},
		{"made from a Ctx that only its deadline ends", func() (*Ctx, []*Ctx) {
			p := New(context.Background(), soon)
			return New(p, soon.Add(time.Minute)), []*Ctx{p}
		}, true},
		{"made from a Ctx of a cancellable parent", func() (*Ctx, []*Ctx) {
			p := New(cancelled, soon)
			return New(p, soon), []*Ctx{p}
		}, false},
		{"made from a Ctx someone built", func() (*Ctx, []*Ctx) {
			p := New(context.Background(), soon)
			p.Done()
			return New(p, soon), nil
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, parents := tc.make()
			d, ok := c.DeadlineOnly()
			if ok != tc.ok {
				t.Fatalf("DeadlineOnly: %v, want %v", ok, tc.ok)
			}
			if ok && !d.Equal(soon) {
				t.Errorf("deadline %v, want the earlier one, %v", d, soon)
			}
			if c.Built() != nil && tc.name != "built already" {
				t.Error("asking built the context")
			}
			for _, p := range parents {
				if p.Built() != nil {
					t.Error("asking built the parent's context")
				}
			}
		})
	}
}

// Err says what Done would, without building anything: the parent's
// error, Canceled after Release, DeadlineExceeded past the deadline.
func TestErrWithoutBuilding(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := New(parent, time.Now().Add(time.Hour))
	if c.Err() != nil {
		t.Fatal("a fresh Ctx has an error")
	}
	cancel()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("after the parent's cancel: %v", c.Err())
	}
	c = New(context.Background(), time.Now().Add(time.Hour))
	c.Release()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("after Release: %v", c.Err())
	}
	c = New(context.Background(), time.Now().Add(-time.Millisecond))
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("past the deadline: %v", c.Err())
	}
	if c.Built() != nil {
		t.Error("Err built the context")
	}
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("Done not closed past the deadline")
	}
}
