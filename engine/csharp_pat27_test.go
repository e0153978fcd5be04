package engine

import (
	"strings"
	"testing"
)

// TestCSharpConstantPatterns: C#'s constant and null patterns with is
// (`s is "x"`, `n is 3`, `x is null`, `x is not null`, `s is not "x"`):
// on a typed operand they compare as == does (a null string is not "x",
// without an exception; an int? null is not 3); on an object the value
// must have the constant's type, as `is T` tests it (an int is not "42",
// a string not 42). Each text runs lowered (or interpreted where it
// must be) and inside a try block on the interpreter.
func TestCSharpConstantPatterns(t *testing.T) {
	set := func(s *State) {
		v := s.Variables()
		v["l"], v["neg"] = int64(42), -1
	}
	for _, tc := range []struct{ src, want string }{
		{`"x" is "x"`, "true"},
		{`context.Variables.GetValueOrDefault<string>("s") is "hello"`, "true"},
		{`context.Variables.GetValueOrDefault<string>("s") is "Hello"`, "false"},
		{`context.Variables.GetValueOrDefault<string>("s") is not "hello"`, "false"},
		{`context.Variables.GetValueOrDefault<string>("s") is not "x"`, "true"},
		{`context.Product?.Name is "x"`, "false"}, // null: false, no exception
		{`context.Product?.Name is not "x"`, "true"},
		{`context.Product?.Name is null`, "true"},
		{`context.Product?.Name is not null`, "false"},
		{`context.Api.Name is not null`, "true"},
		{`context.Api.Name is "echo" && context.Api.Name is not "x"`, "true"},
		{`(int)context.Variables["n"] is 42`, "true"},
		{`(int)context.Variables["n"] is 3`, "false"},
		{`(int)context.Variables["n"] is not 3`, "true"},
		{`(int)context.Variables["neg"] is -1`, "true"},
		{`(long)context.Variables["l"] is 42`, "true"}, // the constant converts to long
		{`(double)context.Variables["f"] is 2.5`, "true"},
		{`(bool)context.Variables["b"] is true`, "true"},
		{`(bool)context.Variables["b"] is false`, "false"},
		{`((int?)context.Variables["missing"]) is 3`, "false"},
		{`((int?)context.Variables["n"]) is 42`, "true"},
		{`((int?)context.Variables["missing"]) is null`, "true"},
		{`"abc"[1] is 'b'`, "true"},
		// an object: the value has the constant's type, or it is not it
		{`context.Variables["n"] is 42`, "true"},
		{`context.Variables["n"] is not 42`, "false"},
		{`context.Variables["n"] is 43`, "false"},
		{`context.Variables["n"] is "42"`, "false"},
		{`context.Variables["s"] is 42`, "false"},
		{`context.Variables["s"] is "hello"`, "true"},
		{`context.Variables["s"] is not "hello"`, "false"},
		{`context.Variables["f"] is 2.5`, "true"},
		{`context.Variables["b"] is true`, "true"},
		{`context.Variables["neg"] is -1`, "true"},
		{`context.Variables["missing"] is 42`, "false"},
		{`context.Variables["missing"] is "x"`, "false"},
		{`context.Variables["missing"] is null`, "true"},
		{`context.Variables["s"] is string`, "true"},
		{`context.Variables["s"] is null`, "false"},
	} {
		csBothPaths(t, tc.src, tc.want, set)
	}
	csBothBlocks(t, `var s = "b"; switch (s) { case "a": return "A"; case "b": return "B"; default: return "D"; }`, "B", nil)
	csBothBlocks(t, `object o = context.Variables["s"]; if (o is string s) { return s.Length; } return 0;`, "5", nil)
	csBothBlocks(t, `object o = context.Variables["n"]; if (o is 42) { return "yes"; } return "no";`, "yes", nil)
	// CS8121: a pattern does not use user-defined or implicit conversions
	// from another kind (a string pattern on an int, a JToken against a string)
	for _, src := range []string{
		`@("a" is 3)`,
		`@((int)context.Variables["n"] is "3")`,
		`@(JObject.Parse("{}")["a"] is "x")`,
	} {
		_, errs := csCompileErr(t, src)
		if !strings.Contains(errs, "cannot be handled by a pattern") {
			t.Errorf("%s: want a pattern load error, got %q", src, errs)
		}
	}
}

func csCompileErr(t *testing.T, src string) (*Plan, string) {
	t.Helper()
	plan, _, errs := csCompile(t, src)
	if len(errs) == 0 {
		return plan, ""
	}
	return plan, errs.Error()
}

