package main

import "testing"

func TestMedian(t *testing.T) {
	cpu := func(r Result) float64 { return r.CPUs }
	rs := func(cpus ...float64) []Result {
		var out []Result
		for _, c := range cpus {
			out = append(out, Result{CPUs: c, Msgs: 1})
		}
		return out
	}
	withErr := rs(1, 2, 3)
	withErr[2].Errors = 4
	for _, c := range []struct {
		name string
		in   []Result
		want float64
	}{
		{"one round", rs(5), 5},
		{"odd: the middle", rs(9, 1, 5), 5},
		{"even: the lower middle", rs(4, 1, 3, 2), 2},
		{"a round with errors wins", withErr, 3},
	} {
		if got := c.in[median(c.in, cpu)]; got.CPUs != c.want {
			t.Errorf("%s: median %v, want %v", c.name, got.CPUs, c.want)
		}
	}
}

// medians orders the rounds by each scenario's last figure: CPU per unit.
func TestMediansByCPUPerUnit(t *testing.T) {
	sc := []scenario{{key: "rget", rest: true}}
	rounds := map[string]map[string][]Result{"rget": {"tollgate": {
		{CPUs: 10, Msgs: 1000, MsgsPerS: 1}, // 10 ms per 1k
		{CPUs: 30, Msgs: 1000, MsgsPerS: 2}, // 30
		{CPUs: 10, Msgs: 500, MsgsPerS: 3},  // 20: the median
	}}}
	if got := rounds["rget"]["tollgate"][medians(sc, rounds)["rget"]["tollgate"]]; got.MsgsPerS != 3 {
		t.Errorf("picked %+v", got)
	}
}
