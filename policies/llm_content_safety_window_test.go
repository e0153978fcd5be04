package policies

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The windows of a text, written out by hand: characters are UTF-16 code
// units, a window never splits a pair (😀 is two units), each next window
// starts overlap units before the previous one's end.
func TestContentSafetyWindows(t *testing.T) {
	tests := []struct {
		text          string
		size, overlap int
		want          []string
	}{
		{"", 4, 0, nil},
		{"abc", 10, 0, []string{"abc"}},
		{"abcd", 4, 2, []string{"abcd"}},
		{"abcdefghij", 4, 0, []string{"abcd", "efgh", "ij"}},
		{"abcdefghij", 4, 1, []string{"abcd", "defg", "ghij"}},
		{"abcdefghij", 4, 2, []string{"abcd", "cdef", "efgh", "ghij"}},
		{"abcdefghij", 4, 3, []string{"abcd", "bcde", "cdef", "defg", "efgh", "fghi", "ghij"}},
		{"abcdef", 5, 2, []string{"abcde", "def"}},
		{"abcdef", 3, 2, []string{"abc", "bcd", "cde", "def"}},
		// A cut that would split a pair ends before it.
		{"a😀b😀c", 2, 0, []string{"a", "😀", "b", "😀", "c"}},
		{"ab😀cd", 3, 0, []string{"ab", "😀c", "d"}},
		// A window of one unit cannot hold a pair: it holds the pair.
		{"😀x", 1, 0, []string{"😀", "x"}},
		// An overlap that would start inside a pair starts after it.
		{"ab😀cd", 4, 1, []string{"ab😀", "cd"}},
		{"ab😀cdef", 4, 2, []string{"ab😀", "😀cd", "cdef"}},
		{"ééééé", 2, 1, []string{"éé", "éé", "éé", "éé"}},
	}
	for _, tc := range tests {
		got := textWindows(tc.text, tc.size, tc.overlap)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q size %d overlap %d: %q, want %q", tc.text, tc.size, tc.overlap, got, tc.want)
		}
		if ref := referenceWindows(tc.text, tc.size, tc.overlap); !slices.Equal(ref, tc.want) {
			t.Errorf("%q size %d overlap %d: the reference gives %q, want %q", tc.text, tc.size, tc.overlap, ref, tc.want)
		}
		// Fed one character at a time (a stream's deltas), the windows
		// are the same.
		w := windower{size: tc.size, overlap: tc.overlap}
		var inc []string
		for _, r := range tc.text {
			inc = append(inc, w.add(string(r))...)
		}
		inc = append(inc, w.flush()...)
		if !slices.Equal(inc, tc.want) {
			t.Errorf("%q size %d overlap %d, fed by character: %q, want %q", tc.text, tc.size, tc.overlap, inc, tc.want)
		}
		if w.checked != w.total {
			t.Errorf("%q: checked up to %d of %d", tc.text, w.checked, w.total)
		}
	}
	if n := utf16Len("a😀é"); n != 4 {
		t.Errorf("utf16Len = %d, want 4", n)
	}
}

// referenceWindows is the windows' definition, computed another way: over
// the text's character boundaries and their positions in UTF-16 units.
func referenceWindows(text string, size, overlap int) []string {
	if text == "" {
		return nil
	}
	var at []int // byte offset of each boundary
	var pos []int
	u := 0
	for i, r := range text {
		at, pos = append(at, i), append(pos, u)
		u += utf16Len(string(r))
	}
	at, pos = append(at, len(text)), append(pos, u)
	last := len(at) - 1
	var out []string
	for s := 0; ; {
		e := s + 1
		for e < last && pos[e+1]-pos[s] <= size {
			e++
		}
		out = append(out, text[at[s]:at[e]])
		if e == last {
			return out
		}
		next := e
		for next > s+1 && pos[e]-pos[next-1] <= overlap {
			next--
		}
		s = next
	}
}

