package engine

import (
	"strings"
	"testing"
)

// string.CompareOrdinal, CompareTo on int, bool and Guid, char.IsSymbol,
// Encoding.GetByteCount and GetString(bytes, index, count),
// WebUtility.HtmlDecode, which APIM's table of allowed types lists.
func TestCSharpAllowedSmall(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`string.CompareOrdinal("abc", "ABC") + " " + string.CompareOrdinal("a", "c") + " " + string.CompareOrdinal("ab", "abcd") + " " + string.CompareOrdinal("x", "x")`, "32 -2 -2 0"},
		{`string.CompareOrdinal(null, "a") + " " + string.CompareOrdinal("a", null) + " " + string.CompareOrdinal(null, null)`, "-1 1 0"},
		{`string.CompareOrdinal("\uFF21", "\U0001F600") > 0`, "true"}, // UTF-16 units: U+FF21 is past the surrogate 0xD83D
		{`1.CompareTo(2) + " " + 5.CompareTo(5) + " " + 9.CompareTo(-9) + " " + 3L.CompareTo(2L)`, "-1 0 1 1"},
		{`true.CompareTo(false) + " " + false.CompareTo(true) + " " + true.CompareTo(true)`, "1 -1 0"},
		{`Guid.Parse("00000001-0000-0000-0000-000000000000").CompareTo(Guid.Parse("00000000-ffff-0000-0000-000000000000")) + " " + Guid.Empty.CompareTo(Guid.Empty) + " " + Guid.Parse("00000000-0000-0000-0000-000000000001").CompareTo(Guid.Parse("00000000-0000-0000-0001-000000000000"))`, "1 0 -1"},
		{`char.IsSymbol('+') + " " + char.IsSymbol('$') + " " + char.IsSymbol('^') + " " + char.IsSymbol('a') + " " + char.IsSymbol('!') + " " + char.IsSymbol('©')`, "True True True False False True"},
		{`Encoding.UTF8.GetByteCount("aé€") + " " + Encoding.Unicode.GetByteCount("aé") + " " + Encoding.UTF8.GetByteCount("")`, "6 4 0"},
		{`Encoding.UTF8.GetString(Encoding.UTF8.GetBytes("hello world"), 6, 5) + "|" + Encoding.UTF8.GetString(new byte[] { 65 }, 1, 0) + "|"`, "world||"},
		{`Encoding.Unicode.GetString(Encoding.Unicode.GetBytes("abc"), 2, 4)`, "bc"},
		// the policy is XML: its &amp; is the expression's &
		{xmlAmp(`WebUtility.HtmlDecode("&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; &quot;x&quot; &#39;y&#39; &#x41;&#66;")`), `<b>Tom & Jerry</b> "x" 'y' AB`},
		{xmlAmp(`WebUtility.HtmlDecode("a & b &amp c &nosuch; &#xFFFFFFF; &#-1; &; &&lt;") + "|" + (WebUtility.HtmlDecode(null) == null)`), "a & b &amp c &nosuch; &#xFFFFFFF; &#-1; &; &<|True"},
		{`WebUtility.HtmlDecode(WebUtility.HtmlEncode("<a href='x'>\"&\"</a>"))`, `<a href='x'>"&"</a>`},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(Encoding.UTF8.GetString(new byte[] { 1, 2 }, 1, 2))`, "Index and count must refer to a location within the buffer. (Parameter 'bytes')"},
		{`@(Encoding.UTF8.GetString(new byte[] { 1, 2 }, -1, 1))`, "Non-negative number required. (Parameter 'index')"},
		{`@(Encoding.UTF8.GetString(new byte[] { 1, 2 }, 0, -1))`, "Non-negative number required. (Parameter 'count')"},
		{`@(Encoding.UTF8.GetString(null, 0, 0))`, "Value cannot be null. (Parameter 'bytes')"},
		{`@(Encoding.UTF8.GetByteCount(null).ToString())`, "Value cannot be null. (Parameter 's')"},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}

func xmlAmp(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }
