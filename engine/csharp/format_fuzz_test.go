package csharp

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzNumberFormat: any format string, with any number, either formats or
// fails with a .NET exception (FormatException, NotSupportedException),
// never panics; "R" of a double reads back as the double, "D" of an
// integer is its digits, and "N0" of one is them grouped by three.
//
//	go test -run '^$' -fuzz FuzzNumberFormat -fuzztime 20s -fuzzminimizetime 0 ./engine/csharp/
func FuzzNumberFormat(f *testing.F) {
	for _, s := range []string{"C", "c3", "D8", "E", "e10", "F", "F0", "G", "G17", "N", "n1", "P", "R", "X", "x8", "B",
		"0.00", "#,##0.00;(#,##0.00);zero", "#,,", "0.###E+000", "0.0e-0", `\#0 'lit' "q" %`, "#0.## ‰", "00;;", "#.#.#", ",", "E+0", "'", `\`, ";;;", "D100"} {
		f.Add(s, 12345.6789, int64(-12345))
	}
	f.Fuzz(func(t *testing.T, format string, d float64, i int64) {
		for _, v := range []any{d, int(i), uint64(i)} {
			for _, ik := range []intKind{ikNone, ikInt, ikLong, ikShort, ikSByte, ikULong} {
				s, err := formatNumberNET(v, ik, format)
				if err != nil {
					if e, ok := err.(*Exception); !ok || e.Type != "FormatException" && e.Type != "NotSupportedException" && err != errString {
						t.Fatalf("%v %q: %v", v, format, err)
					}
					continue
				}
				if len(s) > MaxString {
					t.Fatalf("%v %q: %d bytes", v, format, len(s))
				}
			}
		}
		if !math.IsNaN(d) && !math.IsInf(d, 0) {
			s, err := formatNumberNET(d, ikNone, "R")
			if back, perr := strconv.ParseFloat(s, 64); err != nil || perr != nil || back != d {
				t.Fatalf("R of %v: %q %v %v", d, s, err, perr)
			}
		}
		if s, err := formatNumberNET(int(i), ikLong, "D"); err != nil || s != strconv.FormatInt(i, 10) {
			t.Fatalf("D of %d: %q %v", i, s, err)
		}
		if s, err := formatNumberNET(int(i), ikLong, "N0"); err != nil || strings.ReplaceAll(s, ",", "") != strconv.FormatInt(i, 10) {
			t.Fatalf("N0 of %d: %q %v", i, s, err)
		}
	})
}

// FuzzDateFormat: any format string, with any date, DateTimeOffset or
// time span, either formats or is a FormatException, never panics; "o"
// reads back.
//
//	go test -run '^$' -fuzz FuzzDateFormat -fuzztime 20s -fuzzminimizetime 0 ./engine/csharp/
func FuzzDateFormat(f *testing.F) {
	for _, s := range []string{"d", "D", "f", "F", "g", "G", "M", "O", "R", "s", "t", "T", "u", "U", "Y", "K", "h",
		"yyyy-MM-ddTHH:mm:ss.fffffffK", "dddd, MMMM d, yyyy h:mm:ss tt zzz", "%d", "%%", `h \h m \m`, "'lit' \"q\"", "FFF", "g gg",
		"c", `d\.hh\:mm\:ss\.FFFFFFF`, "ffffffff", "'"} {
		f.Add(s, int64(633452259920000000), int16(-420))
	}
	f.Fuzz(func(t *testing.T, format string, ticks int64, offMinutes int16) {
		if ticks < 0 {
			ticks = -ticks
		}
		ticks %= 3155378975999999999 // DateTime.MaxValue.Ticks + 1
		at := time.Unix(ticks/ticksPerSecond-unixTo0001, ticks%ticksPerSecond*100).UTC()
		off := int(offMinutes) % 841
		for _, inv := range []bool{false, true} {
			for _, v := range []time.Time{at.In(locLocal), at.In(locUnspecified), at.UTC(), at.In(offsetLoc(off))} {
				if _, err := formatDateNET(v, format, v.Location() != locLocal && v.Location() != locUnspecified && v.Location() != time.UTC, inv); err != nil {
					if e, ok := err.(*Exception); !ok || e.Type != "FormatException" {
						t.Fatalf("%v %q: %v", v, format, err)
					}
				}
			}
		}
		for _, d := range []time.Duration{time.Duration(ticks) * 100 % (1 << 62), spanMax, spanMin} { // and TimeSpan.MaxValue, MinValue
			if _, err := formatTimeSpanNET(d, format); err != nil {
				if e, ok := err.(*Exception); !ok || e.Type != "FormatException" {
					t.Fatalf("%q: %v", format, err)
				}
			}
		}
		s, err := formatDateNET(at.UTC(), "o", false, false)
		if back, perr := time.Parse(time.RFC3339Nano, s); err != nil || perr != nil || !back.Equal(at) {
			t.Fatalf("o of %v: %q %v %v", at, s, err, perr)
		}
	})
}

// FuzzDoubleText: double.ToString()'s fast path writes what "R" writes.
//
//	go test -run '^$' -fuzz FuzzDoubleText -fuzztime 20s -fuzzminimizetime 0 ./engine/csharp/
func FuzzDoubleText(f *testing.F) {
	for _, d := range []float64{0, 1e15, 1e16, 1e17, 1.2345678901234567e16, 1e-4, 1e-5, -60, 0.1, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.NaN()} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d float64) {
		r, err := formatFloatNET(d, 'R', -1, "R")
		if s := formatDouble(d); err != nil || s != r {
			t.Fatalf("%v: ToString() %q, R %q %v", d, s, r, err)
		}
	})
}

// FuzzTimeSpanParse: TimeSpan.Parse takes a text or throws .NET's
// FormatException or OverflowException, and what it takes prints ("c")
// as a text that parses back to the same span (MaxValue and MinValue
// included).
//
//	go test -run '^$' -fuzz FuzzTimeSpanParse -fuzztime 30s -fuzzminimizetime 0 ./engine/csharp/
func FuzzTimeSpanParse(f *testing.F) {
	for _, s := range []string{"1.02:03:04.5", "-10675199.02:48:05.4775808", "10675199.02:48:05.4775807", "10675199.02:48:05.4775808",
		"10675199.23:59:59", "106751", "00:00", "-0:0:0.1234567", " 23:59:59 ", "1:2:3:4", "6:12:14:45.3448", "-10675199:02:48:05.4775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseTimeSpan(s)
		if err != nil {
			if e, ok := err.(*Exception); !ok || e.Type != "FormatException" && e.Type != "OverflowException" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		text := formatTimeSpan(d)
		back, err := parseTimeSpan(text)
		if err != nil || back != d {
			t.Fatalf("%q: %v printed %q, read back %v %v", s, d, text, back, err)
		}
	})
}
