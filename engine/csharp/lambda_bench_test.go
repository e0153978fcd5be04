package csharp

import "testing"

// LINQ with expression lambdas, lowered to expr and interpreted: the path
// most policies' lambdas take.
//
//	go test -run '^$' -bench Lambda -benchmem ./engine/csharp/
var lambdaBenches = []struct{ name, src string }{
	{"Select", `return string.Join(",", "a=1;b=2;c=3;d=4".Split(';').Select(x => x.Split('=')[0]));`},
	{"WhereCount", `return new[] { 1, 2, 3, 4, 5, 6, 7, 8 }.Where(x => x % 2 == 0).Count(x => x > context.Request.Method.Length);`},
	{"AnyFirst", `var hs = "c,a,b".Split(','); return hs.Any(h => h == "b") ? hs.First(h => h != "c") : "";`},
}

// lambdaInterpBenches run on the interpreter only (the lowering leaves
// OrderBy, Aggregate and lambdas with a statement body to it).
var lambdaInterpBenches = []struct{ name, src string }{
	{"OrderByAggregate", `return "c,a,b".Split(',').OrderBy(h => h).Select(h => h.Length).Aggregate((a, x) => a * 31 + x);`},
	{"BlockSelect", `return string.Join(",", "a=1;b=2;c=3;d=4".Split(';').Select(x => { var p = x.Split('='); return p[0]; }));`},
	{"BlockWhereCount", `return new[] { 1, 2, 3, 4, 5, 6, 7, 8 }.Where(x => { if (x % 2 != 0) { return false; } return true; }).Count(x => { return x > context.Request.Method.Length; });`},
}

func BenchmarkLambdaLowered(b *testing.B) {
	for _, bc := range lambdaBenches {
		b.Run(bc.name, func(b *testing.B) { benchLowered(b, bc.src, "GET") })
	}
}

func BenchmarkLambdaInterpreted(b *testing.B) {
	front := fuzzFront(b)
	for _, bc := range append(lambdaBenches[:len(lambdaBenches):len(lambdaBenches)], lambdaInterpBenches...) {
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
