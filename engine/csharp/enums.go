package csharp

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
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
	// aliases are members that share another's value (X509ContentType's
	// Pkcs12 is Pfx's 3): Parse reads them, ToString prints the first name.
	aliases map[string]int
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
	// Math.Round of a double (decimal's: decimal_reg.go)
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
	registerUriMore() // uri_more.go
	method(KUri, "GetLeftPart", ts(uriPartial.t), tString, func(a []any) (any, error) {
		u, err := absURI(a[0])
		if err != nil {
			return nil, err
		}
		e, _ := a[1].(enumVal)
		return leftPart(u, e.v)
	}, nil)
}

// ---- System.Enum: Parse, TryParse, ToString

// APIM's table of allowed types lists System.Enum with Parse, TryParse and
// ToString. tollgate has them for its enum types (enumDefs): Enum.Parse(
// typeof(E), s[, ignoreCase]) (the typeof argument is bound away: the
// builtin is E's, enumParseKey), Enum.TryParse<E>(s, [ignoreCase,] out E)
// (bind.go's tryCall) and e.ToString(format). None of tollgate's enums is
// [Flags]: a comma-separated list ORs its members' values, as .NET's
// parser does for any enum.

// enumNotEnum are the enumDefs that are classes in .NET, not enums:
// typeof(RSAEncryptionPadding) is not a type Enum.Parse takes.
var enumNotEnum = map[string]bool{"RSAEncryptionPadding": true}

// enumParseKey is the static name of Enum.Parse for an enum type.
func enumParseKey(name string) string { return "Parse<" + name + ">" }

// enumTryKey is the static name of the builtin Enum.TryParse<E> runs.
func enumTryKey(name string) string { return "TryParse<" + name + ">" }

// parseEnum is .NET Framework's Enum.TryParseEnum: the text trimmed; a
// number (first char a digit, '-' or '+') is the underlying int's parse,
// falling back to names when it is not a number; else a comma-separated
// list of names, each trimmed, compared ordinally (ignoring case if asked),
// their values ORed. The errors are Enum.Parse's.
func parseEnum(d *enumDef, v any, ignoreCase bool) (any, error) {
	if v == nil {
		return nil, argNull("value")
	}
	s, ok := v.(string)
	if !ok {
		return nil, castErr(v, "System.String")
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	if s == "" {
		return nil, exc("ArgumentException", "Must specify valid information for parsing in the string.")
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' || c == '+' {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
			return nil, exc("OverflowException", "Value was either too large or too small for an Int32.")
		}
		if err == nil {
			return enumVal{d, int(n)}, nil
		}
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return nil, exc("OverflowException", "Value was either too large or too small for an Int32.")
		}
	}
	r := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimFunc(part, unicode.IsSpace)
		found := false
		for i, n := range d.names {
			if n != "" && (n == part || ignoreCase && strings.EqualFold(n, part) && asciiFold(n, part)) {
				r |= i
				found = true
				break
			}
		}
		for n, v := range d.aliases {
			if !found && (n == part || ignoreCase && strings.EqualFold(n, part) && asciiFold(n, part)) {
				r |= v
				found = true
			}
		}
		if !found {
			return nil, exc("ArgumentException", "Requested value '%s' was not found.", s)
		}
	}
	return enumVal{d, r}, nil
}

// asciiFold keeps EqualFold to what .NET's OrdinalIgnoreCase folds here:
// the Kelvin sign and long s fold to k and s in Go, not in .NET.
func asciiFold(a, b string) bool {
	for _, r := range a + b {
		if r == '\u212A' || r == '\u017F' {
			return false
		}
	}
	return true
}

// enumFormat is Enum.ToString(format): G (the name, else the number), D
// (the number), X (eight hex digits, an int's), F (the name, else the
// members whose bits make it up, else the number).
func enumFormat(e enumVal, f any) (any, error) {
	format, _ := f.(string)
	switch format {
	case "", "G", "g":
		return e.String(), nil
	case "D", "d":
		return strconv.Itoa(e.v), nil
	case "X", "x":
		return fmt.Sprintf("%08X", uint32(int32(e.v))), nil
	case "F", "f":
		if e.v >= 0 && e.v < len(e.def.names) && e.def.names[e.v] != "" {
			return e.def.names[e.v], nil
		}
		if e.v == 0 {
			return "0", nil
		}
		rest, parts := e.v, []string(nil)
		for i := len(e.def.names) - 1; i > 0; i-- {
			if e.def.names[i] != "" && rest&i == i {
				rest -= i
				parts = append([]string{e.def.names[i]}, parts...)
			}
		}
		if rest != 0 {
			return strconv.Itoa(e.v), nil
		}
		return strings.Join(parts, ", "), nil
	}
	return nil, exc("FormatException", `Format String can be only "G", "g", "X", "x", "F", "f", "D" or "d".`)
}

