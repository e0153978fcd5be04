package csharp

import "testing"

// TestDateFormatDocs: the examples of Microsoft's "Standard date and time
// format strings" and "Custom date and time format strings" with their
// printed output. ToString(format) without a provider uses tollgate's
// current culture, whose patterns are en-US's: the examples' en-US lines
// run so; their invariant lines with CultureInfo.InvariantCulture. Lines
// in other cultures are left out. The examples that convert to UTC ran at
// -07:00, where the local zone here is UTC: their hours are the local
// ones.
func TestDateFormatDocs(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// d
		{`DateTime date1 = new DateTime(2008, 4, 10); return date1.ToString("d", DateTimeFormatInfo.InvariantInfo) + "|" + date1.ToString("d");`, "04/10/2008|4/10/2008"},
		// D, f, F
		{`DateTime date1 = new DateTime(2008, 4, 10, 6, 30, 0); return date1.ToString("D") + "|" + date1.ToString("f") + "|" + date1.ToString("F");`,
			"Thursday, April 10, 2008|Thursday, April 10, 2008 6:30 AM|Thursday, April 10, 2008 6:30:00 AM"},
		// g, G
		{`DateTime date1 = new DateTime(2008, 4, 10, 6, 30, 0); return date1.ToString("g", DateTimeFormatInfo.InvariantInfo) + "|" + date1.ToString("g") + "|" + date1.ToString("G", DateTimeFormatInfo.InvariantInfo) + "|" + date1.ToString("G");`,
			"04/10/2008 06:30|4/10/2008 6:30 AM|04/10/2008 06:30:00|4/10/2008 6:30:00 AM"},
		// M, m (the month's day)
		{`DateTime date1 = new DateTime(2008, 4, 10, 6, 30, 0); return date1.ToString("m") + "|" + date1.ToString("M", CultureInfo.InvariantCulture);`, "April 10|April 10"},
		// R (at UTC), s, t, T, u, U, Y
		{`DateTime date1 = new DateTime(2008, 4, 10, 6, 30, 0); return date1.ToUniversalTime().ToString("r") + "|" + date1.ToString("s") + "|" + date1.ToString("t") + "|" + date1.ToString("T") + "|" + date1.ToUniversalTime().ToString("u") + "|" + date1.ToString("U") + "|" + date1.ToString("Y");`,
			"Thu, 10 Apr 2008 06:30:00 GMT|2008-04-10T06:30:00|6:30 AM|6:30:00 AM|2008-04-10 06:30:00Z|Thursday, April 10, 2008 6:30:00 AM|April 2008"},
		{`DateTime date1 = new DateTime(2008, 4, 10, 6, 30, 0); var i = CultureInfo.InvariantCulture; return date1.ToString("D", i) + "|" + date1.ToString("f", i) + "|" + date1.ToString("F", i) + "|" + date1.ToString("t", i) + "|" + date1.ToString("T", i) + "|" + date1.ToString("U", i) + "|" + date1.ToString("y", i);`,
			"Thursday, 10 April 2008|Thursday, 10 April 2008 06:30|Thursday, 10 April 2008 06:30:00|06:30|06:30:00|Thursday, 10 April 2008 06:30:00|2008 April"},
		// DateTimeOffset: the same patterns, "U" refused (below)
		{`var d = new DateTimeOffset(2008, 4, 10, 6, 30, 0, TimeSpan.FromHours(-7)); return d.ToString("F") + "|" + d.ToString("M") + "|" + d.ToString("y", CultureInfo.InvariantCulture) + "|" + d.ToString("u") + "|" + d.ToString("R");`,
			"Thursday, April 10, 2008 6:30:00 AM|April 10|2008 April|2008-04-10 13:30:00Z|Thu, 10 Apr 2008 13:30:00 GMT"},
		// custom: d, dd, ddd, dddd
		{`DateTime date1 = new DateTime(2008, 8, 29, 19, 27, 15); return date1.ToString("%d") + "|" + date1.ToString("d-MMM") + "|" + date1.ToString("ddd d MMM") + "|" + date1.ToString("dddd dd MMMM");`, "29|29-Aug|Fri 29 Aug|Friday 29 August"},
		{`DateTime date1 = new DateTime(2008, 1, 2, 6, 30, 15); return date1.ToString("dd, MM");`, "02, 01"},
		// f, F
		{`DateTime date1 = new DateTime(2008, 8, 29, 19, 27, 15, 18); CultureInfo ci = CultureInfo.InvariantCulture;
		  return date1.ToString("hh:mm:ss.f", ci) + "|" + date1.ToString("hh:mm:ss.F", ci) + "|" + date1.ToString("hh:mm:ss.ff", ci) + "|" + date1.ToString("hh:mm:ss.FF", ci) + "|" + date1.ToString("hh:mm:ss.fff", ci) + "|" + date1.ToString("hh:mm:ss.FFF", ci);`,
			"07:27:15.0|07:27:15|07:27:15.01|07:27:15.01|07:27:15.018|07:27:15.018"},
		// g
		{`DateTime date1 = new DateTime(70, 08, 04); return date1.ToString("MM/dd/yyyy g");`, "08/04/0070 A.D."},
		// h, m, s, t, F without a fraction (the point goes too)
		{`DateTime date1; date1 = new DateTime(2008, 1, 1, 18, 9, 1); var o = date1.ToString("h:m:s.F t", CultureInfo.InvariantCulture); date1 = new DateTime(2008, 1, 1, 18, 9, 1, 500); return o + "|" + date1.ToString("h:m:s.F t", CultureInfo.InvariantCulture);`, "6:9:1 P|6:9:1.5 P"},
		// hh, tt
		{`DateTime date1; date1 = new DateTime(2008, 1, 1, 18, 9, 1); var o = date1.ToString("hh:mm:ss tt", CultureInfo.InvariantCulture); date1 = new DateTime(2008, 1, 1, 18, 9, 1, 500); return o + "|" + date1.ToString("hh:mm:ss.ff tt", CultureInfo.InvariantCulture);`, "06:09:01 PM|06:09:01.50 PM"},
		// H, HH
		{`DateTime date1 = new DateTime(2008, 1, 1, 6, 9, 1); return date1.ToString("H:mm:ss", CultureInfo.InvariantCulture) + "|" + date1.ToString("HH:mm:ss", CultureInfo.InvariantCulture);`, "6:09:01|06:09:01"},
		// M, MM, MMM, MMMM
		{`DateTime date1 = new DateTime(2008, 8, 18); return date1.ToString("(M) MMM, MMMM");`, "(8) Aug, August"},
		// y…yyyyy
		{`DateTime date1 = new DateTime(1, 12, 1); DateTime date2 = new DateTime(2010, 1, 1);
		  return date1.ToString("%y") + "|" + date1.ToString("yy") + "|" + date1.ToString("yyy") + "|" + date1.ToString("yyyy") + "|" + date1.ToString("yyyyy") + "|" + date2.ToString("%y") + "|" + date2.ToString("yy") + "|" + date2.ToString("yyy") + "|" + date2.ToString("yyyy") + "|" + date2.ToString("yyyyy");`,
			"1|01|001|0001|00001|10|10|2010|2010|02010"},
		// z, zz, zzz
		{`DateTimeOffset date2 = new DateTimeOffset(2008, 8, 1, 0, 0, 0, new TimeSpan(6, 0, 0)); return date2.ToString("%z") + "|" + date2.ToString("zz") + "|" + date2.ToString("zzz");`, "+6|+06|+06:00"},
		{`DateTimeOffset date2 = new DateTimeOffset(2008, 8, 1, 0, 0, 0, new TimeSpan(-7, -30, 0)); return date2.ToString("%z") + "|" + date2.ToString("zz") + "|" + date2.ToString("zzz") + "|" + date2.ToString("%K");`, "-7|-07|-07:30|-07:30"},
		// \ escapes and literals
		{`DateTime date = new DateTime(2009, 06, 15, 13, 45, 30, 90); return date.ToString(@"h \h m \m") + "|" + date.ToString("h \\h m \\m") + "|" + date.ToString("'Day' d 'of' MMMM") + "|" + date.ToString("\"at\" HH:mm");`, "1 h 45 m|1 h 45 m|Day 15 of June|at 13:45"},
		// runs past their longest form, fractions to seven digits
		{`var d = new DateTime(2009, 6, 15, 13, 45, 30).AddTicks(1234567); return d.ToString("dddddd MMMMM hhh HHH mmm sss ttt zzzz") + "|" + d.ToString("fffffff FFFFFFF") + "|" + d.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFK");`,
			"Monday June 01 13 45 30 PM +00:00|1234567 1234567|2009-06-15T13:45:30.1234567"},
	})
	wantExceptions(t, front, []runCase{
		{`return new DateTime(2008, 1, 1).ToString("h");`, "FormatException: Input string was not in a correct format."},
		{`return new DateTime(2008, 1, 1).ToString("K");`, "FormatException"},
		{`return new DateTimeOffset(2008, 1, 1, 0, 0, 0, TimeSpan.Zero).ToString("U");`, "FormatException"},
		{`return new DateTime(2008, 1, 1).ToString("ffffffff");`, "FormatException"},
		{`return new DateTime(2008, 1, 1).ToString("yyyy 'open");`, "FormatException: Cannot find a matching quote character"},
		{`return new DateTime(2008, 1, 1).ToString("yyyy\\");`, "FormatException"},
		{`return new DateTime(2008, 1, 1).ToString("%%");`, "FormatException"},
		{`return $"{new DateTime(2008, 1, 1):q}";`, "FormatException"},
	})
}

