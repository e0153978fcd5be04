package e2e

// Limits shared through a real Redis by several gateway instances: shared
// rate limits and quotas (in-process gateways, one Redis client each),
// a shared concurrent-connection limit across two real tollgate processes
// (one of them SIGKILLed), and Redis hanging, dying and coming back under
// a running tollgate process.
//
// redis-server must be on PATH (the test task installs it); without it the
// tests fail, they never skip.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// ---------------------------------------------------------------------------
// backend and apis folder

// rdAPI is one API of a test apis folder: path "/" + name.
type rdAPI struct {
	name    string
	ws      bool   // websocket, else http
	inbound string // policy elements for <inbound>
}

// rdWriteAPIs writes an apis folder whose APIs all go to backend.
func rdWriteAPIs(tb testing.TB, backend string, apis ...rdAPI) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, a := range apis {
		typ, svc := "http", backend
		if a.ws {
			typ, svc = "websocket", "ws://"+strings.TrimPrefix(backend, "http://")
		}
		d := filepath.Join(dir, a.name)
		testutil.WriteFile(tb, filepath.Join(d, "api.xml"),
			fmt.Sprintf(`<api name=%q type=%q path="/%s" service-url=%q/>`, a.name, typ, a.name, svc+"/"))
		testutil.WriteFile(tb, filepath.Join(d, "policy.xml"),
			"<policies>\n  <inbound>\n    "+a.inbound+"\n  </inbound>\n  <backend><forward-request timeout=\"10\"/></backend>\n  <outbound/>\n  <on-error/>\n</policies>\n")
	}
	return dir
}

// ---------------------------------------------------------------------------
// in-process gateways

// rdInstance is one in-process gateway replica with its own Redis client.
type rdInstance struct {
	name    string
	url     string // http://127.0.0.1:port
	metrics *gateway.Metrics
	logs    *observer.ObservedLogs
}

// rdNewInstance starts gateway.New on dir with st as its limit store.
func rdNewInstance(tb testing.TB, name, dir string, st store.Store) *rdInstance {
	tb.Helper()
	core, logs := observer.New(zapcore.WarnLevel)
	log := zap.New(core)
	metrics := gateway.NewMetrics()
	gwURL := serveGateway(tb, gateway.Options{
		Dir: dir,
		Registry: policies.Registry(policies.Deps{
			Store: st, Log: log.Named("policy"),
			OnStoreError: func(policy string, err error) { metrics.StoreErrors.WithLabelValues(policy).Inc() },
		}),
		Log:     log,
		Metrics: metrics,
		Getenv:  func(string) string { return "" },
	})
	return &rdInstance{name: name, url: gwURL, metrics: metrics, logs: logs}
}

