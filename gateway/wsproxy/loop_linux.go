//go:build linux

package wsproxy

// The epoll event loops of EventLoop (see doc.go, "The event loop").

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
)

// EventLoop is the Linux relay: every session's two sockets are registered
// with one of a few epoll instances (one per GOMAXPROCS, at most 8), each
// served by one goroutine. No goroutine is parked per session, a session's
// state is one struct, and a read buffer is only held while a read's bytes
// are being forwarded (plus, for a destination that cannot take them yet,
// a pooled buffer until it can).
//
// Connections without a socket file descriptor of their own (TLS legs,
// in-memory pipes) are relayed by Goroutines instead.
type EventLoop struct{}

// Name implements Relayer.
func (EventLoop) Name() string { return "eventloop" }

// Start implements Relayer.
func (EventLoop) Start(ctx context.Context, client, backend *Conn, lim Limits, obs Observer, done Done) {
	cfd, bfd, err := -1, -1, eventLoopAvailable()
	var bp *poller   // the poller a raw backend socket is registered with already
	var bw *loopSide // its wait entry, when that registration is the session's (sockConn.handOver)
	if err == nil {
		cfd, bfd, bp, bw, err = detachPair(client.conn, backend.conn)
	}
	if err != nil {
		// Not plain sockets (TLS, pipes), or the dup failed: the goroutine
		// relay handles them with the same rules.
		Goroutines{}.Start(ctx, client, backend, lim, obs, done)
		return
	}
	p := bp
	if p == nil {
		p = pickPoller()
	}
	lim = lim.withDefaults()
	s := &loopSession{p: p, ctx: ctx, lim: lim, obs: obs, done: done}
	s.side[ClientToBackend] = loopSide{s: s, fd: int32(cfd), x: ClientToBackend}
	s.side[BackendToClient] = loopSide{s: s, fd: int32(bfd), x: BackendToClient, mask: true, inEpoll: bp != nil}
	if bw != nil {
		s.side[BackendToClient].events, s.side[BackendToClient].gen = bw.events, bw.gen
	}
	s.pendClient, s.pendBackend = client.pending, backend.pending
	client.pending, backend.pending = nil, nil
	loopSessions.Add(1)
	loopStarts.Add(1)
	if len(s.pendClient) == 0 && len(s.pendBackend) == 0 {
		s.startHere(bw)
		return
	}
	s.signal(sigStart) // the loop relays the pending bytes first (begin)
}

// loopSessions counts the sessions started on the event loops and not
// finished yet (tests check that none is left).
var loopSessions atomic.Int64

// loopEOFReads counts the reads of the event loops' sessions that found
// an EOF (tests check which ones are spared).
var loopEOFReads atomic.Int64

// loopStarts counts the sessions the event loops took (tests check that the
// loop, not its goroutine fallback, ran them).
var loopStarts atomic.Int64

// detachPair takes the socket file descriptors out of two net.Conns: each
// is duplicated and the net.Conn closed, which removes it from Go's own
// poller (otherwise every readiness change would also wake the runtime).
// A backend dialed on a raw socket (sockConn) is taken as it is, with the
// poller it is registered with (bp, nil if none), and its wait entry when
// that registration is the one the session polls it with (bw, see
// sockConn.handOver). Both or neither are detached.
func detachPair(a, b net.Conn) (fa, fb int, bp *poller, bw *loopSide, err error) {
	if !detachable(a) || !detachable(b) {
		return -1, -1, nil, nil, errors.ErrUnsupported
	}
	fa, err = dupConn(a)
	if err != nil {
		return -1, -1, nil, nil, err
	}
	if fa >= maxLoopFD {
		_ = unix.Close(fa)
		return -1, -1, nil, nil, errors.ErrUnsupported
	}
	if sc, ok := b.(*sockConn); ok && sc.fd < maxLoopFD {
		if fd, p, w, ok := sc.handOver(); ok {
			_ = a.Close()
			return fa, fd, p, w, nil
		}
	}
	fb, err = dupConn(b)
	if err != nil {
		_ = unix.Close(fa)
		return -1, -1, nil, nil, err
	}
	if fb >= maxLoopFD {
		_, _ = unix.Close(fa), unix.Close(fb)
		return -1, -1, nil, nil, errors.ErrUnsupported
	}
	_ = a.Close()
	_ = b.Close()
	return fa, fb, nil, nil, nil
}

