package xslt

import (
	"errors"
	"fmt"
	"strings"

	"tollgate/internal/xpath"
)

// hostFunction is the XSLT function (section 12) or supported extension
// function space:local called in an expression written at n, or nil.
// Functions that take QNames as strings resolve them at n.
func hostFunction(space, local string, n *sNode) *xpath.Function {
	switch space {
	case "":
		switch local {
		case "current":
			return &xpath.Function{MinArgs: 0, MaxArgs: 0, Call: fnCurrent}
		case "key":
			return &xpath.Function{MinArgs: 2, MaxArgs: 2, Call: func(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
				return fnKey(ctx, args, n)
			}}
		case "format-number":
			return &xpath.Function{MinArgs: 2, MaxArgs: 3, Call: func(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
				return fnFormatNumber(ctx, args, n)
			}}
		case "generate-id":
			return &xpath.Function{MinArgs: 0, MaxArgs: 1, Call: fnGenerateID}
		case "system-property":
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: func(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
				return fnSystemProperty(args, n)
			}}
		case "element-available":
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: func(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
				q, err := resolveQNameArg(n, xpath.ToString(args[0]), true)
				if err != nil {
					return nil, err
				}
				return q.space == NamespaceXSLT && xslInstructions[q.local], nil
			}}
		case "function-available":
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: func(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
				q, err := resolveQNameArg(n, xpath.ToString(args[0]), false)
				if err != nil {
					return nil, err
				}
				return functionAvailable(q), nil
			}}
		case "unparsed-entity-uri":
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: func(*xpath.Context, []xpath.Value) (xpath.Value, error) {
				return "", nil // DTDs are not processed: no unparsed entities
			}}
		}
	case NamespaceMSXSL:
		if local == "node-set" {
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: fnNodeSet}
		}
	case NamespaceEXSLT:
		switch local {
		case "node-set":
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: fnNodeSet}
		case "object-type":
			return &xpath.Function{MinArgs: 1, MaxArgs: 1, Call: fnObjectType}
		}
	}
	return nil
}

var coreFunctions = map[string]bool{
	"last": true, "position": true, "count": true, "id": true, "local-name": true, "namespace-uri": true,
	"name": true, "string": true, "concat": true, "starts-with": true, "contains": true,
	"substring-before": true, "substring-after": true, "substring": true, "string-length": true,
	"normalize-space": true, "translate": true, "boolean": true, "not": true, "true": true, "false": true,
	"lang": true, "number": true, "sum": true, "floor": true, "ceiling": true, "round": true,
}

var xsltFunctions = map[string]bool{
	"current": true, "key": true, "format-number": true, "generate-id": true, "system-property": true,
	"element-available": true, "function-available": true, "unparsed-entity-uri": true,
}

// functionAvailable is function-available(): document() is not.
func functionAvailable(q qname) bool {
	switch q.space {
	case "":
		return coreFunctions[q.local] || xsltFunctions[q.local]
	case NamespaceMSXSL:
		return q.local == "node-set"
	case NamespaceEXSLT:
		return q.local == "node-set" || q.local == "object-type"
	}
	return false
}

// resolveQNameArg resolves a QName given as a string argument at n.
func resolveQNameArg(n *sNode, s string, useDefault bool) (qname, error) {
	s = strings.TrimSpace(s)
	prefix, local, ok := splitQName(s)
	if !ok {
		return qname{}, fmt.Errorf("%q is not a QName", s)
	}
	if prefix == "" && !useDefault {
		return qname{local: local}, nil
	}
	u, ok := n.lookup(prefix)
	if !ok {
		return qname{}, fmt.Errorf("undeclared namespace prefix %q in %q", prefix, s)
	}
	return qname{u, local}, nil
}

func hostOf(ctx *xpath.Context) (*xctx, error) {
	c, ok := ctx.Host.(*xctx)
	if !ok || c == nil {
		return nil, errors.New("XSLT function called outside a transformation")
	}
	return c, nil
}

func fnCurrent(ctx *xpath.Context, _ []xpath.Value) (xpath.Value, error) {
	c, err := hostOf(ctx)
	if err != nil {
		return nil, err
	}
	return xpath.NodeSet{c.node}, nil
}

func fnGenerateID(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	c, err := hostOf(ctx)
	if err != nil {
		return nil, err
	}
	n := ctx.Node
	if len(args) == 1 {
		ns, err := xpath.ToNodeSet(args[0])
		if err != nil {
			return nil, err
		}
		if len(ns) == 0 {
			return "", nil
		}
		n = ns[0]
		for _, m := range ns[1:] {
			if m.Order() < n.Order() {
				n = m
			}
		}
	}
	return c.rt.generateID(n), nil
}

