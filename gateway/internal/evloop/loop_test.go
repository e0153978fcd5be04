//go:build linux

package evloop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tollgate/internal/monoclock"
	"tollgate/internal/testutil"
)

// listen starts a group of n loops serving h on a loopback port and
// returns its address.
func listen(t *testing.T, n int, h Handler) (*Group, string) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	fd := dupListener(t, ln)
	g, err := NewGroup(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Listen(fd, h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g, addr
}

func dupListener(t *testing.T, ln net.Listener) int {
	t.Helper()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	var derr error
	_ = rc.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) })
	if derr != nil {
		t.Fatal(derr)
	}
	ln.Close()
	return fd
}

// dialLines connects to addr (closed when the test ends) and returns the
// connection and a reader of its lines.
func dialLines(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// echoesAgain checks that both connections are served again (their tasks
// back on the loop after a release).
func echoesAgain(t *testing.T, a net.Conn, ar *bufio.Reader, b net.Conn, br *bufio.Reader) {
	t.Helper()
	for _, p := range []struct {
		c  net.Conn
		br *bufio.Reader
	}{{a, ar}, {b, br}} {
		p.c.Write([]byte("again\n"))
		if got, _ := p.br.ReadString('\n'); got != "again\n" {
			t.Fatalf("after rejoining: %q", got)
		}
	}
}

// echo answers each line with the same line.
func echo(ctx context.Context, c *Conn) { echoWith(nil)(ctx, c) }

// echoWith is echo that first calls before (if any) with each line, in
// the connection's task.
func echoWith(before func(ctx context.Context, line string)) Handler {
	return func(ctx context.Context, c *Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if before != nil {
				before(ctx, line)
			}
			if _, err := c.Write([]byte(line)); err != nil {
				return
			}
		}
	}
}

