//go:build linux

package evloop

import (
	"context"
	"errors"
	"iter"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
	"tollgate/internal/monoclock"
)

// Available reports whether event loops run on this platform.
func Available() bool { return true }

// Group is a set of loops (one per GOMAXPROCS by default) sharing the
// listening sockets given to Listen.
type Group struct {
	loops []*Loop

	mu        sync.Mutex
	listeners []*listener
	stopped   bool

	// live is the loops' connections together (Loop.conns summed):
	// accept balances the loops on it.
	live atomic.Int64

	// The watchdog (watch_linux.go): watching is set while it checks the
	// loops, wake rouses it from its sleep, ended counts loops shut
	// down (the last one closes quit).
	watching atomic.Bool
	wake     chan struct{}
	quit     chan struct{}
	ended    atomic.Int32
	forced   atomic.Int64 // tasks the watchdog released
}

// fairShare reports whether l holds no more than its share of the group's
// connections, rounded up.
func (g *Group) fairShare(l *Loop) bool {
	n := int64(len(g.loops))
	return n == 1 || l.conns.Load()*n <= g.live.Load()+n-1
}

// leastLoaded is the loop with the fewest connections.
func (g *Group) leastLoaded() *Loop {
	best := g.loops[0]
	for _, l := range g.loops[1:] {
		if l.conns.Load() < best.conns.Load() {
			best = l
		}
	}
	return best
}

// NewGroup starts n loops (n <= 0: GOMAXPROCS, at most 8).
func NewGroup(n int) (*Group, error) {
	if n <= 0 {
		n = min(runtime.GOMAXPROCS(0), 8)
	}
	g := &Group{wake: make(chan struct{}, 1), quit: make(chan struct{})}
	for range n {
		l, err := newLoop(g)
		if err != nil {
			for _, l := range g.loops {
				l.shutdown() // not running yet: nothing posted would be read
			}
			return nil, err
		}
		g.loops = append(g.loops, l)
	}
	for _, l := range g.loops {
		go l.run()
	}
	g.watching.Store(true)
	go g.watchdog()
	return g, nil
}

// Handler serves one connection in its task; ctx carries the task
// (TaskFrom). The connection is the handler's to close.
type Handler func(ctx context.Context, c *Conn)

// Listen accepts connections on the listening socket fd (non-blocking; the
// group owns it from now on and closes it in CloseListeners or Stop) on
// every loop, and serves each in a new task with h.
func (g *Group) Listen(fd int, h Handler) error {
	ln := &listener{fd: fd, h: h}
	ln.refs.Store(int32(len(g.loops)))
	// Linux gives an accepted TCP socket the listening socket's
	// TCP_NODELAY: set there once, it spares a setsockopt per connection
	// (noDelay checks that it is inherited).
	if unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) == nil {
		ln.nodelay.Store(nodelayChecks)
	}
	// Registered under g.mu: Stop (which takes it first) cannot end a loop
	// and close its epoll instance halfway through, and every loop that
	// drops the socket in unlisten has it.
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return net.ErrClosed
	}
	g.listeners = append(g.listeners, ln)
	idx := len(g.listeners) - 1
	for i, l := range g.loops {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE}
		setKey(&ev, listenKey|uint64(idx))
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			// The caller closes fd: no loop may keep it (a closed number
			// is soon another socket's).
			for _, l := range g.loops[:i] {
				_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
			}
			g.listeners[idx] = nil
			return err
		}
	}
	return nil
}

// CloseListeners stops accepting: every loop drops the listening sockets,
// and the last one closes them. Connections already accepted go on.
func (g *Group) CloseListeners() {
	for _, l := range g.loops {
		l.post(post{kind: postUnlisten})
	}
}

// Stop ends the loops: listening sockets are closed, every task waiting on
// a connection is woken with net.ErrClosed, and each loop's goroutine
// returns once its tasks are done. Stop does not wait.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	for _, l := range g.loops {
		l.post(post{kind: postStop})
	}
}

// listener is a listening socket shared by the group's loops.
type listener struct {
	fd      int
	h       Handler
	refs    atomic.Int32 // loops still polling it
	nodelay atomic.Int32 // how accepted sockets get TCP_NODELAY (nodelayInherited, ...)
}

// How a listener's accepted sockets get TCP_NODELAY (listener.nodelay):
// from the listening socket (nodelayInherited), by a setsockopt each
// (nodelaySet), or, while positive, by one each until one is found with
// it already: a connection that was in the accept queue before Listen set
// the listener was made without it, so one without it proves nothing, and
// after nodelayChecks of them the listener is taken for one that does not
// pass it on.
const (
	nodelayInherited = -1
	nodelaySet       = 0
	nodelayChecks    = 64
)

