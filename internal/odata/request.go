package odata

import (
	"net/url"
	"strconv"
	"strings"
)

// Request is what CheckRequest looks at: the method, the path below the
// service root (escaped, as the URL has it), the raw query, and the
// OData version the request is read with (4.0 or 4.01).
type Request struct {
	Method   string
	Path     string
	RawQuery string
	V401     bool
	// PathDecoded says Path is already percent-decoded (a URL's Path,
	// rather than its escaped form): its segments are not decoded again.
	PathDecoded bool
}

// Problem is one thing wrong with a request: where (the resource path,
// a query option by name, or the query string) and what.
type Problem struct {
	Where string // "resource path", "$filter", "query", "@alias", …
	Msg   string
}

func (p Problem) String() string { return p.Where + ": " + p.Msg }

// Limits of a request's URL.
const (
	// MaxOptionBytes bounds one query option's decoded value.
	MaxOptionBytes = 64 << 10
	// MaxQueryOptions bounds the query options of a request.
	MaxQueryOptions = 200
	// MaxPathSegments bounds the resource path's segments.
	MaxPathSegments = 100
	// MaxExpandDepth bounds $expand's nesting ($expand=a($expand=b(…))).
	MaxExpandDepth = 20
)

// resource is what a resource path identifies.
type resource struct {
	kind string // service, metadata, batch, entity-id, entities, entity, complex, complexes, primitive, primitives, count, value, ref, action, unknown
	t    *Type  // the (item) type, when known
}

func (r resource) coll() bool {
	switch r.kind {
	case "entities", "complexes", "primitives", "ref-coll", "unknown-coll":
		return true
	}
	return false
}

// systemOptions are the system query options (4.01 lets them go without
// "$", and in any case).
var systemOptions = []string{"$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$count", "$search",
	"$format", "$skiptoken", "$deltatoken", "$apply", "$compute", "$index", "$schemaversion", "$id"}

// CheckRequest checks a request against the model: the resource path,
// then the query options. It returns every problem found (at most one
// per option).
func (m *Model) CheckRequest(r Request) []Problem {
	var probs []Problem
	res, perr := m.resourcePath(r)
	if perr != nil {
		probs = append(probs, Problem{"resource path", perr.Error()})
		res = resource{kind: "unknown"}
	}
	opts, q, qprobs := m.readQuery(r, res)
	probs = append(probs, qprobs...)
	if len(qprobs) > 0 && len(opts) == 0 {
		return probs
	}
	probs = append(probs, m.checkOptions(r, res, opts, q)...)
	return probs
}

// option is one query option as read from the query string.
type option struct {
	name  string // as written
	sys   string // the system option it is ("$filter"), or ""
	value string // decoded
}

// queryCtx is what options share: the aliases and the computed properties.
type queryCtx struct {
	aliases  map[string]*aliasVal
	computed map[string]etype
}

type aliasVal struct {
	value string
	t     etype
	state uint8 // 0 not read, 1 reading, 2 read
	err   *SyntaxError
}

// alias is the type of @name: its value's, read with the checker's
// scope; an alias without a value is null (URL Conventions 5.1.1.14.1).
func (q *queryCtx) alias(c *checker, t token) (etype, *SyntaxError) {
	a := q.aliases[t.text]
	if a == nil {
		return etype{null: true}, nil
	}
	switch a.state {
	case 1:
		return etype{}, errAt(t.pos, "parameter alias @%s refers to itself", t.text)
	case 2:
		return a.t, a.err
	}
	a.state = 1
	toks, err := lex(a.value)
	if err == nil {
		sub := &checker{m: c.m, toks: toks, v401: c.v401, it: c.it, this: c.this, q: q, depth: c.depth}
		a.t, err = sub.parseAll()
	}
	a.state = 2
	if err != nil {
		a.err = errAt(t.pos, "the value of @%s: %s", t.text, err.Msg)
		return etype{}, a.err
	}
	return a.t, nil
}

