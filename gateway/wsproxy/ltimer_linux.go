//go:build linux

package wsproxy

// The deadlines of one poller's sessions: a min-heap driven by one runtime
// timer (see "A round on one timer per relay loop" in
// docs/websocket-data-path.md).

import (
	"sync"
	"sync/atomic"
	"time"
)

// loopTimers holds the deadlines (mono times) of a poller's sessions in a
// min-heap, and keeps one runtime timer armed for no later than the
// earliest of them (rounded up to timerGrain). Setting a session's deadline
// is a heap operation under mu; the runtime timer is only touched when the
// new deadline, rounded up, is earlier than the one it is armed for.
// Taking a deadline out of the heap never touches it: a timer armed for a
// deadline that went away fires for nothing (expire then arms it for what
// is left), which happens at most once per armed time, where stopping and
// re-arming it would be a runtime timer change per session.
//
// The heap is written by the loop goroutine and by Start's goroutine while
// its session is held (startHere), hence the lock; a session's heap fields
// (tmAt, tmPos) are only read or written under it.
type loopTimers struct {
	mu      sync.Mutex
	heap    []*loopSession
	armedAt int64        // mono time the runtime timer is armed for; 0: not armed
	t       *time.Timer  // made on the first arm
	fire    func()       // the runtime timer's func
	resets  atomic.Int64 // runtime timer arms (tests and benchmarks count them)
}

// timerGrain is the step armed times are rounded up to: a deadline fires
// between itself and timerGrain after it (plus the runtime's own latency),
// never before, and the deadlines of one step fire together.
const timerGrain = int64(10 * time.Millisecond)

func grainUp(at int64) int64 {
	if at <= 0 {
		return timerGrain
	}
	return (at + timerGrain - 1) / timerGrain * timerGrain
}

// set makes at s's deadline (in the heap or not yet). now is the mono
// time, for the runtime timer's duration.
func (lt *loopTimers) set(s *loopSession, at, now int64) {
	lt.mu.Lock()
	lt.setLocked(s, at, now)
	lt.mu.Unlock()
}

// setBy makes s's deadline at unless it has one no later.
func (lt *loopTimers) setBy(s *loopSession, at, now int64) {
	lt.mu.Lock()
	if s.tmPos == 0 || at < s.tmAt {
		lt.setLocked(s, at, now)
	}
	lt.mu.Unlock()
}

func (lt *loopTimers) setLocked(s *loopSession, at, now int64) {
	if s.tmPos == 0 {
		s.tmAt = at
		lt.heap = append(lt.heap, s)
		s.tmPos = int32(len(lt.heap))
		lt.up(int(s.tmPos) - 1)
	} else {
		old := s.tmAt
		s.tmAt = at
		if at < old {
			lt.up(int(s.tmPos) - 1)
		} else {
			lt.down(int(s.tmPos) - 1)
		}
	}
	lt.kick(at, now)
}

// cancel takes s's deadline out of the heap, if it has one.
func (lt *loopTimers) cancel(s *loopSession) {
	lt.mu.Lock()
	if s.tmPos != 0 {
		lt.remove(int(s.tmPos) - 1)
	}
	lt.mu.Unlock()
}

// armed reports s's deadline, if it has one.
func (lt *loopTimers) armed(s *loopSession) (int64, bool) {
	lt.mu.Lock()
	at, ok := s.tmAt, s.tmPos != 0
	lt.mu.Unlock()
	return at, ok
}

// expire takes the deadlines due at now out of the heap, appending their
// sessions to out (earliest first), and arms the runtime timer for the
// earliest left. The loop calls it when the timer fired.
func (lt *loopTimers) expire(now int64, out []*loopSession) []*loopSession {
	lt.mu.Lock()
	lt.armedAt = 0 // it fired (a timer armed again since fires for nothing)
	for len(lt.heap) > 0 && lt.heap[0].tmAt <= now {
		out = append(out, lt.heap[0])
		lt.remove(0)
	}
	if len(lt.heap) > 0 {
		lt.kick(lt.heap[0].tmAt, now)
	}
	lt.mu.Unlock()
	return out
}

// kick arms the runtime timer for at (rounded up) if it is not armed for
// that or sooner.
func (lt *loopTimers) kick(at, now int64) {
	g := grainUp(at)
	if lt.armedAt != 0 && lt.armedAt <= g {
		return
	}
	lt.armedAt = g
	d := time.Duration(max(g-now, 0))
	if lt.t == nil {
		lt.t = time.AfterFunc(d, lt.fire)
	} else {
		lt.t.Reset(d)
	}
	lt.resets.Add(1)
}

func (lt *loopTimers) remove(i int) {
	h := lt.heap
	s := h[i]
	last := len(h) - 1
	if i != last {
		h[i] = h[last]
		h[i].tmPos = int32(i + 1)
	}
	h[last] = nil
	lt.heap = h[:last]
	s.tmPos = 0
	if i != last {
		lt.down(i)
		lt.up(i)
	}
}

func (lt *loopTimers) up(i int) {
	h := lt.heap
	s := h[i]
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].tmAt <= s.tmAt {
			break
		}
		h[i] = h[parent]
		h[i].tmPos = int32(i + 1)
		i = parent
	}
	h[i] = s
	s.tmPos = int32(i + 1)
}

func (lt *loopTimers) down(i int) {
	h := lt.heap
	n := len(h)
	s := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].tmAt < h[c].tmAt {
			c = r
		}
		if s.tmAt <= h[c].tmAt {
			break
		}
		h[i] = h[c]
		h[i].tmPos = int32(i + 1)
		i = c
	}
	h[i] = s
	s.tmPos = int32(i + 1)
}