// noDelay gives the accepted socket fd TCP_NODELAY, as Go's net package
// does, unless it has it from the listening socket.
func (ln *listener) noDelay(fd int) {
	m := ln.nodelay.Load()
	if m == nodelayInherited {
		return
	}
	if m > 0 {
		if v, e := rawio.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); e == 0 && v != 0 {
			ln.nodelay.Store(nodelayInherited)
			return
		}
		ln.nodelay.CompareAndSwap(m, m-1)
	}
	_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

func (ln *listener) drop() {
	if ln.refs.Add(-1) == 0 {
		_ = unix.Close(ln.fd)
	}
}

// Epoll data: a connection's slot and generation, or one of these.
const (
	specialKey = 1 << 63
	listenKey  = specialKey | 1<<62 // | the listener's index
	wakeKey    = specialKey | 1<<61
)

// Loop is one epoll instance and the goroutine that owns it. The owner
// role moves to a new goroutine when a task releases it (Release, or the
// watchdog for a task that holds the loop too long): the old one is left
// inside that task's coroutine switch and returns when the task suspends
// next.
type Loop struct {
	g     *Group
	id    int
	epfd  int
	evfd  int
	ep    syscall.RawConn // epfd in Go's poller: an owner with nothing to do parks there
	epf   *os.File
	wait  func(fd uintptr) bool // l.waitEvents, made once: no allocation per park
	runFn func()                // l.run, made once: no allocation per hand-over
	armed int64                 // the park's deadline set last (epf's read deadline); 0: none
	waits int                   // waitEvents calls in this park
	ran   int64                 // when the owner last parked or yielded (see poll)
	// now is the loop's clock as its last poll read it: a task's wait
	// checks its deadline against it rather than reading the clock again
	// (a deadline it finds not yet passed that has is fired by the next
	// poll's timers). Atomic: a released task reads it off the loop.
	now atomic.Int64

	// running is the number of the owner's last resume of a task, shifted
	// left by one, with the low bit set while that task runs. Whoever
	// clears the bit of a running task first (the owner when the task
	// suspends; Release; the watchdog) decides: the owner goes on, or the
	// loop passes to a new goroutine. cur is the task of that resume.
	running atomic.Uint64
	cur     *Task
	resumes uint64 // the owner's

	mu     sync.Mutex
	posted []post
	down   bool // under mu: shutdown closed evfd (a post must not write its old number)
	// stopPosted: under mu, Stop has posted: postDone wakes the owner too.
	stopPosted bool
	sleeping   atomic.Bool // the owner is (about to be) in epoll_wait: posters write evfd

	slots slotTable
	polls atomic.Int64 // rounds of poll (tests: a loop that spins)
	conns atomic.Int64 // connections accepted by or handed to the loop and not done

	// The owner's state: only the goroutine that owns the loop touches
	// it (cur and resumes too).
	spare     []post
	events    []unix.EpollEvent
	evn, evi  int
	runq      []*Task
	runh      int
	timers    timerHeap
	free      []*Task
	live      int // tasks not done
	listening []*listener
	paused    []pausedListener // out of the epoll instance for a while (accept ran out of descriptors)
	stopping  bool
}

func newLoop(g *Group) (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setKey(&ev, wakeKey)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		_, _ = unix.Close(epfd), unix.Close(evfd)
		return nil, err
	}
	// The epoll instance itself goes into Go's poller (it is readable
	// while events are ready), so that an owner with nothing to do parks
	// like any goroutine waiting for a socket, instead of blocking a
	// thread in epoll_wait: a blocked system call keeps the runtime's
	// sysmon thread waking every 20 µs to see whether to take its
	// processor (6-7% of the CPU under load, measured with perf).
	if err := unix.SetNonblock(epfd, true); err != nil {
		_, _ = unix.Close(epfd), unix.Close(evfd)
		return nil, err
	}
	epf := os.NewFile(uintptr(epfd), "epoll")
	ep, err := epf.SyscallConn()
	if err != nil {
		_, _ = epf.Close(), unix.Close(evfd)
		return nil, err
	}
	l := &Loop{g: g, epfd: epfd, evfd: evfd, ep: ep, epf: epf, events: make([]unix.EpollEvent, 128)}
	l.wait = l.waitEvents
	l.runFn = l.run
	return l, nil
}

