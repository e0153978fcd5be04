package engine

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// fuzzRegistry is a tiny registry that exercises every Parser method, so
// the engine can be fuzzed without the policies package (which imports it).
func fuzzRegistry() Registry {
	parse := func(p *Parser) Step {
		s := p.Str("s", "")
		b := p.Bool("b", false)
		n := p.Int("n", 0, 0, 100)
		v := p.Value("v")
		p.LitStr("mode", "a", "a", "b")
		p.LitInt("k", 1, 1, 10)
		p.LitBool("flag", false)
		var vals []Str
		var body Block
		for _, c := range p.Children() {
			switch c.Name {
			case "value":
				vals = append(vals, p.Child(c).TextStr())
			case "body":
				body = p.Child(c).Block(c.Children)
			}
		}
		var text Value
		if p.HasText() {
			text = p.TextValue()
		}
		return StepFunc(func(ctx context.Context, st *State) error {
			if _, err := s.Eval(st); err != nil {
				return err
			}
			if _, err := b.Eval(st); err != nil {
				return err
			}
			if _, err := n.Eval(st); err != nil {
				return err
			}
			if _, err := v.Eval(st); err != nil {
				return err
			}
			if _, err := text.Eval(st); err != nil {
				return err
			}
			for _, x := range vals {
				if _, err := x.Eval(st); err != nil {
					return err
				}
			}
			return body.Run(ctx, st)
		})
	}
	return Registry{
		"p":  {Sections: AllSections, Parse: parse},
		"in": {Sections: Inbound, Parse: parse},
	}
}

// checkErr fails unless err is a located engine error (or a list of them).
func checkErr(t *testing.T, err error) {
	t.Helper()
	var el ErrorList
	var e *Error
	switch {
	case errors.As(err, &el):
		if len(el) == 0 {
			t.Fatalf("empty ErrorList returned as an error")
		}
		for _, e := range el {
			checkPos(t, e)
		}
	case errors.As(err, &e):
		checkPos(t, e)
	default:
		t.Fatalf("error is %T, not an engine.Error: %v", err, err)
	}
}

func checkPos(t *testing.T, e *Error) {
	t.Helper()
	if e.Pos.File == "" || e.Pos.Line < 1 || e.Pos.Col < 1 {
		t.Fatalf("error without a full position: %q (%+v)", e.Error(), e.Pos)
	}
}

func checkNode(t *testing.T, n *Node) {
	t.Helper()
	for _, p := range []Pos{n.Pos, n.TextPos} {
		if p.Line < 1 || p.Col < 1 {
			t.Fatalf("node %s at bad position %+v", n.Path, p)
		}
	}
	for _, a := range n.Attrs {
		if a.Pos.Line < 1 || a.Pos.Col < 1 || a.ValuePos.Line < 1 || a.ValuePos.Col < 1 {
			t.Fatalf("attribute %s of %s at bad position %+v %+v", a.Name, n.Path, a.Pos, a.ValuePos)
		}
	}
	for _, c := range n.Children {
		checkNode(t, c)
	}
}

// FuzzRead reads and compiles arbitrary documents: no panic, every error is
// located, and a plan that loads runs on a dummy request without panicking.
//
//	go test -run x -fuzz FuzzRead -fuzztime 60s ./engine/
func FuzzRead(f *testing.F) {
	f.Add([]byte(`<policies><inbound><p s="@(context.Request.Method)" b="@(1 < 2)"/></inbound></policies>`))
	f.Add([]byte(`<policies><inbound><p s="@(f(\"x\"))"/><q>a <@(1)> b</q></inbound></policies>`))
	f.Add([]byte(`<policies><inbound><rewrite-uri template="/v2/{s}&{o}?City=city&State=state&amp;&#38;"/></inbound></policies>`))
	nv := NewNamedValues(NamedValue{Name: "x", Value: "12"}, NamedValue{Name: "s", Value: "sec", Secret: true})
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := Read("f.xml", data)
		if err != nil {
			checkErr(t, err)
			return
		}
		checkNode(t, root)
		c := NewCompiler(fuzzRegistry(), nv)
		plan := c.Compile(root, "api", nil)
		if errs := c.Errors(); len(errs) > 0 {
			checkErr(t, errs.Err())
			return
		}
		runPlan(t, plan)
	})
}

// runPlan runs every section on a dummy request, with a deadline.
func runPlan(t *testing.T, plan *Plan) {
	t.Helper()
	u, _ := url.Parse("ws://gw/chat?a=1&b=2")
	s := AcquireState(&Api{Name: "f", Type: "websocket", Path: "/chat", ServiceUrl: "ws://127.0.0.1:1/"})
	defer s.Release()
	s.SetRequest(http.MethodGet, "ws", "gw", u, http.Header{"X-Mode": {"a"}}, "10.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	t0 := time.Now()
	for _, sec := range []Section{Inbound, Backend, Outbound} {
		if plan.Run(ctx, sec, s) {
			break
		}
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("running the plan took %s", d)
	}
}
