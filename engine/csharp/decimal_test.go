package csharp

import (
	"strings"
	"testing"
)

// TestDecimalDocs: Microsoft's examples of System.Decimal (Decimal.Round,
// Math.Round with MidpointRounding, Decimal.Negate/Floor/Truncate, the
// * / % operators, Decimal.Divide, Decimal.Remainder, the explicit
// conversion from double, Decimal.ToString), with their printed output.
// Console.WriteLine becomes a list of lines joined with "|", a composite
// format's alignment is left out, new decimal(1230000000, 0, 0, true, 7)
// is written as its value -123.0000000m, and where an example's en-US
// currency symbol "$" is printed, the invariant culture's "¤" stands for
// it.
func TestDecimalDocs(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// Decimal.Round(Decimal) (Round1.cs): the loop variable keeps the
		// scale of .1m once added
		{`var o = new List<string>();
		  for (decimal value = 100m; value <= 102m; value += .1m) o.Add($"{value} --> {decimal.Round(value)}");
		  return string.Join("|", o);`,
			"100 --> 100|100.1 --> 100|100.2 --> 100|100.3 --> 100|100.4 --> 100|100.5 --> 100|100.6 --> 101|100.7 --> 101|" +
				"100.8 --> 101|100.9 --> 101|101.0 --> 101|101.1 --> 101|101.2 --> 101|101.3 --> 101|101.4 --> 101|101.5 --> 102|" +
				"101.6 --> 102|101.7 --> 102|101.8 --> 102|101.9 --> 102|102.0 --> 102"},
		// Decimal.Round(Decimal, Int32) (round.cs)
		{`string Show(decimal a, int d) { return a + " " + d + " " + decimal.Round(a, d); }
		  return string.Join("|", Show(1.45M, 1), Show(1.55M, 1), Show(123.456789M, 4), Show(123.456789M, 6), Show(123.456789M, 8),
		      Show(-123.456M, 0), Show(-123.0000000m, 3), Show(-123.0000000m, 11), Show(-9999999999.9999999999M, 9), Show(-9999999999.9999999999M, 10));`,
			"1.45 1 1.4|1.55 1 1.6|123.456789 4 123.4568|123.456789 6 123.456789|123.456789 8 123.456789|-123.456 0 -123|" +
				"-123.0000000 3 -123.000|-123.0000000 11 -123.0000000|-9999999999.9999999999 9 -10000000000.000000000|" +
				"-9999999999.9999999999 10 -9999999999.9999999999"},
		// Math.Round(Decimal, Int32, MidpointRounding) (MidpointRounding)
		{`return string.Join("|", Math.Round(3.45m, 1, MidpointRounding.ToEven), Math.Round(3.45m, 1, MidpointRounding.AwayFromZero),
		      Math.Round(3.47m, 1, MidpointRounding.ToZero), Math.Round(-3.45m, 1, MidpointRounding.ToEven),
		      Math.Round(-3.45m, 1, MidpointRounding.AwayFromZero), Math.Round(-3.47m, 1, MidpointRounding.ToZero));`,
			"3.4|3.5|3.4|-3.4|-3.5|-3.4"},
		// Decimal.Negate, Floor and Truncate (floor_neg_trunc.cs)
		{`string Show(decimal a) { return a + " " + decimal.Negate(a) + " " + decimal.Floor(a) + " " + decimal.Truncate(a); }
		  return string.Join("|", Show(0M), Show(123.456M), Show(-123.456M), Show(-123.0000000m), Show(-9999999999.9999999999M));`,
			"0 0 0 0|123.456 -123.456 123 123|-123.456 123.456 -124 -123|-123.0000000 123.0000000 -123 -123|" +
				"-9999999999.9999999999 9999999999.9999999999 -10000000000 -9999999999"},
		// the * / % operators (mul_div_rem_ops.cs): the example's printed
		// remainders "0" and "0.000000000983" are .NET Framework's (and
		// .NET Core 2.1's), which computed a % b through a rounded
		// quotient; .NET Core 3.0's remainder is exact, at the larger
		// scale: 0.0000000 and 0.0000000009832122 (the value the .NET
		// runtime's issue 1611 shows for netcoreapp3.1)
		{`string Show(decimal l, decimal r) { return l + " " + r + " " + (l * r) + " " + (l / r) + " " + (l % r); }
		  return string.Join("|", Show(1000M, 7M), Show(-1000M, 7M), Show(-(-123.0000000m), 0.0012300M),
		      Show(12345678900000000M, 0.0000000012345678M), Show(123456789.0123456789M, 123456789.1123456789M));`,
			"1000 7 7000 142.85714285714285714285714286 6|-1000 7 -7000 -142.85714285714285714285714286 -6|" +
				"123.0000000 0.0012300 0.15129000000000 100000 0.0000000|" +
				"12345678900000000 0.0000000012345678 15241577.6390794200000000 10000000729000059778004901.796 0.0000000009832122|" +
				"123456789.0123456789 123456789.1123456789 15241578765584515.651425087878 0.9999999991899999933660999449 123456789.0123456789"},
		// Decimal.Divide (Divide1.cs)
		{`decimal dividend = 1230.0m; decimal divisor = 22.1m; var o = new List<string>();
		  for (int ctr = 0; ctr <= 10; ctr++) { o.Add($"{dividend:N1} / {divisor:N1} = {decimal.Divide(dividend, divisor):N4}"); dividend += .1m; }
		  return string.Join("|", o);`,
			"1,230.0 / 22.1 = 55.6561|1,230.1 / 22.1 = 55.6606|1,230.2 / 22.1 = 55.6652|1,230.3 / 22.1 = 55.6697|1,230.4 / 22.1 = 55.6742|" +
				"1,230.5 / 22.1 = 55.6787|1,230.6 / 22.1 = 55.6833|1,230.7 / 22.1 = 55.6878|1,230.8 / 22.1 = 55.6923|1,230.9 / 22.1 = 55.6968|" +
				"1,231.0 / 22.1 = 55.7014"},
		// Decimal.Remainder (remainder.cs)
		{`decimal[] dividends = { 79m, 1000m, -1000m, 123m, 1234567800000m, 1234.0123m };
		  decimal[] divisors = { 11m, 7m, 7m, .00123m, 0.12345678m, 1234.5678m };
		  var o = new List<string>();
		  for (int ctr = 0; ctr < dividends.Length; ctr++) {
		      decimal dividend = dividends[ctr]; decimal divisor = divisors[ctr];
		      o.Add($"{dividend:N3} / {divisor:N3} = {decimal.Divide(dividend, divisor):N3} Remainder {decimal.Remainder(dividend, divisor):N3}");
		  }
		  return string.Join("|", o);`,
			"79.000 / 11.000 = 7.182 Remainder 2.000|1,000.000 / 7.000 = 142.857 Remainder 6.000|-1,000.000 / 7.000 = -142.857 Remainder -6.000|" +
				"123.000 / 0.001 = 100,000.000 Remainder 0.000|1,234,567,800,000.000 / 0.123 = 10,000,000,000,000.000 Remainder 0.000|" +
				"1,234.012 / 1,234.568 = 1.000 Remainder 1,234.012"},
		// the explicit conversion from double (cfromdouble.cs)
		{`string Conv(double a) { try { return ((decimal)a).ToString(); } catch (OverflowException) { return "OverflowException"; } }
		  return string.Join("|", Conv(1.234567890123E-30), Conv(1.2345678901234E-25), Conv(1.23456789012345E-20), Conv(1.234567890123456E-10),
		      Conv(1.2345678901234567), Conv(1.23456789012345678E+12), Conv(1.234567890123456789E+28), Conv(1.234567890123456789E+30));`,
			"0|0.0000000000000000000000001235|0.0000000000000000000123456789|0.000000000123456789012346|1.23456789012346|" +
				"1234567890123.46|12345678901234600000000000000|OverflowException"},
		// Decimal.ToString (ToString2.cs, tostring.cs)
		{`decimal value = -16325.62m;
		  return string.Join("|", value.ToString(), value.ToString("G"), value.ToString("C"), value.ToString("F"), value.ToString(CultureInfo.InvariantCulture));`,
			"-16325.62|-16325.62|(¤16,325.62)|-16325.62|-16325.62"},
		{`decimal value = 16325.62m;
		  return string.Join("|", value.ToString("G"), value.ToString("C"), value.ToString("E04"), value.ToString("F"), value.ToString("N"),
		      (value / 10000).ToString("P"), value.ToString("0,0.000"), (value * -1).ToString("#,#.00#;(#,#.00#)"),
		      value.ToString("G", CultureInfo.InvariantCulture), (value / 10000).ToString("P", CultureInfo.InvariantCulture));`,
			"16325.62|¤16,325.62|1.6326E+004|16325.62|16,325.62|163.26 %|16,325.620|(16,325.62)|16325.62|163.26 %"},
		{`decimal nineBillPlus = 9876543210.9876543210M; return nineBillPlus.ToString() + "|" + nineBillPlus.ToString("N") + "|" + nineBillPlus.ToString("N5");`,
			"9876543210.9876543210|9,876,543,210.99|9,876,543,210.98765"},
	})
}

