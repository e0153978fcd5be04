package xsd

import "strings"

// children validates n's child elements by t's content model.
func (v *vstate) children(n *Node, t *ComplexType) {
	if t.all != nil {
		v.allChildren(n, t.all)
		return
	}
	if t.model == nil {
		if len(n.Children) > 0 {
			v.errAt(n.Children[0], "The element "+name(qn(n))+" cannot contain child element "+name(qn(n.Children[0]))+" because the parent element's content model is empty.")
		}
		return
	}
	a := t.model
	seen := make([]bool, len(a.states))
	cur := v.startSet(a)
	invalid := false
	for _, k := range n.Children {
		q := qn(k)
		var decl *ElementDecl
		var wild *wildcard
		matched := false
		for i := range seen {
			seen[i] = false
		}
		var next []int
		for _, s := range cur {
			for ei := range a.states[s].edges {
				e := &a.states[s].edges[ei]
				d, ok := e.matches(q)
				if !ok {
					continue
				}
				if !matched || (wild != nil && d != nil) {
					decl, wild = d, e.wild
					if d != nil {
						wild = nil
					}
				}
				matched = true
				if !seen[e.to] {
					seen[e.to] = true
					next = append(next, e.to)
				}
			}
		}
		if !matched {
			v.errAt(k, "The element "+name(qn(n))+" has invalid child element "+name(q)+"."+listExpected(v.expectedAt(a, cur, n)))
			invalid = true
			v.lax(k)
			continue
		}
		cur = a.closure(next, seen)
		if decl != nil {
			v.element(k, decl)
		} else {
			v.wildElement(k, wild)
		}
	}
	final := false
	for _, s := range cur {
		if s == a.final {
			final = true
			break
		}
	}
	if !final && !invalid { // after an invalid child, that is the problem
		v.errAt(n, "The element "+name(qn(n))+" has incomplete content."+listExpected(v.expectedAt(a, cur, n)))
	}
}

func (v *vstate) startSet(a *automaton) []int {
	seen := make([]bool, len(a.states))
	seen[a.start] = true
	return a.closure([]int{a.start}, seen)
}

// allChildren validates n's children by an xs:all group.
func (v *vstate) allChildren(n *Node, g *allGroup) {
	got := make([]bool, len(g.elems))
	for _, k := range n.Children {
		q := qn(k)
		idx := -1
		var decl *ElementDecl
		for i, e := range g.elems {
			if got[i] {
				continue
			}
			if e.Name == q {
				idx, decl = i, e
				break
			}
			if !e.blockSubst {
				for _, m := range e.members {
					if m.Name == q {
						idx, decl = i, m
					}
				}
			}
			if idx >= 0 {
				break
			}
		}
		if idx < 0 {
			var names []QName
			for i, e := range g.elems {
				if !got[i] {
					names = append(names, e.Name)
				}
			}
			v.errAt(k, "The element "+name(qn(n))+" has invalid child element "+name(q)+"."+listExpected(formatNames(names, nil)))
			v.lax(k)
			continue
		}
		got[idx] = true
		v.element(k, decl)
	}
	if len(n.Children) == 0 && g.optional {
		return
	}
	var missing []QName
	for i, e := range g.elems {
		if g.required[i] && !got[i] {
			missing = append(missing, e.Name)
		}
	}
	if len(missing) > 0 {
		v.errAt(n, "The element "+name(qn(n))+" has incomplete content."+listExpected(formatNames(missing, nil)))
	}
}

// expectedAt lists what the states accept, as .NET does: names grouped by
// namespace, then wildcards.
func (v *vstate) expectedAt(a *automaton, cur []int, _ *Node) string {
	var names []QName
	var wilds []*wildcard
	seenName := map[QName]bool{}
	seenWild := map[*wildcard]bool{}
	for _, s := range cur {
		for _, e := range a.states[s].edges {
			if e.elem != nil {
				cands := []*ElementDecl{e.elem}
				if !e.elem.blockSubst {
					cands = append(cands, e.elem.members...)
				}
				for _, d := range cands {
					if d.abstract || seenName[d.Name] {
						continue
					}
					seenName[d.Name] = true
					names = append(names, d.Name)
				}
			} else if !seenWild[e.wild] {
				seenWild[e.wild] = true
				wilds = append(wilds, e.wild)
			}
		}
	}
	return formatNames(names, wilds)
}

func listExpected(s string) string {
	if s == "" {
		return ""
	}
	return " List of possible elements expected: " + s + "."
}

// formatNames writes 'a, b' in namespace 'x' as well as 'c' … as .NET.
func formatNames(names []QName, wilds []*wildcard) string {
	var parts []string
	for i := 0; i < len(names); {
		j := i
		var locals []string
		for j < len(names) && names[j].Space == names[i].Space {
			locals = append(locals, names[j].Local)
			j++
		}
		p := "'" + strings.Join(locals, ", ") + "'"
		if names[i].Space != "" {
			p += " in namespace '" + names[i].Space + "'"
		}
		parts = append(parts, p)
		i = j
	}
	for _, w := range wilds {
		switch {
		case w.any:
			parts = append(parts, "any element in namespace '##any'")
		case w.not != nil:
			parts = append(parts, "any element in namespace '##other:"+w.not[0]+"'")
		default:
			ns := make([]string, len(w.ns))
			for i, x := range w.ns {
				if x == "" {
					x = "##local"
				}
				ns[i] = x
			}
			parts = append(parts, "any element in namespace '"+strings.Join(ns, " ")+"'")
		}
	}
	return strings.Join(parts, " as well as ")
}

// ExpectedElements writes names as .NET's "List of possible elements
// expected" does: 'a, b' in namespace 'x' as well as 'c'.
func ExpectedElements(names []QName) string { return formatNames(names, nil) }

// ContentName writes a name as .NET's content-model messages do: 'local'
// in namespace 'ns'.
func ContentName(q QName) string { return name(q) }
