//go:build linux

package wsproxy

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestSetEventLoops runs a fresh test process per row (the relay loops
// start once per process), which sets the number before the first relayer
// and reports how many loops run.
func TestSetEventLoops(t *testing.T) {
	if v := os.Getenv("TOLLGATE_TEST_SET_LOOPS"); v != "" {
		n, _ := strconv.Atoi(v)
		if err := SetEventLoops(n); err != nil {
			t.Fatal(err)
		}
		if _, err := NewRelayer("eventloop"); err != nil {
			t.Fatal(err)
		}
		// Asking again for what runs is fine; anything else is refused.
		if err := SetEventLoops(len(pollers)); err != nil {
			t.Fatalf("same number again: %v", err)
		}
		if err := SetEventLoops(len(pollers) + 1); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Fatalf("a change after the start: err = %v, want already running", err)
		}
		os.Stdout.WriteString("loops=" + strconv.Itoa(len(pollers)) + "\n")
		return
	}
	for _, tc := range []struct{ set, want int }{
		{1, 1},
		{3, 3},
		{0, defaultLoops()},
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestSetEventLoops$", "-test.v")
		cmd.Env = append(os.Environ(), "TOLLGATE_TEST_SET_LOOPS="+strconv.Itoa(tc.set))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("set %d: %v\n%s", tc.set, err, out)
		}
		if want := "loops=" + strconv.Itoa(tc.want) + "\n"; !strings.Contains(string(out), want) {
			t.Errorf("set %d: want %q in\n%s", tc.set, want, out)
		}
	}
	for _, n := range []int{-1, 65} {
		if err := SetEventLoops(n); err == nil {
			t.Errorf("SetEventLoops(%d): no error", n)
		}
	}
}
