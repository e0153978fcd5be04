package gateway

// Hot reload tests: real files in t.TempDir(), real sockets, real fsnotify.
// Helpers are prefixed hr so they never collide with other test files.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway/h1/h1test"
	"tollgate/gateway/wsproxy"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

const (
	hrTimeout = 20 * time.Second
	// hrSeenWithin is the bound: after a valid edit, a new
	// handshake sees the new policy within 500 ms.
	hrSeenWithin = 500 * time.Millisecond
)

// hrEnv is a gateway serving an apis folder, with a WebSocket backend that
// greets each connection with "hello <X-Version header>" and then echoes,
// and a REST backend that answers "ok <X-Version>".
type hrEnv struct {
	t       testing.TB
	dir     string
	srv     *Server
	gw      *h1test.Server
	ws      string // ws://127.0.0.1:port
	admin   *httptest.Server
	logs    *observer.ObservedLogs
	wsURL   string // the WebSocket backend
	restURL string // the REST backend
	w       *Watcher
	header  http.Header // sent with every handshake (nil: none)
}

// hrNew prepares the backends and an empty apis folder; write files, then
// call start.
func hrNew(t testing.TB) *hrEnv {
	t.Helper()
	e := &hrEnv{t: t, dir: filepath.Join(t.TempDir(), "apis")}
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	wsb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		ctx := context.Background()
		if err := c.Write(ctx, websocket.MessageText, []byte("hello "+r.Header.Get("X-Version"))); err != nil {
			return
		}
		testutil.Echo(ctx, c)
	}))
	t.Cleanup(wsb.Close)
	e.wsURL = "ws" + strings.TrimPrefix(wsb.URL, "http")
	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.Header.Get("X-Version"))
	}))
	t.Cleanup(rest.Close)
	e.restURL = rest.URL
	return e
}

// start serves the folder; with watch, a real Watcher follows it.
func (e *hrEnv) start(watch bool) *hrEnv {
	e.t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	e.logs = logs
	srv, err := New(Options{
		Dir:      e.dir,
		Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log:      zap.New(core),
		Getenv:   func(string) string { return "" },
	})
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.srv = srv
	e.gw = h1test.NewServer(srv)
	e.ws = "ws" + strings.TrimPrefix(e.gw.URL, "http")
	e.admin = httptest.NewServer(srv.AdminHandler())
	e.t.Cleanup(func() {
		if e.w != nil {
			_ = e.w.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), hrTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			e.t.Errorf("Shutdown: %v", err)
		}
		e.gw.Close()
		e.admin.Close()
		if e.t.Failed() {
			for _, l := range logs.All() {
				e.t.Logf("log: %s %s %v", l.Level, l.Message, l.ContextMap())
			}
		}
	})
	if watch {
		e.watch(WatchOptions{})
	}
	return e
}

func (e *hrEnv) watch(opt WatchOptions) {
	e.t.Helper()
	w, err := WatchWith(context.Background(), e.srv, e.dir, e.srv.log.Named("watch"), opt)
	if err != nil {
		e.t.Fatalf("Watch: %v", err)
	}
	e.w = w
}

// hrPolicy is a policy that sets X-Version (which the backends echo), so a
// new handshake tells which configuration is live.
func hrPolicy(version string) string {
	return `<policies>
  <inbound>
    <set-header name="X-Version" exists-action="override"><value>` + version + `</value></set-header>
  </inbound>
</policies>
`
}

// hrBadPolicy fails to load at a known place: policy.xml:3:49.
func hrBadPolicy(version string) string {
	return `<policies>
  <inbound>
    <set-header name="X-Version" exists-action="sometimes"><value>` + version + `</value></set-header>
  </inbound>
</policies>
`
}

func (e *hrEnv) apiXML(name, path, attrs string) string {
	return fmt.Sprintf("<api name=%q type=\"websocket\" path=%q service-url=%q %s/>\n", name, path, e.wsURL, attrs)
}

// writeAPI writes a WebSocket API folder: name/api.xml and name/policy.xml.
func (e *hrEnv) writeAPI(name, path, version, attrs string) {
	e.t.Helper()
	testutil.WriteFile(e.t, filepath.Join(e.dir, name, "api.xml"), e.apiXML(name, path, attrs))
	testutil.WriteFile(e.t, filepath.Join(e.dir, name, "policy.xml"), hrPolicy(version))
}