// loopTakes reports whether rl's Start takes client and backend onto
// the event loop, which keeps their sockets and drops their Conns
// (UpgradeIn).
func loopTakes(rl Relayer, client, backend net.Conn) bool {
	_, ok := rl.(EventLoop)
	return ok && eventLoopAvailable() == nil && detachable(client) && detachable(backend)
}

// detachable: c is a socket of its own (not TLS, not a pipe).
func detachable(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn, *sockConn:
		return true
	}
	_, ok := c.(detacher)
	return ok
}

// dupConn duplicates c's socket descriptor (close-on-exec), without
// allocating beyond net's RawConn.
func dupConn(c net.Conn) (int, error) {
	if d, ok := c.(detacher); ok {
		return d.Detach() // the front's event loop lets go of it: no copy to make, none to close
	}
	if sc, ok := c.(*sockConn); ok {
		// Ours: the descriptor is open until sc is closed, and the
		// handshake that used it is over.
		return unix.FcntlInt(uintptr(sc.fd), unix.F_DUPFD_CLOEXEC, 0)
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return -1, err
	}
	d := dupperPool.Get().(*dupper)
	d.nfd, d.err = -1, nil
	if err := rc.Control(d.fn); err != nil {
		d.err = err
	}
	nfd, err := d.nfd, d.err
	d.err = nil
	dupperPool.Put(d)
	if err != nil {
		return -1, err
	}
	return nfd, nil
}

// dupper is rc.Control's callback for dupConn, bound once (a closure per
// call would be two allocations).
type dupper struct {
	nfd int
	err error
	fn  func(fd uintptr)
}

var dupperPool = sync.Pool{New: func() any {
	d := new(dupper)
	d.fn = func(fd uintptr) { d.nfd, d.err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }
	return d
}}

// ---------------------------------------------------------------------------
// Pollers.

const (
	// outSize is the capacity of a side's pending-output buffer: one read's
	// worth of relayed bytes (plus a carried partial frame) and the
	// gateway's own control frames, which is all that can be queued while
	// reading toward that side is paused.
	outSize = relayBufSize + carrySize + 1024
)

var (
	outPool   = sync.Pool{New: func() any { return new([outSize]byte) }}
	carryPool = sync.Pool{New: func() any { return new([carrySize]byte) }}
)

