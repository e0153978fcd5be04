package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The session set: stale sessions come oldest first (drain-on-change
// spreads its closes in that order), removal from anywhere in the list
// keeps the rest, cancelAll cancels every live session and every later
// one with its cause, and wait returns once the last one is removed.
func TestSessionSet(t *testing.T) {
	var ss sessionSet
	if err := ss.wait(context.Background()); err != nil {
		t.Fatalf("wait on an empty set: %v", err)
	}
	a, b, c := ss.add("x", "h1"), ss.add("y", "h1"), ss.add("x", "h1")
	d := ss.add("x", "h2")
	if got := ss.stale("x", "h2"); len(got) != 2 || got[0] != a || got[1] != c {
		t.Fatalf("stale: %v, want a then c", got)
	}
	if got := ss.stale("x", "h2"); len(got) != 0 {
		t.Fatalf("stale again: %d sessions, want none (already scheduled)", len(got))
	}
	ss.remove(a) // the head
	ss.remove(d) // the tail
	if ss.count() != 2 || !ss.apis()["x"] || !ss.apis()["y"] {
		t.Fatalf("count %d, apis %v", ss.count(), ss.apis())
	}
	if a.ctx.Err() == nil {
		t.Error("a removed session's context is live")
	}
	errStop := errors.New("stop")
	ss.cancelAll(errStop)
	for name, s := range map[string]*session{"b": b, "c": c, "added after": ss.add("y", "h1")} {
		if s.ctx.Cause() != errStop {
			t.Errorf("%s: cause %v, want Shutdown's", name, s.ctx.Cause())
		}
	}
	done := make(chan error, 1)
	go func() { done <- ss.wait(context.Background()) }()
	for s := ss.head; s != nil; {
		next := s.next
		ss.remove(s)
		s = next
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return once the set was empty")
	}
	if ss.count() != 0 || ss.head != nil || ss.tail != nil {
		t.Fatalf("after removing all: count %d, head %v, tail %v", ss.count(), ss.head, ss.tail)
	}
}
