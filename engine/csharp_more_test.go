package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

// Dictionary and JObject initializers, lowered to expr and on the
// interpreter, with .NET's results and failures.
func TestCSharpInitializers(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		interp    bool
	}{
		{`@{ var d = new Dictionary<string, string> { { "a", "b" }, { "c", "d" } }; return d["c"]; }`, "d", false},
		{`@(new Dictionary<string, string> { { "a", "b" }, { "c", (string)context.Variables["s"] } }["c"])`, "hello", false},
		{`@{ var d = new Dictionary<string, object> { ["a"] = 1, ["a"] = 2 }; return d["a"].ToString(); }`, "2", false},
		{`@(new JObject { ["name"] = "Ada", ["age"] = 36 }.ToString(Formatting.None))`, `{"name":"Ada","age":36}`, false},
		{`@(new JObject { ["k" + 1] = context.Request.Method }.ToString())`, "{\n  \"k1\": \"POST\"\n}", false},
		{`@(new Dictionary<string, string> { { "a", "b" }, }["a"])`, "b", false},
		{`@{ try { var d = new Dictionary<string, string> { { "a", "b" }, { "a", "c" } }; return "no"; } catch (ArgumentException e) { return e.Message; } }`,
			"An item with the same key has already been added. Key: a", true},
		{`@{ var d = new Dictionary<string, string>(); d.Add("a", "b"); d.Add("c", "d"); d.Remove("a"); return d.Count + (d.ContainsKey("c") ? " has c" : "") + (d.ContainsKey("a") ? " has a" : ""); }`, "1 has c", false},
		{`@{ try { var d = new Dictionary<string, string> { ["a"] = "b" }; d.Add("a", "c"); return "no"; } catch (ArgumentException e) { return e.Message; } }`,
			"An item with the same key has already been added. Key: a", true},
		{`@{ var n = 0; while (n < 1) { n++; } var o = new JObject { ["n"] = n }; return o.ToString(Formatting.None); }`, `{"n":1}`, true},
		// JObject's collection initializer calls JObject.Add(string, JToken): .NET gives {"k":v}
		{`@(new JObject { { "RequestId", "x" } }.ToString(Newtonsoft.Json.Formatting.None))`, `{"RequestId":"x"}`, false},
		{`@{ var json = new JObject() {{"RequestId", context.RequestId}}; return json.ToString(Newtonsoft.Json.Formatting.None); }`,
			`{"RequestId":"5b8a0e6c-7d7b-4d7e-9a8a-0a6e2c1d3f4e"}`, false},
		{`@(new JObject { { "a", 1 }, { "b", new JArray(true, 2.5) }, { "c", null }, }.ToString(Formatting.None))`, `{"a":1,"b":[true,2.5],"c":null}`, false},
		{`@{ try { var o = new JObject { { "a", 1 }, { "a", 2 } }; return "no"; } catch (ArgumentException e) { return e.Message; } }`,
			"Can not add property a to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.", true},
	} {
		v, err, ex := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := show(v); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q\n(%s)", tc.src, got, tc.want, ex)
		}
		if ex.Lang != "C#" {
			t.Errorf("%s: compiled as %s", tc.src, ex.Lang)
		}
		if (ex.Interp != "") != tc.interp {
			t.Errorf("%s: interpreted=%v (%q), want %v", tc.src, ex.Interp != "", ex.Interp, tc.interp)
		}
	}
	// A duplicate Add key fails the expression with .NET's message when lowered too.
	if _, err, _ := csRun(t, `@(new Dictionary<string, string> { { "a", "b" }, { "a", "c" } }["a"])`, nil); err == nil ||
		!strings.Contains(err.Error(), "An item with the same key has already been added. Key: a") || !strings.Contains(err.Error(), ReasonExpression) {
		t.Errorf("duplicate key: %v", err)
	}
	if _, err, _ := csRun(t, `@(new JObject { { "a", 1 }, { "a", 2 } }.Count)`, nil); err == nil ||
		!strings.Contains(err.Error(), "Can not add property a to Newtonsoft.Json.Linq.JObject.") {
		t.Errorf("duplicate JObject key: %v", err)
	}
	if _, err, _ := csRun(t, `@(new Dictionary<string, string> { { (string)context.Variables["missing"], "b" } }.Count)`, nil); err == nil {
		t.Error("a null key was accepted")
	}
	for _, tc := range []struct{ src, want string }{
		{`@(new Dictionary<string, string> { { "a", "b" }, ["c"] = "d" })`, "either { key, value } or [key] = value"},
		{`@(new Dictionary<string, string> { { "a" } })`, "needs a key and a value"},
		{`@(new Dictionary<string, string> { { 1, "b" } })`, "dictionary keys are strings"},
		{`@(new JObject { { "a", context.Variables["s"] } })`, `cannot convert from 'object' to 'JToken'`}, // CS1503 in .NET
		{`@(new Uri("http://x") { ["a"] = "b" })`, "not a dictionary"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// testCert makes a CA and a leaf it signed (valid from notBefore for a day).
func testCert(t *testing.T, notBefore time.Time) (ca, leaf *x509.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA", Organization: []string{"Contoso"}},
		NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(der)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(0xBEEF), Subject: pkix.Name{CommonName: "client-1"},
		NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err = x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(der)
	return ca, leaf
}

// context.Request.Certificate in C#: X509Certificate2's basics, and
// APIM's documented client-certificate checks as written.
func TestCSharpCertificate(t *testing.T) {
	ca, leaf := testCert(t, time.Now().Add(-time.Hour))
	withCert := func(s *State) { s.SetClientCertificate([]*x509.Certificate{leaf}) }
	for _, tc := range []struct {
		src, want string
		set       func(*State)
	}{
		{`@(context.Request.Certificate.Subject)`, "CN=client-1", withCert},
		{`@(context.Request.Certificate.SubjectName.Name)`, "CN=client-1", withCert},
		{`@(context.Request.Certificate.Issuer)`, "CN=Test CA,O=Contoso", withCert},
		{`@(context.Request.Certificate.IssuerName.Name)`, "CN=Test CA,O=Contoso", withCert},
		{`@(context.Request.Certificate.SerialNumber)`, "BEEF", withCert},
		{`@(context.Request.Certificate.Thumbprint.Length)`, "40", withCert},
		{`@(context.Request.Certificate.NotAfter > context.Request.Certificate.NotBefore)`, "true", withCert},
		{`@(context.Request.Certificate.NotAfter > DateTime.UtcNow)`, "true", withCert},
		// local time, as .NET's X509Certificate2 gives it
		{`@(context.Request.Certificate.NotBefore.Kind + " " + context.Request.Certificate.NotAfter.ToString("%K"))`, "Local +00:00", withCert},
		// Not in the system trust store: Verify is false.
		{`@(context.Request.Certificate.Verify())`, "false", withCert},
		{`@(context.Request.Certificate.VerifyNoRevocation())`, "false", withCert},
		{`@(context.Request.Certificate == null)`, "true", nil},
		// APIM's "client certificate authentication" checks, as written.
		{`@(context.Request.Certificate == null || !context.Request.Certificate.Verify() || context.Request.Certificate.Issuer != "trusted-issuer" || context.Request.Certificate.SubjectName.Name != "expected-subject-name")`, "true", withCert},
		{`@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "DESIRED-THUMBPRINT-IN-UPPER-CASE")`, "true", withCert},
		{`@(context.Request.Certificate == null || !context.Request.Certificate.Verify() || context.Request.Certificate.Issuer != "trusted-issuer" || context.Request.Certificate.SubjectName.Name != "expected-subject-name")`, "true", nil},
	} {
		v, err, ex := csRun(t, tc.src, tc.set)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := show(v); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q\n(%s)", tc.src, got, tc.want, ex)
		}
	}

	// Verify's chain check, with the CA trusted.
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	c := NewCertificate([]*x509.Certificate{leaf})
	if !c.verifyWith(roots, time.Now()) {
		t.Error("a leaf of a trusted CA does not verify")
	}
	if c.verifyWith(roots, time.Now().Add(48*time.Hour)) {
		t.Error("an expired certificate verifies")
	}
	if c.verifyWith(x509.NewCertPool(), time.Now()) {
		t.Error("a certificate of an untrusted CA verifies")
	}
	var none *Certificate
	if none.Verify() {
		t.Error("a nil certificate verifies")
	}
}

// XDocument and XElement basics, as APIM policies use them.
func TestCSharpXML(t *testing.T) {
	const doc = `<order id="42" xmlns:a="urn:a"><customer>Ada</customer><items><item sku="x">2</item><item sku="y">3</item></items><note>a <b>bold</b> word</note></order>`
	set := func(s *State) {
		s.Variables()["xml"] = doc
		s.Variables()["xresp"] = &Response{StatusCode: 200, Body: NewBody([]byte(doc))}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(XDocument.Parse((string)context.Variables["xml"]).Root.Element("customer").Value)`, "Ada"},
		{`@(XDocument.Parse((string)context.Variables["xml"]).Root.Attribute("id").Value)`, "42"},
		{`@(XDocument.Parse((string)context.Variables["xml"]).Root.Name)`, "order"},
		{`@(XDocument.Parse((string)context.Variables["xml"]).Element("order").Element("items").Elements("item").Count())`, "2"},
		{`@(string.Join(",", XElement.Parse((string)context.Variables["xml"]).Descendants("item").Select(i => i.Attribute("sku").Value + "=" + i.Value)))`, "x=2,y=3"},
		{`@(XElement.Parse((string)context.Variables["xml"]).Element("note").Value)`, "a bold word"},
		{`@(XElement.Parse((string)context.Variables["xml"]).Element("missing") == null)`, "true"},
		{`@(XElement.Parse("<a:x xmlns:a=\"urn:a\"><a:item>1</a:item></a:x>").Element("item").Value + XElement.Parse("<a:x xmlns:a=\"urn:a\"><a:item>2</a:item></a:x>").Descendants("item").First().Name)`, "1item"},
		{`@(XElement.Parse((string)context.Variables["xml"]).Attribute("missing") == null)`, "true"},
		{`@(XElement.Parse("<a><b c=\"1\">t</b></a>").ToString())`, "<a>\n  <b c=\"1\">t</b>\n</a>"},
		{`@(XDocument.Parse("<?xml version=\"1.0\"?><a/>").ToString())`, "<a />"},
		{`@(XElement.Parse("<a c=\"x&amp;amp;y\"/>").Attribute("c").ToString())`, `c="x&amp;y"`},
		{`@{ var total = 0; foreach (var i in XDocument.Parse((string)context.Variables["xml"]).Root.Element("items").Elements()) { total += int.Parse(i.Value); } return total; }`, "5"},
		{`@(((IResponse)context.Variables["xresp"]).Body.As<XDocument>(preserveContent: true).Root.Element("customer").Value)`, "Ada"},
		{`@{ XDocument d = XDocument.Parse((string)context.Variables["xml"]); XElement c = d.Root.Element("customer"); return c.Value; }`, "Ada"},
	} {
		v, err, ex := csRun(t, tc.src, set)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := show(v); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q\n(%s)", tc.src, got, tc.want, ex)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(XDocument.Parse("<a>").Root.Name)`, "The XML is not well-formed"},
		{`@(XDocument.Parse("").Root.Name)`, "Root element is missing."},
		{`@(XElement.Parse("<a/>").Element("b").Value)`, "Object reference not set to an instance of an object."},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), ReasonExpression) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %s with %q", tc.src, err, ReasonExpression, tc.msg)
		}
	}
}

