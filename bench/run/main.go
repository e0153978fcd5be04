// Command run is the side-by-side benchmark driver behind `go tool task
// bench`: it starts the echo backend, tollgate and nginx on loopback, runs
// every scenario of bench/load against both proxies alternately, and prints
// (and writes) a markdown table of the figures with the winner of each row.
// See bench/README.md for what each figure means and how it is measured.
//
//	run -bin bin -out bench/results/latest.md [-scale 1] [-quick] [-pprof]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"tollgate/gateway/wsproxy"
)

type opts struct {
	bin, apis, out, nginxBin, nginxTmpl string
	nginxBackendTmpl                    string
	workers                             string
	scale                               float64
	duration                            time.Duration
	idleConns                           int
	clkTck                              int
	pprof                               bool
	profDir                             string
	only                                string
	srcIPs                              int
	idleNote                            string
	probe                               bool
	dataPath                            string // tollgate --ws-data-path
	compareGoroutines                   bool
	tgEnv                               string // -tollgate-env: extra environment of tollgate's own column
	compareNetHTTP                      bool
	compareFrontGoroutines              bool
	rounds                              int
	ab                                  string // -ab: a second tollgate binary, run side by side with bin/tollgate
}

// Result mirrors bench/load's JSON.
type Result struct {
	Scenario   string  `json:"scenario"`
	Conns      int     `json:"conns"`
	Size       int     `json:"size"`
	Seconds    float64 `json:"seconds"`
	Msgs       int64   `json:"msgs"`
	MsgsPerS   float64 `json:"msgs_per_s"`
	MBPerS     float64 `json:"mb_per_s"`
	Handshakes int64   `json:"handshakes"`
	HSPerS     float64 `json:"handshakes_per_s"`
	P50us      float64 `json:"p50_us"`
	P99us      float64 `json:"p99_us"`
	CPUs       float64 `json:"cpu_s"`
	RSSBefore  int64   `json:"rss_before_kb"`
	RSSAfter   int64   `json:"rss_after_kb"`
	MemPerConn float64 `json:"mem_per_conn_bytes"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"first_error"`
}

type scenario struct {
	key   string
	title string
	args  []string
	rest  bool // an HTTP API scenario (bench/load -scenario rest)
	// policyOnly: a scenario only tollgate can run (a policy nginx has no
	// equivalent for); nginx's column shows "-" and it counts for no one.
	policyOnly bool
}

type target struct {
	name     string
	addr     string
	pids     func() []int
	prof     string // pprof base URL (tollgate with -pprof)
	restOnly bool   // takes part in the REST scenarios only (the bare ReverseProxy, rawhttp)
	wsOnly   bool   // takes part in the WebSocket scenarios only (rawrelay)
	label    string // column heading of an informational column
}

var (
	procsMu sync.Mutex
	procs   []*exec.Cmd
)