// hrRenameOver writes a temporary file next to path and renames it onto
// path, as atomic writers (and vim, VS Code) save.
func hrRenameOver(t testing.TB, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+strconv.Itoa(int(time.Now().UnixNano()%1e6)))
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// hello makes a new handshake on path and returns the backend's greeting
// ("hello <version>"), or an error such as "status 404".
func (e *hrEnv) hello(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, e.ws+path, &websocket.DialOptions{HTTPHeader: e.header})
	if err != nil {
		if resp != nil {
			return "", fmt.Errorf("status %d", resp.StatusCode)
		}
		return "", err
	}
	defer c.CloseNow()
	_, data, err := c.Read(ctx)
	if err != nil {
		return "", err
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	return string(data), nil
}

// waitHello starts a new handshake on path every 20 ms (without waiting
// for the previous ones: under load one handshake may take a while) until
// one greets with want (or fails with the error text want). It returns the
// time from since to the end of the earliest handshake that saw want, and
// checks that every handshake started after that saw want too (the swap is
// atomic: no flapping back).
func (e *hrEnv) waitHello(path, want string, since time.Time) time.Duration {
	e.t.Helper()
	type result struct {
		start, end time.Time
		got        string
	}
	results := make(chan result, 4096)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	launch := func() {
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			start := time.Now()
			got, err := e.hello(path)
			if err != nil {
				got = err.Error()
			}
			results <- result{start, time.Now(), got}
		}()
	}
	var all []result
	var seen time.Time
	launch()
	deadline := time.After(hrTimeout)
	for seen.IsZero() {
		select {
		case <-tick.C:
			launch()
		case r := <-results:
			all = append(all, r)
			if r.got == want {
				seen = r.end
			}
		case <-deadline:
			e.t.Fatalf("%s: never saw %q (last: %v)", path, want, all[max(0, len(all)-3):])
		}
	}
	launch() // one more, certainly after: it must see want
	inflight.Wait()
	close(results)
	for r := range results {
		all = append(all, r)
	}
	for _, r := range all {
		if r.got == want && r.end.Before(seen) {
			seen = r.end
		}
	}
	for _, r := range all {
		if r.start.After(seen) && r.got != want {
			e.t.Errorf("%s: a handshake started %s after one had seen %q got %q", path, r.start.Sub(seen), want, r.got)
		}
	}
	return seen.Sub(since)
}

// wantHello asserts that a new handshake greets with want right now.
func (e *hrEnv) wantHello(path, want string) {
	e.t.Helper()
	got, err := e.hello(path)
	if err != nil {
		got = err.Error()
	}
	if got != want {
		e.t.Fatalf("%s: got %q, want %q", path, got, want)
	}
}

// waitReload waits for a reload that started after since and returns it.
func (e *hrEnv) waitReload(since time.Time) *ReloadStatus {
	e.t.Helper()
	deadline := time.Now().Add(hrTimeout)
	for time.Now().Before(deadline) {
		if st := e.srv.LastReload(); st != nil && !st.Time.Before(since) {
			return st
		}
		time.Sleep(2 * time.Millisecond)
	}
	e.t.Fatalf("no reload after %s", since.Format(time.RFC3339Nano))
	return nil
}

// statusJSON fetches /status/reload.
func (e *hrEnv) statusJSON() map[string]any {
	e.t.Helper()
	resp, err := http.Get(e.admin.URL + "/status/reload")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// metric returns the value of one series from /metrics ("" when absent).
func (e *hrEnv) metric(series string) float64 {
	e.t.Helper()
	resp, err := http.Get(e.admin.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// reloads counts reloads by result.
func (e *hrEnv) reloads(result string) float64 {
	return e.metric(`tollgate_config_reloads_total{result="` + result + `"}`)
}

// hrConn is a live WebSocket session used to prove a reload leaves it alone.
type hrConn struct {
	c     *websocket.Conn
	hello string
	seq   int
}

func (e *hrEnv) open(path string) *hrConn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.ws+path, nil)
	if err != nil {
		e.t.Fatalf("dial %s: %v", path, err)
	}
	_, data, err := c.Read(ctx)
	if err != nil {
		e.t.Fatalf("read hello on %s: %v", path, err)
	}
	e.t.Cleanup(func() { c.CloseNow() })
	return &hrConn{c: c, hello: string(data)}
}

// echo sends the next sequenced message and checks its echo.
func (c *hrConn) echo() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.seq++
	msg := strconv.Itoa(c.seq)
	if err := c.c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		return err
	}
	_, data, err := c.c.Read(ctx)
	if err != nil {
		return err
	}
	if string(data) != msg {
		return fmt.Errorf("sent %s, got %q back", msg, data)
	}
	return nil
}