func TestEcho(t *testing.T) {
	for _, loops := range []int{1, 2} {
		_, addr := listen(t, loops, echo)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
				for j := range 100 {
					msg := strings.Repeat("x", i*j%700) + "\n"
					if _, err := c.Write([]byte(msg)); err != nil {
						t.Error(err)
						return
					}
					got, err := br.ReadString('\n')
					if err != nil || got != msg {
						t.Errorf("conn %d msg %d: %q, %v", i, j, got, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
}

// A large write to a client that reads slowly: the task waits for the
// socket to drain (EPOLLOUT), other connections go on.
func TestLargeWrite(t *testing.T) {
	const size = 8 << 20
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		buf := make([]byte, size)
		for i := range buf {
			buf[i] = byte(i)
		}
		n, err := c.Write(buf)
		if n != size || err != nil {
			t.Errorf("write: %d, %v", n, err)
		}
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Another connection is served meanwhile.
	var n int64
	time.Sleep(50 * time.Millisecond)
	n, err = io.Copy(io.Discard, c)
	if n != size || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
}

// A read waiting ends at its deadline; so it does when another goroutine
// moves the deadline into the past (the gateway's pending-body limit does
// this), closes the connection or aborts it.
func TestReadDeadlineCloseAbort(t *testing.T) {
	for _, how := range []string{"own deadline", "own wall-clock deadline", "deadline", "close", "far deadline, close", "abort"} {
		conns := make(chan *Conn, 1)
		errs := make(chan error, 1)
		_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
			defer c.Close()
			switch how {
			case "own deadline":
				_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			case "own wall-clock deadline": // no monotonic reading: the wall clock's
				_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond).Round(0))
			case "far deadline, close": // saturates, never fires
				_ = c.SetReadDeadline(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
			}
			conns <- c
			_, err := c.Read(make([]byte, 10))
			errs <- err
		})
		cl, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		c := <-conns
		time.Sleep(20 * time.Millisecond) // let it wait
		want := os.ErrDeadlineExceeded
		switch how {
		case "own deadline", "own wall-clock deadline":
		case "deadline":
			_ = c.SetReadDeadline(time.Unix(1, 0))
		case "close", "far deadline, close":
			_ = c.Close()
			want = net.ErrClosed
		case "abort":
			_ = c.Abort() // the socket is shut down, the descriptor left to the task
			want = io.EOF
		}
		select {
		case err := <-errs:
			if !errors.Is(err, want) {
				t.Fatalf("%s: got %v, want %v", how, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not end the read", how)
		}
	}
}

// TestDeadlineOf: the loop keeps deadlines on the monotonic clock since
// monoclock's epoch; a time with only a wall reading lands where the same
// time with both does, a time before the epoch is past (1, never 0: no
// deadline), and a far one saturates instead of wrapping into the past.
func TestDeadlineOf(t *testing.T) {
	now := time.Now()
	in := now.Add(time.Hour)
	mono, wall := deadlineOf(in), deadlineOf(in.Round(0))
	if d := mono - wall; d < -int64(time.Millisecond) || d > int64(time.Millisecond) {
		t.Errorf("monotonic %d and wall-clock %d readings of one time differ by %v", mono, wall, time.Duration(d))
	}
	if n := nanotime(); mono < n+int64(59*time.Minute) || mono > n+int64(61*time.Minute) {
		t.Errorf("an hour from now is %v from the loop's now", time.Duration(mono-n))
	}
	for _, past := range []time.Time{time.Unix(1, 0), time.Unix(0, 0), (time.Time{}).Add(1), monoclock.Epoch()} {
		if got := deadlineOf(past); got != 1 {
			t.Errorf("deadlineOf(%v) = %d, want 1", past, got)
		}
	}
	if got := deadlineOf(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got < nanotime()+int64(100*365*24*time.Hour) {
		t.Errorf("a far deadline wrapped: %d", got)
	}
	if got := timeOf(mono); !got.Equal(in) && got.Sub(in).Abs() > time.Microsecond {
		t.Errorf("timeOf(deadlineOf(t)) = %v, want %v", got, in)
	}
}

// A released task may block: the loop goes on serving other connections
// meanwhile, and the task's next wait brings it back onto the loop.
func TestRelease(t *testing.T) {
	gate := make(chan struct{})
	_, addr := listen(t, 1, echoWith(func(ctx context.Context, line string) {
		if line == "block\n" {
			n := TaskFrom(ctx).Releases()
			Release(ctx)
			Release(ctx) // a second one, while released, does nothing
			if TaskFrom(ctx).Releases() != n+1 {
				t.Error("not released once")
			}
			<-gate // blocks this goroutine, not the loop
		}
	}))
	a, ar := dialLines(t, addr)
	b, br := dialLines(t, addr)
	a.Write([]byte("block\n"))
	for range 3 {
		b.Write([]byte("hello\n"))
		if got, err := br.ReadString('\n'); got != "hello\n" {
			t.Fatalf("the loop stalled behind a released task: %q, %v", got, err)
		}
	}
	close(gate)
	if got, _ := ar.ReadString('\n'); got != "block\n" {
		t.Fatalf("released task: %q", got)
	}
	// Back on the loop: it serves again, and so does the other.
	echoesAgain(t, a, ar, b, br)
}

// A goroutine the task started with its context (a policy's, as wait's
// branches, which may make backend calls that release it) may release the
// task at any moment: while the task runs on its loop it is released, as
// the watchdog would, and otherwise nothing happens. The connection is
// served throughout, and the race detector sees no unsynchronised access
// (the task's run word was a plain field the loop writes on every resume).
func TestReleaseFromAnotherGoroutine(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { close(stop) })
	_, addr := listen(t, 1, echoWith(func(ctx context.Context, line string) {
		if line != "start\n" {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				Release(ctx)
				runtime.Gosched()
			}
		}()
	}))
	a, ar := dialLines(t, addr)
	b, br := dialLines(t, addr)
	a.Write([]byte("start\n"))
	if got, _ := ar.ReadString('\n'); got != "start\n" {
		t.Fatalf("start: %q", got)
	}
	for i := range 200 {
		for _, p := range []struct {
			c  net.Conn
			br *bufio.Reader
		}{{a, ar}, {b, br}} {
			line := fmt.Sprintf("line %d\n", i)
			p.c.Write([]byte(line))
			if got, err := p.br.ReadString('\n'); got != line {
				t.Fatalf("%q: %q, %v", line, got, err)
			}
		}
	}
}

// Dial connects from a task to a listener, and fails fast on a closed port.
func TestDial(t *testing.T) {
	back, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	go func() {
		for {
			c, err := back.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	closedAddr := testutil.ClosedPort(t)
	results := make(chan string, 4)
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		bc, err := Dial(ctx, back.Addr().String(), time.Second, 30*time.Second)
		if err != nil {
			results <- "dial: " + err.Error()
			return
		}
		defer bc.Close()
		bc.Write([]byte("ping"))
		buf := make([]byte, 4)
		_, err = io.ReadFull(bc, buf)
		results <- string(buf) + errString(err)
		// A loopback connect is usually complete once connect returns:
		// Dial asks again instead of waiting (no epoll registration).
		// Usually, not always (a softirq deferred on a busy machine).
		direct := 0
		for range 10 {
			dc, err := Dial(ctx, back.Addr().String(), time.Second, 0)
			if err != nil {
				results <- "dial: " + err.Error()
				return
			}
			if dc.key.Load() == 0 {
				direct++
			}
			dc.Close()
		}
		results <- fmt.Sprint(direct > 0)
		_, err = Dial(ctx, closedAddr, time.Second, 0)
		results <- errString(err)
		_, err = Dial(ctx, "localhost:80", time.Second, 0)
		results <- errString(err)
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := <-results; got != "ping" {
		t.Fatalf("round trip: %q", got)
	}
	if got := <-results; got != "true" {
		t.Fatalf("10 loopback dials all waited for their connect: %s", got)
	}
	if got := <-results; !strings.Contains(got, "connection refused") {
		t.Fatalf("closed port: %q", got)
	}
	if got := <-results; got != errNotLiteral.Error() {
		t.Fatalf("a name: %q", got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Stop wakes every waiting task with net.ErrClosed.
func TestStop(t *testing.T) {
	errs := make(chan error, 10)
	g, addr := listen(t, 2, func(ctx context.Context, c *Conn) {
		defer c.Close()
		_, err := c.Read(make([]byte, 1))
		errs <- err
	})
	for range 10 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(50 * time.Millisecond)
	g.Stop()
	for range 10 {
		select {
		case err := <-errs:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("got %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a task was not woken")
		}
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		// The listening socket is closed once every loop dropped it.
		time.Sleep(50 * time.Millisecond)
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatal("still accepting after Stop")
		}
	}
}

// Data and the peer's FIN (or RST) reported by one event: the read that
// takes the data comes back short, and the end of the stream must still
// be read, not waited for (edge-triggered, no event will say it again).
func TestDataThenClose(t *testing.T) {
	for _, reset := range []bool{false, true} {
		results := make(chan error, 100)
		_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			var err error
			for err == nil {
				_, err = c.Read(buf) // the first waits: the client writes after a pause
			}
			results <- err
		})
		for range 50 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond) // the task waits on the socket now
			c.Write([]byte("ab"))
			if reset {
				_ = c.(*net.TCPConn).SetLinger(0)
			}
			c.Close()
			if err := <-results; errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("reset=%v: the end of the stream was waited for, not read", reset)
			}
		}
	}
}

// Out of descriptors: accept fails, the listening socket leaves the loop
// for a while instead of waking it again and again, the connections the
// loop has are still served, and once descriptors are free again new
// connections are accepted.
func TestAcceptOutOfDescriptors(t *testing.T) {
	g, addr := listen(t, 1, echo)
	served, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	sbr := bufio.NewReader(served)
	roundTrip := func(what string) {
		t.Helper()
		_ = served.SetDeadline(time.Now().Add(5 * time.Second))
		served.Write([]byte(what + "\n"))
		if got, err := sbr.ReadString('\n'); got != what+"\n" {
			t.Fatalf("%s: %q, %v", what, got, err)
		}
	}
	roundTrip("before")

	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Client sockets made first, connected once the limit leaves no
	// descriptor free: the kernel completes them in the backlog, and the
	// loop's accept fails.
	ta, _ := net.ResolveTCPAddr("tcp4", addr)
	sa := &unix.SockaddrInet4{Port: ta.Port, Addr: [4]byte(ta.IP.To4())}
	var clients []int
	defer func() {
		for _, fd := range clients {
			unix.Close(fd)
		}
	}()
	for range 4 {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, fd)
	}
	open := 0
	for fd := range 65536 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			open = fd + 1
		}
	}
	low := lim
	low.Cur = uint64(open)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
		}
	}
	defer restore()
	for { // fill the holes below the limit
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		clients = append(clients, fd) // closed at the end with the clients
	}
	for _, fd := range clients[:4] {
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // the loop meets EMFILE and pauses accepting
	before := g.loops[0].polls.Load()
	time.Sleep(50 * time.Millisecond)
	if n := g.loops[0].polls.Load() - before; n > 20 {
		t.Fatalf("the loop went round %d times in 50 ms with nothing to do: it spins on the listening socket", n)
	}
	roundTrip("while out of descriptors")
	restore()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("after\n"))
	if got, err := bufio.NewReader(c).ReadString('\n'); got != "after\n" {
		t.Fatalf("a new connection once descriptors are free: %q, %v", got, err)
	}
}

