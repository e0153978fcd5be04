package engine

import (
	"strings"
	"testing"
	"time"
)

// Jagged arrays (arrays of arrays), as the C# Programming Guide's "Jagged
// Arrays" page writes them: new int[3][] makes three null rows, each
// given an array of its own.
func TestCSharpJaggedArrays(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"guide: rows made one by one", `int[][] jaggedArray = new int[3][]; jaggedArray[0] = new int[5]; jaggedArray[1] = new int[4]; jaggedArray[2] = new int[2]; return jaggedArray.Length + ":" + jaggedArray[0].Length + jaggedArray[1].Length + jaggedArray[2].Length;`, "3:542"},
		{"guide: rows given initializers", `int[][] jaggedArray = new int[3][]; jaggedArray[0] = new int[] { 1, 3, 5, 7, 9 }; jaggedArray[1] = new int[] { 0, 2, 4, 6 }; jaggedArray[2] = new int[] { 11, 22 }; return jaggedArray[0][4] + jaggedArray[1][3] + jaggedArray[2][1];`, "37"},
		{"guide: new int[][] { ... }", `int[][] jaggedArray2 = new int[][] { new int[] {1,3,5,7,9}, new int[] {0,2,4,6}, new int[] {11,22} }; return jaggedArray2[2][0];`, "11"},
		{"guide: the shorthand, items set", `int[][] jaggedArray3 = { new int[] {1,3,5,7,9}, new int[] {0,2,4,6}, new int[] {11,22} }; jaggedArray3[0][1] = 77; jaggedArray3[2][1] = 88; return jaggedArray3[0][1] + "," + jaggedArray3[2][1];`, "77,88"},
		{"guide: the two-row example's output", `int[][] arr = new int[2][]; arr[0] = new int[5] { 1, 3, 5, 7, 9 }; arr[1] = new int[4] { 2, 4, 6, 8 }; var sb = new StringBuilder(); for (int i = 0; i < arr.Length; i++) { sb.AppendFormat("Element({0}): ", i); for (int j = 0; j < arr[i].Length; j++) { sb.AppendFormat("{0}{1}", arr[i][j], j == (arr[i].Length - 1) ? "" : " "); } sb.Append("|"); } return sb.ToString();`, "Element(0): 1 3 5 7 9|Element(1): 2 4 6 8|"},
		{"sized with an initializer", `var a = new int[2][] { new[] {1}, new[] {2, 3} }; return a[1][1];`, "3"},
		{"rows are null until set", `var a = new int[2][]; return (a[0] == null) + " " + (a[1]?.Length ?? -1);`, "True -1"},
		{"a row replaced", `int[][] a = { new[] {1}, new[] {2, 3} }; a[0] = new int[3]; return a[0].Length + a[1].Length;`, "5"},
		{"foreach over rows and items", `int[][] a = { new[] {1}, new[] {2, 3} }; var s = 0; foreach (var r in a) { foreach (var x in r) { s += x; } } return s;`, "6"},
		{"an item's compound assignment", `var a = new int[2][]; a[1] = new int[] { 4 }; a[1][0] += 3; a[1][0]++; return a[1][0];`, "8"},
		{"three levels", `var a = new string[2][][]; a[0] = new string[1][]; a[0][0] = new[] { "x" }; return a[0][0][0] + a[0].Length;`, "x1"},
		{"string[][] from Split", `string[][] a = new[] {"a,b", "c"}.Select(x => x.Split(',')).ToArray(); return a[0][1] + a.Length + a[1].Length;`, "b21"},
		{"LINQ over rows", `var a = new int[3][]; a[1] = new[] { 4, 5 }; return a.Where(r => r != null).Sum(r => r.Length);`, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var a = new int[2][]; return a[0].Length; }`, "Object reference not set to an instance of an object."},
		{`@{ var a = new int[2][]; return a[0][0]; }`, "Object reference not set to an instance of an object."},
		{`@{ var a = new int[2][]; a[0][0] = 1; return 1; }`, "Object reference not set to an instance of an object."},
		{`@{ var a = new int[2][]; return a[0].Sum(); }`, "Value cannot be null. (Parameter 'source')"},
		{`@{ var a = new int[2][]; a[2] = new int[1]; return 1; }`, "Index was outside the bounds of the array."},
	} {
		for _, src := range []string{tc.src, strings.Replace(strings.Replace(tc.src, "@{", "@{ try {", 1), " }", " } finally { } }", 1)} {
			_, err, _ := csRun(t, src, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", src, err, tc.want)
			}
		}
	}
}

// char's ++, -- and compound assignment: C# runs them in int and converts
// back to char (unchecked: wrapping past '\uffff'), and a compound
// assignment needs a right side that converts to char implicitly.
func TestCSharpCharArithmetic(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"c++", `char c = 'a'; c++; return c;`, "b"},
		{"c--", `char c = 'b'; c--; return c.ToString() + (int)c;`, "a97"},
		{"postfix value", `char c = 'a'; var d = c++; return d.ToString() + c;`, "ab"},
		{"prefix value", `char c = 'a'; return (++c).ToString();`, "b"},
		{"a char range in a for loop", `var s = ""; for (char c = 'a'; c <= 'e'; c++) { s += c; } return s;`, "abcde"},
		{"a char range backwards", `var sb = new StringBuilder(); for (var c = 'Z'; c >= 'W'; c--) { sb.Append(c); } return sb.ToString();`, "ZYXW"},
		{"(char)(c + 1)", `char c = 'a'; return (char)(c + 1);`, "b"},
		{"c += another char", `char c = 'A'; c += ' '; return c;`, "a"},
		{"c -= another char", `char c = 'a'; char d = ' '; c -= d; return c;`, "A"},
		{"wraps past \\uffff", `char c = '\uffff'; c++; return (int)c;`, "0"},
		{"wraps below \\0", `char c = '\0'; c--; return (int)c;`, "65535"},
		{"c <<= 1", `char c = 'a'; c <<= 1; return (int)c;`, "194"},
		{"char? null stays null", `char? c = null; c++; return c == null;`, "true"},
		{"char[] items", `char[] cs = { 'a', 'b' }; cs[0]++; cs[1] -= ' '; return new string(cs);`, "bB"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ char c = '\uffff'; return checked(c++); }`, "Arithmetic operation resulted in an overflow."},
		{`@{ char c = '\0'; checked { c--; } return c; }`, "Arithmetic operation resulted in an overflow."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		// C#'s CS0266: an int does not convert to char implicitly
		{`@{ char c = 'a'; c += 2; return c; }`, "cannot implicitly convert type 'int' to 'char'. An explicit conversion exists (are you missing a cast?)"},
		{`@{ char c = 'a'; c += "x"; return c; }`, "operator '+=' cannot be applied to operands of type 'char' and 'string'"},
		{`@{ char c = 'a'; c ??= 'b'; return c; }`, "operator '??=' cannot be applied to operands of type 'char' and 'char'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// Comparer<T>.Default and EqualityComparer<T>.Default: for string, the
// order of string.CompareTo (the current culture's, as
// StringComparer.CurrentCulture) and string's ordinal Equals; for the
// other types, their own order and equality, the ones LINQ and
// List<T>.Sort use without a comparer.
func TestCSharpDefaultComparers(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"Compare ints", `Comparer<int>.Default.Compare(1, 2) + "," + Comparer<int>.Default.Compare(2, 2) + "," + Comparer<Int32>.Default.Compare(3, 2)`, "-1,0,1"},
		{"Compare nulls first", `Comparer<DateTime>.Default.Compare(DateTime.MinValue, DateTime.MaxValue)`, "-1"},
		{"Compare strings as CompareTo", `Comparer<string>.Default.Compare("a", "B") + "," + Comparer<string>.Default.Compare("a", "A") + "," + Comparer<string>.Default.Compare(null, "a")`, "-1,-1,-1"},
		{"EqualityComparer<string> is ordinal", `EqualityComparer<string>.Default.Equals("a", "a") + "," + EqualityComparer<string>.Default.Equals("a", "A")`, "True,False"},
		{"EqualityComparer<int>", `EqualityComparer<int>.Default.Equals(1, 1) + "," + EqualityComparer<long>.Default.Equals(1L, 2L)`, "True,False"},
		{"OrderBy with Comparer<string>.Default", `new[] {"b", "A", "a"}.OrderBy(x => x, Comparer<string>.Default).First()`, "a"},
		{"OrderBy with Comparer<int>.Default", `string.Join(",", new[] {3, 1, 2}.OrderByDescending(x => x, Comparer<int>.Default))`, "3,2,1"},
		{"Distinct with EqualityComparer<int>.Default", `new[] {3, 1, 3}.Distinct(EqualityComparer<int>.Default).Count()`, "2"},
		{"Distinct with EqualityComparer<string>.Default", `new[] {"a", "A", "a"}.Distinct(EqualityComparer<string>.Default).Count()`, "2"},
		{"ToString", `Comparer<int>.Default.ToString() + " " + EqualityComparer<Guid>.Default.ToString()`, "System.Collections.Generic.GenericComparer`1[System.Int32] System.Collections.Generic.GenericEqualityComparer`1[System.Guid]"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ name, stmts, want string }{
		{"List<int>.Sort(Comparer<int>.Default)", `var l = new List<int> {3, 1, 2}; l.Sort(Comparer<int>.Default); return string.Join(",", l);`, "1,2,3"},
		{"List<string>.Sort(Comparer<string>.Default)", `var l = new List<string> {"b", "A", "a"}; l.Sort(Comparer<string>.Default); return string.Join(",", l);`, "a,A,b"},
		{"a comparer in a local", `IComparer<string> c = Comparer<string>.Default; var l = new List<string> {"b", "a"}; l.Sort(c); return string.Join(",", l);`, "a,b"},
		{"Dictionary with EqualityComparer<string>.Default", `var d = new Dictionary<string, int>(EqualityComparer<string>.Default); d["A"] = 1; return d.ContainsKey("a") + "," + d.ContainsKey("A");`, "False,True"},
		{"HashSet with EqualityComparer<string>.Default", `var s = new HashSet<string>(EqualityComparer<string>.Default) { "A" }; return s.Contains("a") + "," + s.Contains("A");`, "False,True"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(EqualityComparer<int>.Default.Compare(1, 1))`, "'EqualityComparer<int>' does not contain a definition for 'Compare'"},
		{`@(Comparer<Foo>.Default)`, "the name 'Comparer<Foo>' does not exist"},
		{`@(new[] {3, 1}.OrderBy(x => x, EqualityComparer<int>.Default).First())`, "OrderBy takes one lambda"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// TimeSpan.MaxValue and MinValue (.NET's documentation: Int64.MaxValue
// ticks, "positive 10675199.02:48:05.4775807", and Int64.MinValue,
// "negative 10675199.02:48:05.4775808"), and the ends of DateTime and
// DateTimeOffset.
func TestCSharpTimeSpanEnds(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"MaxValue's text", `TimeSpan.MaxValue.ToString()`, "10675199.02:48:05.4775807"},
		{"MinValue's text", `TimeSpan.MinValue.ToString()`, "-10675199.02:48:05.4775808"},
		{"interpolated", `$"{TimeSpan.MaxValue}|{TimeSpan.MinValue:c}"`, "10675199.02:48:05.4775807|-10675199.02:48:05.4775808"},
		{"g and G", `TimeSpan.MaxValue.ToString("g") + " " + TimeSpan.MinValue.ToString("G")`, "10675199:2:48:05.4775807 -10675199:02:48:05.4775808"},
		{"custom", `TimeSpan.MaxValue.ToString(@"d\.hh\:mm\:ss\.fffffff")`, "10675199.02:48:05.4775807"},
		{"Ticks", `TimeSpan.MaxValue.Ticks == long.MaxValue && TimeSpan.MinValue.Ticks == long.MinValue`, "true"},
		{"components", `TimeSpan.MaxValue.Days + " " + TimeSpan.MaxValue.Hours + " " + TimeSpan.MaxValue.Minutes + " " + TimeSpan.MaxValue.Seconds + " " + TimeSpan.MaxValue.Milliseconds`, "10675199 2 48 5 477"},
		{"negative components", `TimeSpan.MinValue.Days + " " + TimeSpan.MinValue.Hours + " " + TimeSpan.MinValue.Milliseconds`, "-10675199 -2 -477"},
		{"totals", `TimeSpan.MaxValue.TotalDays + " " + TimeSpan.MaxValue.TotalSeconds`, "10675199.116730064 922337203685.4775"},
		{"TotalMilliseconds clamped", `TimeSpan.MaxValue.TotalMilliseconds + " " + TimeSpan.MinValue.TotalMilliseconds`, "922337203685477 -922337203685477"},
		{"compare", `(TimeSpan.MaxValue > TimeSpan.FromDays(100000)) + " " + TimeSpan.Compare(TimeSpan.MinValue, TimeSpan.Zero) + " " + TimeSpan.MaxValue.CompareTo(TimeSpan.MaxValue)`, "True -1 0"},
		{"FromTicks, new TimeSpan(ticks)", `(TimeSpan.FromTicks(long.MaxValue) == TimeSpan.MaxValue) + " " + (new TimeSpan(long.MinValue) == TimeSpan.MinValue) + " " + new TimeSpan(36000000000L)`, "True True 01:00:00"},
		{"Parse of the ends", `(TimeSpan.Parse("10675199.02:48:05.4775807") == TimeSpan.MaxValue) + " " + (TimeSpan.Parse("-10675199.02:48:05.4775808") == TimeSpan.MinValue)`, "True True"},
		{"MaxValue - MaxValue", `(TimeSpan.MaxValue - TimeSpan.MaxValue).ToString()`, "00:00:00"},
		{"MaxValue + MinValue", `(TimeSpan.MaxValue + TimeSpan.MinValue).Ticks`, "-1"},
		{"Duration of MaxValue", `TimeSpan.MaxValue.Duration().ToString()`, "10675199.02:48:05.4775807"},
		{"unary minus", `(-TimeSpan.FromMinutes(90)).ToString() + " " + (+TimeSpan.FromSeconds(1))`, "-01:30:00 00:00:01"},
		{"JSON", `JsonConvert.SerializeObject(TimeSpan.MaxValue)`, `"10675199.02:48:05.4775807"`},
		{"DateTime's ends", `DateTime.MaxValue.ToString("o") + " " + DateTime.MinValue.ToString() + " " + DateTime.MaxValue.Ticks`, "9999-12-31T23:59:59.9999999 1/1/0001 12:00:00 AM 3155378975999999999"},
		{"DateTimeOffset's ends", `DateTimeOffset.MaxValue.ToString() + " | " + DateTimeOffset.MinValue.ToString("o")`, "12/31/9999 11:59:59 PM +00:00 | 0001-01-01T00:00:00.0000000+00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`TimeSpan.MaxValue + TimeSpan.FromTicks(1)`, "OverflowException: TimeSpan overflowed because the duration is too long."},
		{`TimeSpan.MinValue - TimeSpan.FromTicks(1)`, "OverflowException: TimeSpan overflowed because the duration is too long."},
		{`TimeSpan.MinValue.Duration()`, "OverflowException: The duration cannot be returned for TimeSpan.MinValue because the absolute value of TimeSpan.MinValue exceeds the value of TimeSpan.MaxValue."},
		{`TimeSpan.MinValue.Negate()`, "OverflowException: Negating the minimum value of a twos complement number is invalid."},
		{`-TimeSpan.MinValue`, "OverflowException: Negating the minimum value of a twos complement number is invalid."},
		// .NET's value, a span a Duration does not hold: tollgate's limit
		{`TimeSpan.MaxValue - TimeSpan.FromDays(1)`, "OverflowException: TimeSpan overflowed because the duration is too long."},
		{`TimeSpan.MaxValue.Negate()`, "OverflowException: TimeSpan overflowed because the duration is too long."},
		{`DateTime.UtcNow + TimeSpan.MaxValue`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime."},
		{`DateTime.UtcNow - TimeSpan.MinValue`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime."},
		{`DateTime.MinValue.Add(TimeSpan.MaxValue)`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime."},
		{`DateTimeOffset.UtcNow + TimeSpan.MaxValue`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime. (Parameter 'value')"},
		{`DateTime.MaxValue.AddTicks(1)`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime. (Parameter 'value')"},
		{`DateTimeOffset.MinValue.AddTicks(-1)`, "ArgumentOutOfRangeException: The added or subtracted value results in an un-representable DateTime. (Parameter 'value')"},
		{`TimeSpan.Parse("10675199.02:48:05.4775808")`, "OverflowException: The TimeSpan string '10675199.02:48:05.4775808' could not be parsed"},
		{`TimeSpan.Parse("10675199.23:00:00")`, "OverflowException: The TimeSpan string"},
	} {
		// lowered: the message; caught: the exception's type too
		src := "@((" + tc.src + ").ToString())"
		_, err, _ := csRun(t, src, nil)
		if msg := tc.want[strings.Index(tc.want, ":")+1:]; err == nil || !strings.Contains(err.Error(), strings.TrimSpace(msg)) {
			t.Errorf("%s: %v, want %q", src, err, msg)
		}
		src = `@{ try { return (` + tc.src + `).ToString(); } catch (OverflowException e) { return "OverflowException: " + e.Message; } catch (ArgumentOutOfRangeException e) { return "ArgumentOutOfRangeException: " + e.Message; } }`
		if v, err, _ := csRun(t, src, nil); err != nil || !strings.HasPrefix(show(v), tc.want) {
			t.Errorf("%s: %q %v, want %q", src, show(v), err, tc.want)
		}
	}
}

// ToString(), string concatenation and interpolation of the context's
// objects and collections give a .NET type name (object.ToString()), never
// a Go one (Headers, map[...], [...]): APIM's own classes are not
// documented, so the names are tollgate's choice (docs). A KeyValuePair
// is written [key, value] wherever it becomes text.
func TestCSharpContextObjectText(t *testing.T) {
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	fill := func(s *State) {
		s.ctx.Subscription = &Subscription{Id: "sub-1", Name: "dev", CreatedDate: start}
		s.ctx.Product = &Product{Id: "starter", Name: "Starter", State: "published", Groups: []*Group{{Id: "g"}}}
		s.ctx.User = &User{Id: "1", Groups: []*Group{{Id: "developers", Name: "Developers"}}}
		s.ctx.Operation = &Operation{Id: "get-pet", Method: "GET", UrlTemplate: "/pets/{petId}"}
		s.ctx.Request.MatchedParameters = map[string]string{"petId": "7"}
	}
	const dict = "System.Collections.Generic.Dictionary`2"
	for _, tc := range []struct{ x, want string }{
		{`context`, "Tollgate.Context.ProxyRequestContext"},
		{`context.Request`, "Tollgate.Context.Request"},
		{`context.Request.Headers`, dict + "[System.String,System.String[]]"},
		{`context.Request.Url.Query`, dict + "[System.String,System.String[]]"},
		{`context.Request.MatchedParameters`, dict + "[System.String,System.String]"},
		{`context.Variables`, dict + "[System.String,System.Object]"},
		{`context.Request.Body`, "Tollgate.Context.MessageBody"},
		{`context.Api`, "Tollgate.Context.Api"},
		{`context.Operation`, "Tollgate.Context.Operation"},
		{`context.Product`, "Tollgate.Context.Product"},
		{`context.Product.Groups`, "Tollgate.Context.Group[]"},
		{`context.Subscription`, "Tollgate.Context.Subscription"},
		{`context.User`, "Tollgate.Context.User"},
		{`context.User.Groups.First()`, "Tollgate.Context.Group"},
		{`context.Request.Headers["X-Multi"]`, "System.String[]"},
		{`context.Request.Headers.GetValueOrDefault("Authorization", "").AsBasic()`, "Tollgate.Context.BasicAuthCredentials"},
		{`"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".AsJwt().Claims`, dict + "[System.String,System.String[]]"},
		{`context.Request.Url`, "https://gw.example:8443/echo/resource?param1=value1&param2=2&x=a&x=b"},
		{`context.Request.Headers.First(h => h.Key == "X-Multi")`, "[X-Multi, System.String[]]"},
		{`context.Variables.First(v => v.Key == "s")`, "[s, hello]"},
		{`context.Request.MatchedParameters.First()`, "[petId, 7]"},
	} {
		srcs := []string{tc.x + ".ToString()", `$"{` + tc.x + `}"`, `"" + ` + tc.x, `string.Concat(` + tc.x + `, "")`, `Convert.ToString(` + tc.x + `)`}
		if !strings.HasSuffix(tc.want, "[]") { // an array is Format's params array, as in C#
			srcs = append(srcs, `string.Format("{0}", `+tc.x+`)`)
		}
		for _, src := range srcs {
			t.Run(src, func(t *testing.T) { csBothPaths(t, src, tc.want, fill) })
		}
	}
	for _, tc := range []struct{ name, src, want string }{
		{"Join of a model map's pairs", `string.Join(";", context.Request.Headers.Where(h => h.Key.StartsWith("X")))`, "[X-Multi, System.String[]]"},
		{"Join of a dictionary", `string.Join(",", new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 })`, "[a, 1],[b, 2]"},
		{"Join of KeyValuePairs", `string.Join(",", new[] { new KeyValuePair<string, int>("a", 1) })`, "[a, 1]"},
		{"Join of pairs as arguments", `string.Join(",", context.Variables.First(v => v.Key == "s"), context.Variables.First(v => v.Key == "n"))`, "[s, hello],[n, 42]"},
		{"a pair in foreach", `context.Variables.Where(v => v.Key == "n").Select(v => "" + v).First()`, "[n, 42]"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, fill) })
	}
	// string.Format("{0}", a string[]) formats its first item: C# passes
	// the array as the params object[]
	csBothPaths(t, `string.Format("{0}|{1}", context.Request.Headers["X-Multi"])`, "a|b", nil)
	// a failing cast names the .NET type too
	if _, err, _ := csRun(t, `@(((IEnumerable<object>)(object)context.Request.Headers).Count())`, nil); err == nil || !strings.Contains(err.Error(), "System.Collections.Generic.Dictionary`2[System.String,System.String[]]") {
		t.Errorf("cast of Headers: %v", err)
	}
}

// List<T>'s capacity members (APIM allows all of List<T>) are a load error
// that says why: a list is a value here and keeps no capacity.
func TestCSharpListCapacityRefused(t *testing.T) {
	for _, src := range []string{
		`@{ var l = new List<int>(); return l.Capacity; }`,
		`@{ var l = new List<int>(); l.Capacity = 4; return 1; }`,
		`@{ var l = new List<string> { "a" }; l.TrimExcess(); return 1; }`,
		`@{ var l = new List<int>(); return l.EnsureCapacity(4); }`,
	} {
		_, _, errs := csCompile(t, src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), "is not supported here: a list keeps no capacity in tollgate") {
			t.Errorf("%s: errors %v", src, errs)
		}
	}
}

