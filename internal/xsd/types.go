package xsd

import (
	"regexp"
	"strings"
)

// SimpleType is a simple type definition: atomic (a restriction of a
// primitive), a list or a union, with its facets.
type SimpleType struct {
	Name    QName
	base    *SimpleType // nil for anySimpleType
	baseRef *qref
	variety int
	prim    prim // atomic: the primitive it derives from
	// lexical is a builtin's extra lexical rule (NCName, language, …).
	lexical    func(string) bool
	item       *SimpleType // list
	itemRef    *qref
	members    []*SimpleType // union
	memberRefs []*qref
	facets     facets
	builtin    string // the builtin it is, or derives from (messages)
	src        *Node
	resolved   bool
	resolving  bool
	schemaTNS  string
	file       string
	final      bool
}

func (t *SimpleType) typeName() QName { return t.Name }
func (t *SimpleType) baseType() Type {
	if t.base == nil {
		return nil
	}
	return t.base
}

const (
	atomic = iota
	list
	union
)

// whitespace handling.
const (
	wsPreserve = iota
	wsReplace
	wsCollapse
)

// prim is a primitive datatype.
type prim uint8

const (
	pAnySimple prim = iota
	pString
	pBoolean
	pDecimal
	pFloat
	pDouble
	pDuration
	pDateTime
	pTime
	pDate
	pGYearMonth
	pGYear
	pGMonthDay
	pGDay
	pGMonth
	pHexBinary
	pBase64Binary
	pAnyURI
	pQName
	pNOTATION
)

// facets are a simple type's constraining facets, accumulated down its
// derivation (each step's patterns are one alternation; all steps apply).
type facets struct {
	length, minLength, maxLength *int
	patterns                     []*pattern
	enum                         []value
	enumSet                      bool
	minInc, minExc               *value
	maxInc, maxExc               *value
	totalDigits, fractionDigits  *int
	ws                           int
	wsSet                        bool
}

type pattern struct {
	re  *regexp.Regexp
	src string
}

// anyTypeDef is xs:anyType: any attributes, any content (lax).
var anyTypeDef = &ComplexType{
	Name:     QName{XSNamespace, "anyType"},
	kind:     contentMixed,
	attrWild: &wildcard{any: true, process: procLax},
	resolved: true,
}

func init() {
	// anyType's content: any elements, any number, lax. (A package-level
	// value built once; it is never changed.)
	anyTypeDef.particle = &particle{min: 1, max: 1, group: seqGroup, children: []*particle{{min: 0, max: -1, wild: &wildcard{any: true, process: procLax}}}}
	anyTypeDef.model = mustAutomaton(anyTypeDef.particle)
}

// builtins are XML Schema's built-in simple types by local name.
var builtins = buildBuiltins()

