package csharp

import (
	"fmt"
	"strconv"
)

// The switch statement (C# 7's with constant labels) is lowered while it is
// parsed into the statements this front-end already runs:
//
//	switch (e) { case "a": case "b": S1; break; case "c": S2; return x; default: S3; break; }
//
// becomes
//
//	{ var $sw = e; if ($sw == "a" || $sw == "b") { S1 } else if ($sw == "c") { S2; return x; } else { S3 } }
//
// The break that ends a section is dropped. A break elsewhere in a section
// (an early exit) leaves the switch: the if chain then goes inside
// do { ... } while (false), whose break does the same. The default section
// is the last else wherever it is written, as C# tries it only when no
// label matches. C#'s rules are kept: every section must end where control
// cannot fall through to the next one (CS0163, CS8070), labels are
// constants (CS0150) and appear once (CS0152).

// switchStmt parses `switch (e) { sections }` after the switch identifier.
func (p *parser) switchStmt() (Stmt, error) {
	sw := p.advance() // switch
	subject, err := p.parenExpr()
	if err != nil {
		return nil, err
	}
	open, err := p.expect("{")
	if err != nil {
		return nil, err
	}
	type section struct {
		labels     []*swLabel
		labelText  []string
		isDefault  bool
		defaultOff int
		body       []Stmt
		off        int
	}
	info := &swInfo{}
	var sections []*section
	seen := map[string]bool{}
	for !p.is("}") {
		t := p.peek()
		if t.Kind == tkEOF {
			return nil, p.errAt(open, "'}' expected: this switch is not closed")
		}
		isLabel := (t.Kind == tkIdent && t.Text == "case") || (t.Kind == tkKeyword && t.Text == "default" && p.peekN(1).Kind == tkOp && p.peekN(1).Text == ":")
		if !isLabel {
			if len(sections) == 0 {
				return nil, p.errAt(t, "'case' or 'default' expected in switch, found %s", desc(t))
			}
			cur := sections[len(sections)-1]
			s, err := p.stmt()
			if err != nil {
				return nil, err
			}
			cur.body = append(cur.body, s)
			continue
		}
		// a label: a new section unless the previous one has no statements yet
		var cur *section
		if n := len(sections); n > 0 && len(sections[n-1].body) == 0 {
			cur = sections[n-1]
		} else {
			cur = &section{off: t.Off}
			sections = append(sections, cur)
		}
		p.advance()
		if t.Text == "default" {
			if seen["default"] {
				return nil, p.errAt(t, "the switch statement contains multiple cases with the label value 'default:'")
			}
			seen["default"] = true
			p.advance() // :
			cur.isDefault, cur.defaultOff = true, t.Off
			cur.labelText = append(cur.labelText, "default:")
			continue
		}
		lab, err := p.caseLabel()
		if err != nil {
			return nil, err
		}
		if lab.konst != nil {
			key, ok := switchConst(lab.konst)
			if !ok {
				return nil, &SyntaxError{Off: lab.off, Msg: "a constant value is expected"}
			}
			if lab.guard == nil { // a guarded label may repeat one (case 1 when x: case 1:)
				if seen[key] {
					return nil, &SyntaxError{Off: lab.off, Msg: fmt.Sprintf("the switch statement contains multiple cases with the label value '%s'", key)}
				}
				seen[key] = true
			}
			lab.text = "case " + key + ":"
		}
		cur.labels = append(cur.labels, lab)
		cur.labelText = append(cur.labelText, lab.text)
	}
	p.advance() // }
	name := "$switch" + strconv.Itoa(sw.Off)
	subj := &Name{node: node{Off: subject.pos()}, Name: name}
	var chain Stmt
	var def Stmt
	exits := false // a break before a section's end
	var conds []Expr
	var bodies []Stmt
	var secs []*swSection
	for i, s := range sections {
		if len(s.body) == 0 || !endUnreachable(s.body[len(s.body)-1]) {
			last := s.labelText[len(s.labelText)-1]
			if i == len(sections)-1 {
				return nil, &SyntaxError{Off: s.off, Msg: fmt.Sprintf("control cannot fall out of switch from final case label ('%s')", last), Bound: true}
			}
			return nil, &SyntaxError{Off: s.off, Msg: fmt.Sprintf("control cannot fall through from one case label ('%s') to another", last), Bound: true}
		}
		body := dropTailBreak(&Block{snode: snode{s.off}, List: s.body})
		if breaksOut(body) {
			exits = true
		}
		if s.isDefault {
			def = body
			continue
		}
		var c Expr
		for _, l := range s.labels {
			eq := l.cond(subj)
			if c == nil {
				c = eq
			} else {
				c = &Binary{node: node{Off: l.off}, Op: "||", L: c, R: eq}
			}
		}
		conds = append(conds, c)
		bodies = append(bodies, body)
		secs = append(secs, &swSection{sw: info, labels: s.labels})
	}
	chain = def
	for i := len(conds) - 1; i >= 0; i-- {
		chain = &If{snode: snode{conds[i].pos()}, C: conds[i], Then: bodies[i], Else: chain, sec: secs[i]}
	}
	out := &Block{snode: snode{sw.Off}, List: []Stmt{
		&Decl{snode: snode{sw.Off}, Type: &TypeRef{Off: sw.Off, Name: "var"}, Names: []string{name}, Offs: []int{sw.Off}, Inits: []Expr{subject}},
	}}
	if chain != nil {
		if exits {
			if off, ok := continuesOut(chain); ok {
				return nil, &SyntaxError{Off: off, Msg: "continue inside a switch that also breaks out early is not supported: use if/else"}
			}
			chain = &While{snode: snode{sw.Off}, C: &Lit{node: node{Off: sw.Off}, V: false, Kind: tkKeyword}, Body: &Block{snode: snode{sw.Off}, List: []Stmt{chain}}, Do: true}
		}
		out.List = append(out.List, chain)
	}
	return out, nil
}

