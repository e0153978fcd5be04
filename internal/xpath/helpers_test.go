package xpath

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// testEnv is an Env for tests: prefixes, variables and host functions.
type testEnv struct {
	ns    map[string]string
	vars  map[string]Value // by local name (or {space}local)
	funcs map[string]*Function
}

func (e *testEnv) Namespace(prefix string) (string, bool) {
	uri, ok := e.ns[prefix]
	return uri, ok
}

func (e *testEnv) Variable(space, local string) bool {
	_, ok := e.vars[varKey(space, local)]
	return ok
}

func (e *testEnv) Function(space, local string) *Function { return e.funcs[varKey(space, local)] }

func (e *testEnv) context(n *Node) *Context {
	return &Context{Node: n, Position: 1, Size: 1, Vars: func(space, local string) Value {
		return e.vars[varKey(space, local)]
	}}
}

func varKey(space, local string) string {
	if space == "" {
		return local
	}
	return "{" + space + "}" + local
}

func newTestEnv() *testEnv {
	return &testEnv{
		ns:   map[string]string{"x": "urn:x", "y": "urn:y", "xml": XMLNamespace},
		vars: map[string]Value{"one": 1.0, "str": "abc", "t": true, "{urn:x}v": "xv"},
		funcs: map[string]*Function{
			"{urn:x}twice": {MinArgs: 1, MaxArgs: 1, Call: func(_ *Context, args []Value) (Value, error) {
				return 2 * ToNumber(args[0]), nil
			}},
			"{urn:x}cat": {MinArgs: 0, MaxArgs: -1, Call: func(_ *Context, args []Value) (Value, error) {
				var b strings.Builder
				for _, a := range args {
					b.WriteString(ToString(a))
				}
				return b.String(), nil
			}},
			"{urn:x}ctxname": {MinArgs: 0, MaxArgs: 0, Call: func(c *Context, _ []Value) (Value, error) {
				return c.Node.Name(), nil
			}},
		},
	}
}

func mustParse(t testing.TB, doc string) *Node {
	t.Helper()
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return root
}

// pathOf names a node by an absolute path, e.g. /doc[1]/para[2]/@type.
func pathOf(n *Node) string {
	if n.Parent == nil {
		return "/"
	}
	parent := pathOf(n.Parent)
	if parent == "/" {
		parent = ""
	}
	switch n.Kind {
	case AttributeNode:
		return parent + "/@" + n.Name()
	case NamespaceNode:
		return parent + "/namespace::" + n.Local
	}
	step := ""
	switch n.Kind {
	case ElementNode:
		step = n.Name()
	case TextNode:
		step = "text()"
	case CommentNode:
		step = "comment()"
	case ProcInstNode:
		step = "processing-instruction(" + n.Local + ")"
	}
	k := 0
	for _, s := range n.Parent.Children {
		if s.Kind == n.Kind && (n.Kind != ElementNode || s.Name() == n.Name()) && (n.Kind != ProcInstNode || s.Local == n.Local) {
			k++
		}
		if s == n {
			break
		}
	}
	return parent + "/" + step + "[" + strconv.Itoa(k) + "]"
}

func paths(ns NodeSet) string {
	var out []string
	for _, n := range ns {
		out = append(out, pathOf(n))
	}
	return strings.Join(out, " ")
}

// show renders a value for comparisons in tests.
func show(v Value) string {
	switch x := v.(type) {
	case float64:
		if x == 0 && math.Signbit(x) {
			return "number -0"
		}
		return "number " + NumberToString(x)
	case string:
		return "string " + strconv.Quote(x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case NodeSet:
		return "nodes " + paths(x)
	case *Fragment:
		return "fragment"
	}
	return fmt.Sprintf("%T", v)
}

// evalAt compiles and evaluates expr with the context node selected by
// ctxPath (an expression evaluated from the root).
func evalAt(t testing.TB, env *testEnv, root *Node, ctxPath, expr string) (Value, error) {
	t.Helper()
	ctxNode := root
	if ctxPath != "" && ctxPath != "/" {
		ce, err := Compile(ctxPath, env)
		if err != nil {
			t.Fatalf("context %q: %v", ctxPath, err)
		}
		ns, err := ce.EvalNodeSet(env.context(root))
		if err != nil || len(ns) != 1 {
			t.Fatalf("context %q: %d nodes, %v", ctxPath, len(ns), err)
		}
		ctxNode = ns[0]
	}
	e, err := Compile(expr, env)
	if err != nil {
		return nil, err
	}
	if e.String() != expr {
		t.Errorf("String() = %q, want %q", e.String(), expr)
	}
	return e.Eval(env.context(ctxNode))
}
