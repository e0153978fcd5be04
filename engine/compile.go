package engine

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"

	"tollgate/engine/csharp"
)

// Policy is one entry of the registry: where the element may appear and how
// to parse it. Parse does all the work (reading attributes, compiling
// expressions, checking values) and returns the Step that will only run.
// Problems are reported through the Parser; a Step returned alongside them
// is discarded.
type Policy struct {
	Sections Section
	Parse    func(p *Parser) Step
}

// Registry maps element names to policies. It is a plain map, built by
// policies.Registry; the engine has no global state.
type Registry map[string]Policy

// Compiler turns documents into Plans, collecting every problem.
type Compiler struct {
	Registry  Registry
	Named     *NamedValues
	Fragments map[string]*Node // include-fragment: fragment id -> <fragment> root
	opts      []expr.Option
	errs      ErrorList
	bad       map[Pos]bool
	depth     int
	// pathPrefix is prepended to step paths while a fragment is compiled.
	pathPrefix string
	// cs compiles C# expressions (lang.go).
	cs *csharp.Front
	// Explain, when set, is told how each expression was compiled
	// (tollgate check --explain).
	Explain func(Explanation)
}

// MaxExprNodes bounds the size of one expression (expr's node limit).
const MaxExprNodes = 2000

// NewCompiler returns a compiler for reg with the named values nv (may be nil).
func NewCompiler(reg Registry, nv *NamedValues) *Compiler {
	c := &Compiler{Registry: reg, Named: nv}
	c.opts = append([]expr.Option{expr.Env(Env{}), expr.MaxNodes(MaxExprNodes)}, helperOptions()...)
	c.opts = append(c.opts, fastCallOptions()...)
	c.cs = newCSharp()
	c.opts = append(c.opts, c.cs.Options()...)
	return c
}

// Errors returns the problems found so far, sorted.
func (c *Compiler) Errors() ErrorList { return c.errs.Sort() }

// Errorf records a problem.
func (c *Compiler) Errorf(pos Pos, path, format string, args ...any) {
	if c.bad[pos] {
		return // a follow-on of a problem already reported for this value
	}
	c.errs.Add(pos, path, "%s", c.Named.redact(fmt.Sprintf(format, args...)))
}

// poison marks a value that has been reported as unusable: later problems
// at the same place are consequences of the first and are not reported.
func (c *Compiler) poison(pos Pos) {
	if c.bad == nil {
		c.bad = map[Pos]bool{}
	}
	c.bad[pos] = true
}

// Compile compiles a <policies> document. parent is the enclosing scope's
// plan (nil at global scope): <base/> splices its section in place, and a
// section the document leaves out inherits the parent's whole section.
// scope names the document's scope in context.LastError.Scope.
func (c *Compiler) Compile(root *Node, scope string, parent *Plan) *Plan {
	plan := &Plan{}
	if root.Name != "policies" {
		c.Errorf(root.Pos, "", "the root element must be <policies>, not <%s>", root.Name)
		return plan
	}
	if parent != nil {
		*plan = *parent // sections the document leaves out stay the parent's
	}
	c.noAttrs(root)
	c.noText(root)
	seen := map[string]bool{}
	for _, sec := range root.Children {
		var which Section
		for _, sn := range sectionNames {
			if sn.name == sec.Name {
				which = sn.s
			}
		}
		if which == 0 {
			c.Errorf(sec.Pos, "", "unknown section <%s> (want inbound, backend, outbound or on-error)", sec.Name)
			continue
		}
		if seen[sec.Name] {
			c.Errorf(sec.Pos, "", "section <%s> given twice", sec.Name)
			continue
		}
		seen[sec.Name] = true
		c.noAttrs(sec)
		c.noText(sec)
		var parentBlock Block
		if parent != nil {
			parentBlock = parent.Section(which)
		}
		*plan.block(which) = c.block(sec.Children, which, scope, parentBlock, true)
		if which == Backend {
			plan.HasBackend = true
		}
	}
	return plan
}

