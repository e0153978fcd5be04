package csharp

import (
	"math"
	"net/url"
	"strconv"
	"strings"
)

// .NET enums APIM's policy expressions allow that tollgate adds as plain
// values (System.MidpointRounding, System.UriPartial,
// X509NameType...): one static type per enum (KEnum, told apart by name),
// an enumVal at run time that prints as .NET's enum does and casts to and
// from int.

// enumDef is one enum type: its .NET name and its members' names by value.
type enumDef struct {
	name  string // the C# name: MidpointRounding
	full  string // the .NET name: System.MidpointRounding
	names []string
	t     *Type
}

// enumVal is a value of an enum: a named member or any int cast to it.
type enumVal struct {
	def *enumDef
	v   int
}

func (e enumVal) String() string {
	if e.v >= 0 && e.v < len(e.def.names) && e.def.names[e.v] != "" {
		return e.def.names[e.v]
	}
	return strconv.Itoa(e.v)
}

var enumDefs = map[string]*enumDef{}

// newEnum registers an enum type and its members as statics
// (MidpointRounding.AwayFromZero).
func newEnum(name, ns string, names ...string) *enumDef {
	d := &enumDef{name: name, full: ns + "." + name, names: names, t: &Type{K: KEnum, Name: name}}
	enumDefs[name] = d
	for i, n := range names {
		if n == "" {
			continue
		}
		v := enumVal{d, i}
		staticProp(name, n, d.t, func([]any) (any, error) { return v, nil }, nil)
	}
	return d
}

// enumCastVal is (E)v: from the enum itself or from an int.
func enumCastVal(v any, t *Type) (any, error) {
	d := enumDefs[t.Name]
	switch x := v.(type) {
	case enumVal:
		if x.def == d {
			return x, nil
		}
	case int:
		return enumVal{d, x}, nil
	case nil:
		return nil, errNull
	}
	return nil, castErr(v, d.full)
}

func registerEnums() {
	kindNames[KEnum] = "enum"
	method(KEnum, "ToString", ts(), tString, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KEnum, "Equals", ts(tObject), tBool, func(a []any) (any, error) { return a[0] == a[1], nil }, nil)
	registerRounding()
	registerUriPartial()
	registerModelEnums()
}

// ---- enums of APIM's context model

// modelEnums are the enums of APIM's context a model field reads as
// (tag csharp:"enum=Name"): the field holds the member's name in any
// case, and its view is the enum value (an unknown name is 0's member).
var modelEnums = map[string]*builtin{}

func registerModelEnums() {
	// context.Product.State: "enum ProductState {NotPublished, Published}"
	// in APIM's context variable reference.
	d := newEnum("ProductState", "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions", "NotPublished", "Published")
	modelEnums[d.name] = reg(&builtin{key: "model.enum." + d.name, run: func(a []any) (any, error) {
		s, _ := a[0].(string)
		for i, n := range d.names {
			if strings.EqualFold(n, s) {
				return enumVal{d, i}, nil
			}
		}
		return enumVal{d, 0}, nil
	}})
}

// ---- System.MidpointRounding and Math.Round

var midpoint *enumDef

const (
	roundToEven = iota
	roundAwayFromZero
	roundToZero
	roundToNegativeInfinity
	roundToPositiveInfinity
)

// roundMode is Math.Round(value, mode) of a whole-number scale: .NET's
// switch on the mode.
func roundMode(v float64, mode int) float64 {
	switch mode {
	case roundAwayFromZero:
		i, frac := math.Modf(v)
		if math.Abs(frac) >= 0.5 {
			i += math.Copysign(1, frac)
		}
		return i
	case roundToZero:
		return math.Trunc(v)
	case roundToNegativeInfinity:
		return math.Floor(v)
	case roundToPositiveInfinity:
		return math.Ceil(v)
	}
	return math.RoundToEven(v)
}

