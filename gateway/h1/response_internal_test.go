package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
)

// AdoptHeader: a proxy's backend header map becomes the response's, the
// fields set before it go in front of its own, and a head already fixed
// keeps its map.
func TestAdoptHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before http.Header // set through Header first; nil: Header never called
		wrote  bool
		ok     bool
		want   http.Header
	}{
		{"untouched", nil, false, true, http.Header{"Server": {"b"}, "X-A": {"2"}}},
		{"Header called, nothing set", http.Header{}, false, true, http.Header{"Server": {"b"}, "X-A": {"2"}}},
		{"fields set before", http.Header{"X-A": {"1"}, "X-Trace": {"t"}}, false, true,
			http.Header{"Server": {"b"}, "X-A": {"1", "2"}, "X-Trace": {"t"}}},
		{"head fixed", http.Header{"X-A": {"1"}}, true, false, http.Header{"X-A": {"1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &response{}
			if tc.before != nil {
				w.Header() // a map, empty or not
			}
			for k, vv := range tc.before {
				w.Header()[k] = vv
			}
			w.wrote = tc.wrote
			h := http.Header{"Server": {"b"}, "X-A": {"2"}}
			if got := w.AdoptHeader(h); got != tc.ok {
				t.Fatalf("AdoptHeader: %v, want %v", got, tc.ok)
			}
			if got := w.Header(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("header %v, want %v", got, tc.want)
			}
		})
	}
}

// writeStatusLine writes the status line net/http would, allocating
// nothing.
func TestWriteStatusLine(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	for _, tc := range []struct {
		http11 bool
		code   int
		want   string
	}{
		{true, 200, "HTTP/1.1 200 OK\r\n"},
		{true, 101, "HTTP/1.1 101 Switching Protocols\r\n"},
		{false, 404, "HTTP/1.0 404 Not Found\r\n"},
		{true, 599, "HTTP/1.1 599 status code 599\r\n"},
		{true, 999, "HTTP/1.1 999 status code 999\r\n"},
		{true, 1000, "HTTP/1.1 1000 status code 1000\r\n"},
	} {
		buf.Reset()
		writeStatusLine(bw, tc.http11, tc.code)
		bw.Flush()
		if buf.String() != tc.want {
			t.Errorf("%d: %q, want %q", tc.code, buf.String(), tc.want)
		}
	}
	// A writer with less room than the line left (16 bytes: the smallest
	// bufio gives) writes it piece by piece: the same bytes.
	for _, size := range []int{16, 4096} {
		for _, fill := range []int{0, 5, 15} {
			for _, tc := range []struct {
				http11 bool
				code   int
				want   string
			}{
				{true, 200, "HTTP/1.1 200 OK\r\n"},
				{false, 203, "HTTP/1.0 203 Non-Authoritative Information\r\n"},
				{true, 599, "HTTP/1.1 599 status code 599\r\n"},
			} {
				buf.Reset()
				bw := bufio.NewWriterSize(&buf, size)
				bw.WriteString("0123456789abcdef"[:fill])
				writeStatusLine(bw, tc.http11, tc.code)
				bw.Flush()
				if got := buf.String()[fill:]; got != tc.want {
					t.Errorf("size %d, %d buffered, %d: %q, want %q", size, fill, tc.code, got, tc.want)
				}
			}
		}
	}
	bw = bufio.NewWriterSize(io.Discard, 4096)
	if n := testing.AllocsPerRun(100, func() { writeStatusLine(bw, true, 200); bw.Flush() }); n != 0 {
		t.Errorf("%v allocations per status line", n)
	}
}

// writeFieldReference is writeField as it was before it laid a line out
// in the writer's free space: four writes per line.
func writeFieldReference(bw *bufio.Writer, k string, vv []string) {
	if !httpguts.ValidHeaderFieldName(k) {
		return
	}
	for _, v := range vv {
		bw.WriteString(k)
		bw.WriteString(": ")
		if strings.ContainsAny(v, "\r\n") {
			v = strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return ' '
				}
				return r
			}, v)
		}
		bw.WriteString(strings.TrimSpace(v))
		bw.WriteString("\r\n")
	}
}