func (e *hrEnv) mustEcho(what string, c *hrConn) {
	e.t.Helper()
	if err := c.echo(); err != nil {
		e.t.Fatalf("%s: session disturbed: %v", what, err)
	}
}

// hrCloseOf reads until the connection ends and returns the close status.
func hrCloseOf(c *websocket.Conn) (websocket.StatusCode, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), hrTimeout)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Reason, nil
			}
			return -1, "", err
		}
	}
}

var hrErrLine = regexp.MustCompile(`^[^:]+\.xml:\d+:\d+: .+`)

// TestReloadSIGHUPTrigger: Reload (as SIGHUP calls it) swaps in a valid
// edit, keeps the old config on an invalid one, and reports each outcome.
func TestReloadSIGHUPTrigger(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(false)
	live := e.open("/chat")
	first := e.srv.Current()
	if st := e.srv.LastReload(); st.Trigger != "startup" || st.Result != ReloadSuccess || st.ConfigHash != first.Hash {
		t.Fatalf("startup status: %+v", st)
	}

	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), hrPolicy("v2"))
	st := e.srv.Reload("SIGHUP")
	if st.Result != ReloadSuccess || st.Trigger != "SIGHUP" || st.PreviousHash != first.Hash || st.ConfigHash == first.Hash ||
		st.ConfigHash != e.srv.Current().Hash || st.APIs != 1 || strings.Join(st.Changed, ",") != "~chat" {
		t.Fatalf("valid reload: %+v", st)
	}
	e.wantHello("/chat", "hello v2")
	e.mustEcho("after a valid reload", live)

	second := e.srv.Current()
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), hrBadPolicy("v3"))
	st = e.srv.Reload("SIGHUP")
	if st.Result != ReloadFailure || st.ConfigHash != second.Hash || e.srv.Current() != second || len(st.Errors) != 1 {
		t.Fatalf("invalid reload: %+v", st)
	}
	if want := filepath.Join(e.dir, "chat", "policy.xml") + ":3:49: "; !strings.HasPrefix(st.Errors[0], want) {
		t.Fatalf("error %q does not start with %q", st.Errors[0], want)
	}
	if len(e.logs.FilterMessage("config error").FilterField(zap.String("error", st.Errors[0])).All()) != 1 {
		t.Fatalf("the error was not logged as file:line:col: message")
	}
	e.wantHello("/chat", "hello v2")
	e.mustEcho("after an invalid reload", live)

	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), hrPolicy("v2"))
	st = e.srv.Reload("SIGHUP")
	if st.Result != ReloadUnchanged || e.srv.Current() != second {
		t.Fatalf("fixed back to the running content: %+v", st)
	}
	if live.hello != "hello v1" {
		t.Fatalf("live session greeted %q", live.hello)
	}
}