// TestDecimal: C#'s decimal as .NET's System.Decimal: exact, its scale
// kept, banker's rounding past 28-29 digits, .NET's exceptions.
func TestDecimal(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// the differences a decimal held as a double had
		{`return (0.1m + 0.2m == 0.3m) + " " + 1.50m + " " + decimal.Round(2.345m, 2, MidpointRounding.ToEven) + " " + (1m / 3m) + " " + 2.5m.ToString("F0");`,
			"True 1.50 2.34 0.3333333333333333333333333333 3"},
		// the scale of + - * / %
		{`return (1.50m + 1m) + " " + (1.5m * 2m) + " " + (4.00m / 2m) + " " + (1m / 4m) + " " + (10m / 3m) + " " + (100m / 3m) + " " + (2m / 3m) + " " +
		      (5.5m % 2m) + " " + (-5.5m % 2m) + " " + (10m % 3.00m) + " " + (0.1m * 0.1m) + " " + (1.0m - 1.0m) + " " + (10m / 0.5m) + " " + (1m / 0.5m);`,
			"2.50 3.0 2.00 0.25 3.3333333333333333333333333333 33.333333333333333333333333333 0.6666666666666666666666666667 1.5 -1.5 1.00 0.01 0.0 20 2"},
		// past 28 places and 96 bits: rounded, a tie to even
		{`return (0.0000000000000001m * 0.0000000000000001m) + " " + (0.000000000000001m * 0.00000000000005m) + " " + (0.000000000000001m * 0.00000000000015m) + " " +
		      (0.00000000000001m * 0.00000000000005m) + " " + (decimal.MaxValue / 10m) + " " + (79228162514264337593543950335m - 0.5m) + " " +
		      (79228162514264337593543950334m + 0.5m) + " " + (1m / 81m) + " " + (3m % 5.00m) + " " + (2.0m % 2.00m) + " " + (-2.0m % 0.5m) + " " + (8.55m % 2.25m) + " " + (3242m % 0.00123m);`,
			"0.0000000000000000000000000000 0.0000000000000000000000000000 0.0000000000000000000000000002 0.0000000000000000000000000005 " +
				"7922816251426433759354395033.5 79228162514264337593543950334 79228162514264337593543950334 0.012345679012345679012345679 3 0.00 0.0 1.80 0.00044"},
		// literals: the scale written, an exponent, the range, past 28 places
		{`return 1.5e2m + " " + 1e-30m + " " + 79228162514264337593543950335m + " " + 0.00m + " " + 1M + " " + 1_000.000_1m + " " + -0.0m + " " + 0.12345678901234567890123456785m;`,
			"150 0.0000000000000000000000000000 79228162514264337593543950335 0.00 1 1000.0001 0.0 0.1234567890123456789012345678"},
		// the example of docs/expressions-csharp.md
		{`var lines = JObject.Parse("{\"lines\": [{\"price\": 19.99, \"qty\": 3}, {\"price\": 0.1, \"qty\": 7}]}")["lines"];
		  decimal total = 0;
		  foreach (var line in lines) { total += (decimal)line["price"] * (int)line["qty"]; }
		  return decimal.Round(total * 1.21m, 2, MidpointRounding.AwayFromZero).ToString("F2", CultureInfo.InvariantCulture);`,
			"73.41"},
		// int and long convert implicitly; compound assignment, ++, --
		{`decimal d = 5; d += 1; d++; d--; d++; decimal e = 10; e /= 4; e *= 2; e -= 1; e %= 3; long l = 3; decimal c = 'a'; return c + " " + d + " " + e + " " + (d + l) + " " + (d * 'a') + " " + (-d);`,
			"97 7 1.0 10 679 -7"},
		// comparisons and equality, with ints
		{`return (1.5m > 1) + " " + (2 == 2.0m) + " " + (1.5m < 1.49m) + " " + (1.50m == 1.5m) + " " + (1m != 1.0m) + " " + (3 >= 3.000m) + " " + (-0.0m == 0m);`,
			"True True False True False True True"},
		// casts: to and from int, long, double, float; (decimal)char
		{`return (int)2.9m + " " + (int)(-2.9m) + " " + (long)1e18m + " " + (double)1.5m + " " + (float)0.1m + " " + (decimal)0.1 + " " + (decimal)(1.0 / 3) + " " +
		      (decimal)(float)0.5 + " " + (decimal)'A' + " " + (char)65.9m + " " + (byte)255.9m + " " + (ulong)18446744073709551615m;`,
			"2 -2 1000000000000000000 1.5 0.1 0.1 0.333333333333333 0.5 65 A 255 18446744073709551615"},
		// ToString and its formats
		{`return 2.5m.ToString("F0") + " " + (-2.5m).ToString("F0") + " " + 1.5m.ToString("F3") + " " + 1234.5678m.ToString("N2") + " " + 0.125m.ToString("P1") + " " +
		      1234.5m.ToString("E2") + " " + 1.50m.ToString("G") + " " + 1.50m.ToString("G0") + " " + 12345.678m.ToString("G3") + " " + 1500m.ToString("G0") + " " +
		      0.00001m.ToString("G3") + " " + 0.00001m.ToString() + " " + 1.5m.ToString("e") + " " + 1000000m.ToString("C0") + " " + 0.00m.ToString("F1") + " " +
		      1.5m.ToString("0.000") + " " + 2.5m.ToString("0") + " " + 1.25m.ToString("0.0") + " " + 1.5m.ToString("F", CultureInfo.InvariantCulture);`,
			"3 -3 1.500 1,234.57 12.5 % 1.23E+003 1.50 1.5 1.23E+04 1500 1E-05 0.00001 1.500000e+000 ¤1,000,000 0.0 1.500 3 1.3 1.50"},
		// interpolation, concatenation, string.Format, string.Join
		{`decimal d = 1.50m; return $"{d} {d:F3} {d,6} {-0.0m}" + d + string.Concat(d, "x") + string.Format("{0:N1}|{0}", d) + string.Join(",", new[] { 1.0m, 2.50m });`,
			"1.50 1.500   1.50 0.01.501.50x1.5|1.501.0,2.50"},
		// Math's and decimal's statics
		{`return Math.Round(2.5m) + " " + Math.Round(3.5m) + " " + Math.Round(2.5m, MidpointRounding.AwayFromZero) + " " + Math.Round(1.5m, 3) + " " +
		      Math.Round(-2.55m, 1, MidpointRounding.ToNegativeInfinity) + " " + Math.Round(2.51m, 1, MidpointRounding.ToPositiveInfinity) + " " +
		      Math.Floor(-1.5m) + " " + Math.Ceiling(1.2m) + " " + Math.Truncate(-1.7m) + " " + Math.Abs(-1.50m) + " " + Math.Max(1.5m, 2) + " " + Math.Min(1.5m, 2) + " " +
		      Math.Sign(-0.5m) + " " + Math.Sign(0.0m) + " " + decimal.Add(1.1m, 2) + " " + decimal.Subtract(1m, 0.10m) + " " + decimal.Multiply(1.5m, 1.5m) + " " +
		      decimal.Compare(1m, 2m) + " " + decimal.Equals(1m, 1.00m) + " " + decimal.ToDouble(0.1m) + " " + decimal.ToInt32(-7.9m) + " " + decimal.ToInt64(1e15m) + " " + decimal.Ceiling(-0.5m);`,
			"2 4 3 1.5 -2.6 2.6 -2 2 -1 1.50 2 1.5 -1 0 3.1 0.90 2.25 -1 True 0.1 -7 1000000000000000 0"},
		{`return decimal.MaxValue + " " + decimal.MinValue + " " + decimal.Zero + " " + decimal.One + " " + decimal.MinusOne + " " + (decimal.One / 8);`,
			"79228162514264337593543950335 -79228162514264337593543950335 0 1 -1 0.125"},
		// Parse, TryParse, Convert
		{`decimal d; return decimal.Parse("1.50") + " " + decimal.Parse("0.00") + " " + decimal.Parse("-0.0") + " " + decimal.Parse(" 1,234.5 ") + " " +
		      decimal.Parse("1.5e3", NumberStyles.Float) + " " + decimal.Parse("0.00000000000000000000000000015") + " " + decimal.Parse("0.00000000000000000000000000025") + " " +
		      decimal.Parse("1.000000000000000000000000000000001") + " " + decimal.TryParse("x", out d) + d + " " + decimal.TryParse("2.50", NumberStyles.Number, CultureInfo.InvariantCulture, out d) + d + " " +
		      Convert.ToDecimal("12.30") + " " + Convert.ToDecimal(1.1) + " " + Convert.ToDecimal(7) + " " + Convert.ToDecimal(true) + " " + Convert.ToDecimal((string)null) + " " +
		      Convert.ToInt32(2.5m) + " " + Convert.ToInt32(3.5m) + " " + Convert.ToInt64(-2.5m) + " " + Convert.ToDouble(1.25m) + " " + Convert.ToString(1.50m);`,
			"1.50 0.00 0.0 1234.5 1500 0.0000000000000000000000000002 0.0000000000000000000000000002 1.0000000000000000000000000000 False0 True2.50 " +
				"12.30 1.1 7 1 0 2 4 -2 1.25 1.50"},
		// Equals, CompareTo, GetHashCode; object
		{`JToken t = 1.5m; object o = 1.5m; return (t is decimal) + " " + 1.5m.Equals(1.50m) + " " + 1.5m.CompareTo(2m) + " " + 2m.CompareTo(2) + " " + (1.5m.GetHashCode() == 1.50m.GetHashCode()) + " " + 1m.Equals(1) + " " +
		      1m.Equals((object)1) + " " + 1m.Equals(o) + " " + o.Equals(1.50m) + " " + (o is decimal) + " " + ((decimal)o + 1) + " " + o + " " + 0m.GetHashCode();`,
			"False True -1 0 True True False False True True 2.5 1.5 0"},
		// nullable decimals
		{`decimal? n = null; decimal? a = 1.5m; return (n + 1m == null) + " " + (a ?? 0m) + " " + a.Value + " " + a.HasValue + " " + (n ?? 2) + " " + n.GetValueOrDefault() + " " + (a > 1) + " " + (n < 1) + " " + (-n == null);`,
			"True 1.5 1.5 True 2 0 True False True"},
		// LINQ
		{`var xs = new List<decimal> { 1.5m, 2.25m, 3m }; decimal[] b = { 3, 4 }; var a = new[] { 1.5m, 2 };
		  var ns = new List<decimal?> { null, 1.5m }; var none = new List<decimal?> { null };
		  return xs.Sum() + " " + xs.Average() + " " + xs.Max() + " " + xs.Min() + " " + xs.Select(x => x * 2).Sum() + " " + xs.Sum(x => x / 3) + " " + b.Sum() + " " +
		      a[1] + " " + new List<decimal>().Sum() + " " + xs.OrderByDescending(x => x).First() + " " + new[] { 1.5m, 1.50m, 2m }.Distinct().Count() + " " +
		      new[] { 1, 2 }.Average(x => (decimal)x) + " " + ns.Sum() + " " + none.Average() + " " + xs.Contains(3.0m);`,
			"6.75 2.25 3 1.5 13.50 2.25 7 2 0 3 2 1.5 1.5  True"},
		// an int stored where a decimal is expected is a decimal (Json.NET writes 1.0)
		{`var l = new List<decimal> { 1, 2 }; l.Add(5); decimal[] a = { 3 }; var b = new[] { 1.5m, 2 }; decimal[] c = { 0, 0.0m }; c[0] = 7;
		  var d = new Dictionary<string, decimal>(); d["x"] = 1; d.Add("y", 'a'); d.TryAdd("z", 2.5m); decimal? n = 5; decimal m = true ? 1 : 2.5m;
		  return JsonConvert.SerializeObject(l) + JsonConvert.SerializeObject(a) + JsonConvert.SerializeObject(b) + JsonConvert.SerializeObject(c) +
		      JsonConvert.SerializeObject(d) + JsonConvert.SerializeObject(new { n, m, q = decimal.Add(1, 2), r = Math.Max(1m, 2) });`,
			`[1.0,2.0,5.0][3.0][1.5,2.0][7.0,0.0]{"x":1.0,"y":97.0,"z":2.5}{"n":5.0,"m":1.0,"q":3.0,"r":2.0}`},
		// conditional, switch, default
		{`decimal d = 1.5m; string s; switch (d) { case 1.50m: s = "a"; break; default: s = "b"; break; } return s + " " + (true ? 1.5m : 0) + " " + (false ? 1.5m : 0) + " " + default(decimal);`,
			"a 1.5 0 0"},
		// JSON: Json.NET's conversions and writing
		{`var j = JObject.Parse("{\"a\": 1.50, \"b\": 2, \"c\": \"3.25\", \"d\": true}");
		  return j["a"].Value<decimal>() + " " + (decimal)j["b"] + " " + j.Value<decimal>("c") + " " + (decimal)j["a"] + " " + (decimal)j["d"] + " " + j["b"].ToObject<decimal>() + " " +
		      string.Join(",", JArray.Parse("[1, 2.5]").Values<decimal>()) + " " + (decimal?)j["x"];`,
			"1.5 2 3.25 1.5 1 2 1,2.5 "},
		{`var o = new JObject(); o["p"] = 1.50m; o["q"] = 3m; o.Add("r", new JValue(2.0m));
		  return new JValue(1.50m).ToString() + " " + JsonConvert.SerializeObject(1.5m) + " " + JsonConvert.SerializeObject(1m) + " " + JsonConvert.SerializeObject(1.50m) + " " +
		      o.ToString(Formatting.None) + " " + o["p"].Type + " " + (o["p"].Value<decimal>() + 1) + " " + JsonConvert.SerializeObject(new { a = 1.50m, b = new[] { 2m } }) + " " +
		      JToken.FromObject(1.50m) + " " + ((JToken)1.50m).Type + " " + JsonConvert.DeserializeObject<decimal>("1.50") + " " + JsonConvert.DeserializeObject<decimal>(" \"2.5\" ");`,
			`1.50 1.5 1.0 1.50 {"p":1.50,"q":3.0,"r":2.0} Float 2.50 {"a":1.50,"b":[2.0]} 1.50 Float 1.50 2.5`},
		// JToken.DeepEquals compares a decimal with another number as decimals
		{`return JToken.DeepEquals(new JValue(1.5m), JToken.Parse("1.5")) + " " + JToken.DeepEquals(JToken.Parse("2"), new JValue(2.00m)) + " " +
		      JToken.DeepEquals(new JValue(1.5m), new JValue("1.5")) + " " + JToken.DeepEquals(new JValue(0.1m), JToken.Parse("0.1000000000000001"));`,
			"True True False True"}, // the double 0.1000000000000001 is 0.1 as a decimal (15 digits)
	})
	wantExceptions(t, front, []runCase{
		{`return (decimal.MaxValue + 1m).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return (decimal.MinValue - 1).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return (decimal.MaxValue * 1.1m).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return (1m / 0m).ToString();`, "DivideByZeroException: Attempted to divide by zero."},
		{`decimal z = 0; return (1.5m % z).ToString();`, "DivideByZeroException: Attempted to divide by zero."},
		{`return decimal.Divide(1m, 0m).ToString();`, "DivideByZeroException: Attempted to divide by zero."},
		{`return ((decimal)double.NaN).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return ((decimal)1e29).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return ((int)decimal.MaxValue).ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return unchecked((int)3000000000m).ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return ((byte)(-1m)).ToString();`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`return Convert.ToInt32(2147483647.5m).ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return Math.Round(1.5m, 29).ToString();`, "ArgumentOutOfRangeException: Decimal can only round to between 0 and 28 digits of precision."},
		{`return 1.5m.ToString("R");`, "FormatException: Format specifier was invalid."},
		{`return 1.5m.ToString("D");`, "FormatException: Format specifier was invalid."},
		{`return 1.5m.ToString("X");`, "FormatException: Format specifier was invalid."},
		{`return string.Format("{0:D2}", 1m);`, "FormatException: Format specifier was invalid."},
		{`return decimal.Parse("79228162514264337593543950336").ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return decimal.Parse("1e5").ToString();`, "FormatException"},
		{`object o = 1; return ((decimal)o).ToString();`, "InvalidCastException: Unable to cast object of type 'System.Int64' to type 'System.Decimal'."},
		{`decimal? n = null; return ((decimal)n).ToString();`, "InvalidOperationException: Nullable object must have a value."},
		{`return JsonConvert.DeserializeObject<decimal>("null").ToString();`, "JsonSerializationException"},
		{`return ((decimal)JToken.Parse("{}")).ToString();`, "ArgumentException: Can not convert Object to Decimal."},
	})
}

