package csharp

import "fmt"

// C# 7's pattern labels in a switch statement:
//
//	switch (o) { case int n when n > 3: ...; case string s: ...; case var x: ...; case null: ...; default: ... }
//
// A label is a constant (as before), a type pattern with a designation
// (case T x:, case T _:) or a var pattern (case var x:, matching null
// too), each with an optional when guard. switchStmt lowers a section to
// if (label1 || label2) { body }, a type pattern to $subject is T x, a
// guard to && guard; the binder scopes the pattern variables to their
// section (the if's condition and body) and checks C#'s rules: a label
// an earlier unguarded one already handles is CS8120, a type the subject
// can never be is CS8121, a pattern variable of a section with several
// labels is not assigned in its statements (CS0165).

// swLabel is one case label.
type swLabel struct {
	off   int
	text  string // case ...: as written, for messages
	konst Expr   // a constant label (nil for a pattern)
	pat   *TypeRef
	bind  string // the designation; "" for a discard
	isVar bool   // case var x:
	guard Expr   // when ...
	// bound: the label's test, once its condition is made
	is *IsAs
}

// swSection is a switch section's labels, on the if it became.
type swSection struct {
	sw     *swInfo
	labels []*swLabel
}

// swInfo is the switch's labels so far, for CS8120.
type swInfo struct {
	handled []*swLabel // the labels with no guard, in order
}

// caseLabel parses what follows `case`, up to and with its colon.
func (p *parser) caseLabel() (*swLabel, error) {
	t := p.peek()
	lab := &swLabel{off: t.Off}
	if t.Kind == tkIdent || t.Kind == tkKeyword && t.Text == "var" {
		save := p.i
		tr, err := p.typeRef()
		if n := p.peek(); err == nil && n.Kind == tkIdent && n.Text != "when" {
			if a := p.peekN(1); a.Kind == tkOp && a.Text == ":" || a.Kind == tkIdent && a.Text == "when" {
				p.advance()
				lab.pat, lab.bind = tr, n.Text
				lab.isVar = tr.Name == "var" && tr.Args == nil && tr.Array == 0 && !tr.Null
				if lab.bind == "_" {
					lab.bind = "" // case T _:, case var _: a discard
				}
				lab.text = fmt.Sprintf("case %s %s:", tr, n.Text)
			}
		}
		if lab.pat == nil {
			p.i = save
		}
	}
	if lab.pat == nil {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		lab.konst = x
	}
	if w := p.peek(); w.Kind == tkIdent && w.Text == "when" {
		p.advance()
		g, err := p.expr()
		if err != nil {
			return nil, err
		}
		lab.guard = g
		if lab.text != "" {
			lab.text = lab.text[:len(lab.text)-1] + " when ...:"
		}
	}
	if _, err := p.expect(":"); err != nil {
		return nil, err
	}
	return lab, nil
}

// cond is the label's test of the switch's subject.
func (l *swLabel) cond(subj *Name) Expr {
	var c Expr
	if l.konst != nil {
		c = &Binary{node: node{Off: l.konst.pos()}, Op: "==", L: subj, R: l.konst, caseLabel: true}
	} else {
		l.is = &IsAs{node: node{Off: l.off}, Op: "is", X: subj, To: l.pat, Bind: l.bind, Var: l.isVar}
		c = l.is
	}
	if l.guard != nil {
		c = &Binary{node: node{Off: l.off}, Op: "&&", L: c, R: l.guard, guard: true}
	}
	return c
}

// switchSection binds the if a switch section became: its labels'
// pattern variables live in the condition and the body only.
func (b *binder) switchSection(s *If) error {
	b.push()
	for _, l := range s.sec.labels {
		if l.pat != nil && !l.isVar {
			if err := b.patternType(l); err != nil {
				b.pop()
				return err
			}
		}
	}
	err := b.cond(s.C)
	if err == nil {
		err = b.handled(s.sec)
	}
	if err == nil && len(s.sec.labels) > 1 {
		err = b.guardsOwn(s.sec)
		for _, l := range s.sec.labels {
			if l.is != nil && l.is.loc != nil {
				l.is.loc.unassigned = true
			}
		}
	}
	if err == nil {
		err = b.scoped(s.Then)
	}
	b.pop()
	if err != nil || s.Else == nil {
		return err
	}
	return b.scoped(s.Else)
}

