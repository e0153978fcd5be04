package engine

import (
	"strings"
	"testing"
)

// TestCSharpNullStringEquality: C#'s string == and != with a null operand
// (false for ==, true for !=, null == null true), wherever a string that
// may be null meets a typed string operator in the lowered program: a ?.
// chain of the context (no product, no user here), a cast of null, a
// local, a ternary, a switch, a lambda's parameter, s.Equals(x). The
// survey of real policies found `context.Product?.Name != "Unlimited"`
// failing with "interface conversion: interface {} is nil, not string" on
// every call without a product. Each text runs lowered and on the
// interpreter.
func TestCSharpNullStringEquality(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// the survey's lines (A1)
		{`(context.Product?.Name != "Unlimited").ToString()`, "True"},
		{`((string)null == "a").ToString()`, "False"},
		{`(context.User?.Id == "u").ToString()`, "False"},
		{`context.Subscription?.Name != "x"`, "true"},
		{`"Unlimited" != context.Product?.Name`, "true"},
		{`context.Product?.Name == "Unlimited"`, "false"},
		{`context.Product?.Name == context.User?.Id`, "true"}, // null == null
		{`context.Product?.Name != context.User?.Id`, "false"},
		{`(string)null == (string)null`, "true"},
		{`context.Product?.Name == null`, "true"},
		{`context.Operation?.Name == "x"`, "false"},
		{`context.LastError?.Message != "x"`, "true"},
		{`context.Workspace?.Name == "x"`, "false"},
		{`context.Product?.Name?.ToUpper() == "A"`, "false"},
		{`context.Variables.GetValueOrDefault<string>("nope") == "v"`, "false"},
		{`(string)context.Variables.GetValueOrDefault("nope") != "v"`, "true"},
		{`(true ? context.Product?.Name : "a") == "a"`, "false"},
		{`(false ? "a" : context.Product?.Name) != "a"`, "true"},
		{`"abc".Equals(context.Product?.Name)`, "false"},
		{`new[] {"a", context.Product?.Name}.Where(x => x == "a").Count()`, "1"},
		{`new[] {"a", context.Product?.Name}.Count(x => x != "a")`, "1"},
		{`new List<string> {"a", null, "b"}.Where(x => x != "b").Count()`, "2"},
		// non-null operands keep working, typed or not
		{`context.Api.Name == "echo"`, "true"},
		{`(context.Api.Name + "!") != "echo!"`, "false"},
		{`context.Request.Headers.GetValueOrDefault("nope") == ""`, "false"}, // null since survey28 A1
		{`context.Request.Headers.GetValueOrDefault("nope", "") == ""`, "true"},
		// the other places a null string meets a string operator: C#'s
		// concatenation takes null as "", interpolation too, string.Compare
		// orders null first, string.Equals compares
		{`context.Product?.Name + "x"`, "x"},
		{`$"[{context.Product?.Name}]"`, "[]"},
		{`$"[{context.Product?.Name,3}]"`, "[   ]"},
		{`string.Compare(context.Product?.Name, "a")`, "-1"},
		{`string.Compare(context.Product?.Name, context.User?.Id)`, "0"},
		{`string.Equals(context.Product?.Name, null)`, "true"},
		{`string.Concat(context.Product?.Name, "b")`, "b"},
		{`context.Product?.Name ?? "d"`, "d"},
		{`"a".CompareTo(context.Product?.Name)`, "1"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		{`var s = context.Product?.Name; if (s == "a") { return 1; } return s != "b" ? 2 : 3;`, "2"},
		{`string s = null; return s != "a";`, "true"},
		{`string s = null; string u = null; return s == u;`, "true"},
		{`switch (context.Product?.Name) { case "a": return 1; case null: return 2; default: return 3; }`, "2"},
		{`switch (context.User?.Email) { case "a": return 1; default: return 3; }`, "3"},
		{`var p = context.Product?.Name; return "abc".Equals(p);`, "false"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	// with a product and a user, the same texts compare their names
	fill := func(s *State) {
		s.ctx.Product = &Product{Id: "unlimited", Name: "Unlimited"}
		s.ctx.User = &User{Id: "u"}
	}
	for _, tc := range []struct{ src, want string }{
		{`(context.Product?.Name != "Unlimited").ToString()`, "False"},
		{`(context.User?.Id == "u").ToString()`, "True"},
		{`context.Product?.Name == context.User?.Id`, "false"},
		{`"Unlimited".Equals(context.Product?.Name)`, "true"},
	} {
		csBothPaths(t, tc.src, tc.want, fill)
	}
	// a null argument of a string method is .NET's ArgumentNullException
	for _, src := range []string{`"abc".StartsWith(context.Product?.Name)`, `"abc".Contains((string)null)`, `"abc".EndsWith(context.User?.Id)`} {
		for _, text := range []string{"@(" + src + ")", "@{ try { return " + src + "; } finally { } }"} {
			_, err, _ := csRun(t, text, nil)
			if err == nil || !strings.Contains(err.Error(), "Value cannot be null. (Parameter 'value')") {
				t.Errorf("%s: %v, want ArgumentNullException", text, err)
			}
		}
	}
}

// TestCSharpNullableJTokenConversions: Json.NET's explicit conversions to
// a nullable type ((int?)token, (bool?), (DateTime?), (Guid?)...) give
// null for a null token (a missing property, a ?. chain that stopped) and
// for a JSON null; the non-nullable ones keep Json.NET's exception.
func TestCSharpNullableJTokenConversions(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// the survey's lines (A2)
		{`((int?)JObject.Parse("{}")["x"] == null).ToString()`, "True"},
		{`((int?)JObject.Parse("{\"x\":null}")["x"] == null).ToString()`, "True"},
		{`((bool?)JObject.Parse("{}")["x"] != true).ToString()`, "True"},
		{`((int?)JObject.Parse("{\"x\":5}")["x"]).ToString()`, "5"},
		{`(int?)JObject.Parse("{}")["x"]?["y"] ?? 9`, "9"},
		{`(long?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(double?)JObject.Parse("{\"x\":null}")["x"] == null`, "true"},
		{`(float?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(decimal?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(bool?)JObject.Parse("{\"x\":null}")["x"] == null`, "true"},
		{`(DateTime?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(DateTimeOffset?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(Guid?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(uint?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(short?)JObject.Parse("{\"x\":null}")["x"] == null`, "true"},
		{`(byte?)JObject.Parse("{}")["x"] == null`, "true"},
		{`(int?)(JToken)null == null`, "true"},
		{`(string)JObject.Parse("{\"x\":null}")["x"] == null`, "true"},
		{`(string)JObject.Parse("{}")["x"] == null`, "true"},
		{`((bool?)JObject.Parse("{\"x\":true}")["x"]).Value`, "true"},
		// (Guid) and (Guid?) of a token: its text or its 16 bytes
		{`((Guid)JObject.Parse("{\"x\":\"5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e\"}")["x"]).ToString()`, "5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e"},
		{`((Guid?)JObject.Parse("{\"x\":\"{5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e}\"}")["x"]).ToString()`, "5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e"},
		{`((Guid)new JValue(Guid.Parse("5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e").ToByteArray())).ToString()`, "5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		// the survey's chain: a Responses-API body counts its input_tokens
		{`var b = JObject.Parse("{\"u\":{\"i\":7}}"); return ((int?)b["u"]["p"] ?? (int?)b["u"]["i"] ?? 0).ToString();`, "7"},
		{`var b = JObject.Parse("{\"usage\":{\"input_tokens\":12}}"); return (int?)b?["usage"]?["prompt_tokens"] ?? (int?)b?["usage"]?["input_tokens"] ?? 0;`, "12"},
		{`var b = JObject.Parse("{}"); return (int?)b?["usage"]?["prompt_tokens"] ?? (int?)b?["usage"]?["input_tokens"] ?? 0;`, "0"},
		{`var b = JObject.Parse("{\"allowed\":null}"); if ((bool?)b["allowed"] != true) { return "denied"; } return "ok";`, "denied"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	// the non-nullable conversions keep Json.NET's exceptions
	for _, tc := range []struct{ src, want string }{
		{`(int)JObject.Parse("{}")["x"]`, "Value cannot be null."},
		// a JSON null is a JValue null: JToken.cs's explicit operator int
		// throws ArgumentException "Can not convert Null to Int32."
		// (Src/Newtonsoft.Json/Linq/JToken.cs), a missing one (C# null) the
		// ArgumentNullException of EnsureValue
		{`(int)JObject.Parse("{\"x\":null}")["x"]`, "Can not convert Null to Int32."},
		{`(bool)JObject.Parse("{\"x\":null}")["x"]`, "Can not convert Null to Boolean."},
		{`(Guid)JObject.Parse("{\"x\":null}")["x"]`, "Can not convert Null to Guid."},
		{`(bool)JObject.Parse("{}")["x"]`, "Can not convert Null to Boolean."},
		{`(Guid)JObject.Parse("{}")["x"]`, "Value cannot be null."},
		{`(Guid)JObject.Parse("{\"x\":\"nope\"}")["x"]`, "Unrecognized Guid format."},
		{`(Guid)JObject.Parse("{\"x\":1}")["x"]`, "Can not convert Integer to Guid."},
		{`(int?)JObject.Parse("{\"x\":[1]}")["x"]`, "Can not convert Array to Int32."},
	} {
		for _, text := range []string{"@(" + tc.src + ")", "@{ try { return " + tc.src + "; } finally { } }"} {
			_, err, _ := csRun(t, text, nil)
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", text, err, tc.want)
			}
		}
	}
}

// TestCSharpOrDefaultStructs: FirstOrDefault, LastOrDefault,
// SingleOrDefault, ElementAtOrDefault and DefaultIfEmpty give default(T)
// where nothing matched; for a dictionary's KeyValuePair, a struct, that
// is a pair whose Key is null and whose Value is default(V), not null
// (the survey's tracing policy failed on every request without a
// traceparent header). The same for other value types: 0, DateTime's
// MinValue, Guid.Empty, TimeSpan.Zero, DayOfWeek.Sunday.
func TestCSharpOrDefaultStructs(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// the survey's lines (A3)
		{`(context.Request.Headers.FirstOrDefault(h => h.Key == "nope").Value == null).ToString()`, "True"},
		{`(context.Request.Headers.FirstOrDefault(h => h.Key == "nope").Key == null).ToString()`, "True"},
		{`context.Request.Headers.LastOrDefault(h => h.Key == "nope").Key == null`, "true"},
		{`context.Request.Headers.SingleOrDefault(h => h.Key == "nope").Value == null`, "true"},
		{`context.Request.Headers.ElementAtOrDefault(99).Key == null`, "true"},
		{`context.Request.Headers.Where(h => h.Key == "nope").DefaultIfEmpty().First().Key == null`, "true"},
		{`context.Request.Headers.FirstOrDefault(h => h.Key == "nope").ToString()`, "[, ]"},
		{`context.Request.Url.Query.FirstOrDefault(q => q.Key == "nope").Value == null`, "true"},
		{`context.Variables.FirstOrDefault(v => v.Key == "nope").Value == null`, "true"},
		{`new Dictionary<string, int>().FirstOrDefault().Value`, "0"},
		{`new Dictionary<string, int> { { "a", 1 } }.FirstOrDefault(x => x.Key == "b").Key == null`, "true"},
		{`new Dictionary<string, string> { { "a", "x" } }.LastOrDefault(x => x.Value == "y").Value == null`, "true"},
		{`new Dictionary<string, decimal>().FirstOrDefault().Value`, "0"},
		{`new List<KeyValuePair<string, bool>>().FirstOrDefault().Value`, "false"},
		{`default(KeyValuePair<string, string>).Key == null`, "true"},
		{`default(KeyValuePair<string, int>).Value`, "0"},
		{`new KeyValuePair<string, string>(null, "v").Key == null`, "true"},
		// a match is the pair itself
		{`context.Request.Headers.FirstOrDefault(h => h.Key == "X-Multi").Value[1]`, "b"},
		{`context.Request.Headers.FirstOrDefault(h => h.Key == "X-Multi").Key`, "X-Multi"},
		// other value types
		{`new int[0].FirstOrDefault()`, "0"},
		{`new int[0].DefaultIfEmpty().First()`, "0"},
		{`new List<DateTime>().FirstOrDefault() == DateTime.MinValue`, "true"},
		{`new List<Guid>().FirstOrDefault() == Guid.Empty`, "true"},
		{`default(Guid).ToString()`, "00000000-0000-0000-0000-000000000000"},
		{`new List<TimeSpan>().LastOrDefault() == TimeSpan.Zero`, "true"},
		{`new List<DayOfWeek>().FirstOrDefault().ToString()`, "Sunday"},
		{`new List<bool>().SingleOrDefault()`, "false"},
		{`new List<int?>().FirstOrDefault() == null`, "true"},
		{`new List<Tuple<int, string>>().FirstOrDefault() == null`, "true"}, // System.Tuple is a class
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	// the survey's policy (055): make a traceparent when there is none
	block := `var h = context.Request.Headers.FirstOrDefault(x => x.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase)); if (h.Value == null || h.Value.Length == 0) { return "new"; } return h.Value[0];`
	csBothBlocks(t, block, "new", nil)
	csBothBlocks(t, block, "00-abc-01", func(s *State) { s.ctx.Request.Headers["Traceparent"] = []string{"00-abc-01"} })
}

// TestCSharpCoalesceReferences: ?? and ??= give the object itself, not
// expr's dereferenced copy of it, which JObject's members did not know.
func TestCSharpCoalesceReferences(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`(context.Request.Body.As<JObject>()["address"] ?? new JObject())["city"]`, "London"},
		{`(context.Request.Body.As<JObject>()["nope"] ?? new JObject { ["city"] = "Paris" })["city"]`, "Paris"},
		{`(context.Variables.GetValueOrDefault<List<string>>("nope") ?? new List<string> { "x" }).Count`, "1"},
		{`(context.Subscription ?? null) == null`, "true"},
		{`(int?)context.Variables["nope"] ?? 3`, "3"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	csBothBlocks(t, `var o = (JObject)context.Request.Body.As<JObject>()["address"]; o ??= new JObject(); o["z"] = 2; return o.ToString(Formatting.None);`, `{"city":"London","z":2}`, nil)
	csBothBlocks(t, `JObject o = null; o ??= new JObject { ["a"] = 1 }; return o["a"];`, "1", nil)
}

// TestCSharpOrderNullStrings: ordering strings that hold a null puts it
// first, as Comparer<string>.Default does, whichever side it is met on.
func TestCSharpOrderNullStrings(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`new[] {"b", null, "a"}.OrderBy(x => x).First() == null`, "true"},
		{`string.Join(",", new[] {"b", "a", null}.OrderBy(x => x))`, ",a,b"},
		{`string.Join(",", new[] {null, "b", "a"}.OrderByDescending(x => x))`, "b,a,"},
		{`new[] {"b", context.Product?.Name}.Max()`, "b"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
}

// TestCSharpJTokenValueMissing: Json.NET's token.Value<T>(key) gives
// default(T) for a missing property (0, false, DateTime.MinValue; null for
// a string or a token), not null, which broke int arithmetic and bool
// conditions; a JSON null there is its InvalidCastException for a value
// type.
func TestCSharpJTokenValueMissing(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`JObject.Parse("{}").Value<int>("x")`, "0"},
		{`JObject.Parse("{}").Value<int>("x") + 1`, "1"},
		{`JObject.Parse("{}").Value<long>("x") == 0`, "true"},
		{`JObject.Parse("{}").Value<double>("x")`, "0"},
		{`JObject.Parse("{}").Value<bool>("x") ? 1 : 2`, "2"},
		{`JObject.Parse("{}").Value<DateTime>("x") == DateTime.MinValue`, "true"},
		{`JObject.Parse("{}").Value<decimal>("x")`, "0"},
		{`JObject.Parse("{}").Value<string>("x") == null`, "true"},
		{`JObject.Parse("{}").Value<JObject>("x") == null`, "true"},
		{`JObject.Parse("{\"x\":null}").Value<string>("x") == null`, "true"},
		{`JObject.Parse("{\"x\":4}").Value<int>("x") + 1`, "5"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, text := range []string{`@(JObject.Parse("{\"x\":null}").Value<int>("x"))`, `@{ try { return JObject.Parse("{\"x\":null}").Value<bool>("x"); } finally { } }`} {
		_, err, _ := csRun(t, text, nil)
		if err == nil || !strings.HasSuffix(err.Error(), "Null object cannot be converted to a value type.") {
			t.Errorf("%s: %v, want InvalidCastException", text, err)
		}
	}
}