// rdNewRedisStore is one replica's own Redis client.
func rdNewRedisStore(tb testing.TB, r *redistest.Server, timeout time.Duration) *store.Redis {
	tb.Helper()
	st, err := store.NewRedis(context.Background(), r.URL(), store.RedisOptions{Timeout: timeout})
	if err != nil {
		tb.Fatalf("store.NewRedis: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// ---------------------------------------------------------------------------
// clients

// rdResult is the answer to one handshake or request.
type rdResult struct {
	status     int
	retryAfter string
	body       string
	conn       *websocket.Conn // an upgraded WebSocket, else nil
	took       time.Duration
}

// rdHandshake attempts a WebSocket handshake on base+path. An upgraded
// connection is closed at cleanup unless the caller closes it first.
func rdHandshake(tb testing.TB, ctx context.Context, base, path string) rdResult {
	tb.Helper()
	start := time.Now()
	u := "ws://" + strings.TrimPrefix(base, "http://") + path
	c, resp, err := websocket.Dial(ctx, u, nil)
	res := rdResult{took: time.Since(start)}
	if err == nil {
		tb.Cleanup(func() { _ = c.CloseNow() })
		res.status, res.conn = http.StatusSwitchingProtocols, c
		return res
	}
	if resp == nil {
		tb.Fatalf("handshake %s: no HTTP answer after %v: %v", u, res.took, err)
	}
	res.status, res.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	if resp.Body != nil {
		b, _ := io.ReadAll(resp.Body)
		res.body = string(b)
	}
	return res
}

// rdGet is a plain GET on base+path.
func rdGet(tb testing.TB, ctx context.Context, base, path string) rdResult {
	tb.Helper()
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s%s: %v", base, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rdResult{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b), took: time.Since(start)}
}

// rdCall is a handshake on a WebSocket API (the connection is closed
// right away) or a GET on an HTTP API.
func rdCall(tb testing.TB, ctx context.Context, base, path string, ws bool) rdResult {
	tb.Helper()
	if !ws {
		return rdGet(tb, ctx, base, path)
	}
	res := rdHandshake(tb, ctx, base, path)
	if res.conn != nil {
		_ = res.conn.Close(websocket.StatusNormalClosure, "")
	}
	return res
}

// rdEcho sends msg on c and expects it back.
func rdEcho(tb testing.TB, ctx context.Context, c *websocket.Conn, msg string) {
	tb.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		tb.Fatalf("write %q: %v", msg, err)
	}
	_, got, err := c.Read(ctx)
	if err != nil || string(got) != msg {
		tb.Fatalf("echo of %q: got %q, %v", msg, got, err)
	}
}

// rdEventually polls f every 50ms until it returns true or d passes.
func rdEventually(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rdAvoidHourBoundary waits until the next hour is more than 15s away, so
// hourly quota windows (aligned to the hour) do not renew mid-test.
func rdAvoidHourBoundary(t *testing.T) {
	now := time.Now()
	if next := now.Truncate(time.Hour).Add(time.Hour); next.Sub(now) < 15*time.Second {
		t.Logf("waiting %v for the hour to turn", next.Sub(now)+time.Second)
		time.Sleep(next.Sub(now) + time.Second)
	}
}

// rdCheckRetryAfter checks a Retry-After of whole seconds in [1, max].
func rdCheckRetryAfter(t *testing.T, who string, res rdResult, max int) {
	t.Helper()
	n, err := strconv.Atoi(res.retryAfter)
	if err != nil || n < 1 || n > max {
		t.Errorf("%s: Retry-After %q, want whole seconds in [1, %d]", who, res.retryAfter, max)
	}
}

// ---------------------------------------------------------------------------
// shared limits

// Two gateway replicas, each with its own Redis client, share every limit:
// together they admit exactly the limit, then both refuse.
func TestRedisSharedLimitsAcrossReplicas(t *testing.T) {
	rds := redistest.Start(t)
	backend := testutil.EchoBackend(t)
	dir := rdWriteAPIs(t, backend.URL,
		rdAPI{"ws-rlk", true, `<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(&quot;ws-&quot; + context.Api.Name)"/>`},
		rdAPI{"http-rlk", false, `<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(&quot;http-&quot; + context.Api.Name)"/>`},
		rdAPI{"ws-rl", true, `<rate-limit calls="10" renewal-period="60"/>`},
		rdAPI{"ws-qk", true, `<quota-by-key calls="10" renewal-period="3600" counter-key="ws-quota"/>`},
		rdAPI{"http-q", false, `<quota calls="10" renewal-period="3600"/>`},
		rdAPI{"ws-bw", true, `<quota-by-key bandwidth="1" renewal-period="3600" counter-key="ws-bandwidth"/>`},
	)
	// Generous timeouts: this test is about sharing, and a timeout under
	// the race detector would fail open and admit one call too many.
	const timeout = 2 * time.Second
	a := rdNewInstance(t, "A", dir, rdNewRedisStore(t, rds, timeout))
	b := rdNewInstance(t, "B", dir, rdNewRedisStore(t, rds, timeout))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rdAvoidHourBoundary(t)

	for _, tc := range []struct {
		api    string
		ws     bool
		status int    // refusal status
		reason string // in the refusal body
		maxRA  int    // Retry-After bound
	}{
		// The sliding window can ask for up to renewal-period*(1+1/calls):
		// the previous sub-window's 10 calls are assumed spread over it, so
		// the 11th fits once 1/10 of the next sub-window has passed.
		{"ws-rlk", true, 429, "Rate limit is exceeded", 66},
		{"http-rlk", false, 429, "Rate limit is exceeded", 66},
		{"ws-rl", true, 429, "Rate limit is exceeded", 66},
		{"ws-qk", true, 403, "Out of call volume quota", 3600},
		{"http-q", false, 403, "Out of call volume quota", 3600},
	} {
		t.Run(tc.api, func(t *testing.T) {
			ok := 200
			if tc.ws {
				ok = http.StatusSwitchingProtocols
			}
			admitted := map[string]int{}
			for i := range 14 {
				inst := []*rdInstance{a, b}[i%2]
				res := rdCall(t, ctx, inst.url, "/"+tc.api, tc.ws)
				switch {
				case res.status == ok:
					admitted[inst.name]++
					if i >= 10 {
						t.Errorf("call %d via %s admitted after 10 calls", i+1, inst.name)
					}
				case res.status == tc.status:
					if i < 10 {
						t.Errorf("call %d via %s refused (%d %s) before the limit", i+1, inst.name, res.status, res.body)
					}
					if !strings.Contains(res.body, tc.reason) {
						t.Errorf("refusal via %s: body %s, want %q", inst.name, res.body, tc.reason)
					}
					rdCheckRetryAfter(t, "refusal via "+inst.name, res, tc.maxRA)
				default:
					t.Fatalf("call %d via %s: %d %s", i+1, inst.name, res.status, res.body)
				}
			}
			if admitted["A"]+admitted["B"] != 10 || admitted["A"] != 5 {
				t.Errorf("admitted %v, want 5 via each (10 in total)", admitted)
			}
		})
	}

	// Bandwidth: a session through A moves 2 KB of messages (1 KB quota);
	// once it is over, B refuses the next handshake.
	t.Run("ws-bw", func(t *testing.T) {
		res := rdHandshake(t, ctx, a.url, "/ws-bw")
		if res.conn == nil {
			t.Fatalf("first handshake via A: %d %s", res.status, res.body)
		}
		rdEcho(t, ctx, res.conn, strings.Repeat("x", 1024)) // 1 KB in, 1 KB out
		_ = res.conn.Close(websocket.StatusNormalClosure, "")
		// The bytes are counted when A sees the session end.
		var last rdResult
		if !rdEventually(5*time.Second, func() bool {
			last = rdCall(t, ctx, b.url, "/ws-bw", true)
			return last.status == 403
		}) {
			t.Fatalf("B still answers %d %s after the session used up the bandwidth quota", last.status, last.body)
		}
		if !strings.Contains(last.body, "Out of bandwidth quota") {
			t.Errorf("body %s", last.body)
		}
		rdCheckRetryAfter(t, "bandwidth refusal via B", last, 3600)
		if res := rdCall(t, ctx, a.url, "/ws-bw", true); res.status != 403 {
			t.Errorf("A: %d %s, want 403", res.status, res.body)
		}
	})

	// Keys carry the namespace and expire on their own.
	rc := redis.NewClient(&redis.Options{Addr: rds.Addr()})
	defer rc.Close()
	keys, err := rc.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	// One key per counter: 3 rate limits, 2 call quotas, 1 bandwidth quota.
	if len(keys) != 6 {
		t.Errorf("%d keys in Redis, want 6: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, store.DefaultRedisPrefix) {
			t.Errorf("key %q lacks the %q namespace", k, store.DefaultRedisPrefix)
		}
		if ttl, err := rc.PTTL(ctx, k).Result(); err != nil || ttl <= 0 {
			t.Errorf("key %q: PTTL %v, %v; want an expiry", k, ttl, err)
		}
	}
	for _, inst := range []*rdInstance{a, b} {
		if n := inst.logs.FilterMessageSnippet("store call failed").Len(); n > 0 {
			t.Errorf("%s logged %d store failures", inst.name, n)
		}
	}
}

// ---------------------------------------------------------------------------
// tollgate processes

// rdBuildTollgate builds cmd/tollgate into a temp dir.
func rdBuildTollgate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tollgate")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "tollgate/cmd/tollgate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tollgate: %v\n%s", err, out)
	}
	return bin
}

// rdProc is one `tollgate serve` process.
type rdProc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	url   string // API traffic
	admin string
	log   *rdLogBuf
	done  chan struct{}
}

