package gateway

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"tollgate/gateway/wsproxy"
)

// TestClosedSeries: a session's end is counted in the series of its API,
// closed_by and code, whether it is one of the usual ends (a client's or
// a backend's close with a code from 1000 to 1015, bound once in
// closesBySide) or another (looked up by closeKey), and each series is
// counted once per end, the usual ones both ways the same.
func TestClosedSeries(t *testing.T) {
	m := NewMetrics()
	a := m.forAPI("chat")
	ends := []struct {
		by   string
		code int
	}{
		{wsproxy.ClosedByClient, 1000}, {wsproxy.ClosedByClient, 1000}, {wsproxy.ClosedByBackend, 1001},
		{wsproxy.ClosedByClient, 1015}, {wsproxy.ClosedByBackend, 1016}, {wsproxy.ClosedByClient, 999},
		{wsproxy.ClosedByClient, 4001}, {wsproxy.ClosedByIdle, 1000}, {wsproxy.ClosedByGateway, 1012},
		{wsproxy.ClosedByError, 1006}, {wsproxy.ClosedByBackend, 1006},
	}
	want := map[closeKey]float64{}
	for _, e := range ends {
		a.closed(e.by, e.code)
		want[closeKey{e.by, e.code}]++
	}
	for k, n := range want {
		if got := promtest.ToFloat64(m.Closes.WithLabelValues("chat", k.by, strconv.Itoa(k.code))); got != n {
			t.Errorf("closed_by %s code %d: %v, want %v", k.by, k.code, got, n)
		}
	}
	if got, want := promtest.CollectAndCount(m.Closes), len(want); got != want {
		t.Errorf("%d close series, want %d", got, want)
	}
}

// TestHandshakeSeries: a handshake is counted in the series of its API
// and outcome, "upgraded" (bound once, found without a lookup) and the
// others alike, once per handshake, in both the count and the duration.
func TestHandshakeSeries(t *testing.T) {
	m := NewMetrics()
	a := m.forAPI("chat")
	outcomes := []string{outcomeUpgraded, "rejected", outcomeUpgraded, "bad_request", "backend_error", outcomeUpgraded}
	want := map[string]float64{}
	for _, o := range outcomes {
		a.handshake(o, 0.001)
		want[o]++
	}
	for o, n := range want {
		if got := promtest.ToFloat64(m.Handshakes.WithLabelValues("chat", o)); got != n {
			t.Errorf("outcome %s: %v, want %v", o, got, n)
		}
	}
	if got, want := promtest.CollectAndCount(m.Handshakes), len(want); got != want {
		t.Errorf("%d handshake series, want %d", got, want)
	}
	if got, want := promtest.CollectAndCount(m.HandshakeDuration), len(want); got != want {
		t.Errorf("%d handshake duration series, want %d", got, want)
	}
}

// TestPolicyCounterKeepsOwnValues: a new series keeps copies of its label
// values, not views of the bytes a policy made them from (a request's
// larger allocation, which a series would hold for the process's life).
func TestPolicyCounterKeepsOwnValues(t *testing.T) {
	m := NewMetrics()
	add, err := m.Counter("calls_by_client", "calls", []string{"client"})
	if err != nil {
		t.Fatal(err)
	}
	room := strings.Repeat("x", 2048) + "203.0.113.7" + strings.Repeat("y", 2048)
	v := room[2048 : 2048+len("203.0.113.7")]
	if !add(1, v) {
		t.Fatal("not added")
	}
	lo := uintptr(unsafe.Pointer(unsafe.StringData(room)))
	c := m.custom.byName["calls_by_client"]
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.series) != 1 {
		t.Fatalf("%d series", len(c.series))
	}
	for _, st := range c.series {
		if st.values[0] != v {
			t.Fatalf("values %q", st.values)
		}
		if p := uintptr(unsafe.Pointer(unsafe.StringData(st.values[0]))); p >= lo && p < lo+uintptr(len(room)) {
			t.Error("the series keeps a view of the caller's bytes")
		}
	}
}
