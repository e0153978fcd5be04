package xslt

import (
	"strings"

	"tollgate/internal/xpath"
)

// rule is one alternative of a template's match pattern.
type rule struct {
	pat  *xpath.Pattern
	prio float64
	idx  int // order in the mode: the last of equal priority wins
	t    *template
}

// modeRules are the template rules of one mode, filed by what the last
// step of each pattern can match so that a node is tested only against
// rules that may match it. The filing is a prefilter: Pattern.Match decides.
type modeRules struct {
	count   int
	byElem  map[string][]*rule
	anyElem []*rule
	byAttr  map[string][]*rule
	anyAttr []*rule
	text    []*rule
	comment []*rule
	pi      []*rule
	root    []*rule
	all     []*rule
}

func newModeRules() *modeRules {
	return &modeRules{byElem: map[string][]*rule{}, byAttr: map[string][]*rule{}}
}

// add files r by the node test of the last step of src.
func (m *modeRules) add(r *rule, src string) {
	step, ok := lastStep(src)
	if !ok {
		m.all = append(m.all, r)
		return
	}
	attr := false
	switch {
	case strings.HasPrefix(step, "@"):
		attr, step = true, step[1:]
	case strings.HasPrefix(step, "attribute::"):
		attr, step = true, step[len("attribute::"):]
	case strings.HasPrefix(step, "child::"):
		step = step[len("child::"):]
	}
	switch {
	case step == "" && !attr:
		m.root = append(m.root, r)
	case step == "node()":
		if attr {
			m.anyAttr = append(m.anyAttr, r)
		} else {
			m.anyElem = append(m.anyElem, r)
			m.text = append(m.text, r)
			m.comment = append(m.comment, r)
			m.pi = append(m.pi, r)
		}
	case step == "text()":
		if !attr {
			m.text = append(m.text, r)
		}
	case step == "comment()":
		if !attr {
			m.comment = append(m.comment, r)
		}
	case strings.HasPrefix(step, "processing-instruction("):
		if !attr {
			m.pi = append(m.pi, r)
		}
	case step == "*" || strings.HasSuffix(step, ":*"):
		if attr {
			m.anyAttr = append(m.anyAttr, r)
		} else {
			m.anyElem = append(m.anyElem, r)
		}
	case isQName(step):
		local := step
		if i := strings.IndexByte(step, ':'); i >= 0 {
			local = step[i+1:]
		}
		if attr {
			m.byAttr[local] = append(m.byAttr[local], r)
		} else {
			m.byElem[local] = append(m.byElem[local], r)
		}
	default:
		m.all = append(m.all, r)
	}
}

// lastStep is the node test of the last step of a single-alternative
// pattern, with whitespace and predicates removed; ok is false when the
// pattern is not a plain location path (id(), key(), parentheses, …).
func lastStep(src string) (string, bool) {
	s := strings.TrimSpace(src)
	// remove predicates and whitespace outside quotes, tracking depth
	var b strings.Builder
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if quote != 0 {
			if ch == quote {
				quote = 0
			}
			if depth == 0 {
				b.WriteByte(ch)
			}
			continue
		}
		switch ch {
		case '"', '\'':
			quote = ch
			if depth == 0 {
				b.WriteByte(ch)
			}
			continue
		case '[':
			depth++
			continue
		case ']':
			depth--
			continue
		case ' ', '\t', '\r', '\n':
			continue
		}
		if depth == 0 {
			b.WriteByte(ch)
		}
	}
	if depth != 0 || quote != 0 {
		return "", false
	}
	t := b.String()
	if strings.Contains(t, "|") {
		return "", false
	}
	if t == "/" {
		return "", true
	}
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		t = t[i+1:]
	}
	if strings.HasPrefix(t, "id(") || strings.HasPrefix(t, "key(") || t == "" {
		return "", false
	}
	if strings.ContainsAny(t, "()") && !(t == "node()" || t == "text()" || t == "comment()" ||
		strings.HasPrefix(t, "processing-instruction(") ||
		strings.HasPrefix(t, "@node()") || strings.HasPrefix(t, "attribute::node()")) {
		return "", false
	}
	return t, true
}

