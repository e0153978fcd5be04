package csharp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"tollgate/internal/ascii"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/uuid"
)

// builtin is one allowed .NET member: its signature for the binder, its
// run-time implementation (shared by the lowered program and the
// interpreter), and optionally a direct expr lowering.
type builtin struct {
	key    string // unique name, the first argument of $csCall
	params []*Type
	result *Type
	run    func(a []any) (any, error)
	expr   func(a []string) string
	// native is an expr form that is right when the receiver is not
	// null (expr's error for a null receiver is not .NET's).
	native func(a []string) string
	vararg bool // the last parameter is params T[]
}

type table map[string][]*builtin

// nullTokenValue are token.Value<T?>() and ToObject<T?>(), whose null
// receiver (a JSON null, held as null here) gives null, not a
// NullReferenceException.
var nullTokenValue = map[*builtin]bool{}

// jtokenParent is JToken.Parent of a token that is no indexer's result.
var jtokenParent *builtin

// jpropSetValue is JProperty.Value's setter (p.Value = v, bind.go).
var jpropSetValue *builtin

var (
	methods     = map[Kind]table{}
	props       = map[Kind]map[string]*builtin{}
	statics     = map[string]table{}
	staticProps = map[string]map[string]*builtin{}
	byKey       = map[string]*builtin{}
	// setters are the properties a statement may set (alg.Key = key),
	// by the receiver's kind (symmetric.go).
	setters = map[Kind]map[string]*builtin{}
)

func reg(b *builtin) *builtin {
	if _, dup := byKey[b.key]; dup {
		panic("duplicate builtin " + b.key)
	}
	byKey[b.key] = b
	return b
}

func method(k Kind, name string, params []*Type, result *Type, run func(a []any) (any, error), ex func(a []string) string) {
	if methods[k] == nil {
		methods[k] = table{}
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	key := fmt.Sprintf("%s.%s(%s)", kindNames[k], name, strings.Join(names, ","))
	methods[k][name] = append(methods[k][name], reg(&builtin{key: key, params: params, result: result, run: run, expr: ex}))
}

func prop(k Kind, name string, result *Type, run func(a []any) (any, error), ex func(a []string) string) {
	if props[k] == nil {
		props[k] = map[string]*builtin{}
	}
	props[k][name] = reg(&builtin{key: fmt.Sprintf("%d.%s", k, name), result: result, run: run, expr: ex})
}

func static(typ, name string, params []*Type, result *Type, run func(a []any) (any, error), ex func(a []string) string) *builtin {
	if statics[typ] == nil {
		statics[typ] = table{}
	}
	b := reg(&builtin{key: fmt.Sprintf("%s.%s/%d", typ, name, len(params)), params: params, result: result, run: run, expr: ex})
	statics[typ][name] = append(statics[typ][name], b)
	return b
}

func staticProp(typ, name string, result *Type, run func(a []any) (any, error), ex func(a []string) string) {
	if staticProps[typ] == nil {
		staticProps[typ] = map[string]*builtin{}
	}
	staticProps[typ][name] = reg(&builtin{key: typ + "." + name, result: result, run: run, expr: ex})
}

func ts(t ...*Type) []*Type { return t }

func str(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		if v == nil {
			return "", errNull
		}
		return "", castErr(v, "System.String")
	}
	return s, nil
}

func argNull(name string) error {
	return exc("ArgumentNullException", "Value cannot be null. (Parameter '%s')", name)
}

func s1(f func(s string) (any, error)) func(a []any) (any, error) {
	return func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		return f(s)
	}
}

func s2(f func(s, t string) (any, error)) func(a []any) (any, error) {
	return func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		if a[1] == nil {
			return nil, argNull("value")
		}
		t, err := str(a[1])
		if err != nil {
			return nil, err
		}
		return f(s, t)
	}
}

// utf16Index converts a byte offset in s to .NET's UTF-16 index.
func utf16Index(s string, byteOff int) int {
	if byteOff < 0 {
		return -1
	}
	n := 0
	for _, r := range s[:byteOff] {
		n += utf16.RuneLen(r)
	}
	return n
}

// utf16Slice is s.Substring(start, length) in UTF-16 units.
func utf16Slice(s string, start, length int) (string, error) {
	u := utf16.Encode([]rune(s))
	if start < 0 || start > len(u) {
		return "", exc("ArgumentOutOfRangeException", "startIndex cannot be larger than length of string. (Parameter 'startIndex')")
	}
	if length < 0 || start+length > len(u) {
		return "", exc("ArgumentOutOfRangeException", "Index and length must refer to a location within the string. (Parameter 'length')")
	}
	return string(utf16.Decode(u[start : start+length])), nil
}

func utf16Len(s string) int {
	n := ascii.Prefix(s) // one UTF-16 unit per ASCII byte, counted fast
	for _, r := range s[n:] {
		n += utf16.RuneLen(r)
	}
	return n
}

func ignoreCase(v any) bool {
	c, _ := v.(int)
	return c == 1 || c == 3 || c == 5 // CurrentCultureIgnoreCase, InvariantCultureIgnoreCase, OrdinalIgnoreCase
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case uint64:
		return int(x)
	case float64:
		return int(x)
	case Decimal:
		if t := x.truncInt(); t.IsInt64() {
			return int(t.Int64())
		}
	}
	return 0
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case Decimal:
		return x.float()
	}
	return 0
}

// padTo is PadLeft(width, c) (right: PadRight), bounded like every string
// the program builds.
func padTo(s string, width int, c string, right bool) (any, error) {
	if width < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'totalWidth')")
	}
	if width > MaxString {
		return nil, errString
	}
	n := width - utf16Len(s)
	switch {
	case n <= 0:
	case right:
		s += strings.Repeat(c, n)
	default:
		s = strings.Repeat(c, n) + s
	}
	return s, nil
}

// nullsFirst is string.Compare's order with null: null before every
// string, two nulls equal; f compares two strings.
func nullsFirst(a, b any, f func() int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return f()
}

// pad aligns s in a field of width |align| (right-aligned when positive).
func pad(s string, align int) (string, error) {
	if align > MaxString || -align > MaxString {
		return "", errString
	}
	n := utf8.RuneCountInString(s)
	switch {
	case align > n:
		return strings.Repeat(" ", align-n) + s, nil
	case -align > n:
		return s + strings.Repeat(" ", -align-n), nil
	}
	return s, nil
}

func splitSeps(a []any) []string {
	var seps []string
	for _, x := range a {
		switch y := x.(type) {
		case string:
			seps = append(seps, y)
		case []any:
			for _, z := range y {
				if s, ok := z.(string); ok {
					seps = append(seps, s)
				}
			}
		}
	}
	return seps
}

func splitAny(s string, seps []string, removeEmpty bool) []any {
	var out []any
	if len(seps) == 0 {
		seps = []string{" "}
	}
	for {
		best, bl := -1, 0
		for _, sep := range seps {
			if sep == "" {
				continue
			}
			if i := strings.Index(s, sep); i >= 0 && (best < 0 || i < best) {
				best, bl = i, len(sep)
			}
		}
		if best < 0 {
			break
		}
		if !removeEmpty || best > 0 {
			out = append(out, s[:best])
		}
		s = s[best+bl:]
	}
	if !removeEmpty || s != "" {
		out = append(out, s)
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// splitN is .NET's String.Split(separators, count, options): at most count
// pieces, the last holding the rest of s (separators and all). With
// RemoveEmptyEntries (1) empty pieces are dropped (they still use up one of
// the count - 1 splits, as in .NET) and, with either option, the separators
// right after the last counted piece are skipped; TrimEntries (2) trims each
// piece first.
func splitN(s string, seps []string, count, opts int) (any, error) {
	if count < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Count cannot be less than zero. (Parameter 'count')")
	}
	removeEmpty, trim := opts&1 != 0, opts&2 != 0
	piece := func(p string) string {
		if trim {
			return strings.TrimSpace(p)
		}
		return p
	}
	out := []any{}
	if count == 0 {
		return out, nil
	}
	if len(seps) == 0 {
		seps = []string{" "}
	}
	// the separators' places, left to right; at one place the first
	// separator given that matches there
	var at, ln []int
	for i := 0; i < len(s); {
		hit := -1
		for _, sep := range seps {
			if sep != "" && strings.HasPrefix(s[i:], sep) {
				hit = len(sep)
				break
			}
		}
		if hit < 0 {
			i++
			continue
		}
		at, ln = append(at, i), append(ln, hit)
		i += hit
	}
	if count == 1 || len(s) == 0 || len(at) == 0 {
		if p := piece(s); !removeEmpty || p != "" {
			out = append(out, p)
		}
		return out, nil
	}
	count--
	replaces := min(len(at), count)
	cur := 0
	for i := 0; i < replaces; i++ {
		if p := piece(s[cur:at[i]]); !removeEmpty || p != "" {
			out = append(out, p)
		}
		cur = at[i] + ln[i]
		if len(out) == count && opts != 0 { // post-processing only: the separators after the last piece go
			for i < len(at)-1 && cur == at[i+1] {
				i++
				cur += ln[i]
			}
			break
		}
	}
	if p := piece(s[cur:]); !removeEmpty || p != "" {
		out = append(out, p)
	}
	return out, nil
}

func joinNET(sep string, v any) (any, error) {
	it, err := items(v)
	if err != nil {
		return nil, err
	}
	if len(it) == 1 {
		// Join(sep, byte[]) and Concat(byte[]) are the generic
		// overloads over IEnumerable<byte> in C# (a byte[] is no
		// object[]): the numbers, not "System.Byte[]".
		if b, ok := it[0].([]byte); ok {
			it = make([]any, len(b))
			for i, x := range b {
				it[i] = int(x)
			}
		}
	}
	parts := make([]string, len(it))
	n := 0
	for i, x := range it {
		parts[i] = catStr(x)
		if n += len(parts[i]) + len(sep); n > MaxString {
			return nil, errString
		}
	}
	return strings.Join(parts, sep), nil
}

// formatNET is string.Format with {0}, {1,5} and {0:format} items.
func formatNET(f string, args []any) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '{' && i+1 < len(f) && f[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(f) && f[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return "", exc("FormatException", "Input string was not in a correct format.")
			}
			item := f[i+1 : i+end]
			i += end
			spec := ""
			if k := strings.IndexByte(item, ':'); k >= 0 {
				item, spec = item[:k], item[k+1:]
			}
			align := 0
			if k := strings.IndexByte(item, ','); k >= 0 {
				align, _ = strconv.Atoi(strings.TrimSpace(item[k+1:]))
				item = item[:k]
			}
			n, err := strconv.Atoi(strings.TrimSpace(item))
			if err != nil || n < 0 || n >= len(args) {
				return "", exc("FormatException", "Index (zero based) must be greater than or equal to zero and less than the size of the argument list.")
			}
			s, err := formatValue(args[n], spec)
			if err != nil {
				return "", err
			}
			padded, err := pad(s, align)
			if err != nil {
				return "", err
			}
			b.WriteString(padded)
		case c == '}':
			return "", exc("FormatException", "Input string was not in a correct format.")
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// formatValue is x.ToString(format) for the types policies format.
func formatValue(v any, spec string) (string, error) {
	if w, ok := v.(invariantDate); ok { // string.Format(CultureInfo.InvariantCulture, ...) (numtext.go)
		return w.format(spec)
	}
	if spec == "" {
		return catStr(v), nil
	}
	switch x := v.(type) {
	case time.Time:
		return formatDateNET(x, spec, false, false)
	case dateTimeOffset:
		return formatDateNET(x.t, spec, true, false)
	case time.Duration:
		return formatTimeSpanNET(x, spec)
	case int, int64, uint64, float64:
		return formatNumberNET(x, ikNone, spec)
	case Decimal:
		return formatDecimalNET(x, spec)
	case Guid:
		return x.format(spec), nil
	}
	return catStr(v), nil
}

// Guid is a System.Guid value.
type Guid [16]byte

func (g Guid) String() string { return g.format("D") }

func (g Guid) format(spec string) string {
	s := uuid.UUID(g).String()
	switch spec {
	case "N", "n":
		return strings.ReplaceAll(s, "-", "")
	case "B", "b":
		return "{" + s + "}"
	case "P", "p":
		return "(" + s + ")"
	}
	return s
}

func hashOf(name string) func() hash.Hash {
	switch name {
	case "SHA256":
		return sha256.New
	case "SHA1":
		return sha1.New
	case "SHA512":
		return sha512.New
	case "SHA384":
		return sha512.New384
	case "MD5":
		return md5.New
	}
	return nil
}

// hasher is a HashAlgorithm instance (new HMACSHA256(key), SHA256.Create()).
type hasher struct {
	name  string
	key   []byte
	hmac  bool
	class string // the .NET class, when not the algorithm's default (hashes.go)
}

func (h *hasher) String() string { return "System.Security.Cryptography." + h.className() }

func (h *hasher) compute(b []byte) []byte {
	var hh hash.Hash
	if h.hmac {
		hh = hmac.New(hashOf(h.name), h.key)
	} else {
		hh = hashOf(h.name)()
	}
	hh.Write(b)
	return hh.Sum(nil)
}

func bytesArg(v any) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case nil:
		return nil, argNull("buffer")
	}
	return nil, castErr(v, "System.Byte[]")
}