// readQuery splits the query string into options: system options (a
// known name; an unknown $name is a problem), aliases (@name) and custom
// options. A repeated system option or alias is a problem.
func (m *Model) readQuery(r Request, res resource) ([]option, *queryCtx, []Problem) {
	q := &queryCtx{aliases: map[string]*aliasVal{}, computed: map[string]etype{}}
	var opts []option
	var probs []Problem
	if r.RawQuery == "" {
		return nil, q, nil
	}
	seen := map[string]bool{}
	parts := strings.Split(r.RawQuery, "&")
	if len(parts) > MaxQueryOptions {
		return nil, q, []Problem{{"query", "more than " + strconv.Itoa(MaxQueryOptions) + " query options"}}
	}
	for _, part := range parts {
		if part == "" {
			continue
		}
		rawName, rawValue, hasEq := strings.Cut(part, "=")
		name, err1 := url.QueryUnescape(rawName)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			probs = append(probs, Problem{"query", "a malformed percent-encoding in " + strconv.Quote(clip(part))})
			continue
		}
		if strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			probs = append(probs, Problem{"query", "a control character in an option's name"})
			continue
		}
		if len(value) > MaxOptionBytes {
			probs = append(probs, Problem{name, "the value is longer than " + strconv.Itoa(MaxOptionBytes) + " bytes"})
			continue
		}
		o := option{name: name, value: value}
		switch {
		case strings.HasPrefix(name, "$"):
			o.sys = sysName(name, r.V401)
			if o.sys == "" {
				probs = append(probs, Problem{name, "unknown system query option (known: " + strings.Join(systemOptions, ", ") + ")"})
				continue
			}
		case strings.HasPrefix(name, "@"):
			if !validIdent(name[1:]) && !validNamespace(name[1:]) {
				probs = append(probs, Problem{name, "a parameter alias is @ and an identifier"})
				continue
			}
			if q.aliases[name[1:]] != nil {
				probs = append(probs, Problem{name, "the parameter alias is given twice"})
				continue
			}
			if !hasEq {
				probs = append(probs, Problem{name, "a parameter alias needs a value (@name=value)"})
				continue
			}
			q.aliases[name[1:]] = &aliasVal{value: value}
			continue
		case r.V401:
			// 4.01: system query options may be written without "$".
			o.sys = sysName("$"+name, true)
		}
		if o.sys == "" {
			continue // a custom query option: the service's
		}
		if seen[o.sys] {
			probs = append(probs, Problem{name, "the system query option " + o.sys + " is given twice"})
			continue
		}
		seen[o.sys] = true
		opts = append(opts, o)
	}
	return opts, q, probs
}

// sysName is the system option name n is ("$filter"), or "": exactly in
// 4.0, in any case in 4.01.
func sysName(n string, v401 bool) string {
	for _, s := range systemOptions {
		if n == s || (v401 && strings.EqualFold(n, s)) {
			return s
		}
	}
	return ""
}

// collectionOnly are the options that apply to collections.
var collectionOnly = map[string]bool{"$filter": true, "$orderby": true, "$top": true, "$skip": true, "$search": true,
	"$count": true, "$skiptoken": true, "$deltatoken": true, "$apply": true, "$index": true}

func (m *Model) checkOptions(r Request, res resource, opts []option, q *queryCtx) []Problem {
	var probs []Problem
	add := func(o option, msg string) { probs = append(probs, Problem{o.name, msg}) }
	has := map[string]bool{}
	for _, o := range opts {
		has[o.sys] = true
	}
	switch res.kind {
	case "metadata", "batch", "service":
		for _, o := range opts {
			if o.sys != "$format" && !(o.sys == "$schemaversion" && res.kind == "metadata") {
				add(o, "does not apply to "+map[string]string{"metadata": "$metadata", "batch": "$batch", "service": "the service document"}[res.kind])
			}
		}
		return append(probs, m.checkValues(r, res, opts, q)...)
	case "entity-id":
		if !has["$id"] {
			probs = append(probs, Problem{"$id", "$entity needs the entity's id: $entity?$id=…"})
		}
	}
	for _, o := range opts {
		switch {
		case res.kind == "unknown" || res.kind == "unknown-coll":
		case collectionOnly[o.sys] && res.kind == "count" && (o.sys == "$filter" || o.sys == "$search"):
		case collectionOnly[o.sys] && !res.coll():
			add(o, "applies to a collection; the resource path identifies "+res.describe())
		case (o.sys == "$select" || o.sys == "$expand") && !(res.kind == "entity" || res.kind == "entities" || res.kind == "entity-id" ||
			(o.sys == "$select" && (res.kind == "complex" || res.kind == "complexes"))):
			add(o, "applies to entities (and $select to complex values); the resource path identifies "+res.describe())
		case o.sys == "$id" && res.kind != "entity-id" && res.kind != "ref" && res.kind != "ref-coll":
			add(o, "applies to $entity and $ref requests only")
		}
	}
	if len(probs) > 0 {
		return probs
	}
	return m.checkValues(r, res, opts, q)
}

