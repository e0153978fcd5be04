package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// csRegistry has one policy, <x>, whose text is an expression of any type;
// running it stores the result in the variable "out".
func csRegistry() Registry {
	return Registry{"x": {Sections: Inbound | Outbound, Parse: func(p *Parser) Step {
		v := p.TextValue()
		return StepFunc(func(ctx context.Context, st *State) error {
			r, err := v.Eval(st)
			if err != nil {
				return err
			}
			st.Variables()["out"] = r
			return nil
		})
	}}}
}

// csCompile compiles one expression (text of <x>) and says how.
func csCompile(t testing.TB, text string) (*Plan, Explanation, ErrorList) {
	t.Helper()
	c := NewCompiler(csRegistry(), nil)
	var ex Explanation
	c.Explain = func(e Explanation) { ex = e }
	root, err := Read("cs.xml", []byte("<policies><inbound><x>"+text+"</x></inbound></policies>"))
	if err != nil {
		var el ErrorList
		el.Append(err)
		return nil, ex, el
	}
	plan := c.Compile(root, "api", nil)
	return plan, ex, c.Errors()
}

func csState() *State {
	s := AcquireState(&Api{Name: "echo", Path: "/echo", ServiceUrl: "http://backend"})
	u, _ := url.Parse("https://gw.example:8443/echo/resource?param1=value1&param2=2&x=a&x=b")
	s.SetRequest("POST", "https", u.Host, u, http.Header{
		"Authorization": {"Basic " + "dXNlcjpwYXNz"}, "Content-Type": {"application/json"},
		"User-Agent": {"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}, "X-Multi": {"a", "b"},
	}, "10.0.0.7")
	s.SetRequestID("5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e")
	s.ctx.Request.Body = NewBody([]byte(`{"name":"Ada","age":36,"tags":["x","y"],"address":{"city":"London"},"ok":true,"ratio":0.5}`))
	v := s.Variables()
	v["s"], v["n"], v["b"], v["f"] = "hello", 42, true, 2.5
	v["resp"] = &Response{StatusCode: 200, StatusReason: "OK", Headers: Headers{"Content-Type": {"application/json"}},
		Body: NewBody([]byte(`{"url":"https://svc/client/?hub=chat","accessToken":"tok","n":[1,2,3]}`))}
	v["list"] = []any{"a", "b", "c"}
	return s
}

func csRun(t testing.TB, text string, set func(*State)) (any, error, Explanation) {
	t.Helper()
	plan, ex, errs := csCompile(t, text)
	if len(errs) > 0 {
		return nil, fmt.Errorf("load errors:\n%v", errs), ex
	}
	s := csState()
	defer s.Release()
	if set != nil {
		set(s)
	}
	if plan.Run(context.Background(), Inbound, s) {
		le := s.LastError()
		return nil, fmt.Errorf("%s: %s", le.Reason, le.Message), ex
	}
	return s.Variables()["out"], nil, ex
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprintf("%v", v)
}

// TestCSharpValues: C# expressions give .NET's results, lowered to expr
// where they can be, interpreted where they cannot.
func TestCSharpValues(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		interp    bool // runs on the interpreter
	}{
		// variables and casts
		{`@((string)context.Variables["s"])`, "hello", false},
		{`@((int)context.Variables["n"] + 1)`, "43", false},
		{`@((bool)context.Variables["b"] ? "yes" : "no")`, "yes", false},
		{`@(context.Variables.GetValueOrDefault<string>("missing", "dflt"))`, "dflt", false},
		{`@(context.Variables.GetValueOrDefault<int>("n", 0) * 2)`, "84", false},
		{`@(context.Variables.GetValueOrDefault("missing", "d"))`, "d", false},
		{`@(context.Variables.ContainsKey("s"))`, "true", false},
		{`@(((IResponse)context.Variables["resp"]).StatusCode)`, "200", false},
		{`@(((IResponse)context.Variables["resp"]).Body.As<JObject>()["url"].ToString())`, "https://svc/client/?hub=chat", false},
		{`@((string)((IResponse)context.Variables["resp"]).Body.As<JObject>()["accessToken"])`, "tok", false},
		{`@(((IEnumerable<object>)context.Variables["list"]).Count())`, "3", false},
		{`@(string.Join(",", (IEnumerable<object>)context.Variables["list"]))`, "a,b,c", false},
		{`@((int?)context.Variables["missing"] ?? 7)`, "7", false},
		{`@(context.Variables.GetValueOrDefault<int?>("missing") == null)`, "true", false},
		// a list or a string built in a loop runs on the interpreter, which
		// grows it in place (lowered, each turn copied it: n² for n turns)
		{`@{ var names = new List<string>(); foreach (var h in context.Request.Headers) { if (h.Key.StartsWith("X-")) { names.Add(h.Key + "=" + string.Join("|", h.Value)); } } return string.Join(";", names); }`, "X-Multi=a|b", true},
		{`@{ int n = 0; foreach (var h in context.Request.Headers) { n += h.Value.Length; } return n; }`, "5", false},
		{`@{ var sb = new StringBuilder(); foreach (var t in new[] {"a", "b"}) { sb.Append(t).Append(","); } sb.AppendLine("end"); return sb.ToString() + sb.Length; }`, "a,b,end\n8", true},
		// arithmetic is C#'s
		{`@(7 / 2)`, "3", false},
		{`@(7.0 / 2)`, "3.5", false},
		{`@(7 % 3)`, "1", false},
		{`@(1 + "x")`, "1x", false},
		{`@("a" + null + 'c')`, "ac", false},
		{`@(true.ToString())`, "True", false},
		{`@(((double)7) / 2)`, "3.5", false},
		// strings
		{`@($"{context.Request.Method} {context.Request.Url.Path}")`, "POST /echo/resource", false},
		{`@($"n={(int)context.Variables["n"]:D5}")`, "n=00042", false},
		{`@($"[{"ab",4}|{"ab",-4}]" + "7".PadLeft(3, '0') + string.Format("{0,3}", 1))`, "[  ab|ab  ]007  1", false},
		{`@(@"c:\temp\""x""")`, `c:\temp\"x"`, false},
		{`@("a,b,,c".Split(',').Length)`, "4", false},
		// String.Length counts UTF-16 units: the emoji is two; ASCII runs
		// are counted by their bytes (ascii.Prefix), the rest decoded.
		{`@("héllo😀".Length)`, "7", false},
		{`@("abcdefghijklmnopqrstuvwxyz0123456789😀é".Length)`, "39", false},
		{`@("a,b,,c".Split(new[] {','}, StringSplitOptions.RemoveEmptyEntries).Length)`, "3", false},
		{`@("Hello".Replace("l", "L").ToUpper().ToLower().Substring(1, 3))`, "ell", false},
		{`@("Hello".Contains("ell") && "Hello".StartsWith("He") && "Hello".EndsWith("lo"))`, "true", false},
		{`@("Hello".IndexOf("l"))`, "2", false},
		{`@("  x ".Trim())`, "x", false},
		{`@("ABC".Equals("abc", StringComparison.OrdinalIgnoreCase))`, "true", false},
		{`@(string.Format("{0}-{1}", "a", 2))`, "a-2", false},
		{`@(string.IsNullOrEmpty((string)context.Variables["missing"]))`, "true", false},
		{`@(String.Empty.Length)`, "0", false},
		{`@(context.Request.Headers.GetValueOrDefault("User-Agent", "").Contains("Windows"))`, "true", false},
		{`@(context.Request.Headers.GetValueOrDefault("X-Multi", ""))`, "a,b", false},
		// ternary, ??, ?.
		{`@((string)context.Variables["missing"] ?? "fallback")`, "fallback", false},
		{`@(context.Response?.StatusCode)`, "null", false},
		{`@(context.LastError?.Message ?? "none")`, "none", false},
		{`@(context.User == null ? "anonymous" : context.User.Email)`, "anonymous", false},
		// context
		{`@(context.Request.Url.Host + ":" + context.Request.Url.Port)`, "gw.example:8443", false},
		{`@(context.Request.Url.Query.GetValueOrDefault("param1", ""))`, "value1", false},
		{`@(context.Request.Url.QueryString)`, "?param1=value1&param2=2&x=a&x=b", false},
		{`@(context.Request.Url.ToString())`, "https://gw.example:8443/echo/resource?param1=value1&param2=2&x=a&x=b", false},
		{`@(context.Request.IpAddress)`, "10.0.0.7", false},
		{`@(context.Api.Name)`, "echo", false},
		// context.RequestId is a System.Guid, as in APIM
		{`@(context.RequestId.ToString().Length)`, "36", false},
		{`@(context.RequestId.ToString("N"))`, "5b8a0e6c7d7b4d7e9a8a0a6e2c1d3f4e", false},
		{`@(context.RequestId)`, "5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e", false},
		{`@("req-" + context.RequestId)`, "req-5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e", false},
		{`@(context.RequestId != Guid.Empty)`, "true", false},
		{`@(context.RequestId.ToString("B").ToUpper())`, "{5B8A0E6C-7D7B-4D7E-9A8A-0A6E2C1D3F4E}", false},
		{`@(context.Request.Headers.GetValueOrDefault("Authorization", "").AsBasic().UserId)`, "user", false},
		// JSON
		{`@(context.Request.Body.As<JObject>(preserveContent: true)["address"]["city"].ToString())`, "London", false},
		{`@(context.Request.Body.As<JObject>().Value<string>("name"))`, "Ada", false},
		{`@((int)context.Request.Body.As<JObject>()["age"] + 1)`, "37", false},
		{`@(context.Request.Body.As<JObject>().SelectToken("tags[1]").ToString())`, "y", false},
		{`@(context.Request.Body.As<JObject>()["tags"].ToString())`, "[\n  \"x\",\n  \"y\"\n]", false},
		{`@(new JObject(new JProperty("a", 1), new JProperty("b", "x")).ToString())`, "{\n  \"a\": 1,\n  \"b\": \"x\"\n}", false},
		{`@(JsonConvert.SerializeObject(new { id = 1, name = "n" }))`, `{"id":1,"name":"n"}`, false},
		{`@(JObject.Parse("{\"z\":1,\"a\":[true,null,1.5]}").ToString(Formatting.None))`, `{"z":1,"a":[true,null,1.5]}`, false},
		{`@(context.Request.Body.As<string>(preserveContent: true).Length > 10)`, "true", false},
		// .NET statics
		{`@(Convert.ToBase64String(Encoding.UTF8.GetBytes("user:pass")))`, "dXNlcjpwYXNz", false},
		{`@(Encoding.UTF8.GetString(Convert.FromBase64String("dXNlcjpwYXNz")))`, "user:pass", false},
		{`@(int.Parse("12") + long.Parse("30"))`, "42", false},
		{`@(Math.Max(3, 9))`, "9", false},
		{`@(Math.Round(2.345, 2))`, "2.35", false},
		{`@(Guid.Parse("5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e").ToString("N"))`, "5b8a0e6c7d7b4d7e9a8a0a6e2c1d3f4e", false},
		{`@(Uri.EscapeDataString("a b&c"))`, "a%20b%26c", false},
		{`@(WebUtility.UrlEncode("a b"))`, "a+b", false},
		{`@(Regex.IsMatch("abc123", @"^[a-z]+(?<num>\d+)$"))`, "true", false},
		{`@(Regex.Match("abc123", @"(?<num>\d+)").Groups["num"].Value)`, "123", false},
		{`@(TimeSpan.FromMinutes(90).TotalHours)`, "1.5", false},
		{`@(string.Join("+", Regex.Matches("a1b22c333", @"(?<n>\d+)").Select(m => m.Groups["n"].Value)) + "/" + Regex.Split("a1b22c", @"\d+").Length)`, "1+22+333/3", false},
		{`@(new DateTime(2020, 1, 2).AddDays(1).ToString("yyyy-MM-ddTHH:mm:ss"))`, "2020-01-03T00:00:00", false},
		// .NET's DateTime range (0001-9999) is wider than a Duration's 292
		// years: nothing on the way is multiplied into one.
		{`@(new DateTime(2020, 1, 1).Ticks)`, "637134336000000000", false},
		{`@(new DateTime(2020, 1, 2).AddDays(1000000).ToString("yyyy-MM-dd"))`, "4757-11-29", false},
		{`@(new DateTime(2020, 1, 1).AddMilliseconds(1.5).Ticks - new DateTime(2020, 1, 1).Ticks)`, "15000", false},
		{`@((new DateTime(2020, 1, 1) - new DateTime(1900, 1, 1)).TotalDays)`, "43829", false},
		{`@((new DateTime(2020, 1, 1) - TimeSpan.FromDays(1)).ToString("yyyy-MM-dd"))`, "2019-12-31", false},
		{`@((TimeSpan.FromDays(100) - TimeSpan.FromDays(40)).TotalDays)`, "60", false},
		{`@{ var d = TimeSpan.FromHours(1) + TimeSpan.FromMinutes(30); return d.TotalMinutes; }`, "90", false},
		{`@(Convert.ToInt64("5000000000"))`, "5000000000", false},
		// More of String, and .NET's culture-sensitive order for strings
		// (string.Compare, CompareTo, OrderBy, Max): "apple" < "Apple" <
		// "Banana", where an ordinal comparison puts every capital first.
		{`@("x".PadRight(3, '.') + "x".PadRight(2) + "|" + "abc".Insert(1, "X") + "abcabc".Remove(3) + "abcabc".Remove(1, 2) + new string('-', 3))`, "x..x |aXbcabcaabc---", false},
		{`@(string.Join(",", new[] {"cherry", "Banana", "apple", "Apple"}.OrderBy(x => x)))`, "apple,Apple,Banana,cherry", true},
		{`@(string.Join(",", new[] {string.Compare("a", "B"), "a".CompareTo("B"), string.Compare("a", "A", true), string.Compare("a", "B", StringComparison.Ordinal), string.Compare("a", "A", StringComparison.OrdinalIgnoreCase), string.Compare(null, "a")}))`, "-1,-1,0,1,0,-1", false},
		{`@(new[] {"b", "A", "a", "B"}.Max())`, "B", false},
		{`@(new[] {1, 2, 3, 4}.Average() + new[] {"a", "bbb"}.Average(x => x.Length))`, "4.5", false},
		// A string is a sequence of chars for LINQ.
		{`@("aBc".Any(c => char.IsUpper(c)) + " " + "banana".Count(c => c == 'a') + " " + new string("abc".Reverse().ToArray()) + " " + string.Join("-", "abc".Select(c => c.ToString().ToUpper())) + " " + "hello".Distinct().Count() + " " + "abc".Contains("b"))`, "True 3 cba A-B-C 4 True", false},
		// XElement's and XAttribute's explicit conversions read the value
		// as XmlConvert does.
		{`@((string)XDocument.Parse("<a><b>t</b></a>").Root.Element("b") + ((int)XDocument.Parse("<a><b> 42 </b></a>").Root.Element("b") + 1) + ((double)XElement.Parse("<b>2.5</b>") * 2) + (bool)XElement.Parse("<b>1</b>") + (int)XElement.Parse("<a x=\"7\"/>").Attribute("x") + XElement.Parse("<a><b>1</b><b>2</b></a>").Elements().Select(e => (int)e).Sum() + ((string)XElement.Parse("<a/>").Element("missing") == null))`, "t435True73True", false},
		{`@(char.IsDigit('5') + " " + char.IsLetter('é') + " " + char.IsUpper('a') + " " + char.IsWhiteSpace(' ') + " " + char.IsLetterOrDigit('_') + " " + char.IsDigit("x5"[1]))`, "True True False True False True", false},
		{`@(int.MinValue + " " + long.MinValue + " " + new Uri("https://h:8443/p").Port + " " + new Uri("https://h/p").Port + " " + new Uri("http://h/p").Port)`, "-2147483648 -9223372036854775808 8443 443 80", false},
		{`@(string.Join(",", JObject.Parse("{\"a\": 1, \"b\": 2}").Properties().Select(p => p.Name + "=" + p.Value)) + " " + JArray.Parse("[1,2]").First + JArray.Parse("[1,2]").Last + " " + JObject.Parse("{\"a\": {\"x\": 1}}")["a"].First + " " + JObject.Parse("{}").HasValues + JArray.Parse("[0]").HasValues + " " + (JArray.Parse("[]").First == null))`, "a=1,b=2 12 \"x\": 1 FalseTrue True", false},
		// AddMonths keeps the day, or takes the month's last one: never
		// rolled over into the next month as Go's AddDate would.
		{`@(DateTime.UtcNow.Kind == DateTimeKind.Utc && DateTime.SpecifyKind(new DateTime(2020, 1, 2), DateTimeKind.Utc).Kind != DateTimeKind.Local)`, "true", false},
		{`@(DateTime.SpecifyKind(DateTime.Parse("2020-01-02T03:04:05"), DateTimeKind.Utc).ToString("o"))`, "2020-01-02T03:04:05.0000000Z", false},
		{`@(new DateTime(2020, 1, 31).AddMonths(1).ToString("yyyy-MM-dd") + " " + new DateTime(2020, 2, 29).AddYears(1).ToString("yyyy-MM-dd") + " " + new DateTime(2020, 3, 31, 5, 6, 7).AddMonths(-25).ToString("yyyy-MM-dd HH:mm:ss") + " " + new DateTime(2020, 3, 4).DayOfYear)`, "2020-02-29 2021-02-28 2018-02-28 05:06:07 64", false},
		// double.ToString() and Json.NET's numbers: fixed-point from 1E-05
		// (exclusive) up to 1E+15 (exclusive), as .NET writes them.
		{`@(1234567.0.ToString() + " " + 100000000000000.0 + " " + 1e15 + " " + 0.0001 + " " + 1e-5 + " " + (-1500000.5))`, "1234567 100000000000000 1000000000000000 0.0001 1E-05 -1500000.5", false},
		// .NET Core 3.0's rule: fixed-point up to 17 digits before the point
		{`@(1e16.ToString() + " " + 1e17 + " " + 12345678901234567.0)`, "10000000000000000 1E+17 12345678901234568", false},
		{`@(123456789012345678.0.ToString())`, "1.2345678901234568E+17", false},
		{`@(Math.Round(2.345, 2) + Math.Round(2.5) + Math.Round(1e307, 2) / 1e307)`, "5.35", false},
		{`@(JObject.Parse("{\"a\": 1234567.0, \"b\": 1e21, \"c\": 1e-5, \"d\": 0.5}").ToString(Formatting.None))`, `{"a":1234567.0,"b":1E+21,"c":1E-05,"d":0.5}`, false},
		{`@(Convert.ToInt32(2.5) + Convert.ToInt32(3.5))`, "6", false}, // to even
		{`@(Convert.ToInt32(-2147483648.5))`, "-2147483648", false},
		{`@(Convert.ToInt64(3000000000.0))`, "3000000000", false},
		// Json.NET's (int)/(long) on a JToken is Convert.ToInt64: to even.
		{`@((int)JObject.Parse("{\"a\": 2.5}")["a"])`, "2", false},
		{`@((int)JObject.Parse("{\"a\": 3.5}")["a"])`, "4", false},
		{`@((long)JObject.Parse("{\"a\": -2.5}")["a"])`, "-2", false},
		{`@(BitConverter.ToString(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes("abc"))).Replace("-", "").Substring(0, 8))`, "BA7816BF", false},
		{`@(Convert.ToBase64String(new HMACSHA256(Encoding.UTF8.GetBytes("key")).ComputeHash(Encoding.UTF8.GetBytes("msg"))))`, "LZPLwb4We8sWN6SiPL/wGnh48MUO6DOVTqUiG7G4xig=", false},
		{`@(Convert.ToBase64String(Encoding.UTF8.GetBytes("secret").Encrypt("Aes", Convert.FromBase64String("AAECAwQFBgcICQoLDA0ODw=="), Convert.FromBase64String("Dw4NDAsKCQgHBgUEAwIBAA=="))))`, "PR8eRna33MoKObxtNfNvng==", false},
		{`@(Encoding.UTF8.GetString(Convert.FromBase64String("PR8eRna33MoKObxtNfNvng==").Decrypt("Aes", Convert.FromBase64String("AAECAwQFBgcICQoLDA0ODw=="), Convert.FromBase64String("Dw4NDAsKCQgHBgUEAwIBAA=="))))`, "secret", false},
		{`@("Bearer JWT".Replace("JWT", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.").AsJwt()?.Claims.GetValueOrDefault("roles", "none"))`, "a,b", false},
		{`@("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.".AsJwt().Claims.GetValueOrDefault("missing", "none") + "/" + "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.".AsJwt().Subject)`, "none/alice", false},
		{`@{ Jwt jwt; if ("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.".TryParseJwt(out jwt)) { return jwt.Claims.ContainsKey("sub"); } return false; }`, "true", true},
		// LINQ
		{`@(((JArray)context.Request.Body.As<JObject>()["tags"]).Select(t => t.ToString()).Where(s => s != "x").First())`, "y", false},
		{`@(((IEnumerable<object>)context.Variables["list"]).Any(x => (string)x == "b"))`, "true", false},
		{`@(new[] {3, 1, 2}.Max())`, "3", false},
		// statement blocks
		{`@{ var t = (string)context.Variables["s"]; return "Bearer " + t; }`, "Bearer hello", false},
		{`@{
			// a comment with an apostrophe: it's fine
			string v = context.Request.Headers.GetValueOrDefault("X-None", "");
			/* and a block comment's too */
			if (v == "") { v = "empty"; } else { v = "full"; }
			return v;
		}`, "empty", false},
		{`@{ int sum = 0; foreach (var x in new[] {1, 2, 3}) { sum += x; } return sum; }`, "6", false},
		{`@{ var parts = new List<string>(); foreach (var x in new[] {"a", "b"}) { if (x == "b") { return x + "!"; } } return "none"; }`, "b!", true},
		{`@{ int i = 0; while (i < 5) { i++; } return i; }`, "5", true},
		{`@{ try { return int.Parse("x"); } catch (FormatException e) { return e.Message; } }`, "The input string 'x' was not in a correct format.", true},
		{`@{ if (context.Variables.TryGetValue("s", out var v)) { return "has " + v; } return "no"; }`, "has hello", true},
		{`@{ int n; if (int.TryParse("17", out n)) { return n * 2; } return 0; }`, "34", true},
		{`@{ try { throw new InvalidOperationException("x"); } catch (InvalidOperationException e) { return e.Message + "!"; } }`, "x!", true},
		{`@{ var s = "ab"; s = s + s; s = s + s; return s; }`, "abababab", false},
		{`@{ var o = new JObject(); o["a"] = 1; o.Add("b", "x"); o.Remove("a"); return o.ToString(Formatting.None); }`, `{"b":"x"}`, false},
	} {
		v, err, ex := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := show(v); got != tc.want && tc.want != "" {
			t.Errorf("%s:\n got %q\nwant %q\n(%s)", tc.src, got, tc.want, ex)
		}
		if ex.Lang != "C#" {
			t.Errorf("%s: compiled as %s", tc.src, ex.Lang)
		}
		if (ex.Interp != "") != tc.interp {
			t.Errorf("%s: interpreted=%v (%q), want %v\n%s", tc.src, ex.Interp != "", ex.Interp, tc.interp, ex)
		}
	}
}

