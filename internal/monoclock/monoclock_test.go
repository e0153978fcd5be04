package monoclock

import (
	"testing"
	"time"
)

// TestNow: Now carries a monotonic reading (its String shows "m=") and
// orders with time.Now both ways.
func TestNow(t *testing.T) {
	for range 1000 {
		a := time.Now()
		m := Now()
		b := time.Now()
		if m.Before(a) || m.After(b) {
			t.Fatalf("Now %v is not between %v and %v", m, a, b)
		}
		if d := b.Sub(m); d < 0 || d > time.Second {
			t.Fatalf("time.Now - Now = %v", d)
		}
	}
	if s := Now().String(); !containsMono(s) {
		t.Errorf("Now has no monotonic reading: %s", s)
	}
	// A deadline from it ends as one from time.Now does.
	dl := Now().Add(20 * time.Millisecond)
	if u := time.Until(dl); u <= 0 || u > 20*time.Millisecond {
		t.Errorf("Until(Now+20ms) = %v", u)
	}
}

func containsMono(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i:i+3] == "m=+" {
			return true
		}
	}
	return false
}

// TestNowAllocs: no allocation.
func TestNowAllocs(t *testing.T) {
	var sink time.Time
	if n := testing.AllocsPerRun(100, func() { sink = Now() }); n != 0 {
		t.Errorf("%v allocations", n)
	}
	_ = sink
}

func BenchmarkNow(b *testing.B) {
	var sink time.Time
	for b.Loop() {
		sink = Now()
	}
	_ = sink
}

func BenchmarkTimeNow(b *testing.B) {
	var sink time.Time
	for b.Loop() {
		sink = time.Now()
	}
	_ = sink
}
