// Package gqlcost bounds what validating a GraphQL document costs before
// it is validated: the specification's rule that fields of one response
// name must merge compares them in pairs, merging their sub-selections too,
// so a 27 KB query of 9,000 "id" fields costs seconds of CPU in
// gqlparser's validator. Both validate-graphql-request (policies) and the
// gateway's GraphQL executor (gateway/internal/gqlexec) check a parsed
// document with MergeCostOK before they validate it.
package gqlcost

import "github.com/vektah/gqlparser/v2/ast"

// MaxTokens bounds the tokens of one query document: parsing and
// validation work grows with them (1.3 million tokens, a 4 MiB body, took
// 1.6 s to parse).
const MaxTokens = 20000

// MaxMergeCost bounds the estimated comparisons: the fields (fragments
// spread in) and, per response name, the pairs.
const MaxMergeCost = 100000

// MergeCostOK reports whether validating doc's operations and fragments
// costs at most MaxMergeCost comparisons. The estimate itself is bounded:
// it stops as soon as the cost passes the bound.
func MergeCostOK(doc *ast.QueryDocument) bool {
	m := &mergeCost{frags: map[string]*ast.FragmentDefinition{}}
	for _, f := range doc.Fragments {
		m.frags[f.Name] = f
	}
	ok := true
	for _, op := range doc.Operations {
		ok = ok && m.check([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		ok = ok && m.check([]ast.SelectionSet{f.SelectionSet})
	}
	return ok
}

// mergeCost estimates what checking that fields can merge costs: the
// fields of the merged sets, fragments spread in, and per response name
// the pairs of fields, then the same for their merged sub-selections. It
// stops as soon as the cost passes MaxMergeCost, so the estimate itself
// is bounded (a fragment spread four times in a fragment spread four
// times ... grows fast).
type mergeCost struct {
	frags map[string]*ast.FragmentDefinition
	cost  int
}

func (m *mergeCost) fields(set ast.SelectionSet, out []*ast.Field, depth int) []*ast.Field {
	for _, sel := range set {
		if m.cost > MaxMergeCost || depth > 64 {
			return out
		}
		switch x := sel.(type) {
		case *ast.Field:
			m.cost++
			out = append(out, x)
		case *ast.InlineFragment:
			out = m.fields(x.SelectionSet, out, depth+1)
		case *ast.FragmentSpread:
			if f := m.frags[x.Name]; f != nil {
				out = m.fields(f.SelectionSet, out, depth+1)
			}
		}
	}
	return out
}

func (m *mergeCost) check(sets []ast.SelectionSet) bool {
	var fs []*ast.Field
	for _, s := range sets {
		fs = m.fields(s, fs, 0)
	}
	groups := map[string][]*ast.Field{}
	var names []string
	for _, f := range fs {
		name := f.Alias
		if name == "" {
			name = f.Name
		}
		if groups[name] == nil {
			names = append(names, name)
		}
		groups[name] = append(groups[name], f)
	}
	for _, name := range names {
		g := groups[name]
		if m.cost += len(g) * len(g); m.cost > MaxMergeCost {
			return false
		}
		var subs []ast.SelectionSet
		for _, f := range g {
			if len(f.SelectionSet) > 0 {
				subs = append(subs, f.SelectionSet)
			}
		}
		if len(subs) > 0 && !m.check(subs) {
			return false
		}
	}
	return m.cost <= MaxMergeCost
}
