package engine

import (
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"
)

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
	element   bool     // not a policy: "id" is not implied
	branches  []Branch // nested blocks compiled through Block, for Compiled.Branches
}

// Element reads n, an element that is not a policy (api.xml's <api>), with
// the readers policies use: read takes what it needs from p, and whatever
// it leaves unread (attributes, children, text) is reported as for a
// policy. It reports whether n was read without a problem; the problems
// are in c.Errors().
func (c *Compiler) Element(n *Node, read func(p *Parser)) bool {
	before := len(c.errs)
	p := &Parser{c: c, n: n, element: true}
	read(p)
	p.finish()
	return len(c.errs) == before
}

// Node returns the element being parsed.
func (p *Parser) Node() *Node { return p.n }

// Section returns the section the element stands in.
func (p *Parser) Section() Section { return p.section }

// Scope returns the document's scope (global | product | api | operation).
func (p *Parser) Scope() string { return p.scope }

// SchemaDoc is a schema resource: its type ("json" or "xml"), its
// document, and the file it came from (for errors).
type SchemaDoc struct {
	Type string
	Doc  []byte
	File string
}

// GlobalSchema is the schema resource called id.
func (p *Parser) GlobalSchema(id string) (SchemaDoc, bool) {
	d, ok := p.c.Schemas[id]
	return d, ok
}

