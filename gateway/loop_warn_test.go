package gateway

import "testing"

// A few moved requests among many are the machine's (measured: 197 of
// 122,832 REST GETs on a saturated 2-core machine, a trivial policy); an
// API whose requests are moved often is named.
func TestHeldWarn(t *testing.T) {
	for _, tc := range []struct {
		held, onLoop int64
		want         bool
	}{
		{1, 1, false},        // one could be a descheduled thread
		{19, 19, false},      // not enough yet
		{20, 20, true},       // every request: a policy that blocks
		{20, 2000, true},     // 1%
		{20, 2001, false},    // under 1%
		{197, 122832, false}, // the measured noise
		{1300, 122832, true},
	} {
		if got := heldWarn(tc.held, tc.onLoop); got != tc.want {
			t.Errorf("heldWarn(%d, %d) = %v, want %v", tc.held, tc.onLoop, got, tc.want)
		}
	}
}

// The warning's denominator is the API's request count, read from its
// duration histogram only when a request was moved.
func TestRequestCount(t *testing.T) {
	a := NewMetrics().forAPI("a")
	if n := a.requestCount(); n != 0 {
		t.Fatalf("requestCount = %d before any request", n)
	}
	for _, code := range []int{200, 404, 200} {
		a.request(code, 0.001)
	}
	if n := a.requestCount(); n != 3 {
		t.Fatalf("requestCount = %d, want 3", n)
	}
	// A WebSocket API's handshakes, which may run on the loop too, count
	// whatever their outcome.
	for _, o := range []string{outcomeUpgraded, "rejected", outcomeUpgraded} {
		a.handshake(o, 0.001)
	}
	if n := a.requestCount(); n != 6 {
		t.Fatalf("requestCount = %d with three handshakes, want 6", n)
	}
}
