package engine

import (
	"strings"
	"testing"
)

// DateTime's members in APIM's allowed list that were missing (AddTicks,
// DaysInMonth, IsLeapYear, TimeOfDay, IsDaylightSavingTime) and TimeSpan's
// ticks, sign and comparison, with .NET's results.
func TestCSharpDateTimeAllowedMembers(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`new DateTime(2024, 1, 1).AddTicks(15).Ticks - new DateTime(2024, 1, 1).Ticks`, "15"},
		{`DateTime.DaysInMonth(2024, 2) + DateTime.DaysInMonth(2023, 2) + DateTime.DaysInMonth(2024, 12)`, "88"},
		{`DateTime.IsLeapYear(2024) + " " + DateTime.IsLeapYear(1900) + " " + DateTime.IsLeapYear(2000)`, "True False True"},
		{`new DateTime(2024, 3, 4, 5, 6, 7).TimeOfDay.ToString()`, "05:06:07"},
		{`new DateTime(2024, 3, 4, 5, 6, 7).TimeOfDay.TotalSeconds`, "18367"},
		{`DateTime.UtcNow.IsDaylightSavingTime()`, "false"},
		{`TimeSpan.FromTicks(10000000).TotalSeconds + " " + TimeSpan.FromSeconds(2).Ticks`, "1 20000000"},
		{`TimeSpan.FromMinutes(-90).Duration().ToString() + " " + TimeSpan.FromMinutes(90).Negate().ToString()`, "01:30:00 -01:30:00"},
		{`TimeSpan.Compare(TimeSpan.Zero, TimeSpan.FromSeconds(1)) + TimeSpan.FromSeconds(2).CompareTo(TimeSpan.FromSeconds(1)) * 10`, "9"},
		{`new DateTime(2024, 1, 2).CompareTo(new DateTime(2024, 1, 1))`, "1"},
	} {
		csBothPaths(t, tc.text, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		{`@(DateTime.DaysInMonth(2024, 13))`, "Month must be between one and twelve."},
		{`@(DateTime.IsLeapYear(0))`, "Year must be between 1 and 9999."},
		{`@(DateTime.MaxValue.AddTicks(1))`, "un-representable"},
		{`@(TimeSpan.FromTicks(9223372036854775806).Ticks)`, "TimeSpan overflowed"}, // past ±292 years but for MaxValue itself (tollgate's limit)
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