// TestDecimalCompileErrors: decimal and double convert only explicitly,
// as in C# (CS0019, CS0266, CS1503); a literal past the range is CS0594.
func TestDecimalCompileErrors(t *testing.T) {
	front := fuzzFront(t)
	for _, tc := range []runCase{
		{`return (1.5m + 1.0).ToString();`, "operator '+' cannot be applied to operands of type 'decimal' and 'double'"},
		{`return (1.5m == 1.5) ? "a" : "b";`, "operator '==' cannot be applied to operands of type 'decimal' and 'double'"},
		{`return (2.0 < 1m).ToString();`, "operator '<' cannot be applied to operands of type 'double' and 'decimal'"},
		{`decimal d = 1; d += 1.5; return d.ToString();`, "operator '+=' cannot be applied to operands of type 'decimal' and 'double'"},
		{`int i = 1; i += 1.5m; return i.ToString();`, "operator '+=' cannot be applied to operands of type 'int' and 'decimal'"},
		{`double x = 1.5m; return x.ToString();`, "cannot implicitly convert type 'decimal' to 'double'"},
		{`decimal x = 1.5; return x.ToString();`, "cannot implicitly convert type 'double' to 'decimal'"},
		{`int i = 1.5m; return i.ToString();`, "cannot implicitly convert type 'decimal' to 'int'"},
		{`return Math.Sqrt(2m).ToString();`, "cannot convert from 'decimal' to 'double'"},
		{`return decimal.Round(2.346, 2).ToString();`, "cannot convert from 'double' to 'decimal'"},
		{`return 79228162514264337593543950336m.ToString();`, "floating-point constant is outside the range of type 'decimal'"},
		{`return decimal.NaN.ToString();`, "'decimal' does not contain a definition for 'NaN'"},
		{`return decimal.Abs(-1m).ToString();`, "'decimal' does not contain a definition for 'Abs'"},
		{`return new decimal(1.5m).ToString();`, "cannot convert from 'decimal'"},
		{`return new decimal("1").ToString();`, "cannot convert from 'string'"},
		{`return decimal.GetBits(1.5).Length.ToString();`, "cannot convert from 'double' to 'decimal'"},
		{`return new decimal(1, 2, 3, 1, 4).ToString();`, "cannot convert from 'int' to 'bool'"},
		{`return decimal.FromOACurrency(1).ToString();`, "'decimal' does not contain a definition for 'FromOACurrency'"},
		{`return 1.5m.ToString("N120");`, "a precision past 99"},
		{`var l = new List<decimal>(); l.Add(1.5); return l.Count.ToString();`, "cannot implicitly convert type 'double' to 'decimal'"},
		{`var d = new Dictionary<string, decimal>(); d.Add("a", 1.5); return d.Count.ToString();`, "cannot convert from 'double' to 'decimal'"},
		{`var d = new Dictionary<string, decimal>(); d["a"] = 1.5; return d.Count.ToString();`, "cannot implicitly convert type 'double' to 'decimal'"},
	} {
		_, err := front.Compile(tc.src, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// decimalConversions is a C# prelude for the conversion cases of
// TestDecimalParts: Show(k, d) is conversion k of d ("Overflow" for .NET's
// OverflowException), All(k, values) each value's, joined by "|".
const decimalConversions = `string Show(string k, decimal d) {
    try {
        switch (k) {
            case "ToByte": return decimal.ToByte(d).ToString();
            case "ToSByte": return decimal.ToSByte(d).ToString();
            case "ToInt16": return decimal.ToInt16(d).ToString();
            case "ToUInt16": return decimal.ToUInt16(d).ToString();
            case "ToUInt32": return decimal.ToUInt32(d).ToString();
            case "ToUInt64": return decimal.ToUInt64(d).ToString();
            case "Convert.ToByte": return Convert.ToByte(d).ToString();
            case "Convert.ToInt16": return Convert.ToInt16(d).ToString();
            default: return Convert.ToInt32(d).ToString();
        }
    } catch (OverflowException) { return "Overflow"; }
}
string All(string k, decimal[] values) { return string.Join("|", values.Select(v => Show(k, v))); }
`

// TestDecimalParts: decimal's constructors, decimal.GetBits, decimal's
// and Convert's conversions to the integral types and bool, and arrays
// of decimals. The inputs are modelled on Microsoft's examples of the
// Decimal constructors, Decimal.GetBits (each int printed "X8"),
// Decimal.ToByte, ToSByte, ToInt16, ToUInt16, ToUInt32 and ToUInt64
// (which truncate) and Convert.ToByte/ToInt16/ToInt32(Decimal) (which
// round a tie to even); the expected values are worked out from .NET's
// documented layout and rules, not copied from the pages' output.
func TestDecimalParts(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// Decimal(Int32), Decimal(Int64), Decimal(UInt32), Decimal(UInt64)
		{`return string.Join("|", new decimal(int.MinValue), new decimal(int.MaxValue), new decimal(0), new decimal(999999999), new decimal(0x40000000),
		      new decimal(unchecked((int)0xC0000000)), new decimal('a'));`,
			"-2147483648|2147483647|0|999999999|1073741824|-1073741824|97"},
		{`return string.Join("|", new decimal(long.MinValue), new decimal(long.MaxValue), new decimal(0L), new decimal(999999999999999999),
		      new decimal(0x2000000000000000), new decimal(unchecked((long)0xE000000000000000)));`,
			"-9223372036854775808|9223372036854775807|0|999999999999999999|2305843009213693952|-2305843009213693952"},
		{`return string.Join("|", new decimal(uint.MinValue), new decimal(uint.MaxValue), new decimal((uint)int.MaxValue), new decimal(999999999U),
		      new decimal(0x40000000U), new decimal(0xC0000000));`,
			"0|4294967295|2147483647|999999999|1073741824|3221225472"},
		{`return string.Join("|", new decimal(ulong.MinValue), new decimal(ulong.MaxValue), new decimal((ulong)long.MaxValue), new decimal(999999999999999999UL),
		      new decimal(0x2000000000000000UL), new decimal(0xE000000000000000));`,
			"0|18446744073709551615|9223372036854775807|999999999999999999|2305843009213693952|16140901064495857664"},
		// Decimal(Double) and Decimal(Single): as the cast, 15 digits
		{`return string.Join("|", new decimal(1.23456789E+5), new decimal(1.234567890123E+15), new decimal(1.2345678901234567E+25), new decimal(1.2345678901234567E+28),
		      new decimal(1.23456789E-5), new decimal(1.234567890123E-15), new decimal(1.2345678901234567E-25), new decimal(1.2345678901234567E-28),
		      new decimal(1.2345678901234567E-29), new decimal(double.Epsilon), new decimal(-0.0));`,
			"123456.789|1234567890123000|12345678901234600000000000|12345678901234600000000000000|0.0000123456789|0.000000000000001234567890123|" +
				"0.0000000000000000000000001235|0.0000000000000000000000000001|0|0|0"},
		// Decimal(Int32, Int32, Int32, Boolean, Byte): the 96-bit integer's
		// three words, the sign and the scale
		{`return string.Join("|", new decimal(0, 0, 0, false, 0), new decimal(0, 0, 0, false, 27), new decimal(0, 0, 0, true, 0), new decimal(1000000000, 0, 0, false, 0),
		      new decimal(1000000000, 0, 0, false, 9), new decimal(1000000000, 0, 0, true, 9), new decimal(0, 1000000000, 0, false, 0), new decimal(0, 0, 1000000000, false, 0),
		      new decimal(0, 0, 1000000000, false, 25), new decimal(-1, -1, -1, false, 0), new decimal(-1, -1, -1, true, 28), new decimal(1230000000, 0, 0, true, 7));`,
			"0|0.000000000000000000000000000|0|1000000000|1.000000000|-1.000000000|4294967296000000000|18446744073709551616000000000|" +
				"1844.6744073709551616000000000|79228162514264337593543950335|-7.9228162514264337593543950335|-123.0000000"},
		// Decimal(Int32[]): the words, then the flags (scale in bits 16..23,
		// sign in bit 31)
		{`return string.Join("|", new decimal(new int[] { 0, 0, 0, 0 }), new decimal(new int[] { 1, 0, 0, 0 }), new decimal(new int[] { 0, 0, 1, 0 }),
		      new decimal(new int[] { 1000, 0, 0, 0x30000 }), new decimal(new[] { -1, 0, 0, 0x100000 }), new decimal(new[] { -1, 0, 0, 0x1C0000 }),
		      new decimal(new[] { -1, -1, -1, unchecked((int)0x80000000) }), new decimal(new[] { 0x3B9ACA00, 0, 0, unchecked((int)0x80060000) }));`,
			"0|1|18446744073709551616|1.000|0.0000004294967295|0.0000000000000000004294967295|-79228162514264337593543950335|-1000.000000"},
		// Decimal.GetBits (getbits.cs): Bits[3] Bits[2] Bits[1] Bits[0]
		{`string Bits(decimal d) { var b = decimal.GetBits(d); return b[3].ToString("X8") + " " + b[2].ToString("X8") + " " + b[1].ToString("X8") + " " + b[0].ToString("X8"); }
		  return string.Join("|", Bits(1M), Bits(100000000000000M), Bits(100000000000000.00000000000000M), Bits(1.0000000000000000000000000000M),
		      Bits(123456789M), Bits(0.123456789M), Bits(0.000000000123456789M), Bits(0.000000000000000000123456789M), Bits(4294967295M),
		      Bits(18446744073709551615M), Bits(decimal.MaxValue), Bits(decimal.MinValue), Bits(-7.9228162514264337593543950335M));`,
			"00000000 00000000 00000000 00000001|00000000 00000000 00005AF3 107A4000|000E0000 204FCE5E 3E250261 10000000|" +
				"001C0000 204FCE5E 3E250261 10000000|00000000 00000000 00000000 075BCD15|00090000 00000000 00000000 075BCD15|" +
				"00120000 00000000 00000000 075BCD15|001B0000 00000000 00000000 075BCD15|00000000 00000000 00000000 FFFFFFFF|" +
				"00000000 00000000 FFFFFFFF FFFFFFFF|00000000 FFFFFFFF FFFFFFFF FFFFFFFF|80000000 FFFFFFFF FFFFFFFF FFFFFFFF|" +
				"801C0000 FFFFFFFF FFFFFFFF FFFFFFFF"},
		// a zero has no sign here (tollgate's choice), so GetBits(-0.00m)
		// has no sign bit where .NET's has it
		{`var b = decimal.GetBits(-1.50m); return string.Join(",", b) + " " + b.Length + " " + new decimal(b) + " " + string.Join(",", decimal.GetBits(-0.00m)) + " " +
		      ((decimal.GetBits(1.250m)[3] >> 16) & 0xFF);`,
			"150,0,0,-2147352576 4 -1.50 0,0,0,131072 3"},
		// Decimal.ToByte, ToSByte, ToInt16, ToUInt16, ToUInt32, ToUInt64
		// truncate, as a cast does; past the type an OverflowException
		{decimalConversions + `		  decimal[] values = { 123m, new decimal(123000, 0, 0, false, 3), 123.999m, 255.999m, 256m, 127.999m, -0.999m, -1m, -128.999m, -129m };
		  return All("ToByte", values) + " " + All("ToSByte", values);`,
			"123|123|123|255|Overflow|127|0|Overflow|Overflow|Overflow 123|123|123|Overflow|Overflow|127|0|-1|-128|Overflow"},
		{decimalConversions + `		  decimal[] values = { 123m, 65535.999m, 65536m, 32767.999m, 32768m, -0.999m, -1m, -32768.999m, -32769m, 4294967295.9m, 4294967296m, 18446744073709551615.9m };
		  return All("ToInt16", values) + " " + All("ToUInt16", values) + " " + All("ToUInt32", values) + " " + All("ToUInt64", values);`,
			"123|Overflow|Overflow|32767|Overflow|0|-1|-32768|Overflow|Overflow|Overflow|Overflow " +
				"123|65535|Overflow|32767|32768|0|Overflow|Overflow|Overflow|Overflow|Overflow|Overflow " +
				"123|65535|65536|32767|32768|0|Overflow|Overflow|Overflow|4294967295|Overflow|Overflow " +
				"123|65535|65536|32767|32768|0|Overflow|Overflow|Overflow|4294967295|4294967296|18446744073709551615"},
		// Convert.ToByte/ToInt16/ToInt32(Decimal): rounded, a tie to even
		{decimalConversions + `		  decimal[] values = { decimal.MinValue, -1034.23m, -12m, 0m, 147m, 199.55m, 9214.16m, decimal.MaxValue };
		  return All("Convert.ToByte", values) + " " + All("Convert.ToInt16", values) + " " + All("Convert.ToInt32", values);`,
			"Overflow|Overflow|Overflow|0|147|200|Overflow|Overflow Overflow|-1034|-12|0|147|200|9214|Overflow Overflow|-1034|-12|0|147|200|9214|Overflow"},
		{`return string.Join("|", Convert.ToByte(2.5m), Convert.ToByte(3.5m), Convert.ToSByte(-1.5m), Convert.ToSByte(-128.5m), Convert.ToInt16(-2.5m), Convert.ToUInt16(0.5m),
		      Convert.ToUInt32(4294967294.5m), Convert.ToUInt64(-0.5m), Convert.ToUInt64(1.5m), Convert.ToInt64((object)2.5m), (int)2.9m, (int)(-2.9m), Convert.ToUInt32("7"), Convert.ToUInt16(2.5));`,
			"2|4|-2|-128|-2|0|4294967294|0|2|2|2|-2|7|2"},
		// Convert.ToBoolean(Decimal): non-zero is true; Convert.ToString
		{`object o = 0.001m; return string.Join("|", Convert.ToBoolean(1.5m), Convert.ToBoolean(0m), Convert.ToBoolean(-0.00m), Convert.ToBoolean(-0.0000000000000000000000000001m),
		      Convert.ToBoolean(o), Convert.ToString(1.50m), Convert.ToString(o), Convert.ToString(-1.50m, CultureInfo.InvariantCulture),
		      1.50m.ToString(NumberFormatInfo.InvariantInfo), decimal.Parse("1.50", NumberFormatInfo.InvariantInfo), decimal.Parse("-2.5", CultureInfo.InvariantCulture));`,
			"True|False|False|True|True|1.50|0.001|-1.50|1.50|1.50|-2.5"},
		// new decimal[n]: zeros; arrays and lists of decimals in LINQ and JSON
		{`var a = new decimal[3]; a[0] = 1.5m; a[2] = 2; decimal[] e = new decimal[0];
		  return a.Length + " " + string.Join(",", a) + " " + a.Sum() + " " + a.Average() + " " + a.Max() + " " + a.Min() + " " + string.Join(",", a.OrderBy(x => x)) + " " +
		      e.Sum() + " " + JsonConvert.SerializeObject(a) + " " + new JArray(a).ToString(Formatting.None);`,
			"3 1.5,0,2 3.5 1.1666666666666666666666666667 2 0 0,1.5,2 0 [1.5,0.0,2.0] [1.5,0.0,2.0]"},
		{`var a = new decimal[] { 1.5m, 2m }; var b = new[] { 2.50m, 1m }; var l = new List<decimal> { 3m, 1.25m };
		  return string.Join(",", a.OrderByDescending(x => x)) + " " + b.Average() + " " + l.Sum() + " " + l.Average() + " " + string.Join(",", l.OrderBy(x => x)) + " " + l.Max() + " " +
		      JsonConvert.SerializeObject(b) + new JArray(l).ToString(Formatting.None) + JsonConvert.SerializeObject(l.ToArray()) + " " + a.Concat(b).Sum() + " " + b.Select(x => x * 2).ToArray().Sum();`,
			"2,1.5 1.75 4.25 2.125 1.25,3 3 [2.50,1.0][3.0,1.25][3.0,1.25] 7.00 7.00"},
	})
	wantExceptions(t, front, []runCase{
		{`return new decimal(1, 0, 0, false, 29).ToString();`, "ArgumentOutOfRangeException: Decimal's scale value must be between 0 and 28, inclusive. (Parameter 'scale')"},
		{`return new decimal(new int[] { 1, 0, 0 }).ToString();`, "ArgumentException: Decimal byte array constructor requires an array of length four containing valid decimal bytes."},
		{`return new decimal(new int[] { 1, 0, 0, 0x1D0000 }).ToString();`, "ArgumentException: Decimal byte array constructor requires"},
		{`return new decimal(new int[] { 1, 0, 0, 1 }).ToString();`, "ArgumentException: Decimal byte array constructor requires"},
		{`int[] b = null; return new decimal(b).ToString();`, "ArgumentNullException: Value cannot be null. (Parameter 'bits')"},
		{`return new decimal(double.NaN).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return new decimal(1e29).ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return decimal.ToByte(256m).ToString();`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`return decimal.ToUInt32(-1m).ToString();`, "OverflowException: Value was either too large or too small for a UInt32."},
		{`return Convert.ToByte(255.5m).ToString();`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`return Convert.ToInt16(32767.5m).ToString();`, "OverflowException: Value was either too large or too small for an Int16."},
		{`return Convert.ToUInt64(-0.6m).ToString();`, "OverflowException: Value was either too large or too small for a UInt64."},
		{`return Convert.ToUInt16(65535.5m).ToString();`, "OverflowException: Value was either too large or too small for a UInt16."},
		{`return new decimal[-1].Length.ToString();`, "OverflowException: Arithmetic operation resulted in an overflow."},
		{`return Convert.ToChar(65) + Convert.ToChar(65m).ToString();`, "InvalidCastException: Invalid cast from 'Decimal' to 'Char'."},
	})
}

// TestNullableMaxMin: Max and Min of a nullable type (or of strings) skip
// the nulls, wherever they are, and are null where no item has a value,
// as .NET's.
func TestNullableMaxMin(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		{`var l = new List<decimal?> { 1.5m, null }; var k = new List<int?> { 2, null, 1, null }; var d = new List<double?> { null, 2.5, null };
		  return l.Max() + " " + l.Min() + " " + l.Average() + " " + k.Min() + " " + k.Max() + " " + d.Min() + " " + d.Max() + " " + k.Min(x => x * 10);`,
			"1.5 1.5 1.5 1 2 2.5 2.5 10"},
		{`var n = new List<int?> { null, null }; var e = new List<decimal?>(); return (n.Min() == null) + " " + (n.Max() == null) + " " + (e.Max() == null) + " " + n.Max().HasValue;`,
			"True True True False"},
		// string is a reference type: its Max and Min are null too
		{`var s = new List<string> { null, "b", null, "a" }; var e = new List<string>(); return s.Min() + s.Max() + " " + (e.Max() == null) + " " + (new[] { (string)null }.Min() == null);`,
			"ab True True"},
	})
	wantExceptions(t, front, []runCase{
		{`return new List<int>().Max().ToString();`, "InvalidOperationException: Sequence contains no elements"},
		{`return new List<decimal>().Min().ToString();`, "InvalidOperationException: Sequence contains no elements"},
	})
}
