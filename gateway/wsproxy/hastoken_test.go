package wsproxy

import (
	"bytes"
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
	want bool // for "websocket"
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
}

// TestHasToken: the cases, and the version hasToken replaced agrees.
func TestHasToken(t *testing.T) {
	for _, tc := range hasTokenCases {
		if got := hasToken([]byte(tc.v), "websocket"); got != tc.want {
			t.Errorf("hasToken(%q) = %v, want %v", tc.v, got, tc.want)
		}
		if ref := hasTokenRef([]byte(tc.v), "websocket"); ref != tc.want {
			t.Errorf("the reference says %v for %q", ref, tc.v)
		}
	}
}

// FuzzHasToken: hasToken decides as the Cut, TrimSpace and EqualFold
// version it replaced, for both tokens the 101 check asks for.
func FuzzHasToken(f *testing.F) {
	for _, tc := range hasTokenCases {
		f.Add(tc.v)
	}
	f.Add("Upgrade, keep-alive")
	f.Add("\u017fupgrade")
	f.Fuzz(func(t *testing.T, v string) {
		for _, token := range []string{"websocket", "upgrade"} {
			if got, want := hasToken([]byte(v), token), hasTokenRef([]byte(v), token); got != want {
				t.Errorf("hasToken(%q, %q) = %v, the old version %v", v, token, got, want)
			}
		}
	})
}
