package xslt

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"tollgate/internal/xpath"
)

// decimalFormat is an xsl:decimal-format.
type decimalFormat struct {
	decimalSep, groupSep, percent, perMille, zeroDigit, digit, patternSep, minus rune
	infinity, nan                                                                string
	line                                                                         int
}

func defaultDecimalFormat() *decimalFormat {
	return &decimalFormat{decimalSep: '.', groupSep: ',', percent: '%', perMille: '\u2030', zeroDigit: '0',
		digit: '#', patternSep: ';', minus: '-', infinity: "Infinity", nan: "NaN"}
}

var decimalFormatAttrs = attrsOf("name", "decimal-separator", "grouping-separator", "infinity", "minus-sign",
	"NaN", "percent", "per-mille", "zero-digit", "digit", "pattern-separator")

func (c *compiler) compileDecimalFormat(n *sNode) error {
	if err := c.checkAttrs(n, decimalFormatAttrs, c.fcp); err != nil {
		return err
	}
	var q qname
	if name, ok := n.attr("name"); ok {
		var err error
		if q, err = c.qnameOf(n, name); err != nil {
			return err
		}
	}
	df := defaultDecimalFormat()
	df.line = n.line
	chars := []struct {
		attr string
		p    *rune
	}{{"decimal-separator", &df.decimalSep}, {"grouping-separator", &df.groupSep}, {"percent", &df.percent},
		{"per-mille", &df.perMille}, {"zero-digit", &df.zeroDigit}, {"digit", &df.digit},
		{"pattern-separator", &df.patternSep}, {"minus-sign", &df.minus}}
	for _, ch := range chars {
		if v, ok := n.attr(ch.attr); ok {
			if utf8.RuneCountInString(v) != 1 {
				return errAt(n, "%s must be a single character, not %q", ch.attr, v)
			}
			*ch.p, _ = utf8.DecodeRuneInString(v)
		}
	}
	if v, ok := n.attr("infinity"); ok {
		df.infinity = v
	}
	if v, ok := n.attr("NaN"); ok {
		df.nan = v
	}
	if prev, ok := c.ss.decFormats[q]; ok && prev.line != 0 {
		p, d := *prev, *df
		p.line, d.line = 0, 0
		if p != d {
			return errAt(n, "decimal format %s is already defined differently at line %d", q, prev.line)
		}
	}
	c.ss.decFormats[q] = df
	return nil
}

