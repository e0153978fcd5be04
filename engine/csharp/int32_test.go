package csharp

import (
	"strings"
	"testing"
)

// TestInt32Arithmetic: int is 32-bit and long 64-bit, as in .NET: an
// int's arithmetic wraps in the default (unchecked) context, checked
// throws OverflowException, numeric promotion and literal types are C#'s,
// and narrowing casts keep the low bits. The expected values are .NET's
// (C# language reference: "Integral numeric types", "Arithmetic operators",
// "checked and unchecked statements", "Built-in numeric conversions");
// hashes are the known values of the loops (Java's String.hashCode loop,
// FNV-1a's published test vectors).
func TestInt32Arithmetic(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// the reference's examples
		{`return unchecked(int.MaxValue + 1) == int.MinValue;`, "True"},
		{`int a = int.MaxValue; int b = 3; return unchecked(a + b);`, "-2147483646"},
		{`int a = int.MaxValue; int b = 3; return a + b;`, "-2147483646"},
		{`uint a = uint.MaxValue; a++; return a;`, "0"},
		{`int x = int.MaxValue; x++; return x;`, "-2147483648"},
		{`int x = int.MinValue; x--; return x;`, "2147483647"},
		{`int x = int.MinValue; return -x;`, "-2147483648"},
		{`int x = 46341; return x * x;`, "-2147479015"},
		{`long l = long.MaxValue; return l + 1;`, "-9223372036854775808"},
		{`long l = int.MaxValue; return l + 1;`, "2147483648"},
		// hash loops: "hello world".hashCode() in Java's loop, and a
		// shard picked with Math.Abs(h) % n
		{`int h = 0; foreach (var c in "hello") h = h * 31 + c; return h;`, "99162322"},
		{`int h = 0; foreach (var c in "hello world") { h = h * 31 + c; } return h;`, "1794106052"},
		{`int h = 0; foreach (char c in "backend-shard-key-000123") { h = 31 * h + c; } return Math.Abs(h) % 3;`, "2"},
		{`int h = 0; for (int i = 0; i < "user-42".Length; i++) { h = unchecked(h * 31 + "user-42"[i]); } return h;`, "-147182656"},
		{`uint h = 2166136261; foreach (char c in "a") { h ^= c; h *= 16777619; } return h;`, "3826002220"},
		{`uint h = 2166136261; foreach (char c in "foobar") { h = (h ^ c) * 16777619; } return h;`, "3214735720"},
		{`int a = -7; long b = -7; return (a % 3) + "|" + (b % 3) + "|" + (a / 2) + "|" + (int.MinValue % 3);`, "-1|-1|-3|-2"},
		// shifts: the count is masked (& 31 for int, & 63 for long)
		{`return 1 << 33;`, "2"},
		{`int s = 33; return 1 << s;`, "2"},
		{`int s = 65; return 1L << s;`, "2"},
		{`int a = 1; return a << 31;`, "-2147483648"},
		{`int a = -1; return a >> 28;`, "-1"},
		{`uint u = 0xFFFFFFFF; return u >> 28;`, "15"},
		{`int a = 0x40000000; a <<= 1; return a;`, "-2147483648"},
		{`long a = 1; a <<= 40; return a;`, "1099511627776"},
		{`uint u = 0; return ~u;`, "4294967295"},
		{`return ~0;`, "-1"},
		{`int a = 0x0F0F; int b = 0x00FF; return (a & b) + "|" + (a | b) + "|" + (a ^ b);`, "15|4095|4080"},
		// promotion: int op long is a long, int op uint a long, int op double a double
		{`int i = int.MaxValue; long l = 1; return i + l;`, "2147483648"},
		{`int i = int.MaxValue; return i + 1L;`, "2147483648"},
		{`uint u = 1; int i = -2; return u + i;`, "-1"},
		{`int i = int.MaxValue; return i + 1.0;`, "2147483648"},
		{`byte a = 200; byte b = 100; return a + b;`, "300"},
		{`char c = 'A'; return c + 1;`, "66"},
		// literal types: 2147483648 is a uint, 4294967296 a long
		{`return 2147483648 + 1;`, "2147483649"},
		{`var u = 4294967295; u++; return u;`, "0"},
		{`return 4294967296 + 1;`, "4294967297"},
		{`return 4294967295L + 1;`, "4294967296"},
		{`return 18446744073709551615UL;`, "18446744073709551615"},
		{`ulong u = ulong.MaxValue; return u + 1;`, "0"},
		{`ulong u = 10; return u / 3 + u % 3;`, "4"},
		{`return -2147483648;`, "-2147483648"},
		{`return -9223372036854775808;`, "-9223372036854775808"},
		// compound assignment converts back to the variable's type
		{`byte b = 255; b += 1; return b;`, "0"},
		{`short s = short.MaxValue; s++; return s;`, "-32768"},
		{`sbyte s = 127; s += 2; return s;`, "-127"},
		// narrowing casts keep the low bits (unchecked)
		{`long l = 4294967297; return (int)l;`, "1"},
		{`int x = 70000; return (short)x;`, "4464"},
		{`int m = -1; return (ushort)m;`, "65535"},
		{`int m = 200; return (sbyte)m;`, "-56"},
		{`int m = 300; return (byte)m;`, "44"},
		{`int m = -1; return (uint)m;`, "4294967295"},
		{`int m = -1; return (long)m;`, "-1"},
		{`int m = -1; return (ulong)m;`, "18446744073709551615"},
		{`int m = 65 + 65536; return (char)m;`, "A"},
		{`return unchecked((int)2147483648);`, "-2147483648"},
		{`return unchecked((byte)300);`, "44"},
		// double to int: toward zero; out of range, what .NET on x64 gave before .NET 9
		{`double d = 3.99; return (int)d;`, "3"},
		{`double d = -3.99; return (int)d;`, "-3"},
		{`double d = 1e10; return (int)d;`, "-2147483648"},
		{`double d = double.NaN; return (int)d;`, "-2147483648"},
		{`double d = -1e10; return (int)d;`, "-2147483648"},
		{`double d = 1e19; return (long)d;`, "-9223372036854775808"},
		{`double d = -1; return (uint)d;`, "4294967295"},
		{`double d = 300.7; return (byte)d;`, "44"},
		{`double d = 1e19; return (ulong)d;`, "10000000000000000000"},
		// checked is checked, unchecked wraps
		{`int x = int.MaxValue; return unchecked(x + 1);`, "-2147483648"},
		{`int x = int.MaxValue; unchecked { x++; } return x;`, "-2147483648"},
		{`int x = 5; return checked(x * 2);`, "10"},
		{`long l = int.MaxValue; return checked(l + 1);`, "2147483648"},
		{`int x = -1; return checked((long)x);`, "-1"},
		{`int x = int.MaxValue; return checked(unchecked(x + 1));`, "-2147483648"},
		// ranges kept by Parse and Convert; Math.Abs of a long is a long
		{`return int.Parse("2147483647") + 0L + 1;`, "2147483648"},
		{`long a = -5000000000; return Math.Abs(a);`, "5000000000"},
		{`return Math.Max(1, 5000000000);`, "5000000000"},
		{`return (long)JToken.Parse("3000000000");`, "3000000000"},
		{`return (int)JToken.Parse("2147483647");`, "2147483647"},
		{`return new[] { int.MaxValue, 1 }.Sum(x => (long)x);`, "2147483648"},
		{`return new[] { int.MaxValue, int.MinValue }.Sum();`, "-1"},
		{`return DateTime.MaxValue.Ticks;`, "3155378975999999999"},
		{`return DateTime.MaxValue.Ticks + 1;`, "3155378976000000000"},
	})
}

