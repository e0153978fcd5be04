// Command soak runs tollgate for a while (10 minutes by default) under a
// mixed WebSocket load and checks that nothing is lost on the way: it starts
// the echo backend (bench/echo) and tollgate (its --ws-data-path) on
// loopback, with an apis folder of its own that it rewrites every few
// seconds (hot reloads), and runs at the same time
//
//   - pingpong: connections sending sequence-numbered messages of random
//     sizes one at a time, each echo checked;
//   - stream: connections with a writer sending sequence-numbered messages
//     pipelined (up to 64 in flight) and a reader checking them in order;
//   - handshakes: workers looping connect, one message, graceful close;
//   - reloads: the API's policy rewritten every -reload-every.
//
// A message whose echo never comes while its connection is open is lost; an
// echo out of sequence is reordered: both must be 0. Every -sample it
// records tollgate's resident memory, file descriptors and threads.
//
// Then the backend-restart check: -restart-conns idle connections are
// opened, the echo backend is killed and started again, and every client
// must get its close frame (1014, "backend disconnected") within a second;
// afterwards tollgate's file descriptors must be back where they were.
//
// It prints a markdown report (and writes it to -out) and exits non-zero
// when a check fails. Run it with `go tool task soak` (SOAK_DURATION=2m for
// a shorter run).
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"tollgate/bench/internal/wsclient"
)

type opts struct {
	bin, out, dataPath string
	httpServer         string
	duration           time.Duration
	reloadEvery        time.Duration
	sample             time.Duration
	pingpong, stream   int
	handshakers        int
	restartConns       int
}

func main() {
	var o opts
	flag.StringVar(&o.bin, "bin", "bin", "folder with tollgate and bench-echo")
	flag.StringVar(&o.out, "out", "", "also write the report here")
	flag.StringVar(&o.dataPath, "ws-data-path", "auto", "tollgate --ws-data-path")
	flag.StringVar(&o.httpServer, "http-server", "loop", "tollgate --http-server (loop, tollgate or nethttp)")
	d := 10 * time.Minute
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			fatalf("SOAK_DURATION must be a positive duration, not %q", v)
		}
	}
	flag.DurationVar(&o.duration, "duration", d, "how long the mixed load runs (env SOAK_DURATION)")
	flag.DurationVar(&o.reloadEvery, "reload-every", 5*time.Second, "rewrite the API's policy this often")
	flag.DurationVar(&o.sample, "sample", 0, "memory sample period (default duration/20, at least 1s)")
	flag.IntVar(&o.pingpong, "pingpong", 50, "pingpong connections")
	flag.IntVar(&o.stream, "stream", 10, "streaming connections")
	flag.IntVar(&o.handshakers, "handshakers", 4, "handshake workers")
	flag.IntVar(&o.restartConns, "restart-conns", 9900, "idle connections for the backend-restart check")
	flag.Parse()
	if o.sample <= 0 {
		o.sample = max(o.duration/20, time.Second)
	}
	code := run(&o)
	cleanup()
	os.Exit(code)
}

var (
	procsMu sync.Mutex
	procs   []*exec.Cmd
)

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "soak: "+format+"\n", args...)
	cleanup()
	os.Exit(1)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "soak: "+format+"\n", args...) }

func cleanup() {
	procsMu.Lock()
	defer procsMu.Unlock()
	for _, p := range procs {
		if p.Process != nil && p.ProcessState == nil {
			_ = p.Process.Signal(syscall.SIGKILL)
			_ = p.Wait()
		}
	}
	procs = nil
}

