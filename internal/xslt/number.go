package xslt

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"tollgate/internal/xpath"
)

// numberInstr is a compiled xsl:number.
type numberInstr struct {
	base
	level       string
	count, from *xpath.Pattern
	scope       *scope
	value       *xexpr
	format      *avt
	gsep, gsize *avt
}

func (c *compiler) compileNumber(cc *cctx, n *sNode) (instr, error) {
	if err := c.checkAttrs(n, attrsOf("level", "count", "from", "value", "format", "lang", "letter-value",
		"grouping-separator", "grouping-size"), cc.fcp); err != nil {
		return nil, err
	}
	in := &numberInstr{base: base{pos{"xsl:number", n.line}}, level: "single", scope: cc.scope}
	if v, ok := n.attr("level"); ok {
		switch v {
		case "single", "multiple", "any":
			in.level = v
		default:
			return nil, errAt(n, "level must be single, multiple or any, not %q", v)
		}
	}
	var err error
	if v, ok := n.attr("count"); ok {
		if in.count, err = c.pattern(cc, n, "count", v, true); err != nil {
			return nil, err
		}
	}
	if v, ok := n.attr("from"); ok {
		if in.from, err = c.pattern(cc, n, "from", v, true); err != nil {
			return nil, err
		}
	}
	if v, ok := n.attr("value"); ok {
		if in.value, err = c.expr(cc, n, "value", v); err != nil {
			return nil, err
		}
	}
	f, ok := n.attr("format")
	if !ok {
		f = "1"
	}
	if in.format, err = c.compileAVT(cc, n, "format", f); err != nil {
		return nil, err
	}
	if in.gsep, err = c.optAVT(cc, n, "grouping-separator"); err != nil {
		return nil, err
	}
	if in.gsize, err = c.optAVT(cc, n, "grouping-size"); err != nil {
		return nil, err
	}
	if len(n.children) > 0 {
		return nil, errAt(n, "xsl:number must be empty")
	}
	return in, nil
}

func (in *numberInstr) exec(c *xctx) error {
	s, err := in.eval(c)
	if err != nil {
		return in.p.wrap(err)
	}
	return in.p.wrap(c.rt.out.text(s, false))
}

func (in *numberInstr) eval(c *xctx) (string, error) {
	var nums []float64
	if in.value != nil {
		v, err := c.eval(in.value)
		if err != nil {
			return "", err
		}
		f := xpath.ToNumber(v)
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0.5 || f >= 1<<53 {
			return xpath.NumberToString(f), nil
		}
		nums = []float64{math.Floor(f + 0.5)}
	} else {
		var err error
		if nums, err = in.countNodes(c); err != nil {
			return "", err
		}
	}
	format, err := in.format.eval(c)
	if err != nil {
		return "", err
	}
	gsep, err := in.gsep.eval(c)
	if err != nil {
		return "", err
	}
	gsizeS, err := in.gsize.eval(c)
	if err != nil {
		return "", err
	}
	gsize := 0
	if in.gsep != nil && in.gsize != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(gsizeS)); err == nil && n > 0 {
			gsize = n
		}
	}
	return formatNumberList(nums, format, gsep, gsize), nil
}

func (in *numberInstr) matches(c *xctx, p *xpath.Pattern, n *xpath.Node) (bool, error) {
	xc := c.xpathContext(&xexpr{scope: in.scope, vars: true})
	xc.Node, xc.Position, xc.Size = n, 1, 1
	return p.Match(xc, n)
}

