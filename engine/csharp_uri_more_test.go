package engine

import (
	"strings"
	"testing"
)

// Uri.TryCreate, Uri.IsWellFormedUriString (the poorly formed examples are
// .NET's documentation's), uri.IsAbsoluteUri and uri.Segments, which APIM's
// table of allowed types lists.
func TestCSharpUriMore(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`Uri.TryCreate("https://api.contoso.com/a/b?x=1", UriKind.Absolute, out Uri u) ? u.Host + " " + u.Query + " " + u.IsAbsoluteUri : "no"`, "api.contoso.com ?x=1 True"},
		{`Uri.TryCreate("/a/b", UriKind.Absolute, out Uri u) + " " + (u == null)`, "False True"},
		{`Uri.TryCreate("/a/b?x=1", UriKind.Relative, out var u) + " " + u.IsAbsoluteUri + " " + u.ToString()`, "True False /a/b?x=1"},
		{`Uri.TryCreate("http://h/", UriKind.Relative, out var u)`, "false"},
		{`Uri.TryCreate("http://h/p", UriKind.RelativeOrAbsolute, out var a) + " " + a.IsAbsoluteUri + " " + Uri.TryCreate("p/q", UriKind.RelativeOrAbsolute, out var r) + " " + r.IsAbsoluteUri`, "True True True False"},
		{`Uri.TryCreate(null, UriKind.RelativeOrAbsolute, out var u) + " " + (u == null)`, "False True"},
		{`Uri.TryCreate("http://h%zz", UriKind.Absolute, out var u)`, "false"},
		{`Uri.IsWellFormedUriString("https://www.contoso.com/path?x=1#top", UriKind.Absolute)`, "true"},
		{`Uri.IsWellFormedUriString("http://www.contoso.com/path???/file name", UriKind.Absolute)`, "false"},
		{`Uri.IsWellFormedUriString("c:\\directory\\filename", UriKind.Absolute)`, "false"},
		{`Uri.IsWellFormedUriString("file://c:/directory/filename", UriKind.Absolute)`, "false"},
		{`Uri.IsWellFormedUriString("http:\\\\host/path/file", UriKind.Absolute)`, "false"},
		{`Uri.IsWellFormedUriString("www.contoso.com/path/file", UriKind.Absolute)`, "false"},
		{`Uri.IsWellFormedUriString("www.contoso.com/path/file", UriKind.RelativeOrAbsolute)`, "true"},
		{`Uri.IsWellFormedUriString("/a%2Fb", UriKind.Relative) + " " + Uri.IsWellFormedUriString("/a%2", UriKind.Relative) + " " + Uri.IsWellFormedUriString("http://h/", UriKind.Relative)`, "True False False"},
		{`Uri.IsWellFormedUriString(null, UriKind.Absolute) + " " + Uri.IsWellFormedUriString("", UriKind.Relative) + " " + Uri.IsWellFormedUriString("mailto:a@b.c", UriKind.Absolute)`, "False True True"},
		{`Uri.IsWellFormedUriString("http://h/a#b#c", UriKind.Absolute) + " " + Uri.IsWellFormedUriString("http:/h", UriKind.Absolute)`, "False False"},
		{`string.Join("|", new Uri("http://www.contoso.com/Chapters/Chapter1/Sample.html?x=1").Segments)`, "/|Chapters/|Chapter1/|Sample.html"},
		{`string.Join("|", new Uri("http://h").Segments) + " " + new Uri("http://h/a/").Segments.Length`, "/ 2"},
		{`UriKind.Relative + " " + (int)UriKind.Absolute + " " + Enum.Parse(typeof(UriKind), "relativeorabsolute", true)`, "Relative 1 RelativeOrAbsolute"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	// a relative Uri has no absolute parts: .NET throws
	for _, src := range []string{
		`@{ Uri.TryCreate("a/b", UriKind.Relative, out Uri u); return u.Host; }`,
		`@{ Uri.TryCreate("a/b", UriKind.Relative, out Uri u); return u.Segments.Length.ToString(); }`,
		`@{ Uri.TryCreate("a/b", UriKind.Relative, out Uri u); return u.GetLeftPart(UriPartial.Path); }`,
		`@{ Uri.TryCreate("a/b", UriKind.Relative, out Uri u); return u.Port.ToString(); }`,
	} {
		if _, err, _ := csRun(t, src, nil); err == nil || !strings.Contains(err.Error(), "This operation is not supported for a relative URI.") {
			t.Errorf("%s: %v", src, err)
		}
	}
	if _, err, _ := csRun(t, `@(Uri.TryCreate("a", (UriKind)7, out var u).ToString())`, nil); err == nil || !strings.Contains(err.Error(), "The value '7' passed for the UriKind parameter is invalid.") {
		t.Errorf("invalid UriKind: %v", err)
	}
	for _, tc := range []struct{ src, want string }{
		{`@(Uri.TryCreate("a", UriKind.Absolute, out string s).ToString())`, "cannot convert"},
		{`@(Uri.TryCreate("a", UriKind.Absolute).ToString())`, "no overload for method 'TryCreate' takes 2 arguments"},
		{`@(Uri.TryCreate(1, UriKind.Absolute, out var u).ToString())`, "cannot convert from 'int' to 'string'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