func start(name, logFile string, env []string, args ...string) *exec.Cmd {
	lf, err := os.Create(logFile)
	if err != nil {
		fatalf("%v", err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fatalf("starting %s: %v", name, err)
	}
	procsMu.Lock()
	procs = append(procs, cmd)
	procsMu.Unlock()
	return cmd
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitPort(name, addr string) {
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	fatalf("%s does not listen on %s", name, addr)
}

const apiXML = `<api name="soak" type="websocket" path="/soak" service-url="ws://%s/" max-connections="20000"/>
`

func policyXML(version int) string {
	return fmt.Sprintf(`<policies>
  <inbound>
    <set-header name="X-Soak-Version" exists-action="override"><value>%d</value></set-header>
    <set-variable name="v" value="%d"/>
  </inbound>
  <backend><forward-request timeout="10"/></backend>
</policies>
`, version, version)
}

// counters of the mixed load.
type counters struct {
	msgs, lost, reordered, connErrs atomic.Int64
	handshakes, handshakeErrs       atomic.Int64
	reloads, reloadErrs             atomic.Int64
	firstErr                        atomic.Pointer[string]
}

func (c *counters) fail(err error) {
	c.connErrs.Add(1)
	s := err.Error()
	c.firstErr.CompareAndSwap(nil, &s)
}

type sample struct {
	at                 time.Duration
	rssKiB, fds, thrds int
	msgs               int64
}

func run(o *opts) int {
	tmp, err := os.MkdirTemp("", "tollgate-soak-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	bin := func(n string) string { return filepath.Join(o.bin, n) }

	echoAddr := freePort()
	echo := start("echo", filepath.Join(tmp, "echo.log"), nil, bin("bench-echo"), "-listen", echoAddr)
	waitPort("echo", echoAddr)

	apis := filepath.Join(tmp, "apis")
	if err := os.MkdirAll(filepath.Join(apis, "soak"), 0o755); err != nil {
		fatalf("%v", err)
	}
	writeFile(filepath.Join(apis, "soak", "api.xml"), fmt.Sprintf(apiXML, echoAddr))
	writeFile(filepath.Join(apis, "soak", "policy.xml"), policyXML(0))
	tgAddr, adminAddr := freePort(), freePort()
	tgLog := filepath.Join(tmp, "tollgate.log")
	defer func() { // what tollgate said, when it said anything
		if b, err := os.ReadFile(tgLog); err == nil && len(b) > 0 {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			logf("tollgate's log (last %d of %d lines):\n%s", min(len(lines), 40), len(lines), strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	}()
	tg := start("tollgate", tgLog, nil, bin("tollgate"), "serve", "--apis", apis,
		"--listen", tgAddr, "--admin", adminAddr, "--log-level", "warn", "--watch=true", "--ws-data-path", o.dataPath,
		"--http-server", o.httpServer)
	waitPort("tollgate", tgAddr)
	pid := tg.Process.Pid
	logf("tollgate (pid %d, --ws-data-path %s) on %s, echo on %s; mixed load for %s", pid, o.dataPath, tgAddr, echoAddr, o.duration)

	var c counters
	var samples []sample
	t0 := time.Now()
	samples = append(samples, sample{0, rssKiB(pid), fdCount(pid), threads(pid), 0})
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range o.pingpong {
		wg.Add(1)
		go func() { defer wg.Done(); pingpong(tgAddr, uint64(i), &c, done) }()
	}
	for i := range o.stream {
		wg.Add(1)
		go func() { defer wg.Done(); stream(tgAddr, uint64(1000+i), &c, done) }()
	}
	for range o.handshakers {
		wg.Add(1)
		go func() { defer wg.Done(); handshakes(tgAddr, &c, done) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); reloads(apis, adminAddr, o.reloadEvery, &c, done) }()

	tick := time.NewTicker(o.sample)
	end := time.After(o.duration)
loop:
	for {
		select {
		case <-tick.C:
			s := sample{time.Since(t0).Round(time.Second), rssKiB(pid), fdCount(pid), threads(pid), c.msgs.Load()}
			samples = append(samples, s)
			logf("%6s rss %d KiB, fds %d, threads %d, msgs %d, lost %d, reordered %d, conn errors %d, reloads %d",
				s.at, s.rssKiB, s.fds, s.thrds, s.msgs, c.lost.Load(), c.reordered.Load(), c.connErrs.Load(), c.reloads.Load())
		case <-end:
			break loop
		}
	}
	tick.Stop()
	close(done)
	wg.Wait()
	time.Sleep(time.Second)
	after := sample{time.Since(t0).Round(time.Second), rssKiB(pid), fdCount(pid), threads(pid), c.msgs.Load()}
	samples = append(samples, after)

	logf("backend restart with %d idle connections", o.restartConns)
	rr := restartCheck(o, tgAddr, pid, echoAddr, &echo, tmp, bin)

	report, ok := writeReport(o, &c, samples, rr, time.Since(t0))
	fmt.Print(report)
	if o.out != "" {
		writeFile(o.out, report)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		logf("tollgate is gone")
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func writeFile(path, s string) {
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		fatalf("%v", err)
	}
}

// seqMsg builds message i of connection id: id, i, then filler up to size.
func seqMsg(buf []byte, id, i uint64, size int) []byte {
	b := buf[:max(size, 16)]
	binary.BigEndian.PutUint64(b, id)
	binary.BigEndian.PutUint64(b[8:], i)
	return b
}

// checkSeq compares an echo with the expected sequence number.
func checkSeq(c *counters, got []byte, n int, id, want uint64) bool {
	if n < 16 || binary.BigEndian.Uint64(got) != id {
		c.reordered.Add(1)
		return false
	}
	switch seq := binary.BigEndian.Uint64(got[8:]); {
	case seq == want:
		c.msgs.Add(1)
		return true
	case seq > want:
		c.lost.Add(int64(seq - want))
	default:
		c.reordered.Add(1)
	}
	return false
}

func dial(addr string) (*wsclient.Conn, error) {
	return wsclient.Dial(addr, nil, "/soak/", "", 10*time.Second)
}

func pingpong(addr string, id uint64, c *counters, done <-chan struct{}) {
	rng := rand.New(rand.NewPCG(id, 1))
	ws, err := dial(addr)
	if err != nil {
		c.fail(err)
		return
	}
	defer ws.CloseGracefully(5 * time.Second)
	out := make([]byte, 4096)
	in := make([]byte, 4096)
	for i := uint64(0); ; i++ {
		select {
		case <-done:
			return
		default:
		}
		msg := seqMsg(out, id, i, 16+rng.IntN(1000))
		if err := ws.WriteMsg(wsclient.OpBinary, msg); err != nil {
			c.fail(err)
			return
		}
		_ = ws.NetConn().SetReadDeadline(time.Now().Add(30 * time.Second))
		_, n, err := ws.ReadMsg(in)
		if err != nil {
			c.lost.Add(1) // sent on an open connection, never echoed
			c.fail(closeErr(ws, err))
			return
		}
		if n != len(msg) || !bytes.Equal(in[16:n], msg[16:]) {
			c.reordered.Add(1)
		}
		if !checkSeq(c, in, n, id, i) {
			return
		}
	}
}

func stream(addr string, id uint64, c *counters, done <-chan struct{}) {
	ws, err := dial(addr)
	if err != nil {
		c.fail(err)
		return
	}
	window := make(chan struct{}, 64)
	var sent atomic.Uint64
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		rng := rand.New(rand.NewPCG(id, 2))
		out := make([]byte, 16<<10)
		for i := uint64(0); ; i++ {
			select {
			case <-done:
				return
			case window <- struct{}{}:
			}
			if err := ws.WriteMsg(wsclient.OpBinary, seqMsg(out, id, i, 64+rng.IntN(16<<10-64))); err != nil {
				c.fail(err)
				return
			}
			sent.Store(i + 1)
		}
	}()
	in := make([]byte, 16<<10)
	for i := uint64(0); ; i++ {
		select {
		case <-writerDone:
			if i == sent.Load() {
				ws.CloseGracefully(5 * time.Second)
				return
			}
		default:
		}
		_ = ws.NetConn().SetReadDeadline(time.Now().Add(30 * time.Second))
		_, n, err := ws.ReadMsg(in)
		if err != nil {
			c.lost.Add(int64(sent.Load() - i))
			c.fail(closeErr(ws, err))
			_ = ws.NetConn().Close()
			<-writerDone
			return
		}
		<-window
		if !checkSeq(c, in, n, id, i) {
			_ = ws.NetConn().Close()
			<-writerDone
			return
		}
	}
}

func handshakes(addr string, c *counters, done <-chan struct{}) {
	buf := make([]byte, 64)
	for {
		select {
		case <-done:
			return
		default:
		}
		ws, err := dial(addr)
		if err != nil {
			c.handshakeErrs.Add(1)
			c.fail(err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err := ws.WriteMsg(wsclient.OpText, []byte("hello")); err == nil {
			if _, n, err := ws.ReadMsg(buf); err != nil || n != 5 {
				c.handshakeErrs.Add(1)
			}
		}
		ws.CloseGracefully(5 * time.Second)
		c.handshakes.Add(1)
	}
}

// reloads rewrites the policy every period and checks, through the admin
// endpoint, that each write was swapped in (a new config hash).
func reloads(apis, admin string, period time.Duration, c *counters, done <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	last := reloadStatus(admin).ConfigHash
	for v := 1; ; v++ {
		select {
		case <-done:
			return
		case <-t.C:
		}
		writeFile(filepath.Join(apis, "soak", "policy.xml"), policyXML(v))
		ok := false
		for range 50 {
			time.Sleep(100 * time.Millisecond)
			if st := reloadStatus(admin); st.Result == "success" && st.ConfigHash != "" && st.ConfigHash != last {
				last, ok = st.ConfigHash, true
				break
			}
		}
		if ok {
			c.reloads.Add(1)
		} else {
			c.reloadErrs.Add(1)
		}
	}
}

type reloadState struct {
	Result     string `json:"result"`
	ConfigHash string `json:"config_hash"`
}

func reloadStatus(admin string) reloadState {
	var st reloadState
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get("http://" + admin + "/status/reload")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}

type restartResult struct {
	conns, got1014, other, late int
	slowest                     time.Duration
	fdsBefore, fdsAfter         int
	openErrs                    int
}

// restartCheck opens n idle connections, restarts the echo backend and
// checks that every client gets 1014 within a second and that tollgate's
// file descriptors come back down.
func restartCheck(o *opts, addr string, pid int, echoAddr string, echo **exec.Cmd, tmp string, bin func(string) string) restartResult {
	var r restartResult
	r.fdsBefore = fdCount(pid)
	conns := make([]*wsclient.Conn, 0, o.restartConns)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range o.restartConns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := wsclient.Dial(addr, srcIP(i), "/soak/", "", 20*time.Second)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.openErrs++
				return
			}
			conns = append(conns, ws)
		}()
	}
	wg.Wait()
	r.conns = len(conns)
	logf("%d idle connections open (%d failed), tollgate fds %d; killing the echo backend", r.conns, r.openErrs, fdCount(pid))
	codes := make([]int, len(conns))
	at := make([]time.Time, len(conns))
	var started sync.WaitGroup
	for i, ws := range conns {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256)
			_ = ws.NetConn().SetReadDeadline(time.Now().Add(30 * time.Second))
			started.Done()
			codes[i], at[i] = readClose(ws, buf), time.Now()
		}()
	}
	started.Wait()
	t0 := time.Now()
	stop(*echo)
	*echo = start("echo", filepath.Join(tmp, "echo2.log"), nil, bin("bench-echo"), "-listen", echoAddr)
	wg.Wait()
	for i := range conns {
		d := at[i].Sub(t0)
		r.slowest = max(r.slowest, d)
		switch {
		case codes[i] != 1014:
			r.other++
		case d > time.Second:
			r.late++
		default:
			r.got1014++
		}
		_ = conns[i].NetConn().Close()
	}
	for range 100 {
		if r.fdsAfter = fdCount(pid); r.fdsAfter <= r.fdsBefore {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	logf("%d of %d clients got 1014 within 1s (slowest %s), %d other, %d late; tollgate fds %d -> %d",
		r.got1014, r.conns, r.slowest.Round(time.Millisecond), r.other, r.late, r.fdsBefore, r.fdsAfter)
	return r
}

// readClose reads until the close frame and returns its code (0: none).
func readClose(ws *wsclient.Conn, buf []byte) int {
	for {
		op, n, err := ws.ReadMsg(buf)
		if errors.Is(err, wsclient.ErrClosed) && op == wsclient.OpClose {
			return ws.CloseCode()
		}
		if err != nil {
			return 0
		}
		_ = n
	}
}

// srcIP spreads client connections over 127.0.0.1-8 (ephemeral ports).
func srcIP(i int) net.IP { return net.IPv4(127, 0, 0, byte(1+i%8)) }

func procStatus(pid int, key string) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return -1
}

func rssKiB(pid int) int  { return procStatus(pid, "VmRSS") }
func threads(pid int) int { return procStatus(pid, "Threads") }

// closeErr adds the peer's close code and reason to a close.
func closeErr(ws *wsclient.Conn, err error) error {
	if errors.Is(err, wsclient.ErrClosed) {
		return fmt.Errorf("%w: %d %q", err, ws.CloseCode(), ws.CloseReason())
	}
	return err
}

func fdCount(pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func writeReport(o *opts, c *counters, samples []sample, rr restartResult, total time.Duration) (string, bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "# tollgate soak run\n\n")
	fmt.Fprintf(&b, "%s, `--ws-data-path %s --http-server %s`: %s of mixed load (%d pingpong and %d streaming connections, %d handshake workers, a policy reload every %s), then a backend restart under %d idle connections. Total %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), o.dataPath, o.httpServer, o.duration, o.pingpong, o.stream, o.handshakers, o.reloadEvery, o.restartConns, total.Round(time.Second))
	ok := true
	check := func(name string, v int64, pass bool) {
		mark := "ok"
		if !pass {
			mark, ok = "**FAIL**", false
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", name, v, mark)
	}
	b.WriteString("| check | value | |\n|---|---:|---|\n")
	check("messages echoed in order", c.msgs.Load(), c.msgs.Load() > 0)
	check("lost messages", c.lost.Load(), c.lost.Load() == 0)
	check("reordered messages", c.reordered.Load(), c.reordered.Load() == 0)
	check("connection errors during the load", c.connErrs.Load(), c.connErrs.Load() == 0)
	check("handshakes", c.handshakes.Load(), c.handshakes.Load() > 0)
	check("failed handshakes", c.handshakeErrs.Load(), c.handshakeErrs.Load() == 0)
	check("successful reloads", c.reloads.Load(), c.reloads.Load() > 0)
	check("failed reloads", c.reloadErrs.Load(), c.reloadErrs.Load() == 0)
	check("restart: idle connections open", int64(rr.conns), rr.conns == o.restartConns)
	check("restart: clients with 1014 within 1 s", int64(rr.got1014), rr.got1014 == rr.conns)
	check("restart: clients with another code or none", int64(rr.other), rr.other == 0)
	check("restart: clients with 1014 after more than 1 s", int64(rr.late), rr.late == 0)
	fmt.Fprintf(&b, "| restart: slowest close | %s | |\n", rr.slowest.Round(time.Millisecond))
	check("restart: tollgate fds after (before: "+strconv.Itoa(rr.fdsBefore)+")", int64(rr.fdsAfter), rr.fdsAfter <= rr.fdsBefore)
	if e := c.firstErr.Load(); e != nil {
		fmt.Fprintf(&b, "\nFirst connection error: %s\n", *e)
	}
	b.WriteString("\n## tollgate over time\n\n| time | RSS (MiB) | fds | threads | messages |\n|---:|---:|---:|---:|---:|\n")
	for _, s := range samples {
		fmt.Fprintf(&b, "| %s | %.1f | %d | %d | %d |\n", s.at, float64(s.rssKiB)/1024, s.fds, s.thrds, s.msgs)
	}
	return b.String(), ok
}
