package csharp

import (
	"testing"
)

// TestDateTimeKinds: a DateTime's Kind and what it changes ("o", "K",
// ToUniversalTime, ToLocalTime, Parse), with the examples of Microsoft's
// documentation and their documented output (the local zone being UTC,
// as on APIM's gateways: a Local time's offset is +00:00).
func TestDateTimeKinds(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// Standard date and time format strings, the round-trip ("O", "o")
		// format specifier's example.
		{`DateTime dat = new DateTime(2009, 6, 15, 13, 45, 30, DateTimeKind.Unspecified); return $"{dat} ({dat.Kind}) --> {dat:O}";`,
			"6/15/2009 1:45:30 PM (Unspecified) --> 2009-06-15T13:45:30.0000000"},
		{`DateTime uDat = new DateTime(2009, 6, 15, 13, 45, 30, DateTimeKind.Utc); return $"{uDat} ({uDat.Kind}) --> {uDat:O}";`,
			"6/15/2009 1:45:30 PM (Utc) --> 2009-06-15T13:45:30.0000000Z"},
		{`DateTime lDat = new DateTime(2009, 6, 15, 13, 45, 30, DateTimeKind.Local); return $"{lDat} ({lDat.Kind}) --> {lDat:O}";`,
			"6/15/2009 1:45:30 PM (Local) --> 2009-06-15T13:45:30.0000000+00:00"},
		{`DateTime lDat = new DateTime(2009, 6, 15, 13, 45, 30, DateTimeKind.Local); DateTimeOffset dto = new DateTimeOffset(lDat); return $"{dto} --> {dto:O}";`,
			"6/15/2009 1:45:30 PM +00:00 --> 2009-06-15T13:45:30.0000000+00:00"},
		// the brief's cases
		{`return DateTime.Parse("2020-01-01").ToString("o");`, "2020-01-01T00:00:00.0000000"},
		{`var d = DateTime.Parse("2020-01-01T10:00:00+02:00"); return d.Kind + " " + d.ToString("o");`, "Local 2020-01-01T08:00:00.0000000+00:00"},
		{`var d = DateTime.Parse("2020-01-01T10:00:00Z"); return d.Kind + " " + d.Hour;`, "Local 10"},
		{`return DateTime.Now.ToString("o").EndsWith("+00:00") + " " + DateTime.UtcNow.ToString("o").EndsWith("Z") + " " + DateTime.Now.Kind + " " + DateTime.UtcNow.Kind + " " + DateTime.Today.Kind;`, "True True Local Utc Local"},
		{`return DateTime.MinValue.Kind + " " + DateTime.MaxValue.ToString("o") + " " + default(DateTime).ToString("o");`, "Unspecified 9999-12-31T23:59:59.9999999 0001-01-01T00:00:00.0000000"},
		// SpecifyKind, and ToUniversalTime / ToLocalTime by kind
		{`var d = new DateTime(2020, 1, 2, 3, 4, 5); return DateTime.SpecifyKind(d, DateTimeKind.Local).ToString("o") + " " + DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString("o") + " " + DateTime.SpecifyKind(DateTime.SpecifyKind(d, DateTimeKind.Utc), DateTimeKind.Unspecified).ToString("o");`,
			"2020-01-02T03:04:05.0000000+00:00 2020-01-02T03:04:05.0000000Z 2020-01-02T03:04:05.0000000"},
		{`var d = new DateTime(2020, 1, 2, 3, 4, 5); return d.ToUniversalTime().Kind + " " + d.ToLocalTime().Kind + " " + d.ToLocalTime().ToUniversalTime().ToString("o");`, "Utc Local 2020-01-02T03:04:05.0000000Z"},
		{`var d = new DateTime(2020, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc); return d.ToString("yyyy-MM-ddTHH:mm:ss.fffK") + "|" + d.ToLocalTime().ToString("HH:mm zzz K") + "|" + new DateTime(2020, 1, 2).ToString("HH:mm K|");`, "2020-01-02T03:04:05.678Z|03:04 +00:00 +00:00|00:00 |"},
		// arithmetic keeps the kind; equality and comparisons ignore it
		{`var u = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc); return u.AddDays(1).Kind + " " + (u + TimeSpan.FromHours(1)).Kind + " " + u.Date.Kind + " " + u.AddMonths(1).Kind;`, "Utc Utc Utc Utc"},
		{`var u = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc); var l = DateTime.SpecifyKind(u, DateTimeKind.Local); var n = new DateTime(2020, 1, 1); return (u == l) + " " + u.Equals(n) + " " + (l > n) + " " + DateTime.Compare(u, n) + " " + u.CompareTo(l) + " " + (u - l);`, "True True False 0 0 00:00:00"},
		{`var u = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc); var l = DateTime.SpecifyKind(u, DateTimeKind.Local); return new[] { u, l, new DateTime(2020, 1, 1) }.Distinct().Count() + " " + new List<object> { u, l }.Contains(new DateTime(2020, 1, 1));`, "1 True"},
		{`return ((int)DateTimeKind.Local) + " " + (DateTimeKind)1 + " " + DateTime.SpecifyKind(DateTime.UtcNow, (DateTimeKind)0).Kind;`, "2 Utc Unspecified"},
		// ParseExact and DateTimeStyles
		{`return DateTime.ParseExact("2020-01-01T10:00:00.0000000Z", "o", CultureInfo.InvariantCulture).Kind + " " + DateTime.ParseExact("2020-01-01T10:00:00.0000000Z", "o", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).Kind + " " + DateTime.ParseExact("2020-01-01T10:00:00.0000000", "o", CultureInfo.InvariantCulture).Kind;`,
			"Local Utc Unspecified"},
		{`var d = DateTime.ParseExact("2015-11-07T08:00:00-05:00", "yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal); return d + " " + d.Kind;`, "11/7/2015 1:00:00 PM Utc"},
		{`var d = DateTime.Parse("2015-11-07T08:00:00-05:00", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal); return d + " " + d.Kind;`, "11/7/2015 1:00:00 PM Utc"},
		{`return DateTime.ParseExact("2020-01-01 10:00", "yyyy-MM-dd HH:mm", null, DateTimeStyles.AssumeUniversal).Kind + " " + DateTime.ParseExact("2020-01-01 10:00", "yyyy-MM-dd HH:mm", null, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal).Kind + " " + DateTime.ParseExact("2020-01-01 10:00", "yyyy-MM-dd HH:mm", null, DateTimeStyles.AssumeLocal).Kind;`,
			"Local Utc Local"},
		// round trip of "o" with RoundtripKind (How to: Round-trip date and time values)
		{`DateTime dateToSave = DateTime.SpecifyKind(new DateTime(2008, 6, 12, 18, 45, 15), DateTimeKind.Local); string s = dateToSave.ToString("o"); DateTime r = DateTime.Parse(s, null, DateTimeStyles.RoundtripKind); return $"Converted {dateToSave.ToString()} ({dateToSave.Kind.ToString()}) to {s}. Read {r} ({r.Kind})";`,
			"Converted 6/12/2008 6:45:15 PM (Local) to 2008-06-12T18:45:15.0000000+00:00. Read 6/12/2008 6:45:15 PM (Local)"},
	})
}