// Encoding.GetEncoding (APIM's table allows all of System.Text.Encoding):
// the encodings .NET has without a code-pages provider, by name or code
// page, and Encoding.Latin1; a real policy's Basic credentials in
// ISO-8859-1 (survey27's A4, pagopa/cstar-infrastructure).
func TestCSharpEncodingGetEncoding(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"the survey's policy", `Convert.ToBase64String(System.Text.Encoding.GetEncoding("ISO-8859-1").GetBytes("é"))`, "6Q=="},
		{"the survey's credentials", `Convert.ToBase64String(Encoding.GetEncoding("iso-8859-1").GetBytes("cruscotto:pw&1x!"))`, "Y3J1c2NvdHRvOnB3JjF4IQ=="},
		{"code page 28591", `Encoding.GetEncoding(28591).GetString(new byte[] { 0xE9, 0x41 })`, "éA"},
		{"Latin1 past U+00FF", `BitConverter.ToString(Encoding.Latin1.GetBytes("aĀ😀"))`, "61-3F-3F"},
		{"utf-8 by name and page", `BitConverter.ToString(Encoding.GetEncoding("UTF-8").GetBytes("é")) + " " + BitConverter.ToString(Encoding.GetEncoding(65001).GetBytes("é"))`, "C3-A9 C3-A9"},
		{"utf-16 names", `BitConverter.ToString(Encoding.GetEncoding("utf-16").GetBytes("a")) + " " + BitConverter.ToString(Encoding.GetEncoding("unicodeFFFE").GetBytes("a")) + " " + BitConverter.ToString(Encoding.GetEncoding(1201).GetBytes("a"))`, "61-00 00-61 00-61"},
		{"utf-32 both ways", `BitConverter.ToString(Encoding.GetEncoding("utf-32").GetBytes("a")) + " " + BitConverter.ToString(Encoding.GetEncoding(12001).GetBytes("a")) + " " + Encoding.GetEncoding("utf-32BE").GetString(new byte[] { 0, 0, 0, 0x62 })`, "61-00-00-00 00-00-00-61 b"},
		{"us-ascii", `Encoding.GetEncoding("us-ascii").GetString(Encoding.GetEncoding(20127).GetBytes("aé"))`, "a?"},
		{"same as the property", `Encoding.GetEncoding("utf-8") == Encoding.UTF8`, "true"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`Encoding.GetEncoding("windows-1252")`, "'windows-1252' is not a supported encoding name. For information on defining a custom encoding, see the documentation for the Encoding.RegisterProvider method. (Parameter 'name')"},
		{`Encoding.GetEncoding(1252)`, "No data is available for encoding 1252. For information on defining a custom encoding, see the documentation for the Encoding.RegisterProvider method."},
		{`Encoding.GetEncoding(70000)`, "Valid values are between 0 and 65535, inclusive. (Parameter 'codepage')"},
		{`Encoding.GetEncoding(42)`, "42 is not a supported code page. (Parameter 'codepage')"},
		{`Encoding.GetEncoding((string)null)`, "Value cannot be null. (Parameter 'name')"},
	} {
		for _, src := range []string{"@(" + tc.src + ".GetBytes(\"a\").Length)", "@{ try { return " + tc.src + ".GetBytes(\"a\").Length; } finally { } }"} {
			_, err, _ := csRun(t, src, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", src, err, tc.want)
			}
		}
	}
}

