package odata

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The resource path (URL Conventions section 4, ABNF resourcePath): the
// service root, $metadata, $batch, $entity, entity sets with key
// predicates (Set(1), Set(K1=1,K2='x'), 4.01's key-as-segment Set/1),
// singletons, navigation, properties, $count, $value, $ref, type casts,
// function and action imports and bound operations.

// pathError is a resource path problem.
type pathError struct{ msg string }

func (e *pathError) Error() string { return e.msg }

func perr(format string, args ...any) *pathError { return &pathError{fmt.Sprintf(format, args...)} }

func (m *Model) resourcePath(r Request) (resource, error) {
	rel := strings.TrimPrefix(r.Path, "/")
	if rel == "" {
		return resource{kind: "service"}, nil
	}
	rel = strings.TrimSuffix(rel, "/")
	raw := strings.Split(rel, "/")
	if len(raw) > MaxPathSegments {
		return resource{}, perr("more than %d path segments", MaxPathSegments)
	}
	segs := make([]string, len(raw))
	for i, s := range raw {
		if s == "" {
			return resource{}, perr("an empty path segment")
		}
		d := s
		if !r.PathDecoded {
			var err error
			if d, err = url.PathUnescape(s); err != nil {
				return resource{}, perr("a malformed percent-encoding in %q", clip(s))
			}
		}
		if strings.IndexFunc(d, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return resource{}, perr("a control character in a path segment")
		}
		segs[i] = d
	}
	p := &pathWalk{m: m, r: r, segs: segs}
	return p.walk()
}

type pathWalk struct {
	m    *Model
	r    Request
	segs []string
	i    int
}

// split cuts "Name(args)" into the name and the parenthesised text (with
// its parentheses), or "" when there are none.
func split(seg string) (name, args string, err *pathError) {
	i := strings.IndexByte(seg, '(')
	if i < 0 {
		if strings.ContainsAny(seg, ")") {
			return "", "", perr("unbalanced parentheses in %q", clip(seg))
		}
		return seg, "", nil
	}
	if !strings.HasSuffix(seg, ")") {
		return "", "", perr("%q: text after the closing parenthesis", clip(seg))
	}
	return seg[:i], seg[i:], nil
}

// methodIs reports whether the request's method is one of ms, or OPTIONS
// (a CORS preflight asks about any resource).
func (p *pathWalk) methodIs(ms ...string) bool {
	if p.r.Method == http.MethodOptions || p.r.Method == "" {
		return true
	}
	for _, m := range ms {
		if p.r.Method == m {
			return true
		}
	}
	return false
}

func (p *pathWalk) more() bool { return p.i < len(p.segs) }

