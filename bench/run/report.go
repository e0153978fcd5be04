package main

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"tollgate/gateway/wsproxy"
)

// row is one line of the results table.
type row struct {
	metric string
	unit   string
	higher bool // higher is better
	digits int
	get    func(Result) float64
}

func per100k(r Result) float64 {
	if r.Msgs == 0 {
		return 0
	}
	return r.CPUs / float64(r.Msgs) * 1e5
}

func rowsFor(sc scenario) []row {
	msgs := func(r Result) float64 { return r.MsgsPerS }
	p50 := func(r Result) float64 { return r.P50us }
	p99 := func(r Result) float64 { return r.P99us }
	switch sc.key {
	case "pp1", "pp50":
		return []row{
			{"messages/s", "msg/s", true, 0, msgs},
			{"round trip p50", "µs", false, 0, p50},
			{"round trip p99", "µs", false, 0, p99},
			{"proxy CPU per 100k messages", "CPU-s", false, 3, per100k},
		}
	case "st64":
		return []row{
			{"messages/s", "msg/s", true, 0, msgs},
			{"proxy CPU per 100k messages", "CPU-s", false, 3, per100k},
		}
	case "st16k":
		return []row{
			{"throughput", "MB/s", true, 0, func(r Result) float64 { return r.MBPerS }},
			{"proxy CPU per GB", "CPU-s", false, 2, func(r Result) float64 {
				if r.Msgs == 0 {
					return 0
				}
				return r.CPUs / (float64(r.Msgs) * float64(r.Size) / 1e9)
			}},
		}
	case "hs", "hsco":
		return []row{
			{"handshakes/s", "hs/s", true, 0, func(r Result) float64 { return r.HSPerS }},
			{"handshake p50", "µs", false, 0, p50},
			{"handshake p99", "µs", false, 0, p99},
			{"proxy CPU per 1k handshakes", "CPU-s", false, 3, func(r Result) float64 {
				if r.Handshakes == 0 {
					return 0
				}
				return r.CPUs / float64(r.Handshakes) * 1e3
			}},
		}
	case "rget", "r4k", "r64k", "rpost":
		return []row{
			{"requests/s", "req/s", true, 0, msgs},
			{"latency p50", "µs", false, 0, p50},
			{"latency p99", "µs", false, 0, p99},
			{"proxy CPU per 1k requests", "CPU-ms", false, 1, func(r Result) float64 {
				if r.Msgs == 0 {
					return 0
				}
				return r.CPUs / float64(r.Msgs) * 1e6
			}},
		}
	case "idle":
		return []row{
			{"memory per idle proxied connection", "KiB", false, 1, func(r Result) float64 { return r.MemPerConn / 1024 }},
		}
	}
	return nil
}

// medians picks each target's median round of each scenario (its index in
// rounds), ordered by the scenario's last figure (proxy CPU per unit of
// work); a round with errors is picked over the others, so that the table
// shows them.
func medians(scenarios []scenario, rounds map[string]map[string][]Result) map[string]map[string]int {
	pick := map[string]map[string]int{}
	for _, sc := range scenarios {
		rows := rowsFor(sc)
		cost := rows[len(rows)-1].get
		pick[sc.key] = map[string]int{}
		for name, rs := range rounds[sc.key] {
			pick[sc.key][name] = median(rs, cost)
		}
	}
	return pick
}

func median(rs []Result, cost func(Result) float64) int {
	if i := slices.IndexFunc(rs, func(r Result) bool { return r.Errors != 0 }); i >= 0 {
		return i
	}
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost(rs[a]), cost(rs[b])) })
	return order[(len(order)-1)/2]
}

