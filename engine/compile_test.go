package engine

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// fakeRegistry is a registry of two made-up policies, so the compiler is
// tested without package policies: <note text="..."/> appends its text to
// the variable "log", anywhere; <gate max="n"> (inbound only) runs its
// <then> block when len(log) <= max.
func fakeRegistry() Registry {
	note := func(p *Parser) Step {
		text := p.RequiredStr("text")
		return StepFunc(func(_ context.Context, s *State) error {
			t, err := text.Eval(s)
			if err != nil {
				return err
			}
			prev, _ := s.Variables()["log"].(string)
			s.Variables()["log"] = prev + t + ";"
			return nil
		})
	}
	gate := func(p *Parser) Step {
		max := p.RequiredLitInt("max", 0, 100)
		var then Block
		for _, n := range p.Children() {
			if n.Name == "then" {
				then = p.Child(n).Block(n.Children)
			}
		}
		return StepFunc(func(ctx context.Context, s *State) error {
			log, _ := s.Variables()["log"].(string)
			if int64(len(log)) <= max {
				return then.Run(ctx, s)
			}
			return nil
		})
	}
	return Registry{
		"note": {Sections: AllSections, Parse: note},
		"gate": {Sections: Inbound, Parse: gate},
	}
}

func compileFake(t *testing.T, src string, parent *Plan, nv *NamedValues) (*Plan, ErrorList) {
	t.Helper()
	root, err := Read("policy.xml", []byte(src))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	c := NewCompiler(fakeRegistry(), nv)
	plan := c.Compile(root, "api", parent)
	return plan, c.Errors()
}

// A global document and an API document over it compile against the fake
// registry and run in order: <base/> splices the global section in place,
// a section the API leaves out is the global one, nested blocks run, named
// values and expressions are evaluated.
func TestCompileFakeRegistry(t *testing.T) {
	nv := NewNamedValues(NamedValue{Name: "who", Value: "named"})
	global, errs := compileFake(t, `<policies>
  <inbound><note text="global-in"/></inbound>
  <outbound><note text="global-out"/></outbound>
</policies>`, nil, nv)
	if len(errs) > 0 {
		t.Fatalf("global: %v", errs)
	}
	api, errs := compileFake(t, `<policies>
  <inbound>
    <note text="first"/>
    <base/>
    <gate max="100"><then><note text="{{who}}"/></then></gate>
    <gate max="1"><then><note text="never"/></then></gate>
    <note text="@(&quot;expr-&quot; + context.Request.Method)"/>
  </inbound>
</policies>`, global, nv)
	if len(errs) > 0 {
		t.Fatalf("api: %v", errs)
	}
	s := AcquireState(&Api{Name: "a"})
	defer s.Release()
	u, _ := url.Parse("http://gw/a")
	s.SetRequest("GET", "http", "gw", u, nil, "10.0.0.1")
	for _, sec := range []Section{Inbound, Outbound} {
		if api.Run(context.Background(), sec, s) {
			t.Fatalf("%s stopped: %+v", sec, s.LastError())
		}
	}
	want := "first;global-in;named;expr-GET;global-out;"
	if got := s.Variables()["log"]; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

// Every problem of a document is reported at once, each at its
// file:line:col with its element path.
func TestCompileFakeRegistryErrors(t *testing.T) {
	for _, tc := range []struct {
		name, inbound, outbound string
		want                    []string
	}{
		{"unknown policy", `<nte text="x"/>`, ``,
			[]string{`policy.xml:1:20: inbound/nte[1]: unknown policy <nte> (did you mean <note>?)`}},
		{"wrong section", ``, `<gate max="1"/>`,
			[]string{`policy.xml:1:40: outbound/gate[1]: <gate> is not allowed in outbound (allowed in: inbound)`}},
		{"missing attribute", `<note/>`, ``,
			[]string{`policy.xml:1:20: inbound/note[1]: <note> needs the attribute "text"`}},
		{"unknown attribute", `<note text="x" txt="y"/>`, ``,
			[]string{`policy.xml:1:35: inbound/note[1]: <note> has no attribute "txt" (did you mean "text"?)`}},
		{"out of range, unknown child", `<gate max="101"><else/></gate>`, ``,
			[]string{
				`policy.xml:1:31: inbound/gate[1]: attribute "max" must be between 0 and 100, not 101`,
				`policy.xml:1:36: inbound/gate[1]: unexpected element <else> inside <gate>`,
			}},
		{"expression of the wrong type", `<note text="@(1 + 2)"/>`, ``,
			[]string{`policy.xml:1:32: inbound/note[1]: expression yields int, but this value must be a string`}},
		{"unknown named value", `<note text="{{nope}}"/>`, ``,
			[]string{`policy.xml:1:32: inbound/note[1]: unknown named value {{nope}}`}},
		{"errors inside nested blocks", `<gate max="1"><then><nte/><note/></then></gate>`, ``,
			[]string{
				`inbound/gate[1]/then[1]/nte[1]: unknown policy <nte>`,
				`inbound/gate[1]/then[1]/note[1]: <note> needs the attribute "text"`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := `<policies><inbound>` + tc.inbound + `</inbound><outbound>` + tc.outbound + `</outbound></policies>`
			_, errs := compileFake(t, src, nil, NewNamedValues())
			if len(errs) != len(tc.want) {
				t.Fatalf("%d errors, want %d: %v", len(errs), len(tc.want), errs)
			}
			for i, w := range tc.want {
				if got := errs[i].Error(); !strings.Contains(got, w) {
					t.Errorf("error %d = %q, want it to contain %q", i, got, w)
				}
			}
		})
	}
}

// ForwardsNothing: a backend section written empty (comments aside), or
// only a <base/> over a parent scope's empty one, forwards nothing, as in
// APIM; a left-out section inherits the parent's verdict, and a section
// with a policy in it, or a <base/> with no parent, forwards.
func TestForwardsNothing(t *testing.T) {
	empty, errs := compileFake(t, `<policies><backend/></policies>`, nil, nil)
	full, errs2 := compileFake(t, `<policies><backend><note text="x"/></backend></policies>`, nil, nil)
	if len(errs)+len(errs2) > 0 {
		t.Fatal(errs, errs2)
	}
	tests := []struct {
		name   string
		src    string
		parent *Plan
		want   bool
	}{
		{"no backend section", `<policies><inbound/></policies>`, nil, false},
		{"empty element", `<policies><backend/></policies>`, nil, true},
		{"empty with a comment", `<policies><backend>
  <!-- nothing -->
</backend></policies>`, nil, true},
		{"a policy in it", `<policies><backend><note text="x"/></backend></policies>`, nil, false},
		{"base with no parent", `<policies><backend><base/></backend></policies>`, nil, false},
		{"base over an empty parent", `<policies><backend><base/></backend></policies>`, empty, true},
		{"base over a full parent", `<policies><backend><base/></backend></policies>`, full, false},
		{"base and a policy over an empty parent", `<policies><backend><base/><note text="x"/></backend></policies>`, empty, false},
		{"left out under an empty parent", `<policies><inbound/></policies>`, empty, true},
		{"empty under a full parent", `<policies><backend/></policies>`, full, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, errs := compileFake(t, tc.src, tc.parent, nil)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if p.ForwardsNothing != tc.want {
				t.Errorf("ForwardsNothing = %v, want %v", p.ForwardsNothing, tc.want)
			}
		})
	}
}