type poller struct {
	epfd int
	evfd int // eventfd: wakes epoll_wait when sessions have signals
	// The epoll instance is itself registered with Go's poller: the loop
	// goroutine waits for it there like any goroutine waits for a socket,
	// so no thread blocks in epoll_wait (see "The event loop" in doc.go).
	epFile *os.File
	epRaw  syscall.RawConn
	wait   func(fd uintptr) bool // p.poll, made once (no allocation per call)
	events []unix.EpollEvent
	more   bool // the batch may have left readiness that will not signal again

	mu     sync.Mutex
	queue  []*loopSession // sessions with signals, guarded by mu
	woken  bool           // guarded by mu: evfd was written and not read yet
	ticked bool           // guarded by mu: the timers' runtime timer fired

	// timers: the sessions' deadlines, one runtime timer for all (see
	// ltimer_linux.go).
	timers loopTimers

	// sides are the registered sides by file descriptor. Sessions started
	// on the loop (begin) and on the goroutine of Start (startHere), and
	// handshakes waiting on a raw socket (registerWaiter), add to it; the
	// loop looks events up in it and removes the sides it closes; a raw
	// socket's handshake removes its own wait entry when it gives up.
	sides sideTable
	// gen numbers registrations; an event carries its side's (in the
	// epoll data next to the fd), so an event epoll_wait returned for a
	// socket closed since, whose descriptor startHere has already reused
	// for a new session, is not taken for the new one's.
	gen atomic.Int32

	// etWaits: raw sockets' handshakes register their first read wait
	// edge-triggered, not as the session polls them (see settleWaits).
	etWaits atomic.Bool

	// Owned by the loop goroutine.
	stale   int        // waits reported again before they took their last wakeup, this batch
	etUntil int64      // monoNow until which etWaits stays set (0: not set by the loop)
	now     int64      // monoNow after the last epoll_wait
	ran     int64      // monoNow when the loop last parked or yielded (see poll)
	left    int64      // monoNow when poll last returned to wait
	buf     []byte     // the read buffer: carried bytes + one read
	drain   [8192]byte // where unregister drops unread input
	work    []*loopSession
	expired []*loopSession // sessions whose deadlines came, for runTimers
	ended   *doneBatch     // sessions finished in this batch, for reportEnded
	quick   []doneReport   // sessions finished in this batch whose done cannot block (QuickDone)
}

var (
	pollersOnce sync.Once
	pollers     []*poller
	pollerErr   error
	nextPoller  atomic.Uint32
)

// wantLoops is SetEventLoops's number (0: the default), read once by
// startPollers; loopsUsed guards it against a change after that.
var (
	loopsMu   sync.Mutex
	wantLoops int
	loopsUsed bool
)

// defaultLoops: one relay loop per GOMAXPROCS, at most 8.
func defaultLoops() int { return min(max(runtime.GOMAXPROCS(0), 1), 8) }

func setEventLoops(n int) error {
	loopsMu.Lock()
	if !loopsUsed {
		wantLoops = n
		loopsMu.Unlock()
		return nil
	}
	want := wantLoops
	loopsMu.Unlock()
	pollersOnce.Do(startPollers) // returns once a start under way is done
	have := len(pollers)
	if have == 0 || n == have || (n == 0 && want == 0) {
		return nil // none could start (the goroutine relay serves), or no change
	}
	return fmt.Errorf("relay event loops: %d already running, cannot change to %d", have, n)
}

func startPollers() {
	loopsMu.Lock()
	loopsUsed = true
	n := wantLoops
	loopsMu.Unlock()
	if n == 0 {
		n = defaultLoops()
	}
	for range n {
		p, err := newPoller()
		if err != nil {
			pollerErr = err
			return
		}
		pollers = append(pollers, p)
		go p.run()
	}
}

// pickPoller returns the next poller, round robin.
func pickPoller() *poller {
	pollersOnce.Do(startPollers)
	return pollers[int(nextPoller.Add(1))%len(pollers)]
}

// eventLoopAvailable starts the pollers and reports whether they run.
func eventLoopAvailable() error {
	pollersOnce.Do(startPollers)
	if len(pollers) == 0 {
		return pollerErr
	}
	return nil
}

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(evfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(evfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(epfd), "epoll") // non-blocking: pollable by Go's poller
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		_ = unix.Close(evfd)
		return nil, err
	}
	p := &poller{epfd: epfd, evfd: evfd, epFile: f, epRaw: rc, buf: make([]byte, carrySize+relayBufSize)}
	p.timers.fire = p.timerFired
	return p, nil
}

func (p *poller) run() {
	p.events = make([]unix.EpollEvent, 256)
	p.wait = p.poll
	// The loop runs inside RawRead's callback: poll returns false to park
	// the goroutine until the epoll fd is readable again, and is called
	// again then. (Returning from RawRead and calling it again would reset
	// the readiness noted while events were being handled.)
	err := p.epRaw.Read(p.wait)
	panic(err) // RawRead only returns on an error, which a valid epoll fd does not have
}