func fnFormatNumber(ctx *xpath.Context, args []xpath.Value, n *sNode) (xpath.Value, error) {
	c, err := hostOf(ctx)
	if err != nil {
		return nil, err
	}
	var q qname
	if len(args) == 3 {
		q, err = resolveQNameArg(n, xpath.ToString(args[2]), false)
		if err != nil {
			return nil, err
		}
	}
	df, ok := c.rt.ss.decFormats[q]
	if !ok {
		return nil, fmt.Errorf("no xsl:decimal-format named %s", q)
	}
	s, err := formatNumber(xpath.ToNumber(args[0]), xpath.ToString(args[1]), df)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// subPattern is one half of a JDK DecimalFormat pattern.
type subPattern struct {
	prefix, suffix   string
	minInt           int
	minFrac, maxFrac int
	group            int
	mult             float64
}

// parseSubPattern parses prefix, number part and suffix.
func parseSubPattern(p string, df *decimalFormat) (subPattern, error) {
	sp := subPattern{mult: 1}
	rs := []rune(p)
	isNum := func(r rune) bool {
		return r == df.digit || r == df.zeroDigit || r == df.groupSep || r == df.decimalSep
	}
	var prefix, suffix strings.Builder
	i := 0
	quoted := false
	affix := func(b *strings.Builder, stopAtNum bool) error {
		for ; i < len(rs); i++ {
			r := rs[i]
			if r == '\'' {
				if i+1 < len(rs) && rs[i+1] == '\'' {
					b.WriteRune('\'')
					i++
					continue
				}
				quoted = !quoted
				continue
			}
			if quoted {
				b.WriteRune(r)
				continue
			}
			if stopAtNum && isNum(r) {
				return nil
			}
			if !stopAtNum && isNum(r) {
				return fmt.Errorf("pattern %q: a digit or separator in the suffix", p)
			}
			switch r {
			case df.percent:
				if sp.mult != 1 {
					return fmt.Errorf("pattern %q: more than one percent or per-mille sign", p)
				}
				sp.mult = 100
			case df.perMille:
				if sp.mult != 1 {
					return fmt.Errorf("pattern %q: more than one percent or per-mille sign", p)
				}
				sp.mult = 1000
			}
			b.WriteRune(r)
		}
		return nil
	}
	if err := affix(&prefix, true); err != nil {
		return sp, err
	}
	// number part
	inFrac := false
	lastGroup := -1
	intDigits := 0
	seenZeroInt := false
	for ; i < len(rs) && isNum(rs[i]); i++ {
		r := rs[i]
		switch {
		case r == df.decimalSep:
			if inFrac {
				return sp, fmt.Errorf("pattern %q: two decimal separators", p)
			}
			inFrac = true
		case r == df.groupSep:
			if inFrac {
				return sp, fmt.Errorf("pattern %q: a grouping separator in the fraction", p)
			}
			lastGroup = intDigits
		case r == df.zeroDigit:
			if inFrac {
				if sp.maxFrac > sp.minFrac {
					return sp, fmt.Errorf("pattern %q: 0 after # in the fraction", p)
				}
				sp.minFrac++
				sp.maxFrac++
			} else {
				sp.minInt++
				intDigits++
				seenZeroInt = true
			}
		case r == df.digit:
			if inFrac {
				sp.maxFrac++
			} else {
				if seenZeroInt {
					return sp, fmt.Errorf("pattern %q: # after 0 in the integer part", p)
				}
				intDigits++
			}
		}
	}
	if lastGroup >= 0 {
		sp.group = intDigits - lastGroup
	}
	if err := affix(&suffix, false); err != nil {
		return sp, err
	}
	if quoted {
		return sp, fmt.Errorf("pattern %q: unterminated quote", p)
	}
	sp.prefix, sp.suffix = prefix.String(), suffix.String()
	return sp, nil
}

// formatNumber is format-number() with the JDK 1.1 DecimalFormat pattern
// syntax; rounding is half-even.
func formatNumber(x float64, pattern string, df *decimalFormat) (string, error) {
	parts := strings.Split(pattern, string(df.patternSep))
	if len(parts) > 2 {
		return "", fmt.Errorf("pattern %q has more than two subpatterns", pattern)
	}
	pos, err := parseSubPattern(parts[0], df)
	if err != nil {
		return "", err
	}
	neg := pos
	neg.prefix = string(df.minus) + pos.prefix
	if len(parts) == 2 {
		np, err := parseSubPattern(parts[1], df)
		if err != nil {
			return "", err
		}
		neg.prefix, neg.suffix, neg.mult = np.prefix, np.suffix, np.mult
	}
	if math.IsNaN(x) {
		return df.nan, nil
	}
	sp := pos
	if x < 0 {
		sp = neg
		x = -x
	}
	if math.IsInf(x, 0) {
		return sp.prefix + df.infinity + sp.suffix, nil
	}
	x *= sp.mult
	if math.IsInf(x, 0) {
		return sp.prefix + df.infinity + sp.suffix, nil
	}
	s := strconv.FormatFloat(x, 'f', sp.maxFrac, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	for len(frac) > sp.minFrac && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	intPart = strings.TrimLeft(intPart, "0")
	for len(intPart) < sp.minInt {
		intPart = "0" + intPart
	}
	if intPart == "" && frac == "" {
		intPart = "0"
	}
	var b strings.Builder
	b.WriteString(sp.prefix)
	digit := func(d byte) { b.WriteRune(df.zeroDigit + rune(d-'0')) }
	for i := 0; i < len(intPart); i++ {
		if i > 0 && sp.group > 0 && (len(intPart)-i)%sp.group == 0 {
			b.WriteRune(df.groupSep)
		}
		digit(intPart[i])
	}
	if frac != "" {
		b.WriteRune(df.decimalSep)
		for i := 0; i < len(frac); i++ {
			digit(frac[i])
		}
	}
	b.WriteString(sp.suffix)
	return b.String(), nil
}
