package engine

import (
	"strings"
	"testing"
)

// The C# 6 and 7 syntax of "API Management policy expressions" ("policy
// expressions syntax in C# 7") that tollgate took late: exception filters,
// nameof, discards, switch case patterns, throw expressions, the default
// literal, binary literals and digit separators, and the load errors for
// value tuples and ref locals. Each block runs as written and inside a
// try block (both on the interpreter when one of these needs it, lowered
// otherwise).

// TestCSharpExceptionFilters: catch (T e) when (cond) (C# 6): a false
// filter passes the exception to the next clause, or out; a filter that
// throws counts as false, as in .NET; the filter sees the catch variable
// and the locals around it.
func TestCSharpExceptionFilters(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`try { int.Parse("x"); return "no"; } catch (FormatException e) when (e.Message != null) { return "filtered"; }`, "filtered"},
		{`try { int.Parse("x"); return "no"; } catch (FormatException) when (false) { return "a"; } catch (Exception) { return "b"; }`, "b"},
		{`try { int.Parse("x"); return "no"; } catch (Exception e) when (int.Parse("y") > 0) { return "a"; } catch { return "b"; }`, "b"},
		{`var code = 2; try { throw new ArgumentException("bad"); } catch (ArgumentException e) when (code == 2 && e.Message == "bad") { return "two"; }`, "two"},
		{`var code = 3; try { throw new ArgumentException("bad"); } catch (ArgumentException e) when (code == 2) { return "two"; } catch (ArgumentException e) when (code == 3) { return "three " + e.Message; }`, "three bad"},
		{`try { throw new InvalidOperationException("io"); } catch when (true) { return "any"; }`, "any"},
		// a filter on a clause that does not catch the type is not run
		{`var n = 0; try { try { int.Parse("x"); } catch (ArgumentException) when ((n = 1) > 0) { return "arg"; } } catch (FormatException) { return "fmt " + n; } return "none";`, "fmt 0"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	// The C# reference's exception-handling examples, as written there
	// (Process and ProcessShapes as local functions)
	process := `int Process(int a, int b) { if (a < 0) { throw new ArgumentOutOfRangeException(nameof(a), "The first argument cannot be negative."); } return a / (a + b); } `
	whenFilter := `try { var result = Process(A, B); return $"Processing succeeded: {result}"; } catch (Exception e) when (e is ArgumentException || e is DivideByZeroException) { return $"Processing failed: {e.Message}"; }`
	for ab, want := range map[[2]string]string{
		{"-3", "4"}: "Processing failed: The first argument cannot be negative. (Parameter 'a')",
		{"3", "-3"}: "Processing failed: Attempted to divide by zero.",
		{"3", "4"}:  "Processing succeeded: 0",
	} {
		src := process + strings.NewReplacer("A,", ab[0]+",", "B)", ab[1]+")").Replace(whenFilter)
		csBothBlocks(t, src, want, nil)
	}
	csBothBlocks(t, `void ProcessShapes(int shapeAmount) { if (shapeAmount <= 0) { throw new ArgumentOutOfRangeException(nameof(shapeAmount), "Amount of shapes must be positive."); } }
		try { ProcessShapes(0); return "no"; } catch (ArgumentException e) { return e.Message; }`, "Amount of shapes must be positive. (Parameter 'shapeAmount')", nil)
	// e is T x in a filter: x is the same exception; T's derived types match
	csBothBlocks(t, `try { int.Parse("x"); return "n"; } catch (Exception e) when (e is ArgumentException) { return "arg"; } catch (Exception e) when (e is SystemException s) { return "system " + (s.Message == e.Message); }`, "system True", nil)
	csBothBlocks(t, `try { throw new ArgumentNullException("p"); } catch (Exception e) when (e is ArgumentException) { return e.Message; }`, "Value cannot be null. (Parameter 'p')", nil)
	// the documented difference: the inner finally has run when the filter
	// does (.NET runs the filter first, and would give "before")
	csBothBlocks(t, `var n = 0; try { try { throw new Exception("x"); } finally { n = 1; } } catch (Exception) when (n == 1) { return "after"; } catch { return "before"; }`, "after", nil)
	// a filter that is false everywhere: the exception leaves the text
	_, err, _ := csRun(t, `@{ try { int.Parse("x"); return "no"; } catch (FormatException e) when (e.Message == "other") { return "a"; } }`, nil)
	if err == nil || !strings.Contains(err.Error(), "ExpressionValueEvaluationFailure") {
		t.Errorf("unfiltered exception: got %v", err)
	}
	for src, want := range map[string]string{
		`@{ try { return 1; } catch (Exception e) when (e.Message) { return 2; } }`: "cannot implicitly convert type 'string' to 'bool'",
		`@{ try { return 1; } catch (Exception e) when (x > 1) { return 2; } }`:     "the name 'x' does not exist",
		`@{ try { return 1; } catch (Exception e) when { return 2; } }`:             `"(" expected`,
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, want) {
			t.Errorf("%s: want %q, got %q", src, want, errs)
		}
	}
}

