//go:build linux

package wsproxy

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// loopTimerResets sums the runtime timer arms of every poller's timers.
func loopTimerResets() int64 {
	var n int64
	for _, p := range pollers {
		n += p.timers.resets.Load()
	}
	return n
}

// TestLoopTimers: the timers' heap gives deadlines back in order and only
// once they are due, and arms the runtime timer only for a deadline sooner
// than the one it is armed for (rounded up to timerGrain). The times are an
// hour and more from now, so the runtime timer never fires here.
func TestLoopTimers(t *testing.T) {
	const (
		now = int64(0)
		T   = int64(time.Hour) // a multiple of timerGrain
		g   = timerGrain
	)
	type step struct {
		op     string // set, setBy, cancel, expire
		i      int    // the session (set, setBy, cancel)
		at     int64  // the deadline (set, setBy), the time (expire)
		resets int64  // runtime timer arms so far
		armed  int64  // the time it is armed for after the step
		got    []int  // the sessions expire gives back, in order
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"add", []step{
			{op: "set", i: 0, at: T + 1, resets: 1, armed: T + g},
		}},
		{"add later keeps the timer", []step{
			{op: "set", i: 0, at: T, resets: 1, armed: T},
			{op: "set", i: 1, at: T + time.Second.Nanoseconds(), resets: 1, armed: T},
			{op: "setBy", i: 2, at: T + 3*g, resets: 1, armed: T},
		}},
		{"add sooner arms again", []step{
			{op: "set", i: 0, at: T + 5*g, resets: 1, armed: T + 5*g},
			{op: "set", i: 1, at: T + 2*g, resets: 2, armed: T + 2*g},
			{op: "expire", at: T + 2*g, resets: 3, armed: T + 5*g, got: []int{1}},
		}},
		{"cancel keeps the timer, which then fires for nothing", []step{
			{op: "set", i: 0, at: T, resets: 1, armed: T},
			{op: "cancel", i: 0, resets: 1, armed: T},
			{op: "cancel", i: 0, resets: 1, armed: T},
			{op: "expire", at: T, resets: 1, armed: 0, got: nil},
		}},
		{"re-arm later", []step{
			{op: "set", i: 0, at: T, resets: 1, armed: T},
			{op: "set", i: 0, at: T + 10*g, resets: 1, armed: T},
			{op: "expire", at: T, resets: 2, armed: T + 10*g, got: nil},
			{op: "expire", at: T + 10*g, resets: 2, armed: 0, got: []int{0}},
		}},
		{"re-arm sooner", []step{
			{op: "setBy", i: 0, at: T + 10*g, resets: 1, armed: T + 10*g},
			{op: "setBy", i: 0, at: T + 20*g, resets: 1, armed: T + 10*g}, // later: kept
			{op: "setBy", i: 0, at: T, resets: 2, armed: T},
			{op: "expire", at: T - 1, resets: 3, armed: T, got: nil}, // not due before its time
			{op: "expire", at: T, resets: 3, armed: 0, got: []int{0}},
		}},
		{"many at the same tick", []step{
			{op: "set", i: 3, at: T + g - 1, resets: 1, armed: T + g},
			{op: "set", i: 1, at: T + 5, resets: 1, armed: T + g},
			{op: "set", i: 0, at: T + 1, resets: 1, armed: T + g},
			{op: "set", i: 2, at: T + 9, resets: 1, armed: T + g},
			{op: "expire", at: T + g, resets: 1, armed: 0, got: []int{0, 1, 2, 3}},
		}},
		{"far deadlines", []step{
			{op: "set", i: 0, at: T + (5 * time.Minute).Nanoseconds(), resets: 1, armed: T + (5 * time.Minute).Nanoseconds()},
			{op: "set", i: 1, at: T + (30 * time.Second).Nanoseconds(), resets: 2, armed: T + (30 * time.Second).Nanoseconds()},
			{op: "set", i: 2, at: T + (2 * time.Second).Nanoseconds(), resets: 3, armed: T + (2 * time.Second).Nanoseconds()},
			{op: "expire", at: T + (2 * time.Second).Nanoseconds(), resets: 4, armed: T + (30 * time.Second).Nanoseconds(), got: []int{2}},
			{op: "expire", at: T + (30 * time.Second).Nanoseconds(), resets: 5, armed: T + (5 * time.Minute).Nanoseconds(), got: []int{1}},
			{op: "expire", at: T + (5 * time.Minute).Nanoseconds(), resets: 5, armed: 0, got: []int{0}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lt loopTimers
			lt.fire = func() {}
			t.Cleanup(func() {
				if lt.t != nil {
					lt.t.Stop()
				}
			})
			var ss [4]loopSession
			for k, st := range tc.steps {
				var got []*loopSession
				switch st.op {
				case "set":
					lt.set(&ss[st.i], st.at, now)
				case "setBy":
					lt.setBy(&ss[st.i], st.at, now)
				case "cancel":
					lt.cancel(&ss[st.i])
				case "expire":
					got = lt.expire(st.at, nil)
				}
				var gotIdx []int
				for _, s := range got {
					for j := range ss {
						if &ss[j] == s {
							gotIdx = append(gotIdx, j)
						}
					}
				}
				if !slices.Equal(gotIdx, st.got) {
					t.Errorf("step %d (%s): expired %v, want %v", k, st.op, gotIdx, st.got)
				}
				if n := lt.resets.Load(); n != st.resets {
					t.Errorf("step %d (%s): %d runtime timer arms, want %d", k, st.op, n, st.resets)
				}
				if lt.armedAt != st.armed {
					t.Errorf("step %d (%s): armed for %d, want %d", k, st.op, lt.armedAt, st.armed)
				}
				checkTimerHeap(t, &lt)
			}
		})
	}
}