func (p *pathWalk) walk() (resource, error) {
	first := p.segs[0]
	p.i = 1
	switch first {
	case "$metadata":
		if p.more() {
			return resource{}, perr("nothing follows $metadata in a resource path")
		}
		if !p.methodIs(http.MethodGet, http.MethodHead) {
			return resource{}, perr("$metadata is read with GET, not %s", p.r.Method)
		}
		return resource{kind: "metadata"}, nil
	case "$batch":
		if p.more() {
			return resource{}, perr("nothing follows $batch in a resource path")
		}
		if !p.methodIs(http.MethodPost) {
			return resource{}, perr("$batch requests are sent with POST, not %s", p.r.Method)
		}
		return resource{kind: "batch"}, nil
	case "$entity":
		res := resource{kind: "entity-id"}
		if p.more() {
			typ := p.m.Type(p.segs[p.i])
			if typ == nil || typ.Kind != KindEntity {
				return resource{}, perr("$entity/ is followed by an entity type, not %q", clip(p.segs[p.i]))
			}
			res.t = typ
			p.i++
			if p.more() {
				return resource{}, perr("nothing follows $entity/Type in a resource path")
			}
		}
		return res, nil
	case "$all":
		return resource{kind: "unknown-coll"}, nil
	}
	name, args, err := split(first)
	if err != nil {
		return resource{}, err
	}
	if name == "$crossjoin" {
		if args == "" {
			return resource{}, perr("$crossjoin needs its entity sets: $crossjoin(Products,Sales)")
		}
		for _, s := range strings.Split(args[1:len(args)-1], ",") {
			if p.m.EntitySets[strings.TrimSpace(s)] == nil {
				return resource{}, perr("$crossjoin: %q is not an entity set of the service", clip(s))
			}
		}
		return resource{kind: "unknown-coll"}, nil
	}
	if es := p.m.EntitySets[name]; es != nil {
		cur := resource{kind: "entities", t: es.Type}
		if args != "" {
			if err := p.key(cur.t, args); err != nil {
				return resource{}, err
			}
			cur.kind = "entity"
		}
		return p.rest(cur)
	}
	if s := p.m.Singletons[name]; s != nil {
		if args != "" {
			return resource{}, perr("%s is a singleton: it takes no key", name)
		}
		return p.rest(resource{kind: "entity", t: s.Type})
	}
	if im := p.m.Imports[name]; im != nil {
		if im.Action {
			if args != "" {
				return resource{}, perr("action import %s is called without parentheses (its parameters go in the POST body)", name)
			}
			if !p.methodIs(http.MethodPost) {
				return resource{}, perr("action import %s is called with POST, not %s", name, p.r.Method)
			}
			if p.more() {
				return resource{}, perr("nothing follows an action in a resource path")
			}
			return resource{kind: "action"}, nil
		}
		op, err := p.callFunction(name, im.Ops, args, false)
		if err != nil {
			return resource{}, err
		}
		if p.more() && !op.Composable {
			return resource{}, perr("function %s is not composable (IsComposable): nothing follows it", name)
		}
		return p.rest(returnResource(op))
	}
	return resource{}, perr("%q is not an entity set, singleton or operation import of the service (entity sets: %s)",
		clip(name), clip(strings.Join(p.m.EntitySetNames(), ", ")))
}

func returnResource(op *Operation) resource {
	if op.Return == nil || op.Return.Type == nil {
		return resource{kind: "unknown"}
	}
	t := op.Return.Type
	switch {
	case t.Kind == KindEntity && op.Return.Collection:
		return resource{kind: "entities", t: t}
	case t.Kind == KindEntity:
		return resource{kind: "entity", t: t}
	case t.Kind == KindComplex && op.Return.Collection:
		return resource{kind: "complexes", t: t}
	case t.Kind == KindComplex:
		return resource{kind: "complex", t: t}
	case t.Kind == KindExternal:
		return resource{kind: "unknown"}
	case op.Return.Collection:
		return resource{kind: "primitives", t: t}
	}
	return resource{kind: "primitive", t: t}
}

// callFunction checks a function call's parameters, name=value (a
// literal or an @alias), against the overloads; bound says the first
// parameter is the binding one. Without parentheses (4.01), parameters
// may come as query options and are not checked.
func (p *pathWalk) callFunction(name string, ops []*Operation, args string, bound bool) (*Operation, error) {
	if !p.methodIs(http.MethodGet, http.MethodHead) {
		return nil, perr("function %s is called with GET, not %s", name, p.r.Method)
	}
	if args == "" {
		if !p.r.V401 {
			return nil, perr("function %s is called with parentheses: %s()", name, name)
		}
		return ops[0], nil
	}
	toks, serr := lex(args)
	if serr != nil {
		return nil, perr("%s%s: %s", name, clip(args), serr.Msg)
	}
	c := &checker{m: p.m, toks: toks, v401: p.r.V401}
	params, serr := c.callParams()
	if serr == nil && c.peek().kind != tEOF {
		serr = errAt(c.peek().pos, "text after the parameters")
	}
	if serr != nil {
		return nil, perr("%s: %s", name, serr.Msg)
	}
	skip := 0
	if bound {
		skip = 1
	}
	op := matchOverload(ops, params, skip)
	if op == nil {
		return nil, perr("function %s has no overload that takes (%s)", name, describeArgs(params))
	}
	return op, nil
}