// csBothPaths runs an expression text as @(text), lowered where it can
// be, and inside a try block, which always runs on the interpreter: both
// must be C# and give want. csBothBlocks does the same for statements.
func csBothPaths(t *testing.T, text, want string, set func(*State)) {
	t.Helper()
	for _, src := range []string{"@(" + text + ")", "@{ try { return " + text + "; } finally { } }"} {
		csWant(t, src, want, set)
	}
}

func csBothBlocks(t *testing.T, stmts, want string, set func(*State)) {
	t.Helper()
	for _, src := range []string{"@{ " + stmts + " }", "@{ try { " + stmts + " } finally { } }"} {
		csWant(t, src, want, set)
	}
}

func csWant(t *testing.T, src, want string, set func(*State)) {
	t.Helper()
	v, err, ex := csRun(t, src, set)
	switch {
	case err != nil:
		t.Errorf("%s: %v", src, err)
	case ex.Lang != "C#":
		t.Errorf("%s: compiled as %s", src, ex.Lang)
	case show(v) != want:
		t.Errorf("%s:\n got %q\nwant %q\n(%s)", src, show(v), want, ex)
	}
}

// TestCSharpNullableAndResources: Nullable<T>'s members (HasValue, Value,
// GetValueOrDefault) on int?, DateTime?..., and context.Subscription,
// Product, User and Operation as the gateway fills them (StartDate and
// EndDate are DateTime?). Each text runs lowered and, inside a try block,
// on the interpreter: both give the same.
func TestCSharpNullableAndResources(t *testing.T) {
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	fill := func(s *State) {
		s.ctx.Subscription = &Subscription{Id: "sub-1", Name: "Contoso dev", Key: "k3y", CreatedDate: start, StartDate: &start}
		s.ctx.Product = &Product{Id: "starter", Name: "Starter", State: "published", SubscriptionRequired: true}
		s.ctx.User = &User{Id: "1", Email: "ada@contoso.example", Groups: []*Group{{Id: "developers", Name: "Developers"}, {Id: "administrators", Name: "Administrators"}}}
		s.ctx.Operation = &Operation{Id: "get-pet", Name: "Get pet", Method: "GET", UrlTemplate: "/pets/{petId}"}
	}
	for _, tc := range []struct{ src, want string }{
		{`((int?)context.Variables["n"]).HasValue`, "true"},
		{`((int?)context.Variables["missing"]).HasValue`, "false"},
		{`((int?)context.Variables["n"]).Value + 1`, "43"},
		{`((int?)context.Variables["missing"]).GetValueOrDefault()`, "0"},
		{`((int?)context.Variables["missing"]).GetValueOrDefault(7)`, "7"},
		{`((int?)context.Variables["n"]).GetValueOrDefault(7)`, "42"},
		{`((bool?)context.Variables["missing"]).GetValueOrDefault()`, "false"},
		{`((DateTime?)context.Variables["missing"]).GetValueOrDefault().Year`, "1"},
		{`DateTime.MaxValue.ToString("o")`, "9999-12-31T23:59:59.9999999"},
		{`context.Subscription.Id + "|" + context.Subscription.Name + "|" + context.Subscription.Key`, "sub-1|Contoso dev|k3y"},
		{`context.Subscription.StartDate.HasValue && !context.Subscription.EndDate.HasValue`, "true"},
		{`context.Subscription.StartDate.Value.ToString("yyyy-MM-dd")`, "2024-03-01"},
		{`context.Subscription.StartDate?.Month`, "3"},
		{`context.Subscription.EndDate?.Year ?? 0`, "0"},
		{`context.Subscription.EndDate.GetValueOrDefault(DateTime.MaxValue).Year`, "9999"},
		{`context.Subscription.EndDate == null || context.Subscription.EndDate > DateTime.UtcNow`, "true"},
		{`context.Subscription.CreatedDate.Year`, "2024"},
		{`context.Product.Name.Equals("Starter")`, "true"},
		{`context.Product.SubscriptionRequired`, "true"},
		{`context.User.Groups.Select(g => g.Name).Contains("Administrators")`, "true"},
		{`context.User.Groups.Any(g => g.Id == "guests")`, "false"},
		{`context.User.Email`, "ada@contoso.example"},
		{`context.Operation.Method + " " + context.Operation.UrlTemplate`, "GET /pets/{petId}"},
		{`context.Product.SubscriptionLimit.HasValue`, "false"},
		// a JWT's dates are DateTime? (null when absent), with Algorithm and Type
		{`"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3MDAwMDAwMDB9.c2ln".AsJwt().ExpirationTime.Value.Year`, "2023"},
		{`"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3MDAwMDAwMDB9.c2ln".AsJwt().NotBefore == null && "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3MDAwMDAwMDB9.c2ln".AsJwt().ExpirationTime < DateTime.UtcNow`, "true"},
		{`"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3MDAwMDAwMDB9.c2ln".AsJwt().Algorithm + "/" + "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3MDAwMDAwMDB9.c2ln".AsJwt().Type`, "HS256/JWT"},
		{`"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3MDAwMDAwMDB9.c2ln".TryParseJwt(out var j) ? j.Subject : "none"`, "ada"},
		// APIM's TryParseBasic
		{`"Basic Zm9vOmJhcg==".TryParseBasic(out var c) ? c.UserId + ":" + c.Password : "none"`, "foo:bar"},
		{`"Bearer x".TryParseBasic(out BasicAuthCredentials c) ? "yes" : "no"`, "no"},
	} {
		csBothPaths(t, tc.src, tc.want, fill)
	}
	// Value of a null T? is .NET's InvalidOperationException, on both paths.
	for _, src := range []string{
		`@(context.Subscription.EndDate.Value)`,
		`@(((int?)context.Variables["missing"]).Value)`,
		`@{ try { return ((int?)context.Variables["missing"]).Value; } finally { } }`,
	} {
		_, err, _ := csRun(t, src, fill)
		if err == nil || !strings.Contains(err.Error(), "Nullable object must have a value.") {
			t.Errorf("%s: %v, want InvalidOperationException", src, err)
		}
	}
	_, err, _ := csRun(t, `@{ try { return ((int?)context.Variables["missing"]).Value; } catch (InvalidOperationException e) { return e.Message; } }`, fill)
	if err != nil {
		t.Errorf("InvalidOperationException not caught: %v", err)
	}
}