// kindNames name receivers in builtin keys.
var kindNames = map[Kind]string{KObject: "object", KString: "string", KChar: "char", KInt: "int", KDouble: "double",
	KBool: "bool", KGo: "model", KJToken: "JToken", KJObject: "JObject", KJArray: "JArray", KArray: "array",
	KBytes: "byte[]", KDateTime: "DateTime", KDateTimeOffset: "DateTimeOffset", KTimeSpan: "TimeSpan", KGuid: "Guid", KComparison: "StringComparison", KDayOfWeek: "DayOfWeek", KIPAddress: "IPAddress", KXNamespace: "XNamespace", KGrouping: "IGrouping",
	KEncoding: "Encoding", KUri: "Uri", KRegexMatch: "Match", KHash: "HashAlgorithm", KRandom: "Random", KAnon: "anon",
	KJProperty: "JProperty", KForm: "Form", KFormList: "FormList", KKeyValue: "KeyValuePair", KBuilder: "StringBuilder",
	KXDoc: "XDocument", KXElem: "XElement", KXAttr: "XAttribute", KXNode: "XNode", KX509: "X509Certificate2", KRSA: "RSA",
	KStrCmp: "StringComparer", KDefCmp: "Comparer", KDefEqCmp: "EqualityComparer", KRegexGroup: "Group", KRegexCapture: "Capture", KGroupColl: "GroupCollection", KRegex: "Regex",
	KSym:      "SymmetricAlgorithm",
	KTimeZone: "TimeZoneInfo", KTimeZoneLegacy: "TimeZone"}

var builtinsOnce sync.Once

// loadBuiltins fills the member tables once; they are read-only afterwards.
func loadBuiltins() { builtinsOnce.Do(registerBuiltins) }

