//go:build linux

package wsproxy

import (
	"sync"
	"sync/atomic"
)

// A finished loop session's done callback runs off the loop: the
// gateway's (the exchange's OnDone functions, such as the release of a
// limit-concurrency lease a Redis store holds; metrics; the log line) may
// block, and the loop must not. The sessions a loop finishes while it
// handles one batch of events (one epoll_wait's, and the signals taken with
// it) are handed over together, at the end of the batch, to a reporter
// goroutine waiting for work, or to a new reporter when none waits: one
// wake-up per batch, not one per session (BenchmarkHandshake: 5,003
// sessions ended in 3,649 batches on one processor, 3,046 on two). A
// reporter calls the batch's callbacks in the order the sessions ended, so
// a slow callback delays those of the sessions that ended in its batch
// after it, never a loop, nor a session that ends in a later batch (that
// batch goes to another reporter). A reporter that is done waits for the
// next batch, unless maxIdleReporters wait already. Before, every session
// started a goroutine of its own (a goroutine start and exit, and the
// allocation of its arguments), and then each woke a waiting reporter.
//
// A callback that says, at its session's end, that it cannot block
// (QuickDone: the gateway's, when no policy registered an OnDone function
// and the session's log line is not written) is not handed over: the loop
// calls it itself at the end of the batch, after it has handed the others
// to a reporter. No reporter wakes or parks for such a session.

// doneReport is one finished session for a reporter.
type doneReport struct {
	done Done
	st   Stats
}

// doneBatch is the sessions one loop finished in one batch of events, in
// the order they finished. Pooled: a reporter gives it back once it has
// called every callback in it.
type doneBatch struct {
	r []doneReport
}

var (
	reports       = make(chan *doneBatch) // unbuffered: taken only by a reporter waiting on it
	idleReporters atomic.Int32            // reporters waiting on reports (or about to)
	doneBatches   = sync.Pool{New: func() any { return new(doneBatch) }}
)

const (
	// maxIdleReporters bounds the reporters that wait for sessions to end.
	maxIdleReporters = 4
	// maxBatchKept: a batch that grew larger is not pooled.
	maxBatchKept = 256
)

// runDone calls done(st) off the calling goroutine, without blocking it.
func runDone(done Done, st Stats) {
	b := doneBatches.Get().(*doneBatch)
	b.r = append(b.r, doneReport{done, st})
	runDones(b)
}

// runDones calls b's callbacks, in order, off the calling goroutine,
// without blocking it; b is the reporter's from here on.
func runDones(b *doneBatch) {
	select {
	case reports <- b:
	default:
		go reporter(b)
	}
}

// reporter calls b's callbacks, then those of the batches that come while
// it waits, until maxIdleReporters others wait already.
func reporter(b *doneBatch) {
	for {
		for i := range b.r {
			r := &b.r[i]
			r.done.SessionDone(r.st)
			*r = doneReport{} // nothing of the session is kept
		}
		b.r = b.r[:0]
		if cap(b.r) <= maxBatchKept {
			doneBatches.Put(b)
		}
		b = nil
		if idleReporters.Add(1) > maxIdleReporters {
			idleReporters.Add(-1)
			return
		}
		b = <-reports
		idleReporters.Add(-1)
	}
}

// sessionDone notes a session the loop finished, for reportEnded: a
// callback that says it cannot block (QuickDone) is kept for the loop to
// call, any other for a reporter. Loop only.
func (p *poller) sessionDone(done Done, st Stats) {
	if q, ok := done.(QuickDone); ok && q.SessionQuick() {
		p.quick = append(p.quick, doneReport{done, st})
		return
	}
	if p.ended == nil {
		p.ended = doneBatches.Get().(*doneBatch)
	}
	p.ended.r = append(p.ended.r, doneReport{done, st})
}

// reportEnded hands the sessions the loop finished in this batch of events
// to a reporter, then calls the callbacks that cannot block itself, in the
// order their sessions finished. Loop only, at the end of each batch.
func (p *poller) reportEnded() {
	if b := p.ended; b != nil {
		p.ended = nil
		runDones(b)
	}
	if len(p.quick) == 0 {
		return
	}
	for i := range p.quick {
		r := &p.quick[i]
		r.done.SessionDone(r.st)
		*r = doneReport{} // nothing of the session is kept
	}
	p.quick = p.quick[:0]
}