// The SSE splitter: events end at a blank line, lines at CRLF, LF or CR,
// whatever the pieces the bytes come in; nothing is lost or added.
func TestSSESplitter(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		rest string
	}{
		{"data: a\n\ndata: b\r\n\r\ndata: c\r\rtail", []string{"data: a\n\n", "data: b\r\n\r\n", "data: c\r\r"}, "tail"},
		{"\n\ndata: x\n\n", []string{"\n", "\n", "data: x\n\n"}, ""},
		{"data: a\r\r\ndata: b\n\n", []string{"data: a\r\r\n", "data: b\n\n"}, ""},
		{"event: e\ndata: {\"a\":\ndata: 1}\n\n: comment\n\n", []string{"event: e\ndata: {\"a\":\ndata: 1}\n\n", ": comment\n\n"}, ""},
		{"data: no end", nil, "data: no end"},
	}
	for _, tc := range tests {
		for _, piece := range []int{len(tc.in), 1, 2, 3} {
			var sp sseSplitter
			var got []string
			for in := tc.in; in != ""; {
				n := min(piece, len(in))
				sp.feed([]byte(in[:n]))
				in = in[n:]
				for ev := sp.next(); ev != nil; ev = sp.next() {
					got = append(got, string(ev))
				}
			}
			// A blank line's CR is not kept waiting for its LF: when the
			// LF comes in a later piece, it starts the next event.
			for i := 1; i < len(got); i++ {
				if strings.HasSuffix(got[i-1], "\r") && strings.HasPrefix(got[i], "\n") {
					got[i-1], got[i] = got[i-1]+"\n", got[i][1:]
				}
			}
			rest := string(sp.rest())
			if !slices.Equal(got, tc.want) || rest != tc.rest {
				t.Errorf("%q in pieces of %d: %q rest %q, want %q rest %q", tc.in, piece, got, rest, tc.want, tc.rest)
			}
		}
	}
	if d := string(eventData([]byte("event: x\r\ndata: one\r\ndata:two\r\nid: 1\r\n\r\n"))); d != "one\ntwo" {
		t.Errorf("eventData = %q", d)
	}
}

// Windows cut as the text arrives, in any pieces, are the windows of the
// whole text, and match the reference.
func FuzzContentSafetyWindows(f *testing.F) {
	f.Add("abcdefghij", 4, 1, uint(3))
	f.Add("a😀b😀c", 2, 0, uint(1))
	f.Add("ab😀cdef", 4, 2, uint(5))
	f.Add(strings.Repeat("tulips ", 40), 30, 29, uint(7))
	f.Fuzz(func(t *testing.T, text string, size, overlap int, cut uint) {
		if !utf8.ValidString(text) || size < 1 || size > 64 || overlap < 0 || overlap >= size || len(text) > 4096 {
			return
		}
		want := referenceWindows(text, size, overlap)
		got := textWindows(text, size, overlap)
		if !slices.Equal(got, want) {
			t.Fatalf("%q size %d overlap %d: %q, want %q", text, size, overlap, got, want)
		}
		w := windower{size: size, overlap: overlap}
		var inc []string
		step := int(cut%7) + 1
		runes := []rune(text)
		for i := 0; i < len(runes); i += step {
			inc = append(inc, w.add(string(runes[i:min(i+step, len(runes))]))...)
		}
		inc = append(inc, w.flush()...)
		if !slices.Equal(inc, want) {
			t.Fatalf("%q size %d overlap %d in pieces of %d: %q, want %q", text, size, overlap, step, inc, want)
		}
		for i, win := range got {
			if n := utf16Len(win); n > size && !(n == 2 && utf8.RuneCountInString(win) == 1) || win == "" {
				t.Fatalf("window %d %q: %d units, size %d", i, win, n, size)
			}
		}
	})
}