func registerBuiltins() {
	registerIntTypes()
	registerComparers()
	registerXML()
	registerXMLBuild()
	registerX509()
	registerSizedArrays()
	registerDict()
	registerSets()
	registerNullable()
	registerModelMaps()
	registerMore()
	registerIPAddress()
	registerSymmetric()
	registerTimeZones()
	registerDateTimeMore()
	registerQueues()
	registerRNG()
	registerStringIO()
	registerStringIndex()
	arrayFresh = reg(&builtin{key: "array.fresh", result: tObjects, run: func(a []any) (any, error) {
		src, _ := a[0].([]any)
		return append([]any(nil), src...), nil
	}})
	arrayLen = reg(&builtin{key: "array.Length", result: tInt, run: func(a []any) (any, error) {
		it, err := items(a[0])
		return len(it), err
	}, expr: func(a []string) string { return "len(" + a[0] + ")" }})
	for n := range linqMethods {
		reg(&builtin{key: "linq." + n})
	}
	for _, t := range []*Type{tString, tJObject, tJArray, tJToken, tBytes, tXDoc, tXElem} {
		bodyAsBuiltin(t)
	}
	S, I, B, O, C := tString, tInt, tBool, tObject, tCompare
	// ---- string instance members
	prop(KString, "Length", I, s1(func(s string) (any, error) { return utf16Len(s), nil }), nil)
	method(KString, "ToString", ts(), S, s1(func(s string) (any, error) { return s, nil }), func(a []string) string { return a[0] })
	method(KString, "ToLower", ts(), S, s1(func(s string) (any, error) { return strings.ToLower(s), nil }), func(a []string) string { return "lower(" + a[0] + ")" })
	method(KString, "ToUpper", ts(), S, s1(func(s string) (any, error) { return strings.ToUpper(s), nil }), func(a []string) string { return "upper(" + a[0] + ")" })
	method(KString, "ToLowerInvariant", ts(), S, s1(func(s string) (any, error) { return strings.ToLower(s), nil }), func(a []string) string { return "lower(" + a[0] + ")" })
	method(KString, "ToUpperInvariant", ts(), S, s1(func(s string) (any, error) { return strings.ToUpper(s), nil }), func(a []string) string { return "upper(" + a[0] + ")" })
	method(KString, "Trim", ts(), S, s1(func(s string) (any, error) { return strings.TrimSpace(s), nil }), nil)
	method(KString, "TrimStart", ts(), S, s1(func(s string) (any, error) { return strings.TrimLeft(s, " \t\r\n"), nil }), nil)
	method(KString, "TrimEnd", ts(), S, s1(func(s string) (any, error) { return strings.TrimRight(s, " \t\r\n"), nil }), nil)
	for _, n := range []string{"Trim", "TrimStart", "TrimEnd"} {
		n := n
		method(KString, n, ts(tChar), S, s2(func(s, c string) (any, error) {
			switch n {
			case "TrimStart":
				return strings.TrimLeft(s, c), nil
			case "TrimEnd":
				return strings.TrimRight(s, c), nil
			}
			return strings.Trim(s, c), nil
		}), nil)
	}
	method(KString, "Contains", ts(S), B, s2(func(s, t string) (any, error) { return strings.Contains(s, t), nil }), nil)
	method(KString, "Contains", ts(S, C), B, func(a []any) (any, error) {
		s, _ := a[0].(string)
		t, _ := a[1].(string)
		if ignoreCase(a[2]) {
			return strings.Contains(strings.ToLower(s), strings.ToLower(t)), nil
		}
		return strings.Contains(s, t), nil
	}, nil)
	method(KString, "StartsWith", ts(S), B, s2(func(s, t string) (any, error) { return strings.HasPrefix(s, t), nil }), nil)
	method(KString, "EndsWith", ts(S), B, s2(func(s, t string) (any, error) { return strings.HasSuffix(s, t), nil }), nil)
	for _, n := range []string{"StartsWith", "EndsWith", "Equals"} {
		n := n
		method(KString, n, ts(S, C), B, func(a []any) (any, error) {
			s, err := str(a[0])
			if err != nil {
				return nil, err
			}
			t, _ := a[1].(string)
			if a[1] == nil && n != "Equals" {
				return nil, argNull("value")
			}
			if n == "Equals" {
				c, _ := a[2].(int)
				return a[1] != nil && strEqual(s, a[1], strComparer(c)), nil
			}
			if ignoreCase(a[2]) {
				s, t = strings.ToLower(s), strings.ToLower(t)
			}
			switch n {
			case "StartsWith":
				return strings.HasPrefix(s, t), nil
			case "EndsWith":
				return strings.HasSuffix(s, t), nil
			}
			return a[1] != nil && s == t, nil
		}, nil)
	}
	method(KString, "Equals", ts(O), B, func(a []any) (any, error) {
		if a[0] == nil {
			return nil, errNull
		}
		return equalNET(a[0], a[1]), nil
	}, nil)
	methods[KString]["Equals"][len(methods[KString]["Equals"])-1].native = func(a []string) string { return "(" + a[0] + " == " + a[1] + ")" }
	method(KString, "IndexOf", ts(S), I, s2(func(s, t string) (any, error) { return utf16Index(s, strings.Index(s, t)), nil }), nil)
	method(KString, "IndexOf", ts(S, C), I, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		t, _ := a[1].(string)
		if ignoreCase(a[2]) {
			s, t = strings.ToLower(s), strings.ToLower(t)
		}
		return utf16Index(s, strings.Index(s, t)), nil
	}, nil)
	method(KString, "LastIndexOf", ts(S), I, s2(func(s, t string) (any, error) { return utf16Index(s, strings.LastIndex(s, t)), nil }), nil)
	// A char is a one-character string at run time: the same search.
	method(KString, "IndexOf", ts(tChar), I, s2(func(s, t string) (any, error) { return utf16Index(s, strings.Index(s, t)), nil }), nil)
	method(KString, "LastIndexOf", ts(tChar), I, s2(func(s, t string) (any, error) { return utf16Index(s, strings.LastIndex(s, t)), nil }), nil)
	method(KString, "Substring", ts(I), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		n := toInt(a[1])
		return utf16Slice(s, n, utf16Len(s)-n)
	}, nil)
	method(KString, "Substring", ts(I, I), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		return utf16Slice(s, toInt(a[1]), toInt(a[2]))
	}, nil)
	method(KString, "Replace", ts(S, S), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		old, _ := a[1].(string)
		if old == "" {
			return nil, exc("ArgumentException", "String cannot be of zero length. (Parameter 'oldValue')")
		}
		nw, _ := a[2].(string)
		if len(nw) > len(old) && len(s)+strings.Count(s, old)*(len(nw)-len(old)) > MaxString {
			return nil, errString
		}
		return strings.ReplaceAll(s, old, nw), nil
	}, nil)
	method(KString, "Split", ts(arrayOf(tChar)), tStrings, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		return splitAny(s, splitSeps(a[1:]), false), nil
	}, nil)
	methods[KString]["Split"][0].vararg = true
	splitOpt := func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		opt := toInt(a[2])
		return splitAny(s, splitSeps(a[1:2]), opt&1 == 1), nil
	}
	method(KString, "Split", ts(tChar, I), tStrings, splitOpt, nil)
	method(KString, "Split", ts(arrayOf(tChar), I), tStrings, splitOpt, nil)
	method(KString, "Split", ts(tStrings, I), tStrings, splitOpt, nil)
	// Split(separators, count, options): at most count pieces, the last
	// one the rest of the string
	splitCount := func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		return splitN(s, splitSeps(a[1:2]), toInt(a[2]), toInt(a[3]))
	}
	for _, sep := range []*Type{tChar, arrayOf(tChar), S, tStrings} {
		method(KString, "Split", ts(sep, I, I), tStrings, splitCount, nil)
	}
	for _, name := range []string{"PadLeft", "PadRight"} {
		right := name == "PadRight"
		// PadLeft(width) and PadLeft(width, c), the same for PadRight.
		pad := func(a []any) (any, error) {
			s, err := str(a[0])
			if err != nil {
				return nil, err
			}
			c := " "
			if len(a) > 2 {
				c, _ = a[2].(string)
			}
			return padTo(s, toInt(a[1]), c, right)
		}
		method(KString, name, ts(I), S, pad, nil)
		method(KString, name, ts(I, tChar), S, pad, nil)
	}
	method(KString, "Insert", ts(I, S), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		v, ok := a[2].(string)
		if !ok {
			return nil, argNull("value")
		}
		at := toInt(a[1])
		if at < 0 || at > utf16Len(s) {
			return nil, exc("ArgumentOutOfRangeException", "Specified argument was out of the range of valid values. (Parameter 'startIndex')")
		}
		head, _ := utf16Slice(s, 0, at)
		tail, _ := utf16Slice(s, at, utf16Len(s)-at)
		if len(s)+len(v) > MaxString {
			return nil, errString
		}
		return head + v + tail, nil
	}, nil)
	method(KString, "Remove", ts(I), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		at := toInt(a[1])
		switch {
		case at < 0:
			return nil, exc("ArgumentOutOfRangeException", "StartIndex cannot be less than zero. (Parameter 'startIndex')")
		case at >= utf16Len(s):
			return nil, exc("ArgumentOutOfRangeException", "startIndex must be less than length of string. (Parameter 'startIndex')")
		}
		return utf16Slice(s, 0, at)
	}, nil)
	method(KString, "Remove", ts(I, I), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		at, n := toInt(a[1]), toInt(a[2])
		switch {
		case at < 0:
			return nil, exc("ArgumentOutOfRangeException", "StartIndex cannot be less than zero. (Parameter 'startIndex')")
		case n < 0:
			return nil, exc("ArgumentOutOfRangeException", "Count cannot be less than zero. (Parameter 'count')")
		case at > utf16Len(s)-n:
			return nil, exc("ArgumentOutOfRangeException", "Index and count must refer to a location within the string. (Parameter 'count')")
		}
		head, _ := utf16Slice(s, 0, at)
		tail, _ := utf16Slice(s, at+n, utf16Len(s)-at-n)
		return head + tail, nil
	}, nil)
	method(KString, "CompareTo", ts(S), I, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		t, ok := a[1].(string)
		if !ok {
			return 1, nil // every string is greater than null
		}
		return cultureCompare(s, t, false), nil
	}, nil)
	method(KString, "ToCharArray", ts(), arrayOf(tChar), func(a []any) (any, error) { return items(a[0]) }, nil)
	for name, op := range map[string]string{"Contains": "contains", "StartsWith": "startsWith", "EndsWith": "endsWith"} {
		op := op
		methods[KString][name][0].native = func(a []string) string { return "(" + a[0] + " " + op + " " + a[1] + ")" }
	}
	methods[KString]["Trim"][0].native = func(a []string) string { return "trim(" + a[0] + ")" }
	// a null argument of those operators (lower.go's nativeArgs)
	reg(&builtin{key: "string.argNull", result: tObject, run: func([]any) (any, error) { return nil, argNull("value") }})
	// ---- ToString on everything else
	for _, k := range []Kind{KInt, KDouble, KBool, KChar, KObject, KJToken, KJObject, KJArray, KJProperty, KGo, KDateTime, KTimeSpan, KGuid, KArray, KUri, KAnon} {
		method(k, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
		method(k, "Equals", ts(O), B, func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			return equalNET(a[0], a[1]), nil
		}, nil)
	}
	for _, k := range []Kind{KInt, KDouble, KDateTime, KTimeSpan, KGuid} {
		method(k, "ToString", ts(S), S, func(a []any) (any, error) {
			f, _ := a[1].(string)
			return formatValue(a[0], f)
		}, nil)
	}
	// ToString(format, provider): every format here is culture-invariant.
	method(KDateTime, "ToString", ts(S, O), S, func(a []any) (any, error) {
		f, _ := a[1].(string)
		return formatValue(a[0], f)
	}, nil)
	// ---- string statics
	static("string", "IsNullOrEmpty", ts(S), B, func(a []any) (any, error) { return a[0] == nil || a[0] == "", nil }, nil)
	static("string", "IsNullOrWhiteSpace", ts(S), B, func(a []any) (any, error) {
		s, _ := a[0].(string)
		return strings.TrimSpace(s) == "", nil
	}, nil)
	static("string", "Join", ts(S, tObjects), S, func(a []any) (any, error) {
		sep, _ := a[0].(string)
		return joinNET(sep, a[1])
	}, nil)
	statics["string"]["Join"][0].vararg = true
	static("string", "Concat", ts(tObjects), S, func(a []any) (any, error) { return joinNET("", a[0]) }, nil)
	statics["string"]["Concat"][0].vararg = true
	static("string", "Format", ts(S, tObjects), S, func(a []any) (any, error) {
		f, err := str(a[0])
		if err != nil {
			return nil, argNull("format")
		}
		args, ok := a[1].([]any)
		if !ok && a[1] != nil { // a model's string[] passed as the params array (lowered: not packed)
			args, _ = items(a[1])
		}
		return formatNET(f, args)
	}, nil)
	statics["string"]["Format"][0].vararg = true
	static("string", "Equals", ts(S, S), B, func(a []any) (any, error) { return a[0] == a[1], nil }, nil)
	static("string", "Equals", ts(S, S, C), B, func(a []any) (any, error) {
		c, _ := a[2].(int)
		if c < 0 || c > 5 {
			return nil, exc("ArgumentException", "The string comparison type passed in is currently not supported. (Parameter 'comparisonType')")
		}
		return strEqual(a[0], a[1], strComparer(c)), nil // comparer.go
	}, nil)
	static("string", "Compare", ts(S, S), I, func(a []any) (any, error) {
		x, _ := a[0].(string)
		y, _ := a[1].(string)
		return nullsFirst(a[0], a[1], func() int { return cultureCompare(x, y, false) }), nil
	}, nil)
	// string.Compare(a, b, ignoreCase) and (a, b, StringComparison): one
	// builtin per arity, the third argument told apart when it runs.
	static("string", "Compare", ts(S, S, O), I, func(a []any) (any, error) {
		x, _ := a[0].(string)
		y, _ := a[1].(string)
		c := 0
		switch v := a[2].(type) {
		case bool:
			if v {
				c = 3 // InvariantCultureIgnoreCase
			}
		case int:
			c = v
		default:
			return nil, exc("ArgumentException", "The string comparison type passed in is currently not supported. (Parameter 'comparisonType')")
		}
		return nullsFirst(a[0], a[1], func() int { return compareWith(x, y, c) }), nil
	}, nil)
	static("string", "new", ts(arrayOf(tChar)), S, func(a []any) (any, error) {
		cs, err := items(a[0])
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, c := range cs {
			s, _ := c.(string)
			b.WriteString(s)
		}
		return b.String(), nil
	}, nil)
	static("string", "new", ts(arrayOf(tChar), I, I), S, func(a []any) (any, error) { // new string(value, startIndex, length)
		cs, err := items(a[0])
		if err != nil {
			return nil, argNull("value")
		}
		start, n := toInt(a[1]), toInt(a[2])
		switch {
		case start < 0:
			return nil, exc("ArgumentOutOfRangeException", "StartIndex cannot be less than zero. (Parameter 'startIndex')")
		case n < 0:
			return nil, exc("ArgumentOutOfRangeException", "Length cannot be less than zero. (Parameter 'length')")
		case start > len(cs)-n:
			return nil, exc("ArgumentOutOfRangeException", "Index and length must refer to a location within the string. (Parameter 'startIndex')")
		}
		var b strings.Builder
		for _, c := range cs[start : start+n] {
			s, _ := c.(string)
			b.WriteString(s)
		}
		return b.String(), nil
	}, nil)
	static("string", "new", ts(tChar, I), S, func(a []any) (any, error) {
		n := toInt(a[1])
		if n < 0 {
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')")
		}
		c, _ := a[0].(string)
		if n*len(c) > MaxString {
			return nil, errString
		}
		return strings.Repeat(c, n), nil
	}, nil)
	staticProp("string", "Empty", S, func([]any) (any, error) { return "", nil }, func([]string) string { return `""` })
	for i, n := range []string{"CurrentCulture", "CurrentCultureIgnoreCase", "InvariantCulture", "InvariantCultureIgnoreCase", "Ordinal", "OrdinalIgnoreCase"} {
		i := i
		staticProp("StringComparison", n, C, func([]any) (any, error) { return i, nil }, func([]string) string { return strconv.Itoa(i) })
	}
	staticProp("StringSplitOptions", "None", I, func([]any) (any, error) { return 0, nil }, func([]string) string { return "0" })
	staticProp("StringSplitOptions", "RemoveEmptyEntries", I, func([]any) (any, error) { return 1, nil }, func([]string) string { return "1" })

	// ---- parsing numbers and bools
	for _, typ := range []string{"int", "long"} {
		I := I
		if typ == "long" {
			I = tLong
		}
		static(typ, "Parse", ts(S), I, func(a []any) (any, error) {
			s, err := str(a[0])
			if err != nil {
				return nil, argNull("s")
			}
			if typ == "int" {
				return parseIntNET(s, 32)
			}
			return parseIntNET(s, 64)
		}, nil)
		staticProp(typ, "MaxValue", I, func([]any) (any, error) {
			if typ == "int" {
				return math.MaxInt32, nil
			}
			return math.MaxInt, nil // long.MaxValue where int is 64 bits
		}, nil)
		staticProp(typ, "MinValue", I, func([]any) (any, error) {
			if typ == "int" {
				return math.MinInt32, nil
			}
			return math.MinInt, nil
		}, nil)
	}
	// char.IsDigit ... IsWhiteSpace: Unicode's categories, as .NET's.
	for name, is := range map[string]func(rune) bool{
		"IsDigit": unicode.IsDigit, "IsLetter": unicode.IsLetter, "IsUpper": unicode.IsUpper, "IsLower": unicode.IsLower,
		"IsWhiteSpace": unicode.IsSpace, "IsPunctuation": unicode.IsPunct,
		"IsLetterOrDigit": func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) },
	} {
		static("char", name, ts(tChar), B, func(a []any) (any, error) {
			c, _ := a[0].(string)
			r, _ := utf8.DecodeRuneInString(c)
			return c != "" && is(r), nil
		}, nil)
	}
	static("double", "Parse", ts(S), tDouble, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("s")
		}
		f, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if perr != nil {
			return nil, formatErr(s)
		}
		return f, nil
	}, nil)
	static("bool", "Parse", ts(S), B, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("value")
		}
		return parseBoolNET(s)
	}, nil)

	// ---- Convert, Encoding
	static("Convert", "ToBase64String", ts(tBytes), S, func(a []any) (any, error) {
		b, err := bytesArg(a[0])
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}, nil)
	static("Convert", "FromBase64String", ts(S), tBytes, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("s")
		}
		return fromBase64NET(s)
	}, nil)
	// Convert.ToInt32 and ToInt64 check the range as .NET does: a value
	// past it is an OverflowException, never a wrapped number.
	for name, bits := range map[string]int{"ToInt32": 32, "ToInt64": 64} {
		rt := I
		if bits == 64 {
			rt = tLong
		}
		static("Convert", name, ts(O), rt, func(a []any) (any, error) {
			switch x := a[0].(type) {
			case string:
				return parseIntNET(x, bits)
			case nil:
				return 0, nil
			case bool:
				if x {
					return 1, nil
				}
				return 0, nil
			case float64:
				return roundToIntNET(x, bits)
			case Decimal:
				return decRoundInt(x, bits)
			}
			n := toInt(a[0])
			if bits == 32 && (n > math.MaxInt32 || n < math.MinInt32) {
				return nil, overflowErr(bits)
			}
			return n, nil
		}, nil)
	}
	// Convert.ToInt32(s, fromBase) and ToInt64(s, fromBase): base 2, 8,
	// 10 or 16; in bases other than 10 the digits are the bits of the
	// value, so ToInt32("ffffffff", 16) is -1.
	for name, bits := range map[string]int{"ToInt32": 32, "ToInt64": 64} {
		rt := I
		if bits == 64 {
			rt = tLong
		}
		static("Convert", name, ts(S, I), rt, func(a []any) (any, error) {
			if a[0] == nil {
				return 0, nil
			}
			return parseIntBase(a[0].(string), toInt(a[1]), bits)
		}, nil)
	}
	static("Convert", "ToString", ts(O), S, func(a []any) (any, error) { return catStr(a[0]), nil }, nil)
	static("Convert", "ToBoolean", ts(O), B, func(a []any) (any, error) {
		switch x := a[0].(type) {
		case string:
			return parseBoolNET(x)
		case Decimal: // non-zero is true, as .NET's Convert.ToBoolean(Decimal)
			return !x.isZero(), nil
		}
		return jtokenConvert(a[0], tBool)
	}, nil)
	for _, enc := range []string{"UTF8", "ASCII", "Unicode", "Default", "UTF32", "BigEndianUnicode", "Latin1"} {
		enc := enc
		staticProp("Encoding", enc, tEncoding, func([]any) (any, error) { return enc, nil }, func([]string) string { return strconv.Quote(enc) })
	}
	static("Encoding", "GetEncoding", ts(S), tEncoding, func(a []any) (any, error) { return getEncodingByName(a[0]) }, nil) // encoding_wide.go
	staticOverload("Encoding", "GetEncoding", ts(I), tEncoding, func(a []any) (any, error) { return getEncodingByPage(toInt(a[0])) })
	method(KEncoding, "GetBytes", ts(S), tBytes, func(a []any) (any, error) {
		s, err := str(a[1])
		if err != nil {
			return nil, argNull("s")
		}
		if b, ok := encodeWide(a[0], s); ok { // encoding_wide.go: UTF32, BigEndianUnicode
			return b, nil
		}
		if a[0] == "ASCII" {
			return asciiBytes(s), nil
		}
		if a[0] == "Unicode" {
			u := utf16.Encode([]rune(s))
			b := make([]byte, 0, 2*len(u))
			for _, c := range u {
				b = append(b, byte(c), byte(c>>8))
			}
			return b, nil
		}
		return []byte(s), nil
	}, nil)
	method(KEncoding, "GetString", ts(tBytes), S, func(a []any) (any, error) {
		b, err := bytesArg(a[1])
		if err != nil {
			return nil, err
		}
		if s, ok := decodeWide(a[0], b); ok { // encoding_wide.go: UTF32, BigEndianUnicode
			return s, nil
		}
		if a[0] == "ASCII" {
			return asciiString(b), nil
		}
		if a[0] == "Unicode" {
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			}
			if len(b)%2 != 0 {
				return string(utf16.Decode(u)) + "\uFFFD", nil // a trailing odd byte, as .NET's replacement fallback
			}
			return string(utf16.Decode(u)), nil
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}, nil)
	prop(KBytes, "Length", I, func(a []any) (any, error) {
		b, err := bytesArg(a[0])
		return len(b), err
	}, nil)

	// ---- Math
	D := tDouble
	for _, n := range []string{"Max", "Min"} {
		n := n
		static("Math", n, ts(D, D), D, func(a []any) (any, error) {
			x, y := a[0], a[1]
			c, _ := compareNET(x, y)
			if (n == "Max") == (c >= 0) {
				return x, nil
			}
			return y, nil
		}, nil)
	}
	static("Math", "Abs", ts(D), D, func(a []any) (any, error) {
		if i, ok := a[0].(int); ok {
			if i < 0 {
				return -i, nil
			}
			return i, nil
		}
		return math.Abs(toFloat(a[0])), nil
	}, nil)
	static("Math", "Round", ts(D), D, func(a []any) (any, error) { return math.RoundToEven(toFloat(a[0])), nil }, nil)
	static("Math", "Round", ts(D, I), D, func(a []any) (any, error) {
		// As .NET: 0 to 15 digits, and a value of 1E+16 or more is whole
		// already (scaled, it could overflow to infinity).
		digits, v := toInt(a[1]), toFloat(a[0])
		if digits < 0 || digits > 15 {
			return nil, exc("ArgumentOutOfRangeException", "Rounding digits must be between 0 and 15, inclusive. (Parameter 'digits')")
		}
		if math.Abs(v) >= 1e16 {
			return v, nil
		}
		p := math.Pow(10, float64(digits))
		return math.RoundToEven(v*p) / p, nil
	}, nil)
	static("Math", "Floor", ts(D), D, func(a []any) (any, error) { return math.Floor(toFloat(a[0])), nil }, nil)
	static("Math", "Ceiling", ts(D), D, func(a []any) (any, error) { return math.Ceil(toFloat(a[0])), nil }, nil)
	static("Math", "Pow", ts(D, D), D, func(a []any) (any, error) { return math.Pow(toFloat(a[0]), toFloat(a[1])), nil }, nil)
	static("Math", "Sqrt", ts(D), D, func(a []any) (any, error) { return math.Sqrt(toFloat(a[0])), nil }, nil)

	// ---- Guid
	static("Guid", "NewGuid", ts(), tGuid, func([]any) (any, error) { return Guid(uuid.New()), nil }, nil)
	static("Guid", "Parse", ts(S), tGuid, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("input")
		}
		u, perr := uuid.Parse(strings.Trim(s, "{}()"))
		if perr != nil {
			return nil, exc("FormatException", "Unrecognized Guid format.")
		}
		return Guid(u), nil
	}, nil)
	method(KGuid, "ToByteArray", ts(), tBytes, func(a []any) (any, error) {
		g := a[0].(Guid)
		b := g[:]
		// .NET's byte order: the first three groups little-endian
		out := []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]}
		return append(out, b[8:]...), nil
	}, nil)

	// ---- DateTime, TimeSpan
	newDate := func(a []any) (any, error) {
		p := make([]int, 7)
		for i := range a {
			p[i] = toInt(a[i])
		}
		return newDateParts(p, kindUnspecified)
	}
	static("DateTime", "new", ts(I, I, I), tDateTime, newDate, nil)
	static("DateTime", "new", ts(I, I, I, I, I, I), tDateTime, newDate, nil)
	dateTimeKind = newEnum("DateTimeKind", "System", "Unspecified", "Utc", "Local")
	DK := dateTimeKind.t
	// new DateTime(y, M, d, h, m, s, kind) and (y, M, d, h, m, s, ms): the
	// same arity, so keys of their own.
	statics["DateTime"]["new"] = append(statics["DateTime"]["new"],
		reg(&builtin{key: "DateTime.new(int,int,int,int,int,int,DateTimeKind)", params: ts(I, I, I, I, I, I, DK), result: tDateTime, run: func(a []any) (any, error) {
			p := make([]int, 7)
			for i := range a[:6] {
				p[i] = toInt(a[i])
			}
			return newDateParts(p, a[6].(enumVal).v)
		}}),
		reg(&builtin{key: "DateTime.new(int,int,int,int,int,int,int)", params: ts(I, I, I, I, I, I, I), result: tDateTime, run: newDate}),
		reg(&builtin{key: "DateTime.new(int,int,int,int,int,int,int,DateTimeKind)", params: ts(I, I, I, I, I, I, I, DK), result: tDateTime, run: func(a []any) (any, error) {
			p := make([]int, 7)
			for i := range a[:7] {
				p[i] = toInt(a[i])
			}
			return newDateParts(p, a[7].(enumVal).v)
		}}))
	staticProp("DateTime", "UtcNow", tDateTime, func([]any) (any, error) { return time.Now().UTC(), nil }, nil)
	// Now and Today are Kind Local: the gateway's zone, UTC.
	staticProp("DateTime", "Now", tDateTime, func([]any) (any, error) { return time.Now().In(locLocal), nil }, nil)
	staticProp("DateTime", "Today", tDateTime, func([]any) (any, error) {
		return time.Now().UTC().Truncate(24 * time.Hour).In(locLocal), nil
	}, nil)
	staticProp("DateTime", "MinValue", tDateTime, func([]any) (any, error) { return time.Date(1, 1, 1, 0, 0, 0, 0, locUnspecified), nil }, nil)
	staticProp("DateTime", "MaxValue", tDateTime, func([]any) (any, error) {
		return time.Date(9999, 12, 31, 23, 59, 59, 999999900, locUnspecified), nil
	}, nil)
	staticProp("DateTime", "UnixEpoch", tDateTime, func([]any) (any, error) { return time.Unix(0, 0).UTC(), nil }, nil)
	static("DateTime", "Parse", ts(S), tDateTime, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("s")
		}
		return parseDate(s)
	}, nil)
	// Convert.ToDateTime(string[, provider]): DateTime.Parse, but null is
	// DateTime.MinValue, as .NET's Convert gives; of a DateTime, itself
	toDateTime := func(a []any) (any, error) {
		if a[0] == nil {
			return time.Date(1, 1, 1, 0, 0, 0, 0, locUnspecified), nil
		}
		return parseDate(a[0].(string))
	}
	static("Convert", "ToDateTime", ts(S), tDateTime, toDateTime, nil)
	static("Convert", "ToDateTime", ts(S, tObject), tDateTime, toDateTime, nil)
	staticOverload("Convert", "ToDateTime", ts(tDateTime), tDateTime, func(a []any) (any, error) { return a[0], nil })
	for _, u := range []struct {
		n string
		d time.Duration
	}{{"AddSeconds", time.Second}, {"AddMinutes", time.Minute}, {"AddHours", time.Hour}, {"AddDays", 24 * time.Hour}, {"AddMilliseconds", time.Millisecond}} {
		u := u
		method(KDateTime, u.n, ts(D), tDateTime, func(a []any) (any, error) {
			return addUnits(a[0].(time.Time), toFloat(a[1]), int64(u.d/100))
		}, nil)
	}
	method(KDateTime, "Add", ts(tTimeSpan), tDateTime, func(a []any) (any, error) {
		return addSpan(a[0].(time.Time), a[1].(time.Duration))
	}, nil)
	method(KDateTime, "Subtract", ts(tTimeSpan), tDateTime, func(a []any) (any, error) {
		return addSpan(a[0].(time.Time), -a[1].(time.Duration))
	}, nil)
	method(KDateTime, "Subtract", ts(tDateTime), tTimeSpan, func(a []any) (any, error) {
		return a[0].(time.Time).Sub(a[1].(time.Time)), nil
	}, nil)
	method(KDateTime, "AddMonths", ts(I), tDateTime, func(a []any) (any, error) {
		return addMonths(a[0].(time.Time), toInt(a[1]), 120000)
	}, nil)
	method(KDateTime, "AddYears", ts(I), tDateTime, func(a []any) (any, error) {
		n := toInt(a[1])
		if n < -10000 || n > 10000 {
			return nil, exc("ArgumentOutOfRangeException", "The added or subtracted value results in an un-representable DateTime. (Parameter 'years')")
		}
		return addMonths(a[0].(time.Time), n*12, 120000)
	}, nil)
	prop(KDateTime, "Kind", DK, func(a []any) (any, error) { return enumVal{dateTimeKind, kindOf(a[0].(time.Time))}, nil }, nil)
	static("DateTime", "SpecifyKind", ts(tDateTime, DK), tDateTime, func(a []any) (any, error) {
		k := a[1].(enumVal).v
		if k < kindUnspecified || k > kindLocal {
			return nil, errKind()
		}
		return withKind(a[0].(time.Time), k), nil
	}, nil)
	prop(KDateTime, "DayOfYear", I, func(a []any) (any, error) { return a[0].(time.Time).YearDay(), nil }, nil)
	// ToUniversalTime and ToLocalTime: a Local time converts by the local
	// zone's offset (0) and an Unspecified one is read as local by
	// ToUniversalTime, as UTC by ToLocalTime: here only the kind changes.
	method(KDateTime, "ToUniversalTime", ts(), tDateTime, func(a []any) (any, error) { return a[0].(time.Time).UTC(), nil }, nil)
	for _, p := range []string{"Year", "Month", "Day", "Hour", "Minute", "Second", "Millisecond", "Ticks"} {
		p := p
		rt := I
		if p == "Ticks" {
			rt = tLong
		}
		prop(KDateTime, p, rt, func(a []any) (any, error) {
			t := a[0].(time.Time)
			switch p {
			case "Year":
				return t.Year(), nil
			case "Month":
				return int(t.Month()), nil
			case "Day":
				return t.Day(), nil
			case "Hour":
				return t.Hour(), nil
			case "Minute":
				return t.Minute(), nil
			case "Second":
				return t.Second(), nil
			case "Millisecond":
				return t.Nanosecond() / int(time.Millisecond), nil
			}
			return int(ticksOf(t)), nil
		}, nil)
	}
	for _, u := range []struct {
		n string
		d time.Duration
	}{{"FromSeconds", time.Second}, {"FromMinutes", time.Minute}, {"FromHours", time.Hour}, {"FromDays", 24 * time.Hour}, {"FromMilliseconds", time.Millisecond}} {
		u := u
		static("TimeSpan", u.n, ts(D), tTimeSpan, func(a []any) (any, error) { return spanOf(toFloat(a[0]), int64(u.d/100)) }, nil)
	}
	for _, p := range []struct {
		n string
		d time.Duration
	}{{"TotalSeconds", time.Second}, {"TotalMinutes", time.Minute}, {"TotalHours", time.Hour}, {"TotalDays", 24 * time.Hour}, {"TotalMilliseconds", time.Millisecond}} {
		p := p
		prop(KTimeSpan, p.n, D, func(a []any) (any, error) {
			d := a[0].(time.Duration)
			if d == spanMax || d == spanMin { // .NET's ticks / TicksPerX; TotalMilliseconds clamped to ±922337203685477
				v := float64(spanTicks(d)) / float64(p.d/100)
				if p.n == "TotalMilliseconds" {
					v = max(min(v, 922337203685477), -922337203685477)
				}
				return v, nil
			}
			return float64(d) / float64(p.d), nil
		}, nil)
	}

	// ---- Uri, WebUtility
	static("Uri", "EscapeDataString", ts(S), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("stringToEscape")
		}
		return strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), nil
	}, nil)
	static("Uri", "UnescapeDataString", ts(S), S, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("stringToUnescape")
		}
		u, uerr := url.PathUnescape(s)
		if uerr != nil {
			return s, nil
		}
		return u, nil
	}, nil)
	static("WebUtility", "UrlEncode", ts(S), S, func(a []any) (any, error) {
		s, _ := a[0].(string)
		return url.QueryEscape(s), nil
	}, nil)
	static("WebUtility", "UrlDecode", ts(S), S, func(a []any) (any, error) {
		s, _ := a[0].(string)
		u, err := url.QueryUnescape(s)
		if err != nil {
			return s, nil
		}
		return u, nil
	}, nil)
	static("WebUtility", "HtmlEncode", ts(S), S, func(a []any) (any, error) {
		s, _ := a[0].(string)
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s), nil
	}, nil)

	// ---- Regex (regex.go, regex_engine.go)
	registerRegex()
	registerRegexResults()
	// token.Value<T>() and token.Value<T>(key)
	// and their nullable value types (Value<int?>: null for a missing
	// property and for a JSON null, the value otherwise)
	for _, t := range []*Type{tString, tInt, tLong, tDouble, tDecimal, tBool, tJToken, tDateTime, tDTO, tJObject, tJArray,
		nullableOf(tInt), nullableOf(tLong), nullableOf(tDouble), nullableOf(tDecimal), nullableOf(tBool),
		nullableOf(tDateTime), nullableOf(tDTO)} {
		t := t
		v0 := reg(&builtin{key: "JToken.Value<" + t.Name + ">/0", result: t, run: func(a []any) (any, error) {
			if a[0] == nil {
				if t.Nullable {
					return nil, nil
				}
				return nil, errNull
			}
			if isJNull(a[0]) {
				return jnullValue(t)
			}
			if _, big := a[0].(JBigInt); big && t.K != KJToken && t.K != KJObject && t.K != KJArray {
				return nil, bigValue()
			}
			return jtokenConvert(a[0], t)
		}})
		// token.ToObject<T>(): Json.NET's ToObject(Type) is the explicit
		// conversion for these T ((int)token, (string)token...: JToken.cs),
		// so a JValue null is "Can not convert Null to Int32." where
		// Value<int>() is Convert.ChangeType's InvalidCastException
		o0 := reg(&builtin{key: "JToken.ToObject<" + t.Name + ">/0", result: t, run: func(a []any) (any, error) {
			switch a[0].(type) {
			case nil:
				if t.Nullable {
					return nil, nil
				}
				return nil, errNull
			case JNull:
				if t.K == KJToken {
					return a[0], nil // the serializer reads a JToken as the token
				}
				if t.K == KJObject || t.K == KJArray {
					return nil, nil
				}
			}
			return jtokenConvert(a[0], t)
		}})
		if t.Nullable {
			nullTokenValue[v0] = true
			nullTokenValue[o0] = true
		}
		reg(&builtin{key: "JToken.Value<" + t.Name + ">/1", result: t, run: func(a []any) (any, error) {
			v, err := indexValue(a[0], a[1], ixJToken)
			if err != nil {
				return nil, err
			}
			if isJNull(v) { // a JSON null (indexValue reads a stored nil as one): Extensions.Convert
				return jnullValue(t)
			}
			if v == nil {
				// Json.NET's Value<U>(key): default(U) for a missing
				// property (0 for an int, false for a bool, not null)
				if t.isRef() {
					return nil, nil
				}
				return zeroOf(t), nil
			}
			if _, big := v.(JBigInt); big && t.K != KJToken && t.K != KJObject && t.K != KJArray {
				return nil, bigValue()
			}
			return jtokenConvert(v, t)
		}})
		// token.ToObject<T[]>() (and List<T>, IEnumerable<T>...): an array's
		// items, each converted as Value<T>() converts it
		reg(&builtin{key: "JToken.ToObject<" + t.Name + "[]>/0", result: arrayOf(t), run: func(a []any) (any, error) {
			arr, ok := a[0].(*JArray)
			if !ok {
				if a[0] == nil {
					return nil, errNull
				}
				if isJNull(a[0]) { // the serializer reads null as a null list
					return nil, nil
				}
				if _, obj := a[0].(*JObject); obj {
					return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON object (e.g. {\"name\":\"value\"}) into type '%s[]' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly.", netTypeName(t))
				}
				return nil, exc("JsonSerializationException", "Error converting value %s to type '%s[]'. Path ''.", jsonText(a[0], false), netTypeName(t))
			}
			out := make([]any, len(arr.Items))
			for i, v := range arr.Items {
				if v == nil || isJNull(v) {
					if t.K == KJToken {
						out[i] = v // a List<JToken> holds the JValue null
						continue
					}
					if t.isRef() {
						continue
					}
					return nil, exc("JsonSerializationException", "Error converting value {null} to type '%s'. Path '[%d]'.", netTypeName(t), i)
				}
				x, err := jtokenConvert(v, t)
				if err != nil {
					return nil, err
				}
				out[i] = x
			}
			return out, nil
		}})
	}

	// token.ToObject<object>() and ToObject<object[]>() (List<object>...):
	// Json.NET's serializer gives a JValue's value (a number, string, bool,
	// null) and a JObject or JArray as the token itself, as
	// DeserializeObject<object> does — new tokens, not the original's (pagoPA's ecommerce policy counts
	// body["paymentNotices"].ToObject<object[]>().Length).
	// token.ToObject<byte[]>(): Json.NET's ToObject(Type) converts to a
	// byte[] as its explicit (byte[]) does: a string token's base64
	reg(&builtin{key: "JToken.ToObject<byte[]>/0", result: tBytes, run: func(a []any) (any, error) {
		if a[0] == nil {
			return nil, errNull
		}
		if isJNull(a[0]) { // the serializer reads null as null, where (byte[]) throws
			return nil, nil
		}
		return jtokenConvert(a[0], tBytes)
	}})
	reg(&builtin{key: "JToken.ToObject<object>/0", result: tObject, run: func(a []any) (any, error) {
		if a[0] == nil {
			return nil, errNull
		}
		return jsonNil(jclone(a[0])), nil // the serializer builds a new JObject or JArray; a JSON null is null
	}})
	reg(&builtin{key: "JToken.ToObject<object[]>/0", result: arrayOf(tObject), run: func(a []any) (any, error) {
		arr, ok := a[0].(*JArray)
		if !ok {
			if a[0] == nil {
				return nil, errNull
			}
			if isJNull(a[0]) {
				return nil, nil
			}
			if _, obj := a[0].(*JObject); obj {
				return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON object (e.g. {\"name\":\"value\"}) into type 'System.Object[]' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly.")
			}
			return nil, exc("JsonSerializationException", "Error converting value %s to type 'System.Object[]'. Path ''.", jsonText(a[0], false))
		}
		out := make([]any, len(arr.Items))
		for i, v := range arr.Items {
			out[i] = jsonNil(jclone(v))
		}
		return out, nil
	}})

	// ---- hashing
	for _, h := range []string{"HMACSHA256", "HMACSHA1", "HMACSHA512", "HMACMD5"} {
		name := strings.TrimPrefix(h, "HMAC")
		statics[h] = table{"new": {reg(&builtin{key: h + ".new", params: ts(tBytes), result: tHash, run: func(a []any) (any, error) {
			k, err := bytesArg(a[0])
			if err != nil {
				return nil, err
			}
			return &hasher{name: name, key: k, hmac: true}, nil
		}})}}
	}
	for _, h := range []string{"SHA256", "SHA1", "SHA512", "MD5"} {
		h := h
		static(h, "Create", ts(), tHash, func([]any) (any, error) { return &hasher{name: h}, nil }, nil)
		static(h, "HashData", ts(tBytes), tBytes, func(a []any) (any, error) {
			b, err := bytesArg(a[0])
			if err != nil {
				return nil, err
			}
			return (&hasher{name: h}).compute(b), nil
		}, nil)
	}
	method(KHash, "ComputeHash", ts(tBytes), tBytes, func(a []any) (any, error) {
		b, err := bytesArg(a[1])
		if err != nil {
			return nil, err
		}
		h, err := hasherRecv(a[0])
		if err != nil {
			return nil, err
		}
		return h.compute(b), nil
	}, nil)
	static("BitConverter", "ToString", ts(tBytes), S, func(a []any) (any, error) {
		b, err := bytesArg(a[0])
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(b))
		for i, c := range b {
			parts[i] = fmt.Sprintf("%02X", c)
		}
		return strings.Join(parts, "-"), nil
	}, nil)

	// ---- JSON
	parse := func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("json")
		}
		return ParseJSON(s)
	}
	static("JObject", "Parse", ts(S), tJObject, func(a []any) (any, error) {
		v, err := parse(a)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*JObject); !ok {
			return nil, exc("JsonReaderException", "Error reading JObject from JsonReader. Current JsonReader item is not an object.")
		}
		return v, nil
	}, nil)
	static("JArray", "Parse", ts(S), tJArray, func(a []any) (any, error) {
		v, err := parse(a)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*JArray); !ok {
			return nil, exc("JsonReaderException", "Error reading JArray from JsonReader. Current JsonReader item is not an array.")
		}
		return v, nil
	}, nil)
	static("JToken", "Parse", ts(S), tJToken, parse, nil)
	static("JToken", "FromObject", ts(O), tJToken, func(a []any) (any, error) { return toJToken(a[0]), nil }, nil)
	static("JObject", "FromObject", ts(O), tJObject, func(a []any) (any, error) { return toJToken(a[0]), nil }, nil)
	static("JArray", "FromObject", ts(O), tJArray, func(a []any) (any, error) {
		t := toJToken(a[0])
		if _, ok := t.(*JArray); !ok {
			return nil, exc("ArgumentException", "Object serialized to %s. JArray instance expected.", jtype(t))
		}
		return t, nil
	}, nil)
	static("JsonConvert", "SerializeObject", ts(O), S, func(a []any) (any, error) { return jsonTextErr(toJToken(a[0]), false) }, nil)
	// the serializer reads a top-level "null" as null (a JSON null inside
	// a JObject is a JValue null, as JObject.Parse makes it)
	parseObj := func(a []any) (any, error) {
		v, err := parse(a)
		return jsonNil(v), err
	}
	static("JsonConvert", "DeserializeObject", ts(S), O, parseObj, nil)
	static("JsonConvert", "DeserializeObject<JObject>", ts(S), tJObject, parseObj, nil)
	for _, k := range []Kind{KJToken, KJObject, KJArray} {
		method(k, "ToString", ts(I), S, func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			return jsonTextErr(a[0], toInt(a[1]) == 1) // Formatting.None = 0, Indented = 1
		}, nil)
		method(k, "SelectToken", ts(S), tJToken, func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			p, _ := a[1].(string)
			return selectOne(a[0], p)
		}, nil)
		method(k, "SelectTokens", ts(S), arrayOf(tJToken), func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			p, _ := a[1].(string)
			return selectTokens(a[0], p)
		}, nil)
		prop(k, "Count", I, func(a []any) (any, error) {
			switch x := a[0].(type) {
			case *JObject:
				return len(x.Keys), nil
			case *JArray:
				return len(x.Items), nil
			case nil:
				return nil, errNull
			}
			return nil, exc("InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue.")
		}, nil)
		prop(k, "Type", S, func(a []any) (any, error) {
			if a[0] == nil { // a missing property (C#'s null): the lowered path too
				return nil, errNull
			}
			return jtype(a[0]), nil // a JValue null's is Null
		}, nil)
		prop(k, "HasValues", B, func(a []any) (any, error) {
			switch x := a[0].(type) {
			case *JObject:
				return len(x.Keys) > 0, nil
			case *JArray:
				return len(x.Items) > 0, nil
			case nil:
				return nil, errNull
			}
			return false, nil
		}, nil)
		// First and Last: an array's first or last item, an object's first
		// or last property (null when empty), as Json.NET's JToken has them.
		for _, end := range []string{"First", "Last"} {
			last := end == "Last"
			prop(k, end, tJToken, func(a []any) (any, error) {
				switch x := a[0].(type) {
				case *JObject:
					if len(x.Keys) == 0 {
						return nil, nil
					}
					key := x.Keys[0]
					if last {
						key = x.Keys[len(x.Keys)-1]
					}
					return &JProperty{Name: key, Value: x.M[key], parent: x}, nil
				case *JArray:
					if len(x.Items) == 0 {
						return nil, nil
					}
					if last {
						return x.Items[len(x.Items)-1], nil
					}
					return x.Items[0], nil
				case nil:
					return nil, errNull
				}
				return nil, exc("InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue.")
			}, nil)
		}
	}
	method(KJObject, "Properties", ts(), arrayOf(tJProp), func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		out := make([]any, len(o.Keys))
		for i, key := range o.Keys {
			out[i] = &JProperty{Name: key, Value: o.M[key], parent: o}
		}
		return out, nil
	}, nil)
	staticProp("Formatting", "None", I, func([]any) (any, error) { return 0, nil }, func([]string) string { return "0" })
	staticProp("Formatting", "Indented", I, func([]any) (any, error) { return 1, nil }, func([]string) string { return "1" })
	method(KJObject, "Add", ts(S, O), tVoid, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		k, _ := a[1].(string)
		if _, dup := o.M[k]; dup {
			return nil, exc("ArgumentException", "Can not add property %s to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.", k)
		}
		o.Set(k, adopt(o, toJValue(a[2])))
		return nil, nil
	}, nil)
	// JObject.Add(content), JContainer's: a JProperty (copied when it
	// belongs to another object, as Json.NET copies a token with a parent).
	method(KJObject, "Add", ts(O), tVoid, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		p, ok := a[1].(*JProperty)
		if !ok {
			if a[1] == nil {
				return nil, nil // Json.NET adds nothing for null content
			}
			name := "Newtonsoft.Json.Linq.JValue"
			switch a[1].(type) {
			case *JObject:
				name = "Newtonsoft.Json.Linq.JObject"
			case *JArray:
				name = "Newtonsoft.Json.Linq.JArray"
			}
			return nil, exc("ArgumentException", "Can not add %s to Newtonsoft.Json.Linq.JObject.", name)
		}
		if _, dup := o.M[p.Name]; dup {
			return nil, exc("ArgumentException", "Can not add property %s to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.", p.Name)
		}
		if p.parent != nil && p.parent != o {
			c := jclone(p.Value)
			setParent(o, c)
			o.Set(p.Name, c)
			return nil, nil
		}
		o.Set(p.Name, p.Value) // the value's parent stays the property, whose parent is o
		p.parent = o
		return nil, nil
	}, nil)
	method(KJObject, "Remove", ts(S), B, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		k, _ := a[1].(string)
		return o.Remove(k), nil
	}, nil)
	method(KJObject, "ContainsKey", ts(S), B, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		_, has := o.M[a[1].(string)]
		return has, nil
	}, nil)
	method(KJObject, "Property", ts(S), tJProp, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		k, _ := a[1].(string)
		if v, has := o.M[k]; has {
			return &JProperty{Name: k, Value: v, parent: o}, nil
		}
		return nil, nil
	}, nil)
	// JToken.Remove(): a JProperty (o["k"].Parent, o.First) leaves its
	// object, an object or an array its container (liveParent); a value's
	// parent is not kept here, so removing it says how to remove it instead.
	jtokenRemove := func(a []any) (any, error) {
		switch p := a[0].(type) {
		case nil:
			return nil, errNull
		case *JProperty:
			if p.parent == nil {
				return nil, exc("InvalidOperationException", "The parent is missing.")
			}
			p.parent.Remove(p.Name)
			p.parent = nil
			return nil, nil
		case *JObject, *JArray:
			switch c := must(liveParent(a[0])).(type) {
			case nil:
				return nil, exc("InvalidOperationException", "The parent is missing.")
			case *JArray:
				for i, it := range c.Items {
					if it == a[0] {
						c.Items = append(c.Items[:i:i], c.Items[i+1:]...)
						break
					}
				}
				setParent(nil, a[0])
				return nil, nil
			case *JProperty:
				// a property's value: its parent is the JProperty, whose one
				// item cannot go (Json.NET's JProperty.RemoveItem): remove
				// the property, o["k"].Parent.Remove()
				return nil, exc("JsonException", "Cannot add or remove items from Newtonsoft.Json.Linq.JProperty.")
			}
		}
		return nil, exc("NotSupportedException", "tollgate keeps no parent for this %s value: remove it where it is read (a[i].Remove(), o[\"name\"].Parent.Remove()) or through what holds it (o.Remove(\"name\"))", jtype(a[0]))
	}
	method(KJToken, "Remove", ts(), tVoid, jtokenRemove, nil)
	method(KJObject, "Remove", ts(), tVoid, jtokenRemove, nil)
	method(KJArray, "Remove", ts(), tVoid, jtokenRemove, nil)
	method(KJProperty, "Remove", ts(), tVoid, func(a []any) (any, error) {
		p, ok := a[0].(*JProperty)
		if !ok {
			return nil, errNull
		}
		if p.parent == nil {
			return nil, exc("InvalidOperationException", "The parent is missing.")
		}
		p.parent.Remove(p.Name)
		p.parent = nil
		return nil, nil
	}, nil)
	prop(KKeyValue, "Key", S, func(a []any) (any, error) {
		p, ok := a[0].(*JProperty)
		switch {
		case !ok || p == nil:
			return nil, errNull
		case p.nullKey:
			return nil, nil
		}
		return p.Name, nil
	}, nil)
	prop(KKeyValue, "Value", O, func(a []any) (any, error) {
		p, ok := a[0].(*JProperty)
		if !ok || p == nil {
			return nil, errNull
		}
		return p.Value, nil
	}, nil)
	prop(KJProperty, "Name", S, func(a []any) (any, error) { return a[0].(*JProperty).Name, nil }, nil)
	prop(KJProperty, "Value", tJToken, func(a []any) (any, error) { return a[0].(*JProperty).Value, nil }, nil)
	// JProperty.Parent: the object holding it, or null for one not added
	// or taken out (Remove(), or o.Remove(name) since it was read)
	prop(KJProperty, "Parent", tJToken, func(a []any) (any, error) {
		p, ok := a[0].(*JProperty)
		if !ok || p == nil {
			return nil, errNull
		}
		if p.parent == nil {
			return nil, nil
		}
		if _, has := p.parent.M[p.Name]; !has {
			return nil, nil
		}
		return p.parent, nil
	}, nil)
	// JToken.Parent of a token held in a variable: an object's or an
	// array's container while it holds it (jsonmore.go's liveParent); a
	// value held in a variable (a string, number, bool...) has no identity
	// here, so no parent to give: NotSupportedException, saying where
	// Parent works for it
	jtokenParent = reg(&builtin{key: "JToken.Parent", result: tJToken, run: func(a []any) (any, error) {
		switch a[0].(type) {
		case nil:
			return nil, errNull
		case *JObject, *JArray:
			p, _ := liveParent(a[0])
			return p, nil
		case *JProperty: // as JProperty.Parent
			return props[KJProperty]["Parent"].run(a)
		}
		return nil, exc("NotSupportedException", "tollgate keeps no parent for a %s value held in a variable: read Parent where the value is read (o[\"name\"].Parent, a[i].Parent)", jtype(a[0]))
	}})
	jpropSetValue = reg(&builtin{key: "JProperty.Value=", params: ts(O), result: tJToken, run: func(a []any) (any, error) {
		p, ok := a[0].(*JProperty)
		if !ok || p == nil {
			return nil, errNull
		}
		p.Value = adopt(p, toJValue(a[1]))
		if p.parent != nil { // still in its object (Remove clears parent): the object's value too
			if _, has := p.parent.M[p.Name]; has {
				p.parent.Set(p.Name, p.Value)
			}
		}
		return p.Value, nil
	}})
	method(KJArray, "Add", ts(O), tVoid, func(a []any) (any, error) {
		arr, ok := a[0].(*JArray)
		if !ok {
			return nil, errNull
		}
		arr.Items = append(arr.Items, adopt(arr, toJValue(a[1])))
		return nil, nil
	}, nil)
	// new JValue(v): a string, number, bool, DateTime (a Date token), Guid
	// or Uri (its text, as Json.NET writes it)
	static("JValue", "new", ts(O), tJValue, func(a []any) (any, error) {
		switch v := toJValue(a[0]).(type) { // new JValue(null): a JValue null
		case *JObject, *JArray:
			return nil, exc("ArgumentException", "Could not determine JSON object type for type %s.", netName(a[0]))
		default:
			return v, nil
		}
	}, nil)
	static("JProperty", "new", ts(S, O), O, func(a []any) (any, error) {
		k, _ := a[0].(string)
		if err := jsonContent(a[1]); err != nil {
			return nil, err
		}
		p := &JProperty{Name: k}
		p.Value = adopt(p, toJValue(a[1]))
		return p, nil
	}, nil)
	static("JObject", "new", ts(tObjects), tJObject, func(a []any) (any, error) {
		o := NewJObject()
		args, _ := a[0].([]any)
		// Each property is added as JObject.Add adds it: a second one of a
		// name is Json.NET's ArgumentException (JObject.ValidateToken), not a
		// replacement.
		add := func(p *JProperty) error {
			if _, dup := o.M[o.key(p.Name)]; dup {
				return exc("ArgumentException", "Can not add property %s to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.", p.Name)
			}
			o.Set(p.Name, p.Value)
			if p.parent == nil { // Json.NET adds a property with no parent itself
				p.parent = o
			}
			return nil
		}
		for _, x := range args {
			switch p := x.(type) {
			case *JProperty:
				if err := add(p); err != nil {
					return nil, err
				}
			case *JObject: // new JObject(other): the copy constructor, which copies each token (Json.NET's: they have a parent)
				for _, k := range p.Keys {
					c := jclone(p.M[k])
					setParent(o, c)
					o.Set(k, c)
				}
			case []any:
				for _, y := range p {
					if q, ok := y.(*JProperty); ok {
						if err := add(q); err != nil {
							return nil, err
						}
					}
				}
			case nil:
			default:
				return nil, exc("ArgumentException", "Can not add %s to Newtonsoft.Json.Linq.JObject.", netName(x))
			}
		}
		return o, nil
	}, nil)
	statics["JObject"]["new"][0].vararg = true
	static("JArray", "new", ts(tObjects), tJArray, func(a []any) (any, error) {
		arr := &JArray{}
		if other, ok := a[0].(*JArray); ok {
			// new JArray(other): Json.NET's copy constructor, each item copied
			for _, it := range other.Items {
				c := jclone(it)
				setParent(arr, c)
				arr.Items = append(arr.Items, c)
			}
			return arr, nil
		}
		args, _ := a[0].([]any)
		for _, x := range args {
			if y, ok := x.([]any); ok {
				for _, z := range y {
					arr.Items = append(arr.Items, adopt(arr, toJValue(z)))
				}
				continue
			}
			if err := jsonContent(x); err != nil { // a context object: no JSON value (JValue's ArgumentException)
				return nil, err
			}
			arr.Items = append(arr.Items, adopt(arr, toJValue(x)))
		}
		return arr, nil
	}, nil)
	statics["JArray"]["new"][0].vararg = true
	for _, e := range []string{"Exception", "InvalidOperationException", "ArgumentException", "FormatException", "NotSupportedException"} {
		e := e
		static(e, "new", ts(S), exceptionType, func(a []any) (any, error) {
			msg, _ := a[0].(string)
			return &Exception{Type: e, Msg: msg}, nil
		}, nil)
		static(e, "new", ts(), exceptionType, func(a []any) (any, error) {
			return &Exception{Type: e, Msg: fmt.Sprintf("Exception of type 'System.%s' was thrown.", e)}, nil
		}, nil)
	}
	argumentExceptions() // cs7.go
	// GetValueOrDefault and ContainsKey of a model map that lacks them
	// (Jwt.Claims: IReadOnlyDictionary<string, string[]>): values joined with ","
	// lookup is a model map's value for a[1] (invalid when absent).
	lookup := func(a []any) (reflect.Value, error) {
		if a[0] == nil || isNilPtr(a[0]) {
			return reflect.Value{}, errNull
		}
		rv := reflect.ValueOf(a[0])
		k, _ := a[1].(string)
		return rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())), nil
	}
	dictGet := func(a []any) (any, error) {
		v, err := lookup(a)
		if err != nil {
			return nil, err
		}
		if !v.IsValid() {
			if len(a) > 2 {
				return a[2], nil
			}
			return nil, nil
		}
		switch x := v.Interface().(type) {
		case string:
			return x, nil
		case nil:
			return nil, nil
		}
		if it, err := items(v.Interface()); err == nil && v.Kind() != reflect.String {
			parts := make([]string, len(it))
			for i, e := range it {
				parts[i] = catStr(e)
			}
			return strings.Join(parts, ","), nil
		}
		return catStr(v.Interface()), nil
	}
	reg(&builtin{key: "dict.GetValueOrDefault/1", result: S, run: dictGet})
	reg(&builtin{key: "dict.GetValueOrDefault/2", result: S, run: dictGet})
	reg(&builtin{key: "dict.GetValueOrDefault/values", result: tStrings, run: func(a []any) (any, error) {
		v, err := lookup(a)
		if err != nil {
			return nil, err
		}
		if !v.IsValid() {
			return a[2], nil
		}
		return items(v.Interface())
	}})
	reg(&builtin{key: "dict.ContainsKey", result: B, run: func(a []any) (any, error) {
		if a[0] == nil || isNilPtr(a[0]) {
			return nil, errNull
		}
		rv := reflect.ValueOf(a[0])
		k, _ := a[1].(string)
		return rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).IsValid(), nil
	}})
	// byte[].Encrypt/Decrypt: symmetric.go
	// StringBuilder: a string; sb.Append(x) as a statement is rewritten by
	// the binder into sb = sb + x (see builderAppend)
	static("StringBuilder", "new", ts(), tBuilder, func([]any) (any, error) { return "", nil }, func([]string) string { return `""` })
	// new StringBuilder(...).Append(a).AppendLine(b)... as an expression
	// (bind.go builderChain): the builder's text and each part's, joined
	static("StringBuilder", "$chain", ts(tObjects), tBuilder, func(a []any) (any, error) { return joinNET("", a[0]) }, nil)
	statics["StringBuilder"]["$chain"][0].vararg = true
	static("StringBuilder", "new", ts(S), tBuilder, func(a []any) (any, error) { return catStr(a[0]), nil },
		func(a []string) string { return "$csCat(" + a[0] + ")" })
	method(KBuilder, "ToString", ts(), S, func(a []any) (any, error) { return catStr(a[0]), nil }, func(a []string) string { return a[0] })
	prop(KBuilder, "Length", I, func(a []any) (any, error) { return utf16Len(catStr(a[0])), nil }, nil)
	// Insert, Replace and Remove read the builder as the string it is
	// (builderEdit assigns the result back).
	for _, name := range []string{"Insert", "Replace", "Remove"} {
		for _, bi := range methods[KString][name] {
			bi := bi
			method(KBuilder, name, bi.params, tBuilder, bi.run, nil)
		}
	}
	// Body.AsFormUrlEncodedContent()
	reg(&builtin{key: "Body.AsFormUrlEncodedContent", result: tForm, run: func(a []any) (any, error) {
		if a[0] == nil || isNilPtr(a[0]) {
			return nil, errNull
		}
		bs, ok := a[0].(interface{ AsString() (string, error) })
		if !ok {
			return nil, castErr(a[0], "IMessageBody")
		}
		s, err := bs.AsString()
		if err != nil {
			return nil, err
		}
		return parseForm(s), nil
	}})
	method(KForm, "ToFormUrlEncodedContent", ts(), S, func(a []any) (any, error) {
		f, ok := a[0].(*Form)
		if !ok {
			return nil, errNull
		}
		return f.encode(), nil
	}, nil)
	// ToQueryString(): APIM's page lists it beside ToFormUrlEncodedContent()
	// without saying what it gives; tollgate gives the same text (no "?").
	method(KForm, "ToQueryString", ts(), S, func(a []any) (any, error) {
		f, ok := a[0].(*Form)
		if !ok {
			return nil, errNull
		}
		return f.encode(), nil
	}, nil)
	method(KForm, "ContainsKey", ts(S), B, func(a []any) (any, error) {
		f, ok := a[0].(*Form)
		if !ok {
			return nil, errNull
		}
		_, has := f.m[catStr(a[1])]
		return has, nil
	}, nil)
	method(KForm, "Remove", ts(S), B, func(a []any) (any, error) {
		f, ok := a[0].(*Form)
		if !ok {
			return nil, errNull
		}
		return f.remove(catStr(a[1])), nil
	}, nil)
	prop(KForm, "Count", I, func(a []any) (any, error) { return len(a[0].(*Form).keys), nil }, nil)
	method(KFormList, "Add", ts(S), tVoid, func(a []any) (any, error) {
		l, ok := a[0].(*FormList)
		if !ok {
			return nil, errNull
		}
		s, _ := a[1].(string)
		l.Items = append(l.Items, s)
		return nil, nil
	}, nil)
	prop(KFormList, "Count", I, func(a []any) (any, error) { return len(a[0].(*FormList).Items), nil }, nil)
	static("Random", "new", ts(), tRandom, func([]any) (any, error) { return &randomT{}, nil }, nil)
	static("Random", "new", ts(I), tRandom, func(a []any) (any, error) {
		seed := uint64(toInt(a[0]))
		return &randomT{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}, nil
	}, nil)
	method(KRandom, "Next", ts(I, I), I, func(a []any) (any, error) {
		lo, hi := toInt(a[1]), toInt(a[2])
		if hi <= lo {
			return lo, nil
		}
		x, _ := a[0].(*randomT)
		return lo + x.intn(hi-lo), nil
	}, nil)
	method(KRandom, "NextDouble", ts(), D, func(a []any) (any, error) {
		x, _ := a[0].(*randomT)
		return x.float(), nil
	}, nil)
	method(KRandom, "Next", ts(), I, func(a []any) (any, error) {
		x, _ := a[0].(*randomT)
		return x.intn(math.MaxInt32), nil // [0, Int32.MaxValue)
	}, nil)
	method(KRandom, "Next", ts(I), I, func(a []any) (any, error) {
		hi := toInt(a[1])
		if hi <= 0 {
			return 0, nil
		}
		x, _ := a[0].(*randomT)
		return x.intn(hi), nil
	}, nil)
	// string.GetHashCode: FNV-1a over the UTF-16 text, stable (.NET's is
	// randomized per process, so no policy can rely on its value).
	method(KString, "GetHashCode", ts(), I, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, errNull
		}
		h := uint32(2166136261)
		for _, u := range utf16.Encode([]rune(s)) {
			h = (h ^ uint32(u)) * 16777619
		}
		return int(int32(h)), nil
	}, nil)
	static("Uri", "new", ts(S), tUri, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("uriString")
		}
		u, perr := url.Parse(s)
		if perr != nil || u.Scheme == "" || u.Host == "" {
			return nil, exc("UriFormatException", "Invalid URI: The format of the URI could not be determined.")
		}
		return u, nil
	}, nil)
	static("Uri", "new", ts(tUri, S), tUri, func(a []any) (any, error) {
		base, ok := a[0].(*url.URL)
		if !ok {
			return nil, argNull("baseUri")
		}
		rel, _ := a[1].(string)
		r, err := url.Parse(rel)
		if err != nil {
			return nil, exc("UriFormatException", "Invalid URI: The format of the URI could not be determined.")
		}
		return base.ResolveReference(r), nil
	}, nil)
	prop(KUri, "Port", I, func(a []any) (any, error) {
		u, err := absURI(a[0]) // uri_more.go: a relative Uri has none
		if err != nil {
			return nil, err
		}
		if p := u.Port(); p != "" {
			n, _ := strconv.Atoi(p)
			return n, nil
		}
		switch u.Scheme { // the scheme's default port, as .NET's Uri gives it
		case "http", "ws":
			return 80, nil
		case "https", "wss":
			return 443, nil
		}
		return -1, nil
	}, nil)
	for _, p := range []string{"Host", "AbsolutePath", "Query", "Scheme", "AbsoluteUri", "PathAndQuery"} {
		p := p
		prop(KUri, p, S, func(a []any) (any, error) {
			u, err := absURI(a[0]) // uri_more.go: a relative Uri has none
			if err != nil {
				return nil, err
			}
			switch p {
			case "Host":
				return u.Hostname(), nil
			case "AbsolutePath":
				if u.EscapedPath() == "" {
					return "/", nil
				}
				return u.EscapedPath(), nil
			case "Query":
				if u.RawQuery == "" {
					return "", nil
				}
				return "?" + u.RawQuery, nil
			case "Scheme":
				return u.Scheme, nil
			case "PathAndQuery":
				q := ""
				if u.RawQuery != "" {
					q = "?" + u.RawQuery
				}
				return u.EscapedPath() + q, nil
			}
			return u.String(), nil
		}, nil)
	}
	registerJSONMore() // after the JSON statics it builds on
	registerMoreDotNet()
	registerSnippetGaps()
	registerEnums()    // before registerArrays, which copies double's statics to float's
	registerX509More() // after registerEnums, whose enum types it uses
	registerArrays()   // after the double and BitConverter statics it copies and extends
	registerHashes()   // after the hashing statics it extends
	registerJSONTypes()
	registerNumberStyles() // last: it copies double's statics to decimal's and replaces the numeric Parse overloads
	registerDateExact()
	registerAllowedMore()  // allowed_more.go
	registerListMore()     // linq_more.go
	registerJSONValues()   // json_values.go
	registerConvertMore()  // convert_more.go
	registerAllowedSmall() // allowed_small.go: after the Encoding methods it calls
	registerStringNorm()   // strnorm.go
	registerEnumParse()    // last: Enum.Parse and TryParse for every enum type made above
}