// rdLogBuf collects a process's log output.
type rdLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *rdLogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *rdLogBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rdStartProc runs `tollgate serve` on loopback ports against rds (given
// with --redis, or with TOLLGATE_REDIS when viaEnv) and waits until it is
// ready.
func rdStartProc(t *testing.T, bin, name, dir string, rds *redistest.Server, viaEnv bool, extra ...string) *rdProc {
	t.Helper()
	listen, admin := testutil.FreeAddr(t), testutil.FreeAddr(t)
	args := []string{"serve", "--apis", dir, "--listen", listen, "--admin", admin,
		"--watch=false", "--log-format", "json", "--drain-timeout", "2s"}
	// Nothing from the test's environment but PATH and HOME.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if viaEnv {
		env = append(env, "TOLLGATE_REDIS="+rds.URL())
	} else {
		args = append(args, "--redis", rds.URL())
	}
	cmd := exec.Command(bin, append(args, extra...)...)
	cmd.Env = env
	p := &rdProc{t: t, name: name, cmd: cmd, url: "http://" + listen, admin: "http://" + admin, log: &rdLogBuf{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tollgate %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("tollgate %s log:\n%s", name, p.log.String())
		}
	})
	if !rdEventually(15*time.Second, func() bool {
		select {
		case <-p.done:
			t.Fatalf("tollgate %s exited during start; log:\n%s", name, p.log.String())
		default:
		}
		resp, err := http.Get(p.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}) {
		t.Fatalf("tollgate %s not ready within 15s; log:\n%s", name, p.log.String())
	}
	return p
}

