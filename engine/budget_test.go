package engine

import (
	"context"

	"errors"
	"github.com/expr-lang/expr/ast"
	"strings"
	"testing"
	"time"
)

// Expressions that would build gigabytes out of few elements fail on the
// byte budget, and a long-running one stops when its context does.
func TestExprBudget(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		limit     int64
		want      string // "" : must succeed
	}{
		{"the issue's example", `len(join(map(1..5000, repeat("x", 1000000)), ""))`, 0, "max-expression-bytes"},
		{"join of references to one string", `len(join(map(1..5000, "` + strings.Repeat("y", 1000) + `"), ""))`, 1 << 20, "max-expression-bytes"},
		{"concatenation doubling", `len(reduce(1..40, #acc + #acc, "xxxxxxxx"))`, 0, "max-expression-bytes"},
		{"toJSON of references", `len(toJSON(map(1..20000, repeat("z", 1000))))`, 0, "max-expression-bytes"},
		{"string of references", `len(string(map(1..100, repeat("z", 100000))))`, 0, "max-expression-bytes"},
		{"replace that grows", `len(replace(repeat("a", 1000000), "a", "aaaaaaaaaaaaaaaaaaaaaa"))`, 0, "max-expression-bytes"},
		{"upper in a loop", `len(map(1..100, upper(repeat("q", 1000000))))`, 0, "max-expression-bytes"},
		{"split into many parts", `len(map(1..100, len(split(repeat("ab", 500000), ""))))`, 0, "max-expression-bytes"},
		{"fromJSON of big documents", `len(map(1..100, fromJSON(toJSON(repeat("j", 500000)))))`, 0, "max-expression-bytes"},
		{"toBase64 in a loop", `len(map(1..100, toBase64(repeat("q", 1000000))))`, 0, "max-expression-bytes"},
		{"small work passes", `len(join(map(1..100, repeat("x", 100)), ","))`, 0, ""},
		{"split, fromJSON and toBase64 still work", `split("a,b", ",")[1] + fromJSON("{\"k\": \"v\"}").k + toBase64("x")`, 0, ""},
		{"within a raised limit", `len(join(map(1..50, repeat("x", 1000000)), ""))`, 128 << 20, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := compileTestProgram(t, tc.src)
			st := AcquireState(&Api{Name: "a"})
			defer st.Release()
			st.SetExprBytes(tc.limit)
			_, err := st.eval(p)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("failed: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestExprInterruptedByContext(t *testing.T) {
	// Each iteration scans or compares 1 MB strings: minutes of CPU
	// without the interrupt, and no allocation to stop it.
	for _, src := range []string{
		`len(filter(map(1..200000, repeat("a", 1000000)), # contains "b"))`,
		`len(filter(1..250000, indexOf(repeat("c", 1000000), "d") > 0))`,
		`let s = repeat("e", 1000000); let u = repeat("e", 1000000); len(filter(1..250000, s == u))`,
		`let s = repeat("e", 1000000); let u = repeat("e", 1000000); len(filter(1..250, count(1..1000, s == u) > 999))`,
	} {
		p := compileTestProgram(t, src)
		st := AcquireState(&Api{Name: "a"})
		st.SetExprBytes(1 << 40)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		st.budget.done = ctx.Done()
		_, err := st.eval(p)
		cancel()
		st.Release()
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Reason != ReasonTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: got %v, want a Timeout", src, err)
		}
	}
}

// Loop bodies that certainly take constant time get no deadline check
// (it would double a tight loop's cost); all others do.
func TestConstantTimeBodies(t *testing.T) {
	for src, want := range map[string]bool{
		`map(1..3, #)`:                          true,
		`map(1..3, # * 2 + 1)`:                  true,
		`filter(1..3, # > 1 && # < 3)`:          true,
		`filter(["a"], # == "a")`:               false, // strings may be long
		`map(1..3, len(map(1..3, #)))`:          false, // a nested loop
		`filter(["a"], # contains "a")`:         false,
		`map(1..3, indexOf("abc", "c"))`:        false,
		`map(1..3, context.Request.Method)`:     true,
		`all(1..3, context.Variables["x"] > 1)`: false, // unknown types
	} {
		p := compileTestProgram(t, src)
		node := p.prog.Node()
		got := true
		ast.Walk(&node, visitFunc(func(n *ast.Node) {
			if c, ok := (*n).(*ast.CallNode); ok && isTick(c) {
				got = false
			}
		}))
		if got != want {
			t.Errorf("%s: constant time %v, want %v", src, got, want)
		}
	}
}

type visitFunc func(*ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(n) }

func compileTestProgram(t testing.TB, src string) *program {
	t.Helper()
	p, _ := compileFast(t, src)
	return p
}