// block compiles a list of policy elements.
func (c *Compiler) block(nodes []*Node, sec Section, scope string, parent Block, top bool) Block {
	var b Block
	for _, n := range nodes {
		switch n.Name {
		case "base":
			c.noAttrs(n)
			c.noText(n)
			if !top {
				c.Errorf(n.Pos, n.Path, "<base/> may only stand directly in a section")
				continue
			}
			b = append(b, parent...)
			continue
		case "include-fragment":
			b = append(b, c.fragment(n, sec, scope, parent, top)...)
			continue
		}
		pol, ok := c.Registry[n.Name]
		if !ok {
			c.Errorf(n.Pos, n.Path, "unknown policy <%s>%s", n.Name, c.suggest(n.Name))
			continue
		}
		if pol.Sections&sec == 0 {
			c.Errorf(n.Pos, n.Path, "<%s> is not allowed in %s (allowed in: %s)", n.Name, sec, pol.Sections)
			continue
		}
		p := &Parser{c: c, n: n, section: sec, scope: scope}
		before := len(c.errs)
		step := pol.Parse(p)
		p.finish()
		if len(c.errs) > before || step == nil {
			continue
		}
		cs := &Compiled{Step: step, Name: n.Name, Path: c.pathPrefix + n.Path, Pos: n.Pos, Scope: scope, Section: sec}
		if a := n.Attr("id"); a != nil {
			cs.ID = a.Value
		}
		b = append(b, cs)
	}
	return b
}

// fragment splices a fragment's policies (include-fragment fragment-id="x").
func (c *Compiler) fragment(n *Node, sec Section, scope string, parent Block, top bool) Block {
	p := &Parser{c: c, n: n, section: sec, scope: scope}
	id := p.LitStr("fragment-id", true, "")
	p.finish()
	if id == "" {
		return nil
	}
	frag, ok := c.Fragments[id]
	if !ok {
		c.Errorf(n.Pos, n.Path, "unknown fragment %q (fragments live in apis/fragments/NAME.xml)", id)
		return nil
	}
	if c.depth > 10 {
		c.Errorf(n.Pos, n.Path, "fragments nest too deep (a fragment includes itself?)")
		return nil
	}
	c.depth++
	// Steps from the fragment report where they were included:
	// inbound/include-fragment[1]/send-request[2].
	prevPrefix := c.pathPrefix
	c.pathPrefix = prevPrefix + n.Path + "/"
	defer func() { c.depth--; c.pathPrefix = prevPrefix }()
	return c.block(frag.Children, sec, scope, parent, top)
}

func (c *Compiler) suggest(name string) string {
	best := nearest(name, maps.Keys(c.Registry))
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean <%s>?)", best)
}

// nearest returns the candidate within edit distance 2 of name, the
// closest and then the first in order, or "".
func nearest(name string, cands iter.Seq[string]) string {
	best, bestD := "", 3
	for k := range cands {
		if d := editDistance(name, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

func (c *Compiler) noAttrs(n *Node) {
	for _, a := range n.Attrs {
		c.Errorf(a.Pos, n.Path, "<%s> takes no attribute %q", n.Name, a.Name)
	}
}

func (c *Compiler) noText(n *Node) {
	if n.Text != "" {
		c.Errorf(n.TextPos, n.Path, "unexpected text in <%s>", n.Name)
	}
}

// Parser is handed to a policy's Parse: it reads attributes, child elements
// and text, compiles expressions, and records problems with their place.
// Attributes and children the policy does not read are reported as unknown.
type Parser struct {
	c         *Compiler
	n         *Node
	section   Section
	scope     string
	usedAttr  map[string]bool
	usedChild map[*Node]bool
	usedText  bool
	subs      []*Parser
}

// Node returns the element being parsed.
func (p *Parser) Node() *Node { return p.n }

// Section returns the section the element stands in.
func (p *Parser) Section() Section { return p.section }

// Scope returns the document's scope (global | api).
func (p *Parser) Scope() string { return p.scope }

// Path returns the element path.
func (p *Parser) Path() string { return p.n.Path }

// Errorf records a problem at the element.
func (p *Parser) Errorf(format string, args ...any) {
	p.c.Errorf(p.n.Pos, p.n.Path, format, args...)
}

// ErrorAt records a problem at pos.
func (p *Parser) ErrorAt(pos Pos, format string, args ...any) {
	p.c.Errorf(pos, p.n.Path, format, args...)
}

// Has reports whether the attribute is present (without consuming it).
func (p *Parser) Has(name string) bool { return p.n.Attr(name) != nil }

// Attr returns the raw attribute and marks it read; nil when absent.
func (p *Parser) Attr(name string) *Attr {
	if p.usedAttr == nil {
		p.usedAttr = map[string]bool{}
	}
	p.usedAttr[name] = true
	return p.n.Attr(name)
}

func (p *Parser) required(name string) {
	p.Errorf("<%s> needs the attribute %q", p.n.Name, name)
}

// Str reads an attribute that may be a literal or an expression yielding a string.
func (p *Parser) Str(name string, required bool, def string) Str {
	a := p.Attr(name)
	if a == nil {
		if required {
			p.required(name)
		}
		return ConstStr(def)
	}
	return p.strValue(attrSrc(a))
}

// Bool reads a boolean attribute (literal true/false or an expression).
func (p *Parser) Bool(name string, required bool, def bool) Bool {
	a := p.Attr(name)
	if a == nil {
		if required {
			p.required(name)
		}
		return ConstBool(def)
	}
	v, prog := p.value(attrSrc(a), kindBool)
	if prog != nil {
		return Bool{p: prog}
	}
	return ConstBool(p.parseBool(a, v))
}

// Int reads an integer attribute (literal or expression) within [min, max].
func (p *Parser) Int(name string, required bool, def, min, max int64) Int {
	a := p.Attr(name)
	if a == nil {
		if required {
			p.required(name)
		}
		return Int{c: def, min: min, max: max}
	}
	v, prog := p.value(attrSrc(a), kindNumber)
	if prog != nil {
		return Int{p: prog, min: min, max: max}
	}
	return Int{c: p.parseInt(a, v, min, max), min: min, max: max}
}

func (p *Parser) parseInt(a *Attr, v string, min, max int64) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		p.ErrorAt(a.ValuePos, "attribute %q must be a whole number, not %q", a.Name, v)
		return 0
	}
	if n < min || n > max {
		p.ErrorAt(a.ValuePos, "attribute %q must be %s, not %d", a.Name, rangeText(min, max), n)
	}
	return n
}

func (p *Parser) parseBool(a *Attr, v string) bool {
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.ErrorAt(a.ValuePos, "attribute %q must be true or false, not %q", a.Name, v)
	}
	return b
}

