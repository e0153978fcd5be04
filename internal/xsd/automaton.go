package xsd

import "fmt"

// A content model (sequence, choice, occurrence bounds) is compiled into a
// nondeterministic automaton: each state has labelled edges (an element
// declaration, with its substitution group, or a wildcard) and epsilon
// edges. Bounded repetition is written out (a{2,4}: a a a? a?), so the
// states are bounded (Limits.MaxModelStates); unbounded repetition loops.
// Validation runs it on the set of current states: the set of labels out
// of it is the "List of possible elements expected" of an error.

type edge struct {
	elem *ElementDecl
	wild *wildcard
	to   int
}

type state struct {
	edges []edge
	eps   []int
}

type automaton struct {
	states []state
	start  int
	final  int
}

// errTooLarge is returned when a model would exceed its state budget.
type errTooLarge struct{ limit int }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the content model needs more than %d automaton states (occurrence bounds too large)", e.limit)
}

type builder struct {
	a     *automaton
	limit int
}

func (b *builder) newState() (int, error) {
	if len(b.a.states) >= b.limit {
		return 0, errTooLarge{b.limit}
	}
	b.a.states = append(b.a.states, state{})
	return len(b.a.states) - 1, nil
}

func buildAutomaton(p *particle, limit int) (*automaton, error) {
	b := &builder{a: &automaton{}, limit: limit}
	s, err := b.newState()
	if err != nil {
		return nil, err
	}
	f, err := b.particle(p, s)
	if err != nil {
		return nil, err
	}
	b.a.start, b.a.final = s, f
	return b.a, nil
}

func mustAutomaton(p *particle) *automaton {
	a, err := buildAutomaton(p, 1000)
	if err != nil {
		panic(err)
	}
	return a
}

// particle adds p after state from and returns its end state.
func (b *builder) particle(p *particle, from int) (int, error) {
	cur := from
	var err error
	for i := 0; i < p.min; i++ {
		if cur, err = b.term(p, cur); err != nil {
			return 0, err
		}
	}
	switch {
	case p.max < 0:
		// a loop: from cur, optionally one term back to cur.
		loopStart, err := b.newState()
		if err != nil {
			return 0, err
		}
		b.a.states[cur].eps = append(b.a.states[cur].eps, loopStart)
		end, err := b.term(p, loopStart)
		if err != nil {
			return 0, err
		}
		b.a.states[end].eps = append(b.a.states[end].eps, loopStart)
		out, err := b.newState()
		if err != nil {
			return 0, err
		}
		b.a.states[loopStart].eps = append(b.a.states[loopStart].eps, out)
		return out, nil
	case p.max > p.min:
		out, err := b.newState()
		if err != nil {
			return 0, err
		}
		for i := p.min; i < p.max; i++ {
			b.a.states[cur].eps = append(b.a.states[cur].eps, out)
			if cur, err = b.term(p, cur); err != nil {
				return 0, err
			}
		}
		b.a.states[cur].eps = append(b.a.states[cur].eps, out)
		return out, nil
	}
	return cur, nil
}

// term adds one occurrence of p's term.
func (b *builder) term(p *particle, from int) (int, error) {
	switch {
	case p.elem != nil || p.wild != nil:
		to, err := b.newState()
		if err != nil {
			return 0, err
		}
		b.a.states[from].edges = append(b.a.states[from].edges, edge{elem: p.elem, wild: p.wild, to: to})
		return to, nil
	case p.group == seqGroup:
		cur := from
		var err error
		for _, c := range p.children {
			if cur, err = b.particle(c, cur); err != nil {
				return 0, err
			}
		}
		return cur, nil
	case p.group == choiceGroup:
		out, err := b.newState()
		if err != nil {
			return 0, err
		}
		if len(p.children) == 0 {
			return out, nil // an empty choice matches nothing
		}
		for _, c := range p.children {
			s, err := b.newState()
			if err != nil {
				return 0, err
			}
			b.a.states[from].eps = append(b.a.states[from].eps, s)
			end, err := b.particle(c, s)
			if err != nil {
				return 0, err
			}
			b.a.states[end].eps = append(b.a.states[end].eps, out)
		}
		return out, nil
	}
	return from, nil
}

// closure extends set (a list of states, seen marking members) with every
// state reachable by epsilon edges.
func (a *automaton) closure(set []int, seen []bool) []int {
	for i := 0; i < len(set); i++ {
		for _, e := range a.states[set[i]].eps {
			if !seen[e] {
				seen[e] = true
				set = append(set, e)
			}
		}
	}
	return set
}

// matches reports whether the edge accepts an element named n, and the
// declaration to validate it by (nil for a wildcard).
func (e *edge) matches(n QName) (*ElementDecl, bool) {
	if e.elem != nil {
		if e.elem.Name == n {
			return e.elem, true
		}
		if !e.elem.blockSubst {
			for _, m := range e.elem.members {
				if m.Name == n {
					return m, true
				}
			}
		}
		return nil, false
	}
	return nil, e.wild.allows(n.Space)
}
