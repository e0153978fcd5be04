package policies

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// llm-content-safety's windows (window-size, window-overlap-size) and the
// server-sent events a streamed answer is cut into.
//
// Characters are counted as .NET counts them (string.Length): UTF-16 code
// units, so a character outside the Basic Multilingual Plane (most emoji)
// counts two. APIM and Content Safety are .NET services and their
// 10,000-character limit is one of those; counting code points would let a
// window of emoji exceed it. A window never splits a character: one whose
// cut would fall between the two halves of a pair ends before it (one
// unit shorter), and the next window's overlap starts after it.
//
// The windows of a text are the windows of the fixed arithmetic: the first
// holds its first size units, each next one starts overlap units before
// the previous one's end and holds size units, and the last one holds what
// is left (it is shorter). A text of at most size units is one window.
// windower computes them incrementally, as a stream's text arrives: a
// window is cut as soon as size units are waiting, and flush cuts the rest.
// A stream's windows are exactly the windows of its whole text, unless
// flush is called early (llm-content-safety does when the events held back
// for a window reach streamHeldMax).

// utf16Len is the length of s in UTF-16 code units (.NET's string.Length).
func utf16Len[T string | []byte](s T) int {
	n := 0
	for _, r := range string(s) {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// windower cuts a growing text into windows of size UTF-16 code units
// that overlap by overlap units (0 <= overlap < size).
type windower struct {
	size, overlap int
	// buf is the text from the current window's start: its first
	// units-fresh units were checked already (the overlap), the rest are
	// fresh.
	buf          []byte
	units, fresh int
	// start is the position of buf[0] in the whole text, checked the end
	// of the last window cut, total the text's length (all in units).
	start, checked, total int64
}

// add appends text and returns the windows it completes.
func (w *windower) add(text string) []string {
	if text == "" {
		return nil
	}
	n := utf16Len(text)
	w.buf = append(w.buf, text...)
	w.units += n
	w.fresh += n
	w.total += int64(n)
	var out []string
	for w.units >= w.size {
		out = append(out, w.cut(w.size))
	}
	return out
}

// flush returns the last window: what is left, with its overlap (nil when
// no fresh text waits).
func (w *windower) flush() []string {
	if w.fresh == 0 {
		return nil
	}
	return []string{w.cut(w.units)}
}

// cut returns the window of buf's first limit units (fewer when the cut
// would split a pair; at least one character), and keeps its last overlap
// units as the start of the next window.
func (w *windower) cut(limit int) string {
	end, u := 0, 0
	for end < len(w.buf) {
		r, size := utf8.DecodeRune(w.buf[end:])
		ru := 1
		if r >= 0x10000 {
			ru = 2
		}
		if u+ru > limit && end > 0 {
			break
		}
		u += ru
		end += size
	}
	win := string(w.buf[:end])
	// The next window starts at the first character of the window's last
	// overlap units (after the window's start: windows move forward).
	keep, ku := end, 0
	for keep > 0 {
		r, size := utf8.DecodeLastRune(w.buf[:keep])
		ru := 1
		if r >= 0x10000 {
			ru = 2
		}
		if ku+ru > w.overlap || keep-size == 0 {
			break
		}
		ku += ru
		keep -= size
	}
	w.checked = w.start + int64(u)
	w.start += int64(u - ku)
	w.units -= u - ku
	w.fresh = w.units - ku
	// Resliced, not copied to the front: a copy per window made a long
	// text cut into small windows quadratic (append moves what is left
	// when it next grows buf).
	w.buf = w.buf[keep:]
	return win
}

// textWindows is the windows of a whole text.
func textWindows(text string, size, overlap int) []string {
	return textWindowsUpTo(text, size, overlap, -1)
}

// textWindowsUpTo is textWindows that stops once it has more than max
// windows (max < 0: no bound), so that a text needing too many is told
// without cutting them all.
func textWindowsUpTo(text string, size, overlap, max int) []string {
	w := windower{size: size, overlap: overlap}
	var out []string
	if !w.each(text, func(win string) bool {
		out = append(out, win)
		return max < 0 || len(out) <= max
	}) {
		return out
	}
	return append(out, w.flush()...)
}

// each is add for a text that may hold many windows: it goes in a few
// windows' worth at a time, each window to fn as it is cut, until fn
// returns false (then each does too). A long text with a large overlap
// otherwise made all its windows at once, window-size bytes each.
func (w *windower) each(text string, fn func(win string) bool) bool {
	for text != "" {
		n := min(len(text), 4*(w.size-w.overlap)+4) // bytes: at most a few windows
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n++
		}
		for _, win := range w.add(text[:n]) {
			if !fn(win) {
				return false
			}
		}
		text = text[n:]
	}
	return true
}

// sseSplitter cuts a byte stream into server-sent events: each event is
// its bytes up to and including the blank line that ends it. Lines end
// with CRLF, LF or CR (the SSE format). The bytes of the events and of
// rest, concatenated, are the bytes fed.
type sseSplitter struct {
	buf []byte // bytes not yet part of a whole event
	pos int    // scanned up to here
	// line is where the line being scanned starts; skipLF: the byte before
	// pos was a CR, and a LF right after it ends the same line.
	line   int
	skipLF bool
}

func (sp *sseSplitter) feed(p []byte) { sp.buf = append(sp.buf, p...) }

// next returns the next whole event fed (its own copy), or nil.
func (sp *sseSplitter) next() []byte {
	for sp.pos < len(sp.buf) {
		c := sp.buf[sp.pos]
		if sp.skipLF {
			sp.skipLF = false
			if c == '\n' {
				sp.pos++
				sp.line = sp.pos
				continue
			}
		}
		if c != '\n' && c != '\r' {
			sp.pos++
			continue
		}
		blank := sp.pos == sp.line
		sp.pos++
		sp.line = sp.pos
		sp.skipLF = c == '\r'
		if !blank {
			continue
		}
		if sp.skipLF && sp.pos < len(sp.buf) && sp.buf[sp.pos] == '\n' {
			sp.pos++ // the blank line's CRLF, whole (when its LF is here yet)
			sp.skipLF = false
		}
		ev := append([]byte(nil), sp.buf[:sp.pos]...)
		n := copy(sp.buf, sp.buf[sp.pos:])
		sp.buf = sp.buf[:n]
		sp.pos, sp.line = 0, 0
		return ev
	}
	return nil
}

// pending is how many bytes wait for the end of their event.
func (sp *sseSplitter) pending() int { return len(sp.buf) }

// rest returns the bytes of an event the stream did not end with a blank
// line, and forgets them.
func (sp *sseSplitter) rest() []byte {
	ev := sp.buf
	sp.buf, sp.pos, sp.line = nil, 0, 0
	return ev
}

// eventData is the event's data: its data fields' values joined by
// newlines (nil for an event without data).
func eventData(ev []byte) []byte {
	var data []byte
	has := false
	for len(ev) > 0 {
		i := bytes.IndexAny(ev, "\r\n")
		line := ev
		if i >= 0 {
			line, ev = ev[:i], ev[i+1:]
		} else {
			ev = nil
		}
		if !bytes.HasPrefix(line, dataPrefix) {
			continue
		}
		v := line[len(dataPrefix):]
		if len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		if has {
			data = append(data, '\n')
		}
		data = append(data, v...)
		has = true
	}
	return data
}

// streamChunk is what is read of a streamed event.
type streamChunk struct {
	Type        string `json:"type"`
	Delta       any    `json:"delta"`
	OutputIndex int    `json:"output_index"`
	Choices     []struct {
		Index int `json:"index"`
		Delta struct {
			Content any `json:"content"`
		} `json:"delta"`
		Text any `json:"text"`
	} `json:"choices"`
}

// eventTexts calls add with the completion text an event carries, per
// choice (a chat completion's choices[].delta.content, a completion's
// choices[].text, keyed by the choice's index) and per Responses output
// item (response.output_text.delta's delta, keyed -1-output_index).
func eventTexts(ev []byte, add func(key int, text string)) {
	payload := bytes.TrimSpace(eventData(ev))
	if len(payload) == 0 || payload[0] != '{' {
		return // [DONE], comments, keep-alives
	}
	var c streamChunk
	if json.Unmarshal(payload, &c) != nil {
		return
	}
	str := func(key int, v any) {
		if t, ok := v.(string); ok && t != "" {
			add(key, t)
		}
	}
	if c.Type == "response.output_text.delta" {
		str(-1-c.OutputIndex, c.Delta)
	}
	for _, ch := range c.Choices {
		str(ch.Index, ch.Delta.Content)
		str(ch.Index, ch.Text)
	}
}