// waitEvents is the callback of the owner's park in Go's poller: it polls
// the epoll instance and reports whether it found events (l.evn). Its
// first call of a park (l.waits 0) is the poll's only epoll_wait: when it
// finds nothing, the owner says it sleeps and looks at what was posted
// meanwhile (posted work ends the park at once), and RawRead then parks.
// An event that comes after that epoll_wait makes the epoll instance
// readable, which RawRead's wait sees (it was prepared before this call).
func (l *Loop) waitEvents(fd uintptr) bool {
	l.evn = epollPoll(int(fd), l.events)
	l.waits++
	if l.evn > 0 {
		return true
	}
	if l.waits == 1 {
		l.sleeping.Store(true)
		l.mu.Lock()
		n := len(l.posted)
		l.mu.Unlock()
		return n > 0
	}
	return false
}

// post kinds.
const (
	postRejoin   = iota + 1 // a released task suspended: settle it
	postDone                // a released task ended (postDone): file it, no wake-up
	postClosed              // a connection was closed by another goroutine: wake its waiter
	postDeadline            // a waiter's deadline moved
	postUnlisten
	postStop
	postConn // an accepted connection handed over by a loop past its fair share
)

type post struct {
	kind uint8
	t    *Task
	c    *Conn
	h    Handler // postConn: what serves c
}

// post hands work to the loop's owner from any goroutine.
func (l *Loop) post(p post) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.posted = append(l.posted, p)
	if p.kind == postStop {
		l.stopPosted = true
	}
	// The write is under mu: a loop woken meanwhile by something else could
	// otherwise shut down and close evfd first, and the write land on a
	// connection that got its number.
	if l.sleeping.Swap(false) && !l.down {
		var one = [8]byte{1}
		_, _ = rawio.WriteFD(l.evfd, one[:])
	}
}

// run is the owner's loop, for as long as the calling goroutine owns the
// loop.
func (l *Loop) run() {
	for {
		if l.runh < len(l.runq) {
			t := l.runq[l.runh]
			l.runq[l.runh] = nil
			l.runh++
			if !l.resume(t) {
				return
			}
			continue
		}
		l.runq, l.runh = l.runq[:0], 0
		if l.evi < l.evn {
			ev := l.events[l.evi]
			l.evi++
			l.event(&ev)
			continue
		}
		if l.stopping && l.live == 0 {
			l.shutdown()
			return
		}
		l.poll()
	}
}

// resume runs t until it suspends or ends. It reports whether the calling
// goroutine still owns the loop (t was not released while it ran).
func (l *Loop) resume(t *Task) bool {
	l.resumes++
	run := l.resumes<<1 | 1
	t.run.Store(run)
	l.cur = t
	l.running.Store(run)
	if !l.g.watching.Load() {
		l.g.rouse()
	}
	t.next()
	if !l.running.CompareAndSwap(run, run&^1) {
		// t was released while it ran: the new owner settles it.
		if t.state == taskDone {
			l.postDone(t)
		} else {
			l.post(post{kind: postRejoin, t: t})
		}
		return false
	}
	l.settle(t)
	return true
}

