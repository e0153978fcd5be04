package engine

import (
	"context"
	"testing"
)

// TestCSharpDatesAsText: a C# DateTime or DateTimeOffset given where a
// policy wants text (a header's value) reads as its ToString(), as it does
// in string concatenation; an expr-language time keeps Go's text.
func TestCSharpDatesAsText(t *testing.T) {
	reg := Registry{"x": {Sections: Inbound, Parse: func(p *Parser) Step {
		v := p.Str("v", "")
		return StepFunc(func(ctx context.Context, st *State) error {
			r, err := v.Eval(st)
			st.Variables()["out"] = r
			return err
		})
	}}}
	for _, tc := range []struct{ src, want string }{
		{`@(new DateTime(2020, 1, 2, 3, 4, 5))`, "1/2/2020 3:04:05 AM"},
		{`@(new DateTime(2020, 1, 2, 13, 4, 5, DateTimeKind.Utc))`, "1/2/2020 1:04:05 PM"},
		{`@(new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)))`, "1/2/2020 3:04:05 AM +02:00"},
		{`@((object)new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.FromHours(-2)))`, "1/2/2020 3:04:05 AM -02:00"},
		{`@{ return context.Request.Method == "x" ? null : (object)new DateTime(2020, 1, 2, 3, 4, 5); }`, "1/2/2020 3:04:05 AM"},
	} {
		c := NewCompiler(reg, nil)
		root, err := Read("cs.xml", []byte(`<policies><inbound><x v="`+tc.src+`"/></inbound></policies>`))
		if err != nil {
			t.Fatal(err)
		}
		plan := c.Compile(root, "api", nil)
		if errs := c.Errors(); len(errs) > 0 {
			t.Fatalf("%s: %v", tc.src, errs)
		}
		s := csState()
		if plan.Run(context.Background(), Inbound, s) {
			t.Errorf("%s: %+v", tc.src, s.LastError())
		} else if got := s.Variables()["out"]; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.src, got, tc.want)
		}
		s.Release()
	}
}
