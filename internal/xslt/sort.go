package xslt

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"tollgate/internal/xpath"
)

// sortSpec is a compiled xsl:sort.
type sortSpec struct {
	sel       *xexpr
	order     *avt
	dataType  *avt
	caseOrder *avt
}

// sortNodes sorts nodes by specs (stable). Text keys are compared by code
// point after case folding (lower case), ties between keys that differ only
// in case broken by case-order (lower-first unless upper-first is asked);
// number keys put NaN first.
func (c *xctx) sortNodes(nodes xpath.NodeSet, specs []*sortSpec) (xpath.NodeSet, error) {
	type keyed struct {
		n    *xpath.Node
		strs []string
		fold []string
		nums []float64
	}
	type spec struct {
		desc, number, upperFirst bool
	}
	ss := make([]spec, len(specs))
	for i, s := range specs {
		o, err := s.order.eval(c)
		if err != nil {
			return nil, err
		}
		d, err := s.dataType.eval(c)
		if err != nil {
			return nil, err
		}
		co, err := s.caseOrder.eval(c)
		if err != nil {
			return nil, err
		}
		ss[i] = spec{desc: o == "descending", number: d == "number", upperFirst: co == "upper-first"}
	}
	items := make([]keyed, len(nodes))
	nc := &xctx{rt: c.rt, frame: c.frame, mode: c.mode, size: len(nodes)}
	for i, n := range nodes {
		if err := c.rt.tick(); err != nil {
			return nil, err
		}
		nc.node, nc.pos = n, i+1
		it := keyed{n: n, strs: make([]string, len(specs)), fold: make([]string, len(specs)), nums: make([]float64, len(specs))}
		for j, s := range specs {
			v, err := nc.eval(s.sel)
			if err != nil {
				return nil, err
			}
			if ss[j].number {
				it.nums[j] = xpath.ToNumber(v)
			} else {
				str := xpath.ToString(v)
				it.strs[j] = str
				it.fold[j] = strings.ToLower(str)
			}
		}
		items[i] = it
	}
	sort.SliceStable(items, func(a, b int) bool {
		x, y := &items[a], &items[b]
		for j, s := range ss {
			var cmp int
			if s.number {
				cmp = compareNumbers(x.nums[j], y.nums[j])
			} else {
				cmp = strings.Compare(x.fold[j], y.fold[j])
				if cmp == 0 {
					cmp = compareCase(x.strs[j], y.strs[j], s.upperFirst)
				}
			}
			if s.desc {
				cmp = -cmp
			}
			if cmp != 0 {
				return cmp < 0
			}
		}
		return false
	})
	out := make(xpath.NodeSet, len(items))
	for i, it := range items {
		out[i] = it.n
	}
	return out, nil
}

func compareNumbers(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return -1
	case bn:
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareCase orders two strings equal but for case: at the first
// difference, the lower-case letter comes first (or the upper-case one).
func compareCase(a, b string, upperFirst bool) int {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		aUp := unicode.IsUpper(ar[i])
		if aUp == upperFirst {
			return -1
		}
		return 1
	}
	return len(ar) - len(br)
}
