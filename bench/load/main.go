// Command load drives one benchmark scenario against one WebSocket target
// and prints the result as one JSON object on stdout. bench/run calls it once
// per scenario and target; it can also be run by hand:
//
//	load -addr 127.0.0.1:8080 -path '/echo?mode=echo' -scenario pingpong -conns 50 -pids 1234
//
// Scenarios (every one bounded by -duration and by -max):
//
//	pingpong   each of -conns connections sends a -size message and waits
//	           for its echo before sending the next; reports messages/s and
//	           round-trip percentiles.
//	stream     each connection keeps up to -window messages in flight
//	           (a writer and a reader goroutine); reports messages/s and MB/s.
//	handshake  -conns workers open a connection (TCP + upgrade), close it
//	           gracefully (1000 close frame, wait for the answer) and repeat;
//	           reports handshakes/s and handshake latency percentiles.
//	rest       each of -conns keep-alive HTTP/1.1 connections sends a
//	           request (-method, -body bytes) and reads the whole response
//	           before the next; reports requests/s (msgs) and percentiles.
//	idle       opens -conns connections (50 at a time) and holds them idle;
//	           reports the growth of the proxy's resident memory per
//	           connection.
//
// CPU is the utime+stime of the -pids processes (all threads, from
// /proc/PID/stat) over the measurement window only: connection setup and
// teardown of the message scenarios are outside it. A "message" is one
// client message and its echo, so the proxy forwards it twice.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tollgate/bench/internal/wsclient"
)

type config struct {
	addr, path, hdr string
	scenario        string
	conns, size     int
	window          int
	duration        time.Duration
	max             int64
	pids            []int
	clkTck          int
	srcIPs          int
	settle          time.Duration
	snapURLs        string
	snapDir         string
	method          string
	body            int
}