func buildBuiltins() map[string]*SimpleType {
	m := map[string]*SimpleType{}
	anySimple := &SimpleType{Name: QName{XSNamespace, "anySimpleType"}, prim: pAnySimple, builtin: "anySimpleType", resolved: true}
	m["anySimpleType"] = anySimple
	prims := []struct {
		name string
		p    prim
		ws   int
	}{
		{"string", pString, wsPreserve}, {"boolean", pBoolean, wsCollapse}, {"decimal", pDecimal, wsCollapse},
		{"float", pFloat, wsCollapse}, {"double", pDouble, wsCollapse}, {"duration", pDuration, wsCollapse},
		{"dateTime", pDateTime, wsCollapse}, {"time", pTime, wsCollapse}, {"date", pDate, wsCollapse},
		{"gYearMonth", pGYearMonth, wsCollapse}, {"gYear", pGYear, wsCollapse}, {"gMonthDay", pGMonthDay, wsCollapse},
		{"gDay", pGDay, wsCollapse}, {"gMonth", pGMonth, wsCollapse}, {"hexBinary", pHexBinary, wsCollapse},
		{"base64Binary", pBase64Binary, wsCollapse}, {"anyURI", pAnyURI, wsCollapse}, {"QName", pQName, wsCollapse},
		{"NOTATION", pNOTATION, wsCollapse},
	}
	for _, p := range prims {
		m[p.name] = &SimpleType{Name: QName{XSNamespace, p.name}, base: anySimple, prim: p.p, builtin: p.name,
			facets: facets{ws: p.ws, wsSet: true}, resolved: true}
	}
	derive := func(name, base string, f func(t *SimpleType)) {
		b := m[base]
		t := &SimpleType{Name: QName{XSNamespace, name}, base: b, prim: b.prim, builtin: name, facets: b.facets, lexical: b.lexical, resolved: true}
		if f != nil {
			f(t)
		}
		m[name] = t
	}
	ws := func(w int) func(*SimpleType) { return func(t *SimpleType) { t.facets.ws = w } }
	lex := func(w int, re string) func(*SimpleType) {
		r := regexp.MustCompile(`\A(?:` + re + `)\z`)
		return func(t *SimpleType) { t.facets.ws = w; t.lexical = r.MatchString }
	}
	derive("normalizedString", "string", ws(wsReplace))
	derive("token", "normalizedString", ws(wsCollapse))
	derive("language", "token", lex(wsCollapse, `[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*`))
	derive("NMTOKEN", "token", lex(wsCollapse, nameCharRE+`+`))
	derive("Name", "token", lex(wsCollapse, nameStartRE+nameCharRE+`*`))
	ncStart, ncChar := strings.Replace(nameStartRE, ":", "", 1), strings.Replace(nameCharRE, ":", "", 1)
	derive("NCName", "Name", lex(wsCollapse, ncStart+ncChar+`*`))
	derive("ID", "NCName", nil)
	derive("IDREF", "NCName", nil)
	derive("ENTITY", "NCName", nil)
	// setBound sets an inclusive bound where one is given; an empty s keeps
	// the base type's own pointer, by which rangeMsg (facets.go) knows a
	// built-in's range from a facet the schema wrote.
	setBound := func(f **value, s string) {
		if s != "" {
			v := decimalValue(s)
			*f = &v
		}
	}
	bound := func(min, max string) func(*SimpleType) {
		return func(t *SimpleType) {
			setBound(&t.facets.minInc, min)
			setBound(&t.facets.maxInc, max)
		}
	}
	derive("integer", "decimal", func(t *SimpleType) {
		z := 0
		t.facets.fractionDigits = &z
		t.lexical = regexp.MustCompile(`\A[+-]?[0-9]+\z`).MatchString
	})
	derive("nonPositiveInteger", "integer", bound("", "0"))
	derive("negativeInteger", "nonPositiveInteger", bound("", "-1"))
	derive("long", "integer", bound("-9223372036854775808", "9223372036854775807"))
	derive("int", "long", bound("-2147483648", "2147483647"))
	derive("short", "int", bound("-32768", "32767"))
	derive("byte", "short", bound("-128", "127"))
	derive("nonNegativeInteger", "integer", bound("0", ""))
	derive("unsignedLong", "nonNegativeInteger", bound("0", "18446744073709551615"))
	derive("unsignedInt", "unsignedLong", bound("0", "4294967295"))
	derive("unsignedShort", "unsignedInt", bound("0", "65535"))
	derive("unsignedByte", "unsignedShort", bound("0", "255"))
	derive("positiveInteger", "nonNegativeInteger", bound("1", ""))
	listOf := func(name, item string) {
		one := 1
		m[name] = &SimpleType{Name: QName{XSNamespace, name}, base: anySimple, variety: list, item: m[item], builtin: name,
			facets: facets{ws: wsCollapse, wsSet: true, minLength: &one}, resolved: true}
	}
	listOf("NMTOKENS", "NMTOKEN")
	listOf("IDREFS", "IDREF")
	listOf("ENTITIES", "ENTITY")
	return m
}

// XML 1.0 (fifth edition) name characters, as RE2 classes.
const (
	nameStartRE = `[:A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}]`
	nameCharRE  = `[:A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}\-.0-9\x{B7}\x{300}-\x{36F}\x{203F}-\x{2040}]`
)

var ncNameRE = regexp.MustCompile(`\A` + strings.Replace(nameStartRE, ":", "", 1) + strings.Replace(nameCharRE, ":", "", 1) + `*\z`)

// isNCName reports whether s is an NCName.
func isNCName(s string) bool { return ncNameRE.MatchString(s) }

// normalize applies a whiteSpace facet.
func normalize(s string, ws int) string {
	switch ws {
	case wsReplace:
		return strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, s)
	case wsCollapse:
		return strings.Join(strings.FieldsFunc(s, isXMLSpace), " ")
	}
	return s
}

func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// derivesFrom reports whether t is base or derived from it (any number of
// steps, by restriction or extension; a simple type derives from the
// union types it is a member of, as xsi:type allows).
func derivesFrom(t, base Type) bool {
	if base == Type(anyTypeDef) {
		return true
	}
	for x := t; x != nil; x = x.baseType() {
		if x == base {
			return true
		}
		if st, ok := x.(*SimpleType); ok && st.base == nil && base == Type(builtins["anySimpleType"]) {
			return true
		}
	}
	if bs, ok := base.(*SimpleType); ok && bs.variety == union {
		if ts, ok := t.(*SimpleType); ok {
			for _, m := range bs.members {
				if derivesFrom(ts, m) {
					return true
				}
			}
		}
	}
	return false
}

// typeLabel names a type in messages: its QName as .NET writes it
// (namespace:local), or for an anonymous type the builtin it derives from.
func typeLabel(t Type) string {
	n := t.typeName()
	if n.Local == "" {
		if st, ok := t.(*SimpleType); ok {
			for b := st; b != nil; b = b.base {
				if b.Name.Local != "" {
					return typeLabel(b)
				}
			}
			if st.variety == list {
				return "List"
			}
			return "Union"
		}
		return "anonymous"
	}
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