// countNodes numbers the current node as level, count and from say.
func (in *numberInstr) countNodes(c *xctx) ([]float64, error) {
	cur := c.node
	countMatch := func(n *xpath.Node) (bool, error) {
		if in.count != nil {
			return in.matches(c, in.count, n)
		}
		if n.Kind != cur.Kind {
			return false, nil
		}
		switch n.Kind {
		case xpath.ElementNode, xpath.AttributeNode:
			return n.Space == cur.Space && n.Local == cur.Local, nil
		case xpath.ProcInstNode:
			return n.Local == cur.Local, nil
		}
		return true, nil
	}
	fromMatch := func(n *xpath.Node) (bool, error) {
		if in.from == nil {
			return false, nil
		}
		return in.matches(c, in.from, n)
	}
	siblingNumber := func(n *xpath.Node) (float64, error) {
		num := 1.0
		if n.Parent == nil || n.Kind == xpath.AttributeNode || n.Kind == xpath.NamespaceNode {
			return num, nil
		}
		for _, s := range n.Parent.Children {
			if s == n {
				break
			}
			ok, err := countMatch(s)
			if err != nil {
				return 0, err
			}
			if ok {
				num++
			}
		}
		return num, nil
	}
	switch in.level {
	case "single", "multiple":
		var found []*xpath.Node
		for n := cur; n != nil; n = n.Parent {
			if err := c.rt.tick(); err != nil {
				return nil, err
			}
			// only nodes below the nearest from ancestor are searched
			if f, err := fromMatch(n); err != nil {
				return nil, err
			} else if f && n != cur {
				break
			}
			ok, err := countMatch(n)
			if err != nil {
				return nil, err
			}
			if ok {
				found = append(found, n)
				if in.level == "single" {
					break
				}
			}
		}
		nums := make([]float64, len(found))
		for i, n := range found {
			v, err := siblingNumber(n)
			if err != nil {
				return nil, err
			}
			nums[len(found)-1-i] = v
		}
		return nums, nil
	default: // any
		count := 0.0
		var walk func(n *xpath.Node) (bool, error)
		visit := func(n *xpath.Node) error {
			if err := c.rt.tick(); err != nil {
				return err
			}
			if f, err := fromMatch(n); err != nil {
				return err
			} else if f {
				count = 0
			}
			ok, err := countMatch(n)
			if err != nil {
				return err
			}
			if ok {
				count++
			}
			return nil
		}
		walk = func(n *xpath.Node) (bool, error) {
			if err := visit(n); err != nil {
				return false, err
			}
			if n == cur {
				return true, nil
			}
			for _, a := range n.Attrs {
				if a == cur {
					return true, visit(a)
				}
			}
			for _, ch := range n.Children {
				done, err := walk(ch)
				if done || err != nil {
					return done, err
				}
			}
			return false, nil
		}
		if _, err := walk(cur.Root()); err != nil {
			return nil, err
		}
		if count == 0 {
			return nil, nil
		}
		return []float64{count}, nil
	}
}

// formatNumberList formats numbers with an xsl:number format string
// (section 7.7.1).
func formatNumberList(nums []float64, format, gsep string, gsize int) string {
	alnum := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.N, r) }
	rs := []rune(format)
	var tokens, seps []string
	prefix, suffix := "", ""
	i := 0
	for i < len(rs) && !alnum(rs[i]) {
		i++
	}
	prefix = string(rs[:i])
	for i < len(rs) {
		j := i
		for j < len(rs) && alnum(rs[j]) {
			j++
		}
		tokens = append(tokens, string(rs[i:j]))
		k := j
		for k < len(rs) && !alnum(rs[k]) {
			k++
		}
		if k == len(rs) {
			suffix = string(rs[j:k])
		} else {
			seps = append(seps, string(rs[j:k]))
		}
		i = k
	}
	if len(tokens) == 0 {
		tokens = []string{"1"}
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i, n := range nums {
		if i > 0 {
			sep := "."
			if len(seps) > 0 {
				if i-1 < len(seps) {
					sep = seps[i-1]
				} else {
					sep = seps[len(seps)-1]
				}
			}
			b.WriteString(sep)
		}
		tok := tokens[len(tokens)-1]
		if i < len(tokens) {
			tok = tokens[i]
		}
		b.WriteString(formatToken(int64(n), tok, gsep, gsize))
	}
	if len(nums) > 0 || true {
		b.WriteString(suffix)
	}
	return b.String()
}

func formatToken(n int64, tok, gsep string, gsize int) string {
	switch tok {
	case "a", "A":
		if n >= 1 {
			return alphabetic(n, rune(tok[0]))
		}
	case "i", "I":
		if n >= 1 && n < 4000 {
			s := roman(n)
			if tok == "i" {
				s = strings.ToLower(s)
			}
			return s
		}
	}
	width := 1
	zero := '0'
	rs := []rune(tok)
	if len(rs) > 0 && unicode.IsDigit(rs[len(rs)-1]) {
		z := rs[len(rs)-1] - 1
		ok := unicode.IsDigit(z)
		for _, r := range rs[:len(rs)-1] {
			if r != z {
				ok = false
			}
		}
		if ok {
			width, zero = len(rs), z
		}
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) < width {
		s = "0" + s
	}
	if gsize > 0 && gsep != "" {
		var g strings.Builder
		for i := 0; i < len(s); i++ {
			if i > 0 && (len(s)-i)%gsize == 0 {
				g.WriteString(gsep)
			}
			g.WriteByte(s[i])
		}
		s = g.String()
	}
	if zero != '0' {
		var m strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				m.WriteRune(zero + (r - '0'))
			} else {
				m.WriteRune(r)
			}
		}
		s = m.String()
	}
	if neg {
		s = "-" + s
	}
	return s
}

func alphabetic(n int64, a rune) string {
	var out []rune
	for n > 0 {
		n--
		out = append([]rune{a + rune(n%26)}, out...)
		n /= 26
	}
	return string(out)
}

func roman(n int64) string {
	vals := []int64{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}