func fnSystemProperty(args []xpath.Value, n *sNode) (xpath.Value, error) {
	q, err := resolveQNameArg(n, xpath.ToString(args[0]), false)
	if err != nil {
		return nil, err
	}
	if q.space == NamespaceXSLT {
		switch q.local {
		case "version":
			return 1.0, nil
		case "vendor":
			// As XslCompiledTransform answers, so that stylesheets written
			// for APIM take the same branches here.
			return "Microsoft", nil
		case "vendor-url":
			return "http://www.microsoft.com", nil
		}
	}
	return "", nil
}

func fnNodeSet(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	switch v := args[0].(type) {
	case *xpath.Fragment:
		return xpath.NodeSet{v.Root}, nil
	case xpath.NodeSet:
		return v, nil
	}
	root := &xpath.Node{Kind: xpath.RootNode}
	t := &xpath.Node{Kind: xpath.TextNode, Data: xpath.ToString(args[0]), Parent: root}
	root.Children = []*xpath.Node{t}
	xpath.Number(root)
	return xpath.NodeSet{t}, nil
}

func fnObjectType(ctx *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	switch args[0].(type) {
	case *xpath.Fragment:
		return "RTF", nil
	case xpath.NodeSet:
		return "node-set", nil
	case string:
		return "string", nil
	case float64:
		return "number", nil
	case bool:
		return "boolean", nil
	}
	return "external", nil
}

var fnUnsupported = &xpath.Function{MinArgs: 0, MaxArgs: -1, Call: func(*xpath.Context, []xpath.Value) (xpath.Value, error) {
	return nil, errors.New("function not supported")
}}

func unknownFunction(q qname) *xpath.Function {
	return &xpath.Function{MinArgs: 0, MaxArgs: -1, Call: func(*xpath.Context, []xpath.Value) (xpath.Value, error) {
		return nil, fmt.Errorf("unknown function %s", q)
	}}
}

func fnKey(ctx *xpath.Context, args []xpath.Value, n *sNode) (xpath.Value, error) {
	c, err := hostOf(ctx)
	if err != nil {
		return nil, err
	}
	q, err := resolveQNameArg(n, xpath.ToString(args[0]), false)
	if err != nil {
		return nil, err
	}
	if _, ok := c.rt.ss.keys[q]; !ok {
		return nil, fmt.Errorf("no xsl:key named %s", q)
	}
	idx, err := c.rt.keyIndex(q, ctx.Node.Root())
	if err != nil {
		return nil, err
	}
	if ns, ok := args[1].(xpath.NodeSet); ok {
		var out xpath.NodeSet
		for _, m := range ns {
			out = append(out, idx[m.StringValue()]...)
		}
		if len(ns) > 1 {
			out = xpath.SortDocOrder(out)
		}
		return out, nil
	}
	found := idx[xpath.ToString(args[1])]
	return append(xpath.NodeSet(nil), found...), nil
}

// keyIndex is the index of key q over the tree under root, built on first
// use.
func (rt *runtime) keyIndex(q qname, root *xpath.Node) (map[string][]*xpath.Node, error) {
	id := keyID{q, root}
	if idx, ok := rt.keys[id]; ok {
		return idx, nil
	}
	if rt.building[q] {
		return nil, fmt.Errorf("key %s is used while it is being built", q)
	}
	if rt.building == nil {
		rt.building = map[qname]bool{}
	}
	rt.building[q] = true
	defer delete(rt.building, q)
	idx := map[string][]*xpath.Node{}
	defs := rt.ss.keys[q]
	c := &xctx{rt: rt, pos: 1, size: 1}
	add := func(n *xpath.Node) error {
		for _, d := range defs {
			c.node = n
			ok, err := d.match.Match(c.patternContext(n), n)
			if err != nil {
				return (&pos{"xsl:key", d.line}).wrap(err)
			}
			if !ok {
				continue
			}
			v, err := c.eval(d.use)
			if err != nil {
				return (&pos{"xsl:key", d.line}).wrap(err)
			}
			put := func(s string) {
				l := idx[s]
				if len(l) > 0 && l[len(l)-1] == n {
					return
				}
				idx[s] = append(l, n)
			}
			if ns, ok := v.(xpath.NodeSet); ok {
				for _, m := range ns {
					put(m.StringValue())
				}
			} else {
				put(xpath.ToString(v))
			}
		}
		return nil
	}
	var walk func(n *xpath.Node) error
	walk = func(n *xpath.Node) error {
		if err := rt.tick(); err != nil {
			return err
		}
		if err := add(n); err != nil {
			return err
		}
		for _, a := range n.Attrs {
			if err := add(a); err != nil {
				return err
			}
		}
		for _, ch := range n.Children {
			if err := walk(ch); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	if rt.keys == nil {
		rt.keys = map[keyID]map[string][]*xpath.Node{}
	}
	rt.keys[id] = idx
	return idx, nil
}
