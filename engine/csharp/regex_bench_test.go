package csharp

import (
	"testing"

	"github.com/dlclark/regexp2/v2"
)

// BenchmarkRegexBuiltins: Regex's static methods alone (no expression
// around them), on typical policy patterns, the pattern cached:
//
//	go test -run '^$' -bench RegexBuiltins -benchmem ./engine/csharp/
func BenchmarkRegexBuiltins(b *testing.B) {
	loadBuiltins()
	for _, bc := range []struct {
		name, method string
		args         []any
	}{
		{"IsMatchBearer", "IsMatch", []any{"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", `^Bearer\s+[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*$`}},
		{"IsMatchEmailNoMatch", "IsMatch", []any{"not an email address, just some header text of moderate length", `^[^@\s]+@[^@\s]+\.[a-z]{2,}$`}},
		{"ReplaceMaskCard", "Replace", []any{`{"card":"4111111111111111","cvv":"123","name":"Jane Doe"}`, `\d{12}(\d{4})`, "************$1"}},
		{"ReplaceAllDigits", "Replace", []any{`order 12345 of customer 987 at 2024-01-02`, `\d`, "#"}},
		{"MatchGroups", "Match", []any{"/api/v2/users/12345/orders", `^/api/v(?<ver>\d+)/users/(?<id>\d+)`}},
	} {
		var run *builtin
		for _, bi := range statics["Regex"][bc.method] {
			if len(bi.params) == len(bc.args) {
				run = bi
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := run.run(bc.args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRegexCompile: compiling a pattern, uncached, as a pattern from
// the request compiles (getRegex's bounds, then regexp2): ECMAScript |
// IgnoreCase patterns with \W, \D and . (which netPattern keeps from
// being folded), and, for comparison, the same on regexp2 alone:
//
//	go test -run '^$' -bench RegexCompile -benchmem ./engine/csharp/
func BenchmarkRegexCompile(b *testing.B) {
	ei := roECMAScript | roIgnoreCase
	for _, bc := range []struct {
		name string
		pat  string
		opts int
	}{
		{"ECMAIgnoreCaseWordDigitDot", `^\W\D.$`, ei},
		{"ECMAIgnoreCaseNonASCII", `^(grüße|straße|ÉTÉ).*\W*$`, ei},
		{"IgnoreCaseNonASCII", `^(grüße|straße|ÉTÉ).*\W*$`, roIgnoreCase},
		{"IgnoreCaseBMPClass", `[\u0000-\uFFFF]`, roIgnoreCase},
		{"Bearer", `^Bearer\s+[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*$`, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := compileAsGetRegex(bc.pat, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ECMAIgnoreCaseWordDigitDot/regexp2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := regexp2.Compile(`^\W\D.$`, regexp2.RegexOptions(ei)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