// TestCSharpNameof: nameof(x) (C# 6) is the string constant of x's last
// name, of a local, a member access, a type or a member of one; x must
// name something.
func TestCSharpNameof(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var count = 1; return nameof(count);`, "count"},
		{`return nameof(context.Request);`, "Request"},
		{`return nameof(context.Request.Headers);`, "Headers"},
		{`return nameof(String);`, "String"},
		{`return nameof(System.String);`, "String"},
		{`return nameof(List<int>);`, "List"},
		{`return nameof(DayOfWeek.Monday);`, "Monday"},
		{`var s = "x"; return nameof(s.Length);`, "Length"},
		{`var s = "x"; return nameof(s.Trim);`, "Trim"},
		{`return nameof(string.Length);`, "Length"},
		{`return nameof(JObject.Parse) + nameof(Math.Max) + nameof(int.TryParse);`, "ParseMaxTryParse"},
		{`var l = new List<int>(); return nameof(l.Add);`, "Add"},
		{`return nameof(context.Request.Headers.GetValueOrDefault);`, "GetValueOrDefault"},
		{`int Sq(int n) => n * n; return nameof(Sq);`, "Sq"},
		{`const string n = nameof(context); return n;`, "context"},
		{`var s = "s"; switch (s) { case nameof(s): return "same"; default: return "other"; }`, "same"},
		{`var v = 1; return $"{nameof(v)}={v}";`, "v=1"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	for src, want := range map[string]string{
		`@(nameof(nope))`:                          "the name 'nope' does not exist",
		`@(nameof(int))`:                           "invalid expression term 'int' (CS1525)",
		`@(nameof(1 + 2))`:                         "does not have a name (CS8081)",
		`@(nameof(context.Nope))`:                  "does not contain a definition for 'Nope'",
		`@(nameof(context.Request?.Headers))`:      "CS8082",
		`@{ var s = "x"; return nameof(s.Nope); }`: "does not contain a definition for 'Nope'",
		`@(nameof(Math.Nope))`:                     "does not contain a definition for 'Nope'",
		`@(nameof(string.Nope))`:                   "does not contain a definition for 'Nope'",
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, want) {
			t.Errorf("%s: want %q, got %q", src, want, errs)
		}
	}
}

// TestCSharpDiscards: out _, out var _, out T _, _ = e, is var _, is T _
// (C# 7), and a local that is named _ (var _ = 1;), which then is that
// local, as C# has it.
func TestCSharpDiscards(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`int.TryParse("12", out _)`, "true"},
		{`int.TryParse("x", out var _)`, "false"},
		{`int.TryParse("12", out int _)`, "true"},
		// Microsoft's discards article: DateTime.TryParse(dateString, out _)
		{`DateTime.TryParse("05/01/2018 14:57:32.8", out _)`, "true"},
		{`context.Request.Headers.TryGetValue("X-Multi", out _)`, "true"},
		{`context.Variables["s"] is var _`, "true"},
		{`context.Variables["missing"] is var _`, "true"},
		{`context.Variables["n"] is int _`, "true"},
		{`context.Variables["s"] is int _`, "false"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		{`_ = int.TryParse("12", out var n); return n;`, "12"},
		{`int a = 0; _ = int.TryParse("3", out a); _ = a + 1; return a;`, "3"},
		{`int.TryParse("1", out _); int.TryParse("2", out _); return "two discards";`, "two discards"},
		{`var ok = int.TryParse("5", out var _) && int.TryParse("6", out var _); return ok;`, "true"},
		{`var _ = 5; return _ + 1;`, "6"},
		{`var _ = 5; int.TryParse("7", out _); return _;`, "7"},
		{`int _ = 1; _ = 2; return _;`, "2"},
		{`object o = context.Variables["missing"]; if (o is var x) { return x == null; } return false;`, "true"},
		{`object o = context.Variables["s"]; if (o is var x) { return x; } return "";`, "hello"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	for src, want := range map[string]string{
		`@{ _ = null; return 1; }`:                     "cannot infer the type of implicitly-typed discard (CS8183)",
		`@{ return _; }`:                               "the name '_' does not exist",
		`@{ _ += 1; return 1; }`:                       "the name '_' does not exist",
		`@{ int.TryParse("1", out var _); return _; }`: "the name '_' does not exist",
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, want) {
			t.Errorf("%s: want %q, got %q", src, want, errs)
		}
	}
}

// TestCSharpThrowExpressions: throw as the right operand of ??, an arm of
// ?:, and the body of an expression-bodied lambda or local function (C#
// 7); elsewhere it is C#'s CS8115.
func TestCSharpThrowExpressions(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var s = context.Variables.GetValueOrDefault<string>("s") ?? throw new ArgumentException("no"); return s;`, "hello"},
		{`var n = (int?)context.Variables["n"] ?? throw new ArgumentException("no"); return n + 1;`, "43"},
		{`return (int)context.Variables["n"] > 3 ? "big" : throw new InvalidOperationException("small");`, "big"},
		{`return (int)context.Variables["n"] < 3 ? throw new InvalidOperationException("big") : "small";`, "small"},
		{`try { var s = context.Variables.GetValueOrDefault<string>("missing") ?? throw new ArgumentException("no value"); return s; } catch (ArgumentException e) { return e.Message; }`, "no value"},
		{`string F(string x) => x ?? throw new ArgumentException("null x"); return F("a");`, "a"},
		{`int F() => throw new InvalidOperationException("never"); try { return F(); } catch (InvalidOperationException e) { return e.Message; }`, "never"},
		{`void Check(int x) => throw new FormatException("f" + x); try { Check(3); return "no"; } catch (FormatException e) { return e.Message; }`, "f3"},
		{`return new[] { 1, 2 }.Where(x => x > 0 ? true : throw new Exception("neg")).Count();`, "2"},
		{`try { return new[] { 1 }.Where(x => throw new Exception("w")).Count(); } catch (Exception e) { return e.Message; }`, "w"},
		// the C# reference's example: args.Length >= 1 ? args[0] : throw new ArgumentException(...)
		{`var args = new[] { "first" }; string first = args.Length >= 1 ? args[0] : throw new ArgumentException("Please supply at least one argument."); return first;`, "first"},
		{`var args = new string[0]; try { string first = args.Length >= 1 ? args[0] : throw new ArgumentException("Please supply at least one argument."); return first; } catch (ArgumentException e) { return e.Message; }`, "Please supply at least one argument."},
		// the reference's expression-bodied member (its IFormatProvider parameter, a type APIM does not list, made a string)
		{`DateTime ToDateTime(string provider) => throw new InvalidCastException("Conversion to a DateTime is not supported."); try { return ToDateTime("x").Year; } catch (InvalidCastException e) { return e.Message; }`, "Conversion to a DateTime is not supported."},
		// its next lines: an out var in a conditional
		{`var arg = "12"; var message = int.TryParse(arg, out var number) ? $"You entered number {number}." : $"{arg} is not an integer number."; return message;`, "You entered number 12."},
		{`string Name(string value) => value ?? throw new ArgumentNullException(nameof(value)); try { return Name(null); } catch (ArgumentNullException e) { return e.Message; }`, "Value cannot be null. (Parameter 'value')"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	_, err, _ := csRun(t, `@(context.Variables.GetValueOrDefault<string>("missing") ?? throw new ArgumentException("no value"))`, nil)
	if err == nil || !strings.Contains(err.Error(), "no value") {
		t.Errorf("?? throw of a null: got %v", err)
	}
	for src, want := range map[string]string{
		`@{ var x = throw new Exception("a"); return x; }`:                                         "not allowed in this context (CS8115)",
		`@{ return throw new Exception("a"); }`:                                                    "not allowed in this context (CS8115)",
		`@((int)context.Variables["n"] ?? throw new Exception("a"))`:                               "operator '??' cannot be applied to operands of type 'int'",
		`@((int)context.Variables["n"] > 1 ? throw new Exception("a") : throw new Exception("b"))`: "no implicit conversion between '<throw expression>' and '<throw expression>'",
		`@(1 + throw new Exception("a"))`:                                                          "CS8115",
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, want) {
			t.Errorf("%s: want %q, got %q", src, want, errs)
		}
	}
}