// writeField writes what its four-write form wrote, whatever room the
// writer has left (a line that does not fit is written piece by piece),
// and allocates nothing for a value without CR or LF.
func TestWriteField(t *testing.T) {
	for _, tc := range []struct {
		k  string
		vv []string
	}{
		{"Content-Type", []string{"text/plain"}},
		{"X-Multi", []string{"one", " two ", "", "three"}},
		{"X-Split", []string{"a\r\nInjected: 1", "\nb\r"}},
		{"X-CR", []string{"a\rb", "\r"}},
		{"X-LF", []string{"a\nb", "\n"}},
		{"Bad Name", []string{"skipped"}},
		{"", []string{"skipped"}},
		{"X-Long", []string{strings.Repeat("v", 100)}},
		{"X-Tab", []string{"\ta b\t"}},
		{"X-Utf8", []string{"caf\u00e9 \u2028"}},
	} {
		checkWriteField(t, tc.k, tc.vv)
	}
	bw := bufio.NewWriterSize(io.Discard, 4096)
	if n := testing.AllocsPerRun(100, func() { writeField(bw, "Content-Type", []string{"text/plain"}); bw.Flush() }); n != 0 {
		t.Errorf("%v allocations per field", n)
	}
}

func checkWriteField(t *testing.T, k string, vv []string) {
	t.Helper()
	for _, size := range []int{16, 64, 4096} {
		for _, fill := range []int{0, 7, 15} {
			var got, want bytes.Buffer
			bw, rw := bufio.NewWriterSize(&got, size), bufio.NewWriterSize(&want, size)
			pad := "0123456789abcdef"[:fill]
			bw.WriteString(pad)
			rw.WriteString(pad)
			writeField(bw, k, vv)
			writeFieldReference(rw, k, vv)
			bw.Flush()
			rw.Flush()
			if got.String() != want.String() {
				t.Fatalf("%q %q, size %d, %d buffered: %q, want %q", k, vv, size, fill, got.String(), want.String())
			}
		}
	}
}

// FuzzWriteField holds writeField to its four-write form.
func FuzzWriteField(f *testing.F) {
	f.Add("X-A", "v", " w\r\n")
	f.Add("Bad Name", "x", "")
	f.Add("Content-Type", strings.Repeat("z", 40), "\t")
	f.Fuzz(func(t *testing.T, k, v1, v2 string) {
		checkWriteField(t, k, []string{v1, v2})
	})
}

// TestHTTPDate: the Date field is the current second's (as http.TimeFormat
// writes it), is formatted once per second (no allocation while cached),
// and moves on once its second is over: the timer that drops it fired.
func TestHTTPDate(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	first := string(httpDate())
	after := time.Now()
	got, err := http.ParseTime(first)
	if err != nil {
		t.Fatalf("Date %q: %v", first, err)
	}
	if got.Before(before.Add(-time.Second)) || got.After(after) {
		t.Fatalf("Date %v, not within [%v, %v]", got, before, after)
	}
	if n := testing.AllocsPerRun(100, func() { _ = httpDate() }); n != 0 {
		t.Errorf("a cached Date allocates %v times", n)
	}
	// A later second gets its own value: wait (bounded, not timed) for it.
	deadline := time.Now().Add(10 * time.Second)
	for string(httpDate()) == first {
		if time.Now().After(deadline) {
			t.Fatalf("Date still %q 10 s later", first)
		}
		time.Sleep(10 * time.Millisecond)
	}
	next, err := http.ParseTime(string(httpDate()))
	if err != nil || !next.After(got) {
		t.Fatalf("next Date %v (%v), want after %v", next, err, got)
	}
}