func report(o *opts, scenarios []scenario, rounds map[string]map[string][]Result, d time.Duration, idleN int, targets []target) string {
	pick := medians(scenarios, rounds)
	res := map[string]map[string]Result{} // each target's median round
	for key, byTarget := range rounds {
		res[key] = map[string]Result{}
		for name, rs := range byTarget {
			res[key][name] = rs[pick[key][name]]
		}
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.name
	}
	extra := targets[2:] // informational columns (the -probe design probe, the bare ReverseProxy)
	var b strings.Builder
	fmt.Fprintf(&b, "# tollgate vs nginx: WebSocket and REST proxy benchmark\n\n")
	fmt.Fprintf(&b, "Run %s with `%s` (scale %.2g: %s per scenario and target, %d idle connections).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), taskCommand(os.Args[1:]), o.scale, d, idleN)
	if o.rounds > 1 {
		fmt.Fprintf(&b, "Every scenario but idle ran %d rounds, the targets in a rotated order each round; each figure below is from the target's median round by its proxy CPU per unit of work (marked in the raw figures, which list every round).\n\n", o.rounds)
	}
	tgRuntime := fmt.Sprintf("GOMAXPROCS unset (%d)", runtime.NumCPU())
	if env := tgExtraEnv(o.tgEnv); len(env) > 0 {
		tgRuntime = "environment " + strings.Join(env, " ") + " (-tollgate-env; GOMAXPROCS unset means " + strconv.Itoa(runtime.NumCPU()) + ")"
	}
	fmt.Fprintf(&b, "Machine: %s, %d cores, kernel %s. %s. %s. tollgate: %s, one process, WebSocket data path %s; nginx: worker_processes %s (CPU and memory summed over master and workers). Echo backend and load client run on the same cores.\n\n",
		cpuModel(), runtime.NumCPU(), kernel(), goVersion(), nginxVersion(o.nginxBin), tgRuntime, dataPathName(o.dataPath), o.workers)
	if o.idleNote != "" {
		b.WriteString(o.idleNote + "\n\n")
	}
	b.WriteString("| scenario | figure | tollgate | nginx | better | winner |")
	for _, t := range extra {
		l := t.label
		if l == "" {
			l = t.name
		}
		b.WriteString(" " + l + " |")
	}
	b.WriteString("\n|---|---|---:|---:|---|---|" + strings.Repeat("---:|", len(extra)) + "\n")
	wins, losses := 0, 0
	var notes []string
	// extraCells ends a row with the informational columns ("-" where a
	// target did not run the scenario).
	extraCells := func(sc scenario, rw row) {
		for _, x := range extra {
			if r, ok := res[sc.key][x.name]; ok {
				fmt.Fprintf(&b, " %s |", num(rw.get(r), rw.digits))
			} else {
				b.WriteString(" - |")
			}
		}
		b.WriteString("\n")
	}
	for _, sc := range scenarios {
		tg, ng := res[sc.key]["tollgate"], res[sc.key]["nginx"]
		_, ran := res[sc.key]["nginx"]
		for _, rw := range rowsFor(sc) {
			a, n := rw.get(tg), rw.get(ng)
			if !ran { // a policy-only scenario: nothing to compare with
				fmt.Fprintf(&b, "| %s | %s (%s) | %s | - | %s | - (nginx runs no policy) |", sc.title, rw.metric, rw.unit,
					num(a, rw.digits), map[bool]string{true: "higher", false: "lower"}[rw.higher])
				extraCells(sc, rw)
				continue
			}
			better := "lower"
			if rw.higher {
				better = "higher"
			}
			winner := "tie"
			switch {
			case tg.Errors != 0 || ng.Errors != 0:
				winner = "n/a (errors)"
			case (rw.higher && a > n) || (!rw.higher && a < n):
				winner = fmt.Sprintf("**tollgate** (%s)", ratio(a, n, rw.higher))
				wins++
			case (rw.higher && a < n) || (!rw.higher && a > n):
				winner = fmt.Sprintf("nginx (%s)", ratio(n, a, rw.higher))
				losses++
			}
			fmt.Fprintf(&b, "| %s | %s (%s) | %s | %s | %s | %s |", sc.title, rw.metric, rw.unit,
				num(a, rw.digits), num(n, rw.digits), better, winner)
			extraCells(sc, rw)
		}
		for _, t := range names {
			if r := res[sc.key][t]; r.Errors != 0 {
				notes = append(notes, fmt.Sprintf("- %s, %s: %d errors, first: %s", sc.title, t, r.Errors, r.FirstError))
			}
		}
	}
	fmt.Fprintf(&b, "\ntollgate ahead in %d of %d figures.\n", wins, wins+losses)
	if len(notes) > 0 {
		b.WriteString("\nErrors:\n\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\nRaw figures (messages counted at the client: one message = one 64 B or 16 KiB message and its echo, so each proxy forwards it twice; in the REST rows, one message = one request and its response):\n\n")
	b.WriteString("| scenario | target | seconds | messages | handshakes | CPU-s | RSS before → after (kB) |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, sc := range scenarios {
		for _, t := range names {
			rs := rounds[sc.key][t]
			for i, r := range rs {
				rss := ""
				if r.RSSAfter != 0 {
					rss = fmt.Sprintf("%d → %d", r.RSSBefore, r.RSSAfter)
				}
				label := t
				if len(rs) > 1 {
					label = fmt.Sprintf("%s, round %d", t, i+1)
					if i == pick[sc.key][t] {
						label += " (median)"
					}
				}
				fmt.Fprintf(&b, "| %s | %s | %.1f | %d | %d | %.2f | %s |\n", sc.title, label, r.Seconds, r.Msgs, r.Handshakes, r.CPUs, rss)
			}
		}
	}
	return b.String()
}

// taskCommand is the task command that ran bench-run with args: the flags
// the task adds itself (-bin, -clk-tck) left out.
func taskCommand(args []string) string {
	cmd := "go tool task bench"
	var extra []string
	skip := false
	for _, a := range args {
		switch {
		case skip: // the value of a flag the task adds
			skip = false
		case a == "-bin" || a == "-clk-tck" || a == "--bin" || a == "--clk-tck":
			skip = true
		case strings.HasPrefix(strings.TrimLeft(a, "-"), "bin=") || strings.HasPrefix(strings.TrimLeft(a, "-"), "clk-tck="):
		default:
			extra = append(extra, a)
		}
	}
	if len(extra) > 0 {
		cmd += " -- " + strings.Join(extra, " ")
	}
	return cmd
}

func ratio(win, lose float64, higher bool) string {
	if win == 0 || lose == 0 {
		return "-"
	}
	if higher {
		return fmt.Sprintf("%.2fx", win/lose)
	}
	return fmt.Sprintf("%.2fx", lose/win)
}

func num(v float64, digits int) string {
	if digits == 0 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.*f", digits, v)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func goVersion() string { return "tollgate built with " + runtime.Version() }

func nginxVersion(bin string) string {
	out, _ := exec.Command(bin, "-v").CombinedOutput()
	return strings.TrimSpace(string(out))
}

// dataPathName is tollgate's --ws-data-path as the report shows it.
func dataPathName(p string) string {
	if p == "" || p == "auto" {
		return "`" + wsproxy.Relayers()[0] + "` (auto)"
	}
	return "`" + p + "`"
}
