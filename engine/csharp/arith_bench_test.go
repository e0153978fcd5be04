package csharp

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Integral and floating arithmetic, lowered to expr and interpreted: an
// int's + - * wrap at 32 bits, a long's and a double's are expr's own.
//
//	go test -run '^$' -bench Arith ./engine/csharp/
var arithBenches = []struct{ name, src string }{
	{"Int", `int h = context.Request.Method.Length; int k = h * 31 + 7; int m = k * 31 - h; return m * 17 + k;`},
	{"Long", `long h = context.Request.Method.Length; long k = h * 31 + 7; long m = k * 31 - h; return m * 17 + k;`},
	{"Double", `double h = context.Request.Method.Length; double k = h * 31 + 7; double m = k * 31 - h; return m * 17 + k;`},
	{"IntDiv", `int h = context.Request.Method.Length + 100; return h / 7 + h % 7;`},
}

func BenchmarkArithLowered(b *testing.B) {
	for _, bc := range arithBenches {
		b.Run(bc.name, func(b *testing.B) { benchLowered(b, bc.src, "GET") })
	}
}

// benchLowered runs the C# block src lowered to expr, b.N times, with
// context.Request.Method set to method (the benchmarks' input).
func benchLowered(b *testing.B, src, method string) {
	front := fuzzFront(b)
	p, err := front.Compile(src, true)
	if err != nil || p.Lowered == "" {
		b.Fatalf("%v %s", err, p.Why)
	}
	opts := append([]expr.Option{expr.Env(fuzzEnv{})}, front.Options()...)
	prog, err := expr.Compile(p.Lowered, opts...)
	if err != nil {
		b.Fatal(err)
	}
	env := fuzzEnv{Context: &fuzzContext{Request: &fuzzRequest{Method: method}, Variables: fuzzVars{}}}
	var machine vm.VM
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := machine.Run(prog, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArithInterpreted(b *testing.B) {
	front := fuzzFront(b)
	for _, bc := range append(arithBenches, struct{ name, src string }{"HashLoop",
		`int h = 0; foreach (var c in "backend-shard-key-000123") { h = h * 31 + c; } return Math.Abs(h) % 3;`}) {
		b.Run(bc.name, func(b *testing.B) {
			p, err := front.Compile(bc.src, true)
			if err != nil {
				b.Fatal(err)
			}
			env := &fuzzEnv{Context: &fuzzContext{Request: &fuzzRequest{Method: "GET"}, Variables: fuzzVars{}}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Run(env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
