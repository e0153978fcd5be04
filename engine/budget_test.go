package engine

import (
	"context"
	"errors"
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
	// Each iteration scans a 1 MB string: minutes of CPU without the
	// interrupt, no allocation to stop it.
	p := compileTestProgram(t, `len(filter(map(1..200000, repeat("a", 1000000)), # contains "b")) + len(filter(1..250000, indexOf(repeat("c", 1000000), "d") > 0))`)
	st := AcquireState(&Api{Name: "a"})
	defer st.Release()
	st.SetExprBytes(1 << 40)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st.budget.done = ctx.Done()
	_, err := st.eval(p)
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Reason != ReasonTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a Timeout", err)
	}
}

func compileTestProgram(t testing.TB, src string) *program {
	t.Helper()
	p, _ := compileFast(t, src)
	return p
}
