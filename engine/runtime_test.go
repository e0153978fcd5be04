package engine

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRuntimeFailures: an expression that fails while running becomes an
// on-error jump with reason ExpressionValueEvaluationFailure, never a panic
// and never unbounded work or memory.
func TestRuntimeFailures(t *testing.T) {
	for _, tc := range []struct{ name, attr string }{
		{"nil member", `v="@(context.Variables[&quot;missing&quot;].Field)"`},
		{"nil pointer member", `v="@(context.Response.Headers)"`},
		{"method on nil", `v="@(context.LastError.Message)"`},
		{"type mismatch", `v="@((int)(object)context.Request.Method + 1)"`},
		{"string compared to number", `b="@(context.Variables.GetValueOrDefault(&quot;s&quot;, &quot;x&quot;) > 1)"`},
		{"wrong result type at run time", `b="@(context.Variables.GetValueOrDefault(&quot;s&quot;, (object)&quot;x&quot;))"`},
		{"index out of range", `v="@(context.Request.Url.Query[&quot;a&quot;][5])"`},
		{"negative index out of range", `v="@(split(context.Request.Method, &quot;,&quot;)[-7])"`},
		{"integer division by zero", `v="@(1 % (len(context.Request.Method) - 3))"`},
		{"float division by zero into a number", `n="@(1 / (len(context.Request.Method) - 3))"`},
		{"number out of range", `n="@(len(context.Request.Method) * 1000)"`},
		{"huge repeat", `v="@(repeat(context.Request.Method, 100000000))"`},
		{"repeat of a long value", `v="@(repeat(context.Request.Headers.GetValueOrDefault(&quot;X-Big&quot;, &quot;&quot;), 900000))"`},
		{"huge range", `v="@(1..100000000)"`},
		{"huge range from request data", `v="@(0..(len(context.Request.Method) * 100000000))"`},
		{"map over huge range", `v="@(len(map(1..5000000, # * 2)))"`},
		{"nested ranges", `v="@(len(map(1..2000, len(map(1..2000, #)))))"`},
		{"sort of a huge range", `v="@(sort(0..(len(context.Request.Method) * 2000000)))"`},
		{"toJSON of a huge array", `v="@(toJSON(1..100000000))"`},
		{"bad base64", `s="@(base64UrlDecode(&quot;%%%&quot;))"`},
		{"fromJSON of a bad document", `v="@(fromJSON(context.Request.Method))"`},
		{"duration parse", `v="@(duration(context.Request.Method))"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCompiler(fuzzRegistry(), nil)
			root, err := Read("r.xml", []byte(`<policies><inbound><p `+tc.attr+`/></inbound><on-error><p s="@(context.LastError.Reason)"/></on-error></policies>`))
			if err != nil {
				t.Fatal(err)
			}
			plan := c.Compile(root, "api", nil)
			if errs := c.Errors(); len(errs) > 0 {
				t.Fatalf("load errors: %v", errs)
			}
			u, _ := url.Parse("ws://gw/chat?a=1")
			s := AcquireState(&Api{Name: "r"})
			defer s.Release()
			s.SetRequest("GET", "ws", "gw", u, http.Header{"X-Big": {strings.Repeat("b", 10000)}}, "10.0.0.1")

			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			t0 := time.Now()
			stopped := plan.Run(context.Background(), Inbound, s)
			d := time.Since(t0)
			runtime.ReadMemStats(&m1)

			le := s.LastError()
			if !stopped || le == nil || le.Reason != ReasonExpression || s.Response().StatusCode != 500 {
				t.Fatalf("stopped=%v lastError=%+v", stopped, le)
			}
			if !strings.Contains(le.Message, "expression @(") {
				t.Errorf("message does not quote the expression: %q", le.Message)
			}
			if d > 500*time.Millisecond {
				t.Errorf("took %s", d)
			}
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			t.Logf("%s (%s)", le.Message, d)
		})
	}
}

// A nil pointer with a String method (a variable holding a nil *Url) reads
// as "" in a string attribute, never a panic.
func TestStrEvalNilStringer(t *testing.T) {
	nv := NewNamedValues()
	c := NewCompiler(Registry{}, nv)
	p := &Parser{c: c, n: &Node{Name: "x", Attrs: []*Attr{{Name: "v", Value: "@(context.Variables[\"u\"])"}}}}
	str := p.RequiredStr("v")
	if errs := c.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	s := AcquireState(&Api{Name: "t"})
	defer s.Release()
	var nilURL *Url
	s.Variables()["u"] = nilURL
	got, err := str.Eval(s)
	if err != nil || got != "" {
		t.Fatalf("Eval = %q, %v; want \"\", nil", got, err)
	}
}