// TestDateTimeOffset: DateTimeOffset is a type of its own: its offset, its
// members, its text (ToString, "o", "zzz", "K", JSON), comparisons of
// instants and the implicit conversion from DateTime.
func TestDateTimeOffset(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		{`var d = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)); return d.Offset + " " + d.UtcDateTime.ToString("o") + " " + d.DateTime.ToString("o") + " " + d.LocalDateTime.ToString("o");`,
			"02:00:00 2019-12-31T22:00:00.0000000Z 2020-01-01T00:00:00.0000000 2019-12-31T22:00:00.0000000+00:00"},
		{`var d = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)); return d.ToString() + "|" + d.ToString("o") + "|" + d.ToString("zzz") + "|" + d.ToString("%K") + "|" + d.ToOffset(TimeSpan.FromHours(-5)).ToString("o") + "|" + d.ToUniversalTime().ToString("o");`,
			"1/1/2020 12:00:00 AM +02:00|2020-01-01T00:00:00.0000000+02:00|+02:00|+02:00|2019-12-31T17:00:00.0000000-05:00|2019-12-31T22:00:00.0000000+00:00"},
		{`return DateTimeOffset.Parse("2020-01-01T10:00:00+02:00").Offset.TotalHours + " " + DateTimeOffset.Parse("2020-01-01T10:00:00").Offset + " " + DateTimeOffset.Parse("2020-01-01T10:00:00+02:00").Hour;`, "2 00:00:00 10"},
		// DateTimeOffset.ToString()'s example, at the instants its output shows
		{`DateTimeOffset thisDate = new DateTimeOffset(2007, 3, 28, 19, 13, 50, TimeSpan.Zero); var utc = thisDate.ToString(); thisDate = new DateTimeOffset(2007, 3, 28, 12, 13, 50, new TimeSpan(-7, 0, 0)); var local = thisDate.ToString(); thisDate = thisDate.ToOffset(new TimeSpan(-5, 0, 0)); return utc + "|" + local + "|" + thisDate.ToString();`,
			"3/28/2007 7:13:50 PM +00:00|3/28/2007 12:13:50 PM -07:00|3/28/2007 2:13:50 PM -05:00"},
		{`return DateTimeOffset.UtcNow.ToString("o").EndsWith("+00:00") + " " + DateTimeOffset.Now.ToString().EndsWith(" +00:00") + " " + DateTimeOffset.UtcNow.Offset;`, "True True 00:00:00"},
		// comparisons are of instants; EqualsExact also of offsets
		{`var a = new DateTimeOffset(2020, 1, 1, 10, 0, 0, TimeSpan.FromHours(2)); var b = new DateTimeOffset(2020, 1, 1, 8, 0, 0, TimeSpan.Zero); return (a == b) + " " + a.Equals(b) + " " + a.EqualsExact(b) + " " + a.CompareTo(b) + " " + DateTimeOffset.Compare(a, b.AddSeconds(1)) + " " + (a < b.AddTicks(1)) + " " + (a - b.AddHours(1));`,
			"True True False 0 -1 True -01:00:00"},
		// AddX keeps the offset; DateTimeOffset - TimeSpan
		{`var a = new DateTimeOffset(2020, 1, 31, 23, 0, 0, TimeSpan.FromHours(-3)); return a.AddMonths(1).ToString("o") + " " + (a + TimeSpan.FromHours(2)).ToString("o") + " " + (a - TimeSpan.FromDays(1)).Day + " " + a.AddYears(-1).Year + " " + a.Subtract(TimeSpan.FromMinutes(1)).Minute;`,
			"2020-02-29T23:00:00.0000000-03:00 2020-02-01T01:00:00.0000000-03:00 30 2019 59"},
		// Unix time (kept working), ticks, Date, MinValue and MaxValue
		{`return new DateTimeOffset(new DateTime(2020, 1, 2)).ToUnixTimeSeconds() + " " + DateTimeOffset.FromUnixTimeMilliseconds(1700000000123).ToString("o") + " " + DateTimeOffset.FromUnixTimeSeconds(1700000000).ToUnixTimeMilliseconds();`,
			"1577923200 2023-11-14T22:13:20.1230000+00:00 1700000000000"},
		{`var d = new DateTimeOffset(2020, 1, 1, 1, 0, 0, TimeSpan.FromHours(2)); return TimeSpan.FromTicks(d.Ticks - d.UtcTicks).TotalHours + " " + d.Date.ToString("o") + " " + d.DayOfWeek + " " + d.TimeOfDay;`, "2 2020-01-01T00:00:00.0000000 Wednesday 01:00:00"},
		{`return DateTimeOffset.MinValue.ToString("o") + " " + DateTimeOffset.MaxValue.ToString("o") + " " + DateTimeOffset.UnixEpoch.ToUnixTimeSeconds();`, "0001-01-01T00:00:00.0000000+00:00 9999-12-31T23:59:59.9999999+00:00 0"},
		// TryParse, ParseExact
		{`DateTimeOffset d; var ok = DateTimeOffset.TryParse("2020-01-01T10:00:00-07:30", out d); DateTimeOffset e; var bad = DateTimeOffset.TryParse("nope", out e); return ok + " " + d.Offset + " " + bad + " " + e.ToString("o");`, "True -07:30:00 False 0001-01-01T00:00:00.0000000+00:00"},
		{`return DateTimeOffset.ParseExact("2015-11-07T08:00:00-05:00", "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture).UtcDateTime + " " + DateTimeOffset.ParseExact("07/11/2015", "dd/MM/yyyy", null).Offset;`, "11/7/2015 1:00:00 PM 00:00:00"},
		// the implicit conversion from DateTime: assignment, argument, comparison, cast
		{`DateTimeOffset d = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc); object o = d; return o.ToString() + "|" + (o is DateTimeOffset) + (o is DateTime) + "|" + (d == new DateTime(2020, 1, 1)) + "|" + d.CompareTo(new DateTime(2021, 1, 1)) + "|" + ((DateTimeOffset)new DateTime(2020, 1, 1)).Offset;`,
			"1/1/2020 12:00:00 AM +00:00|TrueFalse|True|-1|00:00:00"},
		// boxed: string concatenation, interpolation, JSON
		{`var d = new DateTimeOffset(2020, 1, 1, 10, 0, 0, TimeSpan.FromHours(2)); object o = d; return "at " + o + $" {d:o} {o:yyyy}";`, "at 1/1/2020 10:00:00 AM +02:00 2020-01-01T10:00:00.0000000+02:00 2020"},
		{`var d = new DateTimeOffset(2020, 1, 1, 10, 0, 0, TimeSpan.FromHours(2)); var j = new JObject { { "d", d }, { "u", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc) }, { "l", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Local) }, { "n", new DateTime(2020, 1, 1, 0, 0, 0, 500) } }; return j.ToString(Newtonsoft.Json.Formatting.None) + " " + j["d"].Type + " " + (string)j["d"];`,
			`{"d":"2020-01-01T10:00:00+02:00","u":"2020-01-01T00:00:00Z","l":"2020-01-01T00:00:00+00:00","n":"2020-01-01T00:00:00.5"} Date 01/01/2020 10:00:00 +02:00`},
		{`var j = new JObject { { "d", new DateTimeOffset(2020, 1, 1, 10, 0, 0, TimeSpan.FromHours(2)) } }; return ((DateTimeOffset)j["d"]).Offset + " " + j["d"].Value<DateTimeOffset>().Hour + " " + ((DateTime)j["d"]).ToString("o");`, "02:00:00 10 2020-01-01T10:00:00.0000000"},
		// DateTimeOffset? and null
		{`DateTimeOffset? n = null; DateTimeOffset? m = DateTimeOffset.UnixEpoch; return (n == null) + " " + (n < m) + " " + m.HasValue + " " + m.Value.Year + " " + (n ?? m).Value.Year;`, "True False True 1970 1970"},
	})
	wantExceptions(t, front, []runCase{
		{`DateTimeOffset? d = null; return d.Offset.ToString();`, "Object reference not set to an instance of an object."},
		{`DateTimeOffset? d = null; return d.ToString("o");`, "Object reference not set to an instance of an object."},
		{`return new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromSeconds(30)).ToString();`, "ArgumentException: Offset must be specified in whole minutes. (Parameter 'offset')"},
		{`return new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(15)).ToString();`, "ArgumentOutOfRangeException: Offset must be within plus or minus 14 hours."},
		{`return new DateTimeOffset(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), TimeSpan.FromHours(1)).ToString();`, "ArgumentException: The UTC Offset for Utc DateTime instances must be 0."},
		{`return new DateTimeOffset(DateTime.MinValue, TimeSpan.FromHours(1)).ToString();`, "ArgumentOutOfRangeException: The UTC time represented when the offset is applied must be between year 0 and 10,000."},
		{`return DateTimeOffset.MaxValue.AddDays(1).ToString();`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime."},
		{`return DateTimeOffset.MinValue.ToOffset(TimeSpan.FromHours(-1)).ToString();`, "ArgumentOutOfRangeException"},
		{`return DateTimeOffset.Parse("2020-13-01").ToString();`, "FormatException"},
		{`object o = new DateTime(2020, 1, 1); return ((DateTimeOffset)o).ToString();`, "InvalidCastException: Unable to cast object of type 'System.DateTime' to type 'System.DateTimeOffset'."},
		{`return DateTime.SpecifyKind(DateTime.UtcNow, (DateTimeKind)3).ToString();`, "ArgumentException: Invalid DateTimeKind value."},
		{`return DateTime.ParseExact("2020", "yyyy", null, DateTimeStyles.AssumeLocal | DateTimeStyles.AssumeUniversal).ToString();`, "ArgumentException: The DateTimeStyles values AssumeLocal and AssumeUniversal cannot be used together."},
		{`return new DateTime(2021, 2, 29).ToString();`, "ArgumentOutOfRangeException: Year, Month, and Day parameters describe an un-representable DateTime."},
	})
}