// A lowered new Dictionary is a new object on every run: two requests never
// share one (the second Add would throw).
func TestCSharpDictionaryPerRun(t *testing.T) {
	plan, ex, errs := csCompile(t, `@{ var d = new Dictionary<string, string>(); d.Add("a", (string)context.Variables["s"]); return d.Count; }`)
	if len(errs) > 0 || ex.Interp != "" {
		t.Fatalf("%v (interpreted: %q)", errs, ex.Interp)
	}
	for i := 0; i < 2; i++ {
		s := csState()
		if plan.Run(context.Background(), Inbound, s) {
			t.Fatalf("run %d: %+v", i, s.LastError())
		}
		if got := show(s.Variables()["out"]); got != "1" {
			t.Errorf("run %d: %s", i, got)
		}
		s.Release()
	}
}

// T[] x = { ... }: the implicit array initializer of a declaration with an
// explicit array type is new T[] { ... } (.NET gives the same); C# allows it
// nowhere else.
func TestCSharpArrayInitializerInDeclaration(t *testing.T) {
	csBothBlocks(t, `string[] validRoles = { "WriterUser", "ReaderUser" }; return validRoles.Length;`, "2", nil)
	csBothBlocks(t, `int[] n = { 1, 2 }, m = { }; return n.Sum() + m.Length;`, "3", nil)
	csBothBlocks(t, `byte[] b = { 1, 255, }; return b[1];`, "255", nil)
	// the elements are the array's type: doubles here, on both paths
	csBothBlocks(t, `double[] a = { 1, 2 }; var b = new[] { 0, 0.5 }; return (a[0] / 4) + "|" + b[0] + "|" + b.Sum();`, "0.25|0|0.5", nil)
	csBothBlocks(t, `byte[] b = new byte[] { Convert.ToByte(int.Parse("10")), Convert.ToByte("7"), }; byte c = Convert.ToByte(3); return b[0] + b[1] + c;`, "20", nil)
	csBothBlocks(t, `string[] r = { "a", (string)context.Variables["s"] }; return r.Contains("hello");`, "true", nil)
	// the APIOps policy: roles from a validated token's claims
	roles := func(s *State) {
		s.Variables()["valid-jwt"] = &Jwt{Claims: map[string]any{"roles": []any{"ReaderUser", "Other"}}}
	}
	const policy = `var jwt = (Jwt)context.Variables["valid-jwt"];
		string[] validRoles = { "WriterUser", "ReaderUser" };
		if (jwt.Claims.ContainsKey("roles")) {
			var roles = jwt.Claims["roles"];
			if (!Array.Exists(roles, element => validRoles.Contains(element))) { return true; }
		} else { return true; }
		return false;`
	csBothBlocks(t, policy, "false", roles)
	csBothBlocks(t, policy, "true", func(s *State) {
		s.Variables()["valid-jwt"] = &Jwt{Claims: map[string]any{"roles": []any{"Other"}}}
	})
	for _, tc := range []struct{ src, want string }{
		{`@{ var a = { 1, 2 }; return 1; }`, "cannot initialize an implicitly-typed variable with an array initializer"},    // CS0820
		{`@{ List<string> a = { "x" }; return 1; }`, "can only use array initializer expressions to assign to array types"}, // CS0622
		{`@{ int[] a; a = { 1 }; return 1; }`, `invalid expression term "{"`},
		{`@{ string[] a = { "x", 1 }; return a[0]; }`, "cannot implicitly convert type 'int' to 'string'"}, // CS0029
		{`@(new int[] { 1, "x" }.Length)`, "cannot implicitly convert type 'string' to 'int'"},             // CS1525
		// a VB-style "" inside a C# string (the third corpus survey)
		{`@("{""error"": 1}")`, "found a string after the end of the expression"},
		{`@($"{1 2}")`, "found the number 2 in an interpolation hole"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// System.Text.RegularExpressions' Match, Group, Capture and their
// collections as declared types, with .NET's members and results.
func TestCSharpRegexTypes(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`Match m = Regex.Match("x", "x"); return m.Value;`, "x"},
		{`Group g = Regex.Match("ab", "(a)").Groups[1]; return g.Value;`, "a"},
		{`MatchCollection mc = Regex.Matches("aa", "a"); return mc.Count;`, "2"},
		{`var s = ""; foreach (Match m in Regex.Matches("a1b22", @"\d+")) { s += m.Value + "@" + m.Index + "+" + m.Length + ";"; } return s;`, "1@1+1;22@3+2;"},
		{`System.Text.RegularExpressions.Match m = Regex.Match("héllo wörld", "w(ö)r"); return m.Index + "," + m.Length + "," + m.Groups[1].Index;`, "6,3,7"},
		// .NET numbers unnamed groups first, then named ones
		{`var s = ""; foreach (Group g in Regex.Match("ab", @"(?<x>a)(b)").Groups) { s += g.Name + "=" + g.Value + ";"; } return s;`, "0=ab;1=b;x=a;"},
		{`GroupCollection gs = Regex.Match("ab", @"(?<x>a)(b)").Groups; return gs.Count + gs[2].Value + gs["x"].Index + gs["1"].Value + string.Join(",", gs.Keys) + gs.ContainsKey("x");`, "3a0b0,1,xTrue"},
		// a group the pattern lacks, or one that did not take part, is unsuccessful and empty
		{`var m = Regex.Match("b", "(a)?b"); return m.Groups[1].Success + "|" + m.Groups[1].Value + "|" + m.Groups[7].Success + "|" + m.Groups["nope"].Value + "|" + m.Groups[0].Success;`, "False||False||True"},
		{`Match m = Regex.Match("abc", "z"); return m.Success + "|" + m.Value + "|" + m.Index + "|" + m.Groups.Count + "|" + m.NextMatch().Success;`, "False||0|1|False"},
		{`Match m = Regex.Match("a1b2c3", @"\d"); var s = ""; while (m.Success) { s += m.Value; m = m.NextMatch(); } return s;`, "123"},
		{`Capture c = Regex.Match("xaby", "(a)(b)").Groups[2]; return c.Value + c.Index + c.ToString();`, "b2b"},
		{`CaptureCollection cc = Regex.Match("xab", "a(b)").Groups[1].Captures; return cc.Count + cc[0].Value + cc[0].Index + Regex.Match("x", "y").Captures.Count;`, "1b20"},
		{`Group g = Regex.Match("ab", "(a)"); Match m = (Match)g; return m.Groups[1].Value + (g is Match) + (Regex.Match("ab", "(a)").Groups[1] is Match);`, "aTrueFalse"},
		{`return string.Join(",", Regex.Matches("a1b22", @"\d+").Cast<Match>().Select(m => m.Value)) + "|" + Regex.Match("ab", "(a)(b)").Groups.Cast<Group>().Count(g => g.Success);`, "1,22|3"},
		{`return "" + Regex.Match("ab", "(a)") + Regex.Match("ab", "(a)").Groups[1];`, "aa"},
		// ExplicitCapture: only named groups capture, numbered from 1
		{`var m = Regex.Match("ab", "(a)(?<x>b)", RegexOptions.ExplicitCapture); return m.Groups.Count + m.Groups[1].Value + m.Groups[1].Name;`, "2bx"},
		// Replace's $n counts groups as .NET does; $$, $&, and a missing group's $n is text
		{`return Regex.Replace("AB", "(?<x>a)(b)", "[$1|$2|${x}|$0|$&|$$1|$9|${nope}|$]", RegexOptions.IgnoreCase);`, "[B|A|A|AB|AB|$1|$9|${nope}|$]"},
		{`return Regex.Replace("ab", "(a)(?<x>b)", "$1", RegexOptions.ExplicitCapture);`, "b"},
		// Split adds the groups that took part, and keeps the empty ends .NET keeps
		{`return string.Join("|", Regex.Split("a1b22c", @"(\d)+")) + "/" + string.Join("|", Regex.Split("1a1", @"\d")) + "/" + string.Join("|", Regex.Split("abc", "")) + "/" + string.Join("|", Regex.Split("a,b;c", "(,)|(;)"));`,
			"a|1|b|2|c/|a|/|a|b|c|/a|,|b|;|c"},
		// a Regex instance: the static methods with its pattern and options
		{`var r = new Regex("a+"); return r.Match("baa").Value + r.IsMatch("x") + r.Matches("aba").Count + r.Replace("xaay", "-") + string.Join(",", r.Split("1a2")) + r;`, "aaFalse2x-y1,2a+"},
		{`Regex r = new Regex("(?<x>A)(b)", RegexOptions.IgnoreCase | RegexOptions.ExplicitCapture); return r.Match("ab").Groups.Count + r.Match("ab").Groups[1].Value;`, "2a"},
		{`var p = "(a"; try { var r = new Regex(p); return "no"; } catch (ArgumentException) { return "RegexParseException is an ArgumentException"; }`, "RegexParseException is an ArgumentException"},
		{`return Regex.Escape("a.b c*\t#") + "|" + Regex.Unescape(@"a\.b\ c\*\t\x41\u0042\101") + "|" + Regex.IsMatch("1.5 x", Regex.Escape("1.5 x")) + Regex.IsMatch("125 x", Regex.Escape("1.5 x"));`,
			"a\\.b\\ c\\*\\t\\#|a.b c*\tABA|TrueFalse"},
		{`return Regex.Match("a1", @"(?<x>\d)").Result("<$0|${x}|$1>");`, "<1|1|1>"},
		// a match timeout is accepted (RE2 never needs it), checked as .NET checks it
		{`return Regex.Replace("a1", @"\d", "#", RegexOptions.None, TimeSpan.FromSeconds(1)) + Regex.IsMatch("a", "a", RegexOptions.None, Regex.InfiniteMatchTimeout) + new Regex("a", RegexOptions.None, TimeSpan.FromMilliseconds(100)).IsMatch("a");`, "a#TrueTrue"},
		{`try { return Regex.IsMatch("a", "a", RegexOptions.None, TimeSpan.Zero).ToString(); } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Specified argument was out of the range of valid values. (Parameter 'matchTimeout')"},
		{`try { return Regex.Match("a", "z").Result("$0"); } catch (NotSupportedException e) { return e.Message; }`, "Result cannot be called on a failed Match."},
		// a MatchEvaluator lambda gives each match's replacement
		{`return Regex.Replace("a1b22", @"\d+", m => (int.Parse(m.Value) * 2).ToString());`, "a2b44"},
		{`return Regex.Replace("A1b22", @"[a-z]", m => m.Value.ToUpper() + m.Index, RegexOptions.IgnoreCase) + new Regex(@"\d").Replace("a1b2", m => "<" + m.Value + ">");`, "A01B222a<1>b<2>"},
		{`return Regex.Replace("token=abc123&x=1", @"(token=)([^&]+)", m => m.Groups[1].Value + new string('*', m.Groups[2].Length));`, "token=******&x=1"},
		// the APIOps policy (anotherRedbeard, doc-intelligence)
		{`string firstMatch = ""; Match match = Regex.Match(context.Request.OriginalUrl.Path, @"^/([^/]+)/");
		  if (match.Success) { firstMatch = match.Groups[1].Value; } return firstMatch;`, "echo"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	if _, err, _ := csRun(t, `@{ Group g = Regex.Match("ab", "(a)").Groups[1]; return ((Match)g).Value; }`, nil); err == nil ||
		!strings.Contains(err.Error(), "Unable to cast object of type 'System.Text.RegularExpressions.Group' to type 'System.Text.RegularExpressions.Match'.") {
		t.Errorf("(Match)group: %v", err)
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ Match m = Regex.Match("ab", "a").Groups[0]; return m.Value; }`, "cannot implicitly convert type 'Group' to 'Match'"},
		{`@(Regex.Match("ab", "a")[0])`, "cannot apply indexing with [] to an expression of type 'Match'"},
		{`@(Regex.Match("ab", "a").Groups[1].NextMatch())`, "'Group' does not contain a definition for 'NextMatch'"},
		{`@(Regex.Replace("a1", @"\d", m => 5))`, "cannot implicitly convert type 'int' to 'string'"},
		{`@(Regex.Replace("a1", @"\d", (m, n) => "x"))`, "a MatchEvaluator is a lambda of one parameter"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// TimeSpan.Zero, and += and -= of a TimeSpan on a TimeSpan or a DateTime
// local, as d = d + t (.NET's results).
func TestCSharpTimeSpanCompound(t *testing.T) {
	csBothBlocks(t, `var d = TimeSpan.Zero; d += TimeSpan.FromMinutes(1); return d.ToString() + (TimeSpan.Zero < d);`, "00:01:00True", nil)
	csBothBlocks(t, `var t = new DateTime(2024, 1, 1); t += TimeSpan.FromDays(1); t -= TimeSpan.FromHours(1); var s = TimeSpan.FromHours(2); s -= TimeSpan.FromMinutes(30); return t.ToString("yyyy-MM-dd HH:mm") + " " + s;`,
		"2024-01-01 23:00 01:30:00", nil)
}

// An anonymous object's properties read back with their types, in LINQ
// too; ToString() is C#'s ({ a = 1 }), JSON is Newtonsoft's (.NET's
// results).
func TestCSharpAnonymousMembers(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`var o = new { a = 1 }; return o.a + 1;`, "2"},
		{`var o = new { a = 1, d = new DateTime(2024, 1, 2), l = new List<string> { "x" } }; return o.a + o.d.Day + o.l.Count;`, "4"},
		{`return new List<string> { "x", "yy" }.Select(s => new { n = s, len = s.Length }).Where(x => x.len > 1).First().n;`, "yy"},
		{`var arr = new[] { new { a = 1 }, new { a = 2 } }; return arr.Sum(x => x.a);`, "3"},
		{`var o = new { context.Request.Method, n = 2 }; return o.Method + o.n;`, "POST2"},
		{`var h = context.Request.Headers.Select(kv => new { kv.Key, V = string.Join(",", kv.Value) }).OrderBy(x => x.Key).First(); return h.Key + "=" + h.V;`, "Authorization=Basic dXNlcjpwYXNz"},
		{`return new { a = 1, b = "x", c = new { d = true }, e = (string)null }.ToString() + "|" + new { a = 1.5 };`, "{ a = 1, b = x, c = { d = True }, e =  }|{ a = 1.5 }"},
		{`return JsonConvert.SerializeObject(new { a = 1, b = "x", c = new { d = true } });`, `{"a":1,"b":"x","c":{"d":true}}`},
		// JObject.FromObject makes a JObject of its own
		{`var a = new { x = 1 }; var j = JObject.FromObject(a); j["x"] = 2; return a.x + JsonConvert.SerializeObject(a) + j.ToString(Formatting.None) + JArray.FromObject(new[] { a })[0].ToString(Formatting.None);`, `1{"x":1}{"x":2}{"x":1}`},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var o = new { a = 1 }; return o.b; }`, "'anonymous type' does not contain a definition for 'b'"},
		{`@{ var o = new { a = (string)null, b = null }; return 1; }`, "cannot assign '<null>' to anonymous type property"},      // CS0828
		{`@{ var o = new { a = 1, a = 2 }; return 1; }`, "an anonymous type cannot have multiple properties with the same name"}, // CS0833
		{`@{ var o = new[] { new { a = 1 }, new { b = 1 } }; return 1; }`, "no best type found for implicitly-typed array"},
		{`@(JArray.FromObject(new { a = 1 }).Count)`, ""},
	} {
		_, _, errs := csCompile(t, tc.src)
		if tc.want == "" {
			if len(errs) > 0 {
				t.Errorf("%s: %v", tc.src, errs)
			}
			continue
		}
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
	if _, err, _ := csRun(t, `@(JArray.FromObject(new { a = 1 }).Count)`, nil); err == nil || !strings.Contains(err.Error(), "Object serialized to Object. JArray instance expected.") {
		t.Errorf("JArray.FromObject of an object: %v", err)
	}
}
