package engine

import (
	"strings"
	"testing"
)

// JsonConvert.DeserializeObject<T> for the T policies use
// (Dictionary<string, V>, primitives, lists of JSON tokens) and JRaw,
// which APIM's "API Management policy expressions" allows
// (JsonConvert's DeserializeObject; JRaw's "All"). Values convert as
// Json.NET's serializer converts them.
func TestCSharpDeserializeObjectJRaw(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"Dictionary<string, string>", `var d = JsonConvert.DeserializeObject<Dictionary<string, string>>("{\"a\":\"b\",\"n\":1,\"t\":true,\"z\":null}"); return d["a"] + d["n"] + d["t"] + (d["z"] == null) + d.Count;`, "b1TrueTrue4"},
		{"Dictionary<string, int>", `var d = JsonConvert.DeserializeObject<Dictionary<string, int>>("{\"a\":2,\"b\":\"3\"}"); return d["a"] + d["b"];`, "5"},
		{"Dictionary<string, double> and bool", `return JsonConvert.DeserializeObject<Dictionary<string, double>>("{\"a\":1}")["a"] / 2 + " " + JsonConvert.DeserializeObject<Dictionary<string, bool>>("{\"a\":\"true\"}")["a"];`, "0.5 True"},
		{"IDictionary<string, object> keeps nested JSON", `var d = JsonConvert.DeserializeObject<IDictionary<string, object>>("{\"a\":{\"x\":1},\"b\":[1]}"); return ((JObject)d["a"])["x"] + " " + ((JArray)d["b"]).Count;`, "1 1"},
		{"keys in order; foreach; ContainsKey", `var d = JsonConvert.DeserializeObject<Dictionary<string, string>>("{\"b\":\"1\",\"a\":\"2\"}"); var s = ""; foreach (var kv in d) s += kv.Key + kv.Value; return s + string.Join(",", d.Keys) + d.ContainsKey("a");`, "b1a2b,aTrue"},
		{"int, long, double, bool, string", `return JsonConvert.DeserializeObject<int>("3") + JsonConvert.DeserializeObject<int>("\"4\"") + " " + JsonConvert.DeserializeObject<long>("9007199254740993") + " " + JsonConvert.DeserializeObject<double>("2.5") + " " + JsonConvert.DeserializeObject<bool>("true") + " " + JsonConvert.DeserializeObject<string>("\"s\"");`, "7 9007199254740993 2.5 True s"},
		{"null text for a string", `return JsonConvert.DeserializeObject<string>("null") == null;`, "true"},
		{"List<JObject> and JObject[]", `var l = JsonConvert.DeserializeObject<List<JObject>>("[{\"a\":1},{\"a\":2}]"); var a = JsonConvert.DeserializeObject<JObject[]>("[{\"a\":3}]"); return (int)l[1]["a"] + (int)a[0]["a"] + l.Count;`, "7"},
		{"List<JToken> and object[]", `return JsonConvert.DeserializeObject<List<JToken>>("[1,\"x\",{}]").Count + JsonConvert.DeserializeObject<object[]>("[null]").Length;`, "4"},
		{"the types already there", `return JsonConvert.DeserializeObject<JObject>("{\"a\":1}")["a"] + JsonConvert.DeserializeObject<List<string>>("[\"x\"]")[0] + JsonConvert.DeserializeObject("[2]").ToString().Length;`, "1x7"},
		{"JRaw", `var r = new JRaw("{\"a\": [1,2]}"); return r.ToString() + " " + r;`, `{"a": [1,2]} {"a": [1,2]}`},
		{"JRaw written as it is", `var o = new JObject(); o["x"] = new JRaw("[1,  2]"); o["y"] = 1; return o.ToString(Formatting.None) + JsonConvert.SerializeObject(new JObject(new JProperty("r", new JRaw("true"))));`, `{"x":[1,  2],"y":1}{"r":true}`},
		{"JRaw is a JToken", `JToken t = new JRaw("1"); object o = t; return ((JRaw)o).ToString();`, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(JsonConvert.DeserializeObject<Dictionary<string, string>>("{\"a\":{\"x\":1}}")["a"])`, "Unexpected character encountered while parsing value: {. Path 'a'."},
		{`@(JsonConvert.DeserializeObject<Dictionary<string, int>>("{\"a\":\"x\"}")["a"])`, `Error converting value "x" to type 'System.Int32'. Path 'a'.`},
		{`@(JsonConvert.DeserializeObject<Dictionary<string, int>>("{\"a\":3000000000}")["a"])`, "Error converting value 3000000000 to type 'System.Int32'. Path 'a'."},
		{`@(JsonConvert.DeserializeObject<Dictionary<string, int>>("[1]")["a"])`, "Cannot deserialize the current JSON array (e.g. [1,2,3]) into type 'System.Collections.Generic.Dictionary`2[System.String,System.Int32]' because the type requires a JSON object"},
		{`@(JsonConvert.DeserializeObject<int>("null"))`, "Error converting value {null} to type 'System.Int32'. Path ''."},
		{`@(JsonConvert.DeserializeObject<JObject[]>("[{\"a\":1},2]").Length)`, "Error reading JObject from JsonReader. Current JsonReader item is not an object. Path '[1]'."},
		{`@(JsonConvert.DeserializeObject<List<JObject>>("{}").Count)`, "Cannot deserialize the current JSON object (e.g. {\"name\":\"value\"}) into type 'System.Collections.Generic.List`1[Newtonsoft.Json.Linq.JObject]'"},
		{`@(JsonConvert.DeserializeObject<Dictionary<string, string>>("{").Count)`, "Unexpected end of content while loading JObject."},
		{`@{ string s = null; return JsonConvert.DeserializeObject<Dictionary<string, string>>(s).Count; }`, "Value cannot be null. (Parameter 'value')"},
		{`@{ object o = 1; return ((JRaw)o).ToString(); }`, "Unable to cast object of type 'System.Int64' to type 'Newtonsoft.Json.Linq.JRaw'."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(JsonConvert.DeserializeObject<Dictionary<string, List<string>>>("{}"))`, "JsonConvert.DeserializeObject<Dictionary<string, List<string>>> is not supported"},
		{`@(JsonConvert.DeserializeObject<Guid>("\"x\""))`, "JsonConvert.DeserializeObject<Guid> is not supported"},
		{`@(JsonConvert.DeserializeObject<Dictionary<string, int>>(1))`, "cannot convert from 'int' to 'string'"},
		{`@(JsonConvert.DeserializeObject<Dictionary<string, int>>("{}", 1))`, "no overload for method 'DeserializeObject' takes 2 arguments"},
		{`@{ Dictionary<string, string> d = JsonConvert.DeserializeObject<Dictionary<string, int>>("{}"); return 1; }`, "cannot implicitly convert type 'Dictionary<string, int>' to 'Dictionary<string, string>'"},
		{`@(JsonConvert.DeserializeObject<Nope>("{}"))`, "'Nope' could not be found"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
