package csharp

import (
	"strings"
	"testing"
)

// TestDateParseExactFormats: ParseExact and TryParseExact with several
// formats, DateTimeOffset.Parse(s, provider, styles), K matching a text
// without a zone, Windows file times, and TimeZoneInfo of a
// DateTimeOffset. Microsoft's examples, with en-US read as the invariant
// culture, and the local zone UTC (where the examples ran at -07:00).
func TestDateParseExactFormats(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// DateTime.ParseExact(String, String[], IFormatProvider, DateTimeStyles)
		{`string[] formats = {"M/d/yyyy h:mm:ss tt", "M/d/yyyy h:mm tt",
		                      "MM/dd/yyyy hh:mm:ss", "M/d/yyyy h:mm:ss",
		                      "M/d/yyyy hh:mm tt", "M/d/yyyy hh tt",
		                      "M/d/yyyy h:mm", "M/d/yyyy h:mm",
		                      "MM/dd/yyyy hh:mm", "M/dd/yyyy hh:mm",
		                      "MM/d/yyyy HH:mm:ss.ffffff" };
		  string[] dateStrings = {"5/1/2009 6:32 PM", "05/01/2009 6:32:05 PM",
		                          "5/1/2009 6:32:00", "05/01/2009 06:32",
		                          "05/01/2009 06:32:00 PM", "05/01/2009 06:32:00",
		                          "08/28/2015 16:17:39.125", "08/28/2015 16:17:39.125000" };
		  DateTime dateValue;
		  var o = new List<string>();
		  foreach (string dateString in dateStrings) {
		      try {
		          dateValue = DateTime.ParseExact(dateString, formats, CultureInfo.InvariantCulture, DateTimeStyles.None);
		          o.Add($"Converted '{dateString}' to {dateValue}.");
		      } catch (FormatException) {
		          o.Add($"Unable to convert '{dateString}' to a date.");
		      }
		  }
		  return string.Join("|", o);`,
			"Converted '5/1/2009 6:32 PM' to 5/1/2009 6:32:00 PM.|Converted '05/01/2009 6:32:05 PM' to 5/1/2009 6:32:05 PM.|" +
				"Converted '5/1/2009 6:32:00' to 5/1/2009 6:32:00 AM.|Converted '05/01/2009 06:32' to 5/1/2009 6:32:00 AM.|" +
				"Converted '05/01/2009 06:32:00 PM' to 5/1/2009 6:32:00 PM.|Converted '05/01/2009 06:32:00' to 5/1/2009 6:32:00 AM.|" +
				"Unable to convert '08/28/2015 16:17:39.125' to a date.|Converted '08/28/2015 16:17:39.125000' to 8/28/2015 4:17:39 PM."},
		// DateTimeOffset.ParseExact(String, String[], IFormatProvider,
		// DateTimeStyles): the example's input with a two-digit offset hour
		{`string[] formats = {@"M/dd/yyyy HH:m zzz", @"MM/dd/yyyy HH:m zzz", @"M/d/yyyy HH:m zzz", @"MM/d/yyyy HH:m zzz",
		                      @"M/dd/yy HH:m zzz", @"MM/dd/yy HH:m zzz", @"M/d/yy HH:m zzz", @"MM/d/yy HH:m zzz",
		                      @"M/dd/yyyy H:m zzz", @"MM/dd/yyyy H:m zzz", @"M/d/yyyy H:m zzz", @"MM/d/yyyy H:m zzz",
		                      @"M/dd/yy H:m zzz", @"MM/dd/yy H:m zzz", @"M/d/yy H:m zzz", @"MM/d/yy H:m zzz",
		                      @"M/dd/yyyy HH:mm zzz", @"MM/dd/yyyy HH:mm zzz", @"M/d/yyyy HH:mm zzz", @"MM/d/yyyy HH:mm zzz",
		                      @"M/dd/yy HH:mm zzz", @"MM/dd/yy HH:mm zzz", @"M/d/yy HH:mm zzz", @"MM/d/yy HH:mm zzz",
		                      @"M/dd/yyyy H:mm zzz", @"MM/dd/yyyy H:mm zzz", @"M/d/yyyy H:mm zzz", @"MM/d/yyyy H:mm zzz",
		                      @"M/dd/yy H:mm zzz", @"MM/dd/yy H:mm zzz", @"M/d/yy H:mm zzz", @"MM/d/yy H:mm zzz"};
		  IFormatProvider provider = CultureInfo.InvariantCulture.DateTimeFormat;
		  string input = "12/8/2007 06:54 -06:00";
		  DateTimeOffset result = DateTimeOffset.ParseExact(input, formats, provider, DateTimeStyles.AllowWhiteSpaces);
		  return string.Format("{0} was converted to {1}", input, result.ToString());`,
			"12/8/2007 06:54 -06:00 was converted to 12/8/2007 6:54:00 AM -06:00"},
		// DateTimeOffset.Parse(String, IFormatProvider, DateTimeStyles)
		{`string dateString; DateTimeOffset offsetDate; var o = new List<string>();
		  dateString = "05/01/2008 6:00:00";
		  offsetDate = DateTimeOffset.Parse(dateString, null, DateTimeStyles.AssumeLocal); o.Add(offsetDate.ToString());
		  offsetDate = DateTimeOffset.Parse(dateString, null, DateTimeStyles.AssumeUniversal); o.Add(offsetDate.ToString());
		  dateString = "05/01/2008 6:00:00AM +5:00";
		  offsetDate = DateTimeOffset.Parse(dateString, null, DateTimeStyles.AdjustToUniversal); o.Add(offsetDate.ToString());
		  return string.Join("|", o);`,
			"5/1/2008 6:00:00 AM +00:00|5/1/2008 6:00:00 AM +00:00|5/1/2008 1:00:00 AM +00:00"},
		// DateTimeOffset.Parse(String): the example's date and offset
		{`return DateTimeOffset.Parse("05/01/2008 +1:00").ToString() + "|" + DateTimeOffset.Parse("05/01/2008").ToString();`, "5/1/2008 12:00:00 AM +01:00|5/1/2008 12:00:00 AM +00:00"},
		// the first format that matches wins; TryParseExact false and
		// default where none does
		{`return DateTime.ParseExact("2020-01-02", new[] { "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-dd-MM" }, null, DateTimeStyles.None).ToString("o") + " " +
		     DateTime.TryParseExact("2020-01-02 10:00Z", new[] { "yyyy-MM-dd", "yyyy-MM-dd HH:mmK" }, null, DateTimeStyles.AdjustToUniversal, out var d) + " " + d.Kind + " " + d.Hour + " " +
		     DateTime.TryParseExact("x", new[] { "yyyy" }, null, DateTimeStyles.None, out var e) + " " + (e == default(DateTime)) + " " +
		     DateTime.TryParseExact("2020", (string[])null, null, DateTimeStyles.None, out e) + " " + DateTime.TryParseExact("2020", new string[0], null, DateTimeStyles.None, out e) + " " +
		     DateTime.TryParseExact("2020", new[] { "", "yyyy" }, null, DateTimeStyles.None, out e);`,
			"2020-01-02T00:00:00.0000000 True Utc 10 False True False False False"},
		{`return DateTimeOffset.TryParseExact("2020-01-02 03:04 +02:00", new[] { "yyyy-MM-dd", "yyyy-MM-dd HH:mm zzz" }, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) + " " + d.ToString("o") + " " +
		     DateTimeOffset.TryParseExact("2020-01-02", new[] { "yyyy-MM-dd" }, null, DateTimeStyles.AssumeUniversal | DateTimeStyles.RoundtripKind, out var e) + " " + e.Offset + " " +
		     DateTimeOffset.ParseExact("2020-01-02 +02:00", "yyyy-MM-dd zzz", null, DateTimeStyles.RoundtripKind | DateTimeStyles.AdjustToUniversal).ToString("o");`,
			"True 2020-01-02T03:04:00.0000000+02:00 True 00:00:00 2020-01-01T22:00:00.0000000+00:00"},
		// DateTimeOffset.Parse(s, provider, styles); TryParse with them
		{`return DateTimeOffset.Parse("2020-01-02T03:04:05+02:00", CultureInfo.InvariantCulture, DateTimeStyles.None).ToString("o") + " " +
		     DateTimeOffset.Parse("2020-01-02T03:04:05+02:00", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).ToString("o") + " " +
		     DateTimeOffset.Parse("2020-01-02T03:04:05", null, DateTimeStyles.AssumeLocal).Offset + " " +
		     DateTimeOffset.TryParse("2020-01-02T03:04:05-07:30", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) + " " + d.Offset + " " +
		     DateTimeOffset.TryParse("nope", null, DateTimeStyles.None, out d) + " " + d.ToString("o");`,
			"2020-01-02T03:04:05.0000000+02:00 2020-01-02T01:04:05.0000000+00:00 00:00:00 True -07:30:00 False 0001-01-01T00:00:00.0000000+00:00"},
		// K in a custom format matches a text without a zone, as in .NET
		{`var f = "yyyy-MM-ddTHH:mm:ssK";
		  var a = DateTime.ParseExact("2020-01-02T03:04:05", f, CultureInfo.InvariantCulture);
		  var b = DateTime.ParseExact("2020-01-02T03:04:05Z", f, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
		  var c = DateTime.ParseExact("2020-01-02T03:04:05+01:00", f, CultureInfo.InvariantCulture);
		  var d = DateTime.ParseExact("2020-01-02T03:04:05", f, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
		  var e = DateTimeOffset.ParseExact("2020-01-02T03:04:05", f, CultureInfo.InvariantCulture);
		  return a.Kind + " " + a.ToString("o") + "|" + b.Kind + "|" + c.Kind + " " + c.Hour + "|" + d.Kind + " " + d.Hour + "|" + e.ToString("o");`,
			"Unspecified 2020-01-02T03:04:05.0000000|Utc|Local 2|Utc 3|2020-01-02T03:04:05.0000000+00:00"},
		// Windows file times: 100 ns since 1601-01-01 UTC
		{`var u = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
		  return u.ToFileTimeUtc() + " " + u.ToFileTime() + " " + DateTime.SpecifyKind(u, DateTimeKind.Local).ToFileTime() + " " + new DateTime(1601, 1, 1).ToFileTimeUtc() + " " +
		     DateTime.FromFileTimeUtc(132223104000000000).ToString("o") + " " + DateTime.FromFileTime(132223104000000000).ToString("o") + " " + DateTime.FromFileTime(0).Kind + " " +
		     new DateTimeOffset(2020, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)).ToFileTime() + " " + DateTimeOffset.FromFileTime(132223104000000001).ToString("o") + " " +
		     DateTime.FromFileTimeUtc(DateTime.MaxValue.ToFileTimeUtc()).Ticks;`,
			"132223104000000000 132223104000000000 132223104000000000 0 2020-01-01T00:00:00.0000000Z 2020-01-01T00:00:00.0000000+00:00 Local 132223104000000000 2020-01-01T00:00:00.0000001+00:00 3155378975999999999"},
		// TimeZoneInfo of a DateTimeOffset: the zone at that instant
		{`var z = TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time");
		  var summer = new DateTimeOffset(2024, 7, 1, 0, 0, 0, TimeSpan.FromHours(-5)); var winter = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
		  var edge = new DateTimeOffset(2024, 10, 27, 0, 59, 59, TimeSpan.Zero);
		  return z.GetUtcOffset(summer) + " " + z.GetUtcOffset(winter) + " " + z.IsDaylightSavingTime(summer) + " " + z.IsDaylightSavingTime(winter) + " " +
		     z.GetUtcOffset(edge) + " " + z.GetUtcOffset(edge.AddSeconds(1)) + " " + TimeZoneInfo.Utc.GetUtcOffset(summer) + " " + z.GetUtcOffset(new DateTime(2024, 7, 1));`,
			"02:00:00 01:00:00 True False 02:00:00 01:00:00 00:00:00 02:00:00"},
	})
	wantExceptions(t, front, []runCase{
		{`return DateTime.ParseExact("x", new[] { "yyyy", "MM" }, null, DateTimeStyles.None).ToString();`, "FormatException: String 'x' was not recognized as a valid DateTime."},
		{`return DateTime.ParseExact("2020", (string[])null, null, DateTimeStyles.None).ToString();`, "ArgumentNullException: Value cannot be null. (Parameter 'formats')"},
		{`return DateTime.ParseExact("2020", new string[0], null, DateTimeStyles.None).ToString();`, "FormatException"},
		{`return DateTime.ParseExact("2020", new[] { null, "yyyy" }, null, DateTimeStyles.None).ToString();`, "FormatException: Format specifier was invalid."},
		{`return DateTime.ParseExact(null, new[] { "yyyy" }, null, DateTimeStyles.None).ToString();`, "ArgumentNullException: Value cannot be null. (Parameter 's')"},
		{`return DateTime.ParseExact("2020", new[] { "yyyy" }, null, DateTimeStyles.AssumeLocal | DateTimeStyles.AssumeUniversal).ToString();`, "ArgumentException: The DateTimeStyles values AssumeLocal and AssumeUniversal cannot be used together."},
		// a format tollgate cannot read (not a literal, so known at run
		// time) before the one that matches: .NET might have matched it,
		// so it is said, not skipped
		{`string[] f = { "yyyy 'Jan'", "yyyy" }; return DateTime.ParseExact("2020", f, null, DateTimeStyles.None).ToString();`, "NotSupportedException: The format 'yyyy 'Jan'' is not supported"},
		{`string[] f = { "yyyy 'Jan'", "yyyy" }; return DateTime.TryParseExact("2020", f, null, DateTimeStyles.None, out var d).ToString();`, "NotSupportedException"},
		{`var f = "Mdyyyy"; return DateTimeOffset.ParseExact("122020", f, null).ToString();`, "NotSupportedException: The format 'Mdyyyy' is not supported"},
		{`return DateTimeOffset.Parse("2020-01-02", null, DateTimeStyles.AssumeLocal | DateTimeStyles.AssumeUniversal).ToString();`, "ArgumentException: The DateTimeStyles values AssumeLocal and AssumeUniversal cannot be used together. (Parameter 'styles')"},
		{`return DateTimeOffset.Parse("2020-01-02", null, DateTimeStyles.NoCurrentDateDefault).ToString();`, "ArgumentException: The DateTimeStyles value 'NoCurrentDateDefault' is not allowed when parsing DateTimeOffset. (Parameter 'styles')"},
		{`return DateTimeOffset.Parse("nope", null, DateTimeStyles.None).ToString();`, "FormatException"},
		{`return DateTimeOffset.Parse(null, null, DateTimeStyles.None).ToString();`, "ArgumentNullException: Value cannot be null. (Parameter 'input')"},
		{`return new DateTime(1600, 12, 31, 0, 0, 0, DateTimeKind.Utc).ToFileTimeUtc().ToString();`, "ArgumentOutOfRangeException: Not a valid Win32 FileTime."},
		{`return DateTime.FromFileTime(-1).ToString();`, "ArgumentOutOfRangeException: Not a valid Win32 FileTime. (Parameter 'fileTime')"},
		{`return DateTime.FromFileTimeUtc(2650467744000000000).ToString();`, "ArgumentOutOfRangeException: Not a valid Win32 FileTime. (Parameter 'fileTime')"},
	})
	for _, tc := range []struct{ src, msg string }{
		{`DateTime.ParseExact("2020", new[] { "yyyy" }, null)`, "cannot convert from 'string[]' to 'string'"},
		{`DateTime.ParseExact("2020", new[] { 1 }, null, DateTimeStyles.None)`, "cannot convert"},
		{`TimeZone.CurrentTimeZone.GetUtcOffset(DateTimeOffset.UtcNow)`, "cannot convert from 'DateTimeOffset' to 'DateTime'"},
		// a literal format tollgate cannot read is a load error
		{`DateTime.ParseExact("2020", new[] { "yyyy", "yyyy 'Jan'" }, null, DateTimeStyles.None)`, "the format 'yyyy 'Jan'' is not supported by DateTime.ParseExact"},
		{`DateTime.ParseExact("122020", "Mdyyyy", CultureInfo.InvariantCulture)`, "the format 'Mdyyyy' is not supported by DateTime.ParseExact"},
		{`DateTimeOffset.TryParseExact("2020", new[] { "yyyy", "Mdyyyy" }, null, DateTimeStyles.None, out var d)`, "the format 'Mdyyyy' is not supported"},
	} {
		_, err := front.Compile(tc.src, false)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}
