package gateway

// Reload cost with 100 APIs:
//
//	go test ./gateway/ -run '^$' -bench 'Reload100APIs|WatchEventToSwap' -benchtime 20x
//
// BenchmarkReload100APIs is Server.Reload alone (read + compile all 100
// folders, hash, swap); BenchmarkLoad100APIs is Load without the swap;
// BenchmarkWatchEventToSwap100APIs edits a policy through the real watcher
// and reports the time from the file event to the swap (debounce included)
// and from the write to the first handshake that saw the change.

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// hrRealisticPolicy is the kind of policy an operator writes: checks,
// variables, a choose, header rewrites with expressions, a rate limit, a
// backend switch and an on-error answer.
func hrRealisticPolicy(name, version string) string {
	return `<policies>
  <inbound>
    <base/>
    <check-header name="X-Tenant" failed-check-httpcode="401" failed-check-error-message="tenant required" ignore-case="true"/>
    <set-variable name="tenant" value="@(context.Request.Headers.GetValueOrDefault("X-Tenant", "none"))"/>
    <set-variable name="premium" value="@(context.Request.Headers.GetValueOrDefault("X-Plan", "") == "premium")"/>
    <rate-limit-by-key calls="1000000" renewal-period="60" counter-key="@(context.Variables["tenant"] + "-` + name + `")"/>
    <choose>
      <when condition="@(context.Variables["premium"] == true)">
        <set-header name="X-Priority" exists-action="override"><value>high</value></set-header>
      </when>
      <when condition="@(context.Request.Url.Query.GetValueOrDefault("debug", "") == "1")">
        <set-header name="X-Debug" exists-action="override"><value>@("debug-" + context.RequestId)</value></set-header>
      </when>
      <otherwise>
        <set-header name="X-Priority" exists-action="override"><value>normal</value></set-header>
      </otherwise>
    </choose>
    <set-header name="X-Version" exists-action="override"><value>` + version + `</value></set-header>
    <set-header name="X-Forwarded-Api" exists-action="override"><value>@(context.Api.Name)</value></set-header>
    <set-query-parameter name="tenant" exists-action="override"><value>@(context.Variables["tenant"])</value></set-query-parameter>
  </inbound>
  <backend>
    <forward-request timeout="10"/>
  </backend>
  <outbound>
    <base/>
  </outbound>
  <on-error>
    <return-response>
      <set-status code="@(context.LastError.Reason == "Timeout" ? 504 : 502)"/>
      <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
      <set-body>@(toJSON({"error": context.LastError.Message, "api": context.Api.Name}))</set-body>
    </return-response>
  </on-error>
</policies>
`
}

// hrWrite100 writes 100 API folders (half WebSocket, half HTTP) plus a
// global policy, named values and a fragment into dir.
func hrWrite100(tb testing.TB, dir, wsURL, restURL string) {
	testutil.WriteFile(tb, filepath.Join(dir, "policy.xml"), `<policies>
  <inbound><set-header name="X-Gateway" exists-action="override"><value>{{gateway-name}}</value></set-header></inbound>
  <outbound><set-header name="X-Served-By" exists-action="override"><value>tollgate</value></set-header></outbound>
</policies>
`)
	testutil.WriteFile(tb, filepath.Join(dir, "named-values.xml"), `<named-values><named-value name="gateway-name" default="bench"/></named-values>`)
	testutil.WriteFile(tb, filepath.Join(dir, "fragments", "cors.xml"), `<fragment><set-header name="Vary" exists-action="append"><value>Origin</value></set-header></fragment>`)
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("api%03d", i)
		typ, svc := "websocket", wsURL
		if i%2 == 1 {
			typ, svc = "http", restURL
		}
		testutil.WriteFile(tb, filepath.Join(dir, name, "api.xml"), fmt.Sprintf(
			"<api name=%q type=%q path=\"/%s\" service-url=%q idle-timeout=\"120\" max-connections=\"5000\" drain-on-change=\"false\"/>\n",
			name, typ, name, svc))
		testutil.WriteFile(tb, filepath.Join(dir, name, "policy.xml"), hrRealisticPolicy(name, "v0"))
	}
}

func hrBenchServer(b *testing.B, dir string) *Server {
	srv, err := New(Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log:      zap.NewNop(),
		Getenv:   func(string) string { return "" },
	})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	if n := len(srv.Current().APIs); n != 100 {
		b.Fatalf("%d APIs", n)
	}
	return srv
}

// BenchmarkReload100APIs: one Reload of 100 APIs that changes one policy
// (so every iteration compiles everything and swaps).
func BenchmarkReload100APIs(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "apis")
	hrWrite100(b, dir, "ws://127.0.0.1:1/", "http://127.0.0.1:1")
	srv := hrBenchServer(b, dir)
	policy := filepath.Join(dir, "api042", "policy.xml")
	i := 0
	var total time.Duration
	for b.Loop() {
		i++
		b.StopTimer()
		testutil.WriteFile(b, policy, hrRealisticPolicy("api042", "v"+strconv.Itoa(i)))
		b.StartTimer()
		t0 := time.Now()
		if st := srv.Reload("bench"); st.Result != ReloadSuccess {
			b.Fatalf("%+v", st)
		}
		total += time.Since(t0)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(i), "ms/reload")
}

// BenchmarkLoad100APIs: Load alone (read, parse, compile, hash).
func BenchmarkLoad100APIs(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "apis")
	hrWrite100(b, dir, "ws://127.0.0.1:1/", "http://127.0.0.1:1")
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	for b.Loop() {
		if _, errs := Load(dir, reg, LoadOptions{Getenv: func(string) string { return "" }}); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkWatchEventToSwap100APIs: 20 edits of one policy among 100 APIs
// through the real watcher (per benchmark iteration). Reports p50 and max
// of: file event to swap (debounce included), the reload itself, and the
// write to the end of the first new handshake that saw the new policy.
func BenchmarkWatchEventToSwap100APIs(b *testing.B) {
	e := hrNew(b)
	hrWrite100(b, e.dir, e.wsURL, e.restURL)
	e.header = http.Header{"X-Tenant": {"bench"}}
	e.start(true)
	if n := len(e.srv.Current().APIs); n != 100 {
		b.Fatalf("%d APIs", n)
	}
	policy := filepath.Join(e.dir, "api042", "policy.xml")
	var eventToSwap, reload, seen []time.Duration
	v := 0
	for b.Loop() {
		for k := 0; k < 20; k++ {
			v++
			version := "v" + strconv.Itoa(v)
			t0 := time.Now()
			if v%2 == 0 {
				hrRenameOver(b, policy, hrRealisticPolicy("api042", version))
			} else {
				testutil.WriteFile(b, policy, hrRealisticPolicy("api042", version))
			}
			d := e.waitHello("/api042", "hello "+version, t0)
			st := e.srv.LastReload()
			if st.Result != ReloadSuccess {
				b.Fatalf("%+v", st)
			}
			es, _ := time.ParseDuration(st.EventToSwap)
			rd, _ := time.ParseDuration(st.Duration)
			eventToSwap, reload, seen = append(eventToSwap, es), append(reload, rd), append(seen, d)
			time.Sleep(2 * DefaultWatchDebounce) // separate edits
		}
	}
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, name+"-max-ms")
	}
	report("event-to-swap", eventToSwap)
	report("reload", reload)
	report("write-to-seen", seen)
}
