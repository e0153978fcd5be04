package wsproxy

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// hasTokenRef is hasToken as it was: bytes.Cut, bytes.TrimSpace and
// strings.EqualFold on each element.
func hasTokenRef(v []byte, token string) bool {
	for len(v) > 0 {
		var t []byte
		t, v, _ = bytes.Cut(v, []byte(","))
		if t = bytes.TrimSpace(t); len(t) == len(token) && strings.EqualFold(string(t), token) {
			return true
		}
	}
	return false
}

var hasTokenCases = []struct {
	v    string
	want bool // for "websocket" (HeaderHasToken's too, but for the Kelvin sign)
}{
	{"websocket", true},
	{"WebSocket", true},
	{" websocket ,", true},
	{"h2c, WEBSOCKET", true},
	{"websocketx", false},
	{"websocke", false},
	{"", false},
	{",,,", false},
	{"websoc\u212aet", false},       // KELVIN SIGN: longer than the token
	{"\u00a0websocket\u0085", true}, // Unicode space trimmed, as TrimSpace does
	{"\vwebsocket\f", true},
	{"web socket", false},
	{"websocke\xff", false},
	{"Websocket\x00", false},
	{"websocket\r", true},   // (CR is space to TrimSpace)
	{"\x17EBSOCKET", false}, // ('W' ^ 0x40: no letter)
}

// TestHasToken: the cases, and the version hasToken replaced agrees.
func TestHasToken(t *testing.T) {
	for _, tc := range hasTokenCases {
		if got := hasToken([]byte(tc.v), "websocket"); got != tc.want {
			t.Errorf("hasToken(%q) = %v, want %v", tc.v, got, tc.want)
		}
		wantH := tc.want || strings.ContainsRune(tc.v, '\u212a')
		if got := HeaderHasToken(http.Header{"Upgrade": {"x", tc.v}}, "Upgrade", "websocket"); got != wantH {
			t.Errorf("HeaderHasToken(%q) = %v, want %v", tc.v, got, wantH)
		}
		if ref := hasTokenRef([]byte(tc.v), "websocket"); ref != tc.want {
			t.Errorf("the reference says %v for %q", ref, tc.v)
		}
	}
}

// TestHasTokenNoAlloc: neither walk allocates (nextElement's type
// switch on its element is decided when it is compiled).
func TestHasTokenNoAlloc(t *testing.T) {
	b, h := []byte("keep-alive, Upgrade"), http.Header{"Connection": {"keep-alive, Upgrade"}}
	if n := testing.AllocsPerRun(100, func() {
		if !hasToken(b, "upgrade") || !HeaderHasToken(h, "Connection", "upgrade") {
			t.Fatal("no token")
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzHasToken: hasToken, tokenIn and HeaderHasToken decide as the Cut,
// TrimSpace and EqualFold versions they replaced (hasToken's with its
// length check, HeaderHasToken's without), for the tokens the checks ask
// for and for ASCII tokens the fuzzer makes (HeaderHasToken's callers may
// pass any).
func FuzzHasToken(f *testing.F) {
	for _, tc := range hasTokenCases {
		f.Add(tc.v)
	}
	f.Add("Upgrade, keep-alive")
	f.Add("\u017fupgrade")
	f.Fuzz(func(t *testing.T, v string) {
		tokens := []string{"websocket", "upgrade", "keep-alive", "x@[`{-"}
		if e, _, _ := strings.Cut(v, ","); isASCII([]byte(e)) {
			tokens = append(tokens, strings.TrimSpace(e), strings.ToUpper(strings.TrimSpace(e)))
		}
		for _, token := range tokens {
			want := hasTokenRef([]byte(v), token)
			if got := hasToken([]byte(v), token); got != want {
				t.Errorf("hasToken(%q, %q) = %v, the old version %v", v, token, got, want)
			}
			h := http.Header{"Connection": {v}}
			ref := headerHasTokenFold(h, "Connection", token)
			if got := tokenIn(v, token); got != ref {
				t.Errorf("tokenIn(%q, %q) = %v, the old version %v", v, token, got, ref)
			}
			if got := HeaderHasToken(h, "Connection", token); got != ref {
				t.Errorf("HeaderHasToken(%q, %q) = %v, the old version %v", v, token, got, ref)
			}
		}
	})
}
