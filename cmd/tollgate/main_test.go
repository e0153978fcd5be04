package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

func TestCheckRepoAPIs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"check", "../../apis"}, &out, &errb); code != 0 {
		t.Fatalf("tollgate check ../../apis: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "ok  signalr-chat") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestCheckBrokenFolder(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		testutil.WriteFile(t, filepath.Join(dir, rel), content)
	}
	write("a/api.xml", `<api name="a" type="thrift" path="/a" service-url="http://h/"/>`)
	write("b/api.xml", `<api name="b" type="http" path="/b" service-url="http://h/" timout="3"/>`)
	write("b/policy.xml", "<policies>\n  <inbound>\n    <no-such-policy/>\n  </inbound>\n</policies>\n")
	var out, errb bytes.Buffer
	code := run([]string{"check", dir}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(dir) + `/[ab]/(api|policy)\.xml:\d+:\d+: \S`)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("not file:line:col: message: %q", l)
		}
	}
	for _, want := range []string{"a/api.xml:1:21: attribute \"type\" must be", "b/api.xml:1:61: <api> has no attribute \"timout\"", "b/policy.xml:3:5: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "problem(s)") {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestCheckNeverPrintsSecrets(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TOLLGATE_TEST_KEY", "SECRET5")
	testutil.WriteFile(t, filepath.Join(dir, "named-values.xml"), `<named-values>
  <named-value name="key" secret="true" env="TOLLGATE_TEST_KEY"/>
</named-values>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "api.xml"), `<api name="a" type="http" path="/a" service-url="http://h/?x-key={{key}}&amp;access_token=SECRET1"/>`)
	var out, errb bytes.Buffer
	if code := run([]string{"check", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "SECRET") {
		t.Errorf("tollgate check printed a secret:\n%s%s", out.String(), errb.String())
	}
}

// A secret used where a load error quotes it (an api.xml attribute, an
// expression) never shows in check's problem lines: they quote the source
// as written ({{key}}), and engine.MaskErrors masks what gets through.
func TestCheckErrorsNeverPrintSecrets(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TOLLGATE_TEST_KEY", "SECRET5key")
	testutil.WriteFile(t, filepath.Join(dir, "named-values.xml"), `<named-values>
  <named-value name="key" secret="true" env="TOLLGATE_TEST_KEY"/>
</named-values>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "api.xml"), `<api name="a" type="http" path="/a" service-url="http://h/" max-body-size="{{key}}"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "policy.xml"), `<policies><inbound><set-variable name="x" value="@({{key}} + 1)"/></inbound></policies>`)
	var out, errb bytes.Buffer
	if code := run([]string{"check", dir}, &out, &errb); code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "SECRET") || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("tollgate check printed a secret (or not the two problems):\n%s%s", out.String(), errb.String())
	}
}

func TestUsageExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2}, {[]string{"bogus"}, 2}, {[]string{"version"}, 0}, {[]string{"help"}, 0},
		{[]string{"check", "a", "b"}, 2}, {[]string{"check", "/nonexistent/apis"}, 1},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code {
			t.Errorf("tollgate %v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

// The admin listener bound beyond loopback needs a token (flag or env).
func TestAdminTokenRequiredOffLoopback(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		ok   bool
	}{
		{[]string{"--admin", "127.0.0.1:0"}, "", true},
		{[]string{"--admin", "localhost:0"}, "", true},
		{[]string{"--admin", ""}, "", true},
		{[]string{"--admin", "0.0.0.0:9090"}, "", false},
		{[]string{"--admin", ":9090"}, "", false},
		{[]string{"--admin", ":9090", "--admin-token", "t0ken"}, "", true},
		{[]string{"--admin", ":9090"}, "t0ken", true},
	} {
		t.Setenv("TOLLGATE_ADMIN_TOKEN", c.env)
		if c.env == "" {
			os.Unsetenv("TOLLGATE_ADMIN_TOKEN")
		}
		_, err := parseServe(c.args, io.Discard)
		if (err == nil) != c.ok {
			t.Errorf("serve %v (env %q): err %v, want ok=%v", c.args, c.env, err, c.ok)
		}
	}
}

// TestGCPercent: --gc-percent's values, and who wins between its default,
// an explicit value (flag or TOLLGATE_GC_PERCENT) and the runtime's GOGC.
func TestGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		args      []string
		gogc, env string // "" unset
		err       bool
		want      int // the GC percent in force after setGC
	}{
		{nil, "", "", false, 200},
		{[]string{"--gc-percent", "400"}, "", "", false, 400},
		{[]string{"--gc-percent", "off"}, "", "", false, -1},
		{nil, "", "150", false, 150},
		{nil, "50", "", false, 100}, // GOGC set: the default gives way (100 is what the test set)
		{[]string{"--gc-percent", "300"}, "50", "", false, 300},
		{[]string{"--gc-percent", "5"}, "", "", true, 0},
		{[]string{"--gc-percent", "lots"}, "", "", true, 0},
	} {
		for name, v := range map[string]string{"GOGC": c.gogc, "TOLLGATE_GC_PERCENT": c.env} {
			t.Setenv(name, v)
			if v == "" {
				os.Unsetenv(name)
			}
		}
		debug.SetGCPercent(100)
		f, err := parseServe(append([]string{"--gc-heap-floor", "0"}, c.args...), io.Discard) // the floor's tuning: TestGCHeapFloor
		if (err != nil) != c.err {
			t.Errorf("serve %v: err %v, want error %v", c.args, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		setGC(f)
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("serve %v (GOGC %q, TOLLGATE_GC_PERCENT %q): GC percent %d, want %d", c.args, c.gogc, c.env, got, c.want)
		}
	}
}

// TestGCHeapFloor: --gc-heap-floor keeps the collector's heap goal at the
// floor or above while little is live, leaves a live heap above it to
// --gc-percent alone (not floor added to it), and 0 gives the configured
// percent back.
func TestGCHeapFloor(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer gcFloor.set(0, 100)
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	goal := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	// settle runs collections until the goal is in [lo, hi] MiB (the
	// tuning runs after a cycle, in the finalizer goroutine).
	settle := func(what string, lo, hi uint64) {
		t.Helper()
		var g uint64
		for range 200 {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
			if g = goal(); g >= lo<<20 && g <= hi<<20 {
				return
			}
		}
		t.Errorf("%s: heap goal %d MiB, want %d-%d MiB", what, g>>20, lo, hi)
	}
	f, err := parseServe(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.gcFloor != 32 || f.gcPercent != 200 {
		t.Fatalf("defaults: floor %d MiB, percent %d; want 32 and 200", f.gcFloor, f.gcPercent)
	}
	if f, err = parseServe([]string{"--gc-heap-floor", "64"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	setGC(f)
	settle("a floor of 64 MiB, little live", 64, 80)

	live := make([]byte, 100<<20) // live, never written: never resident
	if f, err = parseServe([]string{"--gc-heap-floor", "32"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	setGC(f)
	settle("a floor of 32 MiB under 100 MiB live", 280, 320) // 200%: 300 MiB, not (100+32)*3
	runtime.KeepAlive(live)
	live = nil

	if f, err = parseServe([]string{"--gc-heap-floor", "0"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	setGC(f)
	settle("no floor", 4, 24) // 200% of the test's few MiB (Go's minimum: 8 MiB)
	if p := debug.SetGCPercent(200); p != 200 {
		t.Errorf("no floor: GC percent %d, want the configured 200", p)
	}
}

// TestCheckAPIOpsFolder: check reads the APIOps layout, prints what it
// ignores, and never prints the secret named value or a subscription key.
func TestCheckAPIOpsFolder(t *testing.T) {
	t.Setenv("TOLLGATE_NAMED_VALUE_BACKEND_KEY", "SECRET-backend")
	keys := filepath.Join(t.TempDir(), "keys.json")
	testutil.WriteFile(t, keys, `{"gold-sub": {"primaryKey": "SECRET-gold-key"}}`)
	var out, errb bytes.Buffer
	if code := run([]string{"check", "--subscription-keys", keys, "../../gateway/testdata/apiops"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"ignored: gateways (every API is served", "ok  orders-api", "/orders/v2", "ok  chat", "websocket", "ok  users-api"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String()+errb.String(), "SECRET") {
		t.Errorf("check printed a secret:\n%s", out.String())
	}
	out.Reset()
	errb.Reset()
	// As extracted, without keys: the subscription loads, and no key
	// presents it until it has some.
	const keyless = `../../gateway/testdata/apiops/subscriptions/gold-sub/subscriptionInformation.json:1:1: ignored: subscription gold-sub has no keys (APIOps' extractor cannot export them): ` +
		`no request can present it until they are given in a subscription keys file (--subscription-keys) or through the admin API (tollgate subscription regenerate gold-sub)` + "\n"
	if code := run([]string{"check", "../../gateway/testdata/apiops"}, &out, &errb); code != 0 || !strings.Contains(out.String(), keyless) {
		t.Errorf("without the keys file: exit %d\n%s", code, out.String())
	}
}