// poll takes the ready events without blocking and handles them, until
// nothing is ready or everything read was drained; it returns false to
// park until the epoll fd signals new readiness.
//
// Skipping the last epoll_wait (the one that would find nothing) is safe
// when every socket read in the batch came back short (drained: new data
// will signal again), the batch did not fill the events array, and no
// socket had events enabled (epoll_ctl MOD does not signal a socket that a
// previous epoll_wait left on the ready list); p.more records otherwise. A
// short read does not mean drained when the peer's FIN came with the bytes
// (no new readiness follows it): onEvent reads such a side once more (see
// readEvents).
//
// The clock is read twice per batch that ends the wait: on entry (which
// also stamps the batch: the epoll_wait between is a microsecond) and on
// leaving; a batch polled again without parking reads it anew.
func (p *poller) poll(fd uintptr) bool {
	now := monoNow()
	if now-p.left > parkedGap {
		p.ran = now // it parked (or may have): nothing waited behind it
	}
	for {
		n, err := epollPoll(int(fd), p.events)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			panic(os.NewSyscallError("epoll_wait", err)) // cannot happen with valid arguments
		}
		if n == 0 {
			if now == 0 {
				now = monoNow()
			}
			p.left = now
			return false
		}
		if now == 0 {
			now = monoNow()
		}
		p.now, now = now, 0
		if p.now-p.ran > yieldAfter {
			// RawRead calls poll again at once, without parking, when
			// Go's poller noted the epoll fd ready while the loop worked
			// (another processor's netpoll saw new events): a busy loop
			// may then never park, and goroutines queued behind it on
			// its processor (a handshake its poll woke, timers) wait
			// until sysmon preempts it, 10-20 ms later.
			p.ran = p.now
			runtime.Gosched()
		}
		p.more = n == len(p.events)
		tasks := false
		for i := range n {
			ev := &p.events[i]
			fd := int(ev.Fd)
			if fd == p.evfd {
				tasks = true
				continue
			}
			if sd := p.sides.get(fd); sd != nil && sd.gen == ev.Pad {
				if sd.wake != nil { // a handshake waiting on a raw socket
					if sd = p.wakeWaiter(fd, sd, ev.Events); sd == nil {
						continue
					}
				}
				if sd.s.sig.Load()&sigHold != 0 {
					// startHere is still registering the session: it
					// hands it to the loop (sigPoll) when it is done.
					sd.s.signal(sigPoll)
					continue
				}
				sd.s.onEvent(sd.x, ev.Events)
			}
		}
		p.settleWaits()
		if tasks {
			p.runTasks()
		}
		p.reportEnded() // the sessions this batch finished: one hand-off
		if !p.more {
			p.left = monoNow()
			return false
		}
	}
}

// wakeWaiter wakes the handshake waiting on w, the entry of fd, for
// events, and notes them on w (seen) for a session that keeps its
// registration (sockConn.handOver). That session may have taken w's place
// meanwhile (startHere, on the handshake's goroutine): if it has, the
// event is its own, and wakeWaiter returns its side to handle it with.
// Either the session's start sees what wakeWaiter noted, or wakeWaiter
// sees the session's side (both atomic, in that order each).
func (p *poller) wakeWaiter(fd int, w *loopSide, events uint32) *loopSide {
	bits := seenEvent
	if events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		bits |= seenHUP
	}
	w.seen.Or(bits)
	select {
	case w.wake <- struct{}{}:
	default:
		p.stale++ // it has not taken the last one yet (see settleWaits)
	}
	if sd := p.sides.get(fd); sd != nil && sd != w && sd.wake == nil && sd.gen == w.gen {
		return sd
	}
	return nil
}

