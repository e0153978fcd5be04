package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Comparing two builds (-ab). On a shared or virtual machine, runs made one
// after the other move by a fifth from one to the next, so a change worth
// a few percent is lost in them, rounds or not. Two builds served at the
// same time under the same load share whatever the machine does meanwhile:
// the ratio of their costs, round by round, moves far less than either.

// runAB starts build B (-ab) as tollgate A was started (args, env) and
// runs every scenario but idle against both at the same time (abRound),
// then writes abReport.
func runAB(o *opts, scenarios []scenario, a target, args, env []string, tmp string, d time.Duration) int {
	addr := freePort()
	log := filepath.Join(tmp, "tollgate-b.log")
	bArgs := slices.Clone(args)
	bArgs[0] = o.ab
	for i := range bArgs {
		if bArgs[i] == a.addr {
			bArgs[i] = addr
		}
	}
	c := start("tollgate-b", env, log, bArgs...)
	waitPort("tollgate-b", addr, log)
	b := target{name: "tollgate-b", addr: addr, pids: func() []int { return []int{c.Process.Pid} }}
	rounds := map[string][2][]Result{}
	var run []scenario
	for i, sc := range scenarios {
		if sc.key == "idle" {
			continue // memory: each build alone (the default mode)
		}
		run = append(run, sc)
		var rs [2][]Result
		for r := range o.rounds {
			ra, rb := abRound(o, filepath.Join(o.bin, "bench-load"), sc, a, b, (i+r)%2 == 1)
			rs[0], rs[1] = append(rs[0], ra), append(rs[1], rb)
			logf("%-28s round %d  A %s", sc.title, r+1, brief(ra))
			logf("%-28s round %d  B %s", sc.title, r+1, brief(rb))
			time.Sleep(time.Second) // let closes and TIME_WAIT settle
		}
		rounds[sc.key] = rs
	}
	md := abReport(o, run, rounds, d)
	return writeReport(o, md)
}

// abRound runs sc against a and b at the same time, each loaded by its
// own bench-load with half of sc's connections (at least one), and
// returns their results; bFirst starts b's load first.
func abRound(o *opts, loadBin string, sc scenario, a, b target, bFirst bool) (ra, rb Result) {
	half := sc
	half.args = halfConns(sc.args)
	ts, rs := [2]target{a, b}, [2]*Result{&ra, &rb}
	if bFirst {
		ts[0], ts[1], rs[0], rs[1] = ts[1], ts[0], rs[1], rs[0]
	}
	var wg sync.WaitGroup
	for i := range ts {
		wg.Go(func() { *rs[i] = runLoad(o, loadBin, half, ts[i]) })
	}
	wg.Wait()
	return ra, rb
}

// halfConns is bench/load's arguments with -conns halved (at least 1).
func halfConns(args []string) []string {
	out := slices.Clone(args)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "-conns" {
			n, _ := strconv.Atoi(out[i+1])
			out[i+1] = strconv.Itoa(max(n/2, 1))
		}
	}
	return out
}

// abReport is the markdown report of an -ab run (rounds holds every one of
// scenarios): for each scenario, every
// round's cost per unit of work (the scenario's last figure) for A and B
// and their ratio, then the median ratio and its range, and each build's
// median throughput and p99.
func abReport(o *opts, scenarios []scenario, rounds map[string][2][]Result, d time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# tollgate A/B: two builds side by side\n\n")
	fmt.Fprintf(&b, "Run %s with `%s`: A is `%s`, B is `%s`. Both serve at the same time, each scenario's load split between them (each its own bench-load with half the connections, at least one) for %s a round, %d rounds; which load starts first alternates. Machine: %s, %d cores, kernel %s; the echo backend, the REST backend and the load clients run on the same cores.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), taskCommand(os.Args[1:]), relPath(filepath.Join(o.bin, "tollgate")), o.ab, d, o.rounds,
		cpuModel(), runtime.NumCPU(), kernel())
	b.WriteString("| scenario | figure | A (median) | B (median) | B/A, median of the rounds | B/A, lowest and highest round |\n|---|---|---:|---:|---:|---|\n")
	for _, sc := range scenarios {
		rs := rounds[sc.key]
		rows := rowsFor(sc)
		for i, rw := range rows {
			if i != 0 && i != len(rows)-1 && !strings.Contains(rw.metric, "p99") {
				continue // throughput, p99 and the cost
			}
			ratios := abRatios(rs, rw.get)
			lo, hi := slices.Min(ratios), slices.Max(ratios)
			fmt.Fprintf(&b, "| %s | %s (%s) | %s | %s | %.3f | %.3f to %.3f |\n", sc.title, rw.metric, rw.unit,
				num(medianOf(values(rs[0], rw.get)), rw.digits), num(medianOf(values(rs[1], rw.get)), rw.digits),
				medianOf(ratios), lo, hi)
		}
	}
	b.WriteString("\nB/A below 1 is B lower than A (better for a cost or a latency, worse for a throughput). A difference is a finding when the lowest and highest rounds agree on its side of 1, and a hint when only the median does.\n\nEvery round (cost per unit of work; errors, if any, after it):\n\n| scenario | round | A | B | B/A |\n|---|---:|---:|---:|---:|\n")
	for _, sc := range scenarios {
		rs := rounds[sc.key]
		rows := rowsFor(sc)
		cost := rows[len(rows)-1]
		for r := range rs[0] {
			x, y := cost.get(rs[0][r]), cost.get(rs[1][r])
			errs := ""
			for _, res := range []Result{rs[0][r], rs[1][r]} {
				if res.Errors != 0 {
					errs += fmt.Sprintf(" (%d errors: %s)", res.Errors, res.FirstError)
				}
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %.3f%s |\n", sc.title, r+1, num(x, cost.digits), num(y, cost.digits), y/x, errs)
		}
	}
	return b.String()
}

// relPath is p relative to the working directory when it lies below it
// (the task passes -bin as an absolute path).
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// abRatios is B's figure over A's, round by round.
func abRatios(rs [2][]Result, get func(Result) float64) []float64 {
	out := make([]float64, 0, len(rs[0]))
	for r := range rs[0] {
		if a := get(rs[0][r]); a != 0 {
			out = append(out, get(rs[1][r])/a)
		}
	}
	if len(out) == 0 {
		out = append(out, 0)
	}
	return out
}

func values(rs []Result, get func(Result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = get(r)
	}
	return out
}

// medianOf is the median of v (the mean of the middle two for an even
// count).
func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