// TestCheckExplain: --explain prints each expression's language and
// program, and still never a secret.
func TestCheckExplain(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TOLLGATE_TEST_KEY", "SECRET5")
	testutil.WriteFile(t, filepath.Join(dir, "named-values.xml"), `<named-values>
  <named-value name="key" secret="true" env="TOLLGATE_TEST_KEY"/>
</named-values>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "api.xml"), `<api name="a" type="http" path="/a" service-url="http://h/"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "policy.xml"), `<policies><inbound>
<set-variable name="half" value="@(7 / 2)"/>
<set-variable name="upper" value="@(upper(context.Request.Method))"/>
<set-variable name="loop" value="@{ int i = 0; while (i < 3) { i++; } return i; }"/>
<set-header name="X-Key" exists-action="override"><value>@("k=" + "{{key}}")</value></set-header>
</inbound></policies>`)
	var out, errb bytes.Buffer
	if code := run([]string{"check", "--explain", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{
		"a/policy.xml:2:34: inbound/set-variable[1]: C# -> int\n  @(7 / 2)\n  lowered: $csIntOp(\"/\", 7, 2)\n",
		"inbound/set-variable[2]: expr -> string\n  @(upper(context.Request.Method))\n  program: upper(context.Request.Method)\n",
		"inbound/set-variable[3]: C# -> int\n", "  interpreted: while loop\n",
		"@(\"k=\" + \"{{key}}\")",
		"ok  a",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "SECRET5") {
		t.Errorf("a secret in the output:\n%s", out.String())
	}
}

// --dapr-url: DAPR_HTTP_PORT (which Dapr sets in its pods) moves the
// default; the flag and TOLLGATE_DAPR_URL win; anything but an http(s)
// URL is refused.
func TestDaprURL(t *testing.T) {
	for _, c := range []struct {
		args      []string
		port, env string
		want      string // "" : refused
	}{
		{nil, "", "", "http://localhost:3500"},
		{nil, "3601", "", "http://localhost:3601"},
		{nil, "3601", "http://dapr:3500", "http://dapr:3500"},
		{[]string{"--dapr-url", "https://127.0.0.1:3500/"}, "3601", "", "https://127.0.0.1:3500/"},
		{[]string{"--dapr-url", "localhost:3500"}, "", "", ""},
		{[]string{"--dapr-url", "http://u:p@localhost:3500"}, "", "", ""},
		{[]string{"--dapr-url", "http://localhost:3500/?x=1"}, "", "", ""},
	} {
		t.Setenv("DAPR_HTTP_PORT", c.port)
		t.Setenv("TOLLGATE_DAPR_URL", c.env)
		if c.env == "" {
			os.Unsetenv("TOLLGATE_DAPR_URL")
		}
		f, err := parseServe(c.args, io.Discard)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("serve %v: accepted %q", c.args, f.daprURL)
		case c.want != "" && err != nil:
			t.Errorf("serve %v (port %q, env %q): %v", c.args, c.port, c.env, err)
		case c.want != "" && f.daprURL != c.want:
			t.Errorf("serve %v (port %q, env %q): dapr URL %q, want %q", c.args, c.port, c.env, f.daprURL, c.want)
		}
	}
}
