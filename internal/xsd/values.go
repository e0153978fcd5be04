package xsd

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// value is a value of a simple type's value space, as far as facets need
// it: equality (enumeration, fixed) and order (bounds).
type value struct {
	p   prim
	s   string   // string-like: the normalized text; QName: {ns}local; binary: the octets
	num *big.Rat // decimal family
	f   float64  // float, double
	t   time.Time
	dur [2]float64 // duration: months, seconds
	n   int        // length: characters, octets
	// list values: the items
	items []value
}

func decimalValue(s string) value {
	r, _ := new(big.Rat).SetString(s)
	return value{p: pDecimal, num: r}
}

var (
	decimalRE  = regexp.MustCompile(`\A[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\z`)
	floatRE    = regexp.MustCompile(`\A(-?INF|NaN|[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)\z`)
	durationRE = regexp.MustCompile(`\A-?P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?\z`)
	tzRE       = `(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?`
	yearRE     = `(-?(?:[1-9][0-9]{4,}|[0-9]{4}))`
	timeRE     = `([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]+)?)`
	dtREs      = map[prim]*regexp.Regexp{
		pDateTime:   regexp.MustCompile(`\A` + yearRE + `-([0-9]{2})-([0-9]{2})T` + timeRE + tzRE + `\z`),
		pDate:       regexp.MustCompile(`\A` + yearRE + `-([0-9]{2})-([0-9]{2})` + tzRE + `\z`),
		pTime:       regexp.MustCompile(`\A` + timeRE + tzRE + `\z`),
		pGYearMonth: regexp.MustCompile(`\A` + yearRE + `-([0-9]{2})` + tzRE + `\z`),
		pGYear:      regexp.MustCompile(`\A` + yearRE + tzRE + `\z`),
		pGMonthDay:  regexp.MustCompile(`\A--([0-9]{2})-([0-9]{2})` + tzRE + `\z`),
		pGDay:       regexp.MustCompile(`\A---([0-9]{2})` + tzRE + `\z`),
		pGMonth:     regexp.MustCompile(`\A--([0-9]{2})` + tzRE + `\z`),
	}
)

// parsePrim reads a normalized lexical form of a primitive. ctx resolves
// QName prefixes (nil: any prefix fails). The error is .NET's wording.
func parsePrim(p prim, s string, ctx *Node) (value, string) {
	v := value{p: p, s: s, n: utf8.RuneCountInString(s)}
	bad := func(what string) (value, string) {
		return v, "The string '" + s + "' is not a valid " + what + " value."
	}
	switch p {
	case pAnySimple, pString, pAnyURI:
		return v, ""
	case pBoolean:
		switch s {
		case "true", "1":
			v.s = "true"
		case "false", "0":
			v.s = "false"
		default:
			return bad("Boolean")
		}
	case pDecimal:
		if !decimalRE.MatchString(s) {
			return bad("Decimal")
		}
		r, ok := new(big.Rat).SetString(strings.TrimSuffix(strings.TrimPrefix(s, "+"), "."))
		if !ok {
			return bad("Decimal")
		}
		v.num = r
	case pFloat, pDouble:
		if !floatRE.MatchString(s) {
			if p == pFloat {
				return bad("Float")
			}
			return bad("Double")
		}
		switch s {
		case "INF":
			v.f = math.Inf(1)
		case "-INF":
			v.f = math.Inf(-1)
		case "NaN":
			v.f = math.NaN()
		default:
			bits := 64
			if p == pFloat {
				bits = 32
			}
			f, err := strconv.ParseFloat(s, bits)
			if err != nil && !strings.Contains(err.Error(), "range") {
				return bad("Double")
			}
			v.f = f
		}
	case pDuration:
		m := durationRE.FindStringSubmatch(s)
		if m == nil || strings.HasSuffix(s, "T") || s == "P" || s == "-P" {
			return bad("TimeSpan")
		}
		num := func(x string) float64 { f, _ := strconv.ParseFloat(x, 64); return f }
		v.dur[0] = num(m[1])*12 + num(m[2])
		v.dur[1] = num(m[3])*86400 + num(m[4])*3600 + num(m[5])*60 + num(m[6])
		if s[0] == '-' {
			v.dur[0], v.dur[1] = -v.dur[0], -v.dur[1]
		}
	case pDateTime, pDate, pTime, pGYearMonth, pGYear, pGMonthDay, pGDay, pGMonth:
		t, ok := parseDateTime(p, s)
		if !ok {
			return bad("DateTime")
		}
		v.t = t
	case pHexBinary:
		b, err := hex.DecodeString(s)
		if err != nil {
			return bad("hexBinary")
		}
		v.s, v.n = string(b), len(b)
	case pBase64Binary:
		b, err := base64.StdEncoding.Strict().DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			return bad("base64Binary")
		}
		v.s, v.n = string(b), len(b)
	case pQName, pNOTATION:
		prefix, local, found := strings.Cut(s, ":")
		if !found {
			prefix, local = "", s
		}
		if (found && !isNCName(prefix)) || !isNCName(local) {
			return bad("QName")
		}
		ns := ""
		if ctx != nil {
			u, ok := ctx.Lookup(prefix)
			if !ok {
				return v, "'" + prefix + "' is an undeclared prefix."
			}
			ns = u
		} else if found {
			return v, "'" + prefix + "' is an undeclared prefix."
		}
		v.s = "{" + ns + "}" + local
	}
	return v, ""
}

