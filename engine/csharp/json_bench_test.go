package csharp

import "testing"

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
	for _, bc := range jsonBenches {
		b.Run(bc.name, func(b *testing.B) { benchLowered(b, bc.src, benchJSONAnswer) })
	}
}