// A burst of connections is spread over the loops: the first loop to wake
// used to take all of it (measured 50 and 0, 48 and 2, 43 and 7 with two
// loops), leaving one saturated and the others idle.
func TestAcceptSpreadsConnections(t *testing.T) {
	for _, loops := range []int{2, 3} {
		var mu sync.Mutex
		served := map[*Loop]int{}
		g, addr := listen(t, loops, func(ctx context.Context, c *Conn) {
			mu.Lock()
			served[c.l]++
			mu.Unlock()
			echo(ctx, c)
		})
		const n = 60
		conns := make([]net.Conn, n)
		for i := range conns {
			c, err := net.Dial("tcp4", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conns[i] = c
		}
		for _, c := range conns { // every connection's task has started
			br := bufio.NewReader(c)
			if _, err := c.Write([]byte("hi\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := br.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		share := n / loops
		for _, l := range g.loops {
			if got := served[l]; got < share-2 || got > share+2 {
				t.Errorf("%d loops: one loop serves %d of %d connections, want %d±2 (all: %v)", loops, got, n, share, served)
			}
		}
		mu.Unlock()
		if got := g.live.Load(); got != n {
			t.Errorf("%d loops: the group counts %d live connections, want %d", loops, got, n)
		}
	}
}

// A loop that always has events never parks; it yields its processor now
// and then, so that goroutines queued behind it (here a sleeping test
// goroutine's timer, on the only processor) are not held until sysmon
// preempts the loop 10 ms later. Two tasks of one loop play ping-pong over
// loopback, so every poll finds the other's event ready.
func TestBusyLoopYields(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var stop atomic.Bool
	var rounds atomic.Int64
	ready := make(chan error, 1)
	var self atomic.Value // the group's own address, for the near end to dial
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if string(buf[:n]) != "go" {
			// The far end of the ping-pong: echo each byte.
			for {
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
				if n, err = c.Read(buf); err != nil {
					return
				}
			}
		}
		// The near end: dial this same loop and play until stopped.
		pc, err := Dial(ctx, self.Load().(string), time.Second, 0)
		ready <- err
		if err != nil {
			return
		}
		defer pc.Close()
		for !stop.Load() {
			if _, err := pc.Write([]byte("x")); err != nil {
				return
			}
			if _, err := pc.Read(buf); err != nil {
				return
			}
			rounds.Add(1)
		}
	})
	self.Store(addr)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("go")); err != nil {
		t.Fatal(err)
	}
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	var late []time.Duration
	for range 21 {
		t0 := time.Now()
		time.Sleep(time.Millisecond)
		late = append(late, time.Since(t0)-time.Millisecond)
	}
	stop.Store(true)
	slices.Sort(late)
	before := rounds.Load()
	if before == 0 {
		t.Fatal("the ping-pong made no progress")
	}
	// Without the yield every sleep ends when sysmon preempts the loop:
	// 19 ms late, measured.
	if med := late[len(late)/2]; med > 3*time.Millisecond {
		t.Fatalf("a 1 ms sleep ended %v late (median of %d; all: %v) while the loop was busy (%d round trips)", med, len(late), late, before)
	}
}

// A task that holds its loop without releasing it (blocked on something
// that is not a Conn, or busy on the CPU) is released by the watchdog:
// the loop's other connections are served meanwhile, and the task, once
// it waits on its connection again, is back on the loop.
func TestWatchdogReleasesHeldTask(t *testing.T) {
	blocked := func(stop <-chan struct{}) { <-stop }
	for _, tc := range []struct {
		name  string
		hold  func(stop <-chan struct{})
		slept bool // the watchdog asleep (idle loops) when the task starts holding
	}{
		{"blocked", blocked, false},
		{"blocked after the watchdog slept", blocked, true},
		{"busy", func(stop <-chan struct{}) {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 1000; i++ {
					runtime.KeepAlive(i)
				}
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stop := make(chan struct{})
			var once sync.Once
			end := func() { once.Do(func() { close(stop) }) }
			t.Cleanup(end)
			released := make(chan bool, 1)
			g, addr := listen(t, 1, echoWith(func(ctx context.Context, line string) {
				if line == "hold\n" {
					tc.hold(stop)
					task := TaskFrom(ctx)
					released <- task.Released()
					n := task.Releases()
					Release(ctx) // released already: does nothing
					if task.Releases() != n {
						t.Error("Release after the watchdog's released again")
					}
				}
			}))
			a, ar := dialLines(t, addr)
			b, br := dialLines(t, addr)
			// b's task starts (and waits on b) before a's holds the loop.
			b.Write([]byte("first\n"))
			if got, err := br.ReadString('\n'); got != "first\n" {
				t.Fatalf("first: %q, %v", got, err)
			}
			if tc.slept {
				// With no task to watch the watchdog sleeps, not waking
				// the process with a timer; the next resume rouses it.
				deadline := time.Now().Add(5 * time.Second)
				for g.watching.Load() {
					if time.Now().After(deadline) {
						t.Fatal("the watchdog still watches idle loops")
					}
					time.Sleep(time.Millisecond)
				}
			}
			a.Write([]byte("hold\n"))
			time.Sleep(20 * time.Millisecond) // a's task holds the loop now
			for range 3 {
				b.SetReadDeadline(time.Now().Add(2 * time.Second))
				t0 := time.Now()
				b.Write([]byte("hello\n"))
				if got, err := br.ReadString('\n'); got != "hello\n" {
					t.Fatalf("the loop stalled behind a task holding it: %q, %v", got, err)
				}
				if d := time.Since(t0); d > time.Second {
					t.Fatalf("answered after %v", d)
				}
			}
			end()
			if got, _ := ar.ReadString('\n'); got != "hold\n" {
				t.Fatalf("held task: %q", got)
			}
			if !<-released {
				t.Error("the task does not know it was released")
			}
			// At least the held one (b's, on a machine that did not run
			// the loop for milliseconds, may be moved too).
			if n := g.ForcedReleases(); n < 1 {
				t.Errorf("ForcedReleases = %d, want 1", n)
			}
			echoesAgain(t, a, ar, b, br)
		})
	}
}

// WriteUnlessReadable writes like Write while the peer takes the bytes,
// and stops with ErrReadable where it would wait once the peer has sent
// something (it waits for either direction).
func TestWriteUnlessReadable(t *testing.T) {
	const size = 32 << 20 // more than the sockets' buffers take
	for _, tc := range []struct {
		name string
		peer func(c net.Conn)
		want error
	}{
		{"read", func(c net.Conn) { io.Copy(io.Discard, c) }, nil},
		{"answered", func(c net.Conn) {
			time.Sleep(50 * time.Millisecond) // the write waits by now
			c.Write([]byte("no"))
		}, ErrReadable},
		{"closed", func(c net.Conn) {
			time.Sleep(50 * time.Millisecond)
			c.(*net.TCPConn).CloseWrite()
		}, ErrReadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				n    int
				err  error
				peek string
			}
			done := make(chan result, 1)
			_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
				defer c.Close()
				n, err := c.WriteUnlessReadable(make([]byte, size))
				var b [8]byte
				m, _ := c.Peek(b[:])
				done <- result{n, err, string(b[:m])}
			})
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			go tc.peer(c)
			select {
			case r := <-done:
				if r.err != tc.want {
					t.Fatalf("err %v; want %v", r.err, tc.want)
				}
				if tc.want == nil && r.n != size || tc.want != nil && (r.n == 0 || r.n >= size) {
					t.Fatalf("wrote %d of %d", r.n, size)
				}
				if tc.name == "answered" && r.peek != "no" {
					t.Fatalf("peeked %q", r.peek)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the write still waits")
			}
		})
	}
}