// TestDateTimeOffsetConversions: where C# converts a DateTime to a
// DateTimeOffset implicitly (a conditional, a compound assignment, a
// nullable, a lambda's result, a collection) and where DateTimeOffsets
// meet LINQ and dictionaries.
func TestDateTimeOffsetConversions(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		{`var b = context.Request.Method == "GET"; var d = b ? new DateTime(2020, 1, 1) : DateTimeOffset.UnixEpoch; return d.ToString("o");`, "2020-01-01T00:00:00.0000000+00:00"},
		{`var d = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(1)); d += TimeSpan.FromMinutes(90); d -= TimeSpan.FromMinutes(30); return d.ToString("o");`, "2020-01-01T01:00:00.0000000+01:00"},
		{`DateTime? n = null; DateTimeOffset? a = n; DateTime? m = new DateTime(2020, 1, 1); DateTimeOffset? b = m; return (a == null) + " " + b.Value.ToString("o") + " " + ((DateTimeOffset?)n).HasValue;`, "True 2020-01-01T00:00:00.0000000+00:00 False"},
		{`var l = new List<DateTimeOffset> { new DateTime(2020, 1, 2), DateTimeOffset.Parse("2020-01-01T23:00:00-02:00") }; return l.Max().ToString("o") + " " + l.OrderBy(x => x).First().Day + " " + l.Select(x => x.Offset.TotalHours).Sum();`,
			"2020-01-01T23:00:00.0000000-02:00 2 -2"},
		{`var a = DateTimeOffset.Parse("2020-01-01T10:00:00+02:00"); var b = DateTimeOffset.Parse("2020-01-01T08:00:00Z"); return new[] { a, b }.Distinct().Count() + " " + new HashSet<DateTimeOffset> { a }.Contains(b) + " " + new List<object> { a }.Contains(b) + " " + new List<object> { a }.Contains(b.UtcDateTime);`, "1 True True False"},
		{`DateTimeOffset F(int y) => new DateTime(y, 1, 1); return F(2021).ToString("o");`, "2021-01-01T00:00:00.0000000+00:00"},
		{`var s = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)); return string.Format("{0} {0:yyyy-MM-dd HH:mm zzz} {1:o}", s, DateTime.SpecifyKind(new DateTime(2020, 1, 1), DateTimeKind.Utc));`, "1/1/2020 12:00:00 AM +02:00 2020-01-01 00:00 +02:00 2020-01-01T00:00:00.0000000Z"},
		{`var t = TimeZoneInfo.ConvertTime(new DateTimeOffset(2024, 7, 1, 12, 0, 0, TimeSpan.Zero), TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time")); return t.ToString("o") + " " + TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero), "Eastern Standard Time").Offset;`,
			"2024-07-01T14:00:00.0000000+02:00 -05:00:00"},
	})
}

