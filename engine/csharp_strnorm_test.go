package engine

import (
	"strings"
	"testing"
)

// TestCSharpStringNormalize: string.Normalize and IsNormalized, with the
// String.Normalize example of Microsoft's page (its output is the want),
// and type names written in full.
func TestCSharpStringNormalize(t *testing.T) {
	const s1 = `var s1 = new string(new[] { '\u0063', '\u0301', '\u0327', '\u00BE' }); `
	const show = `string Show(string s) => string.Join(" ", s.Select(c => ((int)c).ToString("X4"))); `
	for _, tc := range []struct{ src, want string }{
		{s1 + show + `return Show(s1) + "|" + s1.IsNormalized() + s1.IsNormalized(NormalizationForm.FormC) + s1.IsNormalized(NormalizationForm.FormD) + s1.IsNormalized(NormalizationForm.FormKC) + s1.IsNormalized(NormalizationForm.FormKD);`,
			"0063 0301 0327 00BE|FalseFalseFalseFalseFalse"},
		{s1 + show + `var s2 = s1.Normalize(); var s3 = s1.Normalize(NormalizationForm.FormD); var s4 = s1.Normalize(NormalizationForm.FormKC); var s5 = s1.Normalize(NormalizationForm.FormKD);
		  return Show(s2) + "|" + Show(s3) + "|" + Show(s4) + "|" + Show(s5) + "|" + s2.IsNormalized() + s2.IsNormalized(NormalizationForm.FormC) + s3.IsNormalized(NormalizationForm.FormD) + s4.IsNormalized(NormalizationForm.FormKC) + s5.IsNormalized(NormalizationForm.FormKD);`,
			"1E09 00BE|0063 0327 0301 00BE|1E09 0033 2044 0034|0063 0327 0301 0033 2044 0034|TrueTrueTrueTrueTrue"},
		{`return "e\u0301".Normalize() == "\u00E9" ? "composed" : "not";`, "composed"},
		{`return "abc".Normalize(System.Text.NormalizationForm.FormKD) + " " + NormalizationForm.FormKC + " " + (int)NormalizationForm.FormD;`, "abc FormKC 2"},
		{`var sb = new System.Text.StringBuilder("a"); sb.Append("b"); return sb.ToString() + System.Text.Encoding.UTF8.GetBytes("é").Length;`, "ab2"},
		{`var l = new System.Collections.Generic.List<string> { "x" }; var d = new System.Collections.Generic.Dictionary<string, int> { ["k"] = 1 }; return l[0] + d["k"];`, "x1"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ return "a".Normalize((NormalizationForm)3); }`, "Invalid normalization form. (Parameter 'normalizationForm')"},
		{`@{ string s = null; return s.Normalize(); }`, "Object reference not set to an instance of an object."},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
