package csharp

import (
	"reflect"
	"testing"

	"github.com/expr-lang/expr"
)

type fuzzHeaders map[string][]string

func (h fuzzHeaders) GetValueOrDefault(name, def string) string { return def }

type fuzzBody struct{ s string }

func (b *fuzzBody) AsString() (string, error) { return b.s, nil }

type fuzzRequest struct {
	Method  string
	Headers fuzzHeaders
	Body    *fuzzBody
}

type fuzzVars map[string]any

func (v fuzzVars) GetValueOrDefault(name string, def any) any { return def }
func (v fuzzVars) ContainsKey(name string) bool               { _, ok := v[name]; return ok }

type fuzzContext struct {
	Request   *fuzzRequest
	Variables fuzzVars
}

type fuzzEnv struct {
	Context *fuzzContext `expr:"context"`
}

func fuzzFront(t testing.TB) *Front {
	f, err := New(Model{Env: reflect.TypeOf(fuzzEnv{}), Types: map[string]reflect.Type{"IRequest": reflect.TypeOf(&fuzzRequest{})}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// FuzzCSharp: the front-end never panics, a program it lowers always
// compiles in expr, and the interpreter never panics on it.
//
//	go test -run '^$' -fuzz FuzzCSharp ./engine/csharp/
func FuzzCSharp(f *testing.F) {
	for _, s := range []string{
		`(string)context.Variables["x"]`,
		`context.Request.Headers.GetValueOrDefault("a", "b").Split(',').Last()`,
		`$"{context.Request.Method}:{1 + 2:D3}"`,
		`@"a""b"`,
		`new JObject(new JProperty("a", 1)).ToString()`,
		`new Dictionary<string, string> { { "a", "b" }, { "c", "d" } }["a"]`,
		`new JObject { ["a"] = 1, ["b"] = "x" }.ToString()`,
		`XDocument.Parse("<a x=\"1\"><b>t</b></a>").Root.Element("b").Value`,
		`XElement.Parse("<a><b/><b/></a>").Elements("b").Count()`,
		`var t = (string)context.Variables["t"]; return "Bearer " + t;`,
		`int s = 0; foreach (var x in new[] {1, 2}) { s += x; } return s;`,
		`try { return int.Parse("x"); } catch (Exception e) { return e.Message.Length; }`,
		`if (context.Variables.TryGetValue("a", out var v)) { return v; } return null;`,
		`context.Request.Body.As<JObject>(preserveContent: true)?["k"]?.Value<string>()`,
		`((IEnumerable<object>)context.Variables["l"]).Where(x => x != null).Select(x => x.ToString()).ToArray()`,
		`x => x`, `(a)+b`, `(int)-1`, `'ab'`, "`x`", `/* open`, `a ? b : c ?? d`, `new[] {}`,
	} {
		f.Add(s)
	}
	front := fuzzFront(f)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4000 {
			return
		}
		for _, block := range []bool{false, true} {
			p, err := front.Compile(src, block)
			if err != nil {
				if _, ok := err.(*SyntaxError); !ok {
					t.Fatalf("%q: error of type %T: %v", src, err, err)
				}
				continue
			}
			if p.Lowered != "" {
				opts := append([]expr.Option{expr.Env(fuzzEnv{})}, front.Options()...)
				opts = append(opts, expr.Function("asJwt", func(...any) (any, error) { return nil, nil }))
				if _, err := expr.Compile(p.Lowered, opts...); err != nil {
					t.Fatalf("%q: lowered program does not compile: %v\n%s", src, err, p.Lowered)
				}
			}
			ctx := &fuzzContext{Request: &fuzzRequest{Method: "GET", Body: &fuzzBody{`{"k":"v"}`}}, Variables: fuzzVars{"x": "s", "l": []any{1, nil}}}
			fr := &frame{m: p.m, ctx: ctx, vars: make([]any, p.nlocal)}
			if p.expr != nil {
				_, _ = fr.eval(p.expr)
			} else {
				_, _, _ = fr.exec(p.block)
			}
		}
	})
}

// TestLowerBlowUp: if/else copies the statements after it into both
// branches; thirty ifs in a row must not take 2^30 steps.
func TestLowerBlowUp(t *testing.T) {
	src := ""
	for i := 0; i < 30; i++ {
		src += `if (context.Request.Method == "A") { } `
	}
	src += `return 1;`
	p, err := fuzzFront(t).Compile(src, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Lowered != "" || p.Why == "" {
		t.Fatalf("lowered %d bytes, want the interpreter", len(p.Lowered))
	}
}