// checkTimerHeap: every session in the heap knows its place, and no
// deadline is sooner than its parent's.
func checkTimerHeap(t *testing.T, lt *loopTimers) {
	t.Helper()
	for i, s := range lt.heap {
		if int(s.tmPos) != i+1 {
			t.Fatalf("heap[%d] thinks it is at %d", i, s.tmPos-1)
		}
		if i > 0 && lt.heap[(i-1)/2].tmAt > s.tmAt {
			t.Fatalf("heap[%d] (%d) sooner than its parent (%d)", i, s.tmAt, lt.heap[(i-1)/2].tmAt)
		}
	}
}

// TestLoopTimersRandom: random sets, setBys, cancels and expiries against
// a plain model: each expiry gives back exactly the due deadlines, in
// order, and the runtime timer is never armed later than the earliest.
func TestLoopTimersRandom(t *testing.T) {
	const T = int64(time.Hour)
	var lt loopTimers
	lt.fire = func() {}
	t.Cleanup(func() {
		if lt.t != nil {
			lt.t.Stop()
		}
	})
	r := rand.New(rand.NewPCG(1, 2))
	ss := make([]loopSession, 64)
	model := map[int]int64{} // session: deadline
	clock := T
	for k := range 20000 {
		i := r.IntN(len(ss))
		at := clock + r.Int64N(int64(time.Second))
		switch op := r.IntN(10); {
		case op < 4:
			lt.set(&ss[i], at, 0)
			model[i] = at
		case op < 6:
			lt.setBy(&ss[i], at, 0)
			if old, ok := model[i]; !ok || at < old {
				model[i] = at
			}
		case op < 8:
			lt.cancel(&ss[i])
			delete(model, i)
		default:
			clock += r.Int64N(int64(200 * time.Millisecond))
			got := lt.expire(clock, nil)
			var want []int64
			for j, d := range model {
				if d <= clock {
					want = append(want, d)
					delete(model, j)
				}
			}
			slices.Sort(want)
			var gotAt []int64
			for _, s := range got {
				gotAt = append(gotAt, s.tmAt)
				if s.tmPos != 0 {
					t.Fatalf("op %d: an expired session still has a place", k)
				}
			}
			if !slices.Equal(gotAt, want) {
				t.Fatalf("op %d: expired %v, want %v", k, gotAt, want)
			}
		}
		checkTimerHeap(t, &lt)
		if len(model) != len(lt.heap) {
			t.Fatalf("op %d: %d deadlines in the heap, want %d", k, len(lt.heap), len(model))
		}
		if len(lt.heap) > 0 && (lt.armedAt == 0 || lt.armedAt > grainUp(lt.heap[0].tmAt)) {
			t.Fatalf("op %d: armed for %d, the earliest deadline is %d", k, lt.armedAt, lt.heap[0].tmAt)
		}
	}
}

// TestLoopTimerFiresParked: a deadline on a poller that has nothing else
// to do (its loop parked in Go's poller) comes through its runtime timer,
// the eventfd and runTimers, no sooner than set and within a few grains.
// The session is held (as by startHere), so the loop only signals it.
func TestLoopTimerFiresParked(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	checkNoRelayLeaks(t)
	p := pickPoller()
	for _, d := range []time.Duration{0, 30 * time.Millisecond, 120 * time.Millisecond} {
		s := &loopSession{p: p}
		s.sig.Store(sigHold)
		start := monoNow()
		p.timers.set(s, start+int64(d), start)
		for s.sig.Load()&sigTick == 0 {
			if time.Duration(monoNow()-start) > 5*time.Second {
				t.Fatalf("%v: the deadline did not come", d)
			}
			time.Sleep(time.Millisecond)
		}
		if took := time.Duration(monoNow() - start); took < d {
			t.Errorf("%v: came after %v", d, took)
		}
		if _, ok := p.timers.armed(s); ok {
			t.Errorf("%v: still in the timers", d)
		}
	}
}

// TestLoopTimersShared: sessions one after another on the event loops arm
// their pollers' runtime timers a couple of times per poller, not twice per
// session as a timer per session did.
func TestLoopTimersShared(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	checkNoRelayLeaks(t)
	const sessions = 32
	before := loopTimerResets()
	var ended atomic.Int32
	for range sessions {
		stats := make(chan Stats, 1)
		c, b := startLoopPair(t, DoneFunc(func(st Stats) { ended.Add(1); stats <- st }))
		closeThroughLoop(t, c, b)
		select {
		case <-stats:
		case <-time.After(10 * time.Second):
			t.Fatal("the session did not end")
		}
	}
	checkNoRelayLeaks(t)
	// Per poller: its first session's start and verdict, and once more
	// for each time its timer fired while sessions were left (every
	// lingerTime at most: the test takes well under that).
	if n, most := loopTimerResets()-before, int64(3*len(pollers)); n > most {
		t.Errorf("%d runtime timer arms for %d sessions on %d pollers, want at most %d", n, sessions, len(pollers), most)
	}
	if ended.Load() != sessions {
		t.Errorf("%d sessions ended, want %d", ended.Load(), sessions)
	}
	for i, p := range pollers { // no session left a deadline behind
		p.timers.mu.Lock()
		n := len(p.timers.heap)
		p.timers.mu.Unlock()
		if n != 0 {
			t.Errorf("poller %d: %d deadlines left with no session running", i, n)
		}
	}
}
