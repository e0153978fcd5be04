package engine

import (
	"context"
	"strings"
	"testing"
)

// inlineStep is a test step that declares whether it never blocks.
type inlineStep struct{ never bool }

func (inlineStep) Run(context.Context, *State) error { return nil }
func (s inlineStep) NeverBlocks() bool               { return s.never }

// blockRegistry has <cpu/> (declares it never blocks), <io/> (declares it
// may), <custom/> (a StepFunc: says nothing), <box> (never blocks itself,
// runs its children: a nested Branch) and <sendbox> (like box, but makes
// the <io-later/> steps inside it block once it is parsed, as retry does
// with forward-request).
func blockRegistry() Registry {
	leaf := func(never bool) func(p *Parser) Step {
		return func(*Parser) Step { return inlineStep{never: never} }
	}
	box := func(p *Parser) Step {
		p.Block(p.Children())
		return inlineStep{never: true}
	}
	sendbox := func(p *Parser) Step {
		b := p.Block(p.Children())
		for _, c := range b {
			if l, ok := c.Step.(*lateStep); ok {
				l.blocks = true
			}
		}
		return inlineStep{never: true}
	}
	return Registry{
		"cpu":      {Sections: AllSections, Parse: leaf(true)},
		"io":       {Sections: AllSections, Parse: leaf(false)},
		"custom":   {Sections: AllSections, Parse: func(*Parser) Step { return StepFunc(func(context.Context, *State) error { return nil }) }},
		"box":      {Sections: AllSections, Parse: box},
		"sendbox":  {Sections: AllSections, Parse: sendbox},
		"io-later": {Sections: AllSections, Parse: func(*Parser) Step { return &lateStep{} }},
	}
}

// lateStep blocks when the step holding it says so after parsing it.
type lateStep struct{ blocks bool }

func (*lateStep) Run(context.Context, *State) error { return nil }
func (l *lateStep) NeverBlocks() bool               { return !l.blocks }

func compileBlock(t *testing.T, src string, parent *Plan) *Plan {
	t.Helper()
	root, err := Read("policy.xml", []byte(src))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	c := NewCompiler(blockRegistry(), nil)
	c.Fragments = map[string]*Node{}
	frag, err := Read("fragments/f.xml", []byte(`<fragment><io/></fragment>`))
	if err != nil {
		t.Fatal(err)
	}
	c.Fragments["blocking"] = frag
	frag, err = Read("fragments/g.xml", []byte(`<fragment><cpu/></fragment>`))
	if err != nil {
		t.Fatal(err)
	}
	c.Fragments["inline"] = frag
	plan := c.Compile(root, "api", parent)
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	return plan
}

// Plan.MayBlock: a step must opt in; nesting, fragments, <base/> and every
// section (on-error too) count.
func TestPlanMayBlock(t *testing.T) {
	global := compileBlock(t, `<policies><inbound><io/></inbound></policies>`, nil)
	for _, tc := range []struct {
		name   string
		src    string
		parent *Plan
		want   Section // the sections that may block
	}{
		{"empty", `<policies/>`, nil, 0},
		{"opted in", `<policies><inbound><cpu/><cpu/></inbound><outbound><cpu/></outbound></policies>`, nil, 0},
		{"may block", `<policies><inbound><cpu/><io/></inbound></policies>`, nil, Inbound},
		{"says nothing", `<policies><backend><custom/></backend></policies>`, nil, Backend},
		{"on-error", `<policies><inbound><cpu/></inbound><on-error><io/></on-error></policies>`, nil, OnError},
		{"nested", `<policies><outbound><box><cpu/><box><io/></box></box></outbound></policies>`, nil, Outbound},
		{"nested inline", `<policies><outbound><box><cpu/><box><cpu/></box></box></outbound></policies>`, nil, 0},
		{"changed by its holder", `<policies><inbound><sendbox><io-later/></sendbox></inbound></policies>`, nil, Inbound},
		{"not changed outside", `<policies><inbound><io-later/></inbound></policies>`, nil, 0},
		{"fragment", `<policies><inbound><include-fragment fragment-id="blocking"/></inbound></policies>`, nil, Inbound},
		{"inline fragment", `<policies><inbound><include-fragment fragment-id="inline"/></inbound></policies>`, nil, 0},
		{"base", `<policies><inbound><cpu/><base/></inbound></policies>`, global, Inbound},
		{"inherited section", `<policies><outbound><cpu/></outbound></policies>`, global, Inbound},
		{"base left out", `<policies><inbound><cpu/></inbound></policies>`, global, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compileBlock(t, tc.src, tc.parent)
			for _, sn := range sectionNames {
				if got := plan.MayBlock(sn.s); got != (tc.want&sn.s != 0) {
					t.Errorf("MayBlock(%s) = %v, want %v", sn.name, got, !got)
				}
			}
			if got := plan.MayBlock(AllSections); got != (tc.want != 0) {
				t.Errorf("MayBlock(AllSections) = %v, want %v", got, !got)
			}
			if got := plan.BlockingSteps(AllSections); (len(got) > 0) != (tc.want != 0) {
				t.Errorf("BlockingSteps = %d steps, want some: %v", len(got), tc.want != 0)
			}
			// A plan built by hand from the same blocks answers the same.
			hand := &Plan{Inbound: plan.Inbound, Backend: plan.Backend, Outbound: plan.Outbound, OnError: plan.OnError}
			if got := hand.MayBlock(AllSections); got != (tc.want != 0) {
				t.Errorf("hand-built MayBlock(AllSections) = %v, want %v", got, !got)
			}
		})
	}
}

// A plan built by hand with a step that says nothing may block; an empty
// one never does.
func TestHandBuiltPlanMayBlock(t *testing.T) {
	if (&Plan{}).MayBlock(AllSections) {
		t.Error("an empty plan may block")
	}
	p := &Plan{OnError: Block{{Step: StepFunc(func(context.Context, *State) error { return nil })}}}
	if !p.MayBlock(OnError) || p.MayBlock(Inbound) {
		t.Errorf("MayBlock(on-error), MayBlock(inbound) = %v, %v; want true, false", p.MayBlock(OnError), p.MayBlock(Inbound))
	}
}

// BlockingSteps names the innermost steps that block, in document order,
// and not the inline steps that hold them.
func TestBlockingSteps(t *testing.T) {
	plan := compileBlock(t, `<policies>
  <inbound><cpu/><box><cpu/><io/><box><custom/></box></box><io/></inbound>
  <outbound><cpu/></outbound>
  <on-error><io/></on-error>
</policies>`, nil)
	var got []string
	for _, c := range plan.BlockingSteps(AllSections) {
		got = append(got, c.Path)
	}
	want := []string{"inbound/box[1]/io[1]", "inbound/box[1]/box[1]/custom[1]", "inbound/io[1]", "on-error/io[1]"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("BlockingSteps = %q, want %q", got, want)
	}
	if got := plan.BlockingSteps(Outbound); len(got) != 0 {
		t.Errorf("BlockingSteps(outbound) = %v, want none", got)
	}
}