// TestCSharpPatternsNotThere: a named constant and the pattern
// combinators stay load errors.
func TestCSharpPatternsNotThere(t *testing.T) {
	for _, src := range []string{
		`@(DateTime.Now.DayOfWeek is DayOfWeek.Monday)`,
		`@(context.Variables["n"] is 1 or 2)`,
		`@((int)context.Variables["n"] is > 2)`,
	} {
		if _, errs := csCompileErr(t, src); errs == "" {
			t.Errorf("%s: want a load error", src)
		}
	}
}

// TestCSharpNullableTokenValues: token.Value<T?>(), Value<T?>(key) and
// ToObject<T?>() for int?, long?, double?, bool?, DateTime?...: null for
// a missing property or a JSON null (Json.NET's Extensions.Convert and
// explicit operators), the value otherwise; and Guid?'s Nullable members.
func TestCSharpNullableTokenValues(t *testing.T) {
	const o = `JObject.Parse("{\"i\":1,\"l\":5000000000,\"d\":2.5,\"b\":true,\"t\":\"2024-01-02T03:04:05Z\",\"n\":null}")`
	for _, tc := range []struct{ src, want string }{
		{o + `.Value<int?>("i").Value`, "1"},
		{o + `.Value<int?>("i").ToString()`, "1"},
		{o + `.Value<int?>("n") == null`, "true"},
		{o + `.Value<int?>("nope") == null`, "true"},
		{o + `.Value<int?>("nope").HasValue`, "false"},
		{o + `.Value<int?>("nope").GetValueOrDefault(7)`, "7"},
		{o + `["i"].Value<int?>().Value`, "1"},
		{o + `["n"].Value<int?>().HasValue`, "false"},
		{o + `["nope"]?.Value<int?>() ?? -1`, "-1"},
		{o + `["i"].ToObject<int?>().Value`, "1"},
		{o + `["n"].ToObject<int?>() == null`, "true"},
		{o + `.Value<long?>("l").Value`, "5000000000"},
		{o + `.Value<long?>("n").HasValue`, "false"},
		{o + `["l"].ToObject<long?>().Value`, "5000000000"},
		{o + `.Value<double?>("d").Value`, "2.5"},
		{o + `["d"].ToObject<double?>() == 2.5`, "true"},
		{o + `.Value<double?>("nope") == null`, "true"},
		{o + `.Value<bool?>("b").Value`, "true"},
		{o + `.Value<bool?>("n").HasValue`, "false"},
		{o + `["b"].ToObject<bool?>() == true`, "true"},
		{o + `.Value<DateTime?>("t").Value.Year`, "2024"},
		{o + `.Value<DateTime?>("n").HasValue`, "false"},
		{o + `["t"].ToObject<DateTime?>().Value.Hour`, "3"},
		{o + `["n"].ToObject<DateTime?>().HasValue`, "false"},
		{`((Guid?)Guid.Empty).HasValue`, "true"},
		{`((Guid?)Guid.Empty).Value.ToString()`, "00000000-0000-0000-0000-000000000000"},
		{`((Guid?)null).HasValue`, "false"},
		{`((Guid?)null).GetValueOrDefault() == Guid.Empty`, "true"},
		{`((Guid?)Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff")).Value.ToString("N")`, "6f9619ff8b86d011b42d00c04fc964ff"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	// Value<int> (not nullable) of a JSON null is still Convert.ChangeType's
	// InvalidCastException, and Guid?'s Value of null .NET's
	// InvalidOperationException
	csBothBlocks(t, `try { return `+o+`.Value<int>("n"); } catch (InvalidCastException e) { return e.Message; }`,
		"Null object cannot be converted to a value type.", nil)
	csBothBlocks(t, `Guid? g = null; try { return g.Value; } catch (InvalidOperationException e) { return e.Message; }`,
		"Nullable object must have a value.", nil)
}

// TestCSharpSizedValueArrays: new DateTime[n], new Guid[n], new
// TimeSpan[n] and new DateTimeOffset[n] hold their type's default
// (DateTime.MinValue, Guid.Empty, TimeSpan.Zero, DateTimeOffset.MinValue),
// and take elements as other arrays do.
func TestCSharpSizedValueArrays(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`new DateTime[2].Length`, "2"},
		{`new DateTime[2][0] == DateTime.MinValue`, "true"},
		{`new DateTime[2][1].Ticks`, "0"},
		{`new DateTime[1][0].Kind.ToString()`, "Unspecified"},
		{`new DateTime[1][0].ToString("o")`, "0001-01-01T00:00:00.0000000"},
		{`new Guid[3][2] == Guid.Empty`, "true"},
		{`new Guid[1][0].ToString()`, "00000000-0000-0000-0000-000000000000"},
		{`new TimeSpan[3][2] == TimeSpan.Zero`, "true"},
		{`new TimeSpan[1][0].TotalSeconds`, "0"},
		{`new DateTimeOffset[1][0] == DateTimeOffset.MinValue`, "true"},
		{`new TimeSpan[0].Length`, "0"},
		{`new DateTime?[1][0] == null`, "true"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	csBothBlocks(t, `var a = new TimeSpan[2]; a[1] = TimeSpan.FromSeconds(90); return (a[0] + a[1]).ToString();`, "00:01:30", nil)
	csBothBlocks(t, `var a = new Guid[2]; a[0] = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"); return a.Count(g => g == Guid.Empty);`, "1", nil)
	csBothBlocks(t, `var a = new DateTime[2]; a[1] = new DateTime(2024, 1, 2); return a.Max().Year;`, "2024", nil)
	csBothBlocks(t, `try { var a = new Guid[2]; return a[2].ToString(); } catch (IndexOutOfRangeException e) { return e.Message; }`,
		"Index was outside the bounds of the array.", nil)
}

// TestCSharpTokenTextToInt: a JToken holding a text converts to an
// integral type as Json.NET's explicit operators and Value<T> do, through
// Convert.ToInt32/ToInt64 (int.Parse's rules): an empty or non-numeric
// text is a FormatException, not an OverflowException; a text past the
// range is the OverflowException of the type.
func TestCSharpTokenTextToInt(t *testing.T) {
	const o = `JObject.Parse("{\"e\":\"\",\"x\":\"abc\",\"n\":\" 42 \",\"m\":\"-7\",\"big\":\"3000000000\",\"n2\":null}")`
	for _, tc := range []struct{ src, want string }{
		{`(int?)` + o + `["n"]`, "42"},
		{`(int)` + o + `["m"]`, "-7"},
		{`(long?)` + o + `["big"]`, "3000000000"},
		{`(int?)` + o + `["n2"] == null`, "true"},
		{o + `.Value<int>("n")`, "42"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ expr, want string }{
		{`(int?)` + o + `["e"]`, "FormatException: The input string '' was not in a correct format."},
		{`(int)` + o + `["e"]`, "FormatException: The input string '' was not in a correct format."},
		{`(long?)` + o + `["x"]`, "FormatException: The input string 'abc' was not in a correct format."},
		{o + `.Value<int?>("e")`, "FormatException: The input string '' was not in a correct format."},
		{o + `["e"].ToObject<int>()`, "FormatException: The input string '' was not in a correct format."},
		{`(int?)` + o + `["big"]`, "OverflowException: Value was either too large or too small for an Int32."},
		{`(byte)JToken.Parse("\"300\"")`, "OverflowException: Value was either too large or too small for an unsigned byte."},
		{`(ulong)JToken.Parse("\"18446744073709551615\"")`, "18446744073709551615"},
	} {
		csBothBlocks(t, `try { return (`+tc.expr+`).ToString(); } catch (FormatException e) { return "FormatException: " + e.Message; } catch (OverflowException e) { return "OverflowException: " + e.Message; }`, tc.want, nil)
	}
}

// TestCSharpIsBoxedNumber: `is` on an object tests the boxed value's own
// type: a double is not an int (so `o is 2` of a 2.0 is false, as in C#),
// an int not a double, a one-character string not a number.
func TestCSharpIsBoxedNumber(t *testing.T) {
	set := func(s *State) { v := s.Variables(); v["d2"], v["one"] = 2.0, "1" }
	for _, tc := range []struct{ src, want string }{
		{`context.Variables["f"] is int`, "false"},
		{`context.Variables["d2"] is 2`, "false"},
		{`context.Variables["d2"] is 2.0`, "true"},
		{`context.Variables["d2"] is double`, "true"},
		{`context.Variables["n"] is double`, "false"},
		{`context.Variables["n"] is 42.0`, "false"},
		{`context.Variables["n"] is int`, "true"},
		{`context.Variables["one"] is int`, "false"},
		{`context.Variables["one"] is string`, "true"},
		{`(context.Variables["d2"] as int?) == null`, "true"},
		{`(context.Variables["n"] as int?) == 42`, "true"},
	} {
		csBothPaths(t, tc.src, tc.want, set)
	}
	csBothBlocks(t, `object o = context.Variables["f"]; if (o is int i) { return "int " + i; } if (o is double d) { return "double " + d; } return "?";`, "double 2.5", nil)
}