// TestInt32Exceptions: .NET's exceptions at run time.
func TestInt32Exceptions(t *testing.T) {
	front := fuzzFront(t)
	const ovf = "OverflowException: Arithmetic operation resulted in an overflow."
	wantExceptions(t, front, []runCase{
		{`int x = int.MaxValue; return checked(x + 1);`, ovf},
		{`int x = int.MinValue; return checked(-x);`, ovf},
		{`int x = int.MaxValue; checked { x++; } return x;`, ovf},
		{`int x = 1 << 30; checked { x *= 4; } return x;`, ovf},
		{`int x = int.MaxValue; checked { return x + 1; }`, ovf},
		{`long l = long.MaxValue; return checked(l + 1);`, ovf},
		{`long l = long.MinValue; return checked(l - 1);`, ovf},
		{`long l = long.MaxValue; return checked(l * 2);`, ovf},
		{`long l = long.MinValue; return checked(-l);`, ovf},
		{`uint u = 0; return checked(u - 1);`, ovf},
		{`ulong u = 0; return checked(u - 1);`, ovf},
		{`byte b = 255; checked { b += 1; } return b;`, ovf},
		{`long l = 4294967297; return checked((int)l);`, ovf},
		{`int m = -1; return checked((uint)m);`, ovf},
		{`int m = 300; return checked((byte)m);`, ovf},
		{`double d = 1e10; return checked((int)d);`, ovf},
		{`double d = double.NaN; return checked((long)d);`, ovf},
		{`int[] a = new[] { int.MaxValue }; return a.Select(x => checked(x + 1)).First();`, ovf},
		// in either context
		{`int a = int.MinValue; int b = -1; return a / b;`, ovf},
		{`int a = int.MinValue; int b = -1; return a % b;`, ovf},
		{`long a = long.MinValue; long b = -1; return a / b;`, ovf},
		{`int z = 0; return 1 / z;`, "DivideByZeroException: Attempted to divide by zero."},
		{`long z = 0; return 1L % z;`, "DivideByZeroException: Attempted to divide by zero."},
		{`int x = int.MinValue; return Math.Abs(x);`, "OverflowException: Negating the minimum value of a twos complement number is invalid."},
		{`return (int)JToken.Parse("3000000000");`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return (int)JObject.Parse("{\"n\": -2147483649}")["n"];`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return (byte)JToken.Parse("256");`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`return new[] { int.MaxValue, 1 }.Sum();`, ovf},
		{`return new[] { "a", "b" }.Sum(x => int.MaxValue);`, ovf},
		{`return Convert.ToInt32("2147483648");`, "OverflowException: Value was either too large or too small for an Int32."},
		{`return int.Parse("-2147483649");`, "OverflowException: Value was either too large or too small for an Int32."},
	})
}