// TestReloadStatusEndpoint: /status/reload and the metrics after success,
// failure and unchanged reloads.
func TestReloadStatusEndpoint(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.writeAPI("news", "/news", "v1", "")
	e.start(true)
	m := e.statusJSON()
	if m["trigger"] != "startup" || m["result"] != "success" || m["apis"] != 2.0 || m["config_hash"] != e.srv.Current().Hash {
		t.Fatalf("startup: %v", m)
	}
	if e.metric("tollgate_config_last_reload_success_timestamp_seconds") < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Fatal("last success timestamp not set")
	}
	okBefore, failBefore := e.reloads("success"), e.reloads("failure")

	// An invalid edit: failure with file:line:col errors; old config stays.
	t0 := time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "news", "policy.xml"), hrBadPolicy("v2"))
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "api.xml"), e.apiXML("chat", "/chat", `idle-timeout="soon"`))
	st := e.waitReload(t0)
	if st.Result != ReloadFailure {
		t.Fatalf("got %+v", st)
	}
	m = e.statusJSON()
	errs, _ := m["errors"].([]any)
	if m["result"] != "failure" || m["trigger"] != "watch" || len(errs) != 2 || m["config_hash"] != e.srv.Current().Hash {
		t.Fatalf("failure status: %v", m)
	}
	for _, x := range errs {
		if !hrErrLine.MatchString(x.(string)) {
			t.Errorf("error %q is not file:line:col: message", x)
		}
	}
	if !strings.Contains(errs[0].(string), filepath.Join("chat", "api.xml")+":1:") || !strings.Contains(errs[1].(string), filepath.Join("news", "policy.xml")+":3:49:") {
		t.Errorf("errors: %v", errs)
	}
	for _, k := range []string{"time", "duration", "event_to_swap", "events", "previous_hash"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status has no %q: %v", k, m)
		}
	}
	if got := e.reloads("failure"); got != failBefore+1 {
		t.Errorf("failure count %v, want %v", got, failBefore+1)
	}
	e.wantHello("/news", "hello v1")

	// Fixing it: success.
	t0 = time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "news", "policy.xml"), hrPolicy("v2"))
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "api.xml"), e.apiXML("chat", "/chat", `idle-timeout="60"`))
	e.waitHello("/news", "hello v2", t0)
	st = e.waitReload(t0)
	m = e.statusJSON()
	if m["result"] != "success" || m["errors"] != nil || m["config_hash"] != e.srv.Current().Hash || m["apis"] != 2.0 {
		t.Fatalf("success status: %v", m)
	}
	if ch, _ := m["changed"].([]any); len(ch) != 2 || ch[0] != "~chat" || ch[1] != "~news" {
		t.Errorf("changed: %v", m["changed"])
	}
	if d, err := time.ParseDuration(m["event_to_swap"].(string)); err != nil || d <= 0 {
		t.Errorf("event_to_swap %v", m["event_to_swap"])
	}
	if got := e.reloads("success"); got < okBefore+1 {
		t.Errorf("success count %v, want > %v", got, okBefore)
	}
	if e.metric(`tollgate_config_info{hash="`+st.ConfigHash+`"}`) != 1 {
		t.Errorf("tollgate_config_info does not show %s", st.ConfigHash)
	}
}

// TestReloadUnchanged: touching a file or rewriting identical bytes reloads
// to "unchanged" and swaps nothing.
func TestReloadUnchanged(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(true)
	snap := e.srv.Current()
	policy := filepath.Join(e.dir, "chat", "policy.xml")
	unchanged := e.reloads("unchanged")

	t0 := time.Now()
	if err := os.Chtimes(policy, t0, t0); err != nil {
		t.Fatal(err)
	}
	if st := e.waitReload(t0); st.Result != ReloadUnchanged || st.ConfigHash != snap.Hash {
		t.Fatalf("touch: %+v", st)
	}
	t0 = time.Now()
	testutil.WriteFile(t, policy, hrPolicy("v1"))
	if st := e.waitReload(t0); st.Result != ReloadUnchanged {
		t.Fatalf("identical bytes: %+v", st)
	}
	if e.srv.Current() != snap {
		t.Fatal("an unchanged reload swapped the snapshot")
	}
	if got := e.reloads("unchanged"); got < unchanged+2 {
		t.Fatalf("unchanged count %v, want ≥ %v", got, unchanged+2)
	}
}

