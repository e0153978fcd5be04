package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/policies"
	"tollgate/store"
)

// flaky is a backend that answers fail (a status) while failing is set.
type flaky struct {
	*restBackend
	fail       atomic.Int64
	retryAfter atomic.Value // string
}

func newFlaky(t *testing.T) *flaky {
	f := &flaky{}
	f.retryAfter.Store("")
	f.restBackend = newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if code := f.fail.Load(); code != 0 {
			if ra := f.retryAfter.Load().(string); ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			w.WriteHeader(int(code))
			return
		}
		fmt.Fprint(w, "ok")
	})
	return f
}

// backendFolder: API "b" sends everything to the backend entity named by
// its policy; backends are written by the caller.
func backendFolder(t *testing.T, backendID string, backends map[string]string) string {
	dir := t.TempDir()
	writeAPI(t, dir, "b", `type="http" path="/b" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="`+backendID+`"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	for name, info := range backends {
		writeFile(t, dir, "backends/"+name+"/backendInformation.json", info)
	}
	return dir
}

func breakerJSON(url string, count int, trip string, acceptRetryAfter bool) string {
	return fmt.Sprintf(`{"properties": {"url": %q, "protocol": "http", "circuitBreaker": {"rules": [{"name": "r",
  "failureCondition": {"count": %d, "interval": "PT1M", "statusCodeRanges": [{"min": 500, "max": 599}], "errorReasons": ["Server errors"]},
  "tripDuration": %q, "acceptRetryAfter": %v}]}}}`, url, count, trip, acceptRetryAfter)
}

func statusOf(t *testing.T, url string) int {
	t.Helper()
	resp, _ := get(t, url, nil)
	return resp.StatusCode
}

func TestCircuitBreakerTripsAndRecovers(t *testing.T) {
	f := newFlaky(t)
	g := startGateway(t, backendFolder(t, "svc", map[string]string{"svc": breakerJSON(f.url, 2, "PT1S", false)}))
	if got := statusOf(t, g.url+"/b/x"); got != 200 {
		t.Fatalf("healthy: %d", got)
	}
	f.fail.Store(500)
	for i := 1; i <= 2; i++ { // two failures in the interval trip it
		if got := statusOf(t, g.url+"/b/x"); got != 500 {
			t.Fatalf("failure %d passes through: %d", i, got)
		}
	}
	before := f.calls.Load()
	resp, body := get(t, g.url+"/b/x", nil)
	if _, msg := jsonError(t, body); resp.StatusCode != 503 || msg != "Service unavailable" {
		t.Fatalf("open breaker: %d %q", resp.StatusCode, body)
	}
	if f.calls.Load() != before {
		t.Fatal("an open breaker let a call through")
	}
	m := g.metricsText(t)
	for _, want := range []string{`tollgate_backend_circuit_open{backend="svc"} 1`, `tollgate_backend_circuit_trips_total{backend="svc"} 1`,
		`tollgate_backend_requests_total{backend="svc",result="5xx"} 2`, `tollgate_backend_requests_total{backend="svc",result="2xx"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	f.fail.Store(0)
	waitFor(t, "the breaker to close after its trip duration", func() bool { return statusOf(t, g.url+"/b/x") == 200 })
}

func TestCircuitBreakerHonoursRetryAfter(t *testing.T) {
	f := newFlaky(t)
	// tripDuration is an hour; the backend's Retry-After (1 s) wins.
	g := startGateway(t, backendFolder(t, "svc", map[string]string{"svc": breakerJSON(f.url, 1, "PT1H", true)}))
	f.retryAfter.Store("1")
	f.fail.Store(503)
	if got := statusOf(t, g.url+"/b/x"); got != 503 {
		t.Fatalf("the failure: %d", got)
	}
	f.fail.Store(0)
	before := f.calls.Load()
	if got := statusOf(t, g.url+"/b/x"); got != 503 || f.calls.Load() != before {
		t.Fatalf("open breaker: %d (backend calls %d -> %d)", got, before, f.calls.Load())
	}
	waitFor(t, "the breaker to close after Retry-After", func() bool { return statusOf(t, g.url+"/b/x") == 200 })
}

// TestCircuitBreakerRetryAfterTooLong: a Retry-After longer than a
// time.Duration holds keeps the breaker open; multiplied out unchecked,
// 9223372037 s wrapped around to a negative duration (no trip at all) and
// 18446744074 s to a third of a second.
func TestCircuitBreakerRetryAfterTooLong(t *testing.T) {
	for _, ra := range []string{"9223372037", "18446744074"} {
		t.Run(ra, func(t *testing.T) {
			t.Parallel()
			f := newFlaky(t)
			g := startGateway(t, backendFolder(t, "svc", map[string]string{"svc": breakerJSON(f.url, 1, "PT1S", true)}))
			f.retryAfter.Store(ra)
			f.fail.Store(503)
			if got := statusOf(t, g.url+"/b/x"); got != 503 {
				t.Fatalf("the failure: %d", got)
			}
			f.fail.Store(0)
			before := f.calls.Load()
			time.Sleep(1500 * time.Millisecond) // past a wrapped third of a second and the 1 s tripDuration
			if got := statusOf(t, g.url+"/b/x"); got != 503 || f.calls.Load() != before {
				t.Fatalf("the breaker closed: %d (backend calls %d -> %d)", got, before, f.calls.Load())
			}
		})
	}
}

func TestBackendPool(t *testing.T) {
	a, b, c := newFlaky(t), newFlaky(t), newFlaky(t)
	pool := `{"properties": {"type": "Pool", "pool": {"services": [
  {"id": "/backends/a", "priority": 1, "weight": 3},
  {"id": "/backends/b", "priority": 1, "weight": 1},
  {"id": "/backends/c", "priority": 2}]}}}`
	g := startGateway(t, backendFolder(t, "pool", map[string]string{
		"pool": pool,
		"a":    breakerJSON(a.url, 1, "PT1H", false),
		"b":    breakerJSON(b.url, 1, "PT1H", false),
		"c":    `{"properties": {"url": "` + c.url + `", "credentials": {"header": {"X-Pool": ["c"]}}}}`,
	}))
	for range 8 {
		if got := statusOf(t, g.url+"/b/x"); got != 200 {
			t.Fatalf("status %d", got)
		}
	}
	if na, nb, nc := a.calls.Load(), b.calls.Load(), c.calls.Load(); na != 6 || nb != 2 || nc != 0 {
		t.Fatalf("weights 3:1 in priority 1: a=%d b=%d c=%d, want 6 2 0", na, nb, nc)
	}
	// Trip a and b: priority 2 takes over.
	a.fail.Store(500)
	b.fail.Store(500)
	for range 4 {
		get(t, g.url+"/b/x", nil)
	}
	for range 3 {
		if got := statusOf(t, g.url+"/b/x"); got != 200 {
			t.Fatalf("with priority 1 tripped: %d", got)
		}
	}
	if c.calls.Load() < 3 || c.last.Load().header.Get("X-Pool") != "c" {
		t.Fatalf("priority 2 got %d calls (X-Pool %q)", c.calls.Load(), c.last.Load().header.Get("X-Pool"))
	}
}

// TestCircuitBreakerSharedAcrossReplicas: a breaker tripped through one
// replica is open on the other (Redis).
func TestCircuitBreakerSharedAcrossReplicas(t *testing.T) {
	f := newFlaky(t)
	dir := backendFolder(t, "svc", map[string]string{"svc": breakerJSON(f.url, 2, "PT1H", false)})
	srv := redistest.Start(t)
	replica := func() *testGateway {
		rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rs.Close() })
		return startGateway(t, dir, func(o *gateway.Options) {
			o.Store = rs
			o.Registry = policies.Registry(policies.Deps{Store: rs})
		})
	}
	a, b := replica(), replica()
	f.fail.Store(500)
	statusOf(t, a.url+"/b/x")
	statusOf(t, b.url+"/b/x") // the second failure, counted with the first
	before := f.calls.Load()
	for _, g := range []*testGateway{a, b} {
		if got := statusOf(t, g.url+"/b/x"); got != 503 {
			t.Errorf("replica: %d, want 503", got)
		}
	}
	if f.calls.Load() != before {
		t.Error("a replica called a backend whose breaker is open")
	}
}

func TestCircuitBreakerPercentage(t *testing.T) {
	f := newFlaky(t)
	info := fmt.Sprintf(`{"properties": {"url": %q, "circuitBreaker": {"rules": [{"failureCondition": {"percentage": 50, "interval": "PT1M",
  "statusCodeRanges": [{"min": 500, "max": 599}]}, "tripDuration": "PT1H"}]}}}`, f.url)
	g := startGateway(t, backendFolder(t, "svc", map[string]string{"svc": info}))
	for range 3 {
		statusOf(t, g.url+"/b/x")
	}
	f.fail.Store(500)
	statusOf(t, g.url+"/b/x") // 1 of 4 failed
	statusOf(t, g.url+"/b/x") // 2 of 5
	if got := statusOf(t, g.url+"/b/x"); got != 500 {
		t.Fatalf("3 of 6 is the one that trips: %d", got)
	}
	f.fail.Store(0)
	if got := statusOf(t, g.url+"/b/x"); got != 503 {
		t.Fatalf("after half the calls failed: %d, want 503", got)
	}
}
