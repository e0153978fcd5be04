package engine

import (
	"testing"
	"time"
)

// TestCSharpNullableToString: ToString() of a T? is Nullable<T>.ToString,
// the value's text or "" when it is null, where a method of the value on a
// null T? is a NullReferenceException. A subscription that never ends has
// a null EndDate: EndDate.ToString() is "" in APIM, not a 500.
func TestCSharpNullableToString(t *testing.T) {
	noEnd := func(s *State) {
		start := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
		s.ctx.Subscription = &Subscription{Id: "sub-1", Name: "forever", Key: "k3y", CreatedDate: start, StartDate: &start}
	}
	for _, tc := range []struct{ src, want string }{
		{`int? x = null; return "[" + x.ToString() + "]";`, "[]"},
		{`int? x = 5; return "[" + x.ToString() + "]";`, "[5]"},
		{`bool? b = null; return b.ToString() + "|" + ((bool?)true).ToString();`, "|True"},
		{`DateTime? d = null; return "[" + d.ToString() + "]";`, "[]"},
		{`decimal? m = 1.50m; return m.ToString();`, "1.50"},
		{`return "[" + context.Subscription.EndDate.ToString() + "]";`, "[]"},
		{`return context.Subscription.StartDate.ToString();`, "3/2/2024 12:00:00 AM"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, noEnd) })
	}
	// a method of the value itself on a null T? is still a NullReferenceException
	if _, err, _ := csRun(t, `@{ DateTime? d = null; return d.Value.ToString(); }`, nil); err == nil {
		t.Error("d.Value of a null DateTime?: no error")
	}
}

// TestCSharpNullableBoolLogic: bool?'s & and | are three-valued (C#'s
// lifted logical operators): null & false is false and null | true is
// true, whichever side the null is on; the rest with a null is null. ^ is
// null with any null. b |= true on a null b is true.
func TestCSharpNullableBoolLogic(t *testing.T) {
	show := `string S(bool? v) { return v.HasValue ? v.Value.ToString() : "null"; } `
	for _, tc := range []struct{ src, want string }{
		{show + `bool? n = null; bool? t = true; bool? f = false; return S(n & f) + S(f & n) + S(n & t) + S(t & n) + S(n & n);`, "FalseFalsenullnullnull"},
		{show + `bool? n = null; bool? t = true; bool? f = false; return S(n | t) + S(t | n) + S(n | f) + S(f | n) + S(n | n);`, "TrueTruenullnullnull"},
		{show + `bool? n = null; return S(n ^ true) + S(true ^ (bool?)false);`, "nullTrue"},
		{show + `bool? b = null; b |= true; bool? c = null; c &= false; bool? d = null; d &= true; return S(b) + S(c) + S(d);`, "TrueFalsenull"},
		{show + `bool x = true; bool? n = null; var r = x & n; return S(r) + S(x | n);`, "nullTrue"},
		// without a local function (which makes the block interpreted): the lowered path too
		{`bool? n = null; bool? t = true; bool? f = false; return ((n | t) == true) + " " + ((n & f) == false) + " " + ((n & t) == null) + " " + ((n | f) == null);`, "True True True True"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
}