// TestCSharpModelMaps: the context's maps are IReadOnlyDictionary in
// APIM: Count, Keys, Values and LINQ over their KeyValuePairs, on both
// paths. (Before, such a text failed C#'s check and was taken as expr,
// where .Count read a header named Count.)
func TestCSharpModelMaps(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`context.Request.Headers.Count`, "4"},
		{`context.Request.Url.Query.Count`, "3"},
		{`context.Variables.Count`, "6"},
		{`string.Join(",", context.Request.Headers.Keys)`, "Authorization,Content-Type,User-Agent,X-Multi"},
		{`string.Join(",", context.Request.Url.Query.Keys)`, "param1,param2,x"},
		{`context.Request.Headers.Values.Count()`, "4"},
		{`string.Join(";", context.Request.Headers.Where(h => h.Key.StartsWith("X-")).Select(h => h.Key + "=" + string.Join("|", h.Value)))`, "X-Multi=a|b"},
		{`context.Request.Headers.Any(h => h.Key == "Authorization")`, "true"},
		{`context.Request.Headers.Count()`, "4"},
		{`context.Request.Headers.First().Key`, "Authorization"},
		{`context.Variables.Keys.Contains("resp")`, "true"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
}

// TestCSharpMoreDotNet: DayOfWeek, Enumerable.Range/Repeat,
// Convert.ToDouble, TimeSpan.Parse, the char overloads of Contains,
// StartsWith and EndsWith, List.IndexOf, a Dictionary's indexer, Keys,
// Values and TryGetValue, and As<string>(true) with preserveContent
// positional: lowered and interpreted alike.
func TestCSharpMoreDotNet(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`new DateTime(2024, 3, 2).DayOfWeek.ToString()`, "Saturday"},
		{`"d=" + new DateTime(2024, 3, 2).DayOfWeek`, "d=Saturday"},
		{`$"{new DateTime(2024, 3, 2).DayOfWeek}"`, "Saturday"},
		{`new DateTime(2024, 3, 2).DayOfWeek == DayOfWeek.Saturday`, "true"},
		{`(int)new DateTime(2024, 3, 3).DayOfWeek`, "0"},
		{`(DayOfWeek)5 == DayOfWeek.Friday`, "true"},
		{`string.Join(",", Enumerable.Range(3, 4))`, "3,4,5,6"},
		{`Enumerable.Range(1, 10).Where(i => i % 2 == 0).Sum()`, "30"},
		{`string.Join("", Enumerable.Repeat("ab", 3))`, "ababab"},
		{`Convert.ToDouble("1.5") * 2`, "3"},
		{`Convert.ToDouble(3) / 2`, "1.5"},
		{`TimeSpan.Parse("01:30:00").TotalMinutes`, "90"},
		{`TimeSpan.Parse("1.02:03:04.5").TotalSeconds`, "93784.5"},
		{`TimeSpan.Parse(" -00:00:01 ").TotalSeconds`, "-1"},
		{`TimeSpan.Parse("2").TotalHours`, "48"},
		{`"a,b".Contains(',') && "abc".StartsWith('a') && "abc".EndsWith('c') && !"abc".Contains('z')`, "true"},
		{`new List<string> {"a", "b"}.IndexOf("b")`, "1"},
		{`new[] {1, 2, 3}.ToList().IndexOf(7)`, "-1"},
		{`context.Request.Body.As<string>(true).Length > 0`, "true"},
		{`0.0 % 0 >= 0 || 0.0 % 0 < 1 || 0.0 % 0 == 0.0 % 0`, "false"}, // NaN orders with nothing (FuzzCSharpDifferential)
		// more of System.Linq.Enumerable; ...OrDefault gives default(T)
		{`string.Join(",", new[] {"a b", "c"}.SelectMany(x => x.Split(' ')))`, "a,b,c"},
		{`string.Join(",", new[] {1, 2, 3, 2}.Except(new[] {2})) + "|" + string.Join(",", new[] {1, 2, 3, 2}.Intersect(new[] {2, 5})) + "|" + string.Join(",", new[] {1, 2, 1}.Union(new[] {2, 3}))`, "1,3|2|1,2,3"},
		{`new[] {1, 2, 3}.ElementAt(1) + new[] {1, 2, 3}.ElementAtOrDefault(7)`, "2"},
		{`string.Join(",", new[] {1, 2, 3}.TakeWhile(x => x < 3)) + "|" + string.Join(",", new[] {1, 2, 3}.SkipWhile(x => x < 2))`, "1,2|2,3"},
		{`new string[] {}.DefaultIfEmpty("z").First() + new[] {"a"}.DefaultIfEmpty("z").First()`, "za"},
		{`new[] {1, 2}.FirstOrDefault(x => x > 5)`, "0"},
		{`new[] {"a"}.FirstOrDefault(x => x == "b") == null`, "true"},
		{`new[] {1, 2, 3}.Aggregate((a, b) => a + b) + new[] {"a", "bb"}.Aggregate(0, (n, s) => n + s.Length)`, "9"},
		{`new[] {"a", "b", "c"}.Aggregate((a, b) => a + "," + b)`, "a,b,c"},
		{`JsonConvert.SerializeObject(new[] {"a", "bb"}.ToDictionary(x => x, x => x.Length))`, `{"a":1,"bb":2}`},
		{`string.Join(",", new[] {"a", "b"}.Select((x, i) => x + i)) + "|" + string.Join(",", new[] {"a", "b", "c"}.Where((x, i) => i != 1))`, "a0,b1|a,c"},
		{`string.Join(",", new[] {"a", "b", "c"}.Zip(new[] {"1", "2"}, (x, y) => x + y))`, "a1,b2"},
		{`string.Join(";", new[] {"a", "bb", "cc", "d"}.GroupBy(x => x.Length).Select(g => g.Key + "=" + string.Join(",", g)))`, "1=a,d;2=bb,cc"},
		{`JsonConvert.SerializeObject(new[] {"a", "bb", "cc"}.GroupBy(x => x.Length).Select(g => new { g.Key, Count = g.Count() }))`, `[{"Key":1,"Count":1},{"Key":2,"Count":2}]`},
		// GroupBy's selector overloads: element, result, both.
		{`string.Join(";", new[] {"a", "bb", "cc", "d"}.GroupBy(x => x.Length, x => x.ToUpper()).Select(g => g.Key + "=" + string.Join(",", g)))`, "1=A,D;2=BB,CC"},
		{`string.Join(";", new[] {"a", "bb", "cc", "d"}.GroupBy(x => x.Length, (k, items) => k + ":" + items.Count()))`, "1:2;2:2"},
		{`string.Join(";", new[] {"a", "bb", "cc", "d"}.GroupBy(x => x.Length, x => x.Length * 10, (k, tens) => k + ":" + tens.Sum()))`, "1:20;2:40"},
		{`JsonConvert.SerializeObject(((JArray)JObject.Parse("{\"o\":[{\"c\":\"x\",\"n\":1},{\"c\":\"y\",\"n\":2},{\"c\":\"x\",\"n\":3}]}")["o"]).GroupBy(o => (string)o["c"], (c, os) => new { c, total = os.Sum(o => (int)o["n"]) }))`, `[{"c":"x","total":4},{"c":"y","total":2}]`},
		{`string.Join(",", new[] {"bb", "a", "ab", "b"}.OrderBy(x => x.Length).ThenBy(x => x)) + "|" + string.Join(",", new[] {"bb", "a", "ab", "b"}.OrderByDescending(x => x.Length).ThenByDescending(x => x))`, "a,b,ab,bb|bb,ab,b,a"},
		{`string.Join(",", context.Request.Headers.ToDictionary(h => h.Key.ToLower(), h => h.Value.Length).Keys)`, "authorization,content-type,user-agent,x-multi"},
		// System.Net.IPAddress
		{`IPAddress.Parse("10.0.0.7").GetAddressBytes()[0]`, "10"},
		{`IPAddress.Parse(context.Request.IpAddress).ToString()`, "10.0.0.7"},
		{`IPAddress.Parse("10.1.2.3").AddressFamily.ToString() == "InterNetwork" && IPAddress.Parse("::1").AddressFamily.ToString() == "InterNetworkV6"`, "true"},
		{`IPAddress.IsLoopback(IPAddress.Parse("::1")) && IPAddress.Parse("127.0.0.1").Equals(IPAddress.Parse("127.0.0.1"))`, "true"},
		{`IPAddress.Parse("2001:DB8::1").Equals(IPAddress.Parse("2001:db8::1"))`, "true"},
		{`IPAddress.TryParse("300.1.1.1", out var ip) ? "yes" : "no"`, "no"},
		{`IPAddress.TryParse("10.0.0.1", out IPAddress ip) ? ip.ToString() : "no"`, "10.0.0.1"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var d = new Dictionary<string, string>(); d["a"] = "1"; d["a"] = "2"; d["b"] = "3"; return string.Join(",", d.Keys) + "=" + string.Join(",", d.Values) + "/" + d.Count; }`, "a,b=2,3/2"},
		{`@{ var d = new Dictionary<string, object>(); d["a"] = 1; object v; return d.TryGetValue("a", out v) ? v.ToString() : "none"; }`, "1"},
		{`@{ var d = new Dictionary<string, object>(); return d.TryGetValue("x", out var v) ? "has" : "none"; }`, "none"},
	} {
		v, err, ex := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if got := show(v); got != tc.want {
			t.Errorf("%s: got %q, want %q\n%s", tc.src, got, tc.want, ex)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(TimeSpan.Parse("24:00:00"))`, "numeric components is out of range"},
		{`@(TimeSpan.Parse("1:x"))`, "String '1:x' was not recognized as a valid TimeSpan."},
		{`@(Enumerable.Range(0, 1000000).Count())`, "a sequence of more than 100000 items"},
		{`@(Enumerable.Range(1, -1).Count())`, "Parameter 'count'"},
		{`@(Convert.ToDouble("abc"))`, "The input string 'abc' was not in a correct format."},
		{`@(new int[] {}.Aggregate((a, b) => a + b))`, "Sequence contains no elements"},
		{`@(new[] {"a", "a"}.ToDictionary(x => x).Count)`, "An item with the same key has already been added. Key: a"},
		{`@(IPAddress.Parse("10.0.0.256"))`, "An invalid IP address was specified."},
		{`@{
			// a CIDR match, as policies write them (here 10.0.0.7 in 10.0.0.0/8 and not in 10.1.0.0/16)
			var ip = IPAddress.Parse(context.Request.IpAddress).GetAddressBytes();
			var results = new List<string>();
			foreach (var cidr in new[] {"10.0.0.0/8", "10.1.0.0/16"}) {
				var net = IPAddress.Parse(cidr.Split('/')[0]).GetAddressBytes();
				int bits = int.Parse(cidr.Split('/')[1]);
				bool ok = true;
				for (int i = 0; i < 4; i++) {
					int m = bits >= 8 ? 255 : bits <= 0 ? 0 : (255 << (8 - bits)) & 255;
					if ((ip[i] & m) != (net[i] & m)) { ok = false; }
					bits -= 8;
				}
				results.Add(ok.ToString());
			}
			throw new Exception(string.Join(",", results));
		}`, "True,False"},
		{`@{ var d = new Dictionary<string, string>(); d[(string)context.Variables["missing"]] = "x"; return d.Count; }`, "Value cannot be null. (Parameter 'key')"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpLocalFunctions: local functions in statement blocks (a CIDR
// helper, as one of the policy samples writes it), hoisted, recursive,
// closing over the block's locals; bounded in depth; checked at load.
func TestCSharpLocalFunctions(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`@{
    bool InRange(string ip, string cidr) {
        var parts = cidr.Split('/');
        var bits = int.Parse(parts[1]);
        var a = IPAddress.Parse(ip).GetAddressBytes();
        var n = IPAddress.Parse(parts[0]).GetAddressBytes();
        for (int i = 0; i < 4; i++) {
            int m = bits >= 8 ? 255 : bits <= 0 ? 0 : (255 << (8 - bits)) & 255;
            if ((a[i] & m) != (n[i] & m)) return false;
            bits -= 8;
        }
        return true;
    }
    return InRange(context.Request.IpAddress, "10.0.0.0/8") + "," + InRange(context.Request.IpAddress, "10.1.0.0/16");
}`, "True,False"},
		{`@{ int Fact(int n) => n <= 1 ? 1 : n * Fact(n - 1); return Fact(10); }`, "3628800"},
		{`@{ return Twice("ab"); string Twice(string s) { return s + s; } }`, "abab"},
		{`@{ var prefix = "x-"; string P(string s) => prefix + s; return P("a") + P("b"); }`, "x-ax-b"},
		{`@{ int Fib(int n) { if (n < 2) { return n; } var a = Fib(n - 1); var b = Fib(n - 2); return a + b; } return Fib(15); }`, "610"},
		{`@{ static string Up(string s) => s.ToUpper(); return Up("a"); }`, "A"},
	} {
		v, err, ex := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if got := show(v); got != tc.want || ex.Lang != "C#" {
			t.Errorf("%s: got %q (%s), want %q", tc.src, got, ex.Lang, tc.want)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{`@{ int F(int n) { if (n > 0) { return 1; } } return F(1); }`, "'F': not all code paths return a value"},
		{`@{ int F(int n) => "s"; return F(1); }`, "cannot implicitly convert type 'string' to 'int'"},
		{`@{ int F(int n) => n; return F("a"); }`, "cannot implicitly convert type 'string' to 'int'"},
		{`@{ int F(int n) => n; return F(1, 2); }`, "no overload for method 'F' takes 2 arguments"},
		{`@{ int F(int n) => n; int F(int m) => m; return F(1); }`, "a local function named 'F' is already defined"},
		{`@{ int F(int n) => n; return G(1); }`, "the name 'G' does not exist"},
		// a break or continue belongs to a loop of its own function (CS0139)
		{`@{ break; return 1; }`, "no enclosing loop out of which to break or continue"},
		{`@{ var n = 0; foreach (var x in new[] { 1, 2 }) { void F() { continue; } F(); n++; } return n; }`, "no enclosing loop out of which to break or continue"},
		{`@{ for (var i = 0; i < 2; i++) { } continue; return 1; }`, "no enclosing loop out of which to break or continue"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.msg) {
			t.Errorf("%s: %v, want a load error with %q", tc.src, errs, tc.msg)
		}
	}
	_, err, _ := csRun(t, `@{ int Loop(int n) => Loop(n + 1); return Loop(0); }`, nil)
	if err == nil || !strings.Contains(err.Error(), "Insufficient stack") {
		t.Errorf("endless recursion: %v", err)
	}
}

// TestCSharpFromPolicySamples: constructs the published APIM policy
// samples use that did not load before: fully qualified type names,
// Array's statics and ExpressionSyntaxExtensions' (extension methods
// called as statics), DateTimeOffset from a DateTime and from Unix time,
// DateTime from ticks, Replace(char, char), Convert.ToByte,
// JToken.ToObject<T>(), LINQ over a form field, const locals, typed
// hash algorithm locals, void local functions, context.Api.ServiceUrl
// as an IUrl, a seeded Random and string.GetHashCode.
func TestCSharpFromPolicySamples(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`Array.Exists(new[] {"a", "sendEmail"}, element => element == "sendEmail")`, "true"},
		{`Array.IndexOf(new[] {"a", "b"}, "b")`, "1"},
		{`string.Join(",", Array.FindAll(new[] {1, 2, 3, 4}, x => x % 2 == 0))`, "2,4"},
		{`ExpressionSyntaxExtensions.TryParseBasic("Basic Zm9vOmJhcg==", out var c) ? c.UserId : "no"`, "foo"},
		{`ExpressionSyntaxExtensions.AsBasic("Basic Zm9vOmJhcg==").Password`, "bar"},
		{`new System.Random().Next(1, 2)`, "1"},
		{`new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes("k")).ComputeHash(Encoding.UTF8.GetBytes("m")).Length`, "32"},
		{`new DateTimeOffset(new DateTime(2020, 1, 2)).ToUnixTimeSeconds()`, "1577923200"},
		{`new DateTime(637134336000000000).ToString("yyyy-MM-dd")`, "2020-01-01"},
		{`DateTimeOffset.FromUnixTimeMilliseconds(1700000000123).ToString("o")`, "2023-11-14T22:13:20.1230000+00:00"},
		{`DateTimeOffset.FromUnixTimeSeconds(1700000000).ToUnixTimeMilliseconds()`, "1700000000000"},
		{`"a+b/c".Replace('+', '-').Replace('/', '_')`, "a-b_c"},
		{`Convert.ToByte(int.Parse("200")) + Convert.ToByte("7")`, "207"},
		{`JObject.Parse("{\"u\":{\"t\":42}}").SelectToken("u.t").ToObject<int>() + 1`, "43"},
		{`context.Request.Body.AsFormUrlEncodedContent(true)["a"].Single()`, "1"},
		{`context.Api.ServiceUrl.Host + ":" + context.Api.ServiceUrl.Port + context.Api.ServiceUrl.Path`, "backend:80"},
		{`context.Api.ServiceUrl + "/x"`, "http://backend/x"},
		{`new Random(42).Next(1000) == new Random(42).Next(1000)`, "true"},
		{`"abc".GetHashCode() == "abc".GetHashCode() && "abc".GetHashCode() != "abd".GetHashCode()`, "true"},
		{`new System.Security.Cryptography.HMACSHA256 { Key = Convert.FromBase64String("c2VjcmV0") }.ComputeHash(Encoding.UTF8.GetBytes("m")).Length`, "32"},
		{`BitConverter.ToInt32(new byte[] {1, 0, 0, 0, 255}, 0) + BitConverter.ToInt32(new byte[] {255, 255, 255, 255}, 0)`, "0"},
		// a JWT's claims are string[] (APIM's IReadOnlyDictionary<string, string[]>)
		{`"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.".AsJwt().Claims["roles"].Length`, "2"},
		{`Array.Exists("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.".AsJwt().Claims["roles"], e => e == "b")`, "true"},
		{`"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImEiLCJiIl19.".AsJwt().Claims["sub"][0]`, "alice"},
	} {
		csBothPaths(t, tc.src, tc.want, func(s *State) { s.Context().Request.Body = NewBody([]byte("a=1&b=2")) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ HMACSHA256 hmac = new HMACSHA256(Encoding.UTF8.GetBytes("k")); const uint Life = 60 * 20; return hmac.ComputeHash(Encoding.UTF8.GetBytes("m")).Length + Life; }`, "1232"},
		{`@{ var o = new JObject(); void Put(string k, string v) { if (v == null) { return; } o[k] = v; } Put("a", "1"); Put("b", null); return o.ToString(Formatting.None); }`, `{"a":"1"}`},
		{`@{ var sb = new StringBuilder(); sb.Append("hello world"); sb.Replace("world", "there"); sb.Insert(0, ">"); sb.Remove(1, 1); sb.AppendFormat("[{0}]", 7); return sb.ToString(); }`, ">ello there[7]"},
		{`@{ var sb = new StringBuilder("x"); sb.Clear(); sb.Append("y"); sb.Replace('y', 'z'); return sb.ToString() + sb.Length; }`, "z1"},
		{`@{ var n = 0; foreach (var g in new[] {"a", "bb", "c"}.GroupBy(x => x.Length)) { IEnumerable<string> items = g; foreach (var s in items) { n += s.Length * g.Key; } } return n; }`, "6"},
	} {
		v, err, _ := csRun(t, tc.src, nil)
		if err != nil || show(v) != tc.want {
			t.Errorf("%s: %v %v, want %q", tc.src, show(v), err, tc.want)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{`@{ const int X = 1; X = 2; return X; }`, "'X' is a const"},
		{`@{ const int X; return 1; }`, "a const field requires a value"},
		{`@{ void F() { return 1; } F(); return 2; }`, "a void local function cannot return a value"},
		{`@{ return; }`, "a policy expression must return a value"},
		{`@(new DateTime(-1))`, "Ticks must be between"},
		{`@(Convert.ToByte(256))`, "too large or too small for an unsigned byte"},
		{`@(BitConverter.ToInt32(new byte[] {1, 0, 0}, 0))`, "Destination array is not long enough"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpXNamespace: reading a SOAP answer by namespace, as a
// published policy sample does: XNamespace ns = "uri"; ns + "local" is an
// XName matched by namespace and local name; Elements and Descendants
// also run over a sequence of elements. A bare name still matches the
// local name in any namespace.
func TestCSharpXNamespace(t *testing.T) {
	soap := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><SessionResponse xmlns="http://tempuri.org/"><SessionResult>tok-1</SessionResult></SessionResponse><x:SessionResult xmlns:x="urn:other" x:kind="k">no</x:SessionResult></soap:Body></soap:Envelope>`
	body := func(s *State) { s.Context().Request.Body = NewBody([]byte(soap)) }
	for _, tc := range []struct{ src, want string }{
		{`XNamespace soapNS = "http://schemas.xmlsoap.org/soap/envelope/"; XNamespace responseNS = "http://tempuri.org/";
			var element = context.Request.Body.As<XDocument>(preserveContent: true)
				.Elements(soapNS + "Envelope").Elements(soapNS + "Body")
				.Elements(responseNS + "SessionResponse").Elements(responseNS + "SessionResult").FirstOrDefault();
			return element.Value;`, "tok-1"},
		{`XNamespace ns = "urn:other"; return context.Request.Body.As<XDocument>().Descendants(ns + "SessionResult").Single().Value;`, "no"},
		{`XNamespace ns = "urn:other"; return context.Request.Body.As<XDocument>().Descendants(ns + "SessionResult").Single().Attribute(ns + "kind").Value;`, "k"},
		{`XNamespace ns = "urn:none"; return context.Request.Body.As<XDocument>().Descendants(ns + "SessionResult").Count();`, "0"},
		{`return context.Request.Body.As<XDocument>().Descendants("SessionResult").Count();`, "2"},
		{`XNamespace ns = "http://tempuri.org/"; return (ns + "a") + "|" + ns.NamespaceName + "|" + (XNamespace.None + "b");`, "{http://tempuri.org/}a|http://tempuri.org/|b"},
	} {
		csBothBlocks(t, tc.src, tc.want, body)
	}
}

// TestCSharpJPropertyValue: JProperty.Value's setter changes the object
// the property was read from, as Newtonsoft's does (masking a field, say).
func TestCSharpJPropertyValue(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var o = JObject.Parse("{\"a\":1,\"ssn\":\"123\"}"); foreach (var p in o.Properties()) { if (p.Name == "ssn") { p.Value = "***"; } } return o.ToString(Formatting.None);`, `{"a":1,"ssn":"***"}`},
		{`var o = JObject.Parse("{\"a\":1,\"b\":2}"); var p = o.Property("a"); p.Value = new JArray(1, 2); p.Value = null; o.Property("b").Value = 3.5; return o.ToString(Formatting.None);`, `{"a":null,"b":3.5}`},
		{`var o = JObject.Parse("{\"a\":1}"); var p = o.Property("a"); p.Remove(); p.Value = true; return o.ToString(Formatting.None) + (string)p.Value;`, `{}True`},
		{`var o = JObject.Parse("{\"a\":{\"b\":1}}"); ((JObject)o["a"]).Property("b").Value = "x"; JToken v = o.Property("a").Value = 7; return o.ToString(Formatting.None) + v.Type;`, `{"a":7}Integer`},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
}

// TestCSharpXMLBuild: building and changing XML as System.Xml.Linq does,
// a SOAP envelope with its prefixes included.
func TestCSharpXMLBuild(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`return new XElement("a", new XAttribute("x", 1), new XElement("b", "t"), new XElement("c")).ToString();`, "<a x=\"1\">\n  <b>t</b>\n  <c />\n</a>"},
		{`XNamespace soap = "http://schemas.xmlsoap.org/soap/envelope/"; XNamespace t = "http://tempuri.org/";
			var env = new XElement(soap + "Envelope", new XAttribute(XNamespace.Xmlns + "soap", soap),
				new XElement(soap + "Body", new XElement(t + "Send", new XElement(t + "message", "hi"))));
			return env.ToString();`, "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n  <soap:Body>\n    <Send xmlns=\"http://tempuri.org/\">\n      <message>hi</message>\n    </Send>\n  </soap:Body>\n</soap:Envelope>"},
		{`var e = new XElement("r"); e.Add(new XElement("c", 1)); e.SetAttributeValue("k", "v"); e.SetElementValue("d", true); e.Element("c").SetValue(2); return e.ToString();`, "<r k=\"v\">\n  <c>2</c>\n  <d>true</d>\n</r>"},
		{`var e = XElement.Parse("<r><a/><b/></r>"); e.Element("a").Remove(); e.SetElementValue("b", null); return e.ToString();`, "<r />"},
		{`return new XDocument(new XElement("root", new XElement("x", "1"))).Root.Element("x").Value;`, "1"},
		{`XNamespace t = "urn:t"; var e = new XElement(t + "a", new XElement(t + "b", "v")); return e.Element(t + "b").Value;`, "v"},
		{`return new XElement("a", new[] {new XElement("b"), new XElement("c")}).Elements().Count();`, "2"},
		// XText, XCData and XComment: text escaped, a CDATA section, a comment; Value leaves the comment out.
		{`return new XElement("a", new XText("x < y"), new XCData("<b>"), new XComment(" note ")).ToString();`, "<a>x &lt; y<![CDATA[<b>]]><!-- note --></a>"},
		{`return new XElement("a", new XText("x < y"), new XCData("<b>"), new XComment(" note ")).Value;`, "x < y<b>"},
		{`return new XCData("a]]>b").ToString();`, "<![CDATA[a]]]]><![CDATA[>b]]>"},
		{`var e = new XElement("a", new XCData("a]]>b")); return XElement.Parse(e.ToString()).Value;`, "a]]>b"},
		{`XText t = new XText("1 & 2"); XComment c = new XComment("c"); return t.Value + "|" + t.ToString() + "|" + c.ToString() + "|" + c.Value;`, "1 & 2|1 &amp; 2|<!--c-->|c"},
		{`var e = new XElement("a"); e.Add(new XComment("x")); e.Add(new XElement("b")); return e.Elements().Count() + "/" + e.Value.Length;`, "1/0"},
		// ReplaceWith, AddFirst, RemoveNodes, RemoveAll, Parent.
		{`var d = XDocument.Parse("<r><a>1</a><b/></r>"); d.Root.Element("a").ReplaceWith(new XElement("x", "2"), new XElement("y")); return d.Root.ToString();`, "<r>\n  <x>2</x>\n  <y />\n  <b />\n</r>"},
		{`var e = XElement.Parse("<r k=\"v\"><a/></r>"); e.AddFirst(new XElement("first"), new XAttribute("n", 1)); return e.ToString();`, "<r k=\"v\" n=\"1\">\n  <first />\n  <a />\n</r>"},
		{`var e = XElement.Parse("<r k=\"v\"><a/>t</r>"); e.RemoveNodes(); var f = XElement.Parse("<r k=\"v\"><a/></r>"); f.RemoveAll(); return e.ToString() + "|" + f.ToString();`, "<r k=\"v\" />|<r />"},
		{`var d = XDocument.Parse("<r><a><b/></a></r>"); var b = d.Root.Element("a").Element("b"); return b.Parent.Name + "|" + (d.Root.Parent == null);`, "a|True"},
		// The Value setters of XElement and XAttribute (a string; an element's children give way to the text).
		{`var d = XDocument.Parse("<r k=\"v\"><a><b/>old</a></r>"); d.Root.Element("a").Value = "x < y"; d.Root.Attribute("k").Value = "w"; return d.ToString();`, "<r k=\"w\">\n  <a>x &lt; y</a>\n</r>"},
		{`var e = new XElement("a", "1"); string s = e.Value = "2"; return s + e.Value;`, "22"},
		{`XNamespace t = "urn:t"; var e = XElement.Parse("<x:r xmlns:x=\"urn:t\"><x:n>1</x:n></x:r>"); foreach (var n in e.Elements(t + "n")) { n.Value = (int.Parse(n.Value) + 1).ToString(); } return e.ToString(SaveOptions.DisableFormatting);`, "<x:r xmlns:x=\"urn:t\"><x:n>2</x:n></x:r>"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(new XElement("a", new XAttribute("x", 1), new XAttribute("x", 2)))`, "Duplicate attribute."},
		{`@{ var e = new XElement("a"); e.Remove(); return 1; }`, "The parent is missing."},
		{`@(new XElement("a b"))`, "cannot be included in a name"},
		{`@(new XComment("a--b"))`, "An XML comment cannot contain '--'"},
		{`@{ var e = XElement.Parse("<r/>"); e.ReplaceWith(new XElement("x")); return 1; }`, "The parent is missing."},
		{`@{ var e = XElement.Parse("<r><a/></r>"); e.Element("a").ReplaceWith(new XAttribute("x", 1)); return 1; }`, "An attribute cannot be added to content."},
		{`@(new XText(null))`, "Value cannot be null"},
		{`@{ var e = new XElement("a"); e.Value = null; return 1; }`, "Value cannot be null"},
		{`@{ var e = new XElement("a"); e.Value = 1; return 1; }`, "cannot implicitly convert type 'int' to 'string'"},
		{`@{ var e = new XElement("a"); e.Value += "x"; return 1; }`, "only '=' can assign to the Value of an XML element, attribute or JProperty"},
		{`@{ var j = JObject.Parse("{}"); j.Value = "x"; return 1; }`, "'JObject' does not contain a definition for 'Value'"},
		{`@{ var t = new XText("a"); t.Value = "x"; return 1; }`, "property 'Value' of 'XText' cannot be assigned to here"},
		{`@{ JProperty p = null; p.Value = 1; return 1; }`, "Object reference not set"},
		{`@{ XElement e = null; e.Value = "x"; return 1; }`, "Object reference not set"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpSelectTokens: JSONPath beyond dotted paths (wildcards,
// recursive descent, filters, unions, slices) in SelectTokens and
// SelectToken, as Newtonsoft reads them; the tokens are the document's own.
func TestCSharpSelectTokens(t *testing.T) {
	doc := `JObject.Parse("{\"store\":{\"book\":[{\"title\":\"A\",\"price\":8.95},{\"title\":\"B\",\"price\":12.99},{\"title\":\"C\",\"price\":8.99}],\"bicycle\":{\"color\":\"red\",\"price\":19.95}}}")`
	for _, tc := range []struct{ src, want string }{
		{`string.Join(",", ` + doc + `.SelectTokens("$.store.book[*].title"))`, "A,B,C"},
		{`string.Join(",", ` + doc + `.SelectTokens("store.book[?(@.price < 10)].title"))`, "A,C"},
		{`` + doc + `.SelectTokens("$..price").Count()`, "4"},
		{`(string)` + doc + `.SelectToken("$.store.book[?(@.title == 'B')].title")`, "B"},
		{`string.Join(",", ` + doc + `.SelectTokens("$.store.book[0,2].title"))`, "A,C"},
		{`string.Join(",", ` + doc + `.SelectTokens("$.store.book[-1:].title"))`, "C"},
		{`` + doc + `.SelectTokens("store.missing").Count()`, "0"},
		// Newtonsoft's regular expression filters: =~ /regex/flags, matching anywhere in the value.
		{`string.Join(",", ` + doc + `.SelectTokens("$.store.book[?(@.title =~ /^[AC]$/)].title"))`, "A,C"},
		{`string.Join(",", ` + doc + `.SelectTokens("$.store.book[?(@.title =~ /b/i)].price"))`, "12.99"},
		{`string.Join(",", ` + doc + `.SelectTokens("$.store.book[?(@.title=~/\\w/ && @.price > 8.96)].title"))`, "B,C"},
		{`` + doc + `.SelectTokens("$..[?(@.color =~ /r.d/)]").Count()`, "1"},
		{`string.Join(",", JObject.Parse("{\"a\":[{\"u\":\"http://x/y\"},{\"u\":\"it's\"}]}").SelectTokens("a[?(@.u =~ /x\\/y/)].u"))`, "http://x/y"},
		{`string.Join(",", JObject.Parse("{\"a\":[{\"u\":\"http://x/y\"},{\"u\":\"it's\"}]}").SelectTokens("a[?(@.u =~ /'s$/)].u"))`, "it's"},
		{`` + doc + `.SelectToken("store.book[?(@.price > 100)]") == null`, "true"},
		{`(string)` + doc + `.SelectToken("store.bicycle.color")`, "red"},
		// the regex is .NET's (Json.NET runs Regex.IsMatch): look-behind, back-references, x for ExplicitCapture, '.' takes \r
		{`string.Join(",", JObject.Parse("{\"a\":[{\"u\":\"v2/x\"},{\"u\":\"v3/x\"},{\"u\":\"aa\"}]}").SelectTokens("a[?(@.u =~ /(?<=v2)\\/x/ || @.u =~ /^(?<c>a)\\k<c>$/x)].u"))`, "v2/x,aa"},
		{`JObject.Parse("{\"a\":[{\"u\":\"aa\"}]}").SelectTokens("a[?(@.u =~ /^(a)\\1$/)]").Count()`, "1"},
		{`JObject.Parse("{\"a\":[{\"u\":\"x\\ry\"}]}").SelectTokens("a[?(@.u =~ /x.y/)]").Count()`, "1"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	// the tokens are the document's: changing one changes the document
	v, err, _ := csRun(t, `@{ var o = `+doc+`; foreach (var p in o.SelectTokens("$.store.book[*]")) { ((JObject)p)["seen"] = true; } return o.SelectTokens("$..seen").Count(); }`, nil)
	if err != nil || show(v) != "3" {
		t.Errorf("tokens are copies: %v %v", show(v), err)
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(` + doc + `.SelectToken("$..title"))`, "Path returned multiple tokens."},
		{`@(` + doc + `.SelectTokens("$.store.book[?(@.price <"))`, "Unexpected character while parsing path"},
		{`@(` + doc + `.SelectTokens("$.store.book[?(@.title =~ /a/q)]"))`, "Unexpected character while parsing path"},
		// the regex's own exceptions come out of SelectTokens, as out of Json.NET's
		{`@(` + doc + `.SelectTokens("$.store.book[?(@.title =~ /(a/)]").Count())`, "Invalid pattern '(a' at offset 2. Not enough )'s."},
		{`@(JObject.Parse("{\"a\":[{\"u\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"}]}").SelectTokens("a[?(@.u =~ /^(a+)+$/)]").Count())`, "The Regex engine has timed out"},
		{`@(` + doc + `.SelectTokens("$.store.book[?(@.title =~ a)]"))`, "Unexpected character while parsing path"},
		{`@(` + doc + `.SelectTokens("$.store.book[?(@.title =~ /a)]"))`, "Unexpected character while parsing path"},
		{`@(` + doc + `.SelectTokens("$.store.book[?(1 =~ /a/)]"))`, "Unexpected character while parsing path"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpRuntimeFailures: a cast that fails, a null member, a bad
// Parse... become ExpressionValueEvaluationFailure with .NET's message,
// never a panic; loops and strings stay bounded.
func TestCSharpRuntimeFailures(t *testing.T) {
	noBody := func(s *State) { s.Variables()["resp"] = &Response{StatusCode: 200} }
	for _, tc := range []struct{ src, msg string }{
		{`@((string)context.Variables["n"])`, "Unable to cast object of type 'System.Int64' to type 'System.String'."},
		{`@((int)context.Variables["s"])`, "Unable to cast object of type 'System.String' to type 'System.Int32'."},
		{`@(((IResponse)context.Variables["s"]).StatusCode)`, "Unable to cast object of type 'System.String' to type 'IResponse'."},
		{`@((JObject)context.Variables["s"])`, "Unable to cast object of type 'System.String' to type 'Newtonsoft.Json.Linq.JObject'."},
		{`@((int)context.Variables["missing"])`, "Object reference not set to an instance of an object."},
		{`@(context.Response.StatusCode)`, "Object reference not set to an instance of an object."},
		{`@(context.Product.Name)`, "Object reference not set to an instance of an object."},
		{`@(context.Subscription.EndDate.HasValue)`, "Object reference not set to an instance of an object."},
		{`@(((IResponse)context.Variables["resp"]).Body.As<JObject>()["x"])`, "Object reference not set to an instance of an object."},
		{`@(((string)context.Variables["missing"]).Length)`, "Object reference not set to an instance of an object."},
		{`@(int.Parse("12x"))`, "The input string '12x' was not in a correct format."},
		{`@(context.Request.Method.Substring(10))`, "startIndex cannot be larger than length of string."},
		{`@(JObject.Parse("[1]"))`, "Current JsonReader item is not an object."},
		{`@(JObject.Parse("{"))`, "Unexpected end of content"},
		{`@(1 / (context.Request.Method.Length - 4))`, "Attempted to divide by zero."},
		{`@(Convert.FromBase64String("!!"))`, "The input is not a valid Base-64 string"},
		{`@(((IEnumerable<object>)context.Variables["list"]).First(x => (string)x == "z"))`, "Sequence contains no matching element"},
		{`@(context.Request.Body.As<JObject>()["tags"]["x"])`, "Accessed JArray values with invalid key value"},
		{`@{ int i = 0; while (true) { i++; } return i; }`, "more than 100000 steps"},
		{`@{ string s = "x"; while (true) { s = s + s; } return s; }`, "a string of more than"},
		{`@{ string s = "x"; foreach (var i in new[] {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25}) { s = s + s; } return s; }`, "a string of more than"},
		{`@{ throw new Exception("boom"); }`, "boom"},
		{`@("x".PadLeft(100000000))`, "a string of more than"},
		{`@{ var s = "x".PadLeft(1000000); var l = new List<string>(); for (int i = 0; i < 100; i++) { l.Add(s); } return string.Join(",", l); }`, "a string of more than"},
		{`@{ var s = "x".PadLeft(1000000); var o = new JObject(); for (int i = 0; i < 100; i++) { o["k" + i] = s; } return o.ToString(); }`, "a string of more than"},
		{`@{ var s = "x".PadLeft(1000000); var o = new JObject(); for (int i = 0; i < 100; i++) { o["k" + i] = s; } return JsonConvert.SerializeObject(o); }`, "a string of more than"},
		{`@("ab".PadLeft(1000, 'a').Replace("a", "x".PadLeft(100000)))`, "a string of more than"},
		{`@(string.Format("{0,100000000}", 1))`, "a string of more than"},
		{`@($"{1,-100000000}")`, "a string of more than"},
		{`@{ var f = "D1000000"; return ((int)context.Variables["n"]).ToString(f); }`, "a precision past 99"},
		{`@{ var l = new List<string>(); while (true) { l.Add("x"); } return l.Count; }`, "a list of more than 10000 items"},
		{`@{ try { return (string)context.Variables["n"]; } catch (FormatException) { return "not this"; } }`, "Unable to cast"},
		// Out of .NET's DateTime range, or of a TimeSpan's (±292 years
		// here, see docs/expressions-csharp.md): .NET's exceptions, never a
		// value that wrapped around.
		// Numbers past the target's range: .NET's OverflowException.
		{`@(Convert.ToInt32("5000000000"))`, "Value was either too large or too small for an Int32."},
		{`@(Convert.ToInt32(2147483647.5))`, "Value was either too large or too small for an Int32."},
		{`@(Convert.ToInt32(1e30))`, "Value was either too large or too small for an Int32."},
		{`@(Convert.ToInt64(1e30))`, "Value was either too large or too small for an Int64."},
		{`@(Convert.ToInt32(long.Parse("5000000000")))`, "Value was either too large or too small for an Int32."},
		{`@(int.Parse("5000000000"))`, "Value was either too large or too small for an Int32."},
		{`@(long.Parse("99999999999999999999"))`, "Value was either too large or too small for an Int64."},
		{`@((long)JObject.Parse("{\"a\": 1e30}")["a"])`, "Value was either too large or too small for an Int64."},
		{`@((int)JObject.Parse("{\"a\": \"99999999999999999999\"}")["a"])`, "Value was either too large or too small for an Int32."},
		{`@((long)JObject.Parse("{\"a\": \"99999999999999999999\"}")["a"])`, "Value was either too large or too small for an Int64."},
		{`@((int)JObject.Parse("{\"a\": 2147483648}")["a"])`, "Value was either too large or too small for an Int32."},
		{`@("x".PadLeft(-1))`, "Non-negative number required. (Parameter 'totalWidth')"},
		{`@("x".PadRight(-1))`, "Non-negative number required. (Parameter 'totalWidth')"},
		{`@("abc".Remove(3))`, "startIndex must be less than length of string."},
		{`@("abc".Remove(1, 3))`, "Index and count must refer to a location within the string."},
		{`@("abc".Insert(4, "x"))`, "Specified argument was out of the range of valid values. (Parameter 'startIndex')"},
		{`@(new string('x', -1))`, "Non-negative number required. (Parameter 'count')"},
		{`@(new string('x', 100000000))`, "a string of more than"},
		{`@(new[] {1}.Where(x => x > 5).Average())`, "Sequence contains no elements"},
		{`@((int)XElement.Parse("<b>x</b>"))`, "The string 'x' is not a valid Int64 value."},
		{`@((bool)XElement.Parse("<b>yes</b>"))`, "The string 'yes' is not a valid Boolean value."},
		{`@(JObject.Parse("{\"a\": 1}")["a"].First)`, "Cannot access child value on Newtonsoft.Json.Linq.JValue."},
		{`@(new DateTime(9999, 12, 1).AddMonths(1))`, "The added or subtracted value results in an un-representable DateTime."},
		{`@(new DateTime(2020, 1, 1).AddMonths(200000))`, "Months value must be between +/-120000."},
		{`@(new DateTime(2020, 1, 1).AddYears(10001))`, "un-representable DateTime"},
		{`@(Math.Round(1.5, 16))`, "Rounding digits must be between 0 and 15, inclusive."},
		{`@(Math.Round(1.5, -1))`, "Rounding digits must be between 0 and 15, inclusive."},
		{`@(new DateTime(9999, 12, 31).AddDays(2))`, "The added or subtracted value results in an un-representable DateTime."},
		{`@(new DateTime(1, 1, 1).AddSeconds(-1))`, "The added or subtracted value results in an un-representable DateTime."},
		{`@(new DateTime(9999, 12, 30) + TimeSpan.FromDays(3))`, "The added or subtracted value results in an un-representable DateTime."},
		{`@(new DateTime(2020, 1, 1).AddDays(1e7))`, "Value to add was out of range."},
		{`@(TimeSpan.FromDays(1000000))`, "TimeSpan overflowed because the duration is too long."},
		{`@(TimeSpan.FromDays(100000) + TimeSpan.FromDays(100000))`, "TimeSpan overflowed because the duration is too long."},
		{`@{ var d = TimeSpan.FromDays(-100000) - TimeSpan.FromDays(100000); return d; }`, "TimeSpan overflowed because the duration is too long."},
		{`@(new DateTime(2020, 1, 1) - new DateTime(1, 1, 1))`, "TimeSpan overflowed because the duration is too long."},
	} {
		v, err, ex := csRun(t, tc.src, noBody)
		if err == nil {
			t.Errorf("%s: gave %.80q, want a failure with %q", tc.src, show(v), tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), ReasonExpression) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v\nwant %s with %q\n%s", tc.src, err, ReasonExpression, tc.msg, ex)
		}
	}
}

// TestLanguageRule: a text that is C# (parses and type-checks) is C#, with
// C#'s meaning; anything else that compiles as expr is expr.
func TestLanguageRule(t *testing.T) {
	for _, tc := range []struct{ src, lang, want string }{
		{`@(7 / 2)`, "C#", "3"},
		{`@(7.0 / 2)`, "C#", "3.5"},
		{`@('a')`, "C#", "a"},
		{`@('abc')`, "expr", "abc"},
		{`@("n=" + 1)`, "C#", "n=1"},
		{`@(context.Request.Method == "POST")`, "C#", "true"},
		{`@(upper(context.Request.Method))`, "expr", "POST"},
		{`@(context.Variables["resp"].StatusCode)`, "expr", "200"},
		{`@(context.Variables["resp"].Body.AsJSON().accessToken)`, "expr", "tok"},
		{`@{ let a = 1; let b = 2; return a + b; }`, "expr", "3"},
		{`@(len(context.Request.Method) > 3 ? "long" : "short")`, "expr", "long"},
		{`@(context.Request.Method.Length > 3 ? "long" : "short")`, "C#", "long"},
		{"@(`raw`)", "expr", "raw"},
		{`@(1 in [1, 2])`, "expr", "true"},
	} {
		v, err, ex := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if ex.Lang != tc.lang || show(v) != tc.want {
			t.Errorf("%s: %s gave %q, want %s giving %q", tc.src, ex.Lang, show(v), tc.lang, tc.want)
		}
	}
}

// TestCSharpTrace: context.Trace(message) writes to the request's trace,
// lowered or interpreted, and context.Tracing says whether there is one.
func TestCSharpTrace(t *testing.T) {
	for _, src := range []string{
		`@{ context.Trace("hello " + context.Request.Method); return context.Tracing; }`,
		`@{ int i = 0; while (i < 1) { context.Trace("hello " + context.Request.Method); i++; } return context.Tracing; }`,
	} {
		for _, on := range []bool{false, true} {
			plan, ex, errs := csCompile(t, src)
			if len(errs) > 0 {
				t.Fatalf("%s: %v", src, errs)
			}
			s := csState()
			var tr *Trace
			if on {
				tr = s.EnableTrace()
			}
			if plan.Run(context.Background(), Inbound, s) {
				t.Fatalf("%s: %+v", src, s.LastError())
			}
			if got := s.Variables()["out"]; got != on {
				t.Errorf("%s: Tracing = %v with tracing %v\n%s", src, got, on, ex)
			}
			if on && (len(tr.Steps) != 1 || strings.Join(tr.Steps[0].Notes, "|") != "hello POST") {
				t.Errorf("%s: trace %+v", src, tr.Steps)
			}
			s.Release()
		}
	}
}

// A catch clause catches the exception's derived types, as .NET's do
// (Newtonsoft's JsonReaderException is a JsonException).
func TestCSharpCatchBaseTypes(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`try { return int.Parse("99999999999").ToString(); } catch (ArithmeticException) { return "arith"; }`, "arith"},
		{`try { return new Uri("nope").Host; } catch (FormatException) { return "fmt"; }`, "fmt"},
		{`try { return JObject.Parse("{").ToString(); } catch (JsonException e) { return e.Message; }`, "Unexpected end of content while loading JObject."},
		{`try { return JObject.Parse("{}x").ToString(); } catch (JsonReaderException) { return "jr"; }`, "jr"},
		{`try { return JObject.Parse("{").ToString(); } catch (FormatException) { return "fmt"; } catch (Exception) { return "ex"; }`, "ex"},
		{`try { string s = null; return s.Length.ToString(); } catch (SystemException) { return "sys"; }`, "sys"},
		{`try { string s = null; return s.Length.ToString(); } catch (NullReferenceException) { return "nre"; }`, "nre"},
		{`try { var z = 0; return (1 / z).ToString(); } catch (ArithmeticException) { return "div"; }`, "div"},
		{`try { return "a".Substring(5); } catch (ArgumentException) { return "arg"; }`, "arg"},
		{`try { return "a".Substring(5); } catch (ArgumentNullException) { return "null"; } catch (ArgumentOutOfRangeException) { return "range"; }`, "range"},
	} {
		csWant(t, "@{ "+tc.stmts+" }", tc.want, nil)
	}
}