// context.User.Groups.Contains("name") is not C#: IEnumerable<IGroup> and a
// string give LINQ's Contains<T> no T (CS1929), so APIM refuses it
// (survey27's A7, a real policy that then threw at run time here).
func TestCSharpModelContainsRefused(t *testing.T) {
	for _, src := range []string{`@(context.User.Groups.Contains("x"))`, `@(!context.User.Groups.Contains("internal-ops"))`, `@(context.Product.Apis.Contains(1))`} {
		_, _, errs := csCompile(t, src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), "does not contain a definition for 'Contains' and the best extension method overload") {
			t.Errorf("%s: errors %v", src, errs)
		}
	}
	fill := func(s *State) {
		s.ctx.User = &User{Id: "1", Groups: []*Group{{Id: "developers", Name: "Developers"}}}
	}
	csBothPaths(t, `context.User.Groups.Select(g => g.Name).Contains("Developers") + " " + context.User.Groups.Contains(context.User.Groups.First()) + " " + context.User.Groups.Contains(null)`, "True True False", fill)
}

// An array's or a list's text is its .NET type's name, as
// object.ToString() gives it (a run-time list does not know its element
// type: the binder writes it).
func TestCSharpCollectionText(t *testing.T) {
	for _, tc := range []struct{ x, want string }{
		{`new int[2]`, "System.Int32[]"},
		{`new string[0]`, "System.String[]"},
		{`new List<string>()`, "System.Collections.Generic.List`1[System.String]"},
		{`new List<int> { 1 }`, "System.Collections.Generic.List`1[System.Int32]"},
		{`new HashSet<string>()`, "System.Collections.Generic.HashSet`1[System.String]"},
		{`new Queue<long>()`, "System.Collections.Generic.Queue`1[System.Int64]"},
		{`new int?[1]`, "System.Nullable`1[System.Int32][]"},
		{`new byte[1]`, "System.Byte[]"},
		{`new List<DateTime>()`, "System.Collections.Generic.List`1[System.DateTime]"},
		{`new JObject[0]`, "Newtonsoft.Json.Linq.JObject[]"},
		{`new int[1][]`, "System.Int32[][]"},
		{`context.Request.Headers["X-Multi"]`, "System.String[]"},
	} {
		for _, src := range []string{tc.x + ".ToString()", `$"{` + tc.x + `}"`, `"" + ` + tc.x, `Convert.ToString(` + tc.x + `)`} {
			t.Run(src, func(t *testing.T) { csBothPaths(t, src, tc.want, nil) })
		}
	}
	csBothBlocks(t, `int[] a = null; return "x" + a + $"{a}" + Convert.ToString(a) + "y";`, "xy", nil)
	for _, src := range []string{`@{ int[] a = null; return a.ToString(); }`, `@{ try { List<int> a = null; return a.ToString(); } finally { } }`} {
		if _, err, _ := csRun(t, src, nil); err == nil || !strings.Contains(err.Error(), "Object reference not set to an instance of an object.") {
			t.Errorf("%s: %v", src, err)
		}
	}
	// Join and Format still take an array as their sequence or params array
	csBothPaths(t, `string.Join(",", new[] { 1, 2 }) + string.Format("{0}{1}", new[] { "a", "b" })`, "1,2ab", nil)
}