// dateLayouts are the texts DateTime.Parse and DateTimeOffset.Parse read
// here; zoned says whether the layout reads an offset or a zone.
var dateLayouts = []struct {
	layout string
	zoned  bool
	parts  string // the format whose parts the text gives (dateDefaults fills the others)
}{{time.RFC3339Nano, true, ""}, {"2006-01-02T15:04:05", false, ""}, {"2006-01-02 15:04:05", false, ""}, {"2006-01-02", false, ""},
	{time.RFC1123, true, ""}, {"1/2/2006 3:04:05 PM", false, ""}, {"1/2/2006", false, ""},
	// en-US's forms with a 24-hour clock, AM/PM written close, or an
	// offset (DateTimeOffset.Parse's examples; datetime_exact.go)
	{"1/2/2006 15:04:05", false, ""}, {"1/2/2006 3:04:05PM", false, ""}, {"1/2/2006 3:04 PM", false, ""}, {"1/2/2006 15:04", false, ""},
	{"1/2/2006 3:04:05 PM -07:00", true, ""}, {"1/2/2006 3:04:05PM -07:00", true, ""}, {"1/2/2006 15:04:05 -07:00", true, ""}, {"1/2/2006 -07:00", true, ""},
	// ISO 8601's date with a time without seconds, and "Parse date and
	// time strings"' "2008-05-01 7:34:42Z"
	{"2006-01-02 15:04", false, ""}, {"2006-01-02T15:04", false, ""}, {"2006-01-02 15:04:05Z07:00", true, ""},
	// the current culture's (en-US's) long date, full date and time,
	// month-day and year-month patterns (standard formats D, f, F, M, Y),
	// and the "Jan 1, 2002" of .NET's parsing page
	{"Monday, January 2, 2006", false, ""}, {"Monday, January 2, 2006 3:04 PM", false, ""}, {"Monday, January 2, 2006 3:04:05 PM", false, ""},
	{"January 2, 2006", false, ""}, {"Jan 2, 2006", false, ""}, {"January 2", false, "M"}, {"January 2006", false, "Y"},
	// a time alone (the short and long time patterns, t and T, and
	// 24-hour clocks): today's, as the parsing page says
	{"3:04 PM", false, "t"}, {"3:04:05 PM", false, "t"}, {"15:04", false, "t"}, {"15:04:05", false, "t"},
	// DateTime.Parse's examples: "8/2018" (a month and a year), "8/18" (a
	// month and a day), "7 PM" (an hour and AM/PM)
	{"1/2006", false, "Y"}, {"1/2", false, "M"}, {"3 PM", false, "t"}}

