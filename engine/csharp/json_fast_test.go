package csharp

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
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
	// integers past long: Json.NET's BigInteger tokens (JBigInt), up to
	// 380 characters; a longer one is a JsonReaderException
	`{"n":12345678901234567890,"m":-12345678901234567890,"u":18446744073709551616,"l":-9223372036854775809,"k":-9223372036854775808}`,
	`[` + strings.Repeat("9", 380) + `, -` + strings.Repeat("1", 379) + `]`,
	strings.Repeat("9", 381), `-` + strings.Repeat("1", 380), `123456789012345678901.5`, `12345678901234567890e0`,
}

// parseJSONFast must give exactly what the Decoder path gives for what it
// takes, and take only what the Decoder takes.
func TestParseJSONFastMatchesDecoder(t *testing.T) {
	for _, s := range jsonFastSeeds {
		checkJSONFast(t, s)
		// Every valid document is taken but for the two it leaves on
		// purpose: a number out of range, nesting past maxJSONDepth.
		if _, ok := parseJSONFast(s); !ok && json.Valid([]byte(s)) && s != `1e400` && !strings.HasPrefix(s, "[[[") && len(s) <= maxJSONInteger {
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

// TestParseJSONBigInteger: a JSON integer past long's range is an Integer
// token whose text is kept (Json.NET's BigInteger), on both paths; one
// with a fraction or an exponent stays a double; past 380 characters it is
// Json.NET's JsonReaderException.
func TestParseJSONBigInteger(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`12345678901234567890`, JBigInt{text: "12345678901234567890"}},
		{`-12345678901234567890`, JBigInt{text: "-12345678901234567890"}},
		{`9223372036854775808`, JBigInt{text: "9223372036854775808"}},
		{`-9223372036854775809`, JBigInt{text: "-9223372036854775809"}},
		{strconv.Itoa(math.MaxInt), math.MaxInt}, // long's ends on 64-bit (the 386 vet builds this too)
		{strconv.Itoa(math.MinInt), math.MinInt},
		{`12345678901234567890.0`, 1.2345678901234567e19},
		{`12345678901234567890e0`, 1.2345678901234567e19},
		{strings.Repeat("7", 380), JBigInt{text: strings.Repeat("7", 380)}},
	} {
		fast, ok := parseJSONFast(tc.in)
		slow, err := parseJSONDecoder(tc.in)
		if !ok || err != nil || !reflect.DeepEqual(fast, tc.want) || !reflect.DeepEqual(slow, tc.want) {
			t.Errorf("%.40s: fast %#v (%v), Decoder %#v (%v), want %#v", tc.in, fast, ok, slow, err, tc.want)
		}
		if b, isBig := tc.want.(JBigInt); isBig && jsonText(fast, false) != b.text {
			t.Errorf("%.40s written as %.40s", tc.in, jsonText(fast, false))
		}
	}
	for _, in := range []string{strings.Repeat("9", 381), "[-" + strings.Repeat("1", 381) + "]"} {
		_, err := ParseJSON(in)
		if e, ok := err.(*Exception); !ok || e.Type != "JsonReaderException" || !strings.HasSuffix(e.Msg, "is too large to parse.") {
			t.Errorf("%.20s… (%d characters): %v, want JsonReaderException", in, len(in), err)
		}
	}
}