func rangeText(min, max int64) string {
	switch {
	case max == math.MaxInt64:
		return fmt.Sprintf("at least %d", min)
	case min == math.MinInt64:
		return fmt.Sprintf("at most %d", max)
	}
	return fmt.Sprintf("between %d and %d", min, max)
}

// Value reads an attribute of any type: a literal is a string constant, an
// expression keeps its result type.
func (p *Parser) Value(name string, required bool) Value {
	a := p.Attr(name)
	if a == nil {
		if required {
			p.required(name)
		}
		return Value{}
	}
	return p.anyValue(attrSrc(a))
}

// anyValue compiles a literal or an expression of any type from vs.
func (p *Parser) anyValue(vs *valueSrc) Value {
	v, prog := p.value(vs, kindAny)
	if prog != nil {
		return Value{p: prog}
	}
	return Value{c: v}
}

// value substitutes vs and compiles it when it is an expression, checking
// its result against want. prog is the program (failed when the value is
// unusable, already reported), or nil for a literal v.
func (p *Parser) value(vs *valueSrc, want kind) (v string, prog *program) {
	v, isExpr, vs := p.substitute(vs)
	switch {
	case vs == nil:
		return "", failed
	case isExpr:
		return "", p.compile(v, vs, want)
	}
	return v, nil
}

// literal reads attribute name for the Lit* readers. ok is false when the
// attribute is absent (an error if required), its ${...} substitution failed
// (already reported), or it is an expression (reported here): the reader
// then returns its default.
func (p *Parser) literal(name string, required bool) (a *Attr, v string, ok bool) {
	a = p.Attr(name)
	if a == nil {
		if required {
			p.required(name)
		}
		return nil, "", false
	}
	v, isExpr, vs := p.substitute(attrSrc(a))
	if vs == nil {
		return a, "", false
	}
	if isExpr {
		p.ErrorAt(a.ValuePos, "attribute %q does not take expressions", name)
		return a, "", false
	}
	return a, v, true
}

// LitStr reads an attribute that does not take expressions. With choices,
// the value must be one of them.
func (p *Parser) LitStr(name string, required bool, def string, choices ...string) string {
	a, v, ok := p.literal(name, required)
	if !ok {
		return def
	}
	if len(choices) > 0 {
		for _, ch := range choices {
			if v == ch {
				return v
			}
		}
		p.ErrorAt(a.ValuePos, "attribute %q must be one of %s, not %q", name, strings.Join(choices, ", "), v)
		return def
	}
	if required && v == "" {
		p.ErrorAt(a.ValuePos, "attribute %q must not be empty", name)
	}
	return v
}

// LitInt reads an integer attribute that does not take expressions.
func (p *Parser) LitInt(name string, required bool, def, min, max int64) int64 {
	a, v, ok := p.literal(name, required)
	if !ok {
		return def
	}
	return p.parseInt(a, v, min, max)
}

