//go:build linux

package wsproxy

import "sync/atomic"

// A finished loop session's done callback runs off the loop: the
// gateway's (the exchange's OnDone functions, such as the release of a
// limit-concurrency lease a Redis store holds; metrics; the log line) may
// block, and the loop must not. The loop hands the session's Stats to a
// reporter goroutine waiting for one, or starts a reporter when none waits
// (so a slow callback delays no other session's). A reporter that is done
// waits for the next session, unless maxIdleReporters wait already. Before,
// every session started a goroutine of its own: a goroutine start and exit,
// and the allocation of its arguments, where a waiting reporter costs a
// wake-up.

// doneReport is one finished session for a reporter.
type doneReport struct {
	done Done
	st   Stats
}

var (
	reports       = make(chan doneReport) // unbuffered: taken only by a reporter waiting on it
	idleReporters atomic.Int32            // reporters waiting on reports (or about to)
)

// maxIdleReporters bounds the reporters that wait for sessions to end.
const maxIdleReporters = 4

// runDone calls done(st) off the calling goroutine, without blocking it.
func runDone(done Done, st Stats) {
	select {
	case reports <- doneReport{done, st}:
	default:
		go reporter(done, st)
	}
}

// reporter calls done(st), then the callbacks of sessions that end while
// it waits, until maxIdleReporters others wait already.
func reporter(done Done, st Stats) {
	for {
		done.SessionDone(st)
		done, st = nil, Stats{} // nothing of the session is kept while waiting
		if idleReporters.Add(1) > maxIdleReporters {
			idleReporters.Add(-1)
			return
		}
		r := <-reports
		idleReporters.Add(-1)
		done, st = r.done, r.st
	}
}
