package engine

import (
	"strings"
	"testing"
)

// TimeZoneInfo and TimeZone, which APIM's expressions allow: zones by
// their Windows ID (as .NET Framework on Windows, APIM's, takes them) or
// IANA name, conversions across daylight time, and .NET's answers for a
// skipped or repeated hour. A converted time is the zone's wall clock.
func TestCSharpTimeZoneInfo(t *testing.T) {
	const (
		summer = `new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Utc)`
		winter = `new DateTime(2024, 1, 15, 12, 0, 0, DateTimeKind.Utc)`
	)
	for _, tc := range []struct{ name, text, want string }{
		{"summer in Berlin", `TimeZoneInfo.ConvertTimeBySystemTimeZoneId(` + summer + `, "W. Europe Standard Time").ToString("yyyy-MM-dd HH:mm")`, "2024-07-01 14:00"},
		{"winter in Berlin", `TimeZoneInfo.ConvertTimeFromUtc(` + winter + `, TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time")).Hour`, "13"},
		{"New York", `TimeZoneInfo.ConvertTimeBySystemTimeZoneId(` + winter + `, "Eastern Standard Time").Hour + "/" + TimeZoneInfo.ConvertTimeBySystemTimeZoneId(` + summer + `, "Eastern Standard Time").Hour`, "7/8"},
		{"India's half hour", `TimeZoneInfo.ConvertTime(` + summer + `, TimeZoneInfo.FindSystemTimeZoneById("India Standard Time")).ToString("HH:mm")`, "17:30"},
		{"an IANA name", `TimeZoneInfo.ConvertTimeBySystemTimeZoneId(` + summer + `, "Europe/Berlin").Hour`, "14"},
		{"a day boundary", `TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTime(2024, 7, 1, 23, 30, 0), "Tokyo Standard Time").DayOfWeek`, "Tuesday"},
		{"from a zone to another", `TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTime(2024, 7, 1, 9, 0, 0), "Pacific Standard Time", "W. Europe Standard Time").ToString("HH:mm")`, "18:00"},
		{"to UTC", `TimeZoneInfo.ConvertTimeToUtc(new DateTime(2024, 1, 15, 13, 0, 0), TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time")).Hour`, "12"},
		{"the repeated hour is standard time", `TimeZoneInfo.ConvertTimeToUtc(new DateTime(2024, 10, 27, 2, 30, 0), TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time")).ToString("HH:mm")`, "01:30"},
		{"ambiguous and invalid", `TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").IsAmbiguousTime(new DateTime(2024, 10, 27, 2, 30, 0)) + " " + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").IsInvalidTime(new DateTime(2024, 3, 31, 2, 30, 0)) + " " + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").IsInvalidTime(new DateTime(2024, 3, 31, 3, 30, 0))`, "True True False"},
		{"offsets", `TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").BaseUtcOffset + " " + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").GetUtcOffset(` + summer + `) + " " + TimeZoneInfo.FindSystemTimeZoneById("Eastern Standard Time").BaseUtcOffset + " " + TimeZoneInfo.FindSystemTimeZoneById("India Standard Time").BaseUtcOffset`, "01:00:00 02:00:00 -05:00:00 05:30:00"},
		{"daylight time", `TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").IsDaylightSavingTime(` + summer + `) + " " + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").SupportsDaylightSavingTime + " " + TimeZoneInfo.FindSystemTimeZoneById("India Standard Time").SupportsDaylightSavingTime`, "True True False"},
		{"names", `TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").Id + "|" + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").StandardName + "|" + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").DaylightName + "|" + TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin").StandardName + "|" + TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time").DisplayName`,
			"W. Europe Standard Time|W. Europe Standard Time|W. Europe Daylight Time|W. Europe Standard Time|(UTC+01:00) W. Europe Standard Time"},
		{"UTC and Local", `TimeZoneInfo.Utc.Id + "|" + TimeZoneInfo.Local.StandardName + "|" + TimeZoneInfo.Utc + "|" + TimeZoneInfo.ConvertTimeFromUtc(` + summer + `, TimeZoneInfo.Utc).Hour + "|" + TimeZoneInfo.Utc.Equals(TimeZoneInfo.FindSystemTimeZoneById("UTC"))`,
			"UTC|Coordinated Universal Time|(UTC) Coordinated Universal Time|12|True"},
		{"the older TimeZone", `TimeZone.CurrentTimeZone.StandardName + "|" + TimeZone.CurrentTimeZone.GetUtcOffset(` + summer + `) + "|" + TimeZone.CurrentTimeZone.ToLocalTime(` + summer + `).Hour + "|" + TimeZone.CurrentTimeZone`,
			"Coordinated Universal Time|00:00:00|12|System.CurrentSystemTimeZone"},
		{"a converted time compares by its ticks", `TimeZoneInfo.ConvertTimeBySystemTimeZoneId(` + summer + `, "W. Europe Standard Time") > ` + summer, "true"},
		{"ToLocalTime: the gateway's zone is UTC, the kind Local", `DateTime.UtcNow.ToLocalTime().Kind == DateTimeKind.Local && new DateTime(2024, 1, 1, 5, 0, 0, DateTimeKind.Utc).ToLocalTime().Hour == 5`, "true"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	// the business-hours check APIM users write, as a statement body
	csBothBlocks(t, `var local = TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTime(2024, 7, 6, 8, 0, 0, DateTimeKind.Utc), "W. Europe Standard Time");
		bool open = local.DayOfWeek != DayOfWeek.Saturday && local.DayOfWeek != DayOfWeek.Sunday && local.Hour >= 9 && local.Hour < 17;
		TimeZoneInfo tz = TimeZoneInfo.FindSystemTimeZoneById("Eastern Standard Time");
		return open + " " + local.DayOfWeek + " " + tz.Id;`, "False Saturday Eastern Standard Time", nil)

	for _, tc := range []struct{ src, want string }{
		{`@(TimeZoneInfo.FindSystemTimeZoneById("Mars Standard Time").Id)`, "The time zone ID 'Mars Standard Time' was not found on the local computer."},
		{`@(TimeZoneInfo.FindSystemTimeZoneById("../../etc/passwd").Id)`, "was not found on the local computer."},
		{`@(TimeZoneInfo.FindSystemTimeZoneById("Local").Id)`, "was not found on the local computer."},
		{`@(TimeZoneInfo.FindSystemTimeZoneById("EST").Id)`, "was not found on the local computer."},
		{`@(TimeZoneInfo.FindSystemTimeZoneById(null).Id)`, "Value cannot be null"},
		{`@(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, null).Hour)`, "Value cannot be null"},
		{`@(TimeZoneInfo.ConvertTimeToUtc(new DateTime(2024, 3, 31, 2, 30, 0), TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time")).Hour)`, "The supplied DateTime represents an invalid time."},
		{`@{ try { return TimeZoneInfo.FindSystemTimeZoneById("x/y").Id; } catch (TimeZoneNotFoundException e) { throw new Exception("caught: " + e.Message); } }`, "caught: The time zone ID 'x/y'"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, "W. Europe Standard Time").Hour)`, "cannot convert from 'string' to 'TimeZoneInfo'"},
		{`@(TimeZoneInfo.FindSystemTimeZoneById("UTC").Offset)`, "'TimeZoneInfo' does not contain a definition for 'Offset'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