// key checks a key predicate, (value), (@alias) or (Name=value,…),
// against the entity type's key.
func (p *pathWalk) key(t *Type, args string) error {
	keys := t.KeyOf()
	toks, serr := lex(args[1 : len(args)-1])
	if serr != nil {
		return perr("key predicate %s: %s", clip(args), serr.Msg)
	}
	c := &checker{m: p.m, toks: toks, v401: p.r.V401}
	if len(toks) == 1 {
		return perr("key predicate %s is empty", args)
	}
	// (value): a single key.
	if !(toks[0].kind == tIdent && len(toks) > 1 && toks[1].kind == tPunct && toks[1].text == "=") {
		if len(keys) != 1 {
			return perr("%s has a compound key (%s): name each part, (%s=…, …)", t.QName(), keyNames(keys), keys[0].name())
		}
		if err := p.keyValue(c, t, keys[0], args); err != nil {
			return err
		}
		if c.peek().kind != tEOF {
			return perr("key predicate %s: unexpected %s (a compound key names its parts)", clip(args), describe(c.peek()))
		}
		return nil
	}
	given := map[string]bool{}
	for c.peek().kind != tEOF {
		if len(given) > 0 {
			if err := c.expect(","); err != nil {
				return perr("key predicate %s: %s", clip(args), err.Msg)
			}
		}
		n := c.next()
		var k *KeyRef
		for i := range keys {
			if keys[i].name() == n.text {
				k = &keys[i]
			}
		}
		if k == nil {
			return perr("%s is not a key property of %s (its key: %s)", clip(n.text), t.QName(), keyNames(keys))
		}
		if given[n.text] {
			return perr("key property %s is given twice", n.text)
		}
		given[n.text] = true
		if err := c.expect("="); err != nil {
			return perr("key predicate %s: %s", clip(args), err.Msg)
		}
		if err := p.keyValue(c, t, *k, args); err != nil {
			return err
		}
	}
	if len(given) != len(keys) {
		return perr("key predicate %s does not give every key property of %s (%s)", clip(args), t.QName(), keyNames(keys))
	}
	return nil
}

func (k KeyRef) name() string {
	if k.Alias != "" {
		return k.Alias
	}
	return k.Path
}

func keyNames(keys []KeyRef) string {
	var out []string
	for _, k := range keys {
		out = append(out, k.name())
	}
	return strings.Join(out, ", ")
}

// keyValue reads one key value (a literal or an @alias) and checks its type.
func (p *pathWalk) keyValue(c *checker, t *Type, k KeyRef, args string) error {
	v := c.peek()
	if v.kind == tAlias {
		c.next()
		if c.peek().kind != tEOF && !c.isPunct(",") {
			return perr("key predicate %s: unexpected %s", clip(args), describe(c.peek()))
		}
		return nil
	}
	e, err := c.parseUnary()
	if err != nil {
		return perr("key predicate %s: %s", clip(args), err.Msg)
	}
	if !e.lit || e.null {
		return perr("key predicate %s: a key value is a literal ('text', 42, a GUID, …)", clip(args))
	}
	if c.peek().kind != tEOF && !c.isPunct(",") {
		return perr("key predicate %s: unexpected %s", clip(args), describe(c.peek()))
	}
	prop := keyProp(t, k.Path)
	if prop != nil && !valueFits(prop.Type.Type, e) {
		return perr("key predicate %s: %s is %s, not %s", clip(args), k.name(), prop.Type.Type.QName(), e.name())
	}
	return nil
}

func keyProp(t *Type, path string) *Property {
	cur := t
	var prop *Property
	for _, seg := range strings.Split(path, "/") {
		if cur == nil {
			return nil
		}
		prop = cur.Property(seg)
		if prop == nil {
			return nil
		}
		cur = prop.Type.Type
	}
	return prop
}

