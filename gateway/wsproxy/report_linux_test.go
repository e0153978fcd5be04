//go:build linux

package wsproxy

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/internal/testutil"
)

// TestRunDone: a session's done callback runs off the caller, with its
// Stats; one that blocks delays neither the caller nor the callbacks of
// sessions that end after it; and once they are all done, at most
// maxIdleReporters reporters are left waiting.
func TestRunDone(t *testing.T) {
	release := make(chan struct{})
	blocked := make(chan struct{})
	const n = 3 * maxIdleReporters
	var wg sync.WaitGroup
	wg.Add(n + 1)
	start := time.Now()
	runDone(DoneFunc(func(st Stats) { // the slow one (a lease a remote store releases)
		defer wg.Done()
		close(blocked)
		<-release
	}), Stats{CloseCode: 1000})
	<-blocked
	got := make(chan Stats, n)
	for i := range n {
		runDone(DoneFunc(func(st Stats) { defer wg.Done(); got <- st }), Stats{ClientToBackendMsgs: int64(i)})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("runDone blocked its caller for %v", d)
	}
	seen := map[int64]bool{}
	for range n {
		select {
		case st := <-got:
			seen[st.ClientToBackendMsgs] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d callbacks ran while one blocked", len(seen), n)
		}
	}
	if len(seen) != n {
		t.Fatalf("callbacks saw %d distinct Stats, want %d", len(seen), n)
	}
	close(release)
	wg.Wait()
	// The reporters settle: at most maxIdleReporters wait on.
	deadline := time.Now().Add(10 * time.Second)
	for {
		waiting := testutil.Goroutines("wsproxy.reporter(")
		if waiting <= maxIdleReporters && idleReporters.Load() <= maxIdleReporters {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reporters left (%d idle), want at most %d", waiting, idleReporters.Load(), maxIdleReporters)
		}
		time.Sleep(time.Millisecond)
	}
	// A waiting reporter takes the next session: no goroutine started.
	if idleReporters.Load() > 0 {
		before := testutil.Goroutines("wsproxy.reporter(")
		ran := make(chan struct{})
		runDone(DoneFunc(func(Stats) { close(ran) }), Stats{})
		<-ran
		if after := testutil.Goroutines("wsproxy.reporter("); after > before {
			t.Errorf("%d reporters after a session ended with one waiting, %d before", after, before)
		}
	}
}

