package csharp

import (
	"strings"
	"testing"
)

// TestNumberFormatDocs: the examples of Microsoft's "Standard numeric
// format strings" and "Custom numeric format strings" with their printed
// output. Lines in a culture other than en-US or the invariant one are
// left out; en-US's lines run with the invariant culture, whose
// separators are the same, "¤" standing for en-US's "$".
func TestNumberFormatDocs(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// Currency format specifier (C)
		{`double value = 12345.6789; return value.ToString("C", CultureInfo.CurrentCulture) + "|" + value.ToString("C3", CultureInfo.CurrentCulture);`, "¤12,345.68|¤12,345.679"},
		// Decimal format specifier (D)
		{`int value; value = 12345; var o = value.ToString("D") + "|" + value.ToString("D8"); value = -12345; return o + "|" + value.ToString("D") + "|" + value.ToString("D8");`, "12345|00012345|-12345|-00012345"},
		// Exponential format specifier (E)
		{`double value = 12345.6789; return value.ToString("E", CultureInfo.InvariantCulture) + "|" + value.ToString("E10", CultureInfo.InvariantCulture) + "|" + value.ToString("e4", CultureInfo.InvariantCulture);`, "1.234568E+004|1.2345678900E+004|1.2346e+004"},
		// Fixed-point format specifier (F)
		{`int integerNumber; integerNumber = 17843; var o = integerNumber.ToString("F", CultureInfo.InvariantCulture); integerNumber = -29541; o += "|" + integerNumber.ToString("F3", CultureInfo.InvariantCulture);
		  double doubleNumber; doubleNumber = 18934.1879; o += "|" + doubleNumber.ToString("F", CultureInfo.InvariantCulture) + "|" + doubleNumber.ToString("F0", CultureInfo.InvariantCulture);
		  doubleNumber = -1898300.1987; return o + "|" + doubleNumber.ToString("F1", CultureInfo.InvariantCulture);`, "17843.00|-29541.000|18934.19|18934|-1898300.2"},
		// General format specifier (G)
		{`double number; number = 12345.6789; var o = number.ToString("G", CultureInfo.InvariantCulture) + "|" + number.ToString("G7", CultureInfo.InvariantCulture);
		  number = .0023; o += "|" + number.ToString("G", CultureInfo.InvariantCulture); number = 1234; o += "|" + number.ToString("G2", CultureInfo.InvariantCulture);
		  number = 3.141592653589793; return o + "|" + number.ToString("G5", CultureInfo.InvariantCulture);`, "12345.6789|12345.68|0.0023|1.2E+03|3.1416"},
		// Numeric format specifier (N)
		{`double dblValue = -12445.6789; var o = dblValue.ToString("N", CultureInfo.InvariantCulture); int intValue = 123456789; return o + "|" + intValue.ToString("N1", CultureInfo.InvariantCulture);`, "-12,445.68|123,456,789.0"},
		// Percent format specifier (P)
		{`double number = .2468013; return number.ToString("P", CultureInfo.InvariantCulture) + "|" + number.ToString("P1", CultureInfo.InvariantCulture);`, "24.68 %|24.7 %"},
		// Round-trip format specifier (R)
		{`double value; value = 3.141592653589793; var o = value.ToString("r"); value = 1.623e-21; return o + "|" + value.ToString("r");`, "3.141592653589793|1.623e-21"},
		// Hexadecimal format specifier (X)
		{`int value; value = 0x2045e; var o = value.ToString("x") + "|" + value.ToString("X") + "|" + value.ToString("X8"); value = 123456789; return o + "|" + value.ToString("X") + "|" + value.ToString("X2");`, "2045e|2045E|0002045E|75BCD15|75BCD15"},
		// the page's example (en-US's culture: the invariant one's, ¤ for $)
		{`CultureInfo ci = CultureInfo.InvariantCulture; double floating = 10761.937554;
		  var o = floating.ToString("C", ci) + "|" + floating.ToString("E03", ci) + "|" + floating.ToString("F04", ci) + "|" + floating.ToString("G", ci) + "|" + floating.ToString("N03", ci) + "|" + (floating / 10000).ToString("P02", ci) + "|" + floating.ToString("R", ci);
		  int integral = 8395;
		  return o + "|" + integral.ToString("C", ci) + "|" + integral.ToString("D6", ci) + "|" + integral.ToString("E03", ci) + "|" + integral.ToString("F01", ci) + "|" + integral.ToString("G", ci) + "|" + integral.ToString("N01", ci) + "|" + (integral / 10000.0).ToString("P02", ci) + "|0x" + integral.ToString("X", ci);`,
			"¤10,761.94|1.076E+004|10761.9376|10761.937554|10,761.938|107.62 %|10761.937554|¤8,395.00|008395|8.395E+003|8395.0|8395|8,395.0|83.95 %|0x20CB"},
		// Custom: the "0" custom specifier
		{`double value; value = 123; var o = value.ToString("00000"); value = 1.2; o += "|" + value.ToString("0.00", CultureInfo.InvariantCulture) + "|" + value.ToString("00.00", CultureInfo.InvariantCulture);
		  value = .56; o += "|" + value.ToString("0.0", CultureInfo.InvariantCulture); value = 1234567890; o += "|" + value.ToString("0,0", CultureInfo.InvariantCulture);
		  value = 1234567890.123456; o += "|" + value.ToString("0,0.0", CultureInfo.InvariantCulture); value = 1234.567890; return o + "|" + value.ToString("0,0.00", CultureInfo.InvariantCulture);`,
			"00123|1.20|01.20|0.6|1,234,567,890|1,234,567,890.1|1,234.57"},
		// the "#" custom specifier
		{`double value; value = 1.2; var o = value.ToString("#.##", CultureInfo.InvariantCulture); value = 123; o += "|" + value.ToString("#####"); value = 123456; o += "|" + value.ToString("[##-##-##]");
		  value = 1234567890; return o + "|" + value.ToString("#") + "|" + value.ToString("(###) ###-####");`, "1.2|123|[12-34-56]|1234567890|(123) 456-7890"},
		{`Double value = .324; return string.Format("The value is: '{0,5:#.###}'", value);`, "The value is: ' .324'"},
		// the "." and "%" and "E" custom specifiers
		{`double value; value = .086; var o = value.ToString("#0.##%", CultureInfo.InvariantCulture); value = 86000; return o + "|" + value.ToString("0.###E+0", CultureInfo.InvariantCulture);`, "8.6%|8.6E+4"},
		{`double value = 86000; return value.ToString("0.###E+0", CultureInfo.InvariantCulture) + "|" + value.ToString("0.###E+000", CultureInfo.InvariantCulture) + "|" + value.ToString("0.###E-000", CultureInfo.InvariantCulture);`, "8.6E+4|8.6E+004|8.6E004"},
		// the "," custom specifier: group separator and number scaling
		{`double value = 1234567890; return value.ToString("#,#", CultureInfo.InvariantCulture) + "|" + value.ToString("#,##0,,", CultureInfo.InvariantCulture) + "|" + value.ToString("#,,", CultureInfo.InvariantCulture) + "|" + value.ToString("#,,,", CultureInfo.InvariantCulture);`, "1,234,567,890|1,235|1235|1"},
		// the "‰" custom specifier
		{`double value = .00354; string perMilleFmt = "#0.## " + '\u2030'; return value.ToString(perMilleFmt, CultureInfo.InvariantCulture);`, "3.54 ‰"},
		// the escape character
		{`int value = 123; return value.ToString("\\#\\#\\# ##0 dollars and \\0\\0 cents \\#\\#\\#") + "|" + value.ToString(@"\#\#\# ##0 dollars and \0\0 cents \#\#\#") + "|" + value.ToString("\\\\\\\\\\\\ ##0 dollars and \\0\\0 cents \\\\\\\\\\\\") + "|" + value.ToString(@"\\\\\\ ##0 dollars and \0\0 cents \\\\\\");`,
			`### 123 dollars and 00 cents ###|### 123 dollars and 00 cents ###|\\\ 123 dollars and 00 cents \\\|\\\ 123 dollars and 00 cents \\\`},
		// the ";" section separator
		{`double posValue = 1234; double negValue = -1234; double zeroValue = 0; string fmt2 = "##;(##)"; string fmt3 = "##;(##);**Zero**";
		  return posValue.ToString(fmt2) + "|" + negValue.ToString(fmt2) + "|" + zeroValue.ToString(fmt3);`, "1234|(1234)|**Zero**"},
		// the older page's section example ("$" is a literal in a custom
		// format) and its "00" rounding 34.5 away from zero
		{`double MyPos = 19.95, MyNeg = -19.95, MyZero = 0.0; return MyPos.ToString("$#,##0.00;($#,##0.00);Zero") + "|" + MyNeg.ToString("$#,##0.00;($#,##0.00);Zero") + "|" + MyZero.ToString("$#,##0.00;($#,##0.00);Zero") + "|" + 34.5.ToString("00");`,
			"$19.95|($19.95)|Zero|35"},
		// character literals
		{`double n = 123.8; return $"{n:#,##0.0K}|{n:#,##0.0 K}|{n:#,##0.0 'K'}";`, "123.8K|123.8 K|123.8 K"},
		// Double.ToString()'s example
		{`double number; number = 1.6E20; var o = number.ToString(); number = 1.6E2; o += "|" + number.ToString(); number = -3.541; o += "|" + number.ToString();
		  number = -1502345222199E-07; o += "|" + number.ToString(); number = -15023452221990199574E-09; o += "|" + number.ToString(); number = .60344; o += "|" + number.ToString();
		  number = .000000001; return o + "|" + number.ToString();`, "1.6E+20|160|-3.541|-150234.5222199|-15023452221.9902|0.60344|1E-09"},
		// the custom page's example
		{`double number1 = 1234567890; int number2 = 42; return number1.ToString("(###) ###-####") + "|" + number2.ToString("My Number = #");`, "(123) 456-7890|My Number = 42"},
	})
}

// TestNumberFormats: what the documentation's rules give past its
// examples: every integral type, ulong exactly, "X" of a negative value in
// its type's width, rounding as .NET Core 3.0 rounds (a double's exact
// value, a tie to the even digit; an integer's 5 up; a custom format's 15
// digits, 5 up), negative zero, sections, scaling.
func TestNumberFormats(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		{`return (0.5).ToString("C") + "|" + (-0.5).ToString("C") + "|" + (1234.5).ToString("c0") + "|" + (-1234567).ToString("C");`, "¤0.50|(¤0.50)|¤1,234|(¤1,234,567.00)"},
		{`return ulong.MaxValue.ToString("X") + "|" + ulong.MaxValue.ToString("D") + "|" + ulong.MaxValue.ToString("N0") + "|" + ulong.MaxValue.ToString("x20") + "|" + $"{ulong.MaxValue:E2}";`,
			"FFFFFFFFFFFFFFFF|18446744073709551615|18,446,744,073,709,551,615|0000ffffffffffffffff|1.84E+019"},
		{`return (-1).ToString("X") + "|" + (-1L).ToString("X") + "|" + ((short)-1).ToString("x") + "|" + ((sbyte)-2).ToString("X") + "|" + ((byte)255).ToString("X4") + "|" + (uint.MaxValue).ToString("X") + "|" + long.MinValue.ToString("X");`,
			"FFFFFFFF|FFFFFFFFFFFFFFFF|ffff|FE|00FF|FFFFFFFF|8000000000000000"},
		{`short s = -1; long l = -255; return $"{s:X}|{l:x}|{(byte)7:D3}|{-1:X2}";`, "FFFF|ffffffffffffff01|007|FFFFFFFF"},
		{`int? n = -2; int? m = null; return $"{n:X}|{m:X}|{n,10:D4}|";`, "FFFFFFFE||     -0002|"},
		{`return long.MinValue.ToString("D") + "|" + long.MinValue.ToString("N") + "|" + int.MinValue.ToString("E") + "|" + (-5).ToString("P0") + "|" + 0.ToString("E") + "|" + 0.ToString("G3");`,
			"-9223372036854775808|-9,223,372,036,854,775,808.00|-2.147484E+009|-500 %|0.000000E+000|0"},
		// rounding: a double's exact value, a tie to even; an integer's 5 up
		{`return (0.5).ToString("F0") + (1.5).ToString("F0") + (2.5).ToString("F0") + (3.5).ToString("F0") + "|" + (0.125).ToString("F2") + "|" + (0.375).ToString("F2") + "|" + (1.005).ToString("F2") + "|" + (0.15).ToString("F1") + "|" + (1234.5).ToString("G4") + "|" + 12345.ToString("G4") + "|" + 125.ToString("E1");`,
			"0224|0.12|0.38|1.00|0.1|1234|1.235E+04|1.3E+002"},
		// custom formats: 15 digits, then a 5 up
		{`return (0.125).ToString("0.00") + "|" + (1.005).ToString("0.00") + "|" + (2.5).ToString("0") + "|" + (-0.1).ToString("0") + "|" + (-0.0).ToString("0.0") + "|" + 0.1.ToString("0.00000000000000000000") + "|" + 1234567890123456789.0.ToString("0");`,
			"0.13|1.01|3|-0|-0.0|0.10000000000000000000|1234567890123460000"},
		// (a negative zero apart: expr folds the constants -0.0 and 0.0 into one)
		{`return (-0.001).ToString("F2") + "|" + (-0.0).ToString() + "|" + (-0.0).ToString("G") + "|" + (-0.4).ToString("#;(#);zero") + "|" + (-1234).ToString("#;;zero") + "|" + 0.ToString("#;-#");`,
			"-0.00|-0|-0|zero|-1234|"},
		{`return 0.0.ToString("E2");`, "0.00E+000"},
		// "R", "G17", shortest: round trip
		{`double d = 0.1 + 0.2; return d.ToString("R") + "|" + d.ToString("G17") + "|" + d.ToString("G15") + "|" + d + "|" + double.Parse(d.ToString("R")).Equals(d) + "|" + (1.0/3).ToString("G") + "|" + 1e-5.ToString("g") + "|" + 123456789012345678.0.ToString("R");`,
			"0.30000000000000004|0.30000000000000004|0.3|0.30000000000000004|True|0.3333333333333333|1e-05|1.2345678901234568E+17"},
		{`double pi = 3.141592653589793; return pi.ToString("G1") + "|" + pi.ToString("G18") + "|" + (-60.0).ToString("G1") + "|" + (-60.0).ToString("G") + "|" + double.MaxValue.ToString() + "|" + double.Epsilon.ToString("R") + "|" + (1.0/0).ToString("F2") + "|" + (0.0/0).ToString("#");`,
			"3|3.14159265358979312|-6E+01|-60|1.7976931348623157E+308|5E-324|∞|NaN"},
		// lower-case formats, precision with leading zeros, large ones
		{`return 255.ToString("x") + "|" + 1.5.ToString("e") + "|" + 1234.5.ToString("n") + "|" + 0.5.ToString("p") + "|" + 12.ToString("d005") + "|" + 32.5.ToString("F20");`,
			"ff|1.500000e+000|1,234.50|50.00 %|00012|32.50000000000000000000"},
		// custom: grouping and scaling together, literals, exponent forms
		{`return 1234567.891.ToString("#,##0.00") + "|" + 1234567.ToString("0,,.0") + "|" + 0.ToString("0.00") + "|" + 12.ToString("'#'0\"!\"") + "|" + 1234.ToString("0e0") + "|" + 0.00012.ToString("0.0e-00") + "|" + 12345.ToString("00.00E+0") + "|" + 1.ToString("x0") + 1.ToString("'x'0");`,
			"1,234,567.89|1.2|0.00|#12!|1e3|1.2e-04|12.35E+3|1x1"},
		{`return 5.ToString("00;(00)") + "|" + (-5).ToString("00;(00)") + "|" + 0.ToString(";;") + "|" + 1.ToString("") + "|" + 1.5.ToString("") + "|" + 123.456.ToString("#.#.#");`,
			"05|(05)||1|1.5|123.46"},
		// string.Format and AppendFormat go the same way
		{`return string.Format("{0:C2}|{1:N0}|{2:X}|{3:0.0%}", 1.005, 1e6, 255L, 0.1234) + "|" + new StringWriter().ToString() + string.Format(CultureInfo.InvariantCulture, "{0:E1}", 0.00015);`, "¤1.00|1,000,000|FF|12.3%|1.5E-004"},
	})
	wantExceptions(t, front, []runCase{
		{`return 1.5.ToString("D");`, "FormatException: Format specifier was invalid."},
		{`return 1.5.ToString("X");`, "FormatException: Format specifier was invalid."},
		{`return 15.ToString("R");`, "FormatException: Format specifier was invalid."},
		{`return 15.ToString("Q");`, "FormatException: Format specifier was invalid."},
		{`var f = "Y"; return 1.5.ToString(f);`, "FormatException: Format specifier was invalid."},
		{`var f = "B"; return 5.ToString(f);`, "NotSupportedException: the format 'B' is not supported"},
		{`var f = "F100"; return 5.ToString(f);`, "NotSupportedException: the format 'F100' is not supported"},
		{`return string.Format("{0:X}", -1);`, "NotSupportedException: tollgate cannot format the negative value -1 with 'X'"},
		{`object o = -1; return $"{o:x}";`, "NotSupportedException: tollgate cannot format the negative value -1 with 'x'"},
		{`return 1.ToString("F9999999999");`, "FormatException: Format specifier was invalid."},
	})
}

// TestFormatLoadErrors: a literal format tollgate cannot write is a load
// error at its place.
func TestFormatLoadErrors(t *testing.T) {
	front := fuzzFront(t)
	for _, tc := range []struct {
		src  string
		off  int
		want string
	}{
		{`return 5.ToString("B");`, 18, "the format 'B' is not supported"},
		{`return 5.ToString("b8", CultureInfo.InvariantCulture);`, 18, "the format 'b8' is not supported"},
		{`return 5.5.ToString("N120");`, 20, "the format 'N120' is not supported"},
		{`int n = 3; return $"{n:B}";`, 21, "the format 'B' is not supported"},
		{`int n = 3; return string.Format("{0} {1:x4}", "a", n) + string.Format("{0:N} {1:b}", 1.5, n);`, 70, "the format 'b' is not supported"},
		{`return string.Format(CultureInfo.InvariantCulture, "{0,5:F120}", 1.5);`, 51, "the format 'F120' is not supported"},
	} {
		_, err := front.Compile(tc.src, true)
		se, ok := err.(*SyntaxError)
		if !ok || !strings.Contains(se.Msg, tc.want) || se.Off != tc.off {
			t.Errorf("%s: %v (%#v), want %s at %d", tc.src, err, err, tc.want, tc.off)
		}
	}
	// a format that comes from a variable, or that .NET itself refuses,
	// is no load error
	for _, src := range []string{`var f = "B"; return 5.ToString(f);`, `return 5.5.ToString("Q");`, `return DateTime.UtcNow.ToString("Q");`} {
		if _, err := front.Compile(src, true); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}
