package policies

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
)

func writeLoggers(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "loggers.xml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// APIM's example with a file and an HTTP sink: every message arrives, one
// per line, in order.
func TestLogToEventhubSinks(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posted = append(posted, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		mu.Unlock()
	}))
	defer srv.Close()
	logFile := filepath.Join(t.TempDir(), "audit.log")
	ls, err := LoadLoggers(writeLoggers(t, `<loggers>
  <logger id="audit" type="file" path="`+logFile+`"/>
  <logger id="collector" type="http" url="`+srv.URL+`/ingest" timeout="5"/>
</loggers>`), &fakeMetrics{}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps()
	d.Loggers = ls
	plan := compile(t, d, `<log-to-eventhub logger-id="audit">@(context.Request.Method + " " + context.Request.Url.Path + " " + context.Request.IpAddress)</log-to-eventhub>
<log-to-eventhub logger-id="collector" partition-key="@(context.Request.IpAddress)">@(context.Request.Url.Path)</log-to-eventhub>`)
	for range 50 {
		s := request("http://gw/chat/x")
		runInbound(plan, s)
		s.Release()
	}
	ls.Close() // flushes
	data, _ := os.ReadFile(logFile)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 50 || lines[0] != "GET /chat/x 10.1.2.3" {
		t.Fatalf("%d lines, first %q", len(lines), lines[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posted) != 50 || posted[49] != "/chat/x" {
		t.Fatalf("posted %d: %v", len(posted), posted)
	}
}

// A sink that hangs never blocks a request: the buffer fills, further
// messages are dropped and counted.
func TestLogToEventhubNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	m := &fakeMetrics{}
	ls, err := LoadLoggers(writeLoggers(t, `<loggers><logger id="slow" type="http" url="`+srv.URL+`" buffer="5" timeout="60"/></loggers>`), m, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps()
	d.Loggers = ls
	plan := compile(t, d, `<log-to-eventhub logger-id="slow">hello</log-to-eventhub>`)
	const n = 100
	for range n {
		s := request("http://gw/chat")
		if runInbound(plan, s) {
			t.Fatal(s.LastError())
		}
		s.Release()
	}
	lg := ls.lookup("slow")
	// The writer holds at most one batch in flight; the buffer holds 5.
	if dropped := lg.dropped.Load(); dropped < n-5-maxLoggerBatch || dropped > n-5 {
		t.Fatalf("dropped %d of %d", dropped, n)
	}
	m.mu.Lock()
	counted := m.vals["tollgate_logger_dropped_total{slow}"]
	m.mu.Unlock()
	if int64(counted) != lg.dropped.Load() {
		t.Fatalf("metric %v, dropped %d", counted, lg.dropped.Load())
	}
}

func TestLoggersFileErrors(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{`<loggers><logger id="a" type="kafka"/></loggers>`, `loggers.xml:1:31: logger: <logger> type must be file, stdout, http, eventhub or appinsights, not "kafka"`},
		{`<loggers><logger id="a" type="appinsights"/></loggers>`, `loggers.xml:1:10: logger: <logger type="appinsights">: credentials need a connectionString`},
		{`<loggers><logger id="a" type="appinsights" connection-string="IngestionEndpoint=https://x/"/></loggers>`, `loggers.xml:1:10: logger: <logger type="appinsights">: `},
		{`<loggers><logger id="a" type="appinsights" instrumentation-key="6e6f0c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6" url="x"/></loggers>`, `<logger type="appinsights"> has no attribute "url" (known: "id", "type", "buffer", "connection-string", "instrumentation-key", "client-id")`},
		{`<loggers><logger type="stdout"/></loggers>`, `loggers.xml:1:10: logger: <logger> needs a non-empty id`},
		{`<loggers><logger id="a" type="stdout"/><logger id="a" type="stdout"/></loggers>`, `loggers.xml:1:52: logger: logger "a" is declared twice`},
		{`<loggers><logger id="a" type="http" url="ftp://x"/></loggers>`, `needs an http(s) url`},
		{`<loggers><logger id="a" type="file"/></loggers>`, `needs a path`},
		{`<loggers><logger id="a" type="file" path="/nonexistent/dir/x.log"/></loggers>`, `cannot open`},
		{`<loggers><logger id="a" type="stdout" buffer="0"/></loggers>`, `buffer must be`},
		{`<loggers><logger id="a" type="stdout" path="x"/></loggers>`, `has no attribute "path"`},
		{`<loggers><sink id="a"/></loggers>`, `unexpected element <sink>`},
		{`<logging/>`, `root element must be <loggers>`},
		{`<loggers><logger id="a" type="stdout"></loggers>`, `loggers.xml:1:`},
	} {
		_, err := LoadLoggers(writeLoggers(t, c.file), nil, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.file, err, c.want)
		}
	}
}

func TestLogToEventhubLoadErrors(t *testing.T) {
	ls, err := LoadLoggers(writeLoggers(t, `<loggers><logger id="console" type="stdout"/></loggers>`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	d := testDeps()
	d.Loggers = ls
	for _, c := range []struct{ src, want string }{
		{`<log-to-eventhub logger-id="nope">x</log-to-eventhub>`, `no logger "nope"`},
		{`<log-to-eventhub>x</log-to-eventhub>`, `needs the attribute "logger-id"`},
		{`<log-to-eventhub logger-id="console"/>`, `needs the message`},
		{`<log-to-eventhub logger-id="console" partition-id="1" partition-key="k">x</log-to-eventhub>`, `not both`},
		{`<log-to-eventhub logger-id="console" partition="1">x</log-to-eventhub>`, `has no attribute "partition"`},
	} {
		_, errs := compileErrs(d, c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}

// tollgate check reads the loggers file without creating log files.
func TestCheckLoggersOpensNothing(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "audit.log")
	ls, err := CheckLoggers(writeLoggers(t, `<loggers><logger id="audit" type="file" path="`+logFile+`"/></loggers>`))
	if err != nil || ls.lookup("audit") == nil {
		t.Fatalf("%v", err)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Fatalf("check created %s", logFile)
	}
	if _, err := CheckLoggers(writeLoggers(t, `<loggers><logger id="x" type="tcp"/></loggers>`)); err == nil {
		t.Fatal("a bad file passed the check")
	}
}
