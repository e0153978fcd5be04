package engine

import (
	"strings"
	"testing"
)

// JToken.DeepEquals, JValue.CreateNull, JValue.CreateString and
// token.Values<T>(), which APIM's table of allowed types lists.
func TestCSharpJSONValues(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// Json.NET's "Compare JSON with JToken.DeepEquals" sample
		{`JValue s1 = new JValue("A string"); JValue s2 = new JValue("A string"); JValue s3 = new JValue("A STRING");
		  JObject o1 = new JObject { { "Integer", 12345 }, { "String", "A string" }, { "Items", JArray.Parse("[1, 2]") } };
		  JObject o2 = new JObject { { "Integer", 12345 }, { "String", "A string" }, { "Items", JArray.Parse("[1, 2]") } };
		  return JToken.DeepEquals(s1, s2) + " " + JToken.DeepEquals(s2, s3) + " " + JToken.DeepEquals(o1, o2) + " " + JToken.DeepEquals(s1, o1["String"]);`, "True False True True"},
		{`return JToken.DeepEquals(JObject.Parse("{\"a\":1,\"b\":[1,2.0]}"), JObject.Parse("{\"b\":[1.0,2],\"a\":1}")) + " " +
		  JToken.DeepEquals(JArray.Parse("[1,2]"), JArray.Parse("[2,1]")) + " " + JToken.DeepEquals(JToken.Parse("\"1\""), JToken.Parse("1")) + " " +
		  JToken.DeepEquals(null, null) + " " + JToken.DeepEquals(JObject.Parse("{\"a\":1}"), JObject.Parse("{\"a\":1,\"b\":2}"));`, "True False False True False"},
		{`var o = new JObject(); o["n"] = JValue.CreateNull(); o["s"] = JValue.CreateString("x"); return o.ToString(Formatting.None);`, `{"n":null,"s":"x"}`},
		{`return string.Join(",", JArray.Parse("[1, \"2\", 3.5]").Values<string>());`, "1,2,3.5"},
		{`return JArray.Parse("[1, 2, 3]").Values<int>().Sum().ToString();`, "6"},
		{`JToken t = JObject.Parse("{\"a\":[true,false]}")["a"]; return string.Join(",", t.Values<bool>());`, "True,False"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ JToken t = JToken.Parse("1"); return t.Values<int>().Count().ToString(); }`, "Cannot access child value on Newtonsoft.Json.Linq.JValue."},
		{`@{ JToken t = JObject.Parse("{\"a\":1}"); return t.Values<int>().Count().ToString(); }`, "tollgate has Values<T>() for a JArray only"},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	if _, _, errs := csCompile(t, `@(JArray.Parse("[1]").Values<Guid>().Count().ToString())`); len(errs) == 0 || !strings.Contains(errs.Error(), "Values<Guid> takes no argument here") {
		t.Errorf("Values<Guid>: %v", errs)
	}
}