// TestCSharpDefaultLiteral: C# 7.1's default literal, taken where its
// target type is written (tollgate's choice: APIM says "C# 7").
func TestCSharpDefaultLiteral(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`int x = default; return x;`, "0"},
		{`int x = default; return x + 1;`, "1"},
		{`string s = default; return s == null;`, "true"},
		{`DateTime d = default; return d.Year;`, "1"},
		{`int? n = default; return n.HasValue;`, "false"},
		{`int x = 5; x = default; return x;`, "0"},
		{`bool b = default; return b;`, "false"},
		// a local function's declared return type is a target too
		{`int F(bool z) { if (z) { return default; } return 7; } return F(true) + F(false);`, "7"},
		{`string G() => default; return G() == null;`, "true"},
		{`DateTime D() { return default; } return D().Year;`, "1"},
		// == and != take it as the other operand's type
		{`var n = (int)context.Variables["n"]; return (n == default) + "," + (n != default) + "," + (0 == default);`, "False,True,True"},
		{`string s = null; return s == default;`, "true"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	for src, want := range map[string]string{
		`@{ var x = default; return x; }`: "no target type for the default literal (CS8716)",
		`@(default)`:                      "no target type for the default literal (CS8716)",
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, want) {
			t.Errorf("%s: want %q, got %q", src, want, errs)
		}
	}
}

