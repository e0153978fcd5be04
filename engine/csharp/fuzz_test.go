package csharp

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/expr-lang/expr"
)

type fuzzHeaders map[string][]string

func (h fuzzHeaders) GetValueOrDefault(name, def string) string { return def }

type fuzzBody struct{ s string }

func (b *fuzzBody) AsString() (string, error) { return b.s, nil }

type fuzzRequest struct {
	Method  string
	Headers fuzzHeaders
	Body    *fuzzBody
}

type fuzzVars map[string]any

func (v fuzzVars) GetValueOrDefault(name string, def any) any { return def }
func (v fuzzVars) ContainsKey(name string) bool               { _, ok := v[name]; return ok }

type fuzzContext struct {
	Request   *fuzzRequest
	Variables fuzzVars
}

type fuzzEnv struct {
	Context *fuzzContext `expr:"context"`
}

func fuzzFront(t testing.TB) *Front {
	f, err := New(Model{Env: reflect.TypeOf(fuzzEnv{}), Types: map[string]reflect.Type{"IRequest": reflect.TypeOf(&fuzzRequest{})}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// FuzzCSharp: the front-end never panics, a program it lowers always
// compiles in expr, and the interpreter never panics on it.
//
//	go test -run '^$' -fuzz FuzzCSharp ./engine/csharp/
func FuzzCSharp(f *testing.F) {
	for _, s := range []string{
		`(string)context.Variables["x"]`,
		`((string)context.Variables["x"])?.Split(',')?[0].Trim().Length ?? JObject.Parse("{}")?["a"]?["b"].ToString().Length`,
		`return DateTime.TryParseExact("2024-01-02", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) + d.ToString("o") + DateTime.TryParse("x", null, DateTimeStyles.None, out var e);`,
		`return int.Parse(" (¤1,000.00) ", NumberStyles.Any, CultureInfo.InvariantCulture) + long.Parse("FF", NumberStyles.HexNumber) + decimal.Parse("1.5") + Convert.ToString(-1, 16) + uint.TryParse("1e3", NumberStyles.Float, null, out var u) + u + (1.5).ToString("F1", CultureInfo.InvariantCulture) + string.Format(CultureInfo.InvariantCulture, "{0}", DateTime.FromFileTimeUtc(0));`,
		`return DateTime.TryParseExact("2024-01-02T10:00", new[] { "yyyy-MM-dd", "yyyy-MM-ddTHH:mmK" }, null, DateTimeStyles.AdjustToUniversal, out var d) + d.ToString(CultureInfo.InvariantCulture) + DateTimeOffset.Parse("2024-01-02 +1:00", null, DateTimeStyles.AssumeUniversal).ToFileTime();`,
		`var z = TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time"); var l = TimeZoneInfo.ConvertTimeFromUtc(new DateTime(2024, 10, 27, 1, 30, 0), z); return l.ToString("o") + z.IsAmbiguousTime(l) + TimeZoneInfo.ConvertTimeToUtc(l, z).Hour;`,
		`using (var a = SymmetricAlgorithm.Create("aes")) { a.Mode = CipherMode.CFB; a.Padding = PaddingMode.ANSIX923; a.FeedbackSize = 16; var c = new byte[] { 1, 2, 3 }.Encrypt(a); return Convert.ToBase64String(c.Decrypt(a, a.Key, a.IV)); }`,
		`context.Request.Headers.GetValueOrDefault("a", "b").Split(',').Last()`,
		`var a = new int[2][]; a[1] = new[] { 1 }; char c = 'a'; c++; c += ' '; var l = new List<int> { 2, 1 }; l.Sort(Comparer<int>.Default); return a[1][0] + c + Comparer<string>.Default.Compare("a", "B") + TimeSpan.MaxValue + -TimeSpan.MinValue.Duration() + string.Join(",", new Dictionary<string, int> { ["k"] = 1 });`,
		`var o = new Oid("sha256"); o.FriendlyName = "CN"; var c = new X509Certificate2(new byte[] { 48, 0 }); return o.Value + X509NameType.UrlName + RSAEncryptionPadding.OaepSHA256 + c.GetNameInfo(X509NameType.DnsName, true) + (RSAEncryptionPadding.CreateOaep(HashAlgorithmName.SHA1) == RSAEncryptionPadding.OaepSHA1);`,
		`var d = JsonConvert.DeserializeObject<Dictionary<string, int>>("{\"a\":1,\"b\":\"2\"}"); var l = JsonConvert.DeserializeObject<List<JObject>>("[{}]"); var o = new JObject(); o["r"] = new JRaw("[1]"); return d["a"] + d["b"] + l.Count + JsonConvert.DeserializeObject<int>("3") + o.ToString();`,
		`var h = HMAC.Create("hmacsha384"); h.Key = new byte[] { 1 }; HashAlgorithm g = HashAlgorithm.Create("SHA-512") ?? new SHA256Managed(); return Convert.ToBase64String(h.ComputeHash(g.ComputeHash(new byte[3], 1, 2))) + KeyedHashAlgorithm.Create() + new SHA1Managed().HashSize;`,
		`var w = new StringWriter(); w.WriteLine("{0}:{1}", 1, 'c'); XElement.Parse("<a><b/></a>").Save(w); var r = new StringReader(w.ToString()); return r.ReadLine() + r.Peek() + r.Read() + r.ReadToEnd();`,
		`var b = new byte[8]; using (var r = new RNGCryptoServiceProvider()) { r.GetBytes(b, 1, 4); RandomNumberGenerator.Create().GetNonZeroBytes(b); } return b.Length;`,
		`Math.Round(2.45, 1, MidpointRounding.AwayFromZero) + decimal.Round(2.5m, (MidpointRounding)4) + new Uri("http://a:80/b?c#d").GetLeftPart(UriPartial.Query)`,
		`var a = new[] { 3, 1, 2 }; Array.Sort(a); Array.Reverse(a, 0, 2); return BitConverter.ToString(BitConverter.GetBytes((long)a[0])) + BitConverter.ToString(BitConverter.GetBytes('x')) + float.Parse("1.5") + Array.Empty<int>().Length;`,
		`var q = new Queue<int>(new[] { 1, 2 }); q.Enqueue(3); var s = new Stack<string>(); s.Push("a"); var e = q.GetEnumerator(); e.MoveNext(); return Tuple.Create(q.Dequeue(), s.Pop(), e.Current).ToString() + new KeyValuePair<string, int>("k", q.Peek());`,
		`var l = new List<int> { 3, 1, 2 }; var k = l; l.Insert(1, 9); k.RemoveAt(0); l.Sort((a, b) => b - a); l.Reverse(0, 2); var c = new int[5]; l.CopyTo(1, c, 0, 2); l.ForEach(x => c[0] += x); foreach (var x in k) { if (x > 8) { break; } } return l.FindIndex(x => x > 1) + l.FindLastIndex(0, x => true) + l.BinarySearch(2) + l.LastIndexOf(9) + string.Join(",", c) + l.AsReadOnly().Count + l.ConvertAll(x => x * 2).Find(x => x > 2) + "\u0063\u0301".Normalize(NormalizationForm.FormKD).IsNormalized();`,
		`var a = new[] { "b", "a" }; Array.Resize(ref a, 3); var s = new HashSet<string> { "x" }; var t = s; t.Add("y"); return Array.FindIndex(a, x => x == null) + Array.FindLastIndex(a, 1, x => x != null) + s.Count;`,
		`$"{context.Request.Method}:{1 + 2:D3}"`,
		`var a = new int?[2]; int?[] n = { 1, null }; var m = new decimal?[] { 1m, null }; var b = new byte[] { 255 }; var i = 0; a[i++] ??= 3; a[1]++; b[0] += 2; var l = new List<int> { 1 }; l[0] <<= 3; var d = new Dictionary<string, int> { { "k", 1 } }; var x = d["k"]++ + --d["k"]; d["k"] ^= 5; return x + a[0] + l[0] + b[0] + d["k"] + n[1] + m[1];`,
		`@"a""b"`,
		`new JObject(new JProperty("a", 1)).ToString()`,
		`var l = new List<byte>(); l.AddRange(Encoding.UTF8.GetBytes("a")); l.AddRange(l); var t = new List<string> { "x" }; t.AddRange(new[] { "y" }); return Convert.ToBase64String(l.ToArray()) + t.Count + new JObject(new JProperty("a", 1), new JProperty("a", 2));`,
		`return @((string)context.Variables["x"]);`,
		`var j = JObject.Parse("{\"d\":{\"g\":1,\"h\":[1,{}]}}"); j["d"]["g"].Parent.Remove(); return j["d"]["h"][1].Parent.ToString() + j["d"]["h"].ToObject<object[]>().Length + j.First.ToString() + j["d"].ToObject<object>();`,
		`new Dictionary<string, string> { { "a", "b" }, { "c", "d" } }["a"]`,
		`new JObject { ["a"] = 1, ["b"] = "x" }.ToString()`,
		`XDocument.Parse("<a x=\"1\"><b>t</b></a>").Root.Element("b").Value`,
		`XElement.Parse("<a><b/><b/></a>").Elements("b").Count()`,
		`XNamespace s = "urn:s"; var e = new XElement(s + "a", new XAttribute(XNamespace.Xmlns + "p", s), new XElement(s + "b", 1)); e.SetAttributeValue("k", "v"); return e.ToString();`,
		`JObject.Parse("{\"a\":[{\"b\":1},{\"b\":2}]}").SelectTokens("$.a[?(@.b > 1)].b").Count()`,
		`string.Join(";", new[] {"a", "bb", "c"}.GroupBy(x => x.Length).Select(g => g.Key + string.Join(",", g))) + new[] {1, 2}.Aggregate((a, b) => a * b)`,
		`string.Join(",", new[] {"a", "b"}.Zip(new[] {"c"}, (x, y) => x + y).Select((x, i) => x + i))`,
		`XNamespace n = "urn:x"; return XDocument.Parse("<a xmlns=\"urn:x\"><b/></a>").Elements(n + "a").Elements(n + "b").Count();`,
		`var t = (string)context.Variables["t"]; return "Bearer " + t;`,
		`int s = 0; foreach (var x in new[] {1, 2}) { s += x; } return s;`,
		`try { return int.Parse("x"); } catch (Exception e) { return e.Message.Length; }`,
		`if (context.Variables.TryGetValue("a", out var v)) { return v; } return null;`,
		`int F(int n) => n <= 1 ? 1 : n * F(n - 1); return F(5);`,
		`bool In(string ip) { var b = IPAddress.Parse(ip).GetAddressBytes(); return b[0] == 10; } return In(context.Request.IpAddress);`,
		`var d = new Dictionary<string, string>(); d["a"] = "b"; return string.Join(",", d.Keys) + DateTime.UtcNow.DayOfWeek;`,
		`context.Request.Body.As<JObject>(preserveContent: true)?["k"]?.Value<string>()`,
		`((IEnumerable<object>)context.Variables["l"]).Where(x => x != null).Select(x => x.ToString()).ToArray()`,
		`int h = 0; foreach (var c in "key") { h = h * 31 + c; } return checked(Math.Abs(h) % 3) + unchecked((int)4294967297L) + (byte)-h;`,
		`checked { uint u = 4294967295; ulong w = 18446744073709551615UL; return (u >> 1) + (w % 7) + (-2147483648 / 3) + (1 << 33); }`,
		`var d = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { { "a", 1 } }; return new[] { "a", "A" }.Distinct(StringComparer.InvariantCultureIgnoreCase).Count() + d.Count;`,
		`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a" }; s.UnionWith(new[] { "A", "b" }); return s.IsSubsetOf(new[] { "B", "a" }) + "" + s.RemoveWhere(x => x == "b") + s.Add("c");`,
		`var seen = new HashSet<int>(); var n = 0; foreach (var x in new[] {1, 2, 1}) { if (seen.Add(x)) n++; } var l = new List<int> {1}; return n + (l.Remove(1) ? 1 : 0) + new[] {1L, 2L}.Sum() + new[] {1, 2}.Average();`,
		`x => x`, `(a)+b`, `(int)-1`, `'ab'`, "`x`", `/* open`, `a ? b : c ?? d`, `new[] {}`,
		`Match m = Regex.Match("a1b2", @"(?<n>\d)(x)?"); var s = ""; while (m.Success) { s += m.Groups["n"].Value + m.Groups[2].Success + m.Index; m = m.NextMatch(); } return s;`,
		`foreach (Group g in Regex.Match("ab", "(a)(?<x>b)").Groups) { return g.Name + g.Captures.Count; } return Regex.Replace("ab", "(?<x>a)", "$1${x}$$", RegexOptions.ExplicitCapture);`,
		`string[] r = { "a", "b" }; var o = new JObject { { "k", r.Length }, { "l", "x" } }; return new { o, n = r[0] }.n + o;`,
		`var q = new { a = 1, b = "x" }; return new[] { q }.Select(x => x.a).Sum() + Regex.Replace("a1", @"\d", m => m.Value + q.b);`,
		// constant patterns, nullable token values, arrays of structs
		`var s = (string)context.Variables["x"]; object o = context.Variables["n"]; var t = JObject.Parse("{\"a\":\"\"}"); return (s is "x") + "" + (o is 42) + (o is not -1.5) + (t.Value<int?>("b") ?? 3) + t["a"].ToObject<long?>() + new Guid[2][1] + new TimeSpan[1][0] + new DateTime[1][0].Ticks;`,
		// lambdas with a statement body
		`string.Join(",", "a=1;b=2".Split(';').Select(x => { var p = x.Split('='); return p[0]; }))`,
		`var n = 0; var r = new[] {1, 2, 3}.Where(x => { n += x; if (x > 1) { return true; } return false; }).Count(); return n + r;`,
		`return new[] {1, 2}.Select(x => { try { if (x > 1) throw new Exception("e"); return x * 0.5; } catch (Exception e) { return e.Message.Length; } }).Sum();`,
		`return Regex.Replace("a1b2", @"\d", m => { var v = int.Parse(m.Value); return (v + 1).ToString(); });`,
		`foreach (var h in new[] {"a"}) { return new[] {h}.Select(x => { for (int i = 0; i < 2; i++) { x += i; } return x; }).First(); } return "";`,
		`return new[] {1, 2}.Aggregate(0, (a, x) => { int F(int y) => y * 2; return a + F(x); }) + new[] {"a"}.GroupBy(s => { return s.Length; }, (k, g) => { return k; }).First();`,
		`var s = new HashSet<int> {1, 2}; return s.RemoveWhere(x => { return s.Contains(x + 1); }) + new[] {1}.Select((x, i) => { if (x > i) return null; return "y"; }).Count();`,
		`var l = new List<int> {1, 2, 3, 4}; var n = l.RemoveAll(x => { if (x == 3) throw new Exception(); return l.Contains(x - 1); }); return n + string.Join(",", l);`,
		`x => { return x; }`, `(a, b) => { }`, `new[] {1}.Select(x => { })`, `new[] {1}.Select(x => { return; })`,
		// switch statements
		`switch (context.Request.Method) { case "GET": case "HEAD": return "read"; default: return "write"; }`,
		`var r = 0; for (var i = 0; i < 3; i++) { switch (i) { case 0: continue; case 1: if (r > 0) break; r += 2; break; default: r++; break; } } return r;`,
		`switch (1) { case 1: return 1; case 1: return 2; }`, `switch (x) { default: }`, `switch (x) { case : }`, `switch (a) {`,
		// C# 6 and 7: case patterns, exception filters, nameof, discards, throw expressions, default, tuples, ref
		`object o = context.Variables["x"]; switch (o) { case int i when i > 3: return i; case string s: return s.Length; case null: return -1; case var _: return 0; }`,
		`object o = 1; switch (o) { case int i: case long l: return 1; case var x when x != null: return 2; default: return 3; }`,
		`switch (context.Variables["x"]) { case "s" when true: return 1; case JObject j: return j.Count; }`, `switch (o) { case int i when : }`, `switch (o) { case List<int> l: }`,
		`try { throw new ArgumentException("a"); } catch (ArgumentException e) when (e.Message == nameof(e)) { return 1; } catch when (false) { return 2; } catch { return 3; }`,
		`_ = int.TryParse("1", out _); var _ = 2; int.TryParse("3", out var _); return _ + nameof(context.Request) + (context.Variables["x"] is var v) + (v is int _);`,
		`var s = (string)context.Variables["x"] ?? throw new ArgumentNullException(nameof(s)); int F() => throw new Exception(); return s.Length > 0 ? s : throw new Exception("e");`,
		`int x = default; x = default; return 0b1010_1010 + 1_000 + 0xFF_FF + x;`,
		`var t = (1, "a"); return t.Item2;`, `var (a, b) = (1, 2);`, `ref int r = ref a[0];`, `nameof(`, `x ?? throw`, `catch when`, `0b`, `1_`,
		// DateTime kinds and DateTimeOffset
		`var d = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)); DateTimeOffset e = DateTime.SpecifyKind(new DateTime(2020, 1, 1), DateTimeKind.Local); return d.ToOffset(TimeSpan.FromMinutes(-90)).ToString("o") + (d < e) + (d - e) + d.UtcDateTime.Kind + d.EqualsExact(e) + e.LocalDateTime.ToString("K");`,
		`DateTimeOffset x; var ok = DateTimeOffset.TryParse((string)context.Variables["x"], out x); var j = new JObject { { "d", x }, { "k", DateTime.Parse("2020-01-01T00:00:00Z").Kind.ToString() } }; return ok + j.ToString() + DateTimeOffset.ParseExact("2020", "yyyy", null).UtcTicks;`,
		`var z = TimeZoneInfo.FindSystemTimeZoneById("Eastern Standard Time"); return z.GetUtcOffset(DateTime.ParseExact("2024-03-10 02:30", "yyyy-MM-dd HH:mm", null, DateTimeStyles.AssumeUniversal)) + TimeZoneInfo.ConvertTime(DateTimeOffset.UnixEpoch, z).ToString() + (DateTimeOffset?)null;`,
	} {
		f.Add(s)
	}
	front := fuzzFront(f)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4000 {
			return
		}
		for _, block := range []bool{false, true} {
			p, err := front.Compile(src, block)
			if err != nil {
				if _, ok := err.(*SyntaxError); !ok {
					t.Fatalf("%q: error of type %T: %v", src, err, err)
				}
				continue
			}
			if p.Lowered != "" {
				opts := append([]expr.Option{expr.Env(fuzzEnv{})}, front.Options()...)
				opts = append(opts, expr.Function("asJwt", func(...any) (any, error) { return nil, nil }))
				if _, err := expr.Compile(p.Lowered, opts...); err != nil {
					t.Fatalf("%q: lowered program does not compile: %v\n%s", src, err, p.Lowered)
				}
			}
			ctx := &fuzzContext{Request: &fuzzRequest{Method: "GET", Body: &fuzzBody{`{"k":"v"}`}}, Variables: fuzzVars{"x": "s", "l": []any{1, nil}}}
			fr := &frame{m: p.m, ctx: ctx, vars: make([]any, p.nlocal)}
			if p.expr != nil {
				_, _ = fr.eval(p.expr)
			} else {
				_, _, _ = fr.exec(p.block)
			}
		}
	})
}

// TestLowerBlowUp: if/else copies the statements after it into both
// branches; thirty ifs in a row must not take 2^30 steps.
func TestLowerBlowUp(t *testing.T) {
	src := ""
	for i := 0; i < 30; i++ {
		src += `if (context.Request.Method == "A") { } `
	}
	src += `return 1;`
	p, err := fuzzFront(t).Compile(src, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Lowered != "" || p.Why == "" {
		t.Fatalf("lowered %d bytes, want the interpreter", len(p.Lowered))
	}
}

// FuzzCSharpDifferential: an expression that is lowered to expr gives what
// the interpreter gives for it, the same value or a failure on both sides.
// The two ways differ in how they get there (expr's operators and
// conversions against the interpreter's own), which is where a value that
// wraps or saturates on one side only shows.
func FuzzCSharpDifferential(f *testing.F) {
	for _, s := range []string{
		`new DateTime(2020, 1, 1).AddDays(1000000).ToString("yyyy-MM-dd")`,
		`(context.Request.Headers.GetValueOrDefault("X-Missing", "").AsJwt()?.Claims.GetValueOrDefault("a", "b").Length ?? -1) + (((string)context.Variables["s"])?.Trim().ToUpper().Length ?? 0)`,
		`(new DateTime(2020, 1, 1) - new DateTime(1900, 1, 1)).TotalDays`,
		`(TimeSpan.FromDays(100) + TimeSpan.FromHours(5)).TotalHours`,
		`(TimeSpan.MaxValue + TimeSpan.MinValue).Ticks + TimeSpan.MaxValue.Days + EqualityComparer<int>.Default.Equals(1, 1).ToString() + $"{context.Request.Headers}"`,
		`new DateTime(2020, 1, 1).Ticks`,
		`Convert.ToInt32(2.5) + Convert.ToInt32("7")`,
		`(int)JObject.Parse("{\"a\": 2.5}")["a"]`,
		`JObject.Parse("{\"a\":[1,\"x\"]}")["a"].ToObject<object[]>().Length + JObject.Parse("{\"a\":2}")["a"].Parent.ToString()`,
		`7 / 2 + 7 % 3 - (int)3.9`,
		`"abc".Substring(1, 1) + "x".PadLeft(3, '-')`,
		`context.Request.Method.Length * 1000000000000`,
		`Math.Round(2.5) + Math.Floor(-1.5)`,
		`(1.0 / 3).ToString()`,
		`string.Join(",", new[] {1, 2, 3}.Select(x => x * 2))`,
		`new DateTime(2024, 3, 2).DayOfWeek == DayOfWeek.Saturday`,
		`string.Join(",", Enumerable.Range(3, 4).Where(i => i > 4))`,
		`TimeSpan.Parse("1.02:03:04.5").TotalSeconds + Convert.ToDouble("1.5")`,
		`new List<string> {"a", "b"}.IndexOf("b") + ("a,b".Contains(',') ? 1 : 0)`,
		`new[] {1, 2, 3}.ElementAtOrDefault(5) + new[] {4}.FirstOrDefault(x => x > 9) + string.Join(",", new[] {1, 2}.Union(new[] {3})).Length`,
		`context.Request.Method.Length * 2147483647 * 3 - -context.Request.Method.Length + (int)(context.Request.Method.Length * 1e9)`,
		`(short)(context.Request.Method.Length << 14) + (byte)-context.Request.Method.Length + (uint)(context.Request.Method.Length - 4)`,
		`checked(context.Request.Method.Length * 1000000000) + new[] {int.MaxValue, 1}.Sum()`,
		`new[] {"b", "A", "a"}.OrderBy(x => x, StringComparer.Ordinal).Distinct(StringComparer.OrdinalIgnoreCase).Count()`,
		`new HashSet<int> {1, 2}.IsProperSubsetOf(new[] {2, 1, 3}) == new HashSet<string>(new[] {"a"}, StringComparer.OrdinalIgnoreCase).SetEquals(new[] {"A"})`,
		`new[] {1L, long.MaxValue}.Sum() + new[] {int.MaxValue, 1, -1}.Sum() + new[] {(short)1}.Sum(x => x) + new long[] {3, 4}.Average()`,
		// DateTime kinds and DateTimeOffset: both ways give the same kind, offset and instant
		`DateTime.SpecifyKind(new DateTime(2020, 1, 1), DateTimeKind.Utc).AddHours(1.5).ToString("o") + DateTime.Parse("2020-01-01T10:00:00+02:00").Kind + default(DateTime).ToString("K")`,
		`(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)) - new DateTime(2020, 1, 1)).TotalHours + (DateTimeOffset.MaxValue > new DateTime(2020, 1, 1) ? 1 : 0)`,
		`(new DateTimeOffset(2020, 1, 31, 0, 0, 0, TimeSpan.FromHours(-3)) + TimeSpan.FromDays(30)).AddMonths(1).ToString("yyyy-MM-dd zzz") + DateTimeOffset.Parse("2020-01-01T10:00:00+05:30").Offset`,
		`new DateTimeOffset(new DateTime(2020, 1, 1), TimeSpan.Zero) == DateTimeOffset.FromUnixTimeSeconds(1577836800)`,
	} {
		f.Add(s)
	}
	front := fuzzFront(f)
	opts := append([]expr.Option{expr.Env(fuzzEnv{})}, front.Options()...)
	opts = append(opts, expr.Function("asJwt", func(...any) (any, error) { return nil, nil }))
	f.Fuzz(func(t *testing.T, src string) {
		// Policy text is valid UTF-8 (the XML reader refuses anything else).
		if len(src) > 400 || !utf8.ValidString(src) || strings.Contains(src, "New") || strings.Contains(src, "Now") || strings.Contains(src, "Today") ||
			strings.Contains(src, "Random") || strings.Contains(src, "JsonConvert") || strings.Contains(src, "Guid") {
			return // not deterministic, or slow
		}
		p, err := front.Compile(src, false)
		if err != nil || p.Lowered == "" || p.expr == nil {
			return
		}
		prog, err := expr.Compile(p.Lowered, opts...)
		if err != nil {
			t.Fatalf("%q: lowered program does not compile: %v\n%s", src, err, p.Lowered)
		}
		newCtx := func() *fuzzContext {
			return &fuzzContext{Request: &fuzzRequest{Method: "GET", Body: &fuzzBody{`{"k":"v"}`}}, Variables: fuzzVars{"x": "s", "l": []any{1, nil}}}
		}
		got, gerr := expr.Run(prog, fuzzEnv{Context: newCtx()})
		fr := &frame{m: p.m, ctx: newCtx(), vars: make([]any, p.nlocal)}
		want, werr := fr.eval(p.expr)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%q: lowered gave %v, %v; the interpreter %v, %v\n%s", src, show(got), gerr, show(want), werr, p.Lowered)
		}
		if gerr == nil && !sameValue(got, want) {
			t.Fatalf("%q: lowered gave %s; the interpreter %s\n%s", src, show(got), show(want), p.Lowered)
		}
	})
}

// sameValue compares two results: JSON by their text, NaN equal to NaN,
// anything else deeply.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case *JObject, *JArray:
		return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b) && toStringNET(x) == toStringNET(b)
	case float64:
		if y, ok := b.(float64); ok && math.IsNaN(x) && math.IsNaN(y) {
			return true
		}
	case []any: // new[] { 0 % 0.0 }: NaN items too
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// show is a value in a failure message.
func show(v any) string {
	switch x := v.(type) {
	case *JObject, *JArray:
		return fmt.Sprintf("%T %s", v, toStringNET(x))
	}
	return fmt.Sprintf("%T %#v", v, v)
}