// postDone hands a released task that has ended back to the loop without
// waking it: the loop's counts of connections are the only thing another
// loop reads (accept's fair share), and they move now; what is left (the
// task back to the free list) waits for the owner's next poll, which takes
// it before any connection it accepts needs a task. A released handshake
// ends on its own goroutine, and a wake-up of the loop for this alone was
// an eventfd write, the owner's wake, two epoll_waits and the eventfd's
// read per handshake. Once Stop has posted, the owner is woken as for any
// post, or a stopping loop would wait for the task forever.
func (l *Loop) postDone(t *Task) {
	l.conns.Add(-1)
	l.g.live.Add(-1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.posted = append(l.posted, post{kind: postDone, t: t})
	if l.stopPosted && l.sleeping.Swap(false) && !l.down {
		var one = [8]byte{1}
		_, _ = rawio.WriteFD(l.evfd, one[:])
	}
}

// settle files a task that suspended or ended.
func (l *Loop) settle(t *Task) {
	t.released.Store(false)
	if t.state == taskDone {
		l.conns.Add(-1)
		l.g.live.Add(-1)
		l.done(t)
		return
	}
	l.register(t)
}

// done files a task that has ended (its connection counted out already).
func (l *Loop) done(t *Task) {
	t.released.Store(false)
	l.live--
	t.h, t.hc = nil, nil
	if len(l.free) < 256 && !l.stopping {
		l.free = append(l.free, t)
	} else {
		t.stop()
	}
}

// register makes t, suspended on a connection, wait for it.
func (l *Loop) register(t *Task) {
	c := t.wc
	if c.l != l {
		t.reason = wokeMisuse
		l.ready(t)
		return
	}
	if l.stopping {
		// Stop woke the tasks that were waiting; one that waits later (a
		// connection accepted or handed over just before) is woken the same
		// way, or the loop would wait for it forever.
		t.reason = wokeClosed
		l.ready(t)
		return
	}
	if c.key.Load() == 0 && !c.closed.Load() {
		if err := l.add(c); err != nil {
			t.reason = wokeClosed
			l.ready(t)
			return
		}
	} else if (c.rdOnly && t.wdir&dirWrite != 0 || c.oneShot && !c.armed.Load()) && !c.closed.Load() {
		if err := l.rearm(c); err != nil {
			t.reason = wokeClosed
			l.ready(t)
			return
		}
	}
	c.waiter.Store(t)
	if c.closed.Load() && c.waiter.CompareAndSwap(t, nil) {
		t.reason = wokeClosed
		l.ready(t)
		return
	}
	if (t.wdir&dirRead != 0 && c.rev.Load() != t.rseq || t.wdir&dirWrite != 0 && c.wev.Load() != t.wseq) &&
		c.waiter.CompareAndSwap(t, nil) {
		t.reason = wokeReady // an event came since its system call found nothing
		l.ready(t)
		return
	}
	if t.wdl != 0 {
		l.timers.push(t)
	}
}

// ready queues t to be resumed.
func (l *Loop) ready(t *Task) {
	if t.hidx >= 0 {
		l.timers.remove(t)
	}
	l.runq = append(l.runq, t)
}

// add registers c with the loop's epoll instance, edge-triggered (for
// reading only while c.rdOnly, unless its first wait is for writing).
func (l *Loop) add(c *Conn) error {
	key := l.slots.alloc(c)
	ev := unix.EpollEvent{Events: c.regEvents()}
	setKey(&ev, key)
	if e := rawio.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); e != 0 {
		l.slots.release(key)
		return e
	}
	c.key.Store(key)
	return nil
}

// regEvents is the events c is registered for (add) or re-armed with
// (rearm): edge-triggered reading and writing, for reading only while
// c.rdOnly (an adopted socket), which a wait for writing ends, and
// one-shot for an adopted socket, armed from now on.
func (c *Conn) regEvents() uint32 {
	events := uint32(unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET)
	if c.rdOnly && c.task != nil && c.task.wdir&dirWrite != 0 {
		c.rdOnly = false
	}
	if c.rdOnly {
		events &^= unix.EPOLLOUT
	}
	if c.oneShot {
		events |= unix.EPOLLONESHOT
		c.armed.Store(true)
	}
	return events
}

// rearm modifies the registration of an adopted Conn (Adopt) for its
// task's wait: EPOLLOUT added for a wait for writing (it was registered
// for reading only), and a one-shot registration a reported event
// disarmed armed again. The MOD reports the socket's readiness as it is,
// edge-triggered, as an ADD would.
func (l *Loop) rearm(c *Conn) error {
	ev := unix.EpollEvent{Events: c.regEvents()}
	setKey(&ev, c.key.Load())
	if e := rawio.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); e != 0 {
		return e
	}
	return nil
}

// event handles one epoll event.
func (l *Loop) event(ev *unix.EpollEvent) {
	key := getKey(ev)
	if key&specialKey != 0 {
		switch {
		case key == wakeKey:
			var b [8]byte
			_, _ = rawio.ReadFD(l.evfd, b[:])
		case key&listenKey == listenKey:
			l.accept(int(key &^ listenKey))
		}
		return
	}
	c := l.slots.get(key)
	if c == nil {
		return // closed since
	}
	if c.oneShot {
		c.armed.Store(false) // the kernel disarmed it as it reported it
	}
	e := ev.Events
	in := e&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
	out := e&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0
	if e&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.hup.Store(true) // before rev moves: a reader that sees the new rev sees it too
	}
	if in {
		c.rev.Add(1)
	}
	if out {
		c.wev.Add(1)
	}
	t := c.waiter.Load()
	if t == nil || !(in && t.wdir&dirRead != 0 || out && t.wdir&dirWrite != 0) {
		return
	}
	if c.waiter.CompareAndSwap(t, nil) {
		t.reason = wokeReady
		l.ready(t)
	}
}