// TestTimeSpanFormats: TimeSpan's standard formats ("c", "g", "G") and
// custom ones, with the examples of Microsoft's "Standard TimeSpan format
// strings" and "Custom TimeSpan format strings" (their en-US lines: the
// invariant culture's separators).
func TestTimeSpanFormats(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// the standard page's opening example
		{`TimeSpan duration = new TimeSpan(1, 12, 23, 62); string output = "Time of Travel: " + duration.ToString("c"); return output + "|" + $"Time of Travel: {duration:c}" + "|" + string.Format("Time of Travel: {0:c}", duration);`,
			"Time of Travel: 1.12:24:02|Time of Travel: 1.12:24:02|Time of Travel: 1.12:24:02"},
		// the specifiers' tables and rules
		{`return TimeSpan.Zero.ToString("c") + "|" + new TimeSpan(0, 0, 30, 0).ToString("c") + "|" + (new TimeSpan(3, 17, 25, 30) + TimeSpan.FromMilliseconds(500)).ToString("c");`, "00:00:00|00:30:00|3.17:25:30.5000000"},
		{`var a = new TimeSpan(1, 3, 16, 50) + TimeSpan.FromMilliseconds(500); return a.ToString("g") + "|" + a.Negate().ToString("g") + "|" + (new TimeSpan(0, 0, 39, 43) + TimeSpan.FromMilliseconds(360)).ToString("g", CultureInfo.InvariantCulture);`, "1:3:16:50.5|-1:3:16:50.5|0:39:43.36"},
		{`return new TimeSpan(18, 30, 0).ToString("G") + "|" + new TimeSpan(-2, -3, 0, 0).ToString("G") + "|" + new TimeSpan(1, 0, 0).ToString("T");`, "0:18:30:00.0000000|-2:03:00:00.0000000|01:00:00"},
		{`TimeSpan ts = new TimeSpan(3, 4, 3, 17); return ts.ToString("d\\.hh\\:mm\\:ss") + "|" + ts.ToString(@"dd\.hh\:mm") + "|" + new TimeSpan(6, 14, 32, 17).ToString("%d") + "|" + new TimeSpan(6, 14, 32, 17).ToString("ddddd");`, "3.04:03:17|03.04:03|6|00006"},
		{`var ts = new TimeSpan(0, 8, 5, 9) + TimeSpan.FromMilliseconds(120); return ts.ToString("%h") + "|" + ts.ToString("hh") + "|" + ts.ToString("%m") + "|" + ts.ToString("%s") + "|" + ts.ToString("ss\\.fff") + "|" + ts.ToString("ss\\.FFFF") + "|" + ts.ToString("'('hh')'") + "|" + TimeSpan.FromMinutes(-90).ToString("hh\\:mm");`,
			"8|08|5|9|09.120|09.12|(08)|01:30"},
		// a regular interpolated string's escapes apply to the format too
		{`return $"{TimeSpan.FromSeconds(90):mm\\:ss}|{new DateTime(2020, 1, 2):d\\.M}";`, "01:30|2.1"},
		{`return $@"{TimeSpan.FromSeconds(90):mm\:ss}|{TimeSpan.FromHours(25):c}|{TimeSpan.FromHours(25):g}";`, "01:30|1.01:00:00|1:1:00:00"},
	})
	wantExceptions(t, front, []runCase{
		{`return TimeSpan.Zero.ToString("hh:mm");`, "FormatException"},
		{`return TimeSpan.Zero.ToString("x");`, "FormatException"},
		{`return TimeSpan.Zero.ToString("hhh");`, "FormatException"},
		{`return TimeSpan.Zero.ToString("ddddddddd");`, "FormatException"},
	})
}