// registerEnumParse adds Enum.Parse and TryParse's builtins for every
// enum type tollgate has (after they are all made: registerBuiltins).
func registerEnumParse() {
	S, B := tString, tBool
	method(KEnum, "ToString", ts(S), S, func(a []any) (any, error) {
		e, ok := a[0].(enumVal)
		if !ok {
			return nil, errNull
		}
		return enumFormat(e, a[1])
	}, nil)
	for name, d := range enumDefs {
		if enumNotEnum[name] {
			continue
		}
		d := d
		static("Enum", enumParseKey(name), ts(S), tObject, func(a []any) (any, error) { return parseEnum(d, a[0], false) }, nil)
		static("Enum", enumParseKey(name), ts(S, B), tObject, func(a []any) (any, error) { return parseEnum(d, a[0], a[1] == true) }, nil)
		// TryParse's: a text it refuses is a FormatException, which
		// the out-argument call turns into false
		try := func(v any, ignoreCase bool) (any, error) {
			r, err := parseEnum(d, v, ignoreCase)
			if err != nil {
				return nil, exc("FormatException", "%s", err.Error())
			}
			return r, nil
		}
		static("Enum", enumTryKey(name), ts(S), d.t, func(a []any) (any, error) { return try(a[0], false) }, nil)
		static("Enum", enumTryKey(name), ts(S, B), d.t, func(a []any) (any, error) { return try(a[0], a[1] == true) }, nil)
	}
}

// enumTypeNames lists the enum types Enum.Parse and TryParse take, for
// the load errors.
func enumTypeNames() string {
	var names []string
	for n := range enumDefs {
		if !enumNotEnum[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// enumOf is the enum type a written type names, or a load error.
func (b *binder) enumOf(tr *TypeRef, method string) (*enumDef, error) {
	t, ok := b.m.lookupTypeRef(tr)
	if !ok {
		return nil, b.unknownType(tr)
	}
	d := enumDefs[t.Name]
	if t.K != KEnum || d == nil || enumNotEnum[t.Name] {
		return nil, b.errf(tr.Off, "Enum.%s takes the enum types tollgate has (%s): '%s' is not one of them", method, enumTypeNames(), typeName(t))
	}
	return d, nil
}

// enumParse binds Enum.Parse(typeof(E), s[, ignoreCase]): the typeof
// argument leaves the call, whose static name becomes E's Parse.
func (b *binder) enumParse(n *Call, m *Member) (string, error) {
	if len(n.Args) < 2 || len(n.Args) > 3 {
		return "", b.errf(m.NameOff, "no overload for method 'Parse' takes %d arguments", len(n.Args))
	}
	to, ok := n.Args[0].X.(*TypeOf)
	if !ok || to.Op != "typeof" {
		return "", b.errf(n.Args[0].X.pos(), "Enum.Parse's first argument must be typeof(E) in policy expressions, E one of %s", enumTypeNames())
	}
	d, err := b.enumOf(to.To, "Parse")
	if err != nil {
		return "", err
	}
	n.Args = n.Args[1:]
	return enumParseKey(d.name), nil
}

// enumTryType is the enum type of Enum.TryParse<E>(s, [ignoreCase,] out
// E e): its type argument, else the out argument's declared type, as C#
// infers it.
func (b *binder) enumTryType(n *Call, m *Member) (*enumDef, error) {
	if len(m.TypeArgs) == 1 {
		return b.enumOf(m.TypeArgs[0], "TryParse")
	}
	if len(n.Args) > 0 {
		if a := n.Args[len(n.Args)-1]; a.Out {
			if a.OutVar != nil && a.OutVar.Name != "var" {
				return b.enumOf(a.OutVar, "TryParse")
			}
			if nm, ok := a.X.(*Name); ok && a.OutVar == nil {
				if l := b.sc.lookup(nm.Name); l != nil && l.t.K == KEnum && enumDefs[l.t.Name] != nil && !enumNotEnum[l.t.Name] {
					return enumDefs[l.t.Name], nil
				}
			}
		}
	}
	return nil, b.errf(m.NameOff, "the type arguments for method 'Enum.TryParse<TEnum>' cannot be inferred from the usage: write Enum.TryParse<E>(...) or out E e, E one of %s", enumTypeNames())
}
