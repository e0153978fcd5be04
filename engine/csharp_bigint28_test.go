package engine

import (
	"strings"
	"testing"
)

// TestCSharpJSONBigInteger: a JSON integer past long's range stays an
// Integer token written back digit for digit, as Json.NET's JsonTextReader
// reads it (a BigInteger), where it was a Float (1.2345678901234567E+19)
// that rewrote the client's data (survey28 A3). Its conversions are
// BigInteger's (JToken.cs): (long) and (int) an OverflowException, (ulong)
// where it fits, (double) the nearest double, (decimal) exact up to
// decimal's range, (string) the digits; Value<T>() is Convert.ChangeType's
// InvalidCastException (BigInteger is no IConvertible).
func TestCSharpJSONBigInteger(t *testing.T) {
	const b = `JObject.Parse("{\"n\":12345678901234567890}")`
	set := func(s *State) {
		s.ctx.Request.Body = NewBody([]byte(`{"ipaSeq":12345678901234567890,"list":[{"id":-98765432109876543210}],"small":5}`))
	}
	for _, tc := range []struct{ src, want string }{
		// survey28's proposed lines
		{b + `.ToString(Newtonsoft.Json.Formatting.None)`, `{"n":12345678901234567890}`},
		{b + `["n"].Type.ToString()`, "Integer"},
		{`JObject.Parse("{\"n\":-12345678901234567890}")["n"].ToString()`, "-12345678901234567890"},
		// a body passed through (040's selfcare list)
		{`context.Request.Body.As<JObject>(true).ToString(Newtonsoft.Json.Formatting.None)`, `{"ipaSeq":12345678901234567890,"list":[{"id":-98765432109876543210}],"small":5}`},
		{`JsonConvert.SerializeObject(context.Request.Body.As<JObject>(true)["list"])`, `[{"id":-98765432109876543210}]`},
		{`JArray.Parse("[18446744073709551616]").ToString()`, "[\n  18446744073709551616\n]"},
		// conversions
		{`(string)` + b + `["n"]`, "12345678901234567890"},
		{`((ulong)` + b + `["n"]).ToString()`, "12345678901234567890"},
		{`((double)` + b + `["n"]).ToString()`, "1.2345678901234567E+19"},
		{`((decimal)` + b + `["n"] + 1m).ToString()`, "12345678901234567891"},
		{b + `["n"].ToObject<string>()`, "12345678901234567890"},
		{`"id=" + ` + b + `["n"]`, "id=12345678901234567890"},
		{`$"{` + b + `["n"]}"`, "12345678901234567890"},
		{`((JValue)` + b + `["n"]).Value.ToString()`, "12345678901234567890"},
		{`(((JValue)` + b + `["n"]).Value is long).ToString()`, "False"},
		{`(` + b + `["n"].Type == JTokenType.Integer).ToString()`, "True"},
		// equality: by value, as JValue compares a BigInteger
		{`JToken.DeepEquals(` + b + `, JObject.Parse("{ \"n\" : 12345678901234567890 }")).ToString()`, "True"},
		{`JToken.DeepEquals(` + b + `["n"], JToken.Parse("12345678901234567891")).ToString()`, "False"},
		{`JToken.DeepEquals(` + b + `["n"], new JValue(1.2345678901234567E+19)).ToString()`, "False"},
		{`JToken.DeepEquals(JToken.Parse("9223372036854775808"), new JValue(9223372036854775808.0)).ToString()`, "True"},
		// ordering: by value among the other numbers
		{`JArray.Parse("[12345678901234567890, 5, -12345678901234567890, 1e30]").OrderBy(t => t).Select(t => t.ToString()).Aggregate((x, y) => x + " " + y)`, "-12345678901234567890 5 12345678901234567890 1E+30"},
		// a JSONPath filter compares it as a number (its nearest double)
		{`JArray.Parse("[{\"n\":12345678901234567890},{\"n\":5}]").SelectTokens("$[?(@.n > 10)]").Single()["n"].ToString()`, "12345678901234567890"},
		// a long's own edges stay longs
		{`((long)JToken.Parse("9223372036854775807")).ToString()`, "9223372036854775807"},
		{`((long)JToken.Parse("-9223372036854775808")).ToString()`, "-9223372036854775808"},
		// a fraction or an exponent is a Float, as in Json.NET
		{`JToken.Parse("12345678901234567890.0").Type.ToString()`, "Float"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, set) })
	}
	for _, tc := range []struct{ src, exc, want string }{
		{`(long)` + b + `["n"]`, "OverflowException", "Value was either too large or too small for an Int64."},
		{`(int)` + b + `["n"]`, "OverflowException", "Value was either too large or too small for an Int32."},
		{`(long?)` + b + `["n"]`, "OverflowException", "Value was either too large or too small for an Int64."},
		{`(ulong)JToken.Parse("-12345678901234567890")`, "OverflowException", "Value was either too large or too small for a UInt64."},
		{`(bool)` + b + `["n"]`, "OverflowException", "Value was either too large or too small for an Int32."},
		{`(decimal)JToken.Parse("` + strings.Repeat("9", 30) + `")`, "OverflowException", "Value was either too large or too small for a Decimal."},
		{b + `["n"].ToObject<long>()`, "OverflowException", "Value was either too large or too small for an Int64."},
		{b + `["n"].Value<long>()`, "InvalidCastException", "Object must implement IConvertible."},
		{b + `["n"].Value<string>()`, "InvalidCastException", "Object must implement IConvertible."},
		{b + `.Value<double>("n")`, "InvalidCastException", "Object must implement IConvertible."},
		{`(DateTime)` + b + `["n"]`, "ArgumentException", "Can not convert Integer to DateTime."},
		{`JToken.Parse("` + strings.Repeat("1", 381) + `")`, "JsonReaderException", "JSON integer " + strings.Repeat("1", 381) + " is too large to parse."},
	} {
		csBothBlocks(t, `try { var v = `+tc.src+`; return "no exception"; } catch (`+tc.exc+` e) { return e.Message; }`, tc.want, nil)
		if _, err, _ := csRun(t, "@(("+tc.src+").ToString())", nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
