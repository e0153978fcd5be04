package csharp

import (
	"strings"
	"testing"
	"time"
)

// FuzzNetLayout: a .NET format ParseExact accepts, made of date and time
// specifiers and ASCII separators (what policies write), reads back what
// FormatDateTime writes with it.
func FuzzNetLayout(f *testing.F) {
	for _, s := range []string{"yyyyMMdd", "dd/MM/yyyy HH:mm:ss", "yyyy-MM-ddTHH:mm:ss.fffK", "r", "o", "s", "MMM d, yyyy h:mm tt", "'at' HH\\h", "f", "F", "M", "Y", "yyyy-MM-dd z", "yyyy-MM-dd zzz"} {
		f.Add(s)
	}
	at := time.Date(2024, 3, 9, 14, 5, 7, 123000000, time.UTC)
	f.Fuzz(func(t *testing.T, format string) {
		for i := 0; i < len(format); i++ {
			c := format[i]
			if c >= 0x80 || c < 0x20 || (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && strings.IndexByte("yMdHhmsfFtzKT", c) < 0 {
				return
			}
		}
		if format == "" || strings.Contains(format, "%") {
			// "" writes "G" but is no ParseExact format; .NET's formatter
			// reads "%MMMM" as %M then MMM, its parser as MMMM
			return
		}
		layout, ok := netLayout(format)
		if !ok || len(format) > 64 {
			return
		}
		if y, m, d := exactDateParts(format); strings.Contains(format, "ddd") && !(y && m && d) {
			// A day name without the whole date: the date it is checked
			// against is today's (or another default), so .NET's parser
			// refuses the written name too ("the day of week was incorrect")
			return
		}
		// FormatDateTime writes the current culture's (en-US's) patterns,
		// which ParseExact reads with a provider that is not invariant
		text, err := FormatDateTimeErr(at, format)
		if err != nil {
			return // a format .NET refuses to write ("{": one character, no standard one)
		}
		if _, _, _, err := parseExactTime(text, format, false, 0); err != nil {
			t.Fatalf("format %q: layout %q does not read %q: %v", format, layout, text, err)
		}
	})
}
