package engine

import "testing"

// BenchmarkCSharpLoopListAdd and BenchmarkCSharpLoopStringAppend: a loop
// of 5,000 additions (TestCSharpLoopsGrowInPlace pins their allocations).
func BenchmarkCSharpLoopListAdd(b *testing.B) {
	benchCSharpLoop(b, `@{ var l = new List<int>(); for (var i = 0; i < 5000; i++) { l.Add(i); } return l.Count; }`)
}

func BenchmarkCSharpLoopStringAppend(b *testing.B) {
	benchCSharpLoop(b, `@{ var sb = new StringBuilder(); for (var i = 0; i < 5000; i++) { sb.Append("0123456789"); } return sb.ToString().Length; }`)
}

func benchCSharpLoop(b *testing.B, src string) {
	plan, _, errs := csCompile(b, src)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := csState()
		plan.Run(b.Context(), Inbound, s)
		s.Release()
	}
}
