package xsd

import (
	"strings"
	"unicode/utf8"
)

// dotnetNames are the .NET type names of XmlConvert's "is not a valid X
// value" messages.
var dotnetNames = map[string]string{
	"int": "Int32", "long": "Int64", "short": "Int16", "byte": "SByte", "unsignedByte": "Byte",
	"unsignedShort": "UInt16", "unsignedInt": "UInt32", "unsignedLong": "UInt64", "decimal": "Decimal",
	"integer": "Integer", "nonNegativeInteger": "NonNegativeInteger", "positiveInteger": "PositiveInteger",
	"nonPositiveInteger": "NonPositiveInteger", "negativeInteger": "NegativeInteger", "boolean": "Boolean",
	"float": "Float", "double": "Double", "dateTime": "DateTime", "date": "Date", "time": "Time",
}

func dotnetName(builtin string) string {
	if n, ok := dotnetNames[builtin]; ok {
		return n
	}
	if builtin == "" {
		return "String"
	}
	return strings.ToUpper(builtin[:1]) + builtin[1:]
}

// checkSimpleNoEnum checks a facet's value against the base type.
func (s *Set) checkSimpleNoEnum(t *SimpleType, lexical string, ctx *Node) (value, string) {
	return s.checkSimple(t, lexical, ctx)
}

// checkSimple validates a lexical form against a simple type: its value,
// or the reason it is not valid (.NET's wording).
func (s *Set) checkSimple(t *SimpleType, lexical string, ctx *Node) (value, string) {
	ws := t.facets.ws
	if t.variety != atomic {
		ws = wsCollapse
	}
	norm := normalize(lexical, ws)
	var v value
	switch t.variety {
	case list:
		items := strings.Fields(norm)
		v = value{p: pString, s: norm, n: len(items)}
		for _, it := range items {
			iv, msg := s.checkSimple(t.item, it, ctx)
			if msg != "" {
				return v, msg
			}
			v.items = append(v.items, iv)
		}
	case union:
		found := false
		for _, m := range t.members {
			mv, msg := s.checkSimple(m, lexical, ctx)
			if msg == "" {
				v, found = mv, true
				break
			}
		}
		if !found {
			return v, "The value '" + norm + "' is not valid according to any of the memberTypes of the union."
		}
	default:
		var msg string
		v, msg = parsePrim(t.prim, norm, ctx)
		if msg != "" {
			if t.builtin != "" && (t.prim == pDecimal) {
				return v, "The string '" + norm + "' is not a valid " + dotnetName(t.builtin) + " value."
			}
			return v, msg
		}
		if t.lexical != nil && !t.lexical(norm) {
			return v, "The string '" + norm + "' is not a valid " + dotnetName(t.builtin) + " value."
		}
	}
	return v, s.checkFacets(t, v, norm)
}

// checkFacets applies t's facets to a value of it.
func (s *Set) checkFacets(t *SimpleType, v value, norm string) string {
	f := &t.facets
	for _, p := range f.patterns {
		if !p.re.MatchString(norm) {
			return "The Pattern constraint failed."
		}
	}
	if f.enumSet {
		ok := false
		for _, e := range f.enum {
			if equal(v, e) {
				ok = true
				break
			}
		}
		if !ok {
			return "The Enumeration constraint failed."
		}
	}
	if f.length != nil || f.minLength != nil || f.maxLength != nil {
		n := v.n
		if t.variety == atomic && (t.prim == pString || t.prim == pAnyURI || t.prim == pAnySimple) {
			n = utf8.RuneCountInString(norm)
		}
		if t.variety == atomic && (t.prim == pQName || t.prim == pNOTATION) {
			n = -1 // length facets do not constrain QName values
		}
		switch {
		case n < 0:
		case f.length != nil && n != *f.length:
			return "The actual length is not equal to the specified length."
		case f.minLength != nil && n < *f.minLength:
			return "The actual length is less than the MinLength value."
		case f.maxLength != nil && n > *f.maxLength:
			return "The actual length is greater than the MaxLength value."
		}
	}
	rangeMsg := func(facet string, bound *value) string {
		b := builtins[t.builtin]
		if b != nil && t.prim == pDecimal && (bound == b.facets.minInc || bound == b.facets.maxInc) {
			return "The string '" + norm + "' is not a valid " + dotnetName(t.builtin) + " value."
		}
		return "The " + facet + " constraint failed."
	}
	if f.minInc != nil {
		if c := compare(v, *f.minInc); c < 0 || c == 2 {
			return rangeMsg("MinInclusive", f.minInc)
		}
	}
	if f.minExc != nil {
		if c := compare(v, *f.minExc); c <= 0 || c == 2 {
			return rangeMsg("MinExclusive", f.minExc)
		}
	}
	if f.maxInc != nil {
		if c := compare(v, *f.maxInc); c > 0 {
			return rangeMsg("MaxInclusive", f.maxInc)
		}
	}
	if f.maxExc != nil {
		if c := compare(v, *f.maxExc); c >= 0 {
			return rangeMsg("MaxExclusive", f.maxExc)
		}
	}
	if v.num != nil && (f.totalDigits != nil || f.fractionDigits != nil) {
		total, frac := digits(v.s)
		if f.totalDigits != nil && total > *f.totalDigits {
			return "The TotalDigits constraint failed."
		}
		if f.fractionDigits != nil && frac > *f.fractionDigits {
			if *f.fractionDigits == 0 && t.builtin != "" && builtins[t.builtin] != nil && builtins[t.builtin].facets.fractionDigits == f.fractionDigits {
				return "The string '" + norm + "' is not a valid " + dotnetName(t.builtin) + " value."
			}
			return "The FractionDigits constraint failed."
		}
	}
	return ""
}
