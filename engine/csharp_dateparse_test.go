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

// TestCSharpParseExactU: the standard format U, "universal full date/time"
// (.NET's "Standard date and time format strings": the FullDateTimePattern,
// en-US's "dddd, MMMM d, yyyy h:mm:ss tt", the invariant culture's "dddd, dd
// MMMM yyyy HH:mm:ss", of the UTC time; its example writes 2008-04-10 06:30
// at -07:00 as "Thursday, April 10, 2008 1:30:00 PM"). ParseExact reads the
// same pattern as a UTC time (.NET's ExpandPredefinedFormat: TimeZoneUsed,
// offset 0), as a text ending in Z: Kind Local, Utc with RoundtripKind or
// AdjustToUniversal.
func TestCSharpParseExactU(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`DateTime.ParseExact("Thursday, April 10, 2008 1:30:00 PM", "U", null).ToString("o")`, "2008-04-10T13:30:00.0000000+00:00"},
		{`DateTime.ParseExact("Thursday, April 10, 2008 1:30:00 PM", "U", CultureInfo.CurrentCulture).Kind.ToString()`, "Local"},
		{`DateTime.ParseExact("Thursday, April 10, 2008 1:30:00 PM", "U", null, DateTimeStyles.RoundtripKind).ToString("o")`, "2008-04-10T13:30:00.0000000Z"},
		{`DateTime.ParseExact("Thursday, April 10, 2008 1:30:00 PM", "U", null, DateTimeStyles.AdjustToUniversal).Kind.ToString()`, "Utc"},
		{`DateTime.ParseExact("Thursday, 10 April 2008 13:30:00", "U", CultureInfo.InvariantCulture).ToString("s")`, "2008-04-10T13:30:00"},
		{`DateTimeOffset.ParseExact("Thursday, April 10, 2008 1:30:00 PM", "U", null).ToString("o")`, "2008-04-10T13:30:00.0000000+00:00"},
		// what ToString("U") writes reads back (the local zone is UTC)
		{`DateTime.ParseExact(new DateTime(2026, 12, 4, 10, 5, 6, DateTimeKind.Utc).ToString("U"), "U", null, DateTimeStyles.AdjustToUniversal).ToString("o")`, "2026-12-04T10:05:06.0000000Z"},
		{`DateTime.ParseExact(new DateTime(2026, 12, 4, 10, 5, 6).ToString("U", CultureInfo.InvariantCulture), "U", CultureInfo.InvariantCulture).ToString("s")`, "2026-12-04T10:05:06"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ stmts, want string }{
		{`DateTime d; var ok = DateTime.TryParseExact("Thursday, April 10, 2008 1:30:00 PM", "U", null, DateTimeStyles.None, out d); return ok + " " + d.ToString("s");`, "True 2008-04-10T13:30:00"},
		{`DateTime d; return DateTime.TryParseExact("Friday, April 10, 2008 1:30:00 PM", "U", null, DateTimeStyles.None, out d) + "";`, "False"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(DateTime.ParseExact("Thursday, April 10, 2008 13:30:00", "U", null))`, "was not recognized as a valid DateTime."},
		{`@(DateTime.ParseExact("Friday, April 10, 2008 1:30:00 PM", "U", null))`, "because the day of week was incorrect."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestCSharpDateTimeParseForms: DateTime.Parse (and TryParse,
// DateTimeOffset.Parse) of the forms .NET's documentation gives it.
// DateTime.Parse's remarks: "a string with a date and a time component", "a
// date but no time", "a time but no date", ISO 8601 with a zone, RFC 1123's
// GMT; a text with a zone converts to local time, Kind Local (the local
// zone being UTC here), one without is Kind Unspecified. "Parse date and
// time strings in .NET": "2008-05-01 7:34:42Z"; the older "Parsing Date and
// Time Strings": "Jan 1, 2002", "a missing date defaults to the current
// date, a missing year defaults to the current year, a missing day of the
// month defaults to the first day of the month". The current culture's
// (en-US's) standard patterns D, f, F, M, Y ("Monday, June 15, 2009"...),
// t and T.
func TestCSharpDateTimeParseForms(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`DateTime.Parse("2026-12-04").ToString("o") + " " + DateTime.Parse("2026-12-04").Kind`, "2026-12-04T00:00:00.0000000 Unspecified"},
		{`DateTime.Parse("2026-12-04 10:00").ToString("o") + " " + DateTime.Parse("2026-12-04 10:00").Kind`, "2026-12-04T10:00:00.0000000 Unspecified"},
		{`DateTime.Parse("2026-12-04T10:00").ToString("o")`, "2026-12-04T10:00:00.0000000"},
		{`DateTime.Parse("2026-12-04T10:00:00.1234567").ToString("o")`, "2026-12-04T10:00:00.1234567"},
		{`DateTime.Parse("12/04/2026").ToString("o")`, "2026-12-04T00:00:00.0000000"},
		{`DateTime.Parse("12/04/2026 10:00:00 AM").ToString("o")`, "2026-12-04T10:00:00.0000000"},
		{`DateTime.Parse("Jan 1, 2002").ToString("s")`, "2002-01-01T00:00:00"},
		{`DateTime.Parse("Dec 4, 2026").ToString("s") + " " + DateTime.Parse("December 4, 2026").ToString("s")`, "2026-12-04T00:00:00 2026-12-04T00:00:00"},
		{`DateTime.Parse("Monday, June 15, 2009").ToString("s")`, "2009-06-15T00:00:00"},
		{`DateTime.Parse("Monday, June 15, 2009 1:45 PM").ToString("s") + " " + DateTime.Parse("Monday, June 15, 2009 1:45:30 PM").ToString("s")`, "2009-06-15T13:45:00 2009-06-15T13:45:30"},
		{`DateTime.Parse("June 2009").ToString("s")`, "2009-06-01T00:00:00"},
		{`DateTime.Parse("June 15").ToString("MM-dd") + " " + (DateTime.Parse("June 15").Year == DateTime.Today.Year)`, "06-15 True"},
		{`DateTime.Parse("Fri, 04 Dec 2026 10:00:00 GMT").ToString("o") + " " + DateTime.Parse("Fri, 04 Dec 2026 10:00:00 GMT").Kind`, "2026-12-04T10:00:00.0000000+00:00 Local"},
		{`DateTime.Parse("2026-12-04T10:00:00+01:00").ToString("o") + " " + DateTime.Parse("2026-12-04T10:00:00+01:00").Kind`, "2026-12-04T09:00:00.0000000+00:00 Local"},
		{`DateTime.Parse("2008-05-01 7:34:42Z").ToString("o")`, "2008-05-01T07:34:42.0000000+00:00"},
		// a time alone: today's
		{`DateTime.Parse("10:00") == DateTime.Today.AddHours(10)`, "true"},
		{`DateTime.Parse("10:00 AM") == DateTime.Today.AddHours(10) && DateTime.Parse("10:00:30 PM") == DateTime.Today.AddHours(22).AddSeconds(30)`, "true"},
		{`DateTime.Parse("10:00").Kind.ToString()`, "Unspecified"},
		{`DateTimeOffset.Parse("2026-12-04 10:00").ToString("o")`, "2026-12-04T10:00:00.0000000+00:00"},
		// DateTime.Parse's "String to be parsed" examples: a month and a
		// year, a month and a day (the current year), an hour and AM/PM
		// (today), a time zone of one hour digit
		{`DateTime.Parse("8/2018").ToString("s")`, "2018-08-01T00:00:00"},
		{`DateTime.Parse("8/18").ToString("MM-dd") + " " + (DateTime.Parse("8/18").Year == DateTime.Today.Year)`, "08-18 True"},
		{`DateTime.Parse("7 PM") == DateTime.Today.AddHours(19)`, "true"},
		{`DateTime.Parse("08/18/2018 07:22:16 -5:00").ToString("o")`, "2018-08-18T12:22:16.0000000+00:00"},
		// Convert.ToDateTime(String)'s examples: an abbreviated day name
		// before the month, the day before the month's name, a time with
		// milliseconds (today's), RFC 1123, ISO 8601 with an offset
		{`Convert.ToDateTime((string)null) == DateTime.MinValue`, "true"}, // "DateTime.MinValue if value is null"
		{`Convert.ToDateTime("05/01/1996").ToString("o")`, "1996-05-01T00:00:00.0000000"},
		{`Convert.ToDateTime("2020-01-02", CultureInfo.InvariantCulture).Day + Convert.ToDateTime(new DateTime(2020, 1, 2)).Month`, "3"},
		{`Convert.ToDateTime("Tue Apr 28, 2009").ToString("o") + " " + Convert.ToDateTime("Tue Apr 28, 2009").Kind`, "2009-04-28T00:00:00.0000000 Unspecified"},
		{`Convert.ToDateTime("06 July 2008 7:32:47 AM").ToString("o")`, "2008-07-06T07:32:47.0000000"},
		{`Convert.ToDateTime("17:32:47.003") == DateTime.Today.AddHours(17).AddMinutes(32).AddSeconds(47).AddMilliseconds(3)`, "true"},
		{`Convert.ToDateTime("Sat, 10 May 2008 14:32:17 GMT").ToString("o")`, "2008-05-10T14:32:17.0000000+00:00"},
		{`Convert.ToDateTime("2009-05-01T07:54:59.9843750-04:00").ToString("o")`, "2009-05-01T11:54:59.9843750+00:00"},
		// the same forms with other names and times
		{`DateTime.Parse("4 December 2026").ToString("s") + " " + DateTime.Parse("4 Dec 2026 10:00").ToString("s")`, "2026-12-04T00:00:00 2026-12-04T10:00:00"},
		{`DateTime.Parse("Fri, Dec 4, 2026").ToString("s") + " " + DateTime.Parse("Friday December 4, 2026 10:00 PM").ToString("s")`, "2026-12-04T00:00:00 2026-12-04T22:00:00"},
		{`DateTime.Parse("2026/12/04").ToString("s") + " " + DateTime.Parse("2026/12/4 10:05:06").ToString("s")`, "2026-12-04T00:00:00 2026-12-04T10:05:06"},
		{`DateTimeOffset.Parse("4 December 2026 10:00").ToString("o")`, "2026-12-04T10:00:00.0000000+00:00"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ stmts, want string }{
		{`DateTime d; return DateTime.TryParse("Dec 4, 2026", out d) + " " + d.ToString("s");`, "True 2026-12-04T00:00:00"},
		{`DateTime d; return DateTime.TryParse("Thursday, December 4, 2026", out d) + " " + d.Year;`, "False 1"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		// December 4, 2026 is a Friday: .NET refuses another day's name
		{`@(DateTime.Parse("Thursday, December 4, 2026"))`, "was not recognized as a valid DateTime"},
		{`@(DateTime.Parse("Thu, 04 Dec 2026 10:00:00 GMT"))`, "was not recognized as a valid DateTime"},
		{`@(DateTime.ParseExact("Thursday, December 4, 2026", "D", null))`, "because the day of week was incorrect."},
		{`@(DateTime.Parse("25:00"))`, "was not recognized as a valid DateTime"},
		{`@(DateTime.Parse("June 32"))`, "was not recognized as a valid DateTime"},
		// Convert.ToDateTime(String)'s example: April 28, 2009 is a Tuesday
		{`@(Convert.ToDateTime("Wed Apr 28, 2009"))`, "was not recognized as a valid DateTime"},
		{`@(Convert.ToDateTime("not a date"))`, "String 'not a date' was not recognized as a valid DateTime."},
		{`@(DateTime.Parse("2026/13/04"))`, "was not recognized as a valid DateTime"},
		// forms .NET's heuristics read but no example of its documentation
		// gives: not read here
		{`@(DateTime.Parse("2026.12.04"))`, "was not recognized as a valid DateTime"},
		{`@(DateTime.Parse("December 4 2026"))`, "was not recognized as a valid DateTime"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