// LitBool reads a boolean attribute that does not take expressions.
func (p *Parser) LitBool(name string, def bool) bool {
	a, v, ok := p.literal(name, false)
	if !ok {
		return def
	}
	return p.parseBool(a, v)
}

// TextStr reads the element's text as a string literal or expression.
func (p *Parser) TextStr() Str {
	p.usedText = true
	return p.strValue(textSrc(p.n))
}

// TextValue reads the element's text as a literal or an expression of any type.
func (p *Parser) TextValue() Value {
	p.usedText = true
	return p.anyValue(textSrc(p.n))
}

// HasText reports whether the element has text.
func (p *Parser) HasText() bool { return p.n.Text != "" }

// Children returns the child elements; each must be taken with Child or
// Block, or it is reported as unknown.
func (p *Parser) Children() []*Node { return p.n.Children }

// Child returns a parser for a child element that is not a policy (such as
// <value> or <set-url>), marking it read.
func (p *Parser) Child(n *Node) *Parser {
	if p.usedChild == nil {
		p.usedChild = map[*Node]bool{}
	}
	p.usedChild[n] = true
	sub := &Parser{c: p.c, n: n, section: p.section, scope: p.scope}
	p.subs = append(p.subs, sub)
	return sub
}

// Skip marks a child as read without parsing it.
func (p *Parser) Skip(n *Node) {
	if p.usedChild == nil {
		p.usedChild = map[*Node]bool{}
	}
	p.usedChild[n] = true
}

// Block compiles child elements as nested policies (the body of <when>).
func (p *Parser) Block(nodes []*Node) Block {
	for _, n := range nodes {
		p.Skip(n)
	}
	return p.c.block(nodes, p.section, p.scope, nil, false)
}

func (p *Parser) finish() {
	for _, a := range p.n.Attrs {
		if a.Name == "id" || p.usedAttr[a.Name] {
			continue
		}
		p.ErrorAt(a.Pos, "<%s> has no attribute %q%s", p.n.Name, a.Name, p.attrHint(a.Name))
	}
	for _, ch := range p.n.Children {
		if !p.usedChild[ch] {
			p.ErrorAt(ch.Pos, "unexpected element <%s> inside <%s>", ch.Name, p.n.Name)
		}
	}
	if !p.usedText && p.n.Text != "" {
		p.ErrorAt(p.n.TextPos, "unexpected text inside <%s>", p.n.Name)
	}
	for _, s := range p.subs {
		s.finish()
	}
}

func (p *Parser) attrHint(name string) string {
	if best := nearest(name, maps.Keys(p.usedAttr)); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(p.usedAttr) > 0 {
		known := make([]string, 0, len(p.usedAttr))
		for k := range p.usedAttr {
			known = append(known, k)
		}
		sort.Strings(known)
		return " (known: " + strings.Join(known, ", ") + ")"
	}
	return ""
}

// strValue compiles a literal-or-expression string.
func (p *Parser) strValue(vs *valueSrc) Str {
	v, prog := p.value(vs, kindString)
	if prog != nil {
		return Str{p: prog}
	}
	return ConstStr(v)
}

func attrSrc(a *Attr) *valueSrc {
	return &valueSrc{raw: a.Value, loc: loc{pos: a.ValuePos, li: a.li, off: a.off}}
}

func textSrc(n *Node) *valueSrc {
	return &valueSrc{raw: n.Text, loc: loc{pos: n.TextPos, li: n.li, off: n.textOff, text: true}}
}

// substitute replaces {{named}} values and says whether the result is an
// expression (then trimmed). It reports unknown names and half-written
// expressions. A nil valueSrc means the value is unusable (already
// reported): callers must not check it further, so one mistake gives one
// message.
func (p *Parser) substitute(vs *valueSrc) (string, bool, *valueSrc) {
	v := vs.raw
	if strings.Contains(v, "{{") {
		out, spans, _, at, err := p.c.Named.substitute(v)
		if err != nil {
			p.ErrorAt(vs.loc.at(vs.raw, at), "%s", err.Error())
			p.c.poison(vs.loc.pos)
			return "", false, nil
		}
		v, vs.spans = out, spans
	}
	vs.subst = v
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "@(") || strings.HasPrefix(t, "@{") {
		vs.lead = strings.Index(v, t)
		return t, true, vs
	}
	if i := strings.Index(t, "@("); i >= 0 && exprEnd(t[i:]) > 0 {
		lead := strings.Index(v, t)
		p.ErrorAt(vs.pos(lead+i-vs.lead), "an expression must be the whole value: write @(%q + ...) instead of mixing text and @(...)", t[:i])
		p.c.poison(vs.loc.pos)
		return "", false, nil
	}
	return v, false, vs
}