// poll takes posted work, fires due deadlines, and waits for events
// (without blocking when there is work queued).
func (l *Loop) poll() {
	l.polls.Add(1)
	l.takePosted()
	now := nanotime()
	l.now.Store(now)
	if now-l.ran > yieldAfter {
		// An owner with events every time it looks never parks, and the
		// runtime then never gets the processor back from it: goroutines
		// queued behind it (another loop's owner readied on the same
		// processor, a released task, a timer's) wait until sysmon
		// preempts it, 10-20 ms later. Measured: a p99 of 9-20 ms for the
		// REST GET on the loop front, 6 ms with the yield.
		l.ran = now
		runtime.Gosched()
	}
	for l.timers.len() > 0 && l.timers.min() <= now {
		t := l.timers.pop()
		if t.wc.waiter.CompareAndSwap(t, nil) {
			t.reason = wokeTimeout
			l.ready(t)
		}
	}
	if l.stopping && l.live == 0 {
		return
	}
	var due int64 // the soonest deadline or accept pause's end; 0: none
	if len(l.paused) > 0 {
		due = l.resumeAccept(now)
	}
	if l.timers.len() > 0 && (due == 0 || l.timers.min() < due) {
		due = l.timers.min()
	}
	timeout := -1
	if l.runh < len(l.runq) {
		timeout = 0
	} else if due != 0 {
		timeout = int((due - now + int64(time.Millisecond) - 1) / int64(time.Millisecond))
	}
	if timeout == 0 {
		l.evn, l.evi = epollPoll(l.epfd, l.events), 0
		return
	}
	// Park until the epoll instance has events or the next deadline. The
	// park's deadline moves only when a sooner one is due: waking early
	// for a deadline that moved later costs one idle round. RawRead's
	// first call of waitEvents is the epoll_wait that finds the events
	// ready already (one per round: a poll that found nothing was
	// followed by RawRead's own before it parked).
	if due != 0 && (l.armed == 0 || due < l.armed) {
		l.armed = due
		_ = l.epf.SetReadDeadline(timeOf(due))
	}
	l.evn, l.waits = 0, 0
	err := l.ep.Read(l.wait)
	n := l.evn
	if err == nil && l.waits == 1 {
		// It did not park: events were ready, or work was posted.
		l.sleeping.Store(false)
		l.evn, l.evi = n, 0
		return
	}
	now = nanotime()
	l.now.Store(now)
	if l.armed != 0 && l.armed <= now {
		l.armed = 0
		_ = l.epf.SetReadDeadline(time.Time{})
	}
	l.sleeping.Store(false)
	l.ran = now
	l.evn, l.evi = n, 0
	// What was posted while it slept without waking it (postDone's tasks)
	// is taken before the events: a connection they bring reuses the task.
	l.takePosted()
}

// yieldAfter: an owner that has not parked for this long yields its
// processor before its next epoll_wait (see poll).
const yieldAfter = int64(250 * time.Microsecond)

// epollPoll is epoll_wait with a zero timeout (it never blocks); 0 on an
// error (EINTR).
func epollPoll(epfd int, events []unix.EpollEvent) int {
	n, e := rawio.EpollPoll(epfd, events)
	if e != 0 {
		return 0
	}
	return n
}

// takePosted handles what other goroutines posted.
func (l *Loop) takePosted() {
	l.mu.Lock()
	ps := l.posted
	l.posted = l.spare[:0]
	l.mu.Unlock()
	for i, p := range ps {
		ps[i] = post{}
		switch p.kind {
		case postRejoin:
			l.settle(p.t)
		case postDone:
			l.done(p.t)
		case postClosed:
			if t := p.c.waiter.Load(); t != nil && t.wc == p.c && p.c.waiter.CompareAndSwap(t, nil) {
				t.reason = wokeClosed
				l.ready(t)
			}
		case postDeadline:
			if t := p.c.waiter.Load(); t != nil && t.wc == p.c {
				dl := p.c.rdl.Load()
				if t.wdir&dirWrite != 0 {
					dl = p.c.wdl.Load()
				}
				if t.hidx >= 0 {
					l.timers.remove(t)
				}
				t.wdl = dl
				if dl != 0 {
					l.timers.push(t)
				}
			}
		case postConn:
			l.start(p.c, p.h) // a stopping loop's tasks still run: a connection handed over just before Stop is served and closed as the loop's own
		case postUnlisten:
			l.unlisten()
		case postStop:
			l.unlisten()
			l.stopping = true
			// A task waits only on a connection registered with the loop:
			// the slot table knows them all.
			l.slots.each(func(c *Conn) {
				if t := c.waiter.Load(); t != nil && c.waiter.CompareAndSwap(t, nil) {
					t.reason = wokeClosed
					l.ready(t)
				}
			})
		}
	}
	l.spare = ps[:0]
}

