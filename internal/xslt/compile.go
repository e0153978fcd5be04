package xslt

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"tollgate/internal/xpath"
)

// qname is an expanded name.
type qname struct{ space, local string }

func (q qname) String() string {
	if q.space == "" {
		return q.local
	}
	return "{" + q.space + "}" + q.local
}

// Stylesheet is a compiled stylesheet. It is immutable and safe for
// concurrent use.
type Stylesheet struct {
	templates  []*template
	named      map[qname]*template
	modes      map[qname]*modeRules
	globals    []*global
	globalIdx  map[qname]int
	params     []string
	keys       map[qname][]*keyDef
	attrSets   map[qname][]*attrSetDef
	decFormats map[qname]*decimalFormat
	spaceRules []spaceRule
	out        outputSpec
}

// global is a top-level xsl:variable or xsl:param.
type global struct {
	name      qname
	written   string
	isParam   bool
	sel       *xexpr
	body      []instr
	frameSize int
	line, col int
	refs      []int
}

// template is an xsl:template.
type template struct {
	match     *xpath.Pattern
	name      qname
	hasName   bool
	mode      qname
	params    []*tparam
	body      []instr
	frameSize int
	line      int
}

type tparam struct {
	name qname
	slot int
	sel  *xexpr
	body []instr
	line int
}

// keyDef is one xsl:key.
type keyDef struct {
	match *xpath.Pattern
	use   *xexpr
	line  int
}

// attrSetDef is one xsl:attribute-set element; sets with the same name
// are merged by applying every definition in order.
type attrSetDef struct {
	name      qname
	use       []qname
	body      []instr
	frameSize int
	line      int
}

// scope is the chain of local variables visible at a place in a template.
type scope struct {
	name qname
	slot int
	next *scope
}

func (s *scope) find(q qname) *scope {
	for ; s != nil; s = s.next {
		if s.name == q {
			return s
		}
	}
	return nil
}

// compiler holds the state of one Compile.
type compiler struct {
	ss      *Stylesheet
	fcp     bool
	aliases map[string]nsBinding // stylesheet namespace URI → result prefix and URI
	tnames  map[qname]*sNode
}

// cctx is the compile-time context of an instruction.
type cctx struct {
	scope    *scope
	next     int
	max      *int
	fcp      bool
	excluded map[string]bool // namespace URIs not copied by literal result elements
	extNS    map[string]bool // extension element namespaces
	global   int             // index of the global being compiled, or -1
	inTmpl   bool
}

func errAt(n *sNode, format string, args ...any) *Error {
	return &Error{Line: n.line, Col: n.col, Msg: fmt.Sprintf(format, args...)}
}

// Compile compiles a stylesheet from its XML text: an xsl:stylesheet or
// xsl:transform element (version="1.0"; other versions run in
// forwards-compatible mode as the spec says), or a literal result element
// as stylesheet (section 2.3).
func Compile(src []byte) (ss *Stylesheet, err error) {
	root, err := parseStylesheet(src)
	if err != nil {
		return nil, err
	}
	c := &compiler{
		ss: &Stylesheet{
			named:      map[qname]*template{},
			modes:      map[qname]*modeRules{},
			globalIdx:  map[qname]int{},
			keys:       map[qname][]*keyDef{},
			attrSets:   map[qname][]*attrSetDef{},
			decFormats: map[qname]*decimalFormat{},
		},
		aliases: map[string]nsBinding{},
		tnames:  map[qname]*sNode{},
	}
	c.ss.decFormats[qname{}] = defaultDecimalFormat()
	if root.space == NamespaceXSLT && (root.local == "stylesheet" || root.local == "transform") {
		err = c.compileStylesheet(root)
	} else if v, ok := root.nsAttr(NamespaceXSLT, "version"); ok {
		err = c.compileSimplified(root, v)
	} else if root.space == NamespaceXSLT {
		err = errAt(root, "the document element must be xsl:stylesheet or xsl:transform, not xsl:%s", root.local)
	} else {
		err = errAt(root, "not a stylesheet: the document element is neither xsl:stylesheet nor a literal result element with an xsl:version attribute")
	}
	if err != nil {
		return nil, err
	}
	return c.ss, nil
}