// roundDigits is Math.Round(value, digits, mode), as .NET computes it:
// scaled by 10^digits, rounded, scaled back; a value of 1E+16 or more is
// whole already.
func roundDigits(v float64, digits int, m any) (any, error) {
	e, _ := m.(enumVal)
	if e.v < roundToEven || e.v > roundToPositiveInfinity {
		return nil, exc("ArgumentException", "The value '%d' is not valid for this usage of the type MidpointRounding. (Parameter 'mode')", e.v)
	}
	if digits < 0 || digits > 15 {
		return nil, exc("ArgumentOutOfRangeException", "Rounding digits must be between 0 and 15, inclusive. (Parameter 'digits')")
	}
	if math.Abs(v) >= 1e16 {
		return v, nil
	}
	p := math.Pow(10, float64(digits))
	return roundMode(v*p, e.v) / p, nil
}

func registerRounding() {
	midpoint = newEnum("MidpointRounding", "System", "ToEven", "AwayFromZero", "ToZero", "ToNegativeInfinity", "ToPositiveInfinity")
	D, I, M := tDouble, tInt, midpoint.t
	// Math.Round and decimal.Round (a decimal is a double here)
	for _, typ := range []string{"Math", "double"} {
		staticOverload(typ, "Round", ts(D, M), D, func(a []any) (any, error) { return roundDigits(toFloat(a[0]), 0, a[1]) })
		staticOverload(typ, "Round", ts(D, I, M), D, func(a []any) (any, error) { return roundDigits(toFloat(a[0]), toInt(a[1]), a[2]) })
	}
}

// staticOverload adds an overload of a static method whose arity another
// overload has (static's key is the arity): keyed by its parameters' types.
func staticOverload(typ, name string, params []*Type, result *Type, run func(a []any) (any, error)) *builtin {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	b := reg(&builtin{key: typ + "." + name + "(" + strings.Join(names, ",") + ")", params: params, result: result, run: run})
	if statics[typ] == nil {
		statics[typ] = table{}
	}
	statics[typ][name] = append(statics[typ][name], b)
	return b
}

// ---- System.UriPartial and Uri.GetLeftPart

var uriPartial *enumDef

// defaultPorts are the schemes' default ports, which .NET's Uri leaves out.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// leftPart is Uri.GetLeftPart(part): the URI up to the scheme, the
// authority, the path or the query (never the fragment), as .NET writes
// it (the host lower-cased, a default port left out, an empty path "/").
func leftPart(u *url.URL, part int) (string, error) {
	if part < 0 || part > 3 {
		return "", exc("ArgumentException", "The part parameter contains an invalid UriPartial value. (Parameter 'part')")
	}
	var b strings.Builder
	b.WriteString(u.Scheme)
	if u.Opaque != "" { // mailto:a@b, urn:x
		b.WriteByte(':')
		if part == 0 {
			return b.String(), nil
		}
		if part >= 2 {
			b.WriteString(u.Opaque)
		}
		if part == 3 && u.RawQuery != "" {
			b.WriteString("?" + u.RawQuery)
		}
		return b.String(), nil
	}
	b.WriteString("://")
	if part == 0 {
		return b.String(), nil
	}
	if u.User != nil {
		b.WriteString(u.User.String() + "@")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	b.WriteString(host)
	if p := u.Port(); p != "" && p != defaultPorts[u.Scheme] {
		b.WriteString(":" + p)
	}
	if part == 1 {
		return b.String(), nil
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if part == 3 && u.RawQuery != "" {
		b.WriteString("?" + u.RawQuery)
	}
	return b.String(), nil
}

func registerUriPartial() {
	uriPartial = newEnum("UriPartial", "System", "Scheme", "Authority", "Path", "Query")
	method(KUri, "GetLeftPart", ts(uriPartial.t), tString, func(a []any) (any, error) {
		u, ok := a[0].(*url.URL)
		if !ok || u == nil {
			return nil, errNull
		}
		e, _ := a[1].(enumVal)
		return leftPart(u, e.v)
	}, nil)
}