// reasonPhrase keeps a reason phrase's allowed bytes (HTAB, SP, VCHAR,
// obs-text), makes controls spaces, and drops one with nothing visible; a
// clean one is not copied.
func TestReasonPhrase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Certificate must be included in the request", "Certificate must be included in the request"},
		{"", ""},
		{"   \t", ""},
		{"bad\r\nSet-Cookie: x", "bad  Set-Cookie: x"},
		{"nul\x00del\x7f", "nul del "},
		{"déjà vu", "déjà vu"},
		{"\r\n", ""},
	} {
		if got := reasonPhrase(tc.in); got != tc.want {
			t.Errorf("reasonPhrase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = reasonPhrase("Too Many Tokens") }); n != 0 {
		t.Errorf("%v allocations for a clean reason", n)
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	writeStatusLineReason(bw, true, 403, "Certificate must be included in the request")
	writeStatusLineReason(bw, false, 599, "x")
	bw.Flush()
	if want := "HTTP/1.1 403 Certificate must be included in the request\r\nHTTP/1.0 599 x\r\n"; buf.String() != want {
		t.Errorf("%q, want %q", buf.String(), want)
	}
}

// FuzzReasonPhrase: whatever a policy's reason holds, the status line gets
// no control byte but HTAB (so no CR or LF to split the head), keeps the
// reason's length, and is empty only when nothing visible was given.
func FuzzReasonPhrase(f *testing.F) {
	for _, s := range []string{"Certificate must be included in the request", "", " ", "a\r\nb", "\x00", "déjà", "\t\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := reasonPhrase(s)
		for i := 0; i < len(got); i++ {
			if b := got[i]; b != '\t' && (b < 0x20 || b == 0x7f) {
				t.Fatalf("reasonPhrase(%q) = %q holds byte %#x", s, got, b)
			}
		}
		if got != "" && len(got) != len(s) {
			t.Fatalf("reasonPhrase(%q) = %q: length changed", s, got)
		}
		if got == "" && strings.TrimLeft(s, " \t\x00\x01\x02\x03\x04\x05\x06\x07\x08\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != "" {
			t.Fatalf("reasonPhrase(%q) dropped a visible reason", s)
		}
	})
}

// HeaderIfAny is nil until Header makes the map, then that map: reading it
// makes nothing.
func TestHeaderIfAny(t *testing.T) {
	w := &response{}
	if h := w.HeaderIfAny(); h != nil {
		t.Fatalf("before Header: %v", h)
	}
	if w.header != nil {
		t.Fatal("HeaderIfAny made a map")
	}
	w.Header().Set("X-A", "1")
	if h := w.HeaderIfAny(); h.Get("X-A") != "1" || reflect.ValueOf(h).Pointer() != reflect.ValueOf(w.header).Pointer() {
		t.Fatalf("after Header: %v", h)
	}
}

// TestWriteHeaderDeclared: the length WriteHeader takes from a
// Content-Length field, digits alone or with spaces around them (Unicode
// ones too, as strings.TrimSpace trims), and an invalid one dropped.
func TestWriteHeaderDeclared(t *testing.T) {
	for _, tc := range []struct {
		v    []string
		want int64
		kept bool
	}{
		{nil, -1, false},
		{[]string{"3"}, 3, true},
		{[]string{"0"}, 0, true},
		{[]string{" 42\t"}, 42, true},
		{[]string{"7\u00a0"}, 7, true},
		{[]string{"\u20297"}, 7, true},
		{[]string{""}, -1, false},
		{[]string{"-1"}, -1, false},
		{[]string{"3 4"}, -1, false},
		{[]string{"1234567890123456789"}, -1, false},
		{[]string{"12", "13"}, 12, true},
	} {
		w := &response{header: http.Header{}}
		if tc.v != nil {
			w.header["Content-Length"] = tc.v
		}
		w.WriteHeader(http.StatusOK)
		if _, kept := w.header["Content-Length"]; w.declared != tc.want || kept != tc.kept {
			t.Errorf("Content-Length %q: declared %d (field kept: %v), want %d (%v)", tc.v, w.declared, kept, tc.want, tc.kept)
		}
	}
}