func main() {
	var o opts
	flag.StringVar(&o.bin, "bin", "bin", "folder with tollgate, bench-echo, bench-load (and bench-tollgate-prof)")
	flag.StringVar(&o.apis, "apis", "bench/apis", "apis folder tollgate serves")
	flag.StringVar(&o.out, "out", "bench/results/latest.md", "where to write the markdown results ('' for none)")
	flag.StringVar(&o.nginxBin, "nginx", "nginx", "nginx binary")
	flag.StringVar(&o.nginxTmpl, "nginx-conf", "bench/nginx.conf.tmpl", "nginx config template")
	flag.StringVar(&o.nginxBackendTmpl, "nginx-backend-conf", "bench/nginx-backend.conf.tmpl", "nginx config template of the REST scenarios' backend")
	flag.StringVar(&o.workers, "nginx-workers", "auto", "nginx worker_processes (auto = one per core, like tollgate's GOMAXPROCS)")
	scale := 1.0
	if v := os.Getenv("BENCH_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			fatalf("BENCH_SCALE must be a positive number, not %q", v)
		}
		scale = f
	}
	flag.Float64Var(&o.scale, "scale", scale, "multiplies every duration and the idle connection count (env BENCH_SCALE)")
	quick := flag.Bool("quick", false, "CI-sized run: same as -scale 0.1")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measurement window per scenario and target (before -scale)")
	flag.IntVar(&o.idleConns, "idle-conns", 10000, "idle connections (before -scale)")
	flag.IntVar(&o.clkTck, "clk-tck", 100, "clock ticks per second (getconf CLK_TCK)")
	flag.BoolVar(&o.pprof, "pprof", false, "run bench-tollgate-prof instead of tollgate and save CPU/heap/goroutine profiles")
	flag.StringVar(&o.profDir, "prof-dir", "bench/results/prof", "where -pprof writes profiles")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario keys to run (default all: idle pp1 pp50 st64 st16k hs hsco rget r4k r64k rpost)")
	flag.BoolVar(&o.probe, "probe", false, "also run the design probes as informational columns: bench/rawrelay (raw frame-aware WebSocket relay) and bench/rawhttp (event-loop HTTP/1.1 proxy, REST scenarios)")
	flag.StringVar(&o.dataPath, "ws-data-path", "auto", "tollgate's WebSocket data path (--ws-data-path: auto, "+strings.Join(wsproxy.Relayers(), ", ")+")")
	flag.BoolVar(&o.compareFrontGoroutines, "compare-front-goroutines", false, "also run a second tollgate with --http-server=tollgate (its front server with a goroutine per connection instead of the default event loops) as an informational column")
	flag.BoolVar(&o.compareNetHTTP, "compare-nethttp", false, "also run a second tollgate with --http-server=nethttp (Go's net/http in front) as an informational column")
	flag.BoolVar(&o.compareGoroutines, "compare-goroutines", false, "also run a second tollgate with --ws-data-path=goroutines as an informational column")
	flag.StringVar(&o.tgEnv, "tollgate-env", "", "comma-separated NAME=VALUE pairs added to the environment of tollgate's column only (experiments: GOMAXPROCS=1,GOGC=200); the results header names them")
	flag.IntVar(&o.srcIPs, "src-ips", 8, "client source addresses 127.0.0.1..N (ephemeral ports)")
	flag.IntVar(&o.rounds, "rounds", 1, "run every scenario but idle this many times, the targets in a rotated order each round; the table shows each target's median round by proxy CPU per unit of work, the raw figures every round")
	flag.StringVar(&o.ab, "ab", "", "a second tollgate binary (another build, B): serve it side by side with bin/tollgate (A) under the same load at the same time, each with half the connections, and report B's figures against A's round by round (at least 3 rounds; -rounds sets more); nginx and the other columns take no part; the report goes to bench/results/ab-latest.md unless -out says otherwise")
	flag.Parse()
	if o.ab != "" {
		outSet := false
		flag.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
		if !outSet {
			o.out = "bench/results/ab-latest.md"
		}
		o.rounds = max(o.rounds, 3)
		if _, err := os.Stat(o.ab); err != nil {
			fatalf("-ab: %v", err)
		}
		if o.pprof {
			fatalf("-ab and -pprof do not go together: profile one build at a time")
		}
	}
	if o.rounds < 1 || o.rounds > 20 {
		fatalf("-rounds must be from 1 to 20, not %d", o.rounds)
	}
	if *quick {
		o.scale = 0.1
	}
	code := run(&o)
	cleanup()
	os.Exit(code)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	cleanup()
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// cleanup stops every process we started (nginx: its whole process group).
func cleanup() {
	procsMu.Lock()
	defer procsMu.Unlock()
	for _, c := range procs {
		if c.Process == nil {
			continue
		}
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range procs {
		if c.Process == nil {
			continue
		}
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Until(deadline)):
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	procs = nil
}

func start(name string, env []string, logFile string, args ...string) *exec.Cmd {
	c := exec.Command(args[0], args[1:]...)
	c.Env = append(os.Environ(), env...)
	// Own process group (nginx workers included) so cleanup reaches all of
	// it; and die with us if we are killed.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	f, err := os.Create(logFile)
	if err != nil {
		fatalf("%s: %v", name, err)
	}
	c.Stdout, c.Stderr = f, f
	if err := c.Start(); err != nil {
		fatalf("starting %s: %v", name, err)
	}
	procsMu.Lock()
	procs = append(procs, c)
	procsMu.Unlock()
	return c
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitPort(name, addr, logFile string) {
	for i := 0; i < 100; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logFile)
	fatalf("%s did not listen on %s within 10s:\n%s", name, addr, b)
}

// children lists the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

func run(o *opts) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		logf("%v: stopping", s)
		cleanup()
		os.Exit(130)
	}()

	tmp, err := os.MkdirTemp("", "tollgate-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	for _, d := range []string{"tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "logs", "www"} {
		_ = os.MkdirAll(filepath.Join(tmp, d), 0o755)
	}
	for name, size := range map[string]int{"4k": 4 << 10, "64k": 64 << 10} {
		if err := os.WriteFile(filepath.Join(tmp, "www", name), bytes.Repeat([]byte{'x'}, size), 0o644); err != nil {
			fatalf("%v", err)
		}
	}
	bin := func(name string) string { return filepath.Join(o.bin, name) }

	echoAddr, restAddr, tgAddr, ngAddr, bareAddr := freePort(), freePort(), freePort(), freePort(), freePort()
	echoLog := filepath.Join(tmp, "echo.log")
	start("echo", nil, echoLog, bin("bench-echo"), "-listen", echoAddr)
	waitPort("echo", echoAddr, echoLog)

	// The REST backend: its own nginx (return 200 and static files), so
	// that the proxies' CPU figures never include the backend's.
	restConf := filepath.Join(tmp, "nginx-backend.conf")
	writeNginxConf(o, o.nginxBackendTmpl, restConf, tmp, restAddr, echoAddr, restAddr)
	restLog := filepath.Join(tmp, "nginx-backend.log")
	start("nginx-backend", nil, restLog, o.nginxBin, "-c", restConf, "-p", tmp, "-e", filepath.Join(tmp, "error-backend.log"))
	waitPort("nginx-backend", restAddr, restLog)

	bareLog := filepath.Join(tmp, "bareproxy.log")
	bare := start("bareproxy", nil, bareLog, bin("bench-bareproxy"), "-listen", bareAddr, "-backend", "http://"+restAddr)
	waitPort("bareproxy", bareAddr, bareLog)

	tgLog := filepath.Join(tmp, "tollgate.log")
	tgEnv := []string{"BENCH_ECHO_URL=ws://" + echoAddr + "/", "BENCH_REST_URL=http://" + restAddr + "/"}
	extraEnv := tgExtraEnv(o.tgEnv)
	tgArgs := []string{bin("tollgate"), "serve", "--apis", o.apis, "--listen", tgAddr, "--admin", "",
		"--log-level", "warn", "--watch=false", "--ws-data-path", o.dataPath}
	profAddr := ""
	if o.pprof {
		profAddr = freePort()
		tgArgs = []string{bin("bench-tollgate-prof"), "--apis", o.apis, "--listen", tgAddr, "--pprof", profAddr, "--ws-data-path", o.dataPath}
		_ = os.MkdirAll(o.profDir, 0o755)
	}
	tg := start("tollgate", append(extraEnv, tgEnv...), tgLog, tgArgs...)
	waitPort("tollgate", tgAddr, tgLog)

	conf := filepath.Join(tmp, "nginx.conf")
	writeNginxConf(o, o.nginxTmpl, conf, tmp, ngAddr, echoAddr, restAddr)
	ngLog := filepath.Join(tmp, "nginx.log")
	ng := start("nginx", nil, ngLog, o.nginxBin, "-c", conf, "-p", tmp, "-e", filepath.Join(tmp, "error.log"))
	waitPort("nginx", ngAddr, ngLog)
	wantWorkers := runtime.NumCPU()
	if o.workers != "auto" {
		wantWorkers, _ = strconv.Atoi(o.workers)
	}
	for i := 0; i < 50 && len(children(ng.Process.Pid)) < wantWorkers; i++ {
		time.Sleep(100 * time.Millisecond)
	}

	targets := []target{
		{name: "tollgate", addr: tgAddr, pids: func() []int { return []int{tg.Process.Pid} }},
		{name: "nginx", addr: ngAddr, pids: func() []int { return append([]int{ng.Process.Pid}, children(ng.Process.Pid)...) }},
	}
	if profAddr != "" {
		targets[0].prof = "http://" + profAddr
	}
	// second starts another tollgate with extra flags as an informational
	// column (its name is also its log's).
	second := func(name, label string, extra ...string) {
		addr := freePort()
		log := filepath.Join(tmp, name+".log")
		args := append([]string{bin("tollgate"), "serve", "--apis", o.apis, "--listen", addr, "--admin", "",
			"--log-level", "warn", "--watch=false"}, extra...)
		c := start(name, tgEnv, log, args...)
		waitPort(name, addr, log)
		targets = append(targets, target{name: name, addr: addr, label: label, pids: func() []int { return []int{c.Process.Pid} }})
	}
	if o.compareGoroutines {
		second("tollgate-goroutines", "", "--ws-data-path", "goroutines")
	}
	if o.compareFrontGoroutines {
		second("tollgate-front-goroutines", "tollgate --http-server=tollgate", "--ws-data-path", o.dataPath, "--http-server", "tollgate")
	}
	if o.compareNetHTTP {
		second("tollgate-nethttp", "", "--ws-data-path", o.dataPath, "--http-server", "nethttp")
	}
	if o.probe {
		// probe starts a design probe (bench/rawrelay, bench/rawhttp) as an
		// informational column: t's addr and pids are filled in.
		probe := func(t target, prog string, args ...string) {
			t.addr = freePort()
			log := filepath.Join(tmp, t.name+".log")
			c := start(t.name, nil, log, append([]string{bin(prog), "-listen", t.addr}, args...)...)
			waitPort(t.name, t.addr, log)
			t.pids = func() []int { return []int{c.Process.Pid} }
			targets = append(targets, t)
		}
		probe(target{name: "rawrelay", label: "rawrelay (probe)", wsOnly: true}, "bench-rawrelay", "-backend", echoAddr)
		probe(target{name: "rawhttp", label: "rawhttp (probe)", restOnly: true}, "bench-rawhttp", "-backend", restAddr)
		probe(target{name: "rawhttp-goroutines", label: "rawhttp -goroutines (probe)", restOnly: true},
			"bench-rawhttp", "-backend", restAddr, "-goroutines")
		probe(target{name: "rawhttp-loops", label: "rawhttp -loops (probe)", restOnly: true},
			"bench-rawhttp", "-backend", restAddr, "-loops")
	}
	targets = append(targets, target{name: "bare", addr: bareAddr, restOnly: true, label: "bare httputil.ReverseProxy (reference)",
		pids: func() []int { return []int{bare.Process.Pid} }})
	d := time.Duration(float64(o.duration) * o.scale).Round(100 * time.Millisecond)
	d = max(d, 500*time.Millisecond)
	idleN := max(int(float64(o.idleConns)*o.scale), 100)
	// tollgate holds two sockets per proxied connection (client and backend
	// legs) and inherits our open-file limit: where `ulimit -n 65536` is not
	// allowed (a container without CAP_SYS_RESOURCE), hold as many as fit.
	// Memory per connection is a ratio, so a few percent fewer connections
	// do not change it.
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Max != ^uint64(0) {
		if fit := int(lim.Max-200) / 2; idleN > fit {
			logf("open-file limit %d: %d idle connections instead of %d", lim.Max, fit, idleN)
			o.idleNote = fmt.Sprintf("The open-file hard limit here is %d and cannot be raised (no CAP_SYS_RESOURCE), so the idle figure holds %d connections instead of %d (tollgate needs two sockets per proxied connection).", lim.Max, fit, idleN)
			idleN = fit
		}
	}
	ds := d.String()
	scenarios := []scenario{
		// idle first: both proxies are fresh, so the memory growth is the
		// connections', not leftovers of earlier scenarios.
		{"idle", fmt.Sprintf("%d idle connections", idleN), []string{"-scenario", "idle", "-conns", strconv.Itoa(idleN)}, false, false},
		{"pp1", "pingpong 64 B, 1 conn", []string{"-scenario", "pingpong", "-conns", "1", "-size", "64", "-duration", ds}, false, false},
		{"pp50", "pingpong 64 B, 50 conns", []string{"-scenario", "pingpong", "-conns", "50", "-size", "64", "-duration", ds}, false, false},
		{"st64", "stream 64 B, 50 conns", []string{"-scenario", "stream", "-conns", "50", "-size", "64", "-window", "256", "-duration", ds}, false, false},
		{"st16k", "stream 16 KiB, 10 conns", []string{"-scenario", "stream", "-conns", "10", "-size", "16384", "-window", "32", "-duration", ds}, false, false},
		{"hs", "handshakes, concurrency 20", []string{"-scenario", "handshake", "-conns", "20", "-duration", ds}, false, false},
		{"hsco", "handshakes with a send-request call-out, concurrency 20", []string{"-scenario", "handshake", "-conns", "20",
			"-path", "/echo-callout", "-header", "X-Tenant: acme|Authorization: Bearer t0k3n", "-duration", ds}, false, true},
		{"rget", "REST GET, 3 B response, 50 conns", restArgs(ds, "GET", "/rest/0?mode=echo", 0), true, false},
		{"r4k", "REST GET, 4 KiB response, 50 conns", restArgs(ds, "GET", "/rest/4k?mode=echo", 0), true, false},
		{"r64k", "REST GET, 64 KiB response, 50 conns", restArgs(ds, "GET", "/rest/64k?mode=echo", 0), true, false},
		{"rpost", "REST POST 16 KiB read by a policy, 50 conns", restArgs(ds, "POST", "/rest-read/0", 16<<10), true, false},
	}
	if o.only != "" {
		keep := map[string]bool{}
		for _, k := range strings.Split(o.only, ",") {
			keep[strings.TrimSpace(k)] = true
		}
		var sel []scenario
		for _, s := range scenarios {
			if keep[s.key] {
				sel = append(sel, s)
			}
		}
		scenarios = sel
	}

	if o.ab != "" {
		return runAB(o, scenarios, targets[0], tgArgs, append(extraEnv, tgEnv...), tmp, d)
	}
	rounds := map[string]map[string][]Result{}
	for i, sc := range scenarios {
		rounds[sc.key] = map[string][]Result{}
		n := o.rounds
		if sc.key == "idle" {
			n = 1
		}
		for r := range n {
			order := append([]target(nil), targets...)
			if (i+r)%2 == 1 { // alternate who goes first
				order[0], order[1] = order[1], order[0]
			}
			if r > 0 { // and, from round to round, where the others go
				k := 2 + r%max(len(order)-2, 1)
				order = append(order[:2:2], append(order[k:], order[2:k]...)...)
			}
			for _, t := range order {
				if t.restOnly && !sc.rest || t.wsOnly && sc.rest {
					continue
				}
				if sc.policyOnly && !strings.HasPrefix(t.name, "tollgate") {
					continue
				}
				res := runLoad(o, bin("bench-load"), sc, t)
				rounds[sc.key][t.name] = append(rounds[sc.key][t.name], res)
				logf("%-28s %-8s %s", sc.title, t.name, brief(res))
				time.Sleep(time.Second) // let closes and TIME_WAIT settle
			}
		}
	}
	for _, t := range targets {
		for _, p := range t.pids() {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); err != nil {
				logf("%s (pid %d) is gone: see its log", t.name, p)
			}
		}
	}
	md := report(o, scenarios, rounds, d, idleN, targets)
	return writeReport(o, md)
}