// unlisten stops polling the group's listening sockets (the last loop to
// do so closes them).
func (l *Loop) unlisten() {
	l.g.mu.Lock()
	lns := l.g.listeners
	l.g.mu.Unlock()
	for i, ln := range lns {
		if ln == nil || i < len(l.listening) && l.listening[i] == nil {
			continue // a Listen that failed, or dropped already
		}
		for len(l.listening) <= i {
			l.listening = append(l.listening, ln)
		}
		l.listening[i] = nil
		_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, ln.fd, nil)
		ln.drop()
	}
}

// shutdown closes the loop's descriptors and its idle tasks.
func (l *Loop) shutdown() {
	for _, t := range l.free {
		t.stop()
	}
	l.free = nil
	l.mu.Lock()
	l.down = true
	l.mu.Unlock()
	_ = l.epf.Close()
	_ = unix.Close(l.evfd)
	if int(l.g.ended.Add(1)) == len(l.g.loops) {
		close(l.g.quit)
	}
}

// accept takes the connections waiting on listener i.
func (l *Loop) accept(i int) {
	l.g.mu.Lock()
	var ln *listener
	if i < len(l.g.listeners) {
		ln = l.g.listeners[i]
	}
	l.g.mu.Unlock()
	if ln == nil || l.stopping || i < len(l.listening) && l.listening[i] == nil {
		return
	}
	for range acceptPerEvent {
		nfd, peer, err := rawio.AcceptPeer(ln.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != 0 {
			if err == unix.EMFILE || err == unix.ENFILE || err == unix.ENOBUFS || err == unix.ENOMEM {
				// Out of descriptors (or memory): the listening socket
				// stays readable, and its level-triggered registration
				// would wake the loop at once, again and again. It leaves
				// the epoll instance for a while (as net/http's accept
				// loop backs off), and the connections the loop has go on.
				l.pauseAccept(i, ln)
			}
			return // EAGAIN, ECONNABORTED, ...
		}
		ln.noDelay(nfd)
		// Every loop's epoll instance holds the listening socket, and the
		// first loop to run takes a whole burst of connections: measured
		// with 50 keep-alive clients and two loops, 50 and 0, 48 and 2,
		// 43 and 7; one loop saturated while the other idled, and the p99
		// latency doubled. A loop past its fair share hands the
		// connection to the loop with the fewest.
		to := l
		if !l.g.fairShare(l) {
			to = l.g.leastLoaded()
		}
		to.conns.Add(1)
		l.g.live.Add(1)
		c := &Conn{l: to, fd: nfd, peer: peer}
		if to == l || !l.g.handOff(to, c, ln.h) {
			c.l = l
			if to != l {
				to.conns.Add(-1)
				l.conns.Add(1)
			}
			l.start(c, ln.h)
		}
	}
}

// acceptPerEvent is how many connections a loop accepts per readiness of
// a listening socket. One, as nginx without multi_accept: the listening
// socket is polled level-triggered, so one still queued is reported again
// by the loop's next epoll_wait, which a loop with work makes anyway; an
// accept until EAGAIN ended every burst, and most single connections, with
// an accept that found nothing (about half a system call per handshake).
const acceptPerEvent = 1

// handOff posts c to loop to, unless the group is stopping (to may
// already be gone). Under g.mu, a hand-off is posted before Stop's
// postStop, so to starts c's task before it stops.
func (g *Group) handOff(to *Loop, c *Conn, h Handler) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	to.post(post{kind: postConn, c: c, h: h})
	return true
}

// start runs a new task serving c.
func (l *Loop) start(c *Conn, h Handler) {
	t := l.task()
	c.task = t
	t.h, t.hc = h, c // called by the task's coroutine: no closure per connection
	l.live++
	l.runq = append(l.runq, t)
}

// acceptPause is how long a loop stops accepting on a listening socket
// after running out of descriptors.
const acceptPause = 100 * time.Millisecond

// pausedListener is a listening socket out of the loop's epoll instance
// until a time.
type pausedListener struct {
	i     int
	ln    *listener
	until int64
}

func (l *Loop) pauseAccept(i int, ln *listener) {
	for _, p := range l.paused {
		if p.i == i {
			return
		}
	}
	if unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, ln.fd, nil) != nil {
		return
	}
	l.paused = append(l.paused, pausedListener{i: i, ln: ln, until: nanotime() + int64(acceptPause)})
}

