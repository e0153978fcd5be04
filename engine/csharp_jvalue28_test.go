package engine

import (
	"strings"
	"testing"
)

// TestCSharpJValueValue: JValue.Value (object), the token's CLR value as
// Json.NET's JValue.cs keeps it: a string, a long for an Integer token, a
// double for a Float, a bool, null for a JSON null (survey28 A2). A JValue
// cast, as and is refuse a JObject or JArray as .NET does.
func TestCSharpJValueValue(t *testing.T) {
	const o = `JObject.Parse("{\"a\":\"x\",\"n\":null,\"i\":5,\"big\":9007199254740993,\"f\":1.5,\"b\":true,\"o\":{},\"arr\":[1]}")`
	for _, tc := range []struct{ src, want string }{
		// survey28's proposed lines
		{`return ((JValue)JObject.Parse("{\"a\":\"x\"}")["a"]).Value.ToString();`, "x"},
		{`return (((JValue)JObject.Parse("{\"a\":null}")["a"]).Value == null).ToString();`, "True"},
		{`var o = JObject.Parse("{\"a\":5}"); return o["a"] is JValue v ? v.Value.ToString() : "no";`, "5"},
		// each token type's value
		{`var o = ` + o + `; return (string)((JValue)o["a"]).Value;`, "x"},
		{`var o = ` + o + `; return ((long)((JValue)o["i"]).Value + 1).ToString();`, "6"},
		{`var o = ` + o + `; return ((long)((JValue)o["big"]).Value).ToString();`, "9007199254740993"},
		{`var o = ` + o + `; return ((double)((JValue)o["f"]).Value * 2).ToString();`, "3"},
		{`var o = ` + o + `; return ((bool)((JValue)o["b"]).Value).ToString();`, "True"},
		{`var o = ` + o + `; return (((JValue)o["b"]).Value is bool).ToString();`, "True"},
		{`var o = ` + o + `; return (((JValue)o["i"]).Value is long).ToString();`, "True"},
		{`var o = ` + o + `; return (((JValue)o["f"]).Value is double).ToString();`, "True"},
		{`var o = ` + o + `; return (((JValue)o["f"]).Value is long).ToString();`, "False"},
		{`var o = ` + o + `; return (((JValue)o["a"]).Value is string s ? s.ToUpper() : "no");`, "X"},
		{`var o = ` + o + `; return (((JValue)o["n"]).Value ?? "null!").ToString();`, "null!"},
		// as and is: a JSON null is a JValue; a JObject, a JArray and a missing property are not
		{`var o = ` + o + `; return ((o["n"] as JValue)?.Value == null).ToString();`, "True"},
		{`var o = ` + o + `; return ((o["o"] as JValue) == null).ToString();`, "True"},
		{`var o = ` + o + `; return ((o["arr"] as JValue)?.Value ?? "none").ToString();`, "none"},
		{`var o = ` + o + `; return (o["nope"] as JValue)?.Value?.ToString() ?? "missing";`, "missing"},
		{`var o = ` + o + `; return (o["n"] is JValue).ToString() + (o["o"] is JValue) + (o["arr"] is JValue) + (o["nope"] is JValue) + (o["a"] is JValue);`, "TrueFalseFalseFalseTrue"},
		{`var o = ` + o + `; return o["o"] is JValue v ? "value" : "container";`, "container"},
		// JValue's own constructors
		{`return new JValue("s").Value.ToString();`, "s"},
		{`return (JValue.CreateNull().Value == null).ToString();`, "True"},
		{`return JValue.CreateString("t").Value.ToString();`, "t"},
		// a JValue is a JToken
		{`JValue v = (JValue)JToken.Parse("7"); JToken t = v; return t.Type.ToString() + v.Type + v.ToString();`, "IntegerInteger7"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
	// the lowered expression form
	for _, tc := range []struct{ src, want string }{
		{`((JValue)JObject.Parse("{\"a\":\"x\"}")["a"]).Value`, "x"},
		{`(((JValue)JObject.Parse("{\"a\":null}")["a"]).Value == null).ToString()`, "True"},
		{`((JObject.Parse("{\"a\":{}}")["a"] as JValue) == null).ToString()`, "True"},
		{`(JObject.Parse("{\"a\":[]}")["a"] is JValue).ToString()`, "False"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	// (JValue) of a container is an InvalidCastException; Value of a C#
	// null a NullReferenceException
	for _, tc := range []struct{ src, exc, want string }{
		{`(JValue)JObject.Parse("{\"a\":{}}")["a"]`, "InvalidCastException", "Unable to cast object of type 'Newtonsoft.Json.Linq.JObject' to type 'Newtonsoft.Json.Linq.JValue'."},
		{`((JValue)JObject.Parse("{\"a\":[1]}")["a"]).Value`, "InvalidCastException", "Unable to cast object of type 'Newtonsoft.Json.Linq.JArray' to type 'Newtonsoft.Json.Linq.JValue'."},
		{`((JValue)JObject.Parse("{}")["a"]).Value`, "NullReferenceException", "Object reference not set to an instance of an object."},
	} {
		csBothBlocks(t, `try { var v = `+tc.src+`; return "no exception"; } catch (`+tc.exc+` e) { return e.Message; }`, tc.want, nil)
		if _, err, _ := csRun(t, "@(("+tc.src+").ToString())", nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// a JToken becomes a JValue by a cast only (CS0266), a JObject never
	for _, src := range []string{
		`@{ var o = JObject.Parse("{\"a\":1}"); JValue v = o["a"]; return "x"; }`,
		`@{ JValue v = new JObject(); return "x"; }`,
	} {
		if _, err, _ := csRun(t, src, nil); err == nil || !strings.Contains(err.Error(), "cannot implicitly convert type") {
			t.Errorf("%s: %v, want a load error", src, err)
		}
	}
	csBothBlocks(t, `var a = JArray.Parse("[1,\"b\",null]"); var s = ""; foreach (JValue v in a) { s += v.Value ?? "null"; } return s;`, "1bnull", nil)
	// JToken has no Value property (CS1061), only JValue has
	if _, err, _ := csRun(t, `@(JObject.Parse("{\"a\":1}")["a"].Value)`, nil); err == nil || !strings.Contains(err.Error(), "does not contain a definition for 'Value'") {
		t.Errorf("JToken.Value: %v, want a load error", err)
	}
}