// TestReloadRateLimitSurvives: limit counters live in the store, keyed by
// API and policy identity, so a reload does not reset them.
func TestReloadRateLimitSurvives(t *testing.T) {
	e := hrNew(t)
	byKey := func(version string) string {
		return `<policies>
  <inbound>
    <rate-limit-by-key calls="3" renewal-period="60" counter-key="reload-test"/>
    <set-header name="X-Version" exists-action="override"><value>` + version + `</value></set-header>
  </inbound>
</policies>
`
	}
	perAPI := func(version string) string {
		return `<policies>
  <inbound>
    <set-header name="X-Version" exists-action="override"><value>` + version + `</value></set-header>
    <rate-limit calls="3" renewal-period="60"/>
  </inbound>
</policies>
`
	}
	rest := func(name, path string) string {
		return fmt.Sprintf("<api name=%q type=\"http\" path=%q service-url=%q/>\n", name, path, e.restURL)
	}
	testutil.WriteFile(t, filepath.Join(e.dir, "bykey", "api.xml"), rest("bykey", "/bykey"))
	testutil.WriteFile(t, filepath.Join(e.dir, "bykey", "policy.xml"), byKey("v1"))
	testutil.WriteFile(t, filepath.Join(e.dir, "perapi", "api.xml"), rest("perapi", "/perapi"))
	testutil.WriteFile(t, filepath.Join(e.dir, "perapi", "policy.xml"), perAPI("v1"))
	e.start(false)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(e.gw.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/bykey", "/perapi"} {
		for i := 0; i < 2; i++ {
			if code, body := get(path); code != 200 || body != "ok v1" {
				t.Fatalf("%s call %d: %d %s", path, i+1, code, body)
			}
		}
	}
	// A changed but compatible document: the same limits, a new header value.
	testutil.WriteFile(t, filepath.Join(e.dir, "bykey", "policy.xml"), byKey("v2"))
	testutil.WriteFile(t, filepath.Join(e.dir, "perapi", "policy.xml"), perAPI("v2"))
	if st := e.srv.Reload("test"); st.Result != ReloadSuccess || len(st.Changed) != 2 {
		t.Fatalf("reload: %+v", st)
	}
	for _, path := range []string{"/bykey", "/perapi"} {
		if code, body := get(path); code != 200 || body != "ok v2" {
			t.Fatalf("%s call 3 (new policy): %d %s", path, code, body)
		}
		if code, body := get(path); code != http.StatusTooManyRequests {
			t.Fatalf("%s call 4: %d %s; the counter did not survive the reload", path, code, body)
		}
	}
}

// TestReloadDrainOnChange: only the changed API that opted in gets its
// sessions closed with 1012, spread over drain-window; an unchanged API
// with the option, a changed API without it and a removed API with it keep
// their sessions.
func TestReloadDrainOnChange(t *testing.T) {
	e := hrNew(t)
	drain := `drain-on-change="true" drain-after="0" drain-window="1"`
	e.writeAPI("a", "/a", "v1", drain)       // changed, opted in: drained
	e.writeAPI("b", "/b", "v1", drain)       // unchanged, opted in
	e.writeAPI("c", "/c", "v1", "")          // changed, not opted in
	e.writeAPI("gone", "/gone", "v1", drain) // removed, opted in
	e.start(true)
	var as []*hrConn
	for i := 0; i < 3; i++ {
		as = append(as, e.open("/a"))
	}
	b, c, gone := e.open("/b"), e.open("/c"), e.open("/gone")

	t0 := time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "a", "policy.xml"), hrPolicy("v2"))
	testutil.WriteFile(t, filepath.Join(e.dir, "c", "policy.xml"), hrPolicy("v2"))
	if err := os.RemoveAll(filepath.Join(e.dir, "gone")); err != nil {
		t.Fatal(err)
	}
	e.waitHello("/a", "hello v2", t0)
	e.waitHello("/gone", "status 404", t0)

	type closed struct {
		at     time.Time
		code   websocket.StatusCode
		reason string
		err    error
	}
	ch := make(chan closed, len(as))
	for _, a := range as {
		go func() {
			code, reason, err := hrCloseOf(a.c)
			ch <- closed{time.Now(), code, reason, err}
		}()
	}
	var first, last time.Time
	for range as {
		cl := <-ch
		if cl.err != nil || cl.code != websocket.StatusServiceRestart {
			t.Fatalf("a session of the changed API ended with %d %q %v, want 1012", cl.code, cl.reason, cl.err)
		}
		if first.IsZero() {
			first = cl.at
		}
		last = cl.at
	}
	if spread := last.Sub(first); spread < 400*time.Millisecond {
		t.Errorf("3 sessions over a 1s window closed within %s: not spread", spread)
	}
	for name, s := range map[string]*hrConn{"b (unchanged)": b, "c (no drain-on-change)": c, "gone (removed)": gone} {
		e.mustEcho(name, s)
	}
	// At least the three, drained and closed by the gateway with 1012:
	// waitHello's probes of /a still open at the swap (each closes as soon
	// as it has its greeting) may be counted too, when the drain reaches
	// them before their own close.
	drainedClosed := func() (float64, float64) {
		return e.metric(`tollgate_websocket_drained_total{api="a"}`),
			e.metric(`tollgate_websocket_closes_total{api="a",closed_by="` + wsproxy.ClosedByGateway + `",code="1012"}`)
	}
	waitForCond(t, "drained metric", func() bool { d, c := drainedClosed(); return d >= 3 && c >= 3 })
	// New sessions of a run the new plan and are not drained again.
	a2 := e.open("/a")
	if a2.hello != "hello v2" {
		t.Fatalf("new session greeted %q", a2.hello)
	}
	time.Sleep(300 * time.Millisecond)
	e.mustEcho("a new session of the changed API", a2)
}