// init adds to dateLayouts forms .NET's parser reads beyond its patterns
// that Microsoft's examples give (Convert.ToDateTime(String)'s "Tue Apr 28,
// 2009" and "06 July 2008 7:32:47 AM"): a day before the month's name, an
// abbreviated day name before the month, and the year first with slashes
// (2026/12/04), each alone or followed by a time.
func init() {
	dates := []string{"2 January 2006", "2 Jan 2006", "Mon Jan 2, 2006", "Mon, Jan 2, 2006", "Mon January 2, 2006",
		"Mon, January 2, 2006", "Monday Jan 2, 2006", "Monday, Jan 2, 2006", "Monday January 2, 2006", "2006/1/2"}
	times := []string{"", " 3:04:05 PM", " 3:04 PM", " 15:04:05", " 15:04"}
	for _, d := range dates {
		for _, t := range times {
			dateLayouts = append(dateLayouts, struct {
				layout string
				zoned  bool
				parts  string
			}{d + t, false, ""})
		}
	}
}

// parseNetDate reads s with dateLayouts: the time (in the zone the text
// gave when zone is true, UTC's clock otherwise), with the date's parts
// the text leaves out filled as .NET's parsing does (dateDefaults).
func parseNetDate(s string) (t time.Time, zone, ok bool) {
	s = padOffsetHour(strings.TrimSpace(s))
	for _, l := range dateLayouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			if !weekdayMatches(l.layout, s, t) {
				return time.Time{}, false, false
			}
			if l.parts != "" {
				if t, err = dateDefaults(t, l.parts, s, 0); err != nil {
					return time.Time{}, false, false
				}
			}
			return t, l.zoned, true
		}
	}
	return time.Time{}, false, false
}

// parseDate is DateTime.Parse: a text with no zone is Kind Unspecified; one
// with an offset or "Z" is converted to local time, Kind Local (the local
// zone being UTC, "2020-01-01T10:00:00+02:00" is 08:00 Local).
func parseDate(s string) (any, error) {
	t, zone, ok := parseNetDate(s)
	if !ok {
		return nil, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
	}
	if zone {
		return inNetRange(t.In(locLocal))
	}
	return t.In(locUnspecified), nil
}

// fromBase64NET is Convert.FromBase64String(s).
func fromBase64NET(s string) ([]byte, error) {
	// .NET ignores white space anywhere in s ("the length of s, ignoring
	// white-space characters", "a non-white space-character among the
	// padding characters"): tab, line feed, carriage return and space.
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, exc("FormatException", "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.")
	}
	return b, nil
}