// rest walks the segments after the first, from cur.
func (p *pathWalk) rest(cur resource) (resource, error) {
	for p.more() {
		seg := p.segs[p.i]
		p.i++
		switch cur.kind {
		case "count", "value", "ref", "ref-coll", "action":
			return resource{}, perr("nothing follows %s in a resource path", map[string]string{"count": "$count", "value": "$value",
				"ref": "$ref", "ref-coll": "$ref", "action": "an action"}[cur.kind])
		case "unknown", "unknown-coll":
			return cur, nil // a type the model does not describe: the service decides
		}
		next, err := p.step(cur, seg)
		if err != nil {
			return resource{}, err
		}
		cur = next
	}
	return cur, nil
}

func (p *pathWalk) step(cur resource, seg string) (resource, error) {
	switch seg {
	case "$count":
		if !cur.coll() {
			return resource{}, perr("$count follows a collection, not %s", cur.describe())
		}
		return resource{kind: "count", t: cur.t}, nil
	case "$value":
		switch {
		case cur.kind == "primitive":
		case cur.kind == "entity" && cur.t != nil && hasStream(cur.t):
		case cur.kind == "entity":
			return resource{}, perr("$value of an entity is its media stream: %s is not a media entity type (HasStream)", cur.t.QName())
		default:
			return resource{}, perr("$value follows a primitive property or a media entity, not %s", cur.describe())
		}
		return resource{kind: "value", t: cur.t}, nil
	case "$ref":
		switch cur.kind {
		case "entity":
			return resource{kind: "ref", t: cur.t}, nil
		case "entities":
			return resource{kind: "ref-coll", t: cur.t}, nil
		}
		return resource{}, perr("$ref follows an entity or a collection of entities, not %s", cur.describe())
	case "$each":
		if !cur.coll() {
			return resource{}, perr("$each follows a collection")
		}
		return cur, nil
	}
	name, args, err := split(seg)
	if err != nil {
		return resource{}, err
	}
	if strings.Contains(name, ".") && (cur.kind != "entities" || p.m.Type(name) != nil || len(p.m.Operations(name)) > 0) {
		return p.qualified(cur, name, args)
	}
	if name == "$filter" && args != "" && cur.coll() {
		toks, serr := lex(args)
		if serr == nil {
			c := &checker{m: p.m, toks: toks, v401: p.r.V401, it: etype{t: cur.t}, this: etype{t: cur.t}}
			_, serr = c.parseAll()
		}
		if serr != nil {
			return resource{}, perr("$filter(…) segment: %s", serr.Msg)
		}
		return cur, nil
	}
	switch cur.kind {
	case "entities":
		if args != "" || name == "" {
			return resource{}, perr("%q: a key predicate follows the entity set's name directly, Set(key)", clip(seg))
		}
		// 4.01 key-as-segment: Set/key, for a single-property key.
		keys := cur.t.KeyOf()
		if len(keys) == 1 && p.r.V401 {
			if prop := keyProp(cur.t, keys[0].Path); prop != nil && keySegmentFits(prop, seg) {
				return resource{kind: "entity", t: cur.t}, nil
			}
		}
		return resource{}, perr("%q is not a key of %s nor a segment a collection takes ($count, $ref, a type cast, a bound operation)", clip(seg), cur.t.QName())
	case "entity", "complex":
		st := cur.t
		if st == nil || !st.IsStructured() {
			return resource{kind: "unknown"}, nil
		}
		if pr := st.Property(name); pr != nil {
			if args != "" {
				if !pr.Type.Collection {
					return resource{}, perr("%s is not a collection: it takes no index or key", name)
				}
			}
			return propResource(pr.Type), nil
		}
		if n := st.Navigation(name); n != nil {
			next := resource{kind: "entity", t: n.Type.Type}
			if n.Type.Collection {
				next.kind = "entities"
				if args != "" {
					if err := p.key(n.Type.Type, args); err != nil {
						return resource{}, err
					}
					next.kind = "entity"
				}
			} else if args != "" {
				return resource{}, perr("navigation property %s is single-valued: it takes no key", name)
			}
			if n.Type.Type == nil || n.Type.Type.Kind == KindExternal {
				next.kind = "unknown"
			}
			return next, nil
		}
		if isOpen(st) {
			return resource{kind: "unknown"}, nil
		}
		return resource{}, perr("%s is not a property of %s", clip(name), st.QName())
	case "complexes", "primitives":
		if isDigits(strings.TrimPrefix(seg, "-")) && p.r.V401 {
			kind := "complex"
			if cur.kind == "primitives" {
				kind = "primitive"
			}
			return resource{kind: kind, t: cur.t}, nil // 4.01 ordinal index
		}
		return resource{}, perr("%q cannot follow a collection of %s values ($count, an index, a bound operation can)", clip(seg), cur.t.QName())
	case "primitive":
		return resource{}, perr("%q cannot follow a primitive property ($value can)", clip(seg))
	}
	return resource{}, perr("%q cannot follow %s", clip(seg), cur.describe())
}