// find is the template rule for n: the highest priority, the last one
// among equals (as XslCompiledTransform resolves conflicts).
func (m *modeRules) find(c *xctx, n *xpath.Node) (*template, error) {
	if m == nil {
		return nil, nil
	}
	var best *rule
	var pc *xpath.Context
	try := func(rs []*rule) error {
		for _, r := range rs {
			if best != nil && (r.prio < best.prio || (r.prio == best.prio && r.idx < best.idx)) {
				continue
			}
			if pc == nil {
				pc = c.patternContext(n)
			}
			pc.Node, pc.Position, pc.Size = n, 1, 1
			ok, err := r.pat.Match(pc, n)
			if err != nil {
				return err
			}
			if ok {
				best = r
			}
		}
		return nil
	}
	var lists [3][]*rule
	switch n.Kind {
	case xpath.ElementNode:
		lists = [3][]*rule{m.byElem[n.Local], m.anyElem, m.all}
	case xpath.AttributeNode:
		lists = [3][]*rule{m.byAttr[n.Local], m.anyAttr, m.all}
	case xpath.TextNode:
		lists = [3][]*rule{m.text, m.all}
	case xpath.CommentNode:
		lists = [3][]*rule{m.comment, m.all}
	case xpath.ProcInstNode:
		lists = [3][]*rule{m.pi, m.all}
	case xpath.RootNode:
		lists = [3][]*rule{m.root, m.all}
	default:
		lists = [3][]*rule{m.all}
	}
	for _, l := range lists {
		if err := try(l); err != nil {
			return nil, err
		}
	}
	if best == nil {
		return nil, nil
	}
	return best.t, nil
}

// patternContext is the context a pattern is matched in.
func (c *xctx) patternContext(n *xpath.Node) *xpath.Context {
	c.pc = xpath.Context{Node: n, Position: 1, Size: 1, Host: c, Charge: c.rt.chargeFn, NS: &c.rt.ns}
	return &c.pc
}

// paramValue is a parameter passed by xsl:with-param.
type paramValue struct {
	name qname
	val  xpath.Value
}

// applyTemplates processes nodes in mode.
func (c *xctx) applyTemplates(nodes xpath.NodeSet, mode qname, params []paramValue, site *pos) error {
	rt := c.rt
	m := rt.ss.modes[mode]
	size := len(nodes)
	mc := &xctx{rt: rt, size: size}
	for i, n := range nodes {
		if err := rt.tick(); err != nil {
			return site.wrap(err)
		}
		mc.node, mc.pos = n, i+1
		t, err := m.find(mc, n)
		if err != nil {
			return site.wrap(err)
		}
		if t == nil {
			if err := c.builtin(n, i+1, size, mode, site); err != nil {
				return err
			}
			continue
		}
		if err := rt.invoke(t, n, i+1, size, mode, params, site); err != nil {
			return err
		}
	}
	return nil
}

// builtin runs the built-in template rule for n (section 5.8).
func (c *xctx) builtin(n *xpath.Node, position, size int, mode qname, site *pos) error {
	rt := c.rt
	switch n.Kind {
	case xpath.RootNode, xpath.ElementNode:
		if len(n.Children) == 0 {
			return nil
		}
		if err := rt.enter(site); err != nil {
			return err
		}
		err := c.applyTemplates(xpath.NodeSet(n.Children), mode, nil, site)
		rt.depth--
		return err
	case xpath.TextNode, xpath.AttributeNode:
		return site.wrap(rt.out.text(n.Data, false))
	}
	return nil
}

func (rt *runtime) enter(site *pos) error {
	rt.depth++
	if rt.depth > rt.maxDepth {
		return site.errorf("template recursion deeper than %d", rt.maxDepth)
	}
	return nil
}

// invoke instantiates template t for node n.
func (rt *runtime) invoke(t *template, n *xpath.Node, position, size int, mode qname, params []paramValue, site *pos) error {
	if err := rt.enter(site); err != nil {
		return err
	}
	defer func() { rt.depth-- }()
	c := &xctx{rt: rt, node: n, pos: position, size: size, frame: make([]xpath.Value, t.frameSize), tmpl: t, mode: mode}
	for _, p := range t.params {
		var v xpath.Value
		found := false
		for _, pv := range params {
			if pv.name == p.name {
				v, found = pv.val, true
				break
			}
		}
		if !found {
			var err error
			v, err = c.value(p.sel, p.body, &pos{"xsl:param", p.line})
			if err != nil {
				return err
			}
		}
		c.frame[p.slot] = v
	}
	return c.execBody(t.body)
}