// An owner that parks in Go's poller and wakes for the next message
// allocates nothing: the callback it parks with is made once per loop
// (it was a closure, and the count it filled in escaped with it: two
// allocations per park, three per proxied request on a quiet loop).
func TestParkAllocatesNothing(t *testing.T) {
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		var buf [1]byte
		for {
			if _, err := c.Read(buf[:]); err != nil {
				return
			}
			if _, err := c.Write(buf[:]); err != nil {
				return
			}
		}
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := []byte{'x'}
	roundTrip := func() {
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip() // the task and its registration
	if n := testing.AllocsPerRun(200, roundTrip); n >= 1 {
		t.Errorf("%.1f allocations per message and park, want none", n)
	}
}

// A dial whose connect waits (a peer whose accept queue is full drops the
// SYN) ends when its ctx does, not at its timeout.
func TestDialCancel(t *testing.T) {
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(lfd)
	full := net.JoinHostPort("127.0.0.1", fmt.Sprint(sa.(*unix.SockaddrInet4).Port))
	// Fill the accept queue (never accepted): the next SYN is dropped.
	for range 2 {
		c, err := net.DialTimeout("tcp4", full, 500*time.Millisecond)
		if err != nil {
			break
		}
		defer c.Close()
	}
	results := make(chan string, 1)
	_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		dctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := Dial(dctx, full, 20*time.Second, 0)
		results <- fmt.Sprintf("%v after %v", err, time.Since(start).Round(100*time.Millisecond))
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case got := <-results:
		if !strings.Contains(got, context.Canceled.Error()) {
			t.Fatalf("dial: %s, want it cancelled", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the dial did not end with its ctx")
	}
}

// WriteTwo sends a then b whole, whatever the socket takes at a time: a
// head and a small body in one call, and pairs larger than the socket's
// buffers, whose sends come back short (in a, across the boundary, in b)
// and wait.
func TestWriteTwo(t *testing.T) {
	pattern := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	cases := [][2]int{{100, 4096}, {4000, 0}, {1, 8 << 20}, {6 << 20, 3 << 20}, {3 << 20, 1}}
	for _, sz := range cases {
		a, b := pattern(sz[0], 1), pattern(sz[1], 2)
		_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
			defer c.Close()
			n, err := c.WriteTwo(a, b)
			if n != len(a)+len(b) || err != nil {
				t.Errorf("WriteTwo(%d, %d): %d, %v", len(a), len(b), n, err)
			}
		})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let the socket's buffers fill
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || !bytes.Equal(got, append(append([]byte{}, a...), b...)) {
			t.Fatalf("WriteTwo(%d, %d): the peer got %d bytes (%v)", len(a), len(b), len(got), err)
		}
	}
}

