package csharp

import (
	"strings"
	"testing"
)

// TestNumberStylesDocs: Microsoft's examples of NumberStyles,
// Int32.Parse(String, NumberStyles[, IFormatProvider]),
// Int32.TryParse(String, NumberStyles, IFormatProvider, Int32) and
// Decimal.Parse, with their printed output. The lines that use another
// culture than en-US or the invariant one are left out, en-US reads as the
// invariant culture (the same separators), and where an example's en-US
// currency symbol "$" meets AllowCurrencySymbol, the invariant culture's
// "¤" stands for it.
func TestNumberStylesDocs(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// NumberStyles (Overview)
		{`String num = "A";
		  int val = int.Parse(num, NumberStyles.HexNumber);
		  var o = string.Format("{0} in hex = {1} in decimal.", num, val);
		  num = "    -45   ";
		  val = int.Parse(num, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite);
		  o += "|" + string.Format("'{0}' parsed to an int is '{1}'.", num, val);
		  num = "    (37)   ";
		  val = int.Parse(num, NumberStyles.AllowParentheses | NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite);
		  return o + "|" + string.Format("'{0}' parsed to an int is '{1}'.", num, val);`,
			"A in hex = 10 in decimal.|'    -45   ' parsed to an int is '-45'.|'    (37)   ' parsed to an int is '-37'."},
		// Int32.Parse(String) (Parse1.cs)
		{`string[] values = { "+13230", "-0", "1,390,146", "$190,235,421,127", "0xFA1B", "163042", "-10", "007", "2147483647",
		                      "2147483648", "16e07", "134985.0", "-12034", "-2147483648", "-2147483649" };
		  var lines = new List<string>();
		  foreach (string value in values) {
		      try { int number = int.Parse(value); lines.Add($"{value} --> {number}"); }
		      catch (FormatException) { lines.Add($"{value}: Bad Format"); }
		      catch (OverflowException) { lines.Add($"{value}: Overflow"); }
		  }
		  return string.Join("|", lines);`,
			"+13230 --> 13230|-0 --> 0|1,390,146: Bad Format|$190,235,421,127: Bad Format|0xFA1B: Bad Format|163042 --> 163042|" +
				"-10 --> -10|007 --> 7|2147483647 --> 2147483647|2147483648: Overflow|16e07: Bad Format|134985.0: Bad Format|" +
				"-12034 --> -12034|-2147483648 --> -2147483648|-2147483649: Overflow"},
		// Int32.Parse(String, NumberStyles) (Parse2.cs); the currency line
		// with "¤" for "$"
		{`string Convert(string value, NumberStyles style) {
		      try { int number = int.Parse(value, style); return $"Converted '{value}' to {number}."; }
		      catch (FormatException) { return $"Unable to convert '{value}'."; }
		      catch (OverflowException) { return $"'{value}' is out of range of the Int32 type."; }
		  }
		  return string.Join("|", new[] {
		      Convert("104.0", NumberStyles.AllowDecimalPoint),
		      Convert("104.9", NumberStyles.AllowDecimalPoint),
		      Convert(" ¤17,198,064.42", NumberStyles.AllowCurrencySymbol | NumberStyles.Number),
		      Convert("103E06", NumberStyles.AllowExponent),
		      Convert("-1,345,791", NumberStyles.AllowThousands),
		      Convert("(1,345,791)", NumberStyles.AllowThousands | NumberStyles.AllowParentheses) });`,
			"Converted '104.0' to 104.|'104.9' is out of range of the Int32 type.|' ¤17,198,064.42' is out of range of the Int32 type.|" +
				"Converted '103E06' to 103000000.|Unable to convert '-1,345,791'.|Converted '(1,345,791)' to -1345791."},
		// Int32.Parse(String, NumberStyles, IFormatProvider) (Parse3.cs):
		// the invariant and en-US lines
		{`string Convert(string value, NumberStyles style, IFormatProvider provider) {
		      try { int number = int.Parse(value, style, provider); return $"Converted '{value}' to {number}."; }
		      catch (FormatException) { return $"Unable to convert '{value}'."; }
		      catch (OverflowException) { return $"'{value}' is out of range of the Int32 type."; }
		  }
		  return string.Join("|", new[] {
		      Convert("12,000", NumberStyles.Float, CultureInfo.InvariantCulture),
		      Convert("12,425.00", NumberStyles.Float | NumberStyles.AllowThousands, NumberFormatInfo.InvariantInfo),
		      Convert("631,900", NumberStyles.Integer | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture),
		      Convert("631,900", NumberStyles.Integer | NumberStyles.AllowThousands, CultureInfo.InvariantCulture) });`,
			"Unable to convert '12,000'.|Converted '12,425.00' to 12425.|Unable to convert '631,900'.|Converted '631,900' to 631900."},
		// Int32.TryParse(String, NumberStyles, IFormatProvider, Int32)
		// (TryParse2.cs), "¤" for en-US's "$"
		{`var lines = new List<string>();
		  void CallTryParse(string stringToConvert, NumberStyles styles) {
		      CultureInfo provider = CultureInfo.InvariantCulture;
		      bool success = int.TryParse(stringToConvert, styles, provider, out int number);
		      if (success) lines.Add($"Converted '{stringToConvert}' to {number}.");
		      else lines.Add($"Attempted conversion of '{stringToConvert}' failed.");
		  }
		  string numericString;
		  NumberStyles styles;
		  numericString = "106779"; styles = NumberStyles.Integer; CallTryParse(numericString, styles);
		  numericString = "-30677"; styles = NumberStyles.None; CallTryParse(numericString, styles);
		  styles = NumberStyles.AllowLeadingSign; CallTryParse(numericString, styles);
		  numericString = "301677-"; CallTryParse(numericString, styles);
		  styles = styles | NumberStyles.AllowTrailingSign; CallTryParse(numericString, styles);
		  numericString = "¤10634"; styles = NumberStyles.Integer; CallTryParse(numericString, styles);
		  styles = NumberStyles.Integer | NumberStyles.AllowCurrencySymbol; CallTryParse(numericString, styles);
		  numericString = "10345.00"; styles = NumberStyles.Integer | NumberStyles.AllowDecimalPoint; CallTryParse(numericString, styles);
		  numericString = "10345.72"; styles = NumberStyles.Integer | NumberStyles.AllowDecimalPoint; CallTryParse(numericString, styles);
		  numericString = "22,593"; styles = NumberStyles.Integer | NumberStyles.AllowThousands; CallTryParse(numericString, styles);
		  numericString = "12E-01"; styles = NumberStyles.Integer | NumberStyles.AllowExponent; CallTryParse(numericString, styles);
		  numericString = "12E03"; CallTryParse(numericString, styles);
		  numericString = "80c1"; CallTryParse(numericString, NumberStyles.HexNumber);
		  numericString = "0x80C1"; CallTryParse(numericString, NumberStyles.HexNumber);
		  return string.Join("|", lines);`,
			"Converted '106779' to 106779.|Attempted conversion of '-30677' failed.|Converted '-30677' to -30677.|" +
				"Attempted conversion of '301677-' failed.|Converted '301677-' to -301677.|Attempted conversion of '¤10634' failed.|" +
				"Converted '¤10634' to 10634.|Converted '10345.00' to 10345.|Attempted conversion of '10345.72' failed.|" +
				"Converted '22,593' to 22593.|Attempted conversion of '12E-01' failed.|Converted '12E03' to 12000.|" +
				"Converted '80c1' to 32961.|Attempted conversion of '0x80C1' failed."},
		// Double.Parse(String, NumberStyles) (Parse.cs), "¤" for "$"; the
		// styles print as their numbers here, where .NET prints their
		// names ("AllowTrailingSign, AllowThousands, Float" for 231)
		{`var o = new List<string>();
		  void ShowNumericValue(string value, NumberStyles styles) {
		      double number;
		      try { number = double.Parse(value, styles); o.Add($"Converted '{value}' using {styles.ToString()} to {number}."); }
		      catch (FormatException) { o.Add($"Unable to parse '{value}' with styles {styles.ToString()}."); }
		  }
		  string value; NumberStyles styles;
		  value = "-1.063E-02"; styles = NumberStyles.AllowExponent; ShowNumericValue(value, styles);
		  styles = NumberStyles.AllowExponent | NumberStyles.Number; ShowNumericValue(value, styles);
		  value = " ¤ 6,164.3299  "; styles = NumberStyles.Number | NumberStyles.AllowCurrencySymbol; ShowNumericValue(value, styles);
		  value = "(4,320.64)"; styles = NumberStyles.AllowParentheses | NumberStyles.AllowTrailingSign | NumberStyles.Float; ShowNumericValue(value, styles);
		  styles = NumberStyles.AllowParentheses | NumberStyles.AllowTrailingSign | NumberStyles.Float | NumberStyles.AllowThousands; ShowNumericValue(value, styles);
		  return string.Join("|", o);`,
			"Unable to parse '-1.063E-02' with styles 128.|Converted '-1.063E-02' using 239 to -0.01063.|Converted ' ¤ 6,164.3299  ' using 367 to 6164.3299.|" +
				"Unable to parse '(4,320.64)' with styles 191.|Converted '(4,320.64)' using 255 to -4320.64."},
		// Decimal.Parse(String) and Decimal.Parse(String, NumberStyles)
		{`string value; decimal number; var o = new List<string>();
		  value = "16,523,421"; number = decimal.Parse(value); o.Add($"'{value}' converted to {number}.");
		  value = "25,162.1378"; number = decimal.Parse(value); o.Add($"'{value}' converted to {number}.");
		  value = "$16,321,421.75";
		  try { number = decimal.Parse(value); o.Add($"'{value}' converted to {number}."); }
		  catch (FormatException) { o.Add($"Unable to parse '{value}'."); }
		  value = "1.62345e-02";
		  try { number = decimal.Parse(value); o.Add($"'{value}' converted to {number}."); }
		  catch (FormatException) { o.Add($"Unable to parse '{value}'."); }
		  return string.Join("|", o);`,
			"'16,523,421' converted to 16523421.|'25,162.1378' converted to 25162.1378.|Unable to parse '$16,321,421.75'.|Unable to parse '1.62345e-02'."},
		{`string value; decimal number; NumberStyles style; var o = new List<string>();
		  value = "8694.12"; style = NumberStyles.None;
		  try { number = decimal.Parse(value, style); o.Add($"'{value}' converted to {number}."); }
		  catch (FormatException) { o.Add($"Unable to parse '{value}'."); }
		  style = NumberStyles.AllowDecimalPoint; number = decimal.Parse(value, style); o.Add($"'{value}' converted to {number}.");
		  value = "(1,789.34)"; style = NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands | NumberStyles.AllowParentheses;
		  number = decimal.Parse(value, style); o.Add($"'{value}' converted to {number}.");
		  value = " -17,623.49 "; style = NumberStyles.Number; number = decimal.Parse(value, style); o.Add($"'{value}' converted to {number}.");
		  value = "892 694,12"; style = NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands;
		  try { number = decimal.Parse(value, style, CultureInfo.InvariantCulture); o.Add($"'{value}' converted to {number}."); }
		  catch (FormatException) { o.Add($"Unable to parse '{value}'."); }
		  return string.Join("|", o);`,
			"Unable to parse '8694.12'.|'8694.12' converted to 8694.12.|'(1,789.34)' converted to -1789.34.|' -17,623.49 ' converted to -17623.49.|Unable to parse '892 694,12'."},
	})
}