func (r resource) describe() string {
	switch r.kind {
	case "entity":
		return "a single entity"
	case "complex":
		return "a complex value"
	case "primitive":
		return "a primitive value"
	case "count":
		return "a count ($count)"
	case "value":
		return "a raw value ($value)"
	case "ref":
		return "an entity reference ($ref)"
	case "action":
		return "an action"
	case "entity-id":
		return "an entity by id ($entity)"
	}
	return r.kind
}

// checkValues checks each option's value ($compute first: its properties
// may be used by the others).
func (m *Model) checkValues(r Request, res resource, opts []option, q *queryCtx) []Problem {
	var probs []Problem
	it := etype{t: res.t}
	order := func(o option) int {
		if o.sys == "$compute" {
			return 0
		}
		return 1
	}
	for pass := 0; pass < 2; pass++ {
		for _, o := range opts {
			if order(o) != pass {
				continue
			}
			if msg := m.checkValue(r, res, it, o, q); msg != "" {
				probs = append(probs, Problem{o.name, msg})
			}
		}
	}
	// Aliases nothing used: their syntax at least.
	for name, a := range q.aliases {
		if a.state == 0 {
			toks, err := lex(a.value)
			if err == nil {
				c := &checker{m: m, toks: toks, v401: r.V401, it: it, this: it, q: q}
				_, err = c.parseAll()
			}
			if err != nil {
				probs = append(probs, Problem{"@" + name, err.Error()})
			}
		}
	}
	return probs
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (m *Model) checkValue(r Request, res resource, it etype, o option, q *queryCtx) string {
	v := o.value
	// check lexes the value and reads it with one of the checker's
	// readers: the lexer's or the reader's syntax error as the problem.
	check := func(read func(c *checker) *SyntaxError) string {
		toks, err := lex(v)
		if err == nil {
			err = read(&checker{m: m, toks: toks, v401: r.V401, it: it, this: it, q: q})
		}
		if err != nil {
			return err.Error()
		}
		return ""
	}
	switch o.sys {
	case "$top", "$skip":
		if !isDigits(v) {
			return "must be a non-negative integer, not " + strconv.Quote(clip(v))
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "is too large"
		}
	case "$index":
		if !isDigits(strings.TrimPrefix(v, "-")) {
			return "must be an integer, not " + strconv.Quote(clip(v))
		}
	case "$count":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "must be true or false, not " + strconv.Quote(clip(v))
		}
	case "$format":
		switch strings.ToLower(v) {
		case "json", "atom", "xml":
		default:
			mt, _, _ := strings.Cut(v, ";")
			typ, sub, ok := strings.Cut(mt, "/")
			if !ok || typ == "" || sub == "" || strings.ContainsAny(mt, " \t\x00") {
				return "must be json, atom, xml or a media type (application/json;odata.metadata=minimal), not " + strconv.Quote(clip(v))
			}
		}
	case "$skiptoken", "$deltatoken", "$id":
		if v == "" {
			return "needs a value"
		}
		if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return "a control character in the value"
		}
	case "$schemaversion":
		if v != "*" && !unreserved(v) {
			return "must be * or a version (letters, digits, - . _ ~), not " + strconv.Quote(clip(v))
		}
	case "$apply":
		// The aggregation extension's transformations are not checked:
		// passed to the service as they are (docs/policies-validation.md).
		if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return "a control character in the value"
		}
	case "$search":
		if err := checkSearch(v); err != nil {
			return err.Error()
		}
	case "$filter":
		var e etype
		if msg := check(func(c *checker) (err *SyntaxError) { e, err = c.parseAll(); return err }); msg != "" {
			return msg
		}
		if !loose(e) && !is(e, "Boolean") {
			return "must be a Boolean expression, not " + e.name()
		}
	case "$orderby":
		return check(func(c *checker) *SyntaxError { return c.orderby(true) })
	case "$compute":
		return check(func(c *checker) *SyntaxError { return c.compute(true) })
	case "$select":
		return check(func(c *checker) *SyntaxError { return c.selectItems(it, true) })
	case "$expand":
		return check(func(c *checker) *SyntaxError { return c.expandItems(it, true, 0) })
	}
	return ""
}