// Kill SIGKILLs the process (a crash) and waits for it.
func (p *rdProc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// storeErrors reads tollgate_store_errors_total{policy} from /metrics.
func (p *rdProc) storeErrors(policy string) float64 {
	p.t.Helper()
	resp, err := http.Get(p.admin + "/metrics")
	if err != nil {
		p.t.Fatalf("%s /metrics: %v", p.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^tollgate_store_errors_total\{policy="` + regexp.QuoteMeta(policy) + `"\} (\S+)$`)
	m := re.FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		p.t.Fatalf("%s /metrics: %q: %v", p.name, m[0], err)
	}
	return v
}

// Two tollgate processes share limit-concurrency's slots through Redis.
// Killing one (SIGKILL: no release, no more renewals) frees its slots once
// their leases run out.
func TestRedisConcurrencyAcrossProcesses(t *testing.T) {
	bin := rdBuildTollgate(t)
	rds := redistest.Start(t)
	backend := testutil.EchoBackend(t)
	const lease = 2 * time.Second
	dir := rdWriteAPIs(t, backend.URL,
		rdAPI{"ws", true, `<limit-concurrency counter-key="@(&quot;tenant-a&quot;)" max-count="4" lease-seconds="2"/>`})
	a := rdStartProc(t, bin, "A", dir, rds, false, "--store-timeout", "1s")
	b := rdStartProc(t, bin, "B", dir, rds, true, "--store-timeout", "1s") // TOLLGATE_REDIS
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	open := func(p *rdProc, what string) *websocket.Conn {
		t.Helper()
		res := rdHandshake(t, ctx, p.url, "/ws")
		if res.conn == nil {
			t.Fatalf("%s via %s: %d %s", what, p.name, res.status, res.body)
		}
		rdEcho(t, ctx, res.conn, what)
		return res.conn
	}
	refused := func(p *rdProc, what string) {
		t.Helper()
		res := rdHandshake(t, ctx, p.url, "/ws")
		if res.conn != nil {
			t.Fatalf("%s via %s: upgraded; want 429", what, p.name)
		}
		if res.status != 429 || !strings.Contains(res.body, "Too many concurrent requests") {
			t.Fatalf("%s via %s: %d %s; want 429 Too many concurrent requests", what, p.name, res.status, res.body)
		}
	}

	for _, p := range []*rdProc{a, b} {
		if !strings.Contains(p.log.String(), "shared through redis") {
			t.Fatalf("%s does not use Redis; log:\n%s", p.name, p.log.String())
		}
	}
	a1, _ := open(a, "a1"), open(a, "a2")
	b1, b2 := open(b, "b1"), open(b, "b2")
	refused(a, "5th")
	refused(b, "5th")

	// Closing one frees its slot at once (released when A sees the end).
	_ = a1.Close(websocket.StatusNormalClosure, "")
	var a3 *websocket.Conn
	if !rdEventually(5*time.Second, func() bool {
		res := rdHandshake(t, ctx, a.url, "/ws")
		a3 = res.conn
		return a3 != nil
	}) {
		t.Fatal("a closed connection's slot was not freed within 5s")
	}
	rdEcho(t, ctx, a3, "a3")
	refused(b, "5th after the replacement")

	// Long enough for several renewals: held leases do not expire.
	time.Sleep(2 * lease)
	refused(a, "5th after 2 lease times")
	rdEcho(t, ctx, b1, "b1 still open")

	// Crash B: its two connections die with it and nobody releases or
	// renews their leases.
	b.Kill()
	killed := time.Now()
	for _, c := range []*websocket.Conn{b1, b2} {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		_, _, err := c.Read(rctx)
		rcancel()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a connection through the killed B is still alive: %v", err)
		}
	}
	// Right after the crash the dead leases still hold their slots (each has
	// at least lease/2 left), so A refuses; checked only if we got here fast.
	if res := rdHandshake(t, ctx, a.url, "/ws"); time.Since(killed) < lease/4 {
		if res.conn != nil {
			t.Errorf("A admitted a 5th connection %v after B died, before its leases could expire", time.Since(killed))
		}
	} else if res.conn != nil {
		_ = res.conn.Close(websocket.StatusNormalClosure, "")
	}

	// Within the lease time (+ margin) A admits up to 4 again: both of B's
	// slots come back (each when its own lease runs out).
	var freed time.Duration
	for _, name := range []string{"n1", "n2"} {
		var c *websocket.Conn
		if !rdEventually(killed.Add(lease+3*time.Second).Sub(time.Now()), func() bool {
			c = rdHandshake(t, ctx, a.url, "/ws").conn
			return c != nil
		}) {
			t.Fatalf("%s: the killed replica's slots were not all freed within %v", name, lease+3*time.Second)
		}
		freed = time.Since(killed)
		rdEcho(t, ctx, c, name)
	}
	refused(a, "5th after recovery")
	refused(a, "5th after recovery, again")
	t.Logf("both slots of the SIGKILLed replica were free again %v after the kill (lease-seconds=2)", freed.Round(10*time.Millisecond))
	if strings.Contains(a.log.String(), "store call failed") {
		t.Errorf("A logged store failures:\n%s", a.log.String())
	}
}

// Redis hangs, dies and comes back under a running tollgate: fail-open
// policies admit (with a log line and the metric), fail-open="false" ones
// answer 503, nothing takes longer than the store timeout allows, and limits
// are enforced again once Redis is back, without restarting tollgate.
func TestRedisOutageFailOpenFailClosedRecovery(t *testing.T) {
	bin := rdBuildTollgate(t)
	rds := redistest.Start(t)
	backend := testutil.EchoBackend(t)
	dir := rdWriteAPIs(t, backend.URL,
		rdAPI{"open", true, `<rate-limit-by-key calls="3" renewal-period="60" counter-key="open"/>` +
			`<limit-concurrency counter-key="open" max-count="100" lease-seconds="2"/>`},
		rdAPI{"closed", true, `<rate-limit-by-key calls="1000" renewal-period="60" counter-key="closed" fail-open="false"/>`},
		rdAPI{"open-http", false, `<quota-by-key calls="3" renewal-period="0" counter-key="open-http"/>`},
		rdAPI{"closed-http", false, `<quota-by-key calls="1000" renewal-period="3600" counter-key="closed-http" fail-open="false"/>`},
		rdAPI{"held", true, `<limit-concurrency counter-key="held" max-count="1" lease-seconds="1"/>`},
	)
	const storeTimeout = 300 * time.Millisecond
	g := rdStartProc(t, bin, "G", dir, rds, false, "--store-timeout", storeTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	// expectLimits: a fresh window admits exactly 3, then refuses.
	expectLimits := func(phase string) {
		t.Helper()
		for i := range 4 {
			ws := rdCall(t, ctx, g.url, "/open", true)
			hp := rdCall(t, ctx, g.url, "/open-http", false)
			if i < 3 && (ws.status != 101 || hp.status != 200) {
				t.Fatalf("%s: call %d: ws %d %s, http %d %s; want admitted", phase, i+1, ws.status, ws.body, hp.status, hp.body)
			}
			if i == 3 && (ws.status != 429 || hp.status != 403) {
				t.Fatalf("%s: call 4: ws %d, http %d; want 429 and 403", phase, ws.status, hp.status)
			}
		}
	}
	expectLimits("healthy")
	// A session holding a limit-concurrency lease goes on through the
	// outage (its renewals fail meanwhile).
	held := rdHandshake(t, ctx, g.url, "/held")
	if held.conn == nil {
		t.Fatalf("healthy /held: %d %s", held.status, held.body)
	}
	rdEcho(t, ctx, held.conn, "before")
	if res := rdCall(t, ctx, g.url, "/closed", true); res.status != 101 {
		t.Fatalf("healthy /closed: %d %s", res.status, res.body)
	}
	if n := g.storeErrors("rate-limit-by-key"); n != 0 {
		t.Fatalf("store errors while healthy: %v", n)
	}

	// outage runs the fail-open and fail-closed calls against a broken
	// Redis. Each store call may take up to storeTimeout; the /open
	// handshake makes two (rate limit, concurrency).
	outage := func(phase string, minTook time.Duration) {
		t.Helper()
		before := g.storeErrors("rate-limit-by-key")
		bound := 2 * time.Second
		for i := range 2 {
			for _, c := range []struct {
				path string
				ws   bool
				want int
			}{
				{"/open", true, 101},       // over its limit, but fail-open admits
				{"/open-http", false, 200}, // idem
				{"/closed", true, 503},     // fail-open="false"
				{"/closed-http", false, 503},
			} {
				res := rdCall(t, ctx, g.url, c.path, c.ws)
				if res.status != c.want {
					t.Errorf("%s: %s #%d: %d %s; want %d", phase, c.path, i+1, res.status, res.body, c.want)
				}
				if res.took > bound {
					t.Errorf("%s: %s #%d took %v; want < %v (store timeout %v)", phase, c.path, i+1, res.took, bound, storeTimeout)
				}
				if res.took < minTook {
					t.Errorf("%s: %s #%d took only %v: the store call did not wait --store-timeout=%v", phase, c.path, i+1, res.took, storeTimeout)
				}
				if c.want == 503 && !strings.Contains(res.body, "unavailable") {
					t.Errorf("%s: %s: body %s", phase, c.path, res.body)
				}
			}
		}
		if after := g.storeErrors("rate-limit-by-key"); after < before+4 {
			t.Errorf("%s: tollgate_store_errors_total{policy=\"rate-limit-by-key\"} went from %v to %v; want +4", phase, before, after)
		}
	}

	// 1. Redis wedged (SIGSTOP): calls time out after --store-timeout.
	rds.Pause()
	outage("paused", storeTimeout-50*time.Millisecond)
	// 2. Redis dead (SIGKILL): connections are refused at once.
	rds.Stop()
	outage("killed", 0)
	if n := g.storeErrors("quota-by-key"); n < 4 {
		t.Errorf("tollgate_store_errors_total{policy=\"quota-by-key\"} = %v, want >= 4", n)
	}
	if log := g.log.String(); !strings.Contains(log, `store call failed`) || !strings.Contains(log, `"failOpen":false`) || !strings.Contains(log, `"failOpen":true`) {
		t.Errorf("no store failure logged (fail-open and fail-closed); log:\n%s", log)
	}

	// 3. Redis back on the same port, empty: within a few seconds the
	// gateway uses it again by itself.
	rds.Start()
	restarted := time.Now()
	var last rdResult
	if !rdEventually(10*time.Second, func() bool {
		last = rdCall(t, ctx, g.url, "/closed", true)
		return last.status == 101
	}) {
		t.Fatalf("/closed still answers %d %s 10s after Redis came back", last.status, last.body)
	}
	t.Logf("recovered %v after redis-server restarted", time.Since(restarted).Round(10*time.Millisecond))
	expectLimits("recovered")
	if res := rdCall(t, ctx, g.url, "/closed-http", false); res.status != 200 {
		t.Errorf("recovered /closed-http: %d %s", res.status, res.body)
	}
	rdEcho(t, ctx, held.conn, "after")
	select {
	case <-g.done:
		t.Fatal("tollgate exited")
	default:
	}
}
