package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHalfConns(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"-scenario rest -conns 50 -duration 5s", "-scenario rest -conns 25 -duration 5s"},
		{"-scenario pingpong -conns 1 -size 64", "-scenario pingpong -conns 1 -size 64"}, // at least one each
		{"-scenario handshake -conns 21", "-scenario handshake -conns 10"},
	} {
		in := strings.Fields(c.in)
		if got := strings.Join(halfConns(in), " "); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
		if strings.Join(in, " ") != c.in {
			t.Errorf("%q was changed in place", c.in)
		}
	}
}

func TestMedianOf(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{0.9, 1.2, 1.0}, 1.0},
		{[]float64{4, 1, 3, 2}, 2.5},
		{nil, 0},
	} {
		in := slices.Clone(c.in)
		if got := medianOf(c.in); got != c.want {
			t.Errorf("%v: %v, want %v", in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("%v was sorted in place", in)
		}
	}
}

// The report gives B's figures over A's: the cost's median ratio and its
// range, round by round.
func TestABReport(t *testing.T) {
	sc := scenario{key: "rget", title: "REST GET", rest: true}
	res := func(cpu float64, msgs int64, p99 float64) Result {
		return Result{CPUs: cpu, Msgs: msgs, MsgsPerS: float64(msgs) / 5, P99us: p99}
	}
	rounds := map[string][2][]Result{"rget": {
		{res(10, 1e6, 100), res(12, 1e6, 100), res(11, 1e6, 100)}, // A: 10, 12, 11 ms per 1k
		{res(9, 1e6, 90), res(12, 1e6, 90), res(9.9, 1e6, 90)},    // B: 9, 12, 9.9
	}}
	o := &opts{bin: "bin", ab: "/tmp/other/tollgate", rounds: 3}
	md := abReport(o, []scenario{sc}, rounds, 5*time.Second)
	for _, want := range []string{
		"| REST GET | proxy CPU per 1k requests (CPU-ms) | 11.0 | 9.9 | 0.900 | 0.900 to 1.000 |", // ratios 0.9, 1.0, 0.9
		"| REST GET | latency p99 (µs) | 100 | 90 | 0.900 | 0.900 to 0.900 |",
		"| REST GET | requests/s (req/s) | 200000 | 200000 | 1.000 |",
		"| REST GET | 2 | 12.0 | 12.0 | 1.000 |",
		"B is `/tmp/other/tollgate`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "latency p50") {
		t.Errorf("p50 rows in the report:\n%s", md)
	}
}