// writeReport prints md and writes it to -out (if any); the exit code.
func writeReport(o *opts, md string) int {
	fmt.Print(md)
	if o.out != "" {
		_ = os.MkdirAll(filepath.Dir(o.out), 0o755)
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			logf("writing %s: %v", o.out, err)
			return 1
		}
		logf("wrote %s", o.out)
	}
	return 0
}

// restArgs are bench/load's arguments for a REST scenario.
func restArgs(d, method, path string, body int) []string {
	return []string{"-scenario", "rest", "-conns", "50", "-method", method, "-path", path,
		"-body", strconv.Itoa(body), "-duration", d}
}

func writeNginxConf(o *opts, tmpl, path, prefix, listen, echo, rest string) {
	tb, err := os.ReadFile(tmpl)
	if err != nil {
		fatalf("%v", err)
	}
	t, err := template.New("nginx").Parse(string(tb))
	if err != nil {
		fatalf("%s: %v", tmpl, err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "root" // workers must reach the temporary prefix
	}
	var b bytes.Buffer
	if err := t.Execute(&b, map[string]string{"Prefix": prefix, "Listen": listen, "Echo": echo, "Rest": rest, "Workers": o.workers, "User": user}); err != nil {
		fatalf("%s: %v", o.nginxTmpl, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		fatalf("%v", err)
	}
}

func runLoad(o *opts, loadBin string, sc scenario, t target) Result {
	pids := t.pids()
	ps := make([]string, len(pids))
	for i, p := range pids {
		ps[i] = strconv.Itoa(p)
	}
	args := append([]string{"-addr", t.addr, "-pids", strings.Join(ps, ","), "-clk-tck", strconv.Itoa(o.clkTck),
		"-src-ips", strconv.Itoa(o.srcIPs)}, sc.args...)
	if t.prof != "" && sc.key == "idle" {
		args = append(args, "-snapshot-url", t.prof+"/debug/pprof/heap,"+t.prof+"/debug/pprof/goroutine",
			"-snapshot-dir", o.profDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var profDone chan struct{}
	if t.prof != "" && sc.key != "idle" {
		profDone = make(chan struct{})
		secs := max(int(o.duration.Seconds()*o.scale)-1, 1)
		go func() {
			defer close(profDone)
			time.Sleep(700 * time.Millisecond) // past connection setup
			fetch(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", t.prof, secs), filepath.Join(o.profDir, sc.key+".cpu.pprof"))
		}()
	}
	cmd := exec.CommandContext(ctx, loadBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if profDone != nil {
		<-profDone
	}
	var r Result
	if err != nil || json.Unmarshal(out.Bytes(), &r) != nil {
		r.Errors = -1
		r.FirstError = fmt.Sprintf("load failed: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	return r
}

func fetch(url, file string) {
	resp, err := http.Get(url)
	if err != nil {
		logf("pprof: %v", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		logf("pprof: %v", err)
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}

func brief(r Result) string {
	s := ""
	switch {
	case r.MemPerConn != 0:
		s = fmt.Sprintf("%.1f KiB/conn (RSS %d -> %d kB)", r.MemPerConn/1024, r.RSSBefore, r.RSSAfter)
	case r.Handshakes != 0:
		s = fmt.Sprintf("%.0f handshakes/s p50 %.0fus p99 %.0fus cpu %.2fs", r.HSPerS, r.P50us, r.P99us, r.CPUs)
	case r.MBPerS != 0 && r.Size > 1024:
		s = fmt.Sprintf("%.0f MB/s cpu %.2fs", r.MBPerS, r.CPUs)
	default:
		s = fmt.Sprintf("%.0f msgs/s p50 %.0fus p99 %.0fus cpu %.2fs", r.MsgsPerS, r.P50us, r.P99us, r.CPUs)
	}
	if r.Errors != 0 {
		s += fmt.Sprintf(" errors=%d (%s)", r.Errors, r.FirstError)
	}
	return s
}

// tgExtraEnv splits -tollgate-env into NAME=VALUE pairs.
func tgExtraEnv(s string) []string {
	var env []string
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			if !strings.Contains(kv, "=") {
				fmt.Fprintf(os.Stderr, "bench: -tollgate-env: %q is not NAME=VALUE\n", kv)
				os.Exit(2)
			}
			env = append(env, kv)
		}
	}
	return env
}