// TestCSharpNumberLiterals: binary literals and digit separators (C# 7).
func TestCSharpNumberLiterals(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`0b1010`, "10"},
		{`0B1111_0000`, "240"},
		{`1_000_000`, "1000000"},
		{`0xFF_FF`, "65535"},
		{`1_000.5`, "1000.5"},
		{`0b1010 + 1_000`, "1010"},
		{`0b1111_1111_1111_1111_1111_1111_1111_1111`, "4294967295"}, // a uint
		{`1_0L`, "10"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	// (after a declaration: expr, which reads 1_ as 1, takes @(1_))
	for _, src := range []string{`@{ int x = 1_; return x; }`, `@{ int x = 0b102; return x; }`, `@{ int x = 1_000_; return x; }`,
		`@{ double x = 1_.5; return x; }`, `@{ int x = 0x1_; return x; }`, `@{ int x = 0b; return x; }`, `@{ int x = 0x; return x; }`} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, "invalid number") {
			t.Errorf("%s: want an invalid number load error, got %q", src, errs)
		}
	}
}

// TestCSharpTuplesAndRefsRefused: value tuples (System.ValueTuple, which
// APIM's allowed types do not list) and ref locals are load errors that
// say so, in C#'s language (not expr's).
func TestCSharpTuplesAndRefsRefused(t *testing.T) {
	for _, src := range []string{
		`@((1, "a").Item2)`,
		`@{ var t = (1, "a"); return t.Item2; }`,
		`@{ (int n, string s) t = (1, "a"); return t.s; }`,
		`@{ var (a, b) = Tuple.Create(1, 2); return a; }`,
		`@{ (int, string) F() => (1, "a"); return F().Item1; }`,
		`@((1, 2) == (1, 2))`,
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, "System.ValueTuple") {
			t.Errorf("%s: want the value tuple load error, got %q", src, errs)
		}
	}
	for _, src := range []string{
		`@{ int[] a = { 1 }; ref int x = ref a[0]; return x; }`,
		`@{ ref int F(int[] a) { return ref a[0]; } return 1; }`,
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, "ref locals and ref returns") {
			t.Errorf("%s: want the ref load error, got %q", src, errs)
		}
	}
}