// resumeAccept puts back the listening sockets whose pause is over, and
// returns the time the next one's ends (0: none paused).
func (l *Loop) resumeAccept(now int64) int64 {
	next := int64(0)
	kept := l.paused[:0]
	for _, p := range l.paused {
		if p.until > now && !l.stopping {
			kept = append(kept, p)
			if next == 0 || p.until < next {
				next = p.until
			}
			continue
		}
		if l.stopping || p.i < len(l.listening) && l.listening[p.i] == nil {
			continue // dropped meanwhile
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE}
		setKey(&ev, listenKey|uint64(p.i))
		_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, p.ln.fd, &ev)
	}
	l.paused = kept
	return next
}

// task returns an idle task of the loop's, or a new one.
func (l *Loop) task() *Task {
	if n := len(l.free); n > 0 {
		t := l.free[n-1]
		l.free = l.free[:n-1]
		return t
	}
	return newTask(l)
}

// Task states and wake reasons.
const (
	taskRunning = iota
	taskWaiting
	taskDone

	wokeReady = iota
	wokeTimeout
	wokeClosed
	wokeMisuse
)

// What a wait is for (bits).
const (
	dirRead  uint8 = 1 << iota
	dirWrite       // dirRead|dirWrite: either (WriteUnlessReadable)
)

// Task is a coroutine on a loop: it runs a connection's code and suspends
// where that code waits on a Conn.
type Task struct {
	l     *Loop
	ctx   context.Context
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	h     Handler // what the task runs next: h(ctx, hc)
	hc    *Conn
	// Keep is the handler's: what it keeps with the task from one
	// connection to the next (gateway/h1 its connection's state, made
	// once per task instead of once per connection). Only the task's
	// handler reads or writes it; the loop never does, and it goes with
	// the task when the loop drops the task.
	Keep any

	state    uint8
	reason   uint8
	released atomic.Bool   // by Release or the watchdog; cleared when the loop takes it back
	releases atomic.Int32  // for tests
	forced   atomic.Int32  // releases by the watchdog
	run      atomic.Uint64 // the loop's running word while this task runs (see Loop.running); read by a Release from another goroutine

	// The wait it is suspended in.
	wc   *Conn
	wdir uint8
	rseq uint32 // the read and write event counts its system call saw
	wseq uint32
	wdl  int64
	hidx int // in the loop's timer heap; -1 when not
}

type taskKey struct{}

func newTask(l *Loop) *Task {
	t := &Task{l: l, hidx: -1}
	t.ctx = context.WithValue(context.Background(), taskKey{}, t)
	t.next, t.stop = iter.Pull(func(yield func(struct{}) bool) {
		t.yield = yield
		for {
			t.state = taskRunning
			t.h(t.ctx, t.hc)
			t.state = taskDone
			if !yield(struct{}{}) {
				return
			}
		}
	})
	return t
}

// TaskFrom returns the task ctx carries, or nil.
func TaskFrom(ctx context.Context) *Task {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(taskKey{}).(*Task)
	return t
}

// Loop is the loop t runs on.
func (t *Task) Loop() *Loop { return t.l }

// Release lets the task ctx carries (if any) block on anything: the loop
// passes to a new goroutine, and the task goes on as an ordinary goroutine
// until it next waits on a Conn, where the loop takes it back. It is
// meant to be called from the task itself; from another goroutine (one a
// policy started with the request's context, as wait's branches), it
// releases the task if the task runs on its loop right then, as the
// watchdog would, and otherwise does nothing.
func Release(ctx context.Context) {
	if t := TaskFrom(ctx); t != nil {
		t.Release()
	}
}

// Release: see the package function.
func (t *Task) Release() {
	if t.released.Load() {
		return
	}
	l, run := t.l, t.run.Load()
	if !l.running.CompareAndSwap(run, run&^1) {
		return // the watchdog was first (and marked t released)
	}
	l.handOver(t)
}

// handOver passes the loop to a new goroutine for t, whose running bit
// its caller (Release, the watchdog) has just cleared: t goes on released.
func (l *Loop) handOver(t *Task) {
	t.released.Store(true)
	t.releases.Add(1)
	go l.runFn()
}

// Released reports whether the task runs released now (it has not waited
// on a connection since), by Release or by the watchdog. Only the task
// itself may call it.
func (t *Task) Released() bool { return t.released.Load() }

// Releases counts the task's releases (for tests: a request that had to
// leave its loop). Only the task itself may call it.
func (t *Task) Releases() int { return int(t.releases.Load()) }