// A released task that ends is filed by its loop without waking it (the
// loop finds it at its next poll and reuses it), unless Stop has posted:
// then the loop is woken for it, or a stopping loop would wait for it for
// good.
func TestReleasedTaskEndsWithoutWake(t *testing.T) {
	gates := make(chan chan struct{}, 2) // one per released task
	tasks := make(chan *Task, 3)
	g, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
		defer c.Close()
		tasks <- TaskFrom(ctx)
		var b [1]byte
		if n, _ := c.Read(b[:]); n == 1 && b[0] == 'r' {
			Release(ctx)
			<-<-gates // released: blocks this goroutine, not the loop
		}
	})
	l := g.loops[0]
	parked := func() {
		t.Helper()
		for i := 0; ; i++ {
			p := l.polls.Load()
			time.Sleep(5 * time.Millisecond)
			if l.sleeping.Load() && l.polls.Load() == p {
				return
			}
			if i == 400 {
				t.Fatal("the loop does not park")
			}
		}
	}
	ended := func(c net.Conn) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("the task's connection: %v, want EOF", err)
		}
		for i := 0; g.live.Load() != 0; i++ {
			if i == 1000 {
				t.Fatal("the ended task is still counted")
			}
			time.Sleep(time.Millisecond)
		}
	}

	gate := make(chan struct{})
	gates <- gate
	c1, _ := dialLines(t, addr)
	c1.Write([]byte("r"))
	first := <-tasks
	parked()
	polls := l.polls.Load()
	close(gate)
	ended(c1)
	time.Sleep(20 * time.Millisecond)
	if n := l.polls.Load() - polls; n != 0 {
		t.Errorf("the loop polled %d times for a released task that ended", n)
	}
	l.mu.Lock()
	posted := len(l.posted)
	l.mu.Unlock()
	if posted != 1 {
		t.Errorf("%d posts waiting, want the ended task's", posted)
	}

	// The next connection takes the ended task: the loop filed it.
	c2, _ := dialLines(t, addr)
	if got := <-tasks; got != first {
		t.Error("the ended task was not reused")
	}
	c2.Write([]byte("x"))
	ended(c2)

	// Stop while a released task still runs: its end wakes the loop,
	// which then ends.
	gate = make(chan struct{})
	gates <- gate
	c3, _ := dialLines(t, addr)
	c3.Write([]byte("r"))
	<-tasks
	parked()
	g.Stop()
	parked()
	close(gate)
	select {
	case <-g.quit:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not end after its released task did")
	}
}