func isForwardsCompatible(v string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err != nil || f != 1.0
}

func (c *compiler) compileSimplified(root *sNode, version string) error {
	c.fcp = isForwardsCompatible(version)
	cc := c.newCtx(root, -1)
	cc.inTmpl = true
	max := 0
	cc.max = &max
	body, err := c.compileInstr(cc, root)
	if err != nil {
		return err
	}
	pat, perr := xpath.CompilePattern("/", &env{c: c, n: root})
	if perr != nil {
		return errAt(root, "%v", perr)
	}
	t := &template{match: pat, body: []instr{body}, frameSize: max, line: root.line}
	c.ss.templates = append(c.ss.templates, t)
	c.addRules(t, nil, root)
	return nil
}

// prefixList resolves a whitespace-separated list of prefixes (#default
// allowed) to namespace URIs.
func prefixList(n *sNode, v string, into map[string]bool) error {
	for _, p := range strings.Fields(v) {
		if p == "#all" { // XSLT 2.0's keyword, accepted: every namespace in scope
			for _, b := range n.inScope() {
				into[b.uri] = true
			}
			continue
		}
		if p == "#default" {
			p = ""
		}
		u, ok := n.lookup(p)
		if !ok {
			return errAt(n, "undeclared namespace prefix %q", p)
		}
		into[u] = true
	}
	return nil
}

func (c *compiler) newCtx(root *sNode, global int) *cctx {
	cc := &cctx{fcp: c.fcp, excluded: map[string]bool{NamespaceXSLT: true}, extNS: map[string]bool{}, global: global}
	return cc
}

var topLevelAttrs = map[string]bool{"version": true, "id": true, "exclude-result-prefixes": true, "extension-element-prefixes": true}

func (c *compiler) compileStylesheet(root *sNode) error {
	v, ok := root.attr("version")
	if !ok {
		return errAt(root, "xsl:%s must have a version attribute", root.local)
	}
	c.fcp = isForwardsCompatible(v)
	if err := c.checkAttrs(root, topLevelAttrs, c.fcp); err != nil {
		return err
	}
	base := c.newCtx(root, -1)
	if v, ok := root.attr("exclude-result-prefixes"); ok {
		if err := prefixList(root, v, base.excluded); err != nil {
			return err
		}
	}
	if v, ok := root.attr("extension-element-prefixes"); ok {
		if err := prefixList(root, v, base.extNS); err != nil {
			return err
		}
		for u := range base.extNS {
			base.excluded[u] = true
		}
	}
	// Pass 1: names and declarations that need no expressions.
	var globals, templates, keys, sets, outputs []*sNode
	for _, n := range root.children {
		if n.text {
			return errAt(n, "text is not allowed at the top level of a stylesheet")
		}
		if n.space != NamespaceXSLT {
			if n.space == "" {
				return errAt(n, "top-level element <%s> must have a non-null namespace URI", n.qname())
			}
			if n.space == NamespaceMSXSL && n.local == "script" {
				return errAt(n, "msxsl:script: scripts are not supported")
			}
			continue // user-defined data elements are ignored
		}
		switch n.local {
		case "import", "include":
			return errAt(n, "xsl:%s is not supported: a stylesheet may not load other files", n.local)
		case "template":
			templates = append(templates, n)
			if name, ok := n.attr("name"); ok {
				q, err := c.qnameOf(n, name)
				if err != nil {
					return err
				}
				if prev := c.tnames[q]; prev != nil {
					return errAt(n, "a template named %s is already defined at line %d", name, prev.line)
				}
				c.tnames[q] = n
			}
		case "variable", "param":
			q, name, err := c.requiredName(n)
			if err != nil {
				return err
			}
			if i, dup := c.ss.globalIdx[q]; dup {
				return errAt(n, "global variable %s is already defined at line %d", name, c.ss.globals[i].line)
			}
			c.ss.globalIdx[q] = len(c.ss.globals)
			c.ss.globals = append(c.ss.globals, &global{name: q, written: name, isParam: n.local == "param", line: n.line, col: n.col})
			if n.local == "param" {
				c.ss.params = append(c.ss.params, name)
			}
			globals = append(globals, n)
		case "key":
			keys = append(keys, n)
		case "attribute-set":
			sets = append(sets, n)
		case "decimal-format":
			if err := c.compileDecimalFormat(n); err != nil {
				return err
			}
		case "strip-space", "preserve-space":
			if err := c.compileSpace(n); err != nil {
				return err
			}
		case "output":
			outputs = append(outputs, n)
		case "namespace-alias":
			if err := c.compileAlias(n); err != nil {
				return err
			}
		default:
			if !c.fcp {
				return errAt(n, "xsl:%s is not allowed at the top level", n.local)
			}
		}
	}
	for _, n := range outputs {
		if err := c.compileOutput(n); err != nil {
			return err
		}
	}
	// Pass 2: bodies.
	for _, n := range keys {
		if err := c.compileKey(base, n); err != nil {
			return err
		}
	}
	for _, n := range sets {
		if err := c.compileAttrSet(base, n); err != nil {
			return err
		}
	}
	if err := c.checkAttrSetCycles(); err != nil {
		return err
	}
	for i, n := range globals {
		g := c.ss.globals[i]
		cc := *base
		cc.global = i
		max := 0
		cc.max = &max
		if err := c.checkAttrs(n, attrsOf("name", "select"), cc.fcp); err != nil {
			return err
		}
		sel, body, err := c.compileValue(&cc, n)
		if err != nil {
			return err
		}
		g.sel, g.body, g.frameSize = sel, body, max
	}
	if err := c.checkGlobalCycles(); err != nil {
		return err
	}
	for _, n := range templates {
		if err := c.compileTemplate(base, n); err != nil {
			return err
		}
	}
	return nil
}

func attrsOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkAttrs refuses attributes with no namespace that the element does not
// define (ignored in forwards-compatible mode).
func (c *compiler) checkAttrs(n *sNode, allowed map[string]bool, fcp bool) error {
	if fcp {
		return nil
	}
	for _, a := range n.attrs {
		if a.space == "" && !allowed[a.local] {
			return errAt(n, "xsl:%s has no attribute %q", n.local, a.local)
		}
	}
	return nil
}

// qnameOf resolves a QName written in an attribute (the default namespace
// does not apply).
func (c *compiler) qnameOf(n *sNode, s string) (qname, error) {
	s = strings.TrimSpace(s)
	prefix, local, ok := splitQName(s)
	if !ok {
		return qname{}, errAt(n, "%q is not a QName", s)
	}
	if prefix == "" {
		return qname{local: local}, nil
	}
	u, ok := n.lookup(prefix)
	if !ok {
		return qname{}, errAt(n, "undeclared namespace prefix %q in %q", prefix, s)
	}
	return qname{space: u, local: local}, nil
}

func (c *compiler) checkGlobalCycles() error {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(c.ss.globals))
	var path []int
	var visit func(i int) error
	visit = func(i int) error {
		color[i] = grey
		path = append(path, i)
		for _, j := range c.ss.globals[i].refs {
			if color[j] == grey {
				var names []string
				start := 0
				for k, p := range path {
					if p == j {
						start = k
					}
				}
				for _, p := range path[start:] {
					names = append(names, "$"+c.ss.globals[p].written)
				}
				names = append(names, "$"+c.ss.globals[j].written)
				g := c.ss.globals[i]
				return &Error{Line: g.line, Col: g.col, Msg: "circular reference between global variables: " + strings.Join(names, " → ")}
			}
			if color[j] == white {
				if err := visit(j); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		color[i] = black
		return nil
	}
	for i := range c.ss.globals {
		if color[i] == white {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *compiler) compileKey(base *cctx, n *sNode) error {
	if err := c.checkAttrs(n, attrsOf("name", "match", "use"), base.fcp); err != nil {
		return err
	}
	name, ok1 := n.attr("name")
	match, ok2 := n.attr("match")
	use, ok3 := n.attr("use")
	if !ok1 || !ok2 || !ok3 {
		return errAt(n, "xsl:key must have name, match and use attributes")
	}
	q, err := c.qnameOf(n, name)
	if err != nil {
		return err
	}
	cc := *base
	cc.scope = nil
	pat, err := c.pattern(&cc, n, "match", match, false)
	if err != nil {
		return err
	}
	ux, err := c.exprNoVars(&cc, n, "use", use)
	if err != nil {
		return err
	}
	c.ss.keys[q] = append(c.ss.keys[q], &keyDef{match: pat, use: ux, line: n.line})
	return nil
}

func (c *compiler) compileAttrSet(base *cctx, n *sNode) error {
	if err := c.checkAttrs(n, attrsOf("name", "use-attribute-sets"), base.fcp); err != nil {
		return err
	}
	q, _, err := c.requiredName(n)
	if err != nil {
		return err
	}
	def := &attrSetDef{name: q, line: n.line}
	if v, ok := n.attr("use-attribute-sets"); ok {
		if def.use, err = c.attrSetNames(n, v); err != nil {
			return err
		}
	}
	for _, ch := range n.children {
		if !ch.isXSL("attribute") {
			return errAt(ch, "xsl:attribute-set may contain only xsl:attribute elements")
		}
	}
	cc := *base
	max := 0
	cc.max = &max
	body, err := c.compileBody(&cc, n)
	if err != nil {
		return err
	}
	def.body, def.frameSize = body, max
	c.ss.attrSets[q] = append(c.ss.attrSets[q], def)
	return nil
}

// attrSetNames resolves use-attribute-sets; the sets must exist (all
// xsl:attribute-set elements are known once pass 1 is done… except while
// pass 1 runs, so existence is checked in checkAttrSetCycles and at use).
func (c *compiler) attrSetNames(n *sNode, v string) ([]qname, error) {
	var out []qname
	for _, f := range strings.Fields(v) {
		q, err := c.qnameOf(n, f)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

func (c *compiler) checkAttrSetCycles() error {
	state := map[qname]int{}
	var visit func(q qname, at *attrSetDef) error
	visit = func(q qname, at *attrSetDef) error {
		defs, ok := c.ss.attrSets[q]
		if !ok {
			return &Error{Line: at.line, Col: 1, Msg: fmt.Sprintf("attribute set %s is not defined", q)}
		}
		switch state[q] {
		case 1:
			return &Error{Line: at.line, Col: 1, Msg: fmt.Sprintf("attribute set %s uses itself", q)}
		case 2:
			return nil
		}
		state[q] = 1
		for _, d := range defs {
			for _, u := range d.use {
				if err := visit(u, d); err != nil {
					return err
				}
			}
		}
		state[q] = 2
		return nil
	}
	names := make([]qname, 0, len(c.ss.attrSets))
	for q := range c.ss.attrSets {
		names = append(names, q)
	}
	sort.Slice(names, func(i, j int) bool { return c.ss.attrSets[names[i]][0].line < c.ss.attrSets[names[j]][0].line })
	for _, q := range names {
		if err := visit(q, c.ss.attrSets[q][0]); err != nil {
			return err
		}
	}
	return nil
}

// useSets resolves the use-attribute-sets of an instruction or a literal
// result element: every set it names must exist.
func (c *compiler) useSets(n *sNode, v string) ([]qname, error) {
	sets, err := c.attrSetNames(n, v)
	if err != nil {
		return nil, err
	}
	for _, q := range sets {
		if _, ok := c.ss.attrSets[q]; !ok {
			return nil, errAt(n, "attribute set %s is not defined", q)
		}
	}
	return sets, nil
}

func (c *compiler) compileAlias(n *sNode) error {
	sp, ok1 := n.attr("stylesheet-prefix")
	rp, ok2 := n.attr("result-prefix")
	if !ok1 || !ok2 {
		return errAt(n, "xsl:namespace-alias must have stylesheet-prefix and result-prefix attributes")
	}
	if sp == "#default" {
		sp = ""
	}
	if rp == "#default" {
		rp = ""
	}
	su, ok := n.lookup(sp)
	if !ok {
		return errAt(n, "undeclared namespace prefix %q", sp)
	}
	ru, ok := n.lookup(rp)
	if !ok {
		return errAt(n, "undeclared namespace prefix %q", rp)
	}
	c.aliases[su] = nsBinding{prefix: rp, uri: ru}
	return nil
}

func (c *compiler) compileTemplate(base *cctx, n *sNode) error {
	if err := c.checkAttrs(n, attrsOf("match", "name", "priority", "mode"), base.fcp); err != nil {
		return err
	}
	t := &template{line: n.line}
	match, hasMatch := n.attr("match")
	name, hasName := n.attr("name")
	if !hasMatch && !hasName {
		return errAt(n, "xsl:template must have a match or a name attribute")
	}
	if hasName {
		q, _ := c.qnameOf(n, name)
		t.name, t.hasName = q, true
		c.ss.named[q] = t
	}
	if m, ok := n.attr("mode"); ok {
		if !hasMatch {
			return errAt(n, "xsl:template with a mode must have a match attribute")
		}
		q, err := c.qnameOf(n, m)
		if err != nil {
			return err
		}
		t.mode = q
	}
	var prio *float64
	if p, ok := n.attr("priority"); ok {
		if !hasMatch {
			return errAt(n, "xsl:template with a priority must have a match attribute")
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || strings.ContainsAny(p, "eE") || strings.HasPrefix(strings.TrimSpace(p), "+") {
			return errAt(n, "priority %q is not a number", p)
		}
		prio = &f
	}
	cc := *base
	cc.inTmpl = true
	cc.scope = nil
	max := 0
	cc.max = &max
	if hasMatch {
		pat, err := c.pattern(&cc, n, "match", match, false)
		if err != nil {
			return err
		}
		t.match = pat
	}
	// leading xsl:param elements
	i := 0
	for ; i < len(n.children); i++ {
		ch := n.children[i]
		if !ch.isXSL("param") {
			break
		}
		p, err := c.compileParam(&cc, ch)
		if err != nil {
			return err
		}
		t.params = append(t.params, p)
	}
	body, err := c.compileNodes(&cc, n.children[i:])
	if err != nil {
		return err
	}
	t.body = body
	t.frameSize = max
	if hasMatch {
		c.ss.templates = append(c.ss.templates, t)
		c.addRules(t, prio, n)
	}
	return nil
}

// compileParam compiles a template's xsl:param and brings it into scope.
func (c *compiler) compileParam(cc *cctx, n *sNode) (*tparam, error) {
	if err := c.checkAttrs(n, attrsOf("name", "select"), cc.fcp); err != nil {
		return nil, err
	}
	q, name, err := c.requiredName(n)
	if err != nil {
		return nil, err
	}
	if cc.scope.find(q) != nil {
		return nil, errAt(n, "parameter %s shadows another variable or parameter of the same template", name)
	}
	sel, body, err := c.compileValue(cc, n)
	if err != nil {
		return nil, err
	}
	p := &tparam{name: q, sel: sel, body: body, line: n.line, slot: cc.alloc()}
	cc.scope = &scope{name: q, slot: p.slot, next: cc.scope}
	return p, nil
}

func (cc *cctx) alloc() int {
	s := cc.next
	cc.next++
	if cc.next > *cc.max {
		*cc.max = cc.next
	}
	return s
}

// compileValue compiles the select attribute or the content of a variable,
// parameter or with-param.
func (c *compiler) compileValue(cc *cctx, n *sNode) (*xexpr, []instr, error) {
	if s, ok := n.attr("select"); ok {
		if len(n.children) > 0 {
			return nil, nil, errAt(n, "xsl:%s has both a select attribute and content", n.local)
		}
		x, err := c.expr(cc, n, "select", s)
		return x, nil, err
	}
	if len(n.children) == 0 {
		return nil, nil, nil // empty string
	}
	sub := *cc
	body, err := c.compileBody(&sub, n)
	return nil, body, err
}

// addRules files the alternatives of t's match pattern in its mode.
func (c *compiler) addRules(t *template, prio *float64, n *sNode) {
	m := c.ss.modes[t.mode]
	if m == nil {
		m = newModeRules()
		c.ss.modes[t.mode] = m
	}
	for _, alt := range t.match.Alternatives() {
		p := alt.DefaultPriority()
		if prio != nil {
			p = *prio
		}
		r := &rule{pat: alt, prio: p, idx: m.count, t: t}
		m.count++
		m.add(r, alt.String())
	}
}

// env binds names for the XPath expressions of one attribute.
type env struct {
	c         *compiler
	n         *sNode
	scope     *scope
	allowVars bool
	usedVars  bool
	fcp       bool
	global    int
	err       string
}

func (e *env) Namespace(prefix string) (string, bool) {
	return e.n.lookup(prefix)
}

func (e *env) Variable(space, local string) bool {
	if !e.allowVars {
		return false
	}
	q := qname{space, local}
	if e.scope.find(q) != nil {
		e.usedVars = true
		return true
	}
	if i, ok := e.c.ss.globalIdx[q]; ok {
		e.usedVars = true
		if e.global >= 0 {
			g := e.c.ss.globals[e.global]
			g.refs = append(g.refs, i)
		}
		return true
	}
	return false
}

func (e *env) Function(space, local string) *xpath.Function {
	if f := hostFunction(space, local, e.n); f != nil {
		return f
	}
	if space == "" && local == "document" {
		e.err = "document() is not supported: a stylesheet may not load other files"
		return fnUnsupported
	}
	if space != "" || e.fcp {
		// An unknown extension function (or, in forwards-compatible mode,
		// any unknown function) is an error only when it is called.
		return unknownFunction(qname{space, local})
	}
	return nil
}

// xexpr is a compiled expression with the variables in scope where it is.
type xexpr struct {
	e     *xpath.Expr
	scope *scope
	vars  bool
	err   error // forwards-compatible mode: a syntax error raised when evaluated
}

func (c *compiler) expr(cc *cctx, n *sNode, attr, src string) (*xexpr, error) {
	en := &env{c: c, n: n, scope: cc.scope, allowVars: true, fcp: cc.fcp, global: cc.global}
	e, err := xpath.Compile(src, en)
	if en.err != "" {
		return nil, errAt(n, "%s", en.err)
	}
	if err != nil {
		if cc.fcp {
			// section 2.5: an error only if the expression is evaluated
			return &xexpr{err: fmt.Errorf("%s=%q: %v", attr, src, err)}, nil
		}
		return nil, errAt(n, "%s=%q: %v", attr, src, err)
	}
	return &xexpr{e: e, scope: cc.scope, vars: en.usedVars}, nil
}

// requiredName reads the name attribute n must have, as a QName (and as
// written, for messages).
func (c *compiler) requiredName(n *sNode) (qname, string, error) {
	name, ok := n.attr("name")
	if !ok {
		return qname{}, "", errAt(n, "xsl:%s must have a name attribute", n.local)
	}
	q, err := c.qnameOf(n, name)
	return q, name, err
}

// requiredExpr compiles the expression of attribute attr, which n must
// have.
func (c *compiler) requiredExpr(cc *cctx, n *sNode, attr string) (*xexpr, error) {
	src, ok := n.attr(attr)
	if !ok {
		return nil, errAt(n, "xsl:%s must have a %s attribute", n.local, attr)
	}
	return c.expr(cc, n, attr, src)
}

func (c *compiler) exprNoVars(cc *cctx, n *sNode, attr, src string) (*xexpr, error) {
	en := &env{c: c, n: n, fcp: cc.fcp, global: -1}
	e, err := xpath.Compile(src, en)
	if en.err != "" {
		return nil, errAt(n, "%s", en.err)
	}
	if err != nil {
		return nil, errAt(n, "%s=%q: %v", attr, src, err)
	}
	return &xexpr{e: e}, nil
}

func (c *compiler) pattern(cc *cctx, n *sNode, attr, src string, allowVars bool) (*xpath.Pattern, error) {
	en := &env{c: c, n: n, scope: cc.scope, allowVars: allowVars, fcp: cc.fcp, global: cc.global}
	p, err := xpath.CompilePattern(src, en)
	if en.err != "" {
		return nil, errAt(n, "%s", en.err)
	}
	if err != nil {
		return nil, errAt(n, "%s=%q: %v", attr, src, err)
	}
	return p, nil
}