// GlobalSchemaIDs are the names of the schema resources, sorted.
func (p *Parser) GlobalSchemaIDs() []string {
	ids := make([]string, 0, len(p.c.Schemas))
	for id := range p.c.Schemas {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// UseBackend checks the attribute attr that names a backend entity
// (set-backend-service backend-id, llm-content-safety backend-id, …): a
// literal name must be one of the scope's backends, and one that can be
// used (UnusableBackends); either problem is an error at the value. An
// expression (isExpr; name is then ignored) may name any backend at run
// time: its place is noted (Compiler.BackendExpressions). It reports
// whether the attribute is good; an absent attribute is not (the reader
// of a required one has reported it).
func (p *Parser) UseBackend(attr, name string, isExpr bool) bool {
	a := p.n.Attr(attr)
	if a == nil {
		return false
	}
	if isExpr {
		p.c.backendExprs = append(p.c.backendExprs, a.ValuePos)
		return true
	}
	if name == "" {
		return false // reported by the attribute's reader
	}
	if !p.c.Backends[name] {
		p.ErrorAt(a.ValuePos, "%s %q names no backend (%s)", attr, name, p.BackendsWhere())
		return false
	}
	if why := p.c.UnusableBackends[name]; why != "" {
		p.ErrorAt(a.ValuePos, "%s %q names a backend that cannot be used: %s", attr, name, why)
		return false
	}
	return true
}

// BackendsWhere says where the backend entities a backend-id may name are
// defined (for an error about one that is missing).
func (p *Parser) BackendsWhere() string {
	if p.c.BackendsWhere == "" {
		return "backends/NAME/backendInformation.json"
	}
	return p.c.BackendsWhere
}

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

// Noticef records a notice at the element: the document loads, but the
// operator should know (it does not do what it may look like it does, or
// tollgate accepts what APIM's documentation says it refuses because
// deployed policies show APIM accepting it). Compiler.Noticef.
func (p *Parser) Noticef(format string, args ...any) {
	p.c.Noticef(p.n.Pos, p.n.Path, format, args...)
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

// attrOrReport is Attr, reporting a missing attribute that is required.
func (p *Parser) attrOrReport(name string, required bool) *Attr {
	a := p.Attr(name)
	if a == nil && required {
		p.Errorf("<%s> needs the attribute %q", p.n.Name, name)
	}
	return a
}

// The attribute readers come in pairs: X(name, def, ...) reads an optional
// attribute and gives def when it is absent; RequiredX(name, ...) reports a
// missing attribute (and gives a placeholder: the Step of a Parse that
// reported anything is discarded).

// Str reads an optional attribute that may be a literal or an expression
// yielding a string.
func (p *Parser) Str(name, def string) Str { return p.str(name, false, def) }

// RequiredStr reads a required attribute that may be a literal or an
// expression yielding a string.
func (p *Parser) RequiredStr(name string) Str { return p.str(name, true, "") }

func (p *Parser) str(name string, required bool, def string) Str {
	a := p.attrOrReport(name, required)
	if a == nil {
		return ConstStr(def)
	}
	return p.strValue(attrSrc(a))
}

// Bool reads an optional boolean attribute (literal true/false or an
// expression).
func (p *Parser) Bool(name string, def bool) Bool { return p.bool(name, false, def) }

// RequiredBool reads a required boolean attribute (literal true/false or an
// expression).
func (p *Parser) RequiredBool(name string) Bool { return p.bool(name, true, false) }

func (p *Parser) bool(name string, required bool, def bool) Bool {
	a := p.attrOrReport(name, required)
	if a == nil {
		return ConstBool(def)
	}
	v, prog := p.value(attrSrc(a), kindBool)
	if prog != nil {
		return Bool{p: prog}
	}
	return ConstBool(p.parseBool(a, v))
}

// Int reads an optional integer attribute (literal or expression) within
// [min, max].
func (p *Parser) Int(name string, def, min, max int64) Int { return p.int(name, false, def, min, max) }

// RequiredInt reads a required integer attribute (literal or expression)
// within [min, max].
func (p *Parser) RequiredInt(name string, min, max int64) Int {
	return p.int(name, true, min, min, max)
}

func (p *Parser) int(name string, required bool, def, min, max int64) Int {
	a := p.attrOrReport(name, required)
	if a == nil {
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

// Value reads an optional attribute of any type: a literal is a string
// constant, an expression keeps its result type. Absent, it is the zero
// Value.
func (p *Parser) Value(name string) Value { return p.attrValue(name, false) }

// RequiredValue reads a required attribute of any type.
func (p *Parser) RequiredValue(name string) Value { return p.attrValue(name, true) }

func (p *Parser) attrValue(name string, required bool) Value {
	a := p.attrOrReport(name, required)
	if a == nil {
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
	if a = p.attrOrReport(name, required); a == nil {
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

// LiteralText reads a free-text attribute that does not take
// expressions (a trace's source). A value written as an expression is
// taken as its literal text, with a notice: APIM's reference says the
// attribute takes no expressions, and APIM loads such values.
// Required, it must be there and not be empty.
func (p *Parser) LiteralText(name string, required bool) string {
	a := p.attrOrReport(name, required)
	if a == nil {
		return ""
	}
	v, isExpr, vs := p.substitute(attrSrc(a))
	if vs == nil {
		return ""
	}
	if isExpr {
		p.c.Noticef(a.ValuePos, p.n.Path, "taken as literal text: attribute %q takes no expressions in APIM", name)
		return vs.subst
	}
	if required && v == "" {
		p.ErrorAt(a.ValuePos, "attribute %q must not be empty", name)
	}
	return v
}

// LitStr reads an optional attribute that does not take expressions. With
// choices, the value must be one of them.
func (p *Parser) LitStr(name, def string, choices ...string) string {
	return p.litStr(name, false, def, choices...)
}

// RequiredLitStr reads a required attribute that does not take expressions
// and must not be empty. With choices, the value must be one of them.
func (p *Parser) RequiredLitStr(name string, choices ...string) string {
	return p.litStr(name, true, "", choices...)
}

func (p *Parser) litStr(name string, required bool, def string, choices ...string) string {
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

// LitInt reads an optional integer attribute within [min, max] that does
// not take expressions.
func (p *Parser) LitInt(name string, def, min, max int64) int64 {
	return p.litInt(name, false, def, min, max)
}

// RequiredLitInt reads a required integer attribute within [min, max] that
// does not take expressions.
func (p *Parser) RequiredLitInt(name string, min, max int64) int64 {
	return p.litInt(name, true, min, min, max)
}

func (p *Parser) litInt(name string, required bool, def, min, max int64) int64 {
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
	b := p.c.block(nodes, p.section, p.scope, nil, false)
	br := Branch{Name: p.n.Name, Path: p.c.pathPrefix + p.n.Path, Pos: p.n.Pos, Steps: b}
	if a := p.n.Attr("condition"); a != nil {
		br.Condition = a.Value
	}
	p.branches = append(p.branches, br)
	return b
}

// BlockIn compiles child elements as nested policies of section sec:
// http-data-source's <http-request> children are inbound policies acting on
// the resolver's request, its <http-response> children outbound ones.
func (p *Parser) BlockIn(nodes []*Node, sec Section) Block {
	saved := p.section
	p.section = sec
	defer func() { p.section = saved }()
	return p.Block(nodes)
}

// allBranches lists the nested blocks compiled by p and its child parsers,
// in document order.
func (p *Parser) allBranches() []Branch {
	out := p.branches
	for _, sub := range p.subs {
		out = append(out, sub.allBranches()...)
	}
	return out
}

func (p *Parser) finish() {
	for _, a := range p.n.Attrs {
		if (a.Name == "id" && !p.element) || p.usedAttr[a.Name] {
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
		// APIM takes a value as an expression only when it is one whole
		// @(...) or @{...}: text around one is literal text, "@(" and
		// all. So does tollgate, with a notice, as it is rarely meant.
		lead := strings.Index(v, t)
		if lit := t[:i]; len(lit) > 40 || strings.ContainsAny(lit, "\r\n") {
			// a JSON body with @(...) in it: quoting its text back is noise
			p.c.Noticef(vs.pos(lead+i-vs.lead), p.n.Path, "taken as literal text, as APIM takes it: text mixed with @(...) is not an expression; build the whole value in one @(...) or @{...} (e.g. new JObject(...).ToString()) to evaluate it")
		} else {
			p.c.Noticef(vs.pos(lead+i-vs.lead), p.n.Path, "taken as literal text, as APIM takes it: text mixed with @(...) is not an expression; write @(%q + ...) to evaluate it", lit)
		}
	}
	return v, false, vs
}
