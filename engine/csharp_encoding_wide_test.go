package engine

import "testing"

// Encoding.UTF32 and Encoding.BigEndianUnicode, which APIM's table of
// allowed types lists.
func TestCSharpEncodingWide(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`BitConverter.ToString(Encoding.UTF32.GetBytes("A€"))`, "41-00-00-00-AC-20-00-00"},
		{`BitConverter.ToString(Encoding.UTF32.GetBytes("\U0001F600"))`, "00-F6-01-00"},
		{`BitConverter.ToString(Encoding.BigEndianUnicode.GetBytes("A€\U0001F600"))`, "00-41-20-AC-D8-3D-DE-00"},
		{`Encoding.UTF32.GetString(Encoding.UTF32.GetBytes("héllo \U0001F600")) + "|" + Encoding.BigEndianUnicode.GetString(Encoding.BigEndianUnicode.GetBytes("héllo \U0001F600"))`, "héllo \U0001F600|héllo \U0001F600"},
		{`Encoding.UTF32.GetString(new byte[] { 65, 0, 0, 0, 0, 0, 17, 0, 66 }) + "|" + Encoding.BigEndianUnicode.GetString(new byte[] { 0, 65, 66 })`, "A\uFFFD\uFFFD|A\uFFFD"},
		{`Encoding.UTF32.GetByteCount("ab") + " " + Encoding.BigEndianUnicode.GetByteCount("\U0001F600") + " " + Encoding.UTF32.GetString(Encoding.UTF32.GetBytes("abc"), 4, 4)`, "8 4 b"},
		// ASCIIEncoding's class example: characters outside ASCII become '?',
		// in GetBytes and in GetString (a surrogate pair is one '?').
		{`Encoding.ASCII.GetString(Encoding.ASCII.GetBytes("This unicode string contains two characters with codes outside the ASCII code range, Pi (\u03a0) and Sigma (\u03a3)."))`,
			"This unicode string contains two characters with codes outside the ASCII code range, Pi (?) and Sigma (?)."},
		{`BitConverter.ToString(Encoding.ASCII.GetBytes("a\u00e9\U0001F600b")) + " " + Encoding.ASCII.GetByteCount("\u00e9t\u00e9")`, "61-3F-3F-62 3"},
		{`Encoding.ASCII.GetString(new byte[] { 72, 0xC3, 0xA9, 105 })`, "H??i"},
		// A trailing odd byte is U+FFFD in UTF-16 either way round.
		{`Encoding.Unicode.GetString(new byte[] { 65, 0, 66 }) + "|" + Encoding.BigEndianUnicode.GetString(new byte[] { 0, 65, 66 })`, "A\uFFFD|A\uFFFD"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
}
