package monoclock

import (
	"testing"
	"time"
)

// TestAfterAndAt: After(d) is Now().Add(d) and At(Since()) is Now(), to
// the clock's progress between the two reads, with a monotonic reading
// (what deadlines compare).
func TestAfterAndAt(t *testing.T) {
	for _, d := range []time.Duration{0, time.Millisecond, time.Hour, -time.Second} {
		before := Now().Add(d)
		got := After(d)
		after := Now().Add(d)
		if got.Before(before) || got.After(after) {
			t.Errorf("After(%v) = %v; want between %v and %v", d, got, before, after)
		}
		if got.String() == got.Round(0).String() {
			t.Errorf("After(%v) has no monotonic reading", d)
		}
	}
	before := Now()
	got := At(Since())
	if after := Now(); got.Before(before) || got.After(after) {
		t.Errorf("At(Since()) = %v; want between %v and %v", got, before, after)
	}
	if got.String() == got.Round(0).String() {
		t.Error("At(Since()) has no monotonic reading")
	}
}
