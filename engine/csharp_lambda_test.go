package engine

import (
	"strings"
	"testing"
)

// TestCSharpStatementLambdas: lambdas with a statement body (x => { ...;
// return v; }) wherever an expression lambda goes, with C#'s results:
// each LINQ operator family, Array's statics, HashSet.RemoveWhere and a
// MatchEvaluator; closures over the block's locals and loop variables,
// changes to outer locals, the statements a block takes, nested lambdas,
// exceptions. They run on the interpreter; each block also runs inside a
// try block (csBothBlocks).
func TestCSharpStatementLambdas(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		// Select, Where, and the operators with a predicate
		{`return string.Join(",", "a=1;b=2;c=3".Split(';').Select(x => { var p = x.Split('='); return p[0]; }));`, "a,b,c"},
		{`return string.Join(",", new[] { 1, 2, 3, 4, 5 }.Where(x => { if (x % 2 == 0) { return false; } return x > 1; }));`, "3,5"},
		{`var xs = new[] { 3, 8, 12 }; return xs.Any(x => { var big = x > 10; return big; }) + "|" + xs.All(x => { return x > 2; }) + "|" + xs.Count(x => { return x % 4 == 0; });`, "True|True|2"},
		{`var xs = new List<string> { "ab", "c", "de" }; return xs.First(s => { return s.Length == 2; }) + xs.Last(s => { return s.Length == 2; }) + xs.Single(s => { return s.Length == 1; }) + (xs.FirstOrDefault(s => { return s == "z"; }) ?? "-") + (xs.SingleOrDefault(s => { return s == "q"; }) ?? "-") + xs.LastOrDefault(s => { return s.StartsWith("a"); });`, "abdec--ab"},
		{`return string.Join(",", new[] { 1, 2, 5, 1 }.TakeWhile(x => { return x < 3; })) + "|" + string.Join(",", new[] { 1, 2, 5, 1 }.SkipWhile(x => { return x < 3; }));`, "1,2|5,1"},
		// the result type is inferred from the returns: int and double give double
		{`var r = new[] { 1, 2, 3 }.Select(x => { if (x == 2) { return x * 0.5; } return x; }); return r.Sum() + "|" + string.Join(",", r);`, "5|1,1,3"},
		{`return JsonConvert.SerializeObject(new[] { 1, 2, 3 }.Select(x => { if (x == 2) { return x * 0.5; } return x; }));`, "[1.0,1.0,3.0]"},
		{`var r = new[] { "a", "bb" }.Select(s => { if (s.Length > 1) { return null; } return s; }).ToList(); return r.Count + (r[1] ?? "null");`, "2null"},
		{`var r = new[] { 1, 2 }.Select(x => { long l = x; return x == 1 ? l << 40 : x; }).ToArray(); return r[0] + r[1];`, "1099511627778"},
		{`return new[] { 1, 2, 3 }.Select(x => { return new { x, sq = x * x }; }).Where(o => o.sq > 1).Sum(o => { return o.sq; });`, "13"},
		// ordering and grouping
		{`return string.Join(",", new[] { "b1", "a22", "c" }.OrderBy(s => { var n = s.Length; return n; }));`, "c,b1,a22"},
		{`return string.Join(",", new[] { "b1", "a1", "c22" }.OrderByDescending(s => { return s.Length; }).ThenBy(s => { return s[0]; }));`, "c22,a1,b1"},
		{`return string.Join(";", new[] { "ab", "c", "de", "f" }.GroupBy(s => { return s.Length; }).Select(g => { var items = string.Join(",", g); return g.Key + ":" + items; }));`, "2:ab,de;1:c,f"},
		{`return string.Join(";", new[] { "ab", "c", "de" }.GroupBy(s => { return s.Length; }, s => { return s.ToUpper(); }, (k, items) => { var n = items.Count(); return k + "x" + n + string.Join("", items); }));`, "2x2ABDE;1x1C"},
		{`var d = "a=1&b=2".Split('&').ToDictionary(kv => { return kv.Split('=')[0]; }, kv => { var v = kv.Split('=')[1]; return int.Parse(v) * 10; }); return d["a"] + "|" + d["b"];`, "10|20"},
		// Sum, Average, Min, Max, SelectMany, Aggregate
		{`var xs = new[] { "1", "x", "30" }; return xs.Sum(s => { int n; if (int.TryParse(s, out n)) { return n; } return 0; }) + "|" + xs.Max(s => { return s.Length; }) + "|" + xs.Min(s => { return s; }) + "|" + xs.Average(s => { return s.Length; });`, "31|2|1|1.3333333333333333"},
		{`return string.Join(",", new[] { "a,b", "c" }.SelectMany(s => { var parts = s.Split(','); return parts; }));`, "a,b,c"},
		{`return new[] { 1, 2, 3, 4 }.Aggregate((acc, x) => { if (x % 2 == 0) { return acc * x; } return acc + x; });`, "20"},
		{`return new[] { 1, 2, 3 }.Aggregate(0.5, (acc, x) => { if (x == 2) { return acc; } return acc + x; });`, "4.5"},
		{`return new[] { "a", "b" }.Aggregate("", (acc, s) => { var sep = acc.Length > 0 ? "," : ""; return acc + sep + s; });`, "a,b"},
		// the overloads with two parameters
		{`return string.Join(",", new[] { "a", "b", "c" }.Select((s, i) => { var n = i + 1; return s + n; })) + "|" + string.Join(",", new[] { "a", "b", "c" }.Where((s, i) => { return i != 1; }));`, "a1,b2,c3|a,c"},
		{`return string.Join(",", new[] { 1, 2 }.Zip(new[] { "x", "y", "z" }, (n, s) => { var r = s; for (int i = 1; i < n; i++) { r += s; } return r; }));`, "x,yy"},
		// Array's statics, JArray, the context's maps
		{`var roles = new[] { "reader", "Admin" }; return Array.Exists(roles, r => { return r.Equals("admin", StringComparison.OrdinalIgnoreCase); }) + "|" + Array.TrueForAll(roles, r => { return r.Length > 4; }) + "|" + Array.Find(roles, r => { return r.StartsWith("A"); }) + "|" + Array.FindLast(roles, r => { return r.Length > 1; }) + "|" + string.Join(",", Array.FindAll(roles, r => { return r != "Admin"; }));`, "True|True|Admin|Admin|reader"},
		{`var a = JArray.Parse("[{\"n\":\"x\",\"v\":1},{\"n\":\"y\",\"v\":2}]"); return string.Join(",", a.Select(t => { var o = (JObject)t; return (string)o["n"] + (int)o["v"]; }));`, "x1,y2"},
		{`return string.Join(",", context.Request.Headers.Where(h => { var k = h.Key.ToLower(); return k.StartsWith("x-") || k == "content-type"; }).Select(h => { return h.Key + "=" + string.Join("|", h.Value); }));`, "Content-Type=application/json,X-Multi=a|b"},
		{`var tags = context.Request.Body.As<JObject>(preserveContent: true)["tags"]; return string.Join(",", tags.Select(t => { var s = (string)t; return s.ToUpper(); }));`, "X,Y"},
		// HashSet.RemoveWhere: the predicate sees the removals so far
		{`var s = new HashSet<int> { 1, 2, 3, 4 }; var n = s.RemoveWhere(x => { if (x % 2 == 0) { return s.Contains(x - 1); } return false; }); return n + ":" + string.Join(",", s);`, "2:1,3"},
		// MatchEvaluator
		{`return Regex.Replace("id=12;n=7", @"\d+", m => { var n = int.Parse(m.Value); return (n * 2).ToString(); });`, "id=24;n=14"},
		{`var r = new Regex(@"(?<k>\w+)=(?<v>\w+)"); return r.Replace("a=b c=d", m => { var k = m.Groups["k"].Value; if (k == "c") { return "c=*"; } return m.Value.ToUpper(); });`, "A=B c=*"},
		{`return Regex.Replace("Secret Key", "[a-z]", m => { return "*"; }, RegexOptions.IgnoreCase);`, "****** ***"},
		// closures: the block's locals, loop variables, locals of the lambda's own
		{`var prefix = "x-"; var n = 2; return string.Join(",", new[] { "a", "b" }.Select(s => { var p = prefix + s; return p + n; }));`, "x-a2,x-b2"},
		{`var outs = new List<string>(); foreach (var h in new[] { "a", "b" }) { outs.Add(string.Join("", new[] { 1, 2 }.Select(i => { return h + i; }))); } return string.Join(",", outs);`, "a1a2,b1b2"},
		{`var total = 0; for (int i = 1; i <= 3; i++) { total += new[] { 10, 20 }.Sum(x => { var y = x * i; return y; }); } return total;`, "180"},
		{`return string.Join(",", new[] { 1, 2 }.Select(x => { var p = x * 2; return p; })) + string.Join(",", new[] { 3 }.Select(x => { var p = x * 3; return p; }));`, "2,49"},
		// changing an outer local: each call runs once per item, in order, when the operator runs
		{`var n = 0; var r = new[] { 1, 2, 3 }.Select(x => { n += x; return n; }).ToArray(); return string.Join(",", r) + "|" + n;`, "1,3,6|6"},
		// the operator runs its lambda when called, once (.NET defers Select: 6 here; docs' Differences from .NET)
		{`var n = 0; var q = new[] { 1, 2, 3 }.Select(x => { n++; return x; }); var a = q.Count(); var b = q.Count(); return n + a + b;`, "9"},
		{`var seen = new List<string>(); var firsts = new[] { "a", "b", "a", "c" }.Where(x => { if (seen.Contains(x)) { return false; } seen.Add(x); return true; }); return string.Join(",", firsts) + "|" + seen.Count;`, "a,b,c|3"},
		{`var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase); var dupes = 0; var n = new[] { "A", "a", "b" }.Count(x => { if (!seen.Add(x)) { dupes++; return false; } return true; }); return n + "|" + dupes;`, "2|1"},
		// statements inside: loops, try/catch, local functions, checked, throw
		{`return string.Join(",", new[] { "1", "x", "3" }.Select(s => { try { return int.Parse(s); } catch (FormatException) { return -1; } }));`, "1,-1,3"},
		{`return string.Join(",", new[] { 3, 4 }.Select(n => { var f = 1; while (n > 1) { f *= n; n--; } return f; }));`, "6,24"},
		{`return string.Join(",", new[] { "ab", "xyz" }.Select(s => { string Rev(string t) { var r = ""; foreach (var c in t) { r = c + r; } return r; } return Rev(s); }));`, "ba,zyx"},
		{`return new[] { int.MaxValue }.Select(x => { try { return checked(x + 1); } catch (OverflowException) { return 0; } }).First() + new[] { int.MaxValue }.Select(x => { return x + 1; }).First();`, "-2147483648"},
		{`var r = new[] { 1, 2, 3 }.Select(x => { foreach (var d in new[] { 2, 3 }) { if (x % d == 0) { return d; } } return 1; }); return string.Join(",", r);`, "1,2,3"},
		// nested lambdas
		{`var m = new[] { new[] { 1, 2 }, new[] { 3 } }; return string.Join(";", m.Select(row => { var doubled = row.Select(x => { return x * 2; }); return string.Join(",", doubled); }));`, "2,4;6"},
		{`return string.Join(",", new[] { 1, 2, 3 }.Where(x => new[] { 2, 3 }.Any(d => { return x % d == 0 && x != d; }) || x == 1));`, "1"},
		{`var words = new[] { "ab", "abc" }; return string.Join(",", words.Select(w => { var n = w.Length; return words.Count(v => { return v.Length >= n; }); }));`, "2,1"},
		// a lambda inside a recursive local function keeps its own locals per call
		{`int Depth(int n) { return new[] { n }.Select(x => { var y = x; if (y == 0) { return 0; } return Depth(y - 1) + y; }).First(); } return Depth(4);`, "10"},
		// an exception thrown inside propagates to a catch around the call
		{`try { return new[] { 1, 2 }.Select(x => { if (x == 2) { throw new ArgumentException("bad " + x); } return x; }).Sum(); } catch (ArgumentException e) { return e.Message; }`, "bad 2"},
		{`try { return new[] { "1", "z" }.Sum(s => { return int.Parse(s); }); } catch (FormatException) { return -1; }`, "-1"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	// in an expression too, and as the policy expressions write them
	for _, tc := range []struct{ src, want string }{
		{`@(string.Join(",", "a=1;b=2".Split(';').Select(x => { var p = x.Split('='); return p[1]; })))`, "1,2"},
		{`@(context.Request.Headers.Any(h => { if (h.Key != "Authorization") { return false; } return h.Value[0].StartsWith("Basic "); }))`, "true"},
		{`@(Regex.Replace((string)context.Variables["s"], "l+", m => { return m.Length.ToString(); }))`, "he2o"},
	} {
		csWant(t, tc.src, tc.want, nil)
	}
	// a text with one runs on the interpreter; expression lambdas still lower
	for src, interp := range map[string]string{
		`@(new[] { 1, 2 }.Select(x => { return x + 1; }).Sum())`: "lambda with a statement body",
		`@(new[] { 1, 2 }.Select(x => x + 1).Sum())`:             "",
	} {
		_, _, ex := csRun(t, src, nil)
		if ex.Interp != interp {
			t.Errorf("%s: interpreted %q, want %q", src, ex.Interp, interp)
		}
	}
}

// TestCSharpStatementLambdaErrors: the load errors C# gives a statement
// lambda (CS1643 for a path without a return, CS0411 when no result type
// can be inferred, a return that does not convert to what the context
// needs, a break that would leave the lambda), and the run-time failures
// thrown inside one.
func TestCSharpStatementLambdaErrors(t *testing.T) {
	for _, tc := range []struct{ src, msg string }{
		{`@(new[] { 1, 2 }.Select(x => { if (x > 1) { return "a"; } return x; }).Count())`, "the lambda's return type cannot be inferred: it returns 'string' and 'int'"},
		{`@(new[] { 1, 2 }.Select(x => { if (x > 1) { return x; } }).Count())`, "not all code paths return a value in lambda expression"},
		{`@(new[] { 1, 2 }.Where(x => { if (x > 1) { return true; } }).Count())`, "not all code paths return a value in lambda expression"},
		{`@(new[] { 1, 2 }.Select(x => { x++; }).Count())`, "not all code paths return a value in lambda expression"},
		{`@(new[] { 1, 2 }.Select(x => { return null; }).Count())`, "cannot be inferred from null"},
		{`@(new[] { 1, 2 }.Select(x => { throw new Exception("x"); }).Count())`, "it returns no value"},
		{`@(new[] { 1, 2 }.Where(x => { return x; }).Count())`, "cannot implicitly convert type 'int' to 'bool'"},
		{`@(new[] { 1, 2 }.Any(x => { if (x > 1) { return null; } return true; }))`, "cannot implicitly convert type '<null>' to 'bool'"},
		{`@(new[] { 1, 2 }.Select(x => { return; }).Count())`, "a lambda that gives a value must return one"},
		{`@(new[] { 1, 2 }.Aggregate((a, x) => { return "s"; }))`, "cannot implicitly convert type 'string' to 'int'"},
		{`@(Regex.Replace("a", "a", m => { return m.Length; }))`, "cannot implicitly convert type 'int' to 'string'"},
		{`@{ var n = 0; foreach (var x in new[] { 1, 2 }) { n += new[] { 1 }.Count(y => { break; }); } return n; }`, "no enclosing loop out of which to break or continue"},
		{`@{ var n = 0; foreach (var x in new[] { 1, 2 }) { n += new[] { 1 }.Count(y => { if (y > 0) continue; return true; }); } return n; }`, "no enclosing loop out of which to break or continue"},
		{`@{ var p = 1; return new[] { 1 }.Select(x => { var p = x; return p; }).First(); }`, "a local variable named 'p' cannot be declared in this scope"},
		{`@{ var r = new[] { 1 }.Select(x => { var p = x; return p; }).First(); return p; }`, "the name 'p' does not exist"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.msg) {
			t.Errorf("%s: %v, want a load error with %q", tc.src, errs, tc.msg)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(new[] { 1, 2 }.Select(x => { if (x == 2) { throw new InvalidOperationException("no " + x); } return x; }).Sum())`, "no 2"},
		{`@(new[] { "1", "z" }.Where(s => { var n = int.Parse(s); return n > 0; }).Count())`, "The input string 'z' was not in a correct format."},
		{`@(Regex.Replace("a", "a", m => { string s = null; return s.ToUpper(); }))`, "Object reference not set to an instance of an object."},
		{`@(new[] { 1 }.Select(x => { while (true) { x++; } return x; }).First())`, "more than 100000 steps"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}