// switchConst says whether a case label is a constant C# accepts there (a
// literal, a negated number, a named constant such as a const local or an
// enum member), and its text for duplicate checks and messages.
func switchConst(e Expr) (string, bool) {
	switch x := e.(type) {
	case *Lit:
		switch v := x.V.(type) {
		case string:
			if x.Kind == tkChar {
				return "'" + v + "'", true
			}
			return strconv.Quote(v), true
		case nil:
			return "null", true
		default:
			return fmt.Sprint(v), true
		}
	case *Unary:
		if l, ok := x.X.(*Lit); ok && (x.Op == "-" || x.Op == "+") && (l.Kind == tkInt || l.Kind == tkReal) {
			return x.Op + fmt.Sprint(l.V), true
		}
	case *Name:
		return x.Name, true // a const local (constLabel checks, once bound)
	case *Member:
		if k, ok := switchConst(x.X); ok && !x.Cond {
			return k + "." + x.Name, true // an enum member: DayOfWeek.Monday
		}
	}
	return "", false
}

// constLabel says whether a bound case label is a constant: a literal, a
// const local, or a member of a type (an enum's: StringComparison.Ordinal).
func constLabel(e Expr) bool {
	switch x := e.(type) {
	case *Lit:
		return true
	case *Unary:
		_, ok := x.X.(*Lit)
		return ok
	case *Name:
		return x.local != nil && x.local.konst
	case *Member:
		n, ok := x.X.(*Name)
		return ok && n.static != nil
	}
	return false
}

// endUnreachable says whether control cannot run past s (C#'s reachability,
// for the statements that end a switch section).
func endUnreachable(s Stmt) bool {
	switch s := s.(type) {
	case *Break, *Continue, *Return, *Throw:
		return true
	case *Block:
		return len(s.List) > 0 && endUnreachable(s.List[len(s.List)-1])
	case *If:
		if s.always() { // case var x: (switchpat.go)
			return endUnreachable(s.Then)
		}
		return s.Else != nil && endUnreachable(s.Then) && endUnreachable(s.Else)
	case *While:
		if l, ok := s.C.(*Lit); ok && l.V == true {
			return !breaksOut(s.Body)
		}
	case *Try:
		if s.Finally != nil && endUnreachable(s.Finally) {
			return true
		}
		if !endUnreachable(s.Body) {
			return false
		}
		for _, c := range s.Catches {
			if !endUnreachable(c.Body) {
				return false
			}
		}
		return true
	}
	return false
}

// dropTailBreak removes the breaks that end s: they leave the switch where
// its end would anyway.
func dropTailBreak(s Stmt) Stmt {
	switch x := s.(type) {
	case *Break:
		return &Empty{snode{x.Off}}
	case *Block:
		if n := len(x.List); n > 0 {
			x.List[n-1] = dropTailBreak(x.List[n-1])
		}
	case *If:
		x.Then = dropTailBreak(x.Then)
		if x.Else != nil {
			x.Else = dropTailBreak(x.Else)
		}
	}
	return s
}

// breaksOut says whether s holds a break that leaves the statement around
// it (not one inside a loop of its own; a nested switch is already a loop
// or has no breaks left).
func breaksOut(s Stmt) bool {
	found := false
	walkJumps(s, func(st Stmt) {
		if _, ok := st.(*Break); ok {
			found = true
		}
	})
	return found
}

// continuesOut finds a continue in s that targets a loop around it.
func continuesOut(s Stmt) (int, bool) {
	off, found := 0, false
	walkJumps(s, func(st Stmt) {
		if c, ok := st.(*Continue); ok && !found {
			off, found = c.Off, true
		}
	})
	return off, found
}

// walkJumps calls f for the breaks and continues of s that are not inside a
// loop of s's own (lambdas and local functions are expressions or have
// their own bodies: they are not entered).
func walkJumps(s Stmt, f func(Stmt)) {
	switch x := s.(type) {
	case *Break, *Continue:
		f(x)
	case *Block:
		for _, st := range x.List {
			walkJumps(st, f)
		}
	case *If:
		walkJumps(x.Then, f)
		if x.Else != nil {
			walkJumps(x.Else, f)
		}
	case *Try:
		walkJumps(x.Body, f)
		for _, c := range x.Catches {
			walkJumps(c.Body, f)
		}
		if x.Finally != nil {
			walkJumps(x.Finally, f)
		}
	}
}