// settleWaits ends a batch's count of stale wait reports. A raw socket
// whose handshake waits for its 101 is registered level-triggered (see
// sockConn.waitLoop), and the loop reports it on each of its epoll_waits
// until the handshake's goroutine has read the 101. That is a report or
// two when the goroutine runs at once; when many handshakes' goroutines
// wait for a processor (a storm of reconnections), each is reported on
// every epoll_wait meanwhile, and with more of them than the events array
// holds every epoll_wait is full and the loop polls again at once. So when
// a batch held staleWaits or more reports of waits that had not taken
// their last wakeup, new waits register edge-triggered for staleFor (the
// registration the session then modifies, one epoll_ctl more per
// handshake, as before the kept registration), so that the stale
// reports stop with the handshakes already waiting.
func (p *poller) settleWaits() {
	switch {
	case p.stale >= staleWaits:
		p.etUntil = p.now + int64(staleFor)
		if !p.etWaits.Load() {
			p.etWaits.Store(true)
		}
	case p.etUntil != 0 && p.now >= p.etUntil:
		p.etUntil = 0
		p.etWaits.Store(false)
	}
	p.stale = 0
}

const (
	staleWaits = 16
	staleFor   = 100 * time.Millisecond
)

// What the loop saw of a waiting handshake's socket (loopSide.seen):
// seenEvent, readiness since the handshake's last read (which clears it);
// seenHUP, the peer's FIN or an error, ever.
const (
	seenEvent uint32 = 1 << iota
	seenHUP
)

// yieldAfter: a loop that has not parked for this long yields its
// processor (see poll). parkedGap: a return to poll later than this after
// it left to wait counts as a park (RawRead's wait does not say whether it
// parked; one that did not comes back within a microsecond or two).
const (
	yieldAfter = int64(250 * time.Microsecond)
	parkedGap  = int64(20 * time.Microsecond)
)

// enqueue schedules s for runTasks (s has new signals).
func (p *poller) enqueue(s *loopSession) {
	p.mu.Lock()
	p.queue = append(p.queue, s)
	wake := !p.woken
	p.woken = true
	p.mu.Unlock()
	if wake {
		p.wake()
	}
}

// timerFired is the timers' runtime timer func: runTasks runs the
// deadlines that came (runTimers).
func (p *poller) timerFired() {
	p.mu.Lock()
	p.ticked = true
	wake := !p.woken
	p.woken = true
	p.mu.Unlock()
	if wake {
		p.wake()
	}
}

// wake makes the loop's epoll fd readable (its eventfd).
func (p *poller) wake() {
	var one = [8]byte{1}
	for {
		_, e := rawio.WriteFD(p.evfd, one[:]) // an eventfd: write(2)
		if e != unix.EINTR {
			break
		}
	}
}

func (p *poller) runTasks() {
	var b [8]byte
	_, _ = rawio.ReadFD(p.evfd, b[:]) // an eventfd: read(2)
	p.mu.Lock()
	p.work, p.queue = p.queue, p.work[:0]
	p.woken = false
	ticked := p.ticked
	p.ticked = false
	p.mu.Unlock()
	for i, s := range p.work {
		s.onSignals(s.sig.Swap(0))
		p.work[i] = nil
	}
	if ticked {
		p.runTimers()
	}
}

// runTimers ticks the sessions whose deadlines came. A session startHere
// still holds is signalled instead (startHere queues it when it is done).
func (p *poller) runTimers() {
	p.now = monoNow()
	p.expired = p.timers.expire(p.now, p.expired[:0])
	for i, s := range p.expired {
		p.expired[i] = nil
		if s.sig.Load()&sigHold != 0 {
			s.signal(sigTick)
			continue
		}
		s.onSignals(sigTick)
	}
}

// readEvents polls a side for reading. EPOLLRDHUP says the peer's FIN has
// come: a short read then no longer means the socket is drained (a read
// would find the EOF at once), and no new readiness will come for it, so
// the side is read again before the loop parks (see readable). Without it,
// data and a FIN that came together left the EOF unread until something
// else woke the loop (a backend that wrote its last frame and closed, a
// lingering close: measured, the timer's 2 s).
const readEvents = unix.EPOLLIN | unix.EPOLLRDHUP