func unreserved(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// atEnd reports whether the option's value ends here: the end (top), or
// ";" or ")" (nested in $expand or $select).
func (c *checker) atEnd(top bool) bool {
	t := c.peek()
	if top {
		return t.kind == tEOF
	}
	return t.kind == tEOF || (t.kind == tPunct && (t.text == ";" || t.text == ")"))
}

func (c *checker) endErr(top bool) *SyntaxError {
	t := c.peek()
	if top {
		return errAt(t.pos, "unexpected %s (items are separated by commas)", describe(t))
	}
	return errAt(t.pos, "unexpected %s (nested options are separated by ;)", describe(t))
}

// items reads a comma-separated list of items, each with item, to the end
// of the option (top) or of a nested one (; or its closing parenthesis).
func (c *checker) items(top bool, item func() *SyntaxError) *SyntaxError {
	for {
		if err := item(); err != nil {
			return err
		}
		if c.isPunct(",") {
			c.next()
			continue
		}
		if c.atEnd(top) {
			return nil
		}
		return c.endErr(top)
	}
}

// orderby reads expr [asc|desc], …
func (c *checker) orderby(top bool) *SyntaxError {
	return c.items(top, func() *SyntaxError {
		e, err := c.parseExpr()
		if err != nil {
			return err
		}
		if !loose(e) && (e.coll || base(e.t).IsStructured() || isGeo(e) || is(e, "Stream")) {
			return errAt(c.peek().pos, "cannot order by %s", e.name())
		}
		if t := c.peek(); t.space && (c.keyword(t, "asc") || c.keyword(t, "desc")) {
			c.next()
		}
		return nil
	})
}

// compute reads expr as Name, … and records the computed properties.
func (c *checker) compute(top bool) *SyntaxError {
	return c.items(top, func() *SyntaxError {
		e, err := c.parseExpr()
		if err != nil {
			return err
		}
		as := c.next()
		if !as.space || !c.keyword(as, "as") {
			return errAt(as.pos, "a computed property is written expression as Name; found %s", describe(as))
		}
		n := c.next()
		if n.kind != tIdent || strings.Contains(n.text, ".") {
			return errAt(n.pos, "a computed property's name is an identifier, not %s", describe(n))
		}
		if st := base(c.this.t); st.IsStructured() && (st.Property(n.text) != nil || st.Navigation(n.text) != nil) {
			return errAt(n.pos, "%s is already a property of %s", n.text, st.QName())
		}
		if c.q != nil {
			if _, dup := c.q.computed[n.text]; dup {
				return errAt(n.pos, "computed property %s is defined twice", n.text)
			}
			e.lit, e.str = false, nil
			c.q.computed[n.text] = e
		}
		return nil
	})
}

// selectItems reads $select's items on type t.
func (c *checker) selectItems(t etype, top bool) *SyntaxError {
	if err := c.enter(c.peek().pos); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	return c.items(top, func() *SyntaxError { return c.selectItem(t) })
}

func (c *checker) selectItem(t etype) *SyntaxError {
	tok := c.next()
	switch {
	case tok.kind == tPunct && tok.text == "*":
		return nil
	case tok.kind == tAlias:
		return nil // an annotation
	case tok.kind == tIdent && strings.HasSuffix(tok.text, ".*"):
		ns := strings.TrimSuffix(tok.text, ".*")
		if !c.m.namespaces[ns] && !c.m.external[ns] && c.m.aliasNS(ns) == "" {
			return errAt(tok.pos, "%s is not a namespace of the model", ns)
		}
		return nil
	case tok.kind != tIdent:
		return errAt(tok.pos, "a property name was expected in $select, not %s", describe(tok))
	}
	cur := t
	for {
		if !cur.known() {
			// Below a dynamic property: nothing more to check.
			c.skipSelectRest()
			return nil
		}
		st := base(cur.t)
		switch {
		case strings.Contains(tok.text, "."):
			if typ := c.m.Type(tok.text); typ != nil {
				if st.IsStructured() && !typ.DerivesFrom(st) {
					return errAt(tok.pos, "%s is not %s or a type derived from it", typ.QName(), st.QName())
				}
				cur = etype{t: typ, coll: cur.coll}
				break
			}
			if ops := c.m.Operations(tok.text); len(ops) > 0 {
				if c.isPunct("(") { // the overload's parameter names
					if err := c.skipParens(); err != nil {
						return err
					}
				}
				return nil
			}
			return errAt(tok.pos, "%s is not a type, action or function of the model", clip(tok.text))
		case !st.IsStructured():
			return errAt(tok.pos, "%s has no member %s", cur.name(), tok.text)
		default:
			if p := st.Property(tok.text); p != nil {
				cur = etype{t: p.Type.Type, coll: p.Type.Collection}
			} else if st.Navigation(tok.text) != nil {
				return nil
			} else if e, ok := c.computed(tok.text); ok {
				cur = e
			} else if isOpen(st) {
				cur = tUnknown
			} else {
				return errAt(tok.pos, "%s is not a property of %s", tok.text, st.QName())
			}
		}
		if c.isPunct("(") {
			// 4.01: nested options of a collection-valued or complex property.
			c.next()
			if err := c.nestedOptions(cur, false, 0); err != nil {
				return err
			}
			return nil
		}
		if !c.isPunct("/") {
			return nil
		}
		c.next()
		tok = c.next()
		if tok.kind != tIdent {
			return errAt(tok.pos, "a property name was expected after /, not %s", describe(tok))
		}
	}
}

func (c *checker) skipSelectRest() {
	for !c.isPunct(",") && !c.atEnd(false) {
		if c.isPunct("(") {
			if c.skipParens() != nil {
				return
			}
			continue
		}
		c.next()
	}
}

// computed is the type of a $compute property of the request.
func (c *checker) computed(name string) (etype, bool) {
	if c.q == nil {
		return etype{}, false
	}
	e, ok := c.q.computed[name]
	return e, ok
}

// aliasNS is the namespace an alias stands for ("" if none).
func (m *Model) aliasNS(a string) string {
	for q, t := range m.types {
		if strings.HasPrefix(q, a+".") && t.Namespace != a {
			return t.Namespace
		}
	}
	return ""
}

// expandItems reads $expand's items on type t.
func (c *checker) expandItems(t etype, top bool, depth int) *SyntaxError {
	if depth > MaxExpandDepth {
		return errAt(c.peek().pos, "$expand nests deeper than %d", MaxExpandDepth)
	}
	if err := c.enter(c.peek().pos); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	return c.items(top, func() *SyntaxError { return c.expandItem(t, depth) })
}

func (c *checker) expandItem(t etype, depth int) *SyntaxError {
	tok := c.next()
	switch {
	case tok.kind == tPunct && tok.text == "*":
		if c.isPunct("/") {
			c.next()
			if r := c.next(); r.kind != tDollar || r.text != "$ref" {
				return errAt(r.pos, "*/ is followed by $ref in $expand, not %s", describe(r))
			}
			return nil
		}
		if c.isPunct("(") {
			c.next()
			n := c.next()
			if !((n.kind == tDollar && n.text == "$levels") || (c.v401 && n.kind == tIdent && strings.EqualFold(n.text, "levels"))) {
				return errAt(n.pos, "* takes $levels only: *($levels=2)")
			}
			if err := c.expect("="); err != nil {
				return err
			}
			if err := c.levels(); err != nil {
				return err
			}
			return c.expect(")")
		}
		return nil
	case tok.kind == tDollar && tok.text == "$value":
		return nil
	case tok.kind == tAlias:
		return nil // an annotation
	case tok.kind != tIdent:
		return errAt(tok.pos, "a navigation property was expected in $expand, not %s", describe(tok))
	}
	cur := t
	for {
		if !cur.known() {
			c.skipSelectRest()
			return nil
		}
		st := base(cur.t)
		if strings.Contains(tok.text, ".") {
			typ := c.m.Type(tok.text)
			if typ == nil {
				return errAt(tok.pos, "%s is not a type of the model", clip(tok.text))
			}
			if st.IsStructured() && !typ.DerivesFrom(st) {
				return errAt(tok.pos, "%s is not %s or a type derived from it", typ.QName(), st.QName())
			}
			cur = etype{t: typ, coll: cur.coll}
		} else if !st.IsStructured() {
			return errAt(tok.pos, "%s has no member %s", cur.name(), tok.text)
		} else if n := st.Navigation(tok.text); n != nil {
			target := etype{t: n.Type.Type, coll: n.Type.Collection}
			if c.isPunct("/") {
				c.next()
				s := c.next()
				switch {
				case s.kind == tDollar && (s.text == "$ref" || s.text == "$count"):
				case s.kind == tIdent && strings.Contains(s.text, "."):
					typ := c.m.Type(s.text)
					if typ == nil || (target.known() && !typ.DerivesFrom(base(target.t))) {
						return errAt(s.pos, "%s is not %s or a type derived from it", clip(s.text), target.name())
					}
					target.t = typ
				default:
					return errAt(s.pos, "after a navigation property in $expand: $ref, $count or a type cast, not %s", describe(s))
				}
			}
			if c.isPunct("(") {
				c.next()
				return c.nestedOptions(target, true, depth+1)
			}
			return nil
		} else if p := st.Property(tok.text); p != nil {
			if p.Type.Type != nil && p.Type.Type.Kind == KindPrimitive && p.Type.Type.Name == "Stream" {
				return nil
			}
			if p.Type.Type == nil || !p.Type.Type.IsStructured() {
				return errAt(tok.pos, "%s is not a navigation property of %s ($expand expands navigation properties)", tok.text, st.QName())
			}
			cur = etype{t: p.Type.Type, coll: p.Type.Collection}
		} else if isOpen(st) {
			cur = tUnknown
		} else {
			return errAt(tok.pos, "%s is not a navigation property of %s", tok.text, st.QName())
		}
		if !c.isPunct("/") {
			return errAt(c.peek().pos, "%s is not a navigation property: $expand names one (Complex/Navigation)", tok.text)
		}
		c.next()
		tok = c.next()
		if tok.kind != tIdent {
			return errAt(tok.pos, "a property name was expected after /, not %s", describe(tok))
		}
	}
}

func (c *checker) levels() *SyntaxError {
	v := c.next()
	if (v.kind == tIdent && v.text == "max") || (v.kind == tNumber && isDigits(v.text) && v.text[0] != '0') {
		return nil
	}
	return errAt(v.pos, "$levels is a positive integer or max, not %s", describe(v))
}

// nestedOptions reads name=value;… ) applied to t (the expanded
// navigation's target, or a selected property); expand says whether the
// expand-only options ($levels, $expand) are allowed.
func (c *checker) nestedOptions(t etype, expand bool, depth int) *SyntaxError {
	seen := map[string]bool{}
	saved := c.this
	c.this = etype{t: t.t}
	defer func() { c.this = saved }()
	for {
		n := c.next()
		name := ""
		switch {
		case n.kind == tDollar:
			name = n.text
		case c.v401 && n.kind == tIdent:
			name = "$" + strings.ToLower(n.text)
		case n.kind == tAlias:
			if err := c.expect("="); err != nil {
				return err
			}
			if _, err := c.parseExpr(); err != nil {
				return err
			}
			goto next
		default:
			return errAt(n.pos, "a nested query option ($filter, $select, …) was expected, not %s", describe(n))
		}
		if !c.v401 && name != strings.ToLower(name) {
			return errAt(n.pos, "unknown nested query option %s", n.text)
		}
		name = strings.ToLower(name)
		if seen[name] {
			return errAt(n.pos, "%s is given twice", name)
		}
		seen[name] = true
		if err := c.expect("="); err != nil {
			return err
		}
		switch name {
		case "$filter":
			e, err := c.parseExpr()
			if err != nil {
				return err
			}
			if !loose(e) && !is(e, "Boolean") {
				return errAt(n.pos, "$filter must be a Boolean expression, not %s", e.name())
			}
		case "$orderby":
			if err := c.orderby(false); err != nil {
				return err
			}
		case "$top", "$skip":
			v := c.next()
			if v.kind != tNumber || !isDigits(v.text) {
				return errAt(v.pos, "%s must be a non-negative integer, not %s", name, describe(v))
			}
		case "$count":
			v := c.next()
			if v.kind != tIdent || !(strings.EqualFold(v.text, "true") || strings.EqualFold(v.text, "false")) {
				return errAt(v.pos, "$count must be true or false, not %s", describe(v))
			}
		case "$select":
			if err := c.selectItems(t, false); err != nil {
				return err
			}
		case "$compute":
			if err := c.compute(false); err != nil {
				return err
			}
		case "$search", "$apply":
			// Passed as written: the search syntax is checked at the top
			// level only, $apply nowhere.
			for !c.atEnd(false) {
				if c.isPunct("(") {
					if err := c.skipParens(); err != nil {
						return err
					}
					continue
				}
				c.next()
			}
		case "$expand":
			if !expand {
				return errAt(n.pos, "$expand is nested in $expand only")
			}
			if err := c.expandItems(t, false, depth); err != nil {
				return err
			}
		case "$levels":
			if !expand {
				return errAt(n.pos, "$levels is nested in $expand only")
			}
			if err := c.levels(); err != nil {
				return err
			}
		default:
			return errAt(n.pos, "unknown nested query option %s", n.text)
		}
	next:
		if c.isPunct(";") {
			c.next()
			continue
		}
		return c.expect(")")
	}
}

// checkSearch checks $search's syntax: words, "phrases", AND, OR, NOT
// and parentheses (ABNF searchExpr).
func checkSearch(v string) *SyntaxError {
	s := strings.TrimLeft(v, " \t")
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return nil // searchExpr-incomplete: a quoted string
	}
	type tok struct {
		kind string // word, phrase, op, (, )
		text string
		pos  int
	}
	var toks []tok
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c < 0x20 || c == 0x7f:
			return errAt(i, "control character %#02x", c)
		case c == '(' || c == ')':
			toks = append(toks, tok{string(c), string(c), i})
			i++
		case c == '"':
			j := i + 1
			for j < len(v) && v[j] != '"' {
				if v[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(v) {
				return errAt(i, "unterminated \"phrase\"")
			}
			if j == i+1 {
				return errAt(i, "an empty \"phrase\"")
			}
			toks = append(toks, tok{"phrase", v[i : j+1], i})
			i = j + 1
		default:
			j := i
			for j < len(v) && v[j] != ' ' && v[j] != '\t' && v[j] != '(' && v[j] != ')' && v[j] != '"' {
				if v[j] == ';' {
					return errAt(j, "a search word cannot hold ;")
				}
				j++
			}
			w := v[i:j]
			k := "word"
			if w == "AND" || w == "OR" || w == "NOT" {
				k = "op"
			}
			toks = append(toks, tok{k, w, i})
			i = j
		}
		if len(toks) > MaxTokens {
			return errAt(i, "more than %d tokens", MaxTokens)
		}
	}
	if len(toks) == 0 {
		return errAt(0, "$search needs a search expression")
	}
	// expr := term { [AND|OR] term } ; term := NOT term | ( expr ) | word | phrase
	i, depth := 0, 0
	var expr func() *SyntaxError
	var term func() *SyntaxError
	term = func() *SyntaxError {
		if i >= len(toks) {
			return errAt(len(v), "a search term was expected at the end")
		}
		t := toks[i]
		switch {
		case t.kind == "op" && t.text == "NOT":
			i++
			depth++
			if depth > MaxDepth {
				return errAt(t.pos, "the search expression nests deeper than %d", MaxDepth)
			}
			err := term()
			depth--
			return err
		case t.kind == "(":
			i++
			depth++
			if depth > MaxDepth {
				return errAt(t.pos, "the search expression nests deeper than %d", MaxDepth)
			}
			if err := expr(); err != nil {
				return err
			}
			depth--
			if i >= len(toks) || toks[i].kind != ")" {
				return errAt(t.pos, "unbalanced parentheses")
			}
			i++
			return nil
		case t.kind == "word" || t.kind == "phrase":
			i++
			return nil
		}
		return errAt(t.pos, "a search term was expected, not %q", t.text)
	}
	expr = func() *SyntaxError {
		if err := term(); err != nil {
			return err
		}
		for i < len(toks) && toks[i].kind != ")" {
			if t := toks[i]; t.kind == "op" && (t.text == "AND" || t.text == "OR") {
				i++
			}
			if err := term(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := expr(); err != nil {
		return err
	}
	if i < len(toks) {
		return errAt(toks[i].pos, "unbalanced parentheses")
	}
	return nil
}