// TestInt32LoadErrors: constant expressions are checked at load, as C#'s
// compiler does (CS0220, CS0221, CS0020), unless written in unchecked.
func TestInt32LoadErrors(t *testing.T) {
	front := fuzzFront(t)
	for _, tc := range []struct {
		src, want string
		off       int
	}{
		{`return int.MaxValue + 1;`, "the operation overflows at compile time in checked mode", 20},
		{`return int.MaxValue * 2;`, "the operation overflows at compile time in checked mode", 20},
		{`return 0x7FFFFFFF + 1;`, "the operation overflows at compile time in checked mode", 18},
		{`return 4294967295 + 1;`, "the operation overflows at compile time in checked mode", 18},
		{`return -int.MinValue;`, "the operation overflows at compile time in checked mode", 7},
		{`return -(-2147483648);`, "the operation overflows at compile time in checked mode", 7},
		{`return 5u - 6u;`, "the operation overflows at compile time in checked mode", 10},
		{`const int k = 1 << 30; return k * 4;`, "the operation overflows at compile time in checked mode", 32},
		{`return long.MaxValue + 1;`, "the operation overflows at compile time in checked mode", 21},
		{`return int.MinValue / -1;`, "the operation overflows at compile time in checked mode", 20},
		{`return checked(int.MaxValue + 1);`, "the operation overflows at compile time in checked mode", 28},
		{`return (short)70000;`, "constant value '70000' cannot be converted to a 'short'", 7},
		{`return (byte)-1;`, "constant value '-1' cannot be converted to a 'byte'", 7},
		{`return (uint)-1;`, "constant value '-1' cannot be converted to a 'uint'", 7},
		{`return 1 / 0;`, "division by constant zero", 9},
		{`int x = 5; return x % 0;`, "division by constant zero", 20},
		{`byte b = 256; return b;`, "cannot implicitly convert type 'int' to 'byte'", 9},
		{`long l = 1; int i = l; return i;`, "cannot implicitly convert type 'long' to 'int'", 20},
		{`ulong u = 1; long l = 1; return u + l;`, "operator '+' is ambiguous on operands of type 'ulong' and 'long'", 34},
		{`ulong u = 1; return -u;`, "operator '-' cannot be applied to operand of type 'ulong'", 20},
		{`int x = 1; x += 1L; return x;`, "cannot implicitly convert type 'long' to 'int'", 16},
		{`byte[] b = new byte[1]; int v = 300; b[0] = v; return b[0];`, "cannot implicitly convert type 'int' to 'byte'", 44},
	} {
		_, err := front.Compile(tc.src, true)
		se, ok := err.(*SyntaxError)
		if !ok || !strings.Contains(se.Msg, tc.want) || se.Off != tc.off {
			t.Errorf("%s: %v (at %d), want %q at %d", tc.src, err, offOf(err), tc.want, tc.off)
		}
	}
	// unchecked lets a constant wrap
	for _, src := range []string{`return unchecked(int.MaxValue + 1);`, `unchecked { return int.MaxValue + 1; }`,
		`return unchecked((short)70000);`, `byte b = 255; return b;`, `const uint Life = 60 * 20; return Life;`} {
		if _, err := front.Compile(src, true); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

func offOf(err error) int {
	if se, ok := err.(*SyntaxError); ok {
		return se.Off
	}
	return -1
}

// excText is "Type: message" of a .NET exception.
func excText(err error) string {
	if e, ok := err.(*Exception); ok {
		return e.Type + ": " + e.Msg
	}
	if err == nil {
		return "no exception"
	}
	return err.Error()
}
