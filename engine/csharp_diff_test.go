package engine

import (
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"tollgate/engine/csharp"
)

// diffExprs are C# expressions that lower to expr; each is also run by the
// interpreter, and both must agree on every state.
var diffExprs = []string{
	`(string)context.Variables["s"]`,
	`(string)context.Variables["s"] ?? "none"`,
	`(int)context.Variables["n"] + 1`,
	`(int)context.Variables["n"] / 3`,
	`(int)context.Variables["n"] % 3`,
	`(bool)context.Variables["b"] ? "yes" : "no"`,
	`context.Variables.GetValueOrDefault<string>("s", "dflt")`,
	`context.Variables.GetValueOrDefault<int>("n", 7) * 2`,
	`context.Variables.GetValueOrDefault<bool>("b")`,
	`context.Variables.ContainsKey("s") && !context.Variables.ContainsKey("zz")`,
	`"x" + context.Variables["s"] + 1 + true`,
	`$"{context.Request.Method}:{context.Variables["n"]}:{(string)context.Variables["s"]}"`,
	`context.Request.Headers.GetValueOrDefault("X-User", "anon").ToUpper().Substring(0, 2)`,
	`context.Request.Headers.GetValueOrDefault("X-User", "").Split(',').Length`,
	`context.Request.Headers.GetValueOrDefault("X-User", "").Contains("a") || context.Request.Url.Path.StartsWith("/chat")`,
	`context.Request.Url.Query.GetValueOrDefault("hub", "none").Replace("a", "A")`,
	`context.Request.Url.Host + ":" + context.Request.Url.Port`,
	`context.Response?.StatusCode ?? -1`,
	`context.LastError?.Reason ?? "none"`,
	`((IResponse)context.Variables["r"]).StatusCode`,
	`((IResponse)context.Variables["r"]).Body.As<JObject>()["k"].ToString()`,
	`(string)((IResponse)context.Variables["r"]).Body.As<JObject>()["k"]`,
	`((JObject)context.Variables["j"])?["k"]?.ToString()`,
	`JsonConvert.SerializeObject(new { a = (string)context.Variables["s"], n = 1 })`,
	`new JObject(new JProperty("s", (string)context.Variables["s"])).ToString()`,
	`string.Join("|", ((string)context.Variables["s"] ?? "").Split('a'))`,
	`string.Format("{0}/{1}", context.Request.Method, context.Variables["n"])`,
	`string.IsNullOrEmpty((string)context.Variables["s"])`,
	`((IEnumerable<object>)context.Variables["l"]).Where(x => x != null).Count()`,
	`((IEnumerable<object>)context.Variables["l"]).Select(x => x + "!").FirstOrDefault()`,
	`((IEnumerable<object>)context.Variables["l"]).Any(x => (string)x == "a")`,
	`Math.Max((int)context.Variables["n"], 3)`,
	`((int)context.Variables["n"]).ToString("D4")`,
	`Convert.ToBase64String(Encoding.UTF8.GetBytes((string)context.Variables["s"]))`,
	`context.Variables["s"] is string`,
	`context.Variables["j"] as JObject == null`,
	`context.Variables["s"] == "admin"`,
	`context.Variables["n"] == (object)1`,
	`7 / 2 + 7.0 / 2`,
}

// diffBlocks are statement blocks that lower to expr.
var diffBlocks = []string{
	`var t = (string)context.Variables["s"]; return "Bearer " + t;`,
	`string v = context.Request.Headers.GetValueOrDefault("X-User", ""); if (v == "") { v = "empty"; } else if (v.Length > 3) { v = "long"; } return v;`,
	`int sum = 0; foreach (var x in new[] {1, 2, 3}) { sum += x * (int)context.Variables["n"]; } return sum;`,
	`var o = new JObject(); o["a"] = context.Request.Method; o.Add("b", (string)context.Variables["s"]); return o.ToString();`,
	`if (context.Variables.ContainsKey("s")) { return 1; } return 2;`,
	`var parts = context.Request.Url.Path.Split('/'); var last = parts.Last(); return last.ToUpper();`,
	`var hub = context.Variables.GetValueOrDefault<string>("s", ""); return "ws://h/?hub=" + hub;`,
	`var n = (int)context.Variables["n"]; if (context.Request.Method == "GET") { return n; } return 0;`,
	`var a = (string)context.Variables["s"]; var b = a + a; var c = b + b; return c + c;`,
}