// Forced counts the task's releases by the watchdog, for holding its loop
// longer than holdLimit (a request that blocked or worked long on the
// loop: the gateway counts them per API).
func (t *Task) Forced() int { return int(t.forced.Load()) }

// suspend yields to the loop until the wait set in t is over.
func (t *Task) suspend() {
	t.state = taskWaiting
	if !t.yield(struct{}{}) {
		t.reason = wokeClosed
	}
	t.state = taskRunning
}

// errMisuse: a Conn waited on from a task of another loop.
var errMisuse = errors.New("evloop: connection used by a task of another loop")

// The loop's clock: nanoseconds of the monotonic clock since
// monoclock's epoch, one clock read (time.Now makes two: the loop reads
// the time at every poll). Deadlines are kept on it (deadlineOf), as Go's
// own poller keeps them: a deadline made from time.Now counts on the
// monotonic clock, and a step of the wall clock moves none.

// nanotime is the loop's clock now.
func nanotime() int64 { return int64(monoclock.Since()) }

// deadlineOf is t on the loop's clock, at least 1 (0 means no deadline; a
// time before the epoch is past already). A t far in the future saturates
// (time.Time.Sub) instead of overflowing.
func deadlineOf(t time.Time) int64 {
	return max(int64(t.Sub(monoclock.Epoch())), 1)
}

// timeOf is the time.Time of d, a time on the loop's clock (with a
// monotonic reading).
func timeOf(d int64) time.Time { return monoclock.Epoch().Add(time.Duration(d)) }

// setKey and getKey keep 64 bits of data in an epoll event.
func setKey(ev *unix.EpollEvent, k uint64) {
	ev.Fd = int32(uint32(k))
	ev.Pad = int32(uint32(k >> 32))
}

func getKey(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// slotTable maps epoll keys to connections: a key is a slot index and the
// slot's generation, so an event for a connection closed since (its slot
// free or reused) finds nothing. Lookups take no lock; chunks never move.
type slotTable struct {
	mu     sync.Mutex
	chunks [1024]*[1024]slot
	n      uint32
	free   []uint32
}

type slot struct {
	c   atomic.Pointer[Conn]
	gen uint32
}

func (s *slotTable) alloc(c *Conn) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var i uint32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		i = s.n
		s.n++
		if s.chunks[i>>10] == nil {
			s.chunks[i>>10] = new([1024]slot)
		}
	}
	sl := &s.chunks[i>>10][i&1023]
	sl.gen++
	sl.c.Store(c)
	return uint64(sl.gen&0x1fffffff)<<32 | uint64(i)
}

func (s *slotTable) get(key uint64) *Conn {
	i := uint32(key)
	ch := s.chunks[i>>10]
	if ch == nil {
		return nil
	}
	c := ch[i&1023].c.Load()
	if c == nil || c.key.Load() != key {
		return nil
	}
	return c
}

// each calls f for every registered connection (f must not register or
// release one).
func (s *slotTable) each(f func(*Conn)) {
	s.mu.Lock()
	n := s.n
	s.mu.Unlock()
	for i := uint32(0); i < n; i++ {
		if c := s.chunks[i>>10][i&1023].c.Load(); c != nil {
			f(c)
		}
	}
}

func (s *slotTable) release(key uint64) {
	i := uint32(key)
	s.mu.Lock()
	s.chunks[i>>10][i&1023].c.Store(nil)
	s.free = append(s.free, i)
	s.mu.Unlock()
}

// timerHeap orders waiting tasks by deadline.
type timerHeap struct{ h []*Task }

func (h *timerHeap) len() int           { return len(h.h) }
func (h *timerHeap) min() int64         { return h.h[0].wdl }
func (h *timerHeap) less(i, j int) bool { return h.h[i].wdl < h.h[j].wdl }
func (h *timerHeap) swap(i, j int) {
	h.h[i], h.h[j] = h.h[j], h.h[i]
	h.h[i].hidx, h.h[j].hidx = i, j
}

func (h *timerHeap) push(t *Task) {
	t.hidx = len(h.h)
	h.h = append(h.h, t)
	h.up(t.hidx)
}

func (h *timerHeap) pop() *Task {
	t := h.h[0]
	h.remove(t)
	return t
}

func (h *timerHeap) remove(t *Task) {
	i, n := t.hidx, len(h.h)-1
	if i != n {
		h.swap(i, n)
	}
	h.h[n] = nil
	h.h = h.h[:n]
	t.hidx = -1
	if i != n {
		h.down(i)
		h.up(i)
	}
}

func (h *timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *timerHeap) down(i int) {
	n := len(h.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		i = j
	}
}
