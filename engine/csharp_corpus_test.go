package engine

import (
	"strings"
	"testing"
)

// C# that real APIM policies use (public repositories' policies, checked
// against .NET and Json.NET's documented behaviour): each case failed to
// load or gave another result before.
func TestCSharpCorpus(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// A DateTime stored in a JObject is a Date token: Json.NET writes
		// it in ISO 8601, reads it back with Value<DateTime>, and a string
		// token converts to DateTime as Convert.ToDateTime does (the Azure
		// OpenAI "smart load balancing" policy keeps retryAfter this way).
		{`@{ var o = new JObject { { "r", new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc) } }; return o.ToString(Formatting.None); }`,
			`{"r":"2024-01-02T03:04:05Z"}`},
		{`@{ var o = new JObject(); o["r"] = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddMilliseconds(250); return o.ToString(Formatting.None); }`,
			`{"r":"2024-01-02T03:04:05.25Z"}`},
		{`@{ var o = new JObject { { "r", DateTime.MinValue } }; return o.Value<DateTime>("r") == DateTime.MinValue ? "min" : "other"; }`, "min"},
		{`@{ var o = new JObject { { "r", DateTime.MinValue } }; return o["r"].Type.ToString(); }`, "Date"},
		{`@{ var o = new JObject { { "r", new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc) } }; return (string)o["r"]; }`, "01/02/2024 03:04:05"},
		{`@{ var o = JObject.Parse("{\"r\":\"2024-01-01T00:00:00Z\"}"); return o.Value<DateTime>("r").ToString("o"); }`, "2024-01-01T00:00:00.0000000Z"},
		{`@{ var o = JObject.Parse("{\"r\":\"2024-01-01T00:00:00Z\"}"); return ((DateTime)o["r"]).Year.ToString(); }`, "2024"},
		{`@(JObject.Parse("{\"u\":[1,2]}")["u"].ToObject<JArray>().Count)`, "2"},
		{`@(JObject.Parse("{\"u\":{\"a\":1}}")["u"].Value<JObject>().Count)`, "1"},
	} {
		v, err, ex := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := show(v); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q\n(%s)", tc.src, got, tc.want, ex)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var o = JObject.Parse("{\"r\":\"soon\"}"); return o.Value<DateTime>("r").ToString(); }`, "String 'soon' was not recognized as a valid DateTime."},
		{`@{ var o = JObject.Parse("{\"r\":1}"); return o.Value<DateTime>("r").ToString(); }`, "Can not convert Integer to DateTime."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