// diffStates draws a random state: the choices are made once, and the
// function builds the same state (with fresh objects) every time it runs.
func diffStates(r *rand.Rand) func(*State) {
	mk := []func() any{
		func() any { return nil }, func() any { return "admin" }, func() any { return "" }, func() any { return "abc,def" },
		func() any { return 0 }, func() any { return 1 }, func() any { return 42 }, func() any { return -5 },
		func() any { return true }, func() any { return false }, func() any { return 2.5 }, func() any { return int64(3) },
		func() any {
			return &Response{StatusCode: 201, Headers: Headers{}, Body: NewBody([]byte(`{"k":"v","n":1}`))}
		},
		func() any { return &Response{StatusCode: 500, Headers: Headers{}, Body: NewBody([]byte(`not json`))} },
		func() any { return []any{"a", nil, "b"} }, func() any { return []any{} }, func() any { return (*Response)(nil) },
		func() any { j, _ := csharp.ParseJSON(`{"k": [1, "x"]}`); return j },
	}
	paths := []string{"/chat", "/chat/x", "/", "/a/b/c"}
	rawURL := fmt.Sprintf("ws://gw.example:%d%s?hub=%s", 80+r.Intn(3), paths[r.Intn(len(paths))], []string{"chat", "admin", ""}[r.Intn(3)])
	user := ""
	hasUser := r.Intn(2) == 0
	if hasUser {
		user = []string{"alice", "bo", "a,b", ""}[r.Intn(4)]
	}
	method := []string{"GET", "POST"}[r.Intn(2)]
	vars := map[string]int{}
	for _, k := range []string{"s", "n", "b", "r", "l", "j"} {
		if r.Intn(4) > 0 {
			vars[k] = r.Intn(len(mk))
		}
	}
	status := -1
	if r.Intn(2) == 0 {
		status = 200 + r.Intn(3)*100
	}
	lastErr := r.Intn(2) == 0
	return func(s *State) {
		u, _ := url.Parse(rawURL)
		h := http.Header{}
		if hasUser {
			h.Set("X-User", user)
		}
		s.SetRequest(method, "ws", u.Host, u, h, "10.0.0.1")
		for k, i := range vars {
			s.Variables()[k] = mk[i]()
		}
		if status > 0 {
			s.SetResponse(&Response{StatusCode: status})
		}
		if lastErr {
			s.ctx.LastError = &LastError{Reason: "Boom"}
		}
	}
}

// TestCSharpDifferential: a lowered expression and the interpreter give
// the same result (or both fail) on random states.
func TestCSharpDifferential(t *testing.T) {
	c := NewCompiler(nil, nil)
	type pair struct {
		src    string
		vm     *program
		interp *program
	}
	var pairs []pair
	add := func(src string, block bool) {
		cs, err := c.cs.Compile(src, block)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if cs.Lowered == "" {
			t.Fatalf("%s: not lowered (%s)", src, cs.Why)
		}
		prog, err := expr.Compile(cs.Lowered, c.opts...)
		if err != nil {
			t.Fatalf("%s: lowered program does not compile: %v\n%s", src, err, cs.Lowered)
		}
		pairs = append(pairs, pair{src, &program{prog: prog, src: src}, &program{interp: cs, src: src}})
	}
	for _, e := range diffExprs {
		add(e, false)
	}
	for _, b := range diffBlocks {
		add(b, true)
	}
	r := rand.New(rand.NewSource(1))
	values, failures := 0, 0
	for i := 0; i < 300; i++ {
		set := diffStates(r)
		for _, p := range pairs {
			st := AcquireState(&Api{Name: "chat"})
			set(st)
			a, errA := st.evalAny(p.vm)
			// the same state again: the first run may have changed its objects
			st.Release()
			st = AcquireState(&Api{Name: "chat"})
			set(st)
			b, errB := st.evalAny(p.interp)
			st.Release()
			if (errA != nil) != (errB != nil) {
				t.Fatalf("%s (state %d):\nlowered: %v %v\ninterpreted: %v %v", p.src, i, show(a), errA, show(b), errB)
			}
			if errA == nil && diffShow(a) != diffShow(b) {
				t.Fatalf("%s (state %d):\nlowered: %#v\ninterpreted: %#v", p.src, i, a, b)
			}
			if errA == nil {
				values++
			} else {
				failures++
			}
		}
	}
	// Both outcomes must be exercised, or the comparison proves little.
	if values < 1000 || failures < 1000 {
		t.Fatalf("%d values, %d failures: the states do not exercise both", values, failures)
	}
	t.Logf("%d values, %d failures", values, failures)
}

func diffShow(v any) string {
	if s, ok := v.(fmt.Stringer); ok && v != nil {
		return s.String()
	}
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = diffShow(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprintf("%T %v", v, v)
}
