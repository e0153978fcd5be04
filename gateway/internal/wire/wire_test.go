package wire

import (
	"bufio"
	"io"
	"net/textproto"
	"strings"
	"testing"
)

func textprotoCanonical(s string) string { return textproto.CanonicalMIMEHeaderKey(s) }

func TestParseLength(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"5", 5, true}, {"000123", 123, true}, {"999999999999999999", 999999999999999999, true},
		{"", 0, false}, {"+5", 0, false}, {"-1", 0, false}, {" 5", 0, false}, {"5 ", 0, false}, {"5, 5", 0, false},
		{"0x10", 0, false}, {"1000000000000000000", 0, false},
	} {
		n, ok := ParseLength(tc.in)
		nb, okb := ParseLength([]byte(tc.in))
		if n != tc.n || ok != tc.ok || n != nb || ok != okb {
			t.Errorf("ParseLength(%q) = %d %v (bytes: %d %v); want %d %v", tc.in, n, ok, nb, okb, tc.n, tc.ok)
		}
	}
}

func TestParseChunkSize(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"5", 5, true}, {"fF", 255, true}, {"5;name=v", 5, true}, {"5;name=\"v\" ", 5, true},
		{"5 ", 5, true}, {"5\t", 5, true}, {"fffffffffffffff", 0xfffffffffffffff, true},
		{"5 ;name=v", 0, false}, {"5\t;", 0, false}, // whitespace before the extension: net/http refuses it
		{"", 0, false}, {" 5", 0, false}, {"0x5", 0, false}, {"+5", 0, false}, {"5 x", 0, false},
		{"ffffffffffffffff", 0, false}, {"5;a\x00b", 0, false}, {"5;a\rb", 0, false}, {"g", 0, false},
	} {
		n, ok := ParseChunkSize(tc.in)
		nb, okb := ParseChunkSize([]byte(tc.in))
		if n != tc.n || ok != tc.ok || n != nb || ok != okb {
			t.Errorf("ParseChunkSize(%q) = %d %v (bytes: %d %v); want %d %v", tc.in, n, ok, nb, okb, tc.n, tc.ok)
		}
	}
}

func TestFieldValues(t *testing.T) {
	for _, tc := range []struct {
		in, trimmed string
		valid       bool
	}{
		{" a b\t", "a b", true}, {"\t\t", "", true}, {"", "", true}, {"é", "é", true},
		{"a\rb", "a\rb", false}, {"a\nb", "a\nb", false}, {"a\x00", "a\x00", false}, {"a\x7f", "a\x7f", false},
	} {
		if got := TrimOWS(tc.in); got != tc.trimmed || string(TrimOWS([]byte(tc.in))) != tc.trimmed {
			t.Errorf("TrimOWS(%q) = %q; want %q", tc.in, got, tc.trimmed)
		}
		if got := ValidFieldValue(tc.in); got != tc.valid || ValidFieldValue([]byte(tc.in)) != tc.valid {
			t.Errorf("ValidFieldValue(%q) = %v; want %v", tc.in, got, tc.valid)
		}
	}
}

func TestCanonicalKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Content-Type", "Content-Type"}, {"content-type", "Content-Type"}, {"CONTENT-TYPE", "Content-Type"},
		{"x-tenant-id", "X-Tenant-Id"}, {"X-Tenant-Id", "X-Tenant-Id"}, {"etag", "Etag"}, {"ETag", "Etag"},
		{"x", "X"}, {"a-", "A-"},
		{"Sec-WebSocket-Key", "Sec-Websocket-Key"}, {"sec-websocket-version", "Sec-Websocket-Version"},
		{"Sec-WebSocket-Protocol", "Sec-Websocket-Protocol"}, {"WWW-Authenticate", "Www-Authenticate"},
		{"X-Request-ID", "X-Request-Id"}, {"DNT", "Dnt"}, {"Sec-WebSocket-Keys", "Sec-Websocket-Keys"},
	} {
		if got := CanonicalKey(tc.in); got != tc.want {
			t.Errorf("CanonicalKey(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if got := CanonicalKeyBytes([]byte(tc.in)); got != tc.want {
			t.Errorf("CanonicalKeyBytes(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestAnswerKeys: the names CanonicalKeyBytes compares before it looks in
// the map get what the map gives them, and a name that differs from one of
// them by a byte or by case still gets its canonical form.
func TestAnswerKeys(t *testing.T) {
	for _, k := range []string{"Content-Type", "Content-Length", "Date", "Server", "Connection", "Transfer-Encoding"} {
		if got, want := CanonicalKeyBytes([]byte(k)), commonKeys[k]; got != want || want == "" {
			t.Errorf("CanonicalKeyBytes(%q) = %q; the map has %q", k, got, want)
		}
		for _, v := range []string{strings.ToLower(k), strings.ToUpper(k), k + "s", k[:len(k)-1]} {
			if got, want := CanonicalKeyBytes([]byte(v)), textprotoCanonical(v); got != want {
				t.Errorf("CanonicalKeyBytes(%q) = %q; want %q", v, got, want)
			}
		}
	}
}

// TestCanonicalKeyCommonNoAlloc: the names a WebSocket handshake and most
// requests carry, as clients write them, cost no allocation.
func TestCanonicalKeyCommonNoAlloc(t *testing.T) {
	for _, name := range []string{"Content-Type", "Content-Length", "Date", "Server", "Transfer-Encoding", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
		"Sec-WebSocket-Extensions", "Sec-WebSocket-Accept", "sec-websocket-key", "Host", "user-agent", "ETag"} {
		b := []byte(name)
		if n := testing.AllocsPerRun(100, func() { _ = CanonicalKey(name); _ = CanonicalKeyBytes(b) }); n != 0 {
			t.Errorf("%q: %v allocations; want 0", name, n)
		}
	}
}

func TestReadChunkEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		err  error
		rest string
	}{
		{"\r\n5\r\n", true, nil, "5\r\n"},
		{"\n5\r\n", false, nil, "\r\n"}, // a bare LF is no chunk end
		{"\r\r\n", false, nil, "\n"},
		{"ab", false, nil, ""},
		{"\r", false, io.ErrUnexpectedEOF, ""},
		{"", false, io.ErrUnexpectedEOF, ""},
	} {
		br := bufio.NewReader(strings.NewReader(tc.in))
		ok, err := ReadChunkEnd(br)
		rest, _ := io.ReadAll(br)
		if ok != tc.ok || err != tc.err || (tc.ok && string(rest) != tc.rest) {
			t.Errorf("ReadChunkEnd(%q) = %v, %v (rest %q); want %v, %v (rest %q)", tc.in, ok, err, rest, tc.ok, tc.err, tc.rest)
		}
	}
}

// HopByHop is RFC 9110 §7.6.1's list and httputil's, for names in
// canonical form; Content-Length is the gateway's to add (isHopHeader).
func TestHopByHop(t *testing.T) {
	for _, k := range []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		if !HopByHop(k) {
			t.Errorf("%s: not hop-by-hop", k)
		}
	}
	for _, k := range []string{"Content-Length", "Content-Type", "X-Connection", "Trailers", "connection", "TE", ""} {
		if HopByHop(k) {
			t.Errorf("%q: hop-by-hop", k)
		}
	}
}

// FuzzCanonicalKeyBytes holds CanonicalKeyBytes (its switch of answer
// names, then the map) to CanonicalKey's reading of the same name.
func FuzzCanonicalKeyBytes(f *testing.F) {
	for _, s := range []string{"Content-Type", "content-length", "Date", "DATE", "Server ", "Connectio", "x-y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := CanonicalKeyBytes([]byte(s)), CanonicalKey(s); got != want {
			t.Fatalf("CanonicalKeyBytes(%q) = %q; CanonicalKey: %q", s, got, want)
		}
	})
}

// validTargetBytewise is the request-target check as h1 and the backend
// client wrote it, one byte at a time.
func validTargetBytewise(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// TestValidTargetEveryByte puts every byte value at every position of
// targets of 1 to 40 bytes, at eight offsets of one buffer, so that it falls
// in the first, a middle and the last word and in the byte-by-byte end.
func TestValidTargetEveryByte(t *testing.T) {
	base := []byte("/echo?mode=echo&tenant=acme%20x/y~z_w-v.u!")
	buf := make([]byte, 48+8)
	for off := 0; off < 8; off++ {
		for n := 1; n <= 40; n++ {
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					b := buf[off : off+n]
					copy(b, base)
					b[pos] = byte(c)
					want := validTargetBytewise(string(b))
					if got := ValidTarget(string(b)); got != want {
						t.Fatalf("ValidTarget(%q) = %v; want %v", b, got, want)
					}
					if got := ValidTargetBytes(b); got != want {
						t.Fatalf("ValidTargetBytes(%q) = %v; want %v", b, got, want)
					}
				}
			}
		}
	}
}

func FuzzValidTarget(f *testing.F) {
	for _, s := range []string{"/", "/a b", "/echo?mode=echo&tenant=acme", "/x\x7f", "/\x80\xff", "/12345678\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := validTargetBytewise(s)
		if got := ValidTarget(s); got != want {
			t.Fatalf("ValidTarget(%q) = %v; want %v", s, got, want)
		}
		if got := ValidTargetBytes([]byte(s)); got != want {
			t.Fatalf("ValidTargetBytes(%q) = %v; want %v", s, got, want)
		}
	})
}
