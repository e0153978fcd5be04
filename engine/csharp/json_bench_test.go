package csharp

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// The JSON path REST policies take: parsing an answer (nulls in it) and
// reading it in a lowered expression.
//
//	go test -run '^$' -bench JSON -benchmem ./engine/csharp/
const benchJSONAnswer = `{"id":"42","error":null,"data":{"items":[{"n":1,"v":null},{"n":2,"v":"x"}],"next":null},"usage":{"input_tokens":12,"output_tokens":null}}`

func BenchmarkJSONParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseJSON(benchJSONAnswer); err != nil {
			b.Fatal(err)
		}
	}
}

var jsonBenches = []struct{ name, src string }{
	{"ErrorBranch", `var b = JObject.Parse(context.Request.Method); return b["error"] != null ? "err" : (string)b["id"];`},
	{"NullableRead", `var b = JObject.Parse(context.Request.Method); return "n" + ((int?)b["usage"]?["output_tokens"] ?? 0) + (string)b["data"]["items"][0]["v"];`},
	{"Serialize", `var b = JObject.Parse(context.Request.Method); return b.ToString(Formatting.None);`},
}

func BenchmarkJSONLowered(b *testing.B) {
	front := fuzzFront(b)
	for _, bc := range jsonBenches {
		b.Run(bc.name, func(b *testing.B) {
			p, err := front.Compile(bc.src, true)
			if err != nil {
				b.Fatal(err)
			}
			if p.Lowered == "" {
				b.Fatal(p.Why)
			}
			opts := append([]expr.Option{expr.Env(fuzzEnv{})}, front.Options()...)
			prog, err := expr.Compile(p.Lowered, opts...)
			if err != nil {
				b.Fatal(err)
			}
			env := fuzzEnv{Context: &fuzzContext{Request: &fuzzRequest{Method: benchJSONAnswer}, Variables: fuzzVars{}}}
			var machine vm.VM
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := machine.Run(prog, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