// TimeSpan.Parse's example in .NET's documentation (TimeSpan.Parse(String)),
// its values and printed results as written there.
func TestCSharpTimeSpanParseDocExample(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"6", "6.00:00:00"},
		{"6:12", "06:12:00"},
		{"6:12:14", "06:12:14"},
		{"6:12:14:45", "6.12:14:45"},
		{"6.12:14:45", "6.12:14:45"},
		{"6:12:14:45.3448", "6.12:14:45.3448000"},
		{"6:12:14:45,3448", "Bad Format"},
		{"6:34:14:45", "Overflow"},
		{"6.12:14:45:10", "Bad Format"},
	} {
		src := `try { return TimeSpan.Parse("` + tc.value + `").ToString("c"); } catch (FormatException) { return "Bad Format"; } catch (OverflowException) { return "Overflow"; }`
		csWant(t, "@{ "+src+" }", tc.want, nil)
	}
}

// new StringBuilder(...).Append(...)... as a value, the common one-line
// form: the builder's text and each part's.
func TestCSharpBuilderChainValue(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`new StringBuilder().Append("a").Append(1).ToString()`, "a1"},
		{`new StringBuilder("x").AppendLine("a").AppendLine().Append(true).Length`, "8"},
		{`new System.Text.StringBuilder().Append(1.5).Append('c').Append(new int[1]).ToString()`, "1.5cSystem.Int32[]"},
		{`new StringBuilder().Append(context.Variables.First(v => v.Key == "s")).ToString()`, "[s, hello]"},
		{`new StringBuilder().Append("a").Insert(0, "z").ToString()`, "za"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	csBothBlocks(t, `var sb = new StringBuilder().Append("a"); sb.Append("b"); return sb.ToString();`, "ab", nil)
	if _, _, errs := csCompile(t, `@(new StringBuilder().Append().ToString())`); len(errs) == 0 {
		t.Error("Append() with no argument compiled")
	}
}