// TestTimeZoneKinds: TimeZoneInfo reads a DateTime by its kind, as .NET's
// documentation of GetUtcOffset and IsDaylightSavingTime says: a Utc (or
// Local, the local zone being UTC) time is an instant, an Unspecified one
// (such as ConvertTimeFromUtc gives) the zone's wall clock, standard time
// when it is ambiguous, the standard offset when it is invalid. Converted
// times have .NET's kinds: Utc for TimeZoneInfo.Utc, Local for
// TimeZoneInfo.Local, Unspecified for any other zone.
func TestTimeZoneKinds(t *testing.T) {
	front := fuzzFront(t)
	const berlin = `var z = TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time"); `
	wantResults(t, front, []runCase{
		// 2024-03-31 01:30: before the change as Berlin's wall clock, after it as UTC
		{berlin + `return z.GetUtcOffset(new DateTime(2024, 3, 31, 1, 30, 0)) + " " + z.GetUtcOffset(new DateTime(2024, 3, 31, 1, 30, 0, DateTimeKind.Utc)) + " " + z.IsDaylightSavingTime(new DateTime(2024, 3, 31, 1, 30, 0)) + " " + z.IsDaylightSavingTime(new DateTime(2024, 3, 31, 1, 30, 0, DateTimeKind.Utc));`,
			"01:00:00 02:00:00 False True"},
		// a repeated hour is standard time; a skipped one has the standard offset, no daylight time
		{berlin + `return z.GetUtcOffset(new DateTime(2024, 10, 27, 2, 30, 0)) + " " + z.IsDaylightSavingTime(new DateTime(2024, 10, 27, 2, 30, 0)) + " " + z.GetUtcOffset(new DateTime(2024, 3, 31, 2, 30, 0)) + " " + z.IsDaylightSavingTime(new DateTime(2024, 3, 31, 2, 30, 0));`,
			"01:00:00 False 01:00:00 False"},
		// the time ConvertTimeFromUtc gives is the zone's: its offset and daylight time are the zone's then
		{berlin + `var w = TimeZoneInfo.ConvertTimeFromUtc(new DateTime(2024, 3, 31, 0, 30, 0, DateTimeKind.Utc), z); return w.Kind + " " + w.ToString("HH:mm") + " " + z.GetUtcOffset(w) + " " + z.IsDaylightSavingTime(w) + " " + z.IsDaylightSavingTime(TimeZoneInfo.ConvertTimeFromUtc(new DateTime(2024, 3, 31, 1, 30, 0, DateTimeKind.Utc), z));`,
			"Unspecified 01:30 01:00:00 False True"},
		{`var u = new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Utc); return TimeZoneInfo.ConvertTimeFromUtc(u, TimeZoneInfo.Utc).Kind + " " + TimeZoneInfo.ConvertTime(u, TimeZoneInfo.Local).Kind + " " + TimeZoneInfo.ConvertTime(u, TimeZoneInfo.FindSystemTimeZoneById("UTC")).Kind + " " + TimeZoneInfo.ConvertTimeBySystemTimeZoneId(u, "Tokyo Standard Time").Kind + " " + TimeZoneInfo.ConvertTimeToUtc(new DateTime(2024, 7, 1)).Kind + " " + TimeZoneInfo.ConvertTime(u, TimeZoneInfo.Local).ToString("o");`,
			"Utc Local Utc Unspecified Utc 2024-07-01T12:00:00.0000000+00:00"},
		// IsAmbiguousTime of an instant: ambiguous where its wall clock is; IsInvalidTime never
		{berlin + `return z.IsAmbiguousTime(new DateTime(2024, 10, 27, 0, 30, 0, DateTimeKind.Utc)) + " " + z.IsAmbiguousTime(new DateTime(2024, 10, 27, 0, 30, 0)) + " " + z.IsInvalidTime(new DateTime(2024, 3, 31, 2, 30, 0, DateTimeKind.Utc)) + " " + z.IsInvalidTime(new DateTime(2024, 3, 31, 2, 30, 0));`,
			"True False False True"},
		{`return TimeZone.CurrentTimeZone.ToLocalTime(DateTime.UtcNow).Kind + " " + TimeZone.CurrentTimeZone.ToUniversalTime(DateTime.Now).Kind;`, "Local Utc"},
	})
	wantExceptions(t, front, []runCase{
		// a Utc time given as another zone's
		{berlin + `return TimeZoneInfo.ConvertTime(new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Utc), z, TimeZoneInfo.Utc).ToString();`,
			"ArgumentException: The conversion could not be completed because the supplied DateTime did not have the Kind property set correctly."},
		{berlin + `return TimeZoneInfo.ConvertTimeToUtc(DateTime.Now, z).ToString();`, "ArgumentException: The conversion could not be completed"},
	})
}

// TestDateTimeOffsetAndObjects: == between a DateTimeOffset and an object
// compares values (tollgate's rule for object == value), never failing on
// an object of another type.
func TestDateTimeOffsetAndObjects(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		{`var d = DateTimeOffset.Parse("2020-01-01T10:00:00+02:00"); object s = "x"; object e = DateTimeOffset.Parse("2020-01-01T08:00:00Z"); object n = null; return (s == d) + " " + (e == d) + " " + (d != e) + " " + (n == d) + " " + (d == null);`, "False True False False False"},
		{`DateTimeOffset? n = null; object o = null; return (n == o) + " " + (o != n);`, "True False"},
	})
}