func waitForCond(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hrTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReloadUnderLoad is the test: 50 WebSocket sessions exchange
// sequenced messages continuously while 20 reloads (valid and invalid
// mixed) are applied through the watcher. No session is dropped, no
// message lost or reordered; after each valid reload a new handshake sees
// the new policy within 500 ms, after each invalid one the old policy.
func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v0", "")
	e.writeAPI("game", "/game", "v0", "")
	e.start(true)

	const conns = 50
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		msgs    atomic.Int64
		errMu   sync.Mutex
		connErr []error
	)
	for i := 0; i < conns; i++ {
		path := "/chat"
		if i%2 == 1 {
			path = "/game"
		}
		c := e.open(path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := c.echo(); err != nil {
					errMu.Lock()
					connErr = append(connErr, fmt.Errorf("session %d (%s, msg %d): %w", i, path, c.seq, err))
					errMu.Unlock()
					return
				}
				msgs.Add(1)
				time.Sleep(5 * time.Millisecond)
			}
			if err := c.c.Close(websocket.StatusNormalClosure, "done"); err != nil {
				errMu.Lock()
				connErr = append(connErr, fmt.Errorf("session %d: close: %w", i, err))
				errMu.Unlock()
			}
		}()
	}

	live := "v0"
	var worst, seenWorst time.Duration
	failures := e.reloads("failure")
	for i := 1; i <= 20; i++ {
		version := "v" + strconv.Itoa(i)
		policy := filepath.Join(e.dir, "chat", "policy.xml")
		t0 := time.Now()
		switch i % 4 {
		case 1, 3: // valid, alternately written in place and renamed over
			e.writeAPI("game", "/game", version, "")
			if i%4 == 1 {
				testutil.WriteFile(t, policy, hrPolicy(version))
			} else {
				hrRenameOver(t, policy, hrPolicy(version))
			}
			d := e.waitHello("/chat", "hello "+version, t0)
			e.wantHello("/game", "hello "+version)
			st := e.srv.LastReload()
			if st.Result == ReloadUnchanged && st.ConfigHash == e.srv.Current().Hash {
				// A late event of the same write (a loaded machine spreads
				// them over more than one debounce window) reloaded the
				// same files again after the swap: the swap itself is no
				// longer the last status, so it has no timing to check.
				t.Logf("reload %d: swapped, then reloaded unchanged by a late event", i)
				live = version
				continue
			}
			if st.Result != ReloadSuccess || st.ConfigHash != e.srv.Current().Hash {
				t.Fatalf("reload %d: %+v", i, st)
			}
			// The swap is the moment new handshakes get the new policy
			// (Duration is measured right after it); waitHello checked that
			// every handshake started after one had seen it saw it too.
			took, _ := time.ParseDuration(st.Duration)
			swap := st.Time.Add(took).Sub(t0)
			t.Logf("reload %d: swapped %s after the write (event to swap %s, %d events, reload %s); first handshake done with the new policy after %s",
				i, swap, st.EventToSwap, st.Events, st.Duration, d)
			if swap > hrSeenWithin*hrSlowdown {
				t.Errorf("reload %d: new handshakes got the new policy only %s after the write (> %s)", i, swap, hrSeenWithin*hrSlowdown)
			}
			worst = max(worst, swap)
			seenWorst = max(seenWorst, d)
			live = version
		case 2: // invalid policy
			hrRenameOver(t, policy, hrBadPolicy(version))
			if st := e.waitReload(t0); st.Result != ReloadFailure {
				t.Fatalf("reload %d: %+v", i, st)
			}
			e.wantHello("/chat", "hello "+live)
			e.wantHello("/game", "hello "+live)
		case 0: // invalid: truncated XML, and a bad api.xml
			testutil.WriteFile(t, policy, hrPolicy(version)[:40])
			testutil.WriteFile(t, filepath.Join(e.dir, "game", "api.xml"), e.apiXML("game", "/game", `max-connections="many"`))
			if st := e.waitReload(t0); st.Result != ReloadFailure || len(st.Errors) != 2 {
				t.Fatalf("reload %d: %+v", i, st)
			}
			e.wantHello("/chat", "hello "+live)
			e.wantHello("/game", "hello "+live)
		}
	}
	time.Sleep(200 * time.Millisecond) // a little more traffic after the last reload
	stop.Store(true)
	wg.Wait()
	for _, err := range connErr {
		t.Error(err)
	}
	if got := e.reloads("failure") - failures; got < 10 {
		t.Errorf("%v failed reloads, want ≥ 10", got)
	}
	t.Logf("%d sessions, %d messages echoed in order, 20 reloads; slowest write-to-swap %s, slowest write-to-handshake-done %s",
		conns, msgs.Load(), worst, seenWorst)
}