// TestCSharpExpressionVariableScopes: an out var or pattern variable of
// an if's condition lives on after the if (C# 7's rule), one of a while's
// condition is the loop's own; expression-bodied local functions of every
// kind.
func TestCSharpExpressionVariableScopes(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`if (!int.TryParse("12", out var n)) { return -1; } return n;`, "12"},
		{`var s = "3"; while (int.TryParse(s, out var n) && n > 0) { s = (n - 1).ToString(); } var n = 7; return s + n;`, "07"},
		{`object o = "x"; while (o is string t) { o = t.Length; } var t = 1; return o.ToString() + t;`, "11"},
		{`var r = 0; foreach (var c in (int.TryParse("12", out var n) ? n : 0).ToString()) { r += c - '0'; } var n = 5; return r + n;`, "8"},
		{`int Twice(int x) => x * 2; return Twice(4);`, "8"},
		{`var total = 0; void Add(int x) => total += x; Add(2); Add(3); return total;`, "5"},
		{`string Name() => nameof(Name); return Name();`, "Name"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
}

// TestCSharpSwitchPatterns: C# 7's case patterns in a switch statement:
// type patterns with a designation, var patterns, when guards on any
// label, C#'s order, a label an earlier one handles (CS8120), a type the
// subject cannot be (CS8121), and the pattern variable's scope (its
// section).
func TestCSharpSwitchPatterns(t *testing.T) {
	set := func(s *State) {
		v := s.Variables()
		v["i5"], v["i2"], v["l"], v["j"] = 5, 2, int64(7), nil
	}
	classify := `object o = context.Variables[KEY];
		switch (o) {
			case int i when i > 3: return "big int " + i;
			case int i: return "int " + i;
			case string s: return "string " + s.Length;
			case null: return "null";
			default: return "other";
		}`
	for key, want := range map[string]string{
		`"i5"`: "big int 5", `"i2"`: "int 2", `"s"`: "string 5", `"missing"`: "null", `"f"`: "other", `"b"`: "other",
	} {
		csBothBlocks(t, strings.ReplaceAll(classify, "KEY", key), want, set)
	}
	for _, tc := range []struct{ src, want string }{
		// var pattern: matches null too; the variable has the subject's type
		{`object o = context.Variables["missing"]; switch (o) { case string s: return "s"; case var x: return x == null ? "var null" : "var"; }`, "var null"},
		{`object o = context.Variables["n"]; switch (o) { case var x when x is int: return "int"; default: return "d"; }`, "int"},
		// discards
		{`object o = context.Variables["n"]; switch (o) { case string _: return "s"; case int _: return "i"; case var _: return "v"; }`, "i"},
		// a guard on a constant label; a guarded label may repeat a constant
		{`var n = (int)context.Variables["n"]; switch (n) { case 42 when n < 0: return "neg"; case 42: return "42"; default: return "d"; }`, "42"},
		{`var s = "GET"; var strict = true; switch (s) { case "GET" when strict: return "strict get"; case "GET": return "get"; default: return "d"; }`, "strict get"},
		// constant patterns on an object: the value has the constant's type
		{`object o = context.Variables["n"]; switch (o) { case "42": return "text"; case 42: return "int"; default: return "d"; }`, "int"},
		{`object o = context.Variables["s"]; switch (o) { case 42: return "int"; case "hello": return "text"; default: return "d"; }`, "text"},
		// the same name in two sections: each section's own
		{`object o = 3; switch (o) { case string x: return x; case int x: return "int " + (x + 1); default: return "d"; }`, "int 4"},
		// the default section runs last wherever it is written
		{`object o = "a"; switch (o) { default: return "d"; case string s: return "s " + s; }`, "s a"},
		// several labels on a section (the variables unused there)
		{`object o = 2L; switch (o) { case int i: case long l: return "integer"; default: return "d"; }`, "integer"},
		{`object o = "ab"; switch (o) { case int i when i > 0: case string s when s.Length > 1: return "yes"; default: return "no"; }`, "yes"},
		// JSON: a JToken against its subtypes
		{`JToken t = JToken.Parse("[1,2]"); switch (t) { case JObject jo: return "object " + jo.Count; case JArray ja: return "array " + ja.Count; default: return "value"; }`, "array 2"},
		// break and fall-through rules as before
		{`object o = 1; var r = ""; switch (o) { case int i when i > 0: r = "pos"; break; case int i: r = "int"; break; } return r;`, "pos"},
		{`object o = 1; switch (o) { case int i when i > 5: return "big"; } return "none";`, "none"},
		// an out var of a guard is the section's; switches in a lambda and a local function
		{`return new[] { "a", "1" }.Select(x => { switch (x) { case var v when int.TryParse(v, out var n): return n; default: return -1; } }).Sum();`, "0"},
		{`int F(object o) { switch (o) { case string s when int.TryParse(s, out var n): return n; case int i: return i; default: return 0; } } return F("5") + F(3) + F(null);`, "8"},
		// a constant switch with a guard stays lowered; so does a type pattern with a discard
		{`switch (context.Request.Method) { case "POST" when context.Api.Name == "echo": return 1; default: return 2; }`, "1"},
		// a label that takes every value: no return needed after the switch
		{`var n = (int)context.Variables["n"]; switch (n) { case 1: return "one"; case int i: return "int " + i; }`, "int 42"},
		{`var s = (string)context.Variables["s"]; switch (s) { case "x": return "x"; case var v: return "var " + v; }`, "var hello"},
		// the C# reference's example shape: a switch on an object's type
		{`object[] items = { 1, "two", 3.5, null }; var r = ""; foreach (var item in items) { switch (item) { case int n: r += "i" + n; break; case string s: r += "s" + s; break; case null: r += "null"; break; default: r += "?"; break; } } return r;`, "i1stwo?null"},
	} {
		csBothBlocks(t, tc.src, tc.want, set)
	}
	for src, want := range map[string]string{
		`@{ object o = 1; switch (o) { case var x: return 1; case int i: return 2; } }`:                              "already been handled by a previous case (CS8120)",
		`@{ object o = 1; switch (o) { case object x: return 1; case string s: return 2; default: return 3; } }`:     "CS8120",
		`@{ object o = 1; switch (o) { case int i: return 1; case 3: return 2; default: return 3; } }`:               "CS8120",
		`@{ JToken t = null; switch (t) { case JToken a: return 1; case JObject o: return 2; default: return 3; } }`: "CS8120",
		`@{ var s = "a"; switch (s) { case string x: return 1; case "b": return 2; default: return 3; } }`:           "CS8120",
		`@{ var s = "a"; switch (s) { case int i: return 1; default: return 3; } }`:                                  "an expression of type 'string' cannot be handled by a pattern of type 'int' (CS8121)",
		`@{ object o = 1; switch (o) { case int i: case long i: return 1; default: return 3; } }`:                    "a local variable named 'i'",
		`@{ object o = 1; switch (o) { case int i: case long l: return i; default: return 3; } }`:                    "use of unassigned local variable 'i' (CS0165)",
		`@{ object o = 1; switch (o) { case int i: case long l when i > 0: return 1; default: return 3; } }`:         "use of unassigned local variable 'i' (CS0165)",
		`@{ object o = 1; switch (o) { case int i: break; } return i; }`:                                             "the name 'i' does not exist",
		`@{ object o = 1; switch (o) { case int i when i: return 1; default: return 3; } }`:                          "cannot implicitly convert type 'int' to 'bool'",
		`@{ object o = 1; switch (o) { case int i: return 1; case int i: return 2; } }`:                              "CS8120",
		`@{ object o = 1; switch (o) { case int i: return 1; } }`:                                                    "not all code paths return a value",
		`@{ object o = 1; switch (o) { case var x when x != null: return 1; } }`:                                     "not all code paths return a value",
		`@{ object o = 1; switch (o) { case Nope n: return 1; default: return 2; } }`:                                "'Nope' could not be found",
		`@{ object o = 1; switch (o) { case int i: var x = 1; } return 1; }`:                                         "control cannot fall out of switch",
		`@{ int x = 1; object o = 1; switch (o) { case int x: return 1; default: return 2; } }`:                      "a local variable named 'x'",
	} {
		if _, errs := csCompileErr(t, src); !strings.Contains(errs, want) {
			t.Errorf("%s:\n want %q\n got %q", src, want, errs)
		}
	}
}
