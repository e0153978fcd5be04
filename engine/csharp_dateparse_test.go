package engine

import (
	"strings"
	"testing"
)

// TestCSharpParseExactFullMonthYear: ParseExact's standard formats f, F,
// M (m) and Y (y), with .NET's "Standard date and time format strings"
// page as the source: its en-US examples (2009-06-15T13:45:30 is "Monday,
// June 15, 2009 1:45 PM" in f, "Monday, June 15, 2009 1:45:30 PM" in F,
// "June 15" in M, "June 2009" in Y: tollgate's current culture is en-US's,
// so a null or current provider reads them) and the invariant culture's
// patterns ("dddd, dd MMMM yyyy HH:mm", "dddd, dd MMMM yyyy HH:mm:ss",
// "MMMM dd", "yyyy MMMM"), which an invariant provider reads. "Parsing
// Date and Time Strings": "a missing year defaults to the current year, a
// missing day of the month defaults to the first day of the month", and a
// text with only a time is today's (0001-01-01 with NoCurrentDateDefault).
func TestCSharpParseExactFullMonthYear(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`DateTime.ParseExact("Monday, June 15, 2009 1:45 PM", "f", null).ToString("s")`, "2009-06-15T13:45:00"},
		{`DateTime.ParseExact("Monday, June 15, 2009 1:45:30 PM", "F", CultureInfo.CurrentCulture).ToString("s")`, "2009-06-15T13:45:30"},
		{`DateTime.ParseExact("June 2009", "Y", null).ToString("s")`, "2009-06-01T00:00:00"},
		{`DateTime.ParseExact("June 2009", "y", null).ToString("s")`, "2009-06-01T00:00:00"},
		{`DateTime.ParseExact("Monday, 15 June 2009 13:45", "f", CultureInfo.InvariantCulture).ToString("s")`, "2009-06-15T13:45:00"},
		{`DateTime.ParseExact("Monday, 15 June 2009 13:45:30", "F", CultureInfo.InvariantCulture).ToString("s")`, "2009-06-15T13:45:30"},
		{`DateTime.ParseExact("2009 June", "Y", CultureInfo.InvariantCulture).ToString("s")`, "2009-06-01T00:00:00"},
		// what ToString writes with the invariant culture reads back
		{`DateTime.ParseExact(new DateTime(2026, 12, 4, 10, 5, 6).ToString("F", CultureInfo.InvariantCulture), "F", CultureInfo.InvariantCulture).ToString("s")`, "2026-12-04T10:05:06"},
		{`DateTime.ParseExact(new DateTime(2026, 12, 4, 10, 5, 6).ToString("f", CultureInfo.InvariantCulture), "f", CultureInfo.InvariantCulture).ToString("s")`, "2026-12-04T10:05:00"},
		// month and day: the current year
		{`DateTime.ParseExact("June 15", "M", null).ToString("MM-dd") + " " + (DateTime.ParseExact("June 15", "m", CultureInfo.InvariantCulture).Year == DateTime.Today.Year)`, "06-15 True"},
		{`DateTime.ParseExact("12-04", "MM-dd", CultureInfo.InvariantCulture).Year == DateTime.Today.Year`, "true"},
		// a time only: today, or 0001-01-01 with NoCurrentDateDefault
		{`DateTime.ParseExact("10:00", "HH:mm", CultureInfo.InvariantCulture) == DateTime.Today.AddHours(10)`, "true"},
		{`DateTime.ParseExact("10:00 AM", "t", CultureInfo.InvariantCulture).Date == DateTime.Today`, "true"},
		{`DateTime.ParseExact("10:00", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.NoCurrentDateDefault).ToString("o")`, "0001-01-01T10:00:00.0000000"},
		// the year alone: January 1st
		{`DateTime.ParseExact("2026-12", "yyyy-MM", CultureInfo.InvariantCulture).ToString("s")`, "2026-12-01T00:00:00"},
		// "z": hours offset with no leading zero; "zzz" hours and minutes
		// (Custom date and time format strings): .NET reads one hour digit
		// for both, two for "zz"
		{`DateTime.ParseExact("2020-01-02 +5:00", "yyyy-MM-dd zzz", CultureInfo.InvariantCulture).ToString("o")`, "2020-01-01T19:00:00.0000000+00:00"},
		{`DateTime.ParseExact("2020-01-02T10:00:00-5:30", "yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture).ToUniversalTime().ToString("s")`, "2020-01-02T15:30:00"},
		{`DateTime.ParseExact("2020-01-02 +5", "yyyy-MM-dd z", CultureInfo.InvariantCulture).ToString("o")`, "2020-01-01T19:00:00.0000000+00:00"},
		{`DateTime.ParseExact("2020-01-02 +05", "yyyy-MM-dd z", CultureInfo.InvariantCulture).ToString("o")`, "2020-01-01T19:00:00.0000000+00:00"},
		{`DateTimeOffset.ParseExact("2020-01-02 -5:00", "yyyy-MM-dd zzz", CultureInfo.InvariantCulture).ToString("o")`, "2020-01-02T00:00:00.0000000-05:00"},
		{`DateTime.ParseExact("2020-01-02 +05:00", "yyyy-MM-dd zzz", CultureInfo.InvariantCulture).ToString("o")`, "2020-01-01T19:00:00.0000000+00:00"},
		// "%d": the custom specifier d alone (Custom date and time format
		// strings, "Using single custom format specifiers")
		{`DateTime.ParseExact("2020 5", "yyyy %d", CultureInfo.InvariantCulture).ToString("s")`, "2020-01-05T00:00:00"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ stmts, want string }{
		{`DateTime d; var ok = DateTime.TryParseExact("June 2009", "Y", null, DateTimeStyles.None, out d); return ok + " " + d.ToString("s");`, "True 2009-06-01T00:00:00"},
		{`DateTime d; var ok = DateTime.TryParseExact("June 2009", "Y", CultureInfo.InvariantCulture, DateTimeStyles.None, out d); return ok + " " + d.Year;`, "False 1"},
		{`return DateTime.ParseExact("2009 June", new[] { "F", "Y" }, CultureInfo.InvariantCulture, DateTimeStyles.None).ToString("s");`, "2009-06-01T00:00:00"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		// each provider reads its own pattern only
		{`@(DateTime.ParseExact("June 2009", "Y", CultureInfo.InvariantCulture))`, "String 'June 2009' was not recognized as a valid DateTime."},
		{`@(DateTime.ParseExact("Monday, 15 June 2009 13:45", "f", null))`, "was not recognized as a valid DateTime."},
		// zz: two hour digits
		{`@(DateTime.ParseExact("2020-01-02 +5", "yyyy-MM-dd zz", CultureInfo.InvariantCulture))`, "was not recognized as a valid DateTime."},
		{`@(DateTime.ParseExact("2020-01-02 +5:0", "yyyy-MM-dd zzz", CultureInfo.InvariantCulture))`, "was not recognized as a valid DateTime."},
		{`@(DateTime.ParseExact("2020-01-02 5:00", "yyyy-MM-dd zzz", CultureInfo.InvariantCulture))`, "was not recognized as a valid DateTime."},
		{`@(DateTime.ParseExact("Monday, June 15, 2009 1:45 PM", "f", null, DateTimeStyles.AssumeLocal | DateTimeStyles.AssumeUniversal))`, "cannot be used together"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
