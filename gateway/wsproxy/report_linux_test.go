//go:build linux

package wsproxy

import (
	"sync"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// TestRunDone: a session's done callback runs off the caller, with its
// Stats; one that blocks delays neither the caller nor the callbacks of
// sessions that end after it; and once they are all done, at most
// maxIdleReporters reporters are left waiting.
func TestRunDone(t *testing.T) {
	release := make(chan struct{})
	blocked := make(chan struct{})
	const n = 3 * maxIdleReporters
	var wg sync.WaitGroup
	wg.Add(n + 1)
	start := time.Now()
	runDone(DoneFunc(func(st Stats) { // the slow one (a lease a remote store releases)
		defer wg.Done()
		close(blocked)
		<-release
	}), Stats{CloseCode: 1000})
	<-blocked
	got := make(chan Stats, n)
	for i := range n {
		runDone(DoneFunc(func(st Stats) { defer wg.Done(); got <- st }), Stats{ClientToBackendMsgs: int64(i)})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("runDone blocked its caller for %v", d)
	}
	seen := map[int64]bool{}
	for range n {
		select {
		case st := <-got:
			seen[st.ClientToBackendMsgs] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d callbacks ran while one blocked", len(seen), n)
		}
	}
	if len(seen) != n {
		t.Fatalf("callbacks saw %d distinct Stats, want %d", len(seen), n)
	}
	close(release)
	wg.Wait()
	// The reporters settle: at most maxIdleReporters wait on.
	deadline := time.Now().Add(10 * time.Second)
	for {
		waiting := testutil.Goroutines("wsproxy.reporter(")
		if waiting <= maxIdleReporters && idleReporters.Load() <= maxIdleReporters {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reporters left (%d idle), want at most %d", waiting, idleReporters.Load(), maxIdleReporters)
		}
		time.Sleep(time.Millisecond)
	}
	// A waiting reporter takes the next session: no goroutine started.
	if idleReporters.Load() > 0 {
		before := testutil.Goroutines("wsproxy.reporter(")
		ran := make(chan struct{})
		runDone(DoneFunc(func(Stats) { close(ran) }), Stats{})
		<-ran
		if after := testutil.Goroutines("wsproxy.reporter("); after > before {
			t.Errorf("%d reporters after a session ended with one waiting, %d before", after, before)
		}
	}
}