// string.Format's params object[]: C# passes a string[] or an object[] as
// the array of items, an int[] or a List<T> as one item (its type name).
func TestCSharpFormatParamsArray(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`string.Format("{0}", new int[] { 1, 2 })`, "System.Int32[]"},
		{`string.Format("{0}", new List<string> { "a" })`, "System.Collections.Generic.List`1[System.String]"},
		{`string.Format("{0}|{1}", new[] { "a", "b" })`, "a|b"},
		{`string.Format("{0}|{1}", new object[] { "a", 2 })`, "a|2"},
		{`string.Format(CultureInfo.InvariantCulture, "{0}", new int[] { 1, 2 })`, "System.Int32[]"},
		{`string.Format(CultureInfo.InvariantCulture, "{0}{1}", new[] { "a", "b" })`, "ab"},
		{`string.Format("{0} {1}", new int[1], new List<int>())`, "System.Int32[] System.Collections.Generic.List`1[System.Int32]"},
		{`string.Format("{0}", new JArray(1, 2))`, "[\n  1,\n  2\n]"},
		{`string.Format("{0}{1}", "x", new JArray(1))`, "x[\n  1\n]"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	csBothBlocks(t, `var sb = new StringBuilder(); sb.AppendFormat("{0}", new List<string>()); return sb.ToString();`, "System.Collections.Generic.List`1[System.String]", nil)
}

// An IComparer<T> where an IEqualityComparer<T> is taken (and the other
// way round) is no overload in C#: not left out silently.
func TestCSharpDefaultComparerKinds(t *testing.T) {
	for _, src := range []string{`@(new[] { 1, 1 }.Distinct(Comparer<int>.Default).Count())`, `@(new[] { 1 }.OrderBy(x => x, EqualityComparer<int>.Default).First())`} {
		if _, _, errs := csCompile(t, src); len(errs) == 0 {
			t.Errorf("%s compiled", src)
		}
	}
}