type kind int

const (
	kindAny kind = iota
	kindString
	kindBool
	kindNumber
)

// compile compiles "@(...)" or "@{...}" against the typed environment and
// checks its result type. raw is the text as written, for messages (it
// still has {{names}}, so secrets never appear in errors).
func (p *Parser) compile(v string, vs *valueSrc, want kind) *program {
	pos := vs.pos(0)
	ce, ok := p.compileExpr(v, vs, pos)
	if !ok {
		p.c.poison(vs.loc.pos)
		return failed
	}
	return p.checkKind(ce, vs, pos, want)
}

func (p *Parser) compileExpr(v string, vs *valueSrc, pos Pos) (*compiledExpr, bool) {
	end := exprEnd(v)
	if end != len(v) {
		if end < 0 {
			p.ErrorAt(pos, "unterminated expression: no closing %q for this %q (check brackets and quotes)", map[byte]string{'(': ")", '{': "}"}[v[1]], v[:2])
		} else {
			p.ErrorAt(vs.pos(end), "text after the expression: a value is either a literal or one whole @(...) expression")
		}
		return nil, false
	}
	src := v[2 : len(v)-1]
	if strings.TrimSpace(src) == "" {
		p.ErrorAt(pos, "empty expression")
		return nil, false
	}
	return p.compileText(src, v[1] == '{', vs)
}

func (p *Parser) checkKind(ce *compiledExpr, vs *valueSrc, pos Pos, want kind) *program {
	raw := vs.raw
	k := ce.kind()
	if k != reflect.Invalid && k != reflect.Interface {
		ok := true
		switch want {
		case kindString:
			ok = k == reflect.String
		case kindBool:
			ok = k == reflect.Bool
		case kindNumber:
			switch k {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			default:
				ok = false
			}
		}
		if !ok {
			p.ErrorAt(pos, "expression yields %s, but this value must be %s", ce.typeName(), [...]string{"any", "a string", "a bool", "a number"}[want])
			p.c.poison(vs.loc.pos)
			return failed
		}
	}
	pr := &program{
		prog:   ce.prog,
		interp: ce.interp,
		src:    strings.TrimSpace(raw),
		secret: vs.secret(),
		csharp: ce.cs != nil,
	}
	if ce.prog != nil {
		pr.elapsed = strings.Contains(ce.prog.Source().String(), "Elapsed")
		if !pr.elapsed { // context.Elapsed is set by run: leave those to the VM
			pr.fast = buildFast(ce.prog.Node())
		}
	} else {
		pr.elapsed = strings.Contains(raw, "Elapsed")
	}
	return pr
}

// exprEnd returns the length of the @(...) or @{...} expression at the start
// of s (brackets inside string literals and comments do not count), or -1.
func exprEnd(s string) int {
	if len(s) < 2 || s[0] != '@' || (s[1] != '(' && s[1] != '{') {
		return -1
	}
	open, closer := s[1], byte(')')
	if open == '{' {
		closer = '}'
	}
	depth := 0
	for i := 1; i < len(s); i++ {
		if end, ok := skipLiteral(s, i); ok {
			if end < 0 {
				return -1
			}
			i = end - 1
			continue
		}
		c := s[i]
		switch {
		case c == open:
			depth++
		case c == closer:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// blockToExpr maps APIM's multi-statement @{ ...; return x; } onto expr's
// let-sequences: `return` is dropped and the final ';' removed. Both are
// replaced by spaces so error columns stay right.
func blockToExpr(src string) string {
	b := []byte(src)
	// trailing ';'
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r' {
			continue
		}
		if b[i] == ';' {
			b[i] = ' '
		}
		break
	}
	// 'return' keywords outside strings, at a statement start
	inStr := byte(0)
	stmtStart := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr != 0 {
			if c == '\\' && inStr != '`' {
				i++
			} else if c == inStr {
				inStr = 0
			}
			continue
		}
		switch {
		case c == '"' || c == '\'' || c == '`':
			inStr = c
			stmtStart = false
		case c == ';' || c == '{':
			stmtStart = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case stmtStart && strings.HasPrefix(string(b[i:]), "return") && (i+6 == len(b) || !isIdent(b[i+6])):
			copy(b[i:], "      ")
			i += 5
			stmtStart = false
		default:
			stmtStart = false
		}
	}
	return string(b)
}

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func editDistance(a, b string) int {
	if a == b {
		return 0
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