// TestNumberStyles: .NET's rules for each style element, each numeric
// type, and which exception a text gives.
func TestNumberStyles(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// the members' values, and | between them
		{`return (int)NumberStyles.None + " " + (int)NumberStyles.AllowLeadingWhite + " " + (int)NumberStyles.AllowTrailingWhite + " " + (int)NumberStyles.AllowLeadingSign + " " +
		     (int)NumberStyles.AllowTrailingSign + " " + (int)NumberStyles.AllowParentheses + " " + (int)NumberStyles.AllowDecimalPoint + " " + (int)NumberStyles.AllowThousands + " " +
		     (int)NumberStyles.AllowExponent + " " + (int)NumberStyles.AllowCurrencySymbol + " " + (int)NumberStyles.AllowHexSpecifier + " " + (int)NumberStyles.AllowBinarySpecifier;`,
			"0 1 2 4 8 16 32 64 128 256 512 1024"},
		{`return (int)NumberStyles.Integer + " " + (int)NumberStyles.HexNumber + " " + (int)NumberStyles.BinaryNumber + " " + (int)NumberStyles.Number + " " +
		     (int)NumberStyles.Float + " " + (int)NumberStyles.Currency + " " + (int)NumberStyles.Any + " " + (NumberStyles.Float | NumberStyles.AllowThousands) + " " + (NumberStyles.Any & ~NumberStyles.AllowExponent);`,
			"7 515 1027 111 167 383 511 231 383"},
		// hex and binary: the bits of the value, no prefix, no sign
		{`return int.Parse("FFFFFFFF", NumberStyles.HexNumber) + " " + int.Parse("7fffffff", NumberStyles.HexNumber) + " " + long.Parse("FFFFFFFFFFFFFFFF", NumberStyles.HexNumber) + " " +
		     byte.Parse("ff", NumberStyles.HexNumber) + " " + sbyte.Parse("80", NumberStyles.HexNumber) + " " + short.Parse("8000", NumberStyles.AllowHexSpecifier) + " " +
		     ushort.Parse("FFFF", NumberStyles.HexNumber) + " " + uint.Parse("FFFFFFFF", NumberStyles.HexNumber) + " " + ulong.Parse("FFFFFFFFFFFFFFFF", NumberStyles.HexNumber) + " " +
		     int.Parse(" 0000000000001A ", NumberStyles.HexNumber) + " " + int.Parse("101", NumberStyles.BinaryNumber) + " " + sbyte.Parse("11111111", NumberStyles.AllowBinarySpecifier);`,
			"-1 2147483647 -1 255 -128 -32768 65535 4294967295 18446744073709551615 26 5 -1"},
		// Float, Number, Currency, Any
		{`return double.Parse("-1.5e3", NumberStyles.Float) + " " + double.Parse("1,234.5", NumberStyles.Number) + " " + decimal.Parse("(¤1,234.50)", NumberStyles.Currency) + " " +
		     int.Parse(" ¤ -1,000.00e1 ", NumberStyles.Any) + " " + double.Parse("1.", NumberStyles.Float) + " " + double.Parse(".5", NumberStyles.Float) + " " + int.Parse("1,,2", NumberStyles.AllowThousands);`,
			"-1500 1234.5 -1234.50 -10000 1 0.5 12"},
		// white space is .NET's (tab to CR, space): not a no-break space
		{`return int.Parse("\t\n 12\r ") + " " + int.TryParse("\u00a012", out var n) + " " + int.Parse("12\0\0") + " " + int.TryParse("12\0x", out n);`, "12 False 12 False"},
		// signs: one, leading or trailing as allowed; none after "("
		{`return int.TryParse("+-1", NumberStyles.Any, null, out var n) + " " + int.TryParse("1-", NumberStyles.Integer, null, out n) + " " +
		     int.Parse("1-", NumberStyles.Integer | NumberStyles.AllowTrailingSign) + " " + int.TryParse("-1-", NumberStyles.Any, null, out n) + " " +
		     int.TryParse("(1", NumberStyles.Any, null, out n) + " " + int.TryParse("(-1)", NumberStyles.Any, null, out n) + " " + int.TryParse("- 1", NumberStyles.Any, null, out n) + " " + int.Parse("¤ -1", NumberStyles.Any);`,
			"False False -1 False False False False -1"},
		// a decimal point in an integer: zeros after it only
		{`return int.Parse("1.000", NumberStyles.Number) + " " + long.Parse("-0.0", NumberStyles.Float) + " " + int.Parse("1.5e1", NumberStyles.Float) + " " + int.Parse("0.00e999", NumberStyles.Float);`,
			"1 0 15 0"},
		// each type's range, exactly
		{`return sbyte.Parse("-128") + " " + sbyte.Parse("127") + " " + byte.Parse("255") + " " + short.Parse("-32768") + " " + ushort.Parse("65535") + " " +
		     uint.Parse("4294967295") + " " + long.Parse("-9223372036854775808") + " " + ulong.Parse("18446744073709551615") + " " + ulong.Parse("-0") + " " + Int16.Parse("00000000000000000012");`,
			"-128 127 255 -32768 65535 4294967295 -9223372036854775808 18446744073709551615 0 12"},
		// double: correctly rounded, infinities past the range (.NET Core
		// 3.0 and later), the invariant symbols, -0
		{`return double.Parse("0.1") + " " + double.Parse("1e400") + " " + double.Parse("-1e400") + " " + double.Parse("1e-400") + " " + double.Parse("-0") + " " +
		     double.Parse(" Infinity ") + " " + double.Parse("-infinity") + " " + double.Parse("NaN") + " " + double.Parse("+∞") + " " + double.Parse("1,000.5") + " " + float.Parse("2.5", NumberStyles.Float, CultureInfo.InvariantCulture);`,
			"0.1 ∞ -∞ 0 -0 ∞ -∞ NaN ∞ 1000.5 2.5"},
		// texts strconv would not read: the trailing sign, the point alone
		{`return double.Parse("1.5-", NumberStyles.Float | NumberStyles.AllowTrailingSign) + " " + double.Parse("1.5e-3-", NumberStyles.Any) + " " + double.Parse(".5-", NumberStyles.AllowDecimalPoint | NumberStyles.AllowTrailingSign, null) + " " + double.TryParse("-1.5e-3-", NumberStyles.Any, null, out var x);`, "-1.5 -0.0015 -0.5 False"},
		{`return double.Parse("1" + new string('0', 400) + "e-400") + " " + (double.Parse("9007199254740993") == 9007199254740992.0) + " " + double.Parse("0." + new string('0', 900) + "1e901");`, "1 True 1"},
		// decimal: Number by default, its own range
		{`return decimal.Parse("79228162514264337593543950335") + " " + decimal.Parse("-0") + " " + decimal.Parse("1e5", NumberStyles.Float) + " " + decimal.MaxValue + " " + Decimal.Parse("1.5", CultureInfo.InvariantCulture);`,
			"79228162514264337593543950335 0 100000 79228162514264337593543950335 1.5"},
		// TryParse: false and 0 for a bad text, a number out of range, null
		{`return int.TryParse("2147483648", NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) + " " + a + " " + byte.TryParse("256", out var b) + " " + b + " " +
		     ulong.TryParse("-1", out var c) + " " + decimal.TryParse("1e99", NumberStyles.Float, null, out var d) + " " + d + " " + double.TryParse("x", NumberStyles.Float, null, out var e) + " " +
		     short.TryParse(null, NumberStyles.Integer, null, out var f) + " " + uint.TryParse("12", NumberStyles.None, CultureInfo.CurrentCulture, out var g) + " " + g;`,
			"False 0 False 0 False False 0 False False True 12"},
		// the providers: every one is read as the invariant culture
		{`IFormatProvider p = NumberFormatInfo.CurrentInfo; return int.Parse("1,000", NumberStyles.AllowThousands, p) + " " + long.Parse("12", CultureInfo.CurrentCulture) + " " + int.Parse("7", DateTimeFormatInfo.InvariantInfo);`,
			"1000 12 7"},
		// TryParse(s, provider, out n), .NET 7's
		{`return int.TryParse("12", CultureInfo.InvariantCulture, out var n) + " " + n + " " + double.TryParse("1e400", null, out var d) + " " + d;`, "True 12 True ∞"},
	})
	wantExceptions(t, front, []runCase{
		{`return int.Parse("2147483648").ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return sbyte.Parse("128").ToString();`, "OverflowException: Value was either too large or too small for a signed byte."},
		{`return byte.Parse("-1").ToString();`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`return ushort.Parse("65536").ToString();`, "OverflowException: Value was either too large or too small for a UInt16."},
		{`return uint.Parse("-0.0", NumberStyles.Float).ToString();`, "OverflowException: Value was either too large or too small for a UInt32."},
		{`return ulong.Parse("18446744073709551616").ToString();`, "OverflowException: Value was either too large or too small for a UInt64."},
		{`return long.Parse("1e19", NumberStyles.Float).ToString();`, "OverflowException: Value was either too large or too small for an Int64."},
		{`return int.Parse("1e-1", NumberStyles.Float).ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return int.Parse("1e9999999999", NumberStyles.Float).ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return decimal.Parse("79228162514264337593543950335.5").ToString();`, "OverflowException: Value was either too large or too small for a Decimal."},
		{`return int.Parse("100000000", NumberStyles.HexNumber).ToString();`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return byte.Parse("100000000", NumberStyles.BinaryNumber).ToString();`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		// a bad text wins over the overflow, as in .NET
		{`return int.Parse("100000000x", NumberStyles.HexNumber).ToString();`, "FormatException: The input string '100000000x' was not in a correct format."},
		{`return int.Parse("0x1A", NumberStyles.HexNumber).ToString();`, "FormatException: The input string '0x1A' was not in a correct format."},
		{`return int.Parse("-1A", NumberStyles.HexNumber).ToString();`, "FormatException"},
		{`return int.Parse("", NumberStyles.Any).ToString();`, "FormatException: The input string '' was not in a correct format."},
		{`return int.Parse(".", NumberStyles.Any).ToString();`, "FormatException"},
		{`return int.Parse("1e", NumberStyles.Any).ToString();`, "FormatException"},
		{`return double.Parse("1_000").ToString();`, "FormatException"},
		{`return double.Parse("0x1p4").ToString();`, "FormatException"},
		{`return double.Parse("++Infinity").ToString();`, "FormatException"},
		{`return int.Parse(null, NumberStyles.Any).ToString();`, "ArgumentNullException: Value cannot be null. (Parameter 's')"},
		// styles .NET refuses: ArgumentException, in TryParse too
		{`return int.Parse("1", (NumberStyles)2048).ToString();`, "ArgumentException: An undefined NumberStyles value is being used. (Parameter 'style')"},
		{`return int.Parse("1", NumberStyles.HexNumber | NumberStyles.AllowLeadingSign).ToString();`, "ArgumentException: With the AllowHexSpecifier or AllowBinarySpecifier bit set"},
		{`return int.Parse("1", NumberStyles.AllowHexSpecifier | NumberStyles.AllowBinarySpecifier).ToString();`, "ArgumentException: With the AllowHexSpecifier"},
		{`return double.Parse("1", NumberStyles.HexNumber).ToString();`, "ArgumentException: The number styles AllowHexSpecifier and AllowBinarySpecifier are not supported on floating point data types. (Parameter 'style')"},
		{`return decimal.Parse("1", NumberStyles.AllowHexSpecifier).ToString();`, "ArgumentException: The number styles AllowHexSpecifier"},
		{`return int.TryParse("1", NumberStyles.HexNumber | NumberStyles.AllowThousands, null, out var n).ToString();`, "ArgumentException: With the AllowHexSpecifier"},
		{`string s = null; return int.TryParse(s, NumberStyles.Float | NumberStyles.AllowHexSpecifier, null, out var n).ToString();`, "ArgumentException: With the AllowHexSpecifier"},
		{`string s = null; return DateTime.TryParseExact(s, "yyyy", null, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeLocal, out var d).ToString();`, "ArgumentException: The DateTimeStyles value RoundtripKind"},
	})
	// load errors: the overloads C# has
	for _, tc := range []struct{ src, msg string }{
		{`int.Parse("1", "x")`, "cannot convert from 'string'"},
		{`int.Parse("1", NumberStyles.Any, NumberStyles.Any)`, "cannot convert from 'int' to 'IFormatProvider'"},
		{`int.TryParse("1", NumberStyles.Any, out var n)`, "cannot convert from 'int' to 'IFormatProvider'"}, // (s, style, out n) is not .NET's
		{`int.TryParse("1", NumberStyles.Any, null, n)`, "must be passed with the 'out' keyword"},
		{`decimal.NaN`, "'decimal' does not contain a definition for 'NaN'"},
		{`NumberStyles.Hex`, "'NumberStyles' does not contain a definition for 'Hex'"},
	} {
		_, err := front.Compile(tc.src, false)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestNumbersAsText: ToString(provider), ToString(format, provider),
// Convert.ToString(value, toBase) and (value, provider),
// string.Format(provider, ...).
func TestNumbersAsText(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		{`return (12).ToString(CultureInfo.InvariantCulture) + " " + (1.5).ToString(CultureInfo.InvariantCulture) + " " + 12L.ToString(CultureInfo.CurrentCulture) + " " +
		     (1.5).ToString("F2", CultureInfo.InvariantCulture) + " " + (12).ToString("D4", CultureInfo.InvariantCulture) + " " + (255).ToString("X", NumberFormatInfo.InvariantInfo) + " " + 2.5m.ToString(CultureInfo.InvariantCulture);`,
			"12 1.5 12 1.50 0012 FF 2.5"},
		// a date's own text: the invariant culture's where asked for, else
		// ToString()'s
		{`var d = new DateTime(2009, 6, 15, 13, 45, 30); var o = new DateTimeOffset(d, TimeSpan.FromHours(-7));
		  return d.ToString(CultureInfo.InvariantCulture) + "|" + o.ToString(CultureInfo.InvariantCulture) + "|" + d.ToString(CultureInfo.CurrentCulture) + "|" + d.ToString(DateTimeFormatInfo.InvariantInfo);`,
			"06/15/2009 13:45:30|06/15/2009 13:45:30 -07:00|6/15/2009 1:45:30 PM|06/15/2009 13:45:30"},
		// ToString(format, provider): the invariant culture's standard
		// patterns where the provider is an invariant one
		{`var d = new DateTime(2009, 6, 15, 13, 45, 30); var o = new DateTimeOffset(d, TimeSpan.FromHours(2)); var i = CultureInfo.InvariantCulture;
		  return d.ToString("d", i) + "|" + d.ToString("D", i) + "|" + d.ToString("f", i) + "|" + d.ToString("F", i) + "|" + d.ToString("g", i) + "|" + d.ToString("G", i) + "|" +
		     d.ToString("M", i) + "|" + d.ToString("t", i) + "|" + d.ToString("T", i) + "|" + d.ToString("Y", i) + "|" + d.ToString("s", i) + "|" + o.ToString("G", i) + "|" + o.ToString("o", i) + "|" +
		     d.ToString("G", CultureInfo.CurrentCulture) + "|" + d.ToString("yyyy", i);`,
			"06/15/2009|Monday, 15 June 2009|Monday, 15 June 2009 13:45|Monday, 15 June 2009 13:45:30|06/15/2009 13:45|06/15/2009 13:45:30|" +
				"June 15|13:45|13:45:30|2009 June|2009-06-15T13:45:30|06/15/2009 13:45:30|2009-06-15T13:45:30.0000000+02:00|6/15/2009 1:45:30 PM|2009"},
		// Convert.ToString(value, toBase): the overload of the value's type
		{`return Convert.ToString(255, 16) + " " + Convert.ToString(-1, 16) + " " + Convert.ToString(-1L, 16) + " " + Convert.ToString((short)-1, 2) + " " + Convert.ToString((byte)200, 2) + " " +
		     Convert.ToString((sbyte)-1, 16) + " " + Convert.ToString(8, 8) + " " + Convert.ToString(-42, 10) + " " + Convert.ToString(4294967295u, 16) + " " + Convert.ToString('A', 16) + " " + Convert.ToString((ushort)65535, 16);`,
			"ff ffffffff ffffffffffffffff 1111111111111111 11001000 ffff 10 -42 ffffffff 41 ffff"},
		// a round trip with Convert.ToInt32(s, fromBase)
		{`int n = -123456; return Convert.ToInt32(Convert.ToString(n, 16), 16) + " " + Convert.ToInt64(Convert.ToString(long.MinValue, 2), 2);`, "-123456 -9223372036854775808"},
		{`return Convert.ToString(1.5, CultureInfo.InvariantCulture) + "|" + Convert.ToString(new DateTime(2020, 1, 2, 3, 4, 5), CultureInfo.InvariantCulture) + "|" + Convert.ToString(new DateTime(2020, 1, 2, 3, 4, 5), CultureInfo.CurrentCulture) + "|" + Convert.ToString(null, CultureInfo.InvariantCulture) + "|";`,
			"1.5|01/02/2020 03:04:05|1/2/2020 3:04:05 AM||"},
		{`var d = new DateTime(2020, 1, 2, 13, 4, 5); return string.Format(CultureInfo.InvariantCulture, "{0:F2} {1} {1:yyyy} {2,5}|", 1.5, d, 7) + string.Format(CultureInfo.CurrentCulture, "{0}", d) + "|" + string.Format(null, "{0}", 1) + string.Format(CultureInfo.InvariantCulture, "{0}", new DateTimeOffset(d, TimeSpan.Zero));`,
			"1.50 01/02/2020 13:04:05 2020     7|1/2/2020 1:04:05 PM|101/02/2020 13:04:05 +00:00"},
	})
	wantExceptions(t, front, []runCase{
		{`return Convert.ToString(1, 3);`, "ArgumentException: Invalid Base. (Parameter 'toBase')"},
		{`return string.Format(CultureInfo.InvariantCulture, null, 1);`, "ArgumentNullException"},
	})
	for _, tc := range []struct{ src, msg string }{
		{`Convert.ToString(1.5, 16)`, "cannot convert from 'double' to 'long'"},
		{`Convert.ToString(1UL, 16)`, "cannot convert from 'ulong' to 'long'"},
		{`Convert.ToString(1, "x")`, "cannot convert from 'string' to 'IFormatProvider'"},
		{`(1).ToString(CultureInfo.InvariantCulture, "x")`, "cannot convert"},
	} {
		_, err := front.Compile(tc.src, false)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}