// The SSE splitter and a checked stream, on any bytes: the events and the
// rest are the input; a stream whose every window passes is sent byte for
// byte; one whose window is flagged is a prefix of the input, ending at
// an event's end; memory stays bounded.
func FuzzContentSafetyStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a bad word\"}}]}\n\ndata: [DONE]\n\n"), uint(5), 8, 2)
	f.Add([]byte("data: {\"choices\":[{\"index\":1,\"text\":\"x😀y\"}]}\r\rdata: {\"type\":\"response.output_text.delta\",\"delta\":\"bad\"}\r\n\r\n"), uint(1), 3, 0)
	f.Add([]byte(": keep-alive\n\ndata: nope\n\nevent: e\n"), uint(2), 10, 9)
	f.Fuzz(func(t *testing.T, data []byte, cut uint, size, overlap int) {
		if size < 1 || size > 64 || overlap < 0 || overlap >= size {
			return
		}
		step := int(cut%13) + 1
		var sp sseSplitter
		var all []byte
		for in := data; len(in) > 0; {
			n := min(step, len(in))
			sp.feed(in[:n])
			in = in[n:]
			for ev := sp.next(); ev != nil; ev = sp.next() {
				all = append(all, ev...)
			}
		}
		all = append(all, sp.rest()...)
		if !bytes.Equal(all, data) {
			t.Fatalf("split %q, rejoined %q", data, all)
		}
		_ = streamedCompletionText(data)
		for _, flag := range []string{"", "bad"} {
			var halted string
			c := &csStream{body: io.NopCloser(&piecesReader{b: data, step: step}), size: size, overlap: overlap,
				check: func(win string) (string, error) {
					if utf16Len(win) > size && utf8.RuneCountInString(win) > 1 {
						t.Fatalf("window %q over %d units", win, size)
					}
					if flag != "" && strings.Contains(win, flag) {
						return "flagged", nil
					}
					return "", nil
				},
				halt: func(reason, msg string) { halted = reason }}
			out, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case halted == "" && !bytes.Equal(out, data):
				t.Fatalf("flag %q: sent %q, want %q", flag, out, data)
			case !bytes.HasPrefix(data, out):
				t.Fatalf("flag %q (%s): sent %q, not a prefix of %q", flag, halted, out, data)
			case halted == "" && flag != "" && strings.Contains(streamedCompletionText(data), flag) && overlap >= 4:
				// Some window holds a 3-unit word whole when windows
				// overlap by its length - 1, and one more at each end (a
				// pair moves a cut by a unit): it is always seen.
				t.Fatalf("%q with size %d overlap %d: not flagged", data, size, overlap)
			}
		}
	})
}

// piecesReader returns b in reads of at most step bytes.
type piecesReader struct {
	b    []byte
	step int
	err  error
}

func (r *piecesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p, r.b[:min(r.step, len(r.b))])
	r.b = r.b[n:]
	return n, nil
}

// A text that needs more windows than an answer may have stops being cut
// past the bound, however small the windows or large the overlap (16 MB
// cut into 16 million windows of one character, or 1 MB into windows of
// 10,000 sharing 9,999, took minutes and gigabytes), and the windows it
// does cut are the first ones of the whole text.
func TestTextWindowsUpTo(t *testing.T) {
	for _, tc := range []struct {
		name               string
		text               string
		size, overlap, max int
		want               int
	}{
		{"16 MB in windows of 1", strings.Repeat("tulips ", 16<<20/7), 1, 0, 100, 101},
		{"1 MB in windows of 10,000 sharing 9,999", strings.Repeat("tulips ", 1<<20/7), 10000, 9999, 100, 101},
		{"within the bound", strings.Repeat("tulips ", 100), 70, 0, 100, 10},
		{"exactly the bound", strings.Repeat("x", 1000), 10, 0, 100, 100},
		{"no bound", strings.Repeat("x", 1000), 10, 5, -1, 199},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := textWindowsUpTo(tc.text, tc.size, tc.overlap, tc.max)
			if len(got) != tc.want {
				t.Fatalf("%d windows, want %d", len(got), tc.want)
			}
			short := tc.text[:min(len(tc.text), tc.size+tc.want*(tc.size-tc.overlap))] // ASCII: bytes are units
			if all := textWindows(short, tc.size, tc.overlap); !slices.Equal(got, all[:len(got)]) {
				t.Fatalf("the windows cut are not the text's first ones")
			}
		})
	}
}