// TestRunDonesInOrder: a batch's callbacks run off the caller, in the
// order the loop finished the sessions, and the poller hands what it
// noted over as one batch (sessionDone, reportEnded).
func TestRunDonesInOrder(t *testing.T) {
	p := &poller{}
	const n = 5
	got := make(chan int64, n)
	caller := make(chan struct{})
	for i := range n {
		p.sessionDone(DoneFunc(func(st Stats) {
			<-caller // the caller goes on before any callback runs
			got <- st.ClientToBackendMsgs
		}), Stats{ClientToBackendMsgs: int64(i)})
	}
	if p.ended == nil || len(p.ended.r) != n {
		t.Fatalf("noted %v, want %d sessions in one batch", p.ended, n)
	}
	p.reportEnded()
	if p.ended != nil {
		t.Fatal("the batch was not handed over")
	}
	close(caller)
	for i := range n {
		select {
		case v := <-got:
			if v != int64(i) {
				t.Fatalf("callback %d ran for session %d", i, v)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d callbacks ran", i, n)
		}
	}
	p.reportEnded() // nothing noted: nothing handed over
}

// TestLoopSlowDone: a session's done callback that blocks (a lease a
// remote store releases) stalls no loop: sessions on every poller, the
// blocked session's own included, still relay and end, and their
// callbacks run, while it blocks.
func TestLoopSlowDone(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := make(chan struct{})
	slowDone := make(chan struct{})
	c, b := startLoopPair(t, DoneFunc(func(Stats) {
		close(entered)
		<-release
		close(slowDone)
	}))
	closeThroughLoop(t, c, b)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow session's callback never ran")
	}
	for i := range 2 * len(pollers) { // the pollers in turn: each of them at least once
		stats := make(chan Stats, 1)
		c, b := startLoopPair(t, DoneFunc(func(st Stats) { stats <- st }))
		closeThroughLoop(t, c, b)
		select {
		case st := <-stats:
			if st.ClosedBy != ClosedByClient || st.CloseCode != websocket.StatusNormalClosure {
				t.Errorf("session %d: stats %+v", i, st)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("session %d did not end while a done callback blocked", i)
		}
	}
	close(release)
	<-slowDone
}

// startLoopPair starts a session on the event loop between two loopback
// connections and returns the client's and the backend's peers.
func startLoopPair(t *testing.T, done Done) (client, backend net.Conn) {
	t.Helper()
	client, cc := tcpPair(t)
	backend, bc := tcpPair(t)
	EventLoop{}.Start(context.Background(), &Conn{conn: cc}, &Conn{conn: bc, mask: true}, Limits{}, nil, done)
	return client, backend
}

// closeThroughLoop runs a session's close handshake from the client: its
// close reaches the backend, whose answer reaches the client; both peers
// then hang up.
func closeThroughLoop(t *testing.T, client, backend net.Conn) {
	t.Helper()
	clientCloseReachesBackend(t, client, backend)
	var h [4]byte
	if _, err := backend.Write([]byte{0x88, 0x02, 0x03, 0xe8}); err != nil {
		t.Fatal(err)
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, h[:4]); err != nil || h[0] != 0x88 {
		t.Fatalf("client got % x, %v; want the close", h[:4], err)
	}
	_ = client.Close()
	_ = backend.Close()
}

// clientCloseReachesBackend sends a masked close 1000 from the client and
// reads it, unmasked, at the backend.
func clientCloseReachesBackend(t *testing.T, client, backend net.Conn) {
	t.Helper()
	mask := [4]byte{1, 2, 3, 4}
	if _, err := client.Write([]byte{0x88, 0x82, mask[0], mask[1], mask[2], mask[3], 0x03 ^ mask[0], 0xe8 ^ mask[1]}); err != nil {
		t.Fatal(err)
	}
	var h [8]byte
	_ = backend.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(backend, h[:8]); err != nil || h[0] != 0x88 {
		t.Fatalf("backend got % x, %v; want the close", h, err)
	}
}

// quickDone is a QuickDone that answers quick; SessionDone sends its Stats
// and the stack it was called on.
type quickDone struct {
	quick bool
	asked int
	got   chan quickCall
}

type quickCall struct {
	st    Stats
	stack string
}

func (q *quickDone) SessionQuick() bool { q.asked++; return q.quick }

func (q *quickDone) SessionDone(st Stats) {
	buf := make([]byte, 64<<10)
	q.got <- quickCall{st, string(buf[:runtime.Stack(buf, false)])}
}

// TestQuickDoneOnLoop: a callback that says it cannot block (QuickDone)
// is called by the poller itself, at the end of its batch (reportEnded
// returns after it ran), in the order the sessions finished; one that
// says it may block, and a plain Done, go to a reporter. SessionQuick is
// asked once per session.
func TestQuickDoneOnLoop(t *testing.T) {
	p := &poller{}
	onCaller, toReporter := make(chan quickCall, 8), make(chan quickCall, 8)
	dones := []*quickDone{{quick: true, got: onCaller}, {quick: false, got: toReporter}, {quick: true, got: onCaller}}
	for i, d := range dones {
		p.sessionDone(d, Stats{ClientToBackendMsgs: int64(i)})
	}
	p.sessionDone(DoneFunc(func(st Stats) {
		buf := make([]byte, 64<<10)
		toReporter <- quickCall{st, string(buf[:runtime.Stack(buf, false)])}
	}), Stats{ClientToBackendMsgs: 3})
	if len(p.quick) != 2 || p.ended == nil || len(p.ended.r) != 2 {
		t.Fatalf("noted %d to call and %v to hand over, want 2 and 2", len(p.quick), p.ended)
	}
	if len(onCaller) != 0 {
		t.Fatal("a quick callback ran before the end of the batch")
	}
	p.reportEnded()
	if len(p.quick) != 0 || p.ended != nil {
		t.Fatal("reportEnded left sessions noted")
	}
	if len(onCaller) != 2 { // called by reportEnded itself: there already
		t.Fatalf("%d quick callbacks ran by the end of reportEnded, want 2", len(onCaller))
	}
	for _, want := range []int64{0, 2} {
		c := <-onCaller
		if c.st.ClientToBackendMsgs != want || !strings.Contains(c.stack, "(*poller).reportEnded") {
			t.Errorf("quick callback for session %d, want %d, from:\n%s", c.st.ClientToBackendMsgs, want, c.stack)
		}
	}
	for i, d := range dones {
		if d.asked != 1 {
			t.Errorf("session %d: SessionQuick asked %d times", i, d.asked)
		}
	}
	for _, want := range []int64{1, 3} {
		select {
		case c := <-toReporter:
			if c.st.ClientToBackendMsgs != want || !strings.Contains(c.stack, "wsproxy.reporter(") {
				t.Errorf("reported session %d, want %d, from:\n%s", c.st.ClientToBackendMsgs, want, c.stack)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a callback that may block never ran")
		}
	}
}

// TestLoopQuickDone: on the event loop, a session whose done cannot block
// is accounted for by its loop, one whose done may block by a reporter.
func TestLoopQuickDone(t *testing.T) {
	if err := eventLoopAvailable(); err != nil {
		t.Fatal(err)
	}
	for _, quick := range []bool{true, false} {
		d := &quickDone{quick: quick, got: make(chan quickCall, 1)}
		c, b := startLoopPair(t, d)
		closeThroughLoop(t, c, b)
		select {
		case call := <-d.got:
			if call.st.ClosedBy != ClosedByClient || call.st.CloseCode != websocket.StatusNormalClosure {
				t.Errorf("quick=%v: stats %+v", quick, call.st)
			}
			onLoop := strings.Contains(call.stack, "(*poller).reportEnded")
			if onLoop != quick {
				t.Errorf("quick=%v: called on the loop: %v\n%s", quick, onLoop, call.stack)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("quick=%v: the callback never ran", quick)
		}
	}
}
