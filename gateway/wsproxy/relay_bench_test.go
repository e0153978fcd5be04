package wsproxy

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/internal/testutil"
)

// BenchmarkRelayPingPong measures one 64-byte round trip client -> relay ->
// backend -> relay -> client. allocs/op counts the whole process (test client
// and echo backend included; both are allocation-free), so it is an upper
// bound for the relay.
func BenchmarkRelayPingPong(b *testing.B) {
	forEachRelayerB(b, func(b *testing.B) {
		h := newRelayHarness(b, Limits{}, &countingObserver{})
		c, _ := h.dial("fastecho")
		ctx := context.Background()
		msg := make([]byte, 64)
		buf := make([]byte, 64)
		roundTrip := func() {
			if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
				b.Fatal(err)
			}
			_, r, err := c.Reader(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := readChunk(r, buf[:cap(buf)]); n != len(msg) || (err != nil && err != io.EOF) {
				b.Fatal(n, err)
			}
			if _, err := r.Read(buf); err != io.EOF {
				b.Fatal(err)
			}
		}
		roundTrip() // warm up pools and timers
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := relayProcessCPU()
		for range b.N {
			roundTrip()
		}
		b.StopTimer()
		b.ReportMetric(float64(relayProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		c.Close(websocket.StatusNormalClosure, "")
	})
}

// relayProcessCPU is the process's user+system CPU time so far, in ns
// (test client and backend included).
func relayProcessCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkRelayStream16K streams 16 KiB messages through the relay,
// pipelined (a writer goroutine sends, the benchmark goroutine reads the
// echoes). Each op moves 16 KiB each way through the relay.
func BenchmarkRelayStream16K(b *testing.B) {
	forEachRelayerB(b, func(b *testing.B) {
		h := newRelayHarness(b, Limits{}, nil)
		c, _ := h.dial("fastecho")
		ctx := context.Background()
		msg := make([]byte, 16<<10)
		buf := make([]byte, 32<<10)
		read := func() {
			_, r, err := c.Reader(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := readChunk(r, buf); n != len(msg) || err != io.EOF {
				b.Fatal(n, err)
			}
		}
		if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			b.Fatal(err)
		}
		read()
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.ResetTimer()
		werr := make(chan error, 1)
		go func() {
			for range b.N {
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		for range b.N {
			read()
		}
		if err := <-werr; err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.Close(websocket.StatusNormalClosure, "")
	})
}

// BenchmarkRelayIdleConnMemory opens idleConns idle connections and reports
// the live heap and goroutine stack bytes per connection in three setups:
//
//   - direct:  test client -> test backend (no gateway), the baseline;
//   - held:    through the proxy, which does both handshakes and holds the
//     two raw connections (no goroutine of its own) without calling Relay;
//   - relayed: through the proxy running Relay in a fresh goroutine after
//     returning from its handler, as the gateway does.
//
// gateway-* = relayed - direct: what the gateway costs per idle connection
// (accepted client leg + dialed backend leg + Relay). relay-* = relayed -
// held: what Relay itself adds on top of the two connections. Not a timed
// benchmark; run it with -benchtime=1x:
//
//	go test -run '^$' -bench RelayIdleConnMemory -benchtime=1x ./gateway/wsproxy/
func BenchmarkRelayIdleConnMemory(b *testing.B) {
	forEachRelayerB(b, func(b *testing.B) {
		const idleConns = 2000
		for range b.N {
			direct := idleConnCost(b, idleConns, "direct")
			held := idleConnCost(b, idleConns, "held")
			relayed := idleConnCost(b, idleConns, "relayed")
			b.ReportMetric(relayed.heap-direct.heap, "gateway-heap-B/conn")
			b.ReportMetric(relayed.stack-direct.stack, "gateway-stack-B/conn")
			b.ReportMetric(relayed.heap+relayed.stack-direct.heap-direct.stack, "gateway-B/conn")
			b.ReportMetric(relayed.goroutines-direct.goroutines, "gateway-goroutines/conn")
			b.ReportMetric(relayed.heap-held.heap, "relay-heap-B/conn")
			b.ReportMetric(relayed.stack-held.stack, "relay-stack-B/conn")
			b.ReportMetric(relayed.goroutines-held.goroutines, "relay-goroutines/conn")
		}
	})
}

type connCost struct{ heap, stack, goroutines float64 }

// idleConnCost opens n idle connections in the given setup, each having
// exchanged one message (except "held", which cannot), and returns the live
// heap, stack bytes and goroutines per connection.
func idleConnCost(b *testing.B, n int, setup string) connCost {
	h := newRelayHarness(b, Limits{}, nil)
	defer h.close()
	srv := h.proxy
	switch setup {
	case "direct":
		srv = h.backend
	case "held":
		h.noRelay = true
	}
	ctx := context.Background()
	open := func() *websocket.Conn {
		c, _ := h.dialServer(srv, "echo")
		if setup != "held" {
			if err := c.Write(ctx, websocket.MessageText, []byte("x")); err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
		return c
	}
	for range 10 { // warm up: one-off allocations of the servers are not counted
		open()
	}
	heap0, stack0 := settledMem()
	g0 := runtime.NumGoroutine()
	conns := make([]*websocket.Conn, 0, n)
	for range n {
		conns = append(conns, open())
	}
	heap1, stack1 := settledMem()
	g1 := runtime.NumGoroutine()
	runtime.KeepAlive(conns)
	f := float64(n)
	return connCost{float64(heap1-heap0) / f, float64(stack1-stack0) / f, float64(g1-g0) / f}
}

func settledMem() (heap, stack uint64) {
	time.Sleep(200 * time.Millisecond)
	for range 3 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}

// forEachRelayerB runs f as one sub-benchmark per relay implementation.
func forEachRelayerB(b *testing.B, f func(b *testing.B)) {
	for _, r := range testRelayers() {
		b.Run(r.Name(), f)
	}
}

// BenchmarkRelayRawPingPong is BenchmarkRelayPingPong with the leanest
// peers: a raw-socket client writing one masked 64-byte frame and a
// raw-socket backend echoing it, so that the process's CPU per round trip
// (cpu-ns/op) is mostly the relay's: compare the implementations with it.
func BenchmarkRelayRawPingPong(b *testing.B) {
	forEachRelayerB(b, func(b *testing.B) {
		r := relayerFor(b)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go func() { // the backend: echo each 64-byte masked frame unmasked
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			in := make([]byte, 2+4+64)
			out := make([]byte, 2+64)
			for {
				if _, err := io.ReadFull(c, in); err != nil {
					return
				}
				out[0], out[1] = in[0], 64
				copy(out[2:], in[6:])
				maskBytes(out[2:], [4]byte(in[2:6]))
				if _, err := c.Write(out); err != nil {
					return
				}
			}
		}()
		bconn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		cTest, cProxy := tcpConnPair(b)
		defer cTest.Close()
		stats := make(chan Stats, 1)
		r.Start(context.Background(), &Conn{conn: cProxy}, &Conn{conn: bconn, mask: true}, Limits{}, &countingObserver{},
			DoneFunc(func(st Stats) { stats <- st }))
		msg := appendFrame(nil, opBinary, make([]byte, 64), true)
		echo := make([]byte, 2+64)
		roundTrip := func() {
			if _, err := cTest.Write(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(cTest, echo); err != nil {
				b.Fatal(err)
			}
		}
		roundTrip()
		b.SetBytes(64)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := relayProcessCPU()
		for range b.N {
			roundTrip()
		}
		b.StopTimer()
		b.ReportMetric(float64(relayProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		_ = cTest.Close()
		<-stats
	})
}

// BenchmarkRelayRawPingPong50 is BenchmarkRelayRawPingPong over 50
// connections at once (the bench's pp50): an op is one round trip on one
// of them.
func BenchmarkRelayRawPingPong50(b *testing.B) {
	forEachRelayerB(b, func(b *testing.B) {
		r := relayerFor(b)
		const conns = 50
		echo := testutil.ServeTCP(b, rawEcho)
		clients := make([]net.Conn, conns)
		stats := make(chan Stats, conns)
		for i := range clients {
			bconn, err := net.Dial("tcp", echo)
			if err != nil {
				b.Fatal(err)
			}
			cTest, cProxy := tcpConnPair(b)
			clients[i] = cTest
			r.Start(context.Background(), &Conn{conn: cProxy}, &Conn{conn: bconn, mask: true}, Limits{}, &countingObserver{},
				DoneFunc(func(st Stats) { stats <- st }))
		}
		msg := appendFrame(nil, opBinary, make([]byte, 64), true)
		var next atomic.Int64
		run := func(c net.Conn, n int64) {
			echo := make([]byte, 2+64)
			for range n {
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, echo); err != nil {
					b.Error(err)
					return
				}
			}
		}
		for _, c := range clients {
			run(c, 1)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := relayProcessCPU()
		var wg sync.WaitGroup
		per := int64(b.N/conns + 1)
		next.Store(0)
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run(c, per)
			}()
		}
		wg.Wait()
		b.StopTimer()
		b.ReportMetric(float64(relayProcessCPU()-cpu0)/float64(per*conns), "cpu-ns/msg")
		for _, c := range clients {
			_ = c.Close()
		}
		for range conns {
			<-stats
		}
	})
}

// rawEcho echoes 64-byte masked frames unmasked.
func rawEcho(c net.Conn) {
	defer c.Close()
	in := make([]byte, 2+4+64)
	out := make([]byte, 2+64)
	for {
		if _, err := io.ReadFull(c, in); err != nil {
			return
		}
		out[0], out[1] = in[0], 64
		copy(out[2:], in[6:])
		maskBytes(out[2:], [4]byte(in[2:6]))
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}
