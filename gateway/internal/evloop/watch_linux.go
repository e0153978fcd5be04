//go:build linux

package evloop

import "time"

// holdLimit bounds how long a task may hold its loop. A task runs on the
// loop's goroutine until it waits on a Conn; one that does not (a policy
// that blocks although it was classified as never blocking, a large body
// through a CPU-heavy policy, a thread the kernel took away mid-request)
// would stall every other connection of its loop. The watchdog looks at
// the loops every holdLimit and releases a task it finds running in the
// same resume twice, as Release does: the loop passes to a new goroutine
// at once and the task goes on as an ordinary one. So a loop's
// connections wait at most about twice this long behind any one task
// (plus the runtime's own preemption, 10 ms, when every processor is
// taken), the way a goroutine per connection never waits behind another.
const holdLimit = 2 * time.Millisecond

// rouse wakes the watchdog from its sleep (an owner about to resume a
// task found it not watching).
func (g *Group) rouse() {
	if g.watching.CompareAndSwap(false, true) {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// watchdog releases tasks that hold their loop longer than holdLimit. It
// sleeps while no loop resumes tasks, and ends when the loops have.
//
// Sleeping without missing a task: an owner stores its running word and
// then reads watching; the watchdog clears watching and then reads the
// running words again. Go's atomics are sequentially consistent, so one
// of the two sees the other's write: the owner rouses it, or it stays up.
func (g *Group) watchdog() {
	seen := make([]uint64, len(g.loops))
	tick := time.NewTimer(holdLimit)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-g.quit:
			return
		}
		quiet := true
		for i, l := range g.loops {
			run := l.running.Load()
			if run != seen[i] {
				quiet = false
			}
			if run&1 != 0 && run == seen[i] && l.running.CompareAndSwap(run, run&^1) {
				// The same resume as at the last look: the task has
				// held the loop for holdLimit at least. The owner,
				// parked in the task's coroutine switch, finds the
				// bit cleared when the task suspends, and leaves the
				// task to the new owner.
				l.cur.forced.Add(1)
				g.forced.Add(1)
				l.handOver(l.cur)
				quiet = false
			}
			seen[i] = run
		}
		if quiet {
			g.watching.Store(false)
			for i, l := range g.loops {
				if l.running.Load() != seen[i] {
					quiet = false
				}
			}
			if quiet {
				select {
				case <-g.wake:
				case <-g.quit:
					return
				}
			} else if !g.watching.CompareAndSwap(false, true) {
				// An owner set it meanwhile and rouse sent a wake:
				// take it, or the next sleep would end at once.
				select {
				case <-g.wake:
				default:
				}
			}
		}
		tick.Reset(holdLimit)
	}
}

// ForcedReleases counts the tasks the watchdog released for holding their
// loop too long.
func (g *Group) ForcedReleases() int64 { return g.forced.Load() }
