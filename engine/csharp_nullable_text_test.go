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