// patternType checks a type pattern against the switch's subject: C#'s
// CS8121 when no value of the subject's type can be of the pattern's.
func (b *binder) patternType(l *swLabel) error {
	to, ok := b.m.lookupTypeRef(l.pat)
	if !ok {
		return b.unknownType(l.pat)
	}
	xt := l.is.X.(*Name)
	st := b.sc.lookup(xt.Name)
	if st == nil {
		return nil
	}
	if !patternFits(st.t, to) {
		return b.errf(l.pat.Off, "an expression of type '%s' cannot be handled by a pattern of type '%s' (CS8121)", typeName(st.t), typeName(to))
	}
	return nil
}

// patternFits says whether a value of type from may be of type to: the
// same type (T? and T alike), object, or a reference conversion between
// the two (a JToken may be a JObject).
func patternFits(from, to *Type) bool {
	if from.K == KObject || to.K == KObject {
		return true
	}
	if u, ok := nullableValueType(from); ok {
		from = u
	}
	if from.K != to.K {
		return from.isRef() && to.isRef() && (refBase(from, to) || refBase(to, from))
	}
	if from.K == KInt {
		return from.ik() == to.ik()
	}
	return true
}

// refBase says whether the reference type sub converts to base (a
// JObject to a JToken, an XElement to an XNode).
func refBase(sub, base *Type) bool {
	switch base.K {
	case KJToken:
		return sub.K == KJObject || sub.K == KJArray || sub.K == KJProperty
	case KXNode:
		return sub.K == KXElem || sub.K == KXDoc
	}
	return false
}

// handled reports a label of the section that an earlier label with no
// guard already handles (CS8120), then adds the section's unguarded
// labels to those.
func (b *binder) handled(sec *swSection) error {
	for _, l := range sec.labels {
		for _, e := range sec.sw.handled {
			if subsumes(e, l) {
				return b.errf(l.off, "the switch case has already been handled by a previous case (CS8120)")
			}
		}
	}
	for _, l := range sec.labels {
		if l.guard == nil {
			sec.sw.handled = append(sec.sw.handled, l)
		}
	}
	return nil
}

// subsumes says whether every value label l matches is matched by e.
func subsumes(e, l *swLabel) bool {
	switch {
	case e.isVar:
		return true
	case e.is == nil || e.is.to == nil: // a constant: only the same constant (CS0152 already)
		return false
	}
	et := e.is.to
	if l.konst != nil {
		lt := l.konst.typ()
		if lt == nil || lt.K == KNull {
			return false // case null: no type pattern matches null
		}
		return et.K == KObject || patternSame(lt, et)
	}
	if l.isVar || l.is == nil || l.is.to == nil {
		return false // var matches null, which a type pattern does not
	}
	lt := l.is.to
	return et.K == KObject || patternSame(lt, et) || refBase(lt, et)
}

// patternSame says whether a value of type t is always of type p.
func patternSame(t, p *Type) bool {
	if u, ok := nullableValueType(t); ok {
		t = u
	}
	if t.K != p.K {
		return false
	}
	if t.K == KInt {
		return t.ik() == p.ik()
	}
	return t.Name == p.Name
}

// always says whether the if is a switch section one of whose labels
// matches every value: case var x: with no guard, or, once bound, a type
// pattern of the subject's own value type (case int i: on an int, which
// cannot be null). Control does not go past it to the sections after,
// which C# then calls unreachable (CS8120), nor out of the switch: Roslyn
// takes the default label and the switch's end as unreachable then.
func (s *If) always() bool {
	if s.sec == nil {
		return false
	}
	for _, l := range s.sec.labels {
		if l.guard != nil {
			continue
		}
		if l.isVar {
			return true
		}
		if l.is == nil || l.is.to == nil {
			continue
		}
		if nm, ok := l.is.X.(*Name); ok && nm.local != nil && !nm.local.t.isRef() && patternSame(nm.local.t, l.is.to) {
			return true
		}
	}
	return false
}

// guardsOwn reports a guard that reads the pattern variable of another
// label of its section, which is not assigned when that guard runs
// (CS0165).
func (b *binder) guardsOwn(sec *swSection) error {
	for _, l := range sec.labels {
		if l.guard == nil {
			continue
		}
		var bad *Name
		walkExpr(l.guard, func(e Expr) {
			nm, ok := e.(*Name)
			if !ok || nm.local == nil || bad != nil {
				return
			}
			for _, o := range sec.labels {
				if o != l && o.is != nil && o.is.loc == nm.local {
					bad = nm
				}
			}
		})
		if bad != nil {
			return b.errf(bad.Off, "use of unassigned local variable '%s' (CS0165)", bad.Name)
		}
	}
	return nil
}
