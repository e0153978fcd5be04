package csharp

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var jsonFastSeeds = []string{
	`{"active":true,"tenant":"acme"}`,
	` { "a" : [1, -2, 3.5, 1e3, -0, 0.0, 9223372036854775807, 9223372036854775808, 1E-2] , "b":{}, "c":[], "d":null, "e":false } `,
	`{"a":1,"a":2,"b":[{"x":"y"}]}`,
	`"plain"`, `"esc\"aped\\ \u00e9 \ud83d\ude00 \n"`, "\"caf\xc3\xa9\"", "\"bad \xff utf8\"", `"\ud800"`,
	`123`, `-1.5e+10`, `true`, `null`,
	// invalid: left to the Decoder, which words the error
	``, ` `, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `[1 2]`, `01`, `1.`, `-`, `1e`, `.5`, `+1`, `tru`, `truex`, `nul`,
	`{"a":1}x`, `{"a":1} {}`, "\"ctl \x01\"", `"unterminated`, `"bad escape \x"`, `{1:2}`, `1e400`,
	strings.Repeat("[", 300) + strings.Repeat("]", 300),
}

// parseJSONFast must give exactly what the Decoder path gives for what it
// takes, and take only what the Decoder takes.
func TestParseJSONFastMatchesDecoder(t *testing.T) {
	for _, s := range jsonFastSeeds {
		checkJSONFast(t, s)
		// Every valid document is taken but for the two it leaves on
		// purpose: a number out of range, nesting past maxJSONDepth.
		if _, ok := parseJSONFast(s); !ok && json.Valid([]byte(s)) && s != `1e400` && !strings.HasPrefix(s, "[[[") {
			t.Errorf("%q: the fast path refused a valid document", s)
		}
	}
}

func FuzzParseJSONFast(f *testing.F) {
	for _, s := range jsonFastSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkJSONFast(t, s) })
}

func checkJSONFast(t *testing.T, s string) {
	t.Helper()
	fast, ok := parseJSONFast(s)
	slow, err := parseJSONDecoder(s)
	if ok {
		if err != nil {
			t.Fatalf("%q: the fast path took what the Decoder refuses (%v)", s, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %#v, Decoder %#v", s, fast, slow)
		}
		return
	}
}
