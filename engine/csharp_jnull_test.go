package engine

import (
	"strings"
	"testing"

	"tollgate/engine/csharp"
)

// A JSON null is Json.NET's JValue null, not C#'s null: JToken.ReadFrom
// makes JsonToken.Null a JValue.CreateNull() (Src/Newtonsoft.Json/Linq/
// JToken.cs), JProperty.Value's setter stores `value ?? JValue.CreateNull()`
// (JProperty.cs) and JContainer.CreateFromContent(null) is new JValue(null)
// (JContainer.cs). So `body["error"] != null` is true for {"error": null}
// (a reference comparison: JToken has no == operator), its Type is
// JTokenType.Null, ToString() is "" (JValue.cs), and the explicit
// conversions follow JToken.cs: null for string and the nullable types,
// ArgumentException "Can not convert Null to Int32." for the others. A
// missing property stays C#'s null. Each case runs lowered and on the
// interpreter.
const jnullBody = `JObject.Parse("{\"error\":null,\"id\":\"7\",\"items\":[1,null,3],\"usage\":{\"input_tokens\":null}}")`

func TestCSharpJSONNullIsJValue(t *testing.T) {
	b := jnullBody
	for _, tc := range []struct{ src, want string }{
		// comparisons with C#'s null: a JValue null is a token
		{b + `["error"] != null`, "true"},
		{b + `["error"] == null`, "false"},
		{b + `["nope"] == null`, "true"}, // a missing property is C#'s null, as in Json.NET
		{b + `["error"] is JValue`, "true"},
		{b + `["error"] is JObject`, "false"},
		{`(` + b + `["error"] is null)`, "false"},
		{`(` + b + `["nope"] is null)`, "true"},
		// Type, HasValues, ToString, Children
		{b + `["error"].Type == JTokenType.Null`, "true"},
		{b + `["error"].Type.ToString()`, "Null"},
		{b + `["error"].HasValues`, "false"},
		{b + `["error"].ToString()`, ""},
		{b + `["error"].ToString(Formatting.None)`, "null"},
		{b + `["error"].Children().Count()`, "0"},
		{b + `["error"].Count()`, "0"}, // a JToken is the sequence of its children: a JValue has none
		{b + `["error"].ToObject<List<int>>() == null`, "true"},
		{b + `["error"].ToObject<object[]>() == null`, "true"},
		{b + `["error"].DeepClone().Type.ToString()`, "Null"},
		// text: concatenation and interpolation write "" (JValue.ToString())
		{`"x" + ` + b + `["error"]`, "x"},
		{`$"[{` + b + `["error"]}]"`, "[]"},
		{`string.IsNullOrEmpty((string)` + b + `["error"])`, "true"},
		// conversions that allow null (JToken.cs: ValidateToken's nullable)
		{`(string)` + b + `["error"] == null`, "true"},
		{`(int?)` + b + `["error"] == null`, "true"},
		{`((int?)` + b + `["usage"]?["input_tokens"] ?? 5)`, "5"},
		{`(bool?)` + b + `["error"] == null`, "true"},
		{`(DateTime?)` + b + `["error"] == null`, "true"},
		// Value<T> and ToObject<T> (Extensions.Convert: the token for
		// JToken, Convert.ChangeType's null for a reference type)
		{b + `["error"].Value<string>() == null`, "true"},
		{b + `["error"].Value<int?>() == null`, "true"},
		{b + `["error"].ToObject<int?>() == null`, "true"},
		{b + `["error"].ToObject<string>() == null`, "true"},
		{b + `["error"].ToObject<object>() == null`, "true"},
		{b + `.Value<string>("error") == null`, "true"},
		{b + `.Value<JToken>("error").Type.ToString()`, "Null"},
		{b + `.GetValue("error").Type.ToString()`, "Null"},
		{b + `.Property("error").Value.Type.ToString()`, "Null"},
		// ?? keeps a JValue null (it is no C# null); ?. reads a missing one
		{`(` + b + `["error"] ?? JValue.CreateString("none")).Type.ToString()`, "Null"},
		{`(` + b + `["nope"] ?? JValue.CreateString("none")).ToString()`, "none"},
		{`(string)` + b + `["nope"]?["x"] == null`, "true"},
		// JValue.CreateNull and JToken.Parse("null") make the same token
		{`JValue.CreateNull() != null`, "true"},
		{`JValue.CreateNull().Type.ToString()`, "Null"},
		{`JToken.Parse("null").Type.ToString()`, "Null"},
		{`JToken.DeepEquals(JValue.CreateNull(), ` + b + `["error"])`, "true"},
		{`JToken.DeepEquals(JValue.CreateNull(), JValue.CreateString(""))`, "false"},
		// a plain value here, as a string token is (tollgate's choice; Json.NET compares references)
		{b + `["error"] == JValue.CreateNull()`, "true"},
		{`JArray.Parse("[null,null]").Distinct().Count()`, "1"},
		// arrays and LINQ over tokens: a JValue null item is no C# null
		{b + `["items"][1].Type.ToString()`, "Null"},
		{b + `["items"].Count(t => t != null)`, "3"},
		{b + `["items"].Count(t => t.Type != JTokenType.Null)`, "2"},
		{`string.Join(",", ` + b + `["items"].Values<string>()) + "|"`, "1,,3|"},
		{`JArray.Parse("[\"x\",null]").Values<string>().Count(s => s == null)`, "1"},
		// JSONPath
		{b + `.SelectToken("error").Type.ToString()`, "Null"},
		{b + `.SelectToken("$.error.code") == null`, "true"},
		{b + `.SelectTokens("$.items[*]").Count()`, "3"},
		{`JArray.Parse("[{\"v\":null},{\"v\":1},{}]").SelectTokens("$[?(@.v == null)]").Count()`, "1"},
		// serialization writes null
		{b + `.ToString(Formatting.None)`, `{"error":null,"id":"7","items":[1,null,3],"usage":{"input_tokens":null}}`},
		{`JsonConvert.SerializeObject(` + b + `["items"])`, `[1,null,3]`},
		// the serializer's null: DeserializeObject of "null", Dictionary<string, object>'s value
		{`JsonConvert.DeserializeObject("null") == null`, "true"},
		{`JsonConvert.DeserializeObject<Dictionary<string, object>>("{\"a\":null}")["a"] == null`, "true"},
		{`JsonConvert.DeserializeObject<Dictionary<string, JToken>>("{\"a\":null}")["a"].Type.ToString()`, "Null"},
		{`JsonConvert.DeserializeObject<List<string>>("[null]")[0] == null`, "true"},
		{`JArray.Parse("[null]").ToObject<List<JToken>>()[0].Type.ToString()`, "Null"},
		{`JObject.FromObject(new { a = (string)null })["a"].Type.ToString()`, "Null"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		// a policy's branch on an answer's error: APIM takes it for {"error": null}
		{`var body = JObject.Parse("{\"error\":null,\"data\":1}"); if (body["error"] != null) { return "error branch"; } return "ok";`, "error branch"},
		{`var body = JObject.Parse("{\"data\":1}"); if (body["error"] != null) { return "error branch"; } return "ok";`, "ok"},
		{`var body = JObject.Parse("{\"error\":null}"); if (body["error"] != null && body["error"].Type != JTokenType.Null) { return "error"; } return "no error";`, "no error"},
		// storing C#'s null in a container stores a JValue null (JObject's
		// indexer, Add, JArray.Add, new JProperty, an initializer)
		{`var o = new JObject(); o["k"] = null; return o.ToString(Formatting.None) + " " + (o["k"] != null) + " " + o["k"].Type;`, `{"k":null} True Null`},
		{`var o = new JObject(); string s = null; o.Add("k", s); return o.ToString(Formatting.None) + " " + o["k"].Type;`, `{"k":null} Null`},
		{`var o = new JObject(); o.Add("k", null); return o.ToString(Formatting.None) + " " + o["k"].Type;`, `{"k":null} Null`},
		{`var a = new JArray(); a.Add(null); return a.ToString(Formatting.None) + " " + a[0].Type;`, `[null] Null`},
		{`var p = new JProperty("k", null); return p.Value.Type.ToString();`, "Null"},
		// new JArray(null) is JArray(params object[] content) with a null
		// array, which adds (object)null: a JValue null (JArray.cs)
		{`return new JArray(null).ToString(Formatting.None) + " " + new JArray(1, null).ToString(Formatting.None);`, `[null] [1,null]`},
		{`JToken v; var found = JObject.Parse("{\"a\":null}").TryGetValue("a", out v); return found + " " + v.Type;`, "True Null"},
		{`var o = new JObject { ["k"] = null }; return o.ToString(Formatting.None) + " " + o["k"].Type;`, `{"k":null} Null`},
		{`var o = JObject.Parse("{\"k\":1}"); o.Property("k").Value = null; return o.ToString(Formatting.None) + " " + o["k"].Type;`, `{"k":null} Null`},
		{`var n = 0; foreach (var x in JObject.Parse("{\"a\":null}")["a"]) { n++; } return n.ToString();`, "0"},
		// Merge: a null changes no property the target has, and is added where it has none (JObject.MergeItem)
		{`var a = JObject.Parse("{\"x\":1}"); a.Merge(JObject.Parse("{\"x\":null,\"y\":null}")); return a.ToString(Formatting.None);`, `{"x":1,"y":null}`},
		// a Dictionary keeps C#'s null (it is no JSON container)
		{`var d = new Dictionary<string, object>(); d["k"] = null; return (d["k"] == null).ToString();`, "True"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
	// Json.NET's exceptions for a JValue null, caught by their type
	for _, tc := range []struct{ src, exc, want string }{
		{`(int)` + b + `["error"]`, "ArgumentException", "Can not convert Null to Int32."},
		{`(long)` + b + `["error"]`, "ArgumentException", "Can not convert Null to Int64."},
		{`(double)` + b + `["error"]`, "ArgumentException", "Can not convert Null to Double."},
		{`(bool)` + b + `["error"]`, "ArgumentException", "Can not convert Null to Boolean."},
		{`(decimal)` + b + `["error"]`, "ArgumentException", "Can not convert Null to Decimal."},
		{`(DateTime)` + b + `["error"]`, "ArgumentException", "Can not convert Null to DateTime."},
		{b + `["error"].ToObject<int>()`, "ArgumentException", "Can not convert Null to Int32."},
		{b + `["error"].Value<int>()`, "InvalidCastException", "Null object cannot be converted to a value type."},
		{b + `.Value<int>("error")`, "InvalidCastException", "Null object cannot be converted to a value type."},
		{b + `["error"]?["code"]`, "InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue."},
		{b + `["error"]["code"]`, "InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue."},
		{`(JObject)` + b + `["error"]`, "InvalidCastException", "Unable to cast object of type 'Newtonsoft.Json.Linq.JValue' to type 'Newtonsoft.Json.Linq.JObject'."},
		// a missing property keeps C#'s null
		{b + `["nope"].Type`, "NullReferenceException", "Object reference not set to an instance of an object."},
		{`(int)` + b + `["nope"]`, "ArgumentNullException", "Value cannot be null."},
	} {
		csBothBlocks(t, `try { var v = `+tc.src+`; return "no exception"; } catch (`+tc.exc+` e) { return e.Message; }`, tc.want, nil)
		// and uncaught, the lowered expression's failure says the same
		if _, err, _ := csRun(t, "@(("+tc.src+").ToString())", nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestCSharpJSONNullCrossesToExpr: a JValue null a C# expression stored in
// a variable stays one for the next C# expression (APIM's variables hold
// the token), and an expr-language expression sees a value that is not nil
// whose text is "" (tollgate's choice: expr has no JSON tokens).
func TestCSharpJSONNullCrossesToExpr(t *testing.T) {
	set := func(s *State) { s.Variables()["j"] = csharp.JNull{} }
	for _, tc := range []struct{ src, want, lang string }{
		{`@(context.Variables["j"] != null)`, "true", "C#"},
		{`@(((JToken)context.Variables["j"]).Type.ToString())`, "Null", "C#"},
		{`@(context.Variables["j"] == nil)`, "false", "expr"},
		{`@(string(context.Variables["j"]) + "|")`, "|", "expr"},
	} {
		v, err, ex := csRun(t, tc.src, set)
		if err != nil || show(v) != tc.want || ex.Lang != tc.lang {
			t.Errorf("%s: %v %q (%s), want %q (%s)", tc.src, err, show(v), ex.Lang, tc.want, tc.lang)
		}
	}
}
