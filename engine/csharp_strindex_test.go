package engine

import (
	"strings"
	"testing"
)

// TestCSharpStringIndexFrom: String.IndexOf and LastIndexOf with a start
// index and a count, IndexOfAny and LastIndexOfAny (System.String is "All"
// in APIM's table). The third corpus survey found an AI gateway policy
// cutting a deployment name out of the path with
// Path.IndexOf("/", Path.IndexOf("deployments/") + 12); the expected
// values are .NET's (indexes in UTF-16 units).
func TestCSharpStringIndexFrom(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`"a:b:c".IndexOf(":", 2)`, "3"},
		{`"a:b".IndexOf(":", 2)`, "-1"},
		{`"a:b".IndexOf(":", 3)`, "-1"}, // the length itself is a valid start
		{`"a:b".IndexOf("", 3)`, "3"},
		{`"a:b:c".IndexOf(':', 2)`, "3"},
		{`"a:b:c".IndexOf(":", 2, 1)`, "-1"}, // s[2..3) holds no ':'
		{`"a:b:c".IndexOf(":", 2, 2)`, "3"},
		{`"a:B:c".IndexOf("b", 1, StringComparison.OrdinalIgnoreCase)`, "2"},
		{`"a:B:c".IndexOf("b", 1, StringComparison.Ordinal)`, "-1"},
		{`"a:B:c:b".IndexOf("b", 1, 3, StringComparison.OrdinalIgnoreCase)`, "2"},
		{`"a:b:c".LastIndexOf(":", 2)`, "1"},
		{`"a:b:c".LastIndexOf(":", 4)`, "3"},
		{`"a:b:c".LastIndexOf(":", 5)`, "3"}, // the length: searched from the last unit
		{`"a:b:c".LastIndexOf(':', 2)`, "1"},
		{`"a:b:c".LastIndexOf(":", 4, 1)`, "-1"},
		{`"a:b:c".LastIndexOf(":", 4, 2)`, "3"},
		{`"abab".LastIndexOf("ab", 2)`, "0"}, // a match must end at or before the start
		{`"abab".LastIndexOf("ab", 3)`, "2"},
		{`"Hello".LastIndexOf("L", StringComparison.OrdinalIgnoreCase)`, "3"},
		{`"".LastIndexOf("", 0)`, "0"},
		{`"".LastIndexOf("a", -1)`, "-1"},
		{`"a,b;c".IndexOfAny(new[] { ',', ';' })`, "1"},
		{`"a,b;c".IndexOfAny(new char[] { ';' }, 2)`, "3"},
		{`"a,b;c".IndexOfAny(new[] { ',', ';' }, 2, 1)`, "-1"},
		{`"a,b;c".LastIndexOfAny(new[] { ',', ';' })`, "3"},
		{`"a,b;c".LastIndexOfAny(new[] { ',', ';' }, 2)`, "1"},
		{`"".LastIndexOfAny(new[] { ',' })`, "-1"},
		{`"😀:x".IndexOf(":", 1)`, "2"}, // the emoji is two UTF-16 units
		{`"/openai/deployments/gpt4/chat".Substring(20, "/openai/deployments/gpt4/chat".IndexOf("/", "/openai/deployments/gpt4/chat".IndexOf("deployments/") + 12) - 20)`, "gpt4"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for src, want := range map[string]string{
		`@("ab".IndexOf("b", 3))`:                  "Index was out of range. Must be non-negative and less than or equal to the size of the collection. (Parameter 'startIndex')",
		`@("ab".IndexOf("b", -1))`:                 "(Parameter 'startIndex')",
		`@("ab".IndexOf("b", 1, 2))`:               "Count must be positive and count must refer to a location within the string/array/collection. (Parameter 'count')",
		`@("ab".LastIndexOf("b", 1, 3))`:           "(Parameter 'count')",
		`@("ab".IndexOf((string)null, 0))`:         "Value cannot be null. (Parameter 'value')",
		`@("ab".LastIndexOfAny(new[] { 'a' }, 2))`: "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'startIndex')",
		`@("ab".IndexOfAny(new[] { 'a' }, 0, 3))`:  "(Parameter 'count')",
	} {
		if _, err, _ := csRun(t, src, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

// TestCSharpStringBuilderAppendValues: sb.Append of a number, a bool, a
// char or null as a statement appends the value's text, as
// StringBuilder.Append's overloads do (the decimal work found
// sb.Append(2) refused at load).
func TestCSharpStringBuilderAppendValues(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var sb = new StringBuilder(); sb.Append(2); sb.Append(1.50m); sb.Append(true); sb.Append('c'); sb.Append((string)null); sb.Append(2.5); sb.Append(7L); return sb.ToString();`, "21.50Truec2.57"},
		{`var sb = new StringBuilder(); sb.Append("n=").Append(3).AppendLine(); for (var i = 0; i < 3; i++) { sb.Append(i); } return sb.ToString();`, "n=3\n012"},
		{`var sb = new System.Text.StringBuilder(); sb.Append(context.Request.Headers.Count > 0); return sb.ToString();`, "True"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
}
