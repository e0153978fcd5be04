package engine

import (
	"strings"
	"testing"
)

// TryParseExact and TryParse with a provider and styles: true and the value
// where ParseExact / Parse with the same arguments returns it, false and
// default(T) where the text is refused; an argument .NET refuses (invalid
// styles) and a format tollgate cannot read still throw.
func TestCSharpTryParseExact(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// Microsoft's DateTime.TryParseExact example, its lines with the
		// "g" pattern and an en-US provider (tollgate: culture-invariant).
		{`string dateString = "5/01/2009 8:30 AM"; DateTime dateValue;
		  if (DateTime.TryParseExact(dateString, "g", CultureInfo.InvariantCulture, DateTimeStyles.None, out dateValue))
		      return $"Converted '{dateString}' to {dateValue} ({dateValue.Kind}).";
		  return $"'{dateString}' is not in an acceptable format.";`, "Converted '5/01/2009 8:30 AM' to 5/1/2009 8:30:00 AM (Unspecified)."},
		{`string dateString = "05/01/2009 09:00"; DateTime dateValue;
		  if (DateTime.TryParseExact(dateString, "g", CultureInfo.InvariantCulture, DateTimeStyles.None, out dateValue))
		      return $"Converted '{dateString}' to {dateValue} ({dateValue.Kind}).";
		  return $"'{dateString}' is not in an acceptable format.";`, "'05/01/2009 09:00' is not in an acceptable format."},
		{`return DateTime.TryParseExact("2024-01-02", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) + " " + d.ToString("o");`,
			"True 2024-01-02T00:00:00.0000000"},
		{`return DateTime.TryParseExact("2024-13-02", "yyyy-MM-dd", null, DateTimeStyles.None, out DateTime d) + " " + (d == DateTime.MinValue);`, "False True"},
		{`string s = null; return DateTime.TryParseExact(s, "yyyy-MM-dd", null, DateTimeStyles.None, out var d) + "";`, "False"},
		{`return DateTime.TryParseExact("2024-01-02T03:04:05Z", "yyyy-MM-ddTHH:mm:ssK", null, DateTimeStyles.AdjustToUniversal, out var d) + " " + d.Kind + " " + d.Hour;`,
			"True Utc 3"},
		{`return DateTimeOffset.TryParseExact("2024-01-02T03:04:05+02:00", "yyyy-MM-ddTHH:mm:sszzz", null, DateTimeStyles.None, out var d) + " " + d.Offset.TotalHours;`,
			"True 2"},
		{`return DateTime.TryParse("2024-01-02T03:04:05Z", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var d) + " " + d.Kind + " " + d.ToString("s");`,
			"True Utc 2024-01-02T03:04:05"},
		{`return DateTime.TryParse("not a date", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) + "";`, "False"},
	} {
		got, err, _ := csRun(t, "@{"+tc.src+"}", nil)
		if err != nil || got != tc.want {
			t.Errorf("%s\n= %v, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		// .NET throws for styles it refuses, in TryParseExact too
		{`@(DateTime.TryParseExact("2024", "yyyy", null, DateTimeStyles.AssumeLocal | DateTimeStyles.AssumeUniversal, out var d))`, "cannot be used together"},
		// a format tollgate cannot read is said, not answered false
		{`@(DateTime.TryParseExact("2024 Jan", "yyyy 'Jan'", null, DateTimeStyles.None, out var d))`, "is not supported by DateTime.ParseExact"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
	// Load errors: the overload must exist.
	for _, tc := range []struct{ src, msg string }{
		{`@(DateTime.TryParseExact("2024", out var d))`, "no overload for method 'TryParseExact' takes 1 arguments"},
		{`@(int.TryParseExact("1", "x", null, 0, out var n))`, "no overload for method 'TryParseExact'"},
		{`@(DateTime.TryParseExact("2024", "yyyy", null, DateTimeStyles.None, d))`, "must be passed with the 'out' keyword"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}