// TestAcceptedNoDelay: accepted sockets have TCP_NODELAY, inherited from
// the listening socket (set once by Listen, checked on the connections
// until one has it: one queued before Listen set it does not), or set on
// each when none has it.
func TestAcceptedNoDelay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		queued   bool // a connection waits in the accept queue before Listen
		inherits bool // the listening socket keeps its TCP_NODELAY
		want     int32
	}{
		{"inherited", false, true, nodelayInherited},
		{"queued before Listen", true, true, nodelayInherited},
		{"not inherited", false, false, nodelayChecks - 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nl, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := nl.Addr().String()
			if tc.queued {
				c, err := net.Dial("tcp", addr) // accepted by the kernel now, by the loop later
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
			}
			fd := dupListener(t, nl)
			g, err := NewGroup(1)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(g.Stop)
			got := make(chan int, 4)
			if err := g.Listen(fd, func(ctx context.Context, c *Conn) {
				defer c.Close()
				v, _ := unix.GetsockoptInt(c.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
				got <- v
			}); err != nil {
				t.Fatal(err)
			}
			ln := g.listeners[0]
			if !tc.inherits {
				// As a kernel that did not copy it would: the listener
				// has it no more when the connections come.
				if err := unix.SetsockoptInt(ln.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 0); err != nil {
					t.Fatal(err)
				}
			}
			if tc.queued {
				if v := <-got; v == 0 {
					t.Fatal("the queued connection accepted without TCP_NODELAY")
				}
			}
			for i := range 3 {
				c, _ := dialLines(t, addr)
				if v := <-got; v == 0 {
					t.Fatalf("connection %d accepted without TCP_NODELAY", i)
				}
				c.Close()
			}
			if m := ln.nodelay.Load(); m != tc.want {
				t.Errorf("listener's TCP_NODELAY mode %d, want %d", m, tc.want)
			}
		})
	}
}