// register adds fd to the poller for sd, polled for reading. It runs on
// the loop, or (startHere) on another goroutine before the loop knows the
// session; the epoll_ctl ADD of a socket that is ready already makes the
// epoll fd readable, so the loop hears of it either way.
//
// A raw backend socket whose handshake's wait registered it as the
// session polls it (readEvents, level-triggered: see sockConn.handOver) keeps
// that registration and its number: sd takes the wait entry's place in
// the fd table, and no epoll_ctl is made.
func (p *poller) register(sd *loopSide) error {
	fd := int(sd.fd)
	if sd.inEpoll && sd.events == readEvents {
		if !p.sides.set(fd, sd) {
			return os.NewSyscallError("epoll_ctl", unix.ERANGE)
		}
		return nil
	}
	sd.events = readEvents
	sd.gen = p.gen.Add(1) // before sd is published: the loop reads it unlocked
	if !p.sides.set(fd, sd) {
		return os.NewSyscallError("epoll_ctl", unix.ERANGE)
	}
	op := unix.EPOLL_CTL_ADD
	if sd.inEpoll {
		// A raw backend socket its handshake waited on: from its
		// edge-triggered wait registration to the session's.
		op = unix.EPOLL_CTL_MOD
	}
	ev := unix.EpollEvent{Events: sd.events, Fd: sd.fd, Pad: sd.gen}
	if err := epollCtl(p.epfd, op, fd, &ev); err != nil {
		p.sides.set(fd, nil)
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// The events a raw socket's handshake waits for (sockConn.waitLoop). A
// socket whose first wait is for reading (the backend's 101) is
// registered level-triggered for readEvents, the session's own
// registration, which Start then keeps (sockConn.handOver); a wait for writing
// makes it edge-triggered (waitRead|waitWrite), as a level-triggered
// EPOLLOUT would be reported on every epoll_wait while the socket is
// writable, and the session then modifies it.
const (
	waitRead  = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET
	waitWrite = unix.EPOLLOUT | unix.EPOLLET
)

// registerWaiter registers w (a sockConn's wait entry: fd and wake)
// for events (waitRead, waitWrite or both): each readiness change sends
// on w.wake (never blocking; one pending wakeup is enough).
func (p *poller) registerWaiter(w *loopSide, events uint32) error {
	fd := int(w.fd)
	w.events = events
	w.gen = p.gen.Add(1)
	if !p.sides.set(fd, w) {
		return os.NewSyscallError("epoll_ctl", unix.ERANGE)
	}
	ev := unix.EpollEvent{Events: w.events, Fd: w.fd, Pad: w.gen}
	if err := epollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.sides.set(fd, nil)
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// modifyWaiter adds events to what w's socket is registered for. The
// modification reports the socket's readiness as an addition does.
func (p *poller) modifyWaiter(w *loopSide, events uint32) error {
	w.events |= events
	ev := unix.EpollEvent{Events: w.events, Fd: w.fd, Pad: w.gen}
	if err := epollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(w.fd), &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// sideTable maps file descriptors (below maxLoopFD) to sides, in chunks
// allocated as descriptors grow; entries are read and written atomically.
type sideTable struct {
	chunks [maxLoopFD / sideChunk]atomic.Pointer[[sideChunk]atomic.Pointer[loopSide]]
}

const (
	sideChunk = 1024
	// maxLoopFD bounds the descriptors the event loop takes; a session
	// with a higher one (a process allowed over a million open files) is
	// relayed by Goroutines.
	maxLoopFD = 1 << 20
)

func (t *sideTable) get(fd int) *loopSide {
	if fd < 0 || fd >= maxLoopFD {
		return nil
	}
	c := t.chunks[fd/sideChunk].Load()
	if c == nil {
		return nil
	}
	return c[fd%sideChunk].Load()
}

// set stores sd for fd (nil: removes it); false if fd is out of range.
func (t *sideTable) set(fd int, sd *loopSide) bool {
	if fd < 0 || fd >= maxLoopFD {
		return false
	}
	cp := &t.chunks[fd/sideChunk]
	c := cp.Load()
	if c == nil {
		if sd == nil {
			return true
		}
		cp.CompareAndSwap(nil, new([sideChunk]atomic.Pointer[loopSide]))
		c = cp.Load()
	}
	c[fd%sideChunk].Store(sd)
	return true
}

// setEvents changes the events sd is polled for.
func (p *poller) setEvents(sd *loopSide, events uint32) {
	if sd.events == events {
		return
	}
	if events&^sd.events != 0 {
		p.more = true
	}
	sd.events = events
	ev := unix.EpollEvent{Events: events, Fd: sd.fd, Pad: sd.gen}
	_ = epollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(sd.fd), &ev)
}

// unregister removes sd's fd from the poller and closes it. Bytes the
// peer sent that were not read yet (data after its close frame, or frames
// that crossed ours) are read and dropped first, a bounded number of
// reads: closing a socket with unread input makes the kernel send a reset,
// which can make the peer lose the frames sent to it last (our close
// frame or the close reply we relayed).
//
// No EPOLL_CTL_DEL: closing the descriptor removes it from the epoll set
// (the loop holds the only descriptor for the socket: detachPair closed
// the net.Conn's). A child process forked meanwhile holds the socket until
// its exec closes it (close-on-exec), and the entry lasts that long: its
// events carry a registration number no side has any more (gen) and are
// ignored.
func (p *poller) unregister(sd *loopSide) {
	p.unregisterAt(sd, false)
}

// unregisterAt is unregister; eof: the peer's EOF was read, there is
// nothing to drop.
func (p *poller) unregisterAt(sd *loopSide, eof bool) {
	fd := int(sd.fd)
	if p.sides.get(fd) == sd {
		p.sides.set(fd, nil)
	}
	for i := 0; i < 4 && !eof; i++ {
		// Not p.buf: unregister may run while p.buf's bytes are relayed.
		if n, err := sysRead(fd, p.drain[:]); n <= 0 || err != nil {
			break
		}
	}
	_ = rawio.Close(fd)
}

// sysRead reads into b, retrying on EINTR; n == 0 with no error is EOF.
// It calls rawio.Recv itself (not rawRead) and compares the errno as a
// number: the wrapper's call and the error interface's comparisons were
// 17 of the 97 instructions around each read (and 18 of 121 a write).
func sysRead(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, e := rawio.Recv(fd, b)
		switch e {
		case 0:
			return n, nil
		case unix.EINTR:
			continue
		}
		return 0, e
	}
}

// sysWrite writes as much of b as the socket takes now; EAGAIN is not an
// error (n < len(b) says the rest is pending). Like sysRead, it calls
// rawio.Send itself.
func sysWrite(fd int, b []byte) (int, error) {
	total := 0
	for total < len(b) {
		n, e := rawio.Send(fd, b[total:])
		switch e {
		case 0:
			total += n
			continue
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return total, nil
		}
		return total, os.NewSyscallError("write", e)
	}
	return total, nil
}

// signals a session gets from other goroutines.
const (
	sigStart uint32 = 1 << iota // Start handed it over
	sigTick                     // its deadline came (runTimers; while held, a signal)
	sigCtx                      // its ctx is done
	sigPoll                     // it had readiness while held: poll again
	// sigHold: startHere is setting the session up; signals are recorded
	// but not queued, and the loop leaves its events alone, until
	// startHere clears it and queues what came in meanwhile.
	sigHold
)

// after is time.Duration arithmetic on the mono clock.
func after(now int64, d time.Duration) int64 { return now + int64(d) }