// TestReloadReusesUnchangedAPIs: a reload compiles only the APIs whose
// files changed; a change to a shared part (global policy, named values,
// fragments) recompiles every API.
func TestReloadReusesUnchangedAPIs(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("a", "/a", "v1", "")
	e.writeAPI("b", "/b", "v1", "")
	e.start(false)
	s1 := e.srv.Current()
	testutil.WriteFile(t, filepath.Join(e.dir, "b", "policy.xml"), hrPolicy("v2"))
	if st := e.srv.Reload("test"); st.Result != ReloadSuccess {
		t.Fatalf("%+v", st)
	}
	s2 := e.srv.Current()
	if s2.API("a") != s1.API("a") || s2.API("b") == s1.API("b") {
		t.Fatal("the unchanged API was compiled again, or the changed one was not")
	}
	e.wantHello("/a", "hello v1")
	e.wantHello("/b", "hello v2")
	testutil.WriteFile(t, filepath.Join(e.dir, "policy.xml"), `<policies><inbound><set-header name="X-Global" exists-action="override"><value>1</value></set-header></inbound></policies>`)
	if st := e.srv.Reload("test"); st.Result != ReloadSuccess || len(st.Changed) != 2 {
		t.Fatalf("%+v", st)
	}
	if s3 := e.srv.Current(); s3.API("a") == s2.API("a") || s3.API("b") == s2.API("b") {
		t.Fatal("a global change did not recompile every API")
	}
	// A folder renamed with the same content is a new API folder: compiled.
	if err := os.Rename(filepath.Join(e.dir, "a"), filepath.Join(e.dir, "a2")); err != nil {
		t.Fatal(err)
	}
	if st := e.srv.Reload("test"); st.Result != ReloadUnchanged && st.Result != ReloadSuccess {
		t.Fatalf("%+v", st)
	}
	e.wantHello("/a", "hello v1")
}

// TestReloadDrainLateSession: a session registered with the old hash after
// the swap (its handshake loaded the old snapshot just before) is drained
// too, at the end of the window.
func TestReloadDrainLateSession(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("a", "/a", "v1", `drain-on-change="true" drain-after="0" drain-window="0"`)
	e.writeAPI("b", "/b", "v1", "")
	e.start(false)
	oldA, oldB := e.srv.Current().API("a").Hash, e.srv.Current().API("b").Hash
	testutil.WriteFile(t, filepath.Join(e.dir, "a", "policy.xml"), hrPolicy("v2"))
	testutil.WriteFile(t, filepath.Join(e.dir, "b", "policy.xml"), hrPolicy("v2"))
	if st := e.srv.Reload("test"); st.Result != ReloadSuccess {
		t.Fatalf("%+v", st)
	}
	late := e.srv.sessions.add("a", oldA)
	defer e.srv.sessions.remove(late)
	other := e.srv.sessions.add("b", oldB)
	defer e.srv.sessions.remove(other)
	current := e.srv.sessions.add("a", e.srv.Current().API("a").Hash)
	defer e.srv.sessions.remove(current)
	select {
	case <-late.ctx.Done():
		var cc *wsproxy.CloseCause
		if !errors.As(late.ctx.Cause(), &cc) || cc.Code != websocket.StatusServiceRestart {
			t.Fatalf("cause %v", late.ctx.Cause())
		}
	case <-time.After(hrTimeout):
		t.Fatal("the late session was not drained")
	}
	time.Sleep(100 * time.Millisecond)
	if other.ctx.Err() != nil || current.ctx.Err() != nil {
		t.Fatal("a session that must stay was drained")
	}
}