// Result is what load prints.
type Result struct {
	Scenario   string  `json:"scenario"`
	Conns      int     `json:"conns"`
	Size       int     `json:"size,omitempty"`
	Seconds    float64 `json:"seconds"`
	Msgs       int64   `json:"msgs,omitempty"`
	MsgsPerS   float64 `json:"msgs_per_s,omitempty"`
	MBPerS     float64 `json:"mb_per_s,omitempty"`
	Handshakes int64   `json:"handshakes,omitempty"`
	HSPerS     float64 `json:"handshakes_per_s,omitempty"`
	P50us      float64 `json:"p50_us,omitempty"`
	P99us      float64 `json:"p99_us,omitempty"`
	CPUs       float64 `json:"cpu_s"`
	RSSBefore  int64   `json:"rss_before_kb,omitempty"`
	RSSAfter   int64   `json:"rss_after_kb,omitempty"`
	MemPerConn float64 `json:"mem_per_conn_bytes,omitempty"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
}

func main() {
	var cfg config
	var pids string
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "target host:port (loopback only)")
	flag.StringVar(&cfg.path, "path", "/echo?mode=echo", "request path and query")
	flag.StringVar(&cfg.hdr, "header", "X-Tenant: acme", "extra request headers, separated by '|'")
	flag.StringVar(&cfg.scenario, "scenario", "pingpong", "pingpong, stream, handshake, idle or rest")
	flag.IntVar(&cfg.conns, "conns", 1, "connections (handshake: concurrent workers)")
	flag.IntVar(&cfg.size, "size", 64, "message size in bytes")
	flag.IntVar(&cfg.window, "window", 256, "stream: messages in flight per connection")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measurement window")
	flag.Int64Var(&cfg.max, "max", 50_000_000, "stop early after this many messages or handshakes")
	flag.StringVar(&pids, "pids", "", "comma-separated pids of the proxy processes to measure")
	flag.IntVar(&cfg.clkTck, "clk-tck", 100, "clock ticks per second (getconf CLK_TCK)")
	flag.IntVar(&cfg.srcIPs, "src-ips", 1, "spread client source addresses over 127.0.0.1 .. 127.0.0.N")
	flag.DurationVar(&cfg.settle, "settle", 3*time.Second, "idle: wait this long after connecting before reading memory")
	flag.StringVar(&cfg.snapURLs, "snapshot-url", "", "idle: comma-separated loopback URLs (pprof) to save while the connections are open")
	flag.StringVar(&cfg.snapDir, "snapshot-dir", ".", "idle: where -snapshot-url responses are saved")
	flag.StringVar(&cfg.method, "method", "GET", "rest: request method")
	flag.IntVar(&cfg.body, "body", 0, "rest: request body bytes")
	flag.Parse()
	for _, p := range strings.Split(pids, ",") {
		if p = strings.TrimSpace(p); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				fatalf("-pids: %v", err)
			}
			cfg.pids = append(cfg.pids, n)
		}
	}
	host, _, err := net.SplitHostPort(cfg.addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fatalf("-addr must be a loopback host:port, not %q", cfg.addr)
	}
	if cfg.hdr != "" {
		cfg.hdr = strings.ReplaceAll(cfg.hdr, "|", "\r\n") + "\r\n"
	}
	var res Result
	switch cfg.scenario {
	case "pingpong":
		res = pingpong(&cfg)
	case "stream":
		res = stream(&cfg)
	case "handshake":
		res = handshakes(&cfg)
	case "idle":
		res = idle(&cfg)
	case "rest":
		res = rest(&cfg)
	default:
		fatalf("unknown -scenario %q", cfg.scenario)
	}
	res.Scenario, res.Conns = cfg.scenario, cfg.conns
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(res)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
	os.Exit(2)
}

// errs counts errors and keeps the first.
type errs struct {
	n     atomic.Int64
	mu    sync.Mutex
	first string
}

func (e *errs) add(err error) {
	if e.n.Add(1) == 1 {
		e.mu.Lock()
		e.first = err.Error()
		e.mu.Unlock()
	}
}

func (e *errs) fill(r *Result) {
	r.Errors = e.n.Load()
	e.mu.Lock()
	r.FirstError = e.first
	e.mu.Unlock()
}

func (c *config) srcIP(i int) net.IP {
	if c.srcIPs <= 1 {
		return nil
	}
	return net.IPv4(127, 0, 0, byte(1+i%c.srcIPs))
}

// openConns opens n connections, par at a time.
func openConns(c *config, n, par int, e *errs) []*wsclient.Conn {
	conns := make([]*wsclient.Conn, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(par, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				ws, err := wsclient.Dial(c.addr, c.srcIP(i), c.path, c.hdr, 10*time.Second)
				if err != nil {
					e.add(err)
					continue
				}
				conns[i] = ws
			}
		}()
	}
	wg.Wait()
	out := conns[:0]
	for _, ws := range conns {
		if ws != nil {
			out = append(out, ws)
		}
	}
	return out
}

func closeAll(conns []*wsclient.Conn) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	for _, ws := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			ws.CloseGracefully(2 * time.Second)
			<-sem
		}()
	}
	wg.Wait()
}

func pingpong(c *config) Result {
	var e errs
	conns := openConns(c, c.conns, 50, &e)
	perConn := c.max / int64(max(len(conns), 1))
	lat := make([][]int64, len(conns))
	var total atomic.Int64
	var start sync.WaitGroup
	start.Add(1)
	var wg sync.WaitGroup
	var t0 time.Time
	cpu0 := cpuSeconds(c)
	deadline := time.Now().Add(c.duration)
	for i, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := make([]byte, c.size)
			buf := make([]byte, c.size)
			samples := make([]int64, 0, 1<<16)
			start.Wait()
			for n := int64(0); n < perConn; n++ {
				s := time.Now()
				if s.After(deadline) {
					break
				}
				if err := ws.WriteMsg(wsclient.OpBinary, msg); err != nil {
					e.add(err)
					break
				}
				if _, m, err := ws.ReadMsg(buf); err != nil || m != len(msg) {
					e.add(fmt.Errorf("read: %v (%d bytes)", err, m))
					break
				}
				samples = append(samples, int64(time.Since(s)))
			}
			total.Add(int64(len(samples)))
			lat[i] = samples
		}()
	}
	t0 = time.Now()
	start.Done()
	wg.Wait()
	secs := time.Since(t0).Seconds()
	cpu := cpuSeconds(c) - cpu0
	closeAll(conns)
	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Size: c.size, Seconds: secs, Msgs: total.Load(), CPUs: cpu}
	r.MsgsPerS = float64(r.Msgs) / secs
	r.P50us, r.P99us = pct(all, 0.50), pct(all, 0.99)
	e.fill(&r)
	return r
}

func pct(sorted []int64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return float64(sorted[i]) / 1e3
}

func stream(c *config) Result {
	var e errs
	conns := openConns(c, c.conns, 50, &e)
	perConn := c.max / int64(max(len(conns), 1))
	var recv atomic.Int64
	var stop atomic.Bool
	done := make(chan struct{})
	var wg sync.WaitGroup
	cpu0 := cpuSeconds(c)
	t0 := time.Now()
	for _, ws := range conns {
		tokens := make(chan struct{}, c.window)
		for range c.window {
			tokens <- struct{}{}
		}
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			msg := make([]byte, c.size)
			for n := int64(0); n < perConn && !stop.Load(); n++ {
				select {
				case <-tokens:
				case <-done:
					return
				}
				if err := ws.WriteMsg(wsclient.OpBinary, msg); err != nil {
					if !stop.Load() {
						e.add(err)
					}
					return
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			buf := make([]byte, c.size)
			for n := int64(0); n < perConn; n++ {
				if _, m, err := ws.ReadMsg(buf); err != nil || m != c.size {
					if !stop.Load() {
						e.add(fmt.Errorf("read: %v (%d bytes)", err, m))
					}
					return
				}
				if stop.Load() {
					return
				}
				recv.Add(1)
				tokens <- struct{}{}
			}
		}()
	}
	// The window ends at -duration or when every message came back.
	tick := time.NewTicker(20 * time.Millisecond)
	for time.Since(t0) < c.duration && recv.Load() < perConn*int64(len(conns)) {
		<-tick.C
	}
	tick.Stop()
	n := recv.Load()
	secs := time.Since(t0).Seconds()
	cpu := cpuSeconds(c) - cpu0
	stop.Store(true)
	close(done)
	// Unblock everybody: messages in flight are not drained.
	for _, ws := range conns {
		_ = ws.NetConn().SetDeadline(time.Now())
	}
	wg.Wait()
	for _, ws := range conns {
		_ = ws.NetConn().Close()
	}
	r := Result{Size: c.size, Seconds: secs, Msgs: n, CPUs: cpu}
	r.MsgsPerS = float64(n) / secs
	r.MBPerS = float64(n) * float64(c.size) / secs / 1e6
	e.fill(&r)
	return r
}

func handshakes(c *config) Result {
	var e errs
	var done atomic.Int64
	var wg sync.WaitGroup
	lat := make([][]int64, c.conns)
	cpu0 := cpuSeconds(c)
	t0 := time.Now()
	deadline := t0.Add(c.duration)
	for w := range c.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples := make([]int64, 0, 1<<14)
			for i := w; time.Now().Before(deadline); i += c.conns {
				if done.Add(1) > c.max {
					done.Add(-1)
					break
				}
				s := time.Now()
				ws, err := wsclient.Dial(c.addr, c.srcIP(i), c.path, c.hdr, 10*time.Second)
				if err != nil {
					done.Add(-1)
					e.add(err)
					if e.n.Load() > 1000 {
						break
					}
					continue
				}
				samples = append(samples, int64(time.Since(s)))
				ws.CloseGracefully(5 * time.Second)
			}
			lat[w] = samples
		}()
	}
	wg.Wait()
	secs := time.Since(t0).Seconds()
	cpu := cpuSeconds(c) - cpu0
	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := Result{Seconds: secs, Handshakes: done.Load(), CPUs: cpu}
	r.HSPerS = float64(r.Handshakes) / secs
	r.P50us, r.P99us = pct(all, 0.50), pct(all, 0.99)
	e.fill(&r)
	return r
}

func idle(c *config) Result {
	var e errs
	before := rssKB(c)
	t0 := time.Now()
	conns := openConns(c, c.conns, 50, &e)
	time.Sleep(c.settle)
	after := rssKB(c)
	secs := time.Since(t0).Seconds()
	snapshot(c)
	closeAll(conns)
	r := Result{Seconds: secs, RSSBefore: before, RSSAfter: after}
	if len(conns) > 0 {
		r.MemPerConn = float64(after-before) * 1024 / float64(len(conns))
	}
	if len(conns) != c.conns {
		e.add(fmt.Errorf("only %d of %d connections opened", len(conns), c.conns))
	}
	e.fill(&r)
	return r
}

// cpuSeconds sums utime+stime (every thread, live or exited) of the
// measured processes.
func cpuSeconds(c *config) float64 {
	var ticks int64
	for _, pid := range c.pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after "(comm)": state is field 3; utime 14, stime 15.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+2:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return float64(ticks) / float64(c.clkTck)
}

// rssKB sums VmRSS of the measured processes.
func rssKB(c *config) int64 {
	var kb int64
	for _, pid := range c.pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				kb += n
			}
		}
	}
	return kb
}

// snapshot saves each -snapshot-url (e.g. a heap profile) as
// -snapshot-dir/idle.<last path element>.pprof.
func snapshot(c *config) {
	for _, u := range strings.Split(c.snapURLs, ",") {
		if u == "" {
			continue
		}
		resp, err := http.Get(u)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: snapshot:", err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		name := filepath.Join(c.snapDir, "idle."+path.Base(strings.SplitN(u, "?", 2)[0])+".pprof")
		_ = os.WriteFile(name, b, 0o644)
	}
}
