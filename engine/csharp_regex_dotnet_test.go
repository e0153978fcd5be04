package engine

import (
	"strings"
	"testing"
)

// TestCSharpRegexDotNet: C#'s Regex runs on .NET's engine (regexp2): the
// constructs RE2 lacked, and .NET's answers where RE2's differed. The
// examples marked "doc" are those of .NET's regular expression pages
// (the language quick reference's grouping and backreference tables, and
// "Substitutions in Regular Expressions"), as written.
func TestCSharpRegexDotNet(t *testing.T) {
	all := func(in, pat string) string { // every match, joined with ","
		return `return string.Join(",", Regex.Matches("` + in + `", @"` + pat + `").Cast<Match>().Select(m => m.Value));`
	}
	for _, tc := range []struct{ stmts, want string }{
		// doc: grouping constructs
		{all("deep", `(\w)\1`), "ee"},
		{all("deep", `(?<double>\w)\k<double>`), "ee"},
		{all("Console.WriteLine()", `Write(?:Line)?`), "WriteLine"},
		{all("A12xl A12XL a12xl", `A\d{2}(?i:\w+)\b`), "A12xl,A12XL"},
		{all("He is. The dog ran. The sun is out.", `\w+(?=\.)`), "is,ran,out"},
		{all("unsure sure unity used", `\b(?!un)\w+\b`), "sure,used"},
		{all("1851 1999 1950 1905 2003", `(?<=19)\d{2}\b`), "99,50,05"},
		{all("1851 1999 1950 1905 2003", `(?<!19)\d{2}\b`), "51,03"},
		{all("1ABB 3ABBC 5AB 5AC", `[13579](?>A+B+)`), "1ABB,3ABB,5AB"},
		{`return Regex.Match("3+2^((1-3)*(3-1))", @"(((?'Open'\()[^\(\)]*)+((?'Close-Open'\))[^\(\)]*)+)*(?(Open)(?!))$").Value;`, "((1-3)*(3-1))"},
		// after a match that ends the input, Matches finds the empty match there too (.NET's, Perl's rule)
		{all("ab", `b*$`), "b,"},
		// doc: backreferences
		{all("seek", `(\w)\1`), "ee"},
		{all("seek", `(?<char>\w)\k<char>`), "ee"},
		// doc: substitutions
		{`return Regex.Replace("aa1bb2cc3dd4ee5", @"\d+", "$` + "`" + `");`, "aaaabbaa1bbccaa1bb2ccddaa1bb2cc3ddeeaa1bb2cc3dd4ee"},
		{`return Regex.Replace("aa1bb2cc3dd4ee5", @"\d+", "$'");`, "aabb2cc3dd4ee5bbcc3dd4ee5ccdd4ee5ddee5ee"},
		{`return Regex.Replace("ABC123DEF456", @"\d+", "$_");`, "ABCABC123DEF456DEFABC123DEF456"},
		{`return Regex.Replace("a1b", @"(a)(\d)(b)", "$2") + Regex.Replace("a1b", @"(a)(?<group>\d)(b)", "${group}") + Regex.Replace("a1b", @"a\db", "$$") + Regex.Replace("a1b", @"a\db", "$&");`, "11$a1b"},
		// $+ is the last group (by number), $10 without a group 10 is literal text
		{`return Regex.Replace("ab", "(a)(b)?", "[$+]") + Regex.Replace("a", "(a)(x)?", "[$+]") + Regex.Replace("a", "(a)", "$10|${1}0|${x}");`, "[b][]$10|a0|${x}"},
		// look-around for masking, and validation
		{`return Regex.Replace("card 4111111111111111", @"(?<=\d{4})\d(?=\d{4})", "*");`, "card 4111********1111"},
		{`return Regex.IsMatch("Passw0rd", @"^(?=.*\d)(?=.*[A-Z])(?!.*\s).{8,}$") + "|" + Regex.IsMatch("password", @"^(?=.*\d)(?=.*[A-Z]).{8,}$");`, "True|False"},
		// \d and \w are Unicode's; ECMAScript's are ASCII's
		{`return Regex.IsMatch("٣٤", @"^\d+$") + "|" + Regex.IsMatch("٣٤", @"^\d+$", RegexOptions.ECMAScript) + "|" + Regex.IsMatch("é", @"^\w$") + "|" + Regex.IsMatch("é", @"^\w$", RegexOptions.ECMAScript);`, "True|False|True|False"},
		// ECMAScript's \s is [\t\n\v\f\r ] only: no-break space and U+FEFF are not in it
		{`return Regex.IsMatch("\u00a0", @"^\s$") + "|" + Regex.IsMatch("\u00a0", @"^\s$", RegexOptions.ECMAScript) + "|" + Regex.IsMatch("\ufeff", @"^\s$", RegexOptions.ECMAScript) + "|" + Regex.IsMatch("\v", @"^[\s]$", RegexOptions.ECMAScript) + "|" + Regex.IsMatch("\u00a0", @"^\S$", RegexOptions.ECMAScript);`, "True|False|False|True|True"},
		// $ matches before a final \n, \z does not; . stops at \n only
		{`return Regex.IsMatch("abc\n", "^abc$") + "|" + Regex.IsMatch("abc\n", @"^abc\z") + "|" + Regex.IsMatch("abc\n", @"^abc\Z") + "|" + Regex.IsMatch("a\rb", "^a.b$") + "|" + Regex.IsMatch("a\nb", "^a.b$");`, "True|False|True|True|False"},
		// every capture of a repeated group, in order, with its index
		{`var g = Regex.Match("xaaa", "(a)+").Groups[1]; var s = g.Captures.Count + ":"; foreach (Capture c in g.Captures) { s += c.Value + c.Index; } return s + "|" + g.Value + g.Index;`, "3:a1a2a3|a3"},
		{`var m = Regex.Match("one two three", @"(?:(\w+)\s?)+"); return string.Join(",", m.Groups[1].Captures.Cast<Capture>().Select(c => c.Value));`, "one,two,three"},
		// RightToLeft: matches found from the end
		{`return Regex.Match("a1b22c333", @"\d+", RegexOptions.RightToLeft).Value + "|" + string.Join(",", Regex.Matches("a1b22c333", @"\d+", RegexOptions.RightToLeft).Cast<Match>().Select(m => m.Value)) + "|" + Regex.Replace("a1b2", @"\d", "#", RegexOptions.RightToLeft) + "|" + string.Join(",", Regex.Split("a1b2c", @"(\d)", RegexOptions.RightToLeft));`, "333|333,22,1|a#b#|a,1,b,2,c"},
		// IgnorePatternWhitespace: blanks dropped, # starts a comment
		{`return Regex.Match("tel 555-1234", @"(?<area> \d{3} ) - (?<num> \d{4} )  # a number", RegexOptions.IgnorePatternWhitespace).Groups["num"].Value;`, "1234"},
		// named groups numbered after the unnamed ones; explicit numbers
		{`var m = Regex.Match("abc", "(?<x>a)(b)(c)"); return m.Groups[1].Value + m.Groups[2].Value + m.Groups[3].Value + m.Groups["x"].Name + m.Groups.Count;`, "bcax4"},
		{`var m = Regex.Match("ab", "(?<5>a)(b)"); return m.Groups[5].Value + m.Groups[1].Value + m.Groups.Count + string.Join(",", m.Groups.Keys) + m.Groups[2].Success;`, "ab30,1,5False"},
		// inline options and ExplicitCapture
		{`return Regex.IsMatch("ABC", "(?i)abc") + "|" + Regex.Match("ab", "(a)(?<n>b)", RegexOptions.ExplicitCapture).Groups.Count + "|" + Regex.Match("ab", "(?n:(a))(b)").Groups[1].Value;`, "True|2|b"},
		// UTF-16 units: an emoji is two, '.' takes one
		{`var m = Regex.Match("x😀y", "y"); return m.Index + "|" + Regex.Match("x😀y", "😀").Length + "|" + Regex.Matches("😀", ".").Count + "|" + Regex.Replace("é😀!", "!", "?") + "|" + Regex.Match("é😀y", "(?<=😀)y").Index;`, "3|2|2|é😀?|3"},
		// Replace replaces every match, past the 10000 matches Matches and Split stop at
		{`var s = Regex.Replace(new string('7', 30000), @"\d", "*"); return s.Length + "|" + s.Contains("7") + "|" + Regex.Replace(new string('7', 20000), @"\d", m => "#").Contains("7");`, "30000|False|False"},
		// .NET's named blocks, and character class subtraction
		{`return Regex.Match("abc Привет", @"\p{IsCyrillic}+").Value + "|" + Regex.Match("x αβ12 y", @"[\p{IsGreek}\d]+").Value + "|" + Regex.Match("abc é😀", @"\P{IsBasicLatin}+").Value + "|" + Regex.Match("aé", @"[^\P{IsLatin-1Supplement}]").Value + "|" + Regex.Match("bad", "[a-z-[aeiou]]+").Value;`, "Привет|αβ12|é😀|é|b"},
		// a Regex's overloads with a start and a count (startat in UTF-16 units; ^ stays at 0, \G is at startat,
		// look-behind sees before it)
		{`var r = new Regex(@"\d"); return r.Match("a1b2", 2).Value + r.Match("a1b2", 2).Index + "|" + new Regex("^a").IsMatch("ba", 1) + new Regex(@"\Ga").IsMatch("ba", 1) + new Regex("(?<=b)a").IsMatch("ba", 1) + "|" + string.Join(",", r.Matches("a1b2c3", 2).Cast<Match>().Select(m => m.Value)) + "|" + r.Match("😀1😀2", 3).Index;`, "23|FalseTrueTrue|2,3|5"},
		{`var r = new Regex(@"\d"); return r.Replace("a1b2c3", "#", 2) + "|" + r.Replace("a1b2c3", "#", 1, 2) + "|" + r.Replace("a1b2c3", "#", 0) + "|" + r.Replace("a1b2c3", "#", -1);`, "a#b#c3|a1b#c3|a1b2c3|a#b#c#"},
		{`var r = new Regex(@"\d"); return string.Join(",", r.Split("a1b2c3", 2)) + "|" + string.Join(",", r.Split("a1b2c3", 0)) + "|" + string.Join(",", r.Split("a1b2c3", 2, 2)) + "|" + string.Join(",", r.Split("a1b2c3", 1)) + "|" + string.Join(",", new Regex(@"(\d)").Split("a1b2c3", 2));`, "a,b2c3|a,b,c,|a1b,c3|a1b2c3|a,1,b2c3"},
		{`var r = new Regex(@"\d", RegexOptions.RightToLeft); return r.Match("a1b2c3", 4).Value + "|" + r.Replace("a1b2c3", "#", 1) + "|" + string.Join(",", r.Split("a1b2c3", 2));`, "2|a1b2c#|a1b2c,"},
		{`try { return new Regex("a").Match("ab", 3).Value; } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Specified argument was out of the range of valid values. (Parameter 'startat')"},
		{`try { return new Regex("a").Replace("ab", "x", -2); } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Specified argument was out of the range of valid values. (Parameter 'count')"},
		// NextMatch, Result
		{`var m = Regex.Match("a1b2c3", @"(\d)"); var s = ""; while (m.Success) { s += m.Result("<$1>"); m = m.NextMatch(); } return s;`, "<1><2><3>"},
		// a MatchEvaluator with look-around and RightToLeft (called right to left)
		{`var order = ""; var r = Regex.Replace("abc", ".", m => { order += m.Value; return m.Value.ToUpper(); }, RegexOptions.RightToLeft); return r + order;`, "ABCcba"},
		// a bad pattern built at run time is an ArgumentException with .NET's message
		{`var p = "(a"; try { return Regex.IsMatch("a", p).ToString(); } catch (ArgumentException e) { return e.Message; }`, "Invalid pattern '(a' at offset 2. Not enough )'s."},
		{`var p = @"\b(\w+)\s\2"; try { return new Regex(p).ToString(); } catch (ArgumentException e) { return e.Message; }`, `Invalid pattern '\b(\w+)\s\2'. Reference to undefined group number 2.`},
		// .NET's check of the options: ECMAScript goes with IgnoreCase and Multiline only
		{`var o = RegexOptions.ECMAScript | RegexOptions.Singleline; try { return Regex.IsMatch("a", "a", o).ToString(); } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Specified argument was out of the range of valid values. (Parameter 'options')"},
		{`return Regex.IsMatch("A", "a", RegexOptions.ECMAScript | RegexOptions.IgnoreCase | RegexOptions.Multiline).ToString();`, "True"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
}

// TestCSharpRegexMatchBeginningLength: regex.Match(input, beginning,
// length) matches in input's units [beginning, beginning+length) as if
// they were the whole input (^, $, \A, \z and look-behind see nothing
// around them), gives indexes in input, and NextMatch stays in them. The
// patterns with atomic groups are rows of dotnet/runtime's
// Regex.Match.Tests.cs (Match_MemberData_Cases), as written.
func TestCSharpRegexMatchBeginningLength(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		// dotnet/runtime Regex.Match.Tests.cs
		{`var m = new Regex("(?>[0-9]+)abc").Match("abc12345abc", 3, 8); return m.Value + "|" + m.Index;`, "12345abc|3"},
		{`return new Regex("(?>[^z]+)z").Match("zzzzxyxyxyz123", 4, 9).Value;`, "xyxyxyz"},
		{`return new Regex("(?>[0-9]+?)abc").Match("abc12345abc", 3, 8).Value;`, "5abc"},
		{`return new Regex("(?>a*)123").Match("aa1234", 0, 5).Value;`, "aa123"},
		// anchors at the window's ends, look-behind blind before it
		{`var r = new Regex("^b.$"); return r.Match("abcd", 1, 2).Value + "|" + r.Match("abcd", 1, 3).Success + "|" + new Regex("(?<=a)b").Match("ab", 1, 1).Success + "|" + new Regex(@"\Ab").Match("ab", 1, 1).Index;`, "bc|False|False|1"},
		// the length cuts the input: no match past it
		{`return new Regex(@"\d+").Match("a123", 1, 2).Value;`, "12"},
		// NextMatch stays in the window; indexes in UTF-16 units of the input
		{`var m = new Regex(@"\d").Match("1😀23456", 3, 3); var s = ""; while (m.Success) { s += m.Value + "@" + m.Index + " "; m = m.NextMatch(); } return s;`, "2@3 3@4 4@5 "},
		{`var m = new Regex(@"\d", RegexOptions.RightToLeft).Match("12345", 1, 3); return m.Value + m.NextMatch().Value;`, "43"},
		{`try { return new Regex("a").Match("ab", 3, 0).Value; } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Specified argument was out of the range of valid values. (Parameter 'beginning')"},
		{`try { return new Regex("a").Match("ab", 1, 2).Value; } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Specified argument was out of the range of valid values. (Parameter 'length')"},
		{`return new Regex("").Match("ab", 2, 0).Success.ToString();`, "True"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
}

// TestCSharpRegexTimeout: a match timeout the expression gives, and
// tollgate's default limit when it gives none, throw .NET's
// RegexMatchTimeoutException (a TimeoutException) on a catastrophic
// pattern, and the request goes on to on-error instead of hanging.
func TestCSharpRegexTimeout(t *testing.T) {
	evil := `new string('a', 64) + "!"`
	for _, tc := range []struct{ name, stmts, want string }{
		{"static with timeout", `try { return Regex.IsMatch(` + evil + `, @"^(a+)+$", RegexOptions.None, TimeSpan.FromMilliseconds(1)).ToString(); } catch (RegexMatchTimeoutException) { return "timeout"; }`, "timeout"},
		{"instance with timeout", `var r = new Regex(@"^(\w+\s?)*$", RegexOptions.None, TimeSpan.FromMilliseconds(2)); try { return r.Match(` + evil + `).Success.ToString(); } catch (TimeoutException) { return "timeout"; }`, "timeout"},
		{"Replace with timeout", `try { return Regex.Replace(` + evil + `, @"(a|aa)+$", "x", RegexOptions.None, TimeSpan.FromMilliseconds(1)); } catch (RegexMatchTimeoutException e) { return e.Message.Substring(0, 26); }`, "The Regex engine has timed"},
		{"default limit", `try { return Regex.IsMatch(` + evil + `, @"^(a+)+$").ToString(); } catch (RegexMatchTimeoutException) { return "timeout"; }`, "timeout"},
		{"infinite is the default limit", `try { return Regex.IsMatch(` + evil + `, @"^(a+)+$", RegexOptions.None, Regex.InfiniteMatchTimeout).ToString(); } catch (RegexMatchTimeoutException) { return "timeout"; }`, "timeout"},
		{"backtracking stack bound", `try { return Regex.IsMatch(new string('a', 500000), "^(a|b)*$").ToString(); } catch (OutOfMemoryException e) { return e.Message; }`, "the regular expression backtracked past tollgate's bound of 1048576 stack entries"},
		{"no backtracking stack without a group", `return Regex.IsMatch(new string('a', 500000), "^(?:a|b)*$").ToString();`, "True"},
		{"MatchEvaluator with timeout", `try { return Regex.Replace(` + evil + `, @"^(a+)+$", m => "x", RegexOptions.None, TimeSpan.FromMilliseconds(1)); } catch (RegexMatchTimeoutException) { return "timeout"; }`, "timeout"},
		{"MatchEvaluator with options and timeout, in time", `return Regex.Replace("aBc", "b", m => m.Value + "!", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));`, "aB!c"},
		{"a fine pattern in time", `return Regex.IsMatch(` + evil + `, @"^a+!$", RegexOptions.None, TimeSpan.FromMilliseconds(100)).ToString();`, "True"},
	} {
		t.Run(tc.name, func(t *testing.T) { csWant(t, "@{ "+tc.stmts+" }", tc.want, nil) })
	}
	// uncaught, it is the expression's failure with .NET's message, and the input is not in it
	_, err, _ := csRun(t, `@(Regex.IsMatch(new string('a', 64) + "se" + "cret!", @"^(a+)+$"))`, nil)
	if err == nil || !strings.Contains(err.Error(), "The Regex engine has timed out") || strings.Contains(err.Error(), "secret") {
		t.Errorf("uncaught timeout: %v", err)
	}
}

// TestCSharpRegexLoadErrors: a pattern written as a literal that .NET's
// parser refuses is a load error at the literal, not a failure at run time.
func TestCSharpRegexLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`@(Regex.IsMatch("a", "(a"))`, "RegexParseException: Invalid pattern '(a' at offset 2. Not enough )'s."},
		{`@(new Regex("a)").ToString())`, "Too many )'s."},
		{`@(Regex.Replace("a", @"(a)\2", "b"))`, "Reference to undefined group number 2."},
		{`@(Regex.Replace("a", "[a", m => "b"))`, "Invalid pattern '[a' at offset 2. Unterminated [] set."},
		{`@(Regex.IsMatch("a", @"é\"))`, "Invalid pattern 'é\\' at offset 2. Illegal \\ at end of pattern."},
		{`@(Regex.Match("a", "a", RegexOptions.ECMAScript | RegexOptions.Singleline).Value)`, "Parameter 'options'"},
		// what regexp2 reads beyond .NET's syntax is refused, as .NET refuses it
		{`@(Regex.IsMatch("aa", "a++"))`, "Nested quantifier '+'."},
		{`@(Regex.IsMatch("a", @"\Qa\E"))`, "Unrecognized escape sequence \\Q."},
		{`@(Regex.IsMatch("a", @"\p{Greek}"))`, "Unknown property 'Greek'."},
		{`@(Regex.Replace("a", "a", "b", 1, TimeSpan.Zero, m => "c"))`, "no overload for method 'Replace' takes 6 arguments"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), "load errors") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a load error with %q", tc.src, err, tc.want)
		}
	}
	// with options that are not constants, or IgnorePatternWhitespace, what parses is checked at run time
	csWant(t, `@(Regex.IsMatch("a", "a # (", RegexOptions.IgnorePatternWhitespace))`, "true", nil)
}

// TestCSharpRegexCompileBounds: a pattern the expression builds (as one
// taken from the request) past tollgate's compile bounds throws
// OutOfMemoryException, which a catch sees and which, uncaught, fails the
// expression without quoting the pattern; a literal (the configuration's)
// is not bounded; ECMAScript | IgnoreCase \W, \D and . (written
// (?-i:...) for regexp2) match as before.
func TestCSharpRegexCompileBounds(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"long pattern", `try { return Regex.IsMatch("a", new string('a', 9000)).ToString(); } catch (OutOfMemoryException e) { return e.Message; }`,
			"the regular expression's pattern has 9000 characters, past tollgate's bound of 8192"},
		{"long pattern, new Regex", `try { return new Regex(new string('(', 5000) + new string(')', 5000)).ToString(); } catch (OutOfMemoryException) { return "bound"; }`, "bound"},
		{"wide classes folded", `var p = string.Concat(Enumerable.Repeat(@"[\u0000-\uFFFF]", 40)); try { return Regex.IsMatch("a", p, RegexOptions.IgnoreCase).ToString(); } catch (OutOfMemoryException e) { return e.Message; }`,
			"the regular expression's character classes span 2621440 characters for IgnoreCase to fold, past tollgate's bound of 2097152"},
		{"wide classes not folded", `var p = string.Concat(Enumerable.Repeat(@"[\u0000-\uFFFF]", 40)); return Regex.IsMatch(new string('a', 40), p).ToString();`, "True"},
		{"ECMAScript IgnoreCase \\W \\D .", `var o = RegexOptions.ECMAScript | RegexOptions.IgnoreCase; return string.Join(",", Regex.IsMatch("é", @"^\W$", o), Regex.IsMatch("K", @"^\W$", o), Regex.IsMatch("x", @"^\D$", o), Regex.IsMatch("7", @"^\D$", o), Regex.IsMatch("\n", "^.$", o), Regex.Replace("a.b", @"\.", "!", o));`, "True,False,True,False,False,a!b"},
	} {
		t.Run(tc.name, func(t *testing.T) { csWant(t, "@{ "+tc.stmts+" }", tc.want, nil) })
	}
	_, err, _ := csRun(t, `@(Regex.IsMatch("a", "se" + "cret" + new string('x', 9000)))`, nil)
	if err == nil || !strings.Contains(err.Error(), "past tollgate's bound of 8192") || strings.Contains(err.Error(), "secret") {
		t.Errorf("uncaught: %v", err)
	}
	// A literal is the configuration's, compiled without the bounds (as a
	// schema's pattern is): a long one, and an alternation of 200 country
	// codes (19,900 branch pairs), load and match; the same alternation
	// built by the expression is past MaxRegexBranchPairs.
	csWant(t, `@(Regex.IsMatch("`+strings.Repeat("a", 8193)+`", "^`+strings.Repeat("a", 8193)+`$").ToString())`, "True", nil)
	var codes []string
	for i := 0; i < 200; i++ {
		codes = append(codes, string(rune('A'+i/26))+string(rune('A'+i%26)))
	}
	alt := "^(?:" + strings.Join(codes, "|") + ")$"
	csWant(t, `@(string.Join(",", Regex.IsMatch("HR", "`+alt+`"), Regex.IsMatch("ZZ", "`+alt+`"), new Regex("`+alt+`", RegexOptions.IgnoreCase).IsMatch("hr")))`, "True,False,True", nil)
	csWant(t, `@{ try { return Regex.IsMatch("HR", "^(?:" + "`+strings.Join(codes[1:], "|")+`" + "|AA)$").ToString(); } catch (OutOfMemoryException) { return "bound"; } }`, "bound", nil)
}