// parseDateTime reads the date/time family; fields a type lacks take a
// fixed reference (year 2000, January, the 1st). A value without a time
// zone is compared as UTC (XML Schema orders such values only partially).
func parseDateTime(p prim, s string) (time.Time, bool) {
	m := dtREs[p].FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	year, month, day, hour, min := 2000, 1, 1, 0, 0
	sec := 0.0
	var tz string
	switch p {
	case pDateTime:
		year, month, day, hour, min = atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5])
		sec, _ = strconv.ParseFloat(m[6], 64)
		tz = m[7]
	case pDate:
		year, month, day, tz = atoi(m[1]), atoi(m[2]), atoi(m[3]), m[4]
	case pTime:
		hour, min = atoi(m[1]), atoi(m[2])
		sec, _ = strconv.ParseFloat(m[3], 64)
		tz = m[4]
	case pGYearMonth:
		year, month, tz = atoi(m[1]), atoi(m[2]), m[3]
	case pGYear:
		year, tz = atoi(m[1]), m[2]
	case pGMonthDay:
		month, day, tz = atoi(m[1]), atoi(m[2]), m[3]
	case pGDay:
		day, tz = atoi(m[1]), m[2]
	case pGMonth:
		month, tz = atoi(m[1]), m[2]
	}
	if year == 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month, p) || min > 59 || sec >= 60 {
		return time.Time{}, false
	}
	if hour > 24 || (hour == 24 && (min != 0 || sec != 0)) {
		return time.Time{}, false
	}
	if len(m[1]) > 0 && m[1][0] == '-' && p != pTime && p != pGMonthDay && p != pGDay && p != pGMonth {
		year++ // no year 0 in XML Schema 1.0: -0001 is 1 BCE, year 0 in Go's reckoning
	}
	whole := math.Floor(sec)
	t := time.Date(year, time.Month(month), day, hour, min, int(whole), int((sec-whole)*1e9), time.UTC)
	if tz != "" && tz != "Z" {
		sign := 1
		if tz[0] == '-' {
			sign = -1
		}
		off := sign * (atoi(tz[1:3])*60 + atoi(tz[4:6]))
		t = t.Add(-time.Duration(off) * time.Minute)
	}
	return t, true
}

func daysIn(year, month int, p prim) int {
	switch month {
	case 2:
		if p == pGMonthDay || p == pGDay || p == pGMonth {
			return 29
		}
		if year < 0 {
			year++
		}
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// compare orders two values of one primitive: -1, 0, 1, or 2 when they
// are not comparable (NaN).
func compare(a, b value) int {
	switch {
	case a.num != nil && b.num != nil:
		return a.num.Cmp(b.num)
	case a.p == pFloat || a.p == pDouble:
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return 2
		}
		switch {
		case a.f < b.f:
			return -1
		case a.f > b.f:
			return 1
		}
		return 0
	case a.p == pDuration:
		x := a.dur[0]*30.436875*86400 + a.dur[1]
		y := b.dur[0]*30.436875*86400 + b.dur[1]
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case a.p >= pDateTime && a.p <= pGMonth:
		return a.t.Compare(b.t)
	}
	return strings.Compare(a.s, b.s)
}

// equal is value equality (enumeration, fixed).
func equal(a, b value) bool {
	if len(a.items) > 0 || len(b.items) > 0 {
		if len(a.items) != len(b.items) {
			return false
		}
		for i := range a.items {
			if !equal(a.items[i], b.items[i]) {
				return false
			}
		}
		return true
	}
	if (a.num == nil) != (b.num == nil) {
		return false
	}
	if a.p == pFloat || a.p == pDouble {
		if math.IsNaN(a.f) && math.IsNaN(b.f) {
			return true
		}
		return a.f == b.f && a.p == b.p
	}
	if a.num == nil && a.p != b.p && !(stringish(a.p) && stringish(b.p)) {
		return false
	}
	return compare(a, b) == 0
}

func stringish(p prim) bool { return p == pString || p == pAnySimple || p == pAnyURI }

// digits counts a decimal's total and fraction digits from its lexical
// form (leading zeros and the fraction's trailing zeros not counted).
func digits(lex string) (total, fraction int) {
	lex = strings.TrimLeft(lex, "+-")
	intPart, frac, _ := strings.Cut(lex, ".")
	frac = strings.TrimRight(frac, "0")
	intPart = strings.TrimLeft(intPart, "0")
	return len(intPart) + len(frac), len(frac)
}
