package engine

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

// TestFastCalls: the rewritten method calls give what the methods give.
func TestFastCalls(t *testing.T) {
	u, _ := url.Parse("ws://gw/chat?a=1&a=2&b=&c=x")
	s := AcquireState(&Api{Name: "f"})
	defer s.Release()
	s.SetRequest("GET", "ws", "gw", u, http.Header{"X-Multi": {"a", "b"}, "X-One": {"1"}, "X-Empty": {}}, "10.0.0.1")
	s.Variables()["n"] = 7
	s.SetResponse(&Response{StatusCode: 200}) // nil Headers map and Body
	s.Context().Request.Body = NewBody([]byte(`{"n":"héllo"}`))
	c := NewCompiler(nil, nil)
	for _, tc := range []struct {
		src  string
		want any
	}{
		{`context.Request.Headers.GetValueOrDefault("x-multi", "d")`, "a,b"},
		{`context.Request.Headers.GetValueOrDefault("X-ONE", "d")`, "1"},
		{`context.Request.Headers.GetValueOrDefault("X-Empty", "d")`, "d"},
		{`context.Request.Headers.GetValueOrDefault("nope", "d")`, "d"},
		{`context.Request.Headers.ContainsKey("x-one")`, true},
		{`context.Request.Headers.ContainsKey("X-Empty")`, true},
		{`context.Request.Headers.ContainsKey("nope")`, false},
		{`context.Request.Url.Query.GetValueOrDefault("a", "d")`, "1,2"},
		{`context.Request.Url.Query.GetValueOrDefault("b", "d")`, ""},
		{`context.Request.Url.Query.GetValueOrDefault("A", "d")`, "d"},
		{`context.Request.Url.Query.ContainsKey("c")`, true},
		{`context.Variables.GetValueOrDefault("n", 0) + 1`, 8},
		{`context.Variables.GetValueOrDefault("none", "x")`, "x"},
		{`context.Variables.GetValueOrDefault("none", nil)`, nil},
		{`context.Variables.ContainsKey("n")`, true},
		{`context.Response.Headers.GetValueOrDefault("a", "nil map")`, "nil map"},
		{`context.Response.Headers.ContainsKey("a")`, false},
		{`context.Response?.Headers?.GetValueOrDefault("a", "opt")`, "opt"},
		{`context.LastError?.Message ?? "none"`, "none"},
		{`len(context.Request.Body.AsString())`, 13},
		{`context.Request.Body.AsString() + "!"`, `{"n":"héllo"}!`},
		{`context.Request.Body.AsJSON().n`, "héllo"},
		{`context.Response.Body.AsString() == ""`, true}, // a nil body reads as empty
	} {
		prog, err := expr.Compile(tc.src, c.opts...)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		got, err := s.eval(&program{prog: prog, src: tc.src})
		if err != nil || got != tc.want {
			t.Errorf("%s = %#v, %v; want %#v", tc.src, got, err, tc.want)
		}
	}
	// The body's methods are called directly, not through reflection.
	for _, src := range []string{`context.Request.Body.AsString()`, `context.Response.Body.AsJSON()`} {
		prog, err := expr.Compile(src, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if d := prog.Disassemble(); !strings.Contains(d, "$Body.") {
			t.Errorf("%s is not rewritten:\n%s", src, d)
		}
	}
	// A body that cannot be read, or is not JSON, fails the expression as
	// the method call did.
	for _, body := range []*Body{
		NewLazyBody(func() ([]byte, error) { return nil, ErrBodyTooLarge }),
		NewBody([]byte("not json")),
	} {
		s.Context().Request.Body = body
		src := `context.Request.Body.AsJSON()`
		prog, err := expr.Compile(src, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.eval(&program{prog: prog, src: src}); err == nil {
			t.Errorf("%s on a bad body = %#v, want an error", src, got)
		}
	}
	// Misuse is still a load error that names the method as written.
	for _, src := range []string{`context.Request.Headers.GetValueOrDefault(1, "")`, `context.Request.Headers.GetValueOrDefault("a")`} {
		_, err := expr.Compile(src, c.opts...)
		if err == nil {
			t.Errorf("%s compiled", src)
			continue
		}
		if msg := exprMessage(src, err); strings.Contains(msg, "$") || !strings.Contains(msg, "GetValueOrDefault") {
			t.Errorf("%s: message %q", src, msg)
		}
	}
}

// TestStrLen: len of a string goes to $strlen, which counts as expr's
// builtin does (one per rune, one per invalid byte); len of anything else
// stays the builtin.
func TestStrLen(t *testing.T) {
	s := AcquireState(&Api{Name: "f"})
	defer s.Release()
	c := NewCompiler(nil, nil)
	for _, str := range []string{
		"", "a", strings.Repeat("x", 16), strings.Repeat("x", 17),
		strings.Repeat(`{"k":"v"}`, 2000),
		strings.Repeat("a", 40) + "héllo wörld" + strings.Repeat("b", 40),
		"日本語のテキスト", "\xff\xfe" + strings.Repeat("z", 20), strings.Repeat("y", 31) + "\xed\xa0\x80",
	} {
		s.Context().Request.Body = NewBody([]byte(str))
		src := `len(context.Request.Body.AsString())`
		prog, err := expr.Compile(src, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if d := prog.Disassemble(); !strings.Contains(d, "$strlen") {
			t.Fatalf("%s is not rewritten:\n%s", src, d)
		}
		want, err := expr.Eval(`len(s)`, map[string]any{"s": str}) // expr's own builtin
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.eval(&program{prog: prog, src: src}); err != nil || got != want {
			t.Errorf("len(%.30q) = %#v, %v; want %#v", str, got, err, want)
		}
	}
	s.Variables()["n"] = 1
	for _, tc := range []struct {
		src  string
		want int
	}{
		{`len([1, 2, 3])`, 3},
		{`len({"a": 1})`, 1},
		{`len(context.Variables)`, 1},
	} {
		prog, err := expr.Compile(tc.src, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(prog.Disassemble(), "$strlen") {
			t.Errorf("%s is rewritten to $strlen", tc.src)
		}
		if got, err := s.eval(&program{prog: prog, src: tc.src}); err != nil || got != tc.want {
			t.Errorf("%s = %#v, %v; want %d", tc.src, got, err, tc.want)
		}
	}
}