// TestAcceptQueued: a loop accepts one connection per readiness of the
// listening socket, which, polled level-triggered, is reported again while
// connections wait: all of a queue that was there before Listen are served,
// with no other event to wake the loop.
func TestAcceptQueued(t *testing.T) {
	nl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	conns := make([]net.Conn, n)
	for i := range conns {
		if conns[i], err = net.Dial("tcp4", nl.Addr().String()); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	fd := dupListener(t, nl)
	g, err := NewGroup(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	served := make(chan struct{}, n)
	if err := g.Listen(fd, func(ctx context.Context, c *Conn) {
		served <- struct{}{}
		c.Close()
	}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d queued connections served", i, n)
		}
	}
}

// WriteThree sends a, b and then d whole, whatever the socket takes at a
// time: a chunk's size line, data and CRLF in one call, and sets larger
// than the socket's buffers, whose sends come back short (in a, in b, in
// d, across each boundary) and wait.
func TestWriteThree(t *testing.T) {
	pattern := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	cases := [][3]int{{6, 8192, 2}, {100, 4096, 0}, {1, 8 << 20, 2}, {6 << 20, 3 << 20, 2}, {3 << 20, 1, 3 << 20}, {10, 1, 8 << 20}}
	for _, sz := range cases {
		a, b, d := pattern(sz[0], 1), pattern(sz[1], 2), pattern(sz[2], 3)
		_, addr := listen(t, 1, func(ctx context.Context, c *Conn) {
			defer c.Close()
			n, err := c.WriteThree(a, b, d)
			if n != len(a)+len(b)+len(d) || err != nil {
				t.Errorf("WriteThree(%d, %d, %d): %d, %v", len(a), len(b), len(d), n, err)
			}
		})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let the socket's buffers fill
		got, err := io.ReadAll(c)
		c.Close()
		if want := append(append(append([]byte{}, a...), b...), d...); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("WriteThree(%d, %d, %d): the peer got %d bytes (%v)", len(a), len(b), len(d), len(got), err)
		}
	}
}
