package csharp

import (
	"testing"
	"time"
)

// FuzzParseNetDate: every text one of DateTime.Parse's forms writes reads
// back as that time (no earlier form reads it otherwise), and no text makes
// the reader panic.
func FuzzParseNetDate(f *testing.F) {
	f.Add(int64(1228384800), uint8(0), "4 December 2026")
	f.Add(int64(-62135596800), uint8(40), "Tue Apr 28, 2009")
	f.Add(int64(253402300799), uint8(77), "2026/12/04 10:00")
	f.Fuzz(func(t *testing.T, sec int64, which uint8, text string) {
		parseNetDate(text) // any text: no panic
		if sec < -62135596800 || sec > 253402300799 {
			return // outside 0001-01-01 .. 9999-12-31
		}
		l := dateLayouts[int(which)%len(dateLayouts)]
		if l.parts != "" || l.zoned {
			return // a part the text leaves out is filled; a zone converts
		}
		at := time.Unix(sec, 0).UTC()
		s := at.Format(l.layout)
		got, _, ok := parseNetDate(s)
		if !ok {
			t.Fatalf("layout %q: %q does not read back", l.layout, s)
		}
		if back := got.Format(l.layout); back != s {
			t.Fatalf("layout %q: %q reads as %v (%q)", l.layout, s, got, back)
		}
	})
}