func hasStream(t *Type) bool {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if x.HasStream {
			return true
		}
	}
	return false
}

// keySegmentFits reports whether seg can be a value of the key property
// (key-as-segment writes it without quotes).
func keySegmentFits(prop *Property, seg string) bool {
	t := base(prop.Type.Type)
	if t == nil {
		return true
	}
	switch t.Name {
	case "String":
		return true
	case "Byte", "SByte", "Int16", "Int32", "Int64":
		return isDigits(strings.TrimPrefix(seg, "-"))
	case "Guid":
		return guidAt(seg, 0) && len(seg) == 36
	}
	l, ok := numberLiteral(seg)
	return ok && comparable(etype{t: t}, etype{t: l.t, integer: l.integer}, false)
}

func propResource(r TypeRef) resource {
	t := r.Type
	switch {
	case t == nil || t.Kind == KindExternal:
		return resource{kind: "unknown"}
	case t.Kind == KindComplex && r.Collection:
		return resource{kind: "complexes", t: t}
	case t.Kind == KindComplex:
		return resource{kind: "complex", t: t}
	case r.Collection:
		return resource{kind: "primitives", t: t}
	}
	return resource{kind: "primitive", t: t}
}

// qualified handles a qualified segment: a type cast, or a bound action
// or function.
func (p *pathWalk) qualified(cur resource, name, args string) (resource, error) {
	if typ := p.m.Type(name); typ != nil && args == "" {
		if cur.t != nil && cur.t.IsStructured() && !typ.DerivesFrom(cur.t) {
			return resource{}, perr("%s is not %s or a type derived from it", typ.QName(), cur.t.QName())
		}
		if !cur.t.IsStructured() {
			return resource{}, perr("a type cast follows an entity or a complex value, not %s", cur.describe())
		}
		cur.t = typ
		return cur, nil
	}
	ops := p.m.Operations(name)
	if len(ops) == 0 {
		if i := strings.LastIndexByte(name, '.'); i > 0 && p.m.external[name[:i]] {
			return resource{kind: "unknown"}, nil
		}
		return resource{}, perr("%s is not a type, action or function of the model", clip(name))
	}
	e := etype{t: cur.t, coll: cur.coll()}
	var bound []*Operation
	for _, op := range ops {
		if op.Bound && bindsTo(op, e) {
			bound = append(bound, op)
		}
	}
	if len(bound) == 0 {
		return resource{}, perr("%s is not bound to %s", name, cur.describe())
	}
	if bound[0].Action {
		if args != "" {
			return resource{}, perr("action %s is called without parentheses (its parameters go in the POST body)", name)
		}
		if !p.methodIs(http.MethodPost) {
			return resource{}, perr("action %s is called with POST, not %s", name, p.r.Method)
		}
		return resource{kind: "action"}, nil
	}
	var fns []*Operation
	for _, op := range bound {
		if !op.Action {
			fns = append(fns, op)
		}
	}
	op, err := p.callFunction(name, fns, args, true)
	if err != nil {
		return resource{}, err
	}
	if p.more() && !op.Composable {
		return resource{}, perr("function %s is not composable (IsComposable): nothing follows it", name)
	}
	return returnResource(op), nil
}
