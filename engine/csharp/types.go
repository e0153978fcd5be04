package csharp

import (
	"reflect"
	"strings"
	"sync"
	"time"
)

// Kind is a static type's family.
type Kind int

const (
	KObject Kind = iota // object, dynamic: known at run time only
	KString
	KChar
	KInt // int and long (64-bit at run time)
	KDouble
	KBool
	KNull
	KVoid
	KGo      // a member of the context model (a reflect type)
	KJToken  // Newtonsoft JToken (JValue included)
	KJObject // Newtonsoft JObject
	KJArray  // Newtonsoft JArray
	KArray   // T[], List<T>, IEnumerable<T>: Elem
	KBytes   // byte[]
	KDateTime
	KTimeSpan
	KGuid
	KStatic    // a type used as a value's qualifier: string.Join, Math.Max
	KNamespace // System, System.Text
	KComparison
	KEncoding
	KUri
	KRegexMatch
	KHash // HMACSHA256, SHA256, MD5 instances
	KRandom
	KAnon       // anonymous object (new { a = 1 }): a map at run time
	KDict       // Dictionary<string, object>
	KJProperty  // Newtonsoft JProperty
	KForm       // Body.AsFormUrlEncodedContent(): IDictionary<string, IList<string>>
	KFormList   // one form field's values: IList<string>
	KKeyValue   // KeyValuePair<string, Elem>: an entry of a model map in foreach
	KBuilder    // StringBuilder: a string at run time, Append re-assigns the local
	KXDoc       // XDocument (xml.go)
	KXElem      // XElement
	KXAttr      // XAttribute
	KDayOfWeek  // System.DayOfWeek (dayOfWeek at run time)
	KIPAddress  // System.Net.IPAddress (netip.Addr at run time)
	KXNamespace // System.Xml.Linq.XNamespace (its URI, a string, at run time)
	KGrouping   // IGrouping<Key, Elem> from GroupBy (*grouping at run time)
	KXNode      // XText, XCData, XComment (*XNode at run time)
	KX509       // X509Certificate2 made in an expression (*X509Cert, x509.go)
	KRSA        // System.Security.Cryptography.RSA (*RSAKey)
	KXObject    // System.Xml.Linq's XObject, XNode, XContainer, ... (xml_linq.go)
	KXNodeBase
	KXContainer
	KXPI
	KXDocType
	KXDecl
	KXComparer
	KStrCmp   // System.StringComparer (strComparer, comparer.go)
	KDefCmp   // Comparer<T>.Default of a T other than string (defComparer, comparer.go)
	KDefEqCmp // EqualityComparer<T>.Default of a T other than string (defComparer)
	// System.Text.RegularExpressions (regex.go): KRegexMatch is Match
	KRegexGroup
	KRegexCapture
	KGroupColl
	KRegex // a Regex instance (*regexObj)
	// System.Security.Cryptography (symmetric.go)
	KSym // SymmetricAlgorithm (*symAlg)
	// System.TimeZoneInfo and System.TimeZone (timezone.go)
	KTimeZone       // TimeZoneInfo (*tzInfo)
	KTimeZoneLegacy // TimeZone.CurrentTimeZone (*tzInfo)
	// System.Collections.Generic and System (queues.go)
	KEnumerator // IEnumerator<Elem> (*enumerator)
	KTuple      // Tuple<FieldTs...> (*netTuple)
	KEnum       // MidpointRounding, UriPartial...: one type per Name (enumVal, enums.go)
	KRNG        // RNGCryptoServiceProvider, RandomNumberGenerator (*rngObj, rng.go)
	KStrWriter  // System.IO.StringWriter (*strWriter, strio.go)
	KStrReader  // System.IO.StringReader (*strReader)
	KHMAC       // HMAC, KeyedHashAlgorithm, HMACSHA256...: a keyed KHash (*hasher, hashes.go)
	KOid        // System.Security.Cryptography.Oid (*netOid, x509more.go)
	// System.DateTimeOffset (dateTimeOffset, datetimeoffset.go)
	KDateTimeOffset
	KProvider // IFormatProvider: CultureInfo.InvariantCulture... (numstyles.go)
	KDecimal  // System.Decimal (Decimal, decimal.go)
)

// Type is a static type.
type Type struct {
	K    Kind
	Name string       // C# name, for messages
	Go   reflect.Type // KGo
	Elem *Type        // KArray, KGrouping
	Key  *Type        // KGrouping: the key's type
	// Nullable marks int?, bool?...: a value type that may be null.
	Nullable bool
	// SetCmp is the StringComparer (its property's name) a HashSet<string>
	// was made with: its Contains and Add compare with it.
	SetCmp string
	// IK is the integral type of a KInt (int, long, byte...): each is a Go
	// int at run time, but for ulong (a uint64), held in its range.
	IK intKind
	// Fields and FieldTs are an anonymous type's properties (new { a = 1 }).
	Fields  []string
	FieldTs []*Type
}

// intKind is one of C#'s integral types.
type intKind uint8

const (
	ikNone intKind = iota
	ikSByte
	ikByte
	ikShort
	ikUShort
	ikInt
	ikUInt
	ikLong
	ikULong
)

// intKinds are the integral types by intKind: the static type, its width
// and sign, and its .NET name (for OverflowException messages). ikNone
// reads as int.
var intKinds = [...]struct {
	t      *Type
	bits   uint
	signed bool
	net    string
}{
	ikNone:   {tInt, 32, true, "Int32"},
	ikSByte:  {tSByte, 8, true, "SByte"},
	ikByte:   {tByte, 8, false, "Byte"},
	ikShort:  {tShort, 16, true, "Int16"},
	ikUShort: {tUShort, 16, false, "UInt16"},
	ikInt:    {tInt, 32, true, "Int32"},
	ikUInt:   {tUInt, 32, false, "UInt32"},
	ikLong:   {tLong, 64, true, "Int64"},
	ikULong:  {tULong, 64, false, "UInt64"},
}

// intTypes are the integral types by the names a policy writes them with:
// C#'s keyword and the .NET name.
var intTypes = map[string]*Type{"int": tInt, "Int32": tInt, "long": tLong, "Int64": tLong, "short": tShort, "Int16": tShort,
	"ushort": tUShort, "UInt16": tUShort, "uint": tUInt, "UInt32": tUInt, "ulong": tULong, "UInt64": tULong,
	"sbyte": tSByte, "SByte": tSByte, "byte": tByte, "Byte": tByte}

// bits gives the integral type's width and sign.
func (k intKind) bits() (bits uint, signed bool) {
	return intKinds[k].bits, intKinds[k].signed
}

// wrap narrows v to the integral type as C#'s unchecked conversion does
// (its low bits), for every type but ulong.
func (k intKind) wrap(v int) int {
	switch k {
	case ikInt:
		return int(int32(v))
	case ikLong, ikULong:
		return v
	case ikUInt:
		return int(uint32(v))
	case ikShort:
		return int(int16(v))
	case ikUShort:
		return int(uint16(v))
	case ikSByte:
		return int(int8(v))
	case ikByte:
		return int(uint8(v))
	}
	return v
}

// narrow is r in the integral type (but ulong): unchecked, its low bits;
// checked, an OverflowException where they are not r.
func (k intKind) narrow(r int, chk bool) (int, error) {
	w := k.wrap(r)
	if chk && w != r {
		return 0, errOverflow
	}
	return w, nil
}

// fits reports whether v is in the type's range (ulong: v >= 0).
func (k intKind) fits(v int) bool {
	if k == ikULong {
		return v >= 0
	}
	return k.wrap(v) == v
}

// netName is the type's .NET name, for OverflowException messages.
func (k intKind) netName() string {
	return intKinds[k].net
}

// ik is t's integral kind (ikInt for an int, ikNone for a non-integer).
func (t *Type) ik() intKind {
	if t == nil || t.K != KInt {
		return ikNone
	}
	if t.IK == ikNone {
		return ikInt
	}
	return t.IK
}

// nullableOf is t? for value types (t itself for reference types).
func nullableOf(t *Type) *Type {
	if t.isRef() {
		return t
	}
	n := *t
	n.Name += "?"
	n.Nullable = true
	return &n
}

func (t *Type) String() string { return t.Name }

var (
	tObject    = &Type{K: KObject, Name: "object"}
	tString    = &Type{K: KString, Name: "string"}
	tChar      = &Type{K: KChar, Name: "char"}
	tInt       = &Type{K: KInt, Name: "int", IK: ikInt}
	tLong      = &Type{K: KInt, Name: "long", IK: ikLong}
	tUInt      = &Type{K: KInt, Name: "uint", IK: ikUInt}
	tULong     = &Type{K: KInt, Name: "ulong", IK: ikULong}
	tShort     = &Type{K: KInt, Name: "short", IK: ikShort}
	tUShort    = &Type{K: KInt, Name: "ushort", IK: ikUShort}
	tSByte     = &Type{K: KInt, Name: "sbyte", IK: ikSByte}
	tByte      = &Type{K: KInt, Name: "byte", IK: ikByte}
	tDouble    = &Type{K: KDouble, Name: "double"}
	tBool      = &Type{K: KBool, Name: "bool"}
	tNull      = &Type{K: KNull, Name: "<null>"}
	tVoid      = &Type{K: KVoid, Name: "void"}
	tJToken    = &Type{K: KJToken, Name: "JToken"}
	tJObject   = &Type{K: KJObject, Name: "JObject"}
	tJArray    = &Type{K: KJArray, Name: "JArray"}
	tBytes     = &Type{K: KBytes, Name: "byte[]"}
	tDateTime  = &Type{K: KDateTime, Name: "DateTime"}
	tDTO       = &Type{K: KDateTimeOffset, Name: "DateTimeOffset"}
	tTimeSpan  = &Type{K: KTimeSpan, Name: "TimeSpan"}
	tGuid      = &Type{K: KGuid, Name: "Guid"}
	tCompare   = &Type{K: KComparison, Name: "StringComparison"}
	tEncoding  = &Type{K: KEncoding, Name: "Encoding"}
	tUri       = &Type{K: KUri, Name: "Uri"}
	tMatch     = &Type{K: KRegexMatch, Name: "Match"}
	tHash      = &Type{K: KHash, Name: "HashAlgorithm"}
	tRandom    = &Type{K: KRandom, Name: "Random"}
	tAnon      = &Type{K: KAnon, Name: "anonymous type"}
	tDict      = &Type{K: KDict, Name: "Dictionary<string, object>"}
	tJProp     = &Type{K: KJProperty, Name: "JProperty"}
	tXDoc      = &Type{K: KXDoc, Name: "XDocument"}
	tXElem     = &Type{K: KXElem, Name: "XElement"}
	tXAttr     = &Type{K: KXAttr, Name: "XAttribute"}
	tXText     = &Type{K: KXNode, Name: "XText"}
	tXCData    = &Type{K: KXNode, Name: "XCData"}
	tXComment  = &Type{K: KXNode, Name: "XComment"}
	tForm      = &Type{K: KForm, Name: "IDictionary<string, IList<string>>"}
	tFormList  = &Type{K: KFormList, Name: "IList<string>"}
	tBuilder   = &Type{K: KBuilder, Name: "StringBuilder"}
	tDayOfWeek = &Type{K: KDayOfWeek, Name: "DayOfWeek"}
	tIPAddress = &Type{K: KIPAddress, Name: "IPAddress"}
	tXNS       = &Type{K: KXNamespace, Name: "XNamespace"}
	tStrings   = arrayOf(tString)
	tObjects   = arrayOf(tObject)
)

func arrayOf(t *Type) *Type { return &Type{K: KArray, Name: t.Name + "[]", Elem: t} }

func staticType(name string) *Type { return &Type{K: KStatic, Name: name} }

// isRef reports whether null converts to t.
func (t *Type) isRef() bool {
	if t.Nullable {
		return true
	}
	switch t.K {
	case KInt, KDouble, KBool, KChar, KDateTime, KDateTimeOffset, KTimeSpan, KGuid, KComparison, KDayOfWeek, KEnum, KDecimal:
		return false
	}
	return true
}

func (t *Type) numeric() bool { return t.K == KInt || t.K == KDouble || t.K == KDecimal }

// assignable reports whether a value of type from may be used where to is expected.
func assignable(from, to *Type) bool {
	switch {
	case to.K == KObject, from == to:
		return true
	case from.K == KNull:
		return to.isRef()
	case to == tJValue && (from.K == KJToken || from.K == KJObject || from.K == KJArray):
		// a JToken is a JValue only by an explicit cast (CS0266), a
		// JObject or JArray never (CS0029)
		return false
	case from.K == KObject:
		return false
	case to.K == KInt && from.K == KInt:
		return (to.Nullable || !from.Nullable) && intImplicit(from.ik(), to.ik())
	case to.K == KAnon && from.K == KAnon && (to.Fields != nil || from.Fields != nil):
		return sameAnon(from, to)
	case to.K == KDict && from.K == KDict && to.Elem != nil && from.Elem != nil: // Dictionary<string, V>: no variance
		return to.Nullable || !from.Nullable && dictElem(to).Name == dictElem(from).Name
	case to.K == KTuple && from.K == KTuple, to.K == KKeyValue && from.K == KKeyValue, to.K == KEnum && from.K == KEnum:
		return to.Name == from.Name
	case to.K == KHash && from.K == KHMAC: // an HMAC is a HashAlgorithm
		return true
	case to.K == KEnumerator && from.K == KEnumerator:
		return to.Elem.K == KObject || assignable(from.Elem, to.Elem) && isRefType(from.Elem) == isRefType(to.Elem)
	case to.K == from.K && to.K != KGo && to.K != KArray:
		return to.Nullable || !from.Nullable
	case to.K == KDouble && from.K == KInt:
		return true
	case to.K == KDecimal && (from.K == KInt || from.K == KChar): // every integral type (and char) converts to decimal implicitly
		return to.Nullable || !from.Nullable
	case to.K == KDateTimeOffset && from.K == KDateTime: // DateTime's implicit conversion
		return to.Nullable || !from.Nullable
	case to.K == KBuilder && from.K == KString: // sb = sb + x, written by the binder
		return true
	case to.K == KXNamespace && from.K == KString: // XNamespace ns = "uri"
		return true
	case xmlUpcast(from, to): // XElement to XNode...
		return true
	case to.K == KJToken && (from.K == KJObject || from.K == KJArray):
		return true
	case to.K == KRegexGroup && from.K == KRegexMatch, to.K == KRegexCapture && (from.K == KRegexMatch || from.K == KRegexGroup):
		return true // a Match is a Group, a Group a Capture
	case to.K == KArray && from.K == KArray:
		if yes, ok := queueAssignable(from, to); ok {
			return yes
		}
		return to.Elem.K == KObject || assignable(from.Elem, to.Elem)
	case to.K == KArray && from.K == KGrouping: // a group is a sequence of its items
		return to.Elem.K == KObject || assignable(from.Elem, to.Elem)
	case to.K == KArray && from.K == KJArray:
		return to.Elem.K == KObject || to.Elem.K == KJToken
	case to.K == KGo && from.K == KGo:
		return from.Go == to.Go
	}
	return false
}

// sameAnon reports whether two anonymous types are one, as C# makes them:
// the same property names, in order, of the same types.
func sameAnon(a, b *Type) bool {
	if len(a.Fields) != len(b.Fields) {
		return false
	}
	for i, f := range a.Fields {
		if b.Fields[i] != f || !(a.FieldTs[i] == b.FieldTs[i] || assignable(a.FieldTs[i], b.FieldTs[i]) && assignable(b.FieldTs[i], a.FieldTs[i])) {
			return false
		}
	}
	return true
}

// goType maps a context model reflect type to a static type.
func (m *Model) goType(rt reflect.Type) *Type {
	if t, ok := m.byGo[rt]; ok {
		return t
	}
	switch rt {
	case reflect.TypeOf(time.Time{}):
		return tDateTime
	case reflect.TypeOf(time.Duration(0)):
		return tTimeSpan
	case reflect.TypeOf((*JObject)(nil)):
		return tJObject // context.GraphQL's Parent and Arguments
	}
	if rt.Kind() == reflect.Pointer && isValueElem(rt.Elem()) {
		return nullableOf(m.goType(rt.Elem())) // *int, *time.Time...: T?, read through derefValue
	}
	switch rt.Kind() {
	case reflect.String:
		return tString
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return tInt
	case reflect.Float64, reflect.Float32:
		return tDouble
	case reflect.Bool:
		return tBool
	case reflect.Interface:
		return tObject
	case reflect.Slice:
		if rt.Elem().Kind() == reflect.Uint8 {
			return tBytes
		}
		return arrayOf(m.goType(rt.Elem()))
	}
	name := rt.String()
	if rt.Kind() == reflect.Pointer {
		name = rt.Elem().Name()
	} else if rt.Name() != "" {
		name = rt.Name()
	}
	t := &Type{K: KGo, Name: name, Go: rt}
	m.byGo[rt] = t
	return t
}

// typeName gives a .NET-looking name for messages.
func typeName(t *Type) string {
	if t == nil {
		return "?"
	}
	return t.Name
}

// lookupTypeRef resolves a written type.
func (m *Model) lookupTypeRef(tr *TypeRef) (*Type, bool) {
	name := shortTypeName(tr.Name)
	var t *Type
	switch name {
	case "HMACSHA256", "HMACSHA1", "HMACSHA384", "HMACSHA512", "HMACMD5", "HMAC", "KeyedHashAlgorithm":
		t = tHMAC
	case "SHA256", "SHA1", "SHA384", "SHA512", "MD5", "HashAlgorithm", "SHA1Managed", "SHA256Managed", "SHA384Managed", "SHA512Managed",
		"SHA1CryptoServiceProvider", "MD5CryptoServiceProvider":
		t = tHash
	case "Random":
		t = tRandom
	case "SymmetricAlgorithm":
		t = tSym
	case "TimeZoneInfo":
		t = tTimeZone
	case "TimeZone":
		t = tTimeZoneLegacy
	case "StringWriter", "TextWriter":
		t = tStrWriter
	case "StringReader", "TextReader":
		t = tStrReader
	case "RNGCryptoServiceProvider", "RandomNumberGenerator":
		t = tRNG
	case "Oid":
		t = tOid
	case "MidpointRounding", "UriPartial", "UriKind", "X509NameType", "RSAEncryptionPadding", "CipherMode", "PaddingMode", "DateTimeKind", "X509ContentType", "NormalizationForm":
		t = enumDefs[name].t
	case "StringComparer", "IEqualityComparer", "IComparer":
		t = tStrCmp // IEqualityComparer<string>, IComparer<string>: the comparers policies have
	case "string", "String":
		t = tString
	case "double", "Double", "float", "Single":
		t = tDouble
	case "decimal", "Decimal":
		t = tDecimal
	case "NumberStyles", "DateTimeStyles":
		t = tInt // flags enums: ints here (numstyles.go, datetime_parse.go)
	case "IFormatProvider", "CultureInfo", "NumberFormatInfo", "DateTimeFormatInfo":
		t = tProvider
	case "bool", "Boolean":
		t = tBool
	case "char", "Char":
		t = tChar
	case "object", "Object", "dynamic", "var":
		t = tObject
	case "JToken":
		t = tJToken
	case "JValue":
		t = tJValue
	case "JRaw":
		t = tJRaw
	case "JObject":
		t = tJObject
	case "JProperty":
		t = tJProp
	case "JArray":
		t = tJArray
	case "DateTime":
		t = tDateTime
	case "DateTimeOffset":
		t = tDTO
	case "TimeSpan":
		t = tTimeSpan
	case "Guid":
		t = tGuid
	case "DayOfWeek":
		t = tDayOfWeek
	case "IPAddress", "Net.IPAddress":
		t = tIPAddress
	case "Uri":
		t = tUri
	case "Match", "Group", "Capture", "MatchCollection", "GroupCollection", "CaptureCollection", "Regex":
		t = regexTypeName[name]
	case "StringBuilder", "Text.StringBuilder":
		t = tBuilder
	case "KeyValuePair", "Tuple", "IEnumerator":
		var args []*Type
		for _, a := range tr.Args {
			at, ok := m.lookupTypeRef(a)
			if !ok {
				return nil, false
			}
			args = append(args, at)
		}
		var ok bool
		if t, ok = genericType(name, args); !ok {
			return nil, false
		}
	case "IEnumerable", "List", "IList", "ICollection", "IReadOnlyList", "IReadOnlyCollection", "HashSet", "ISet", "IReadOnlySet", "Queue", "Stack":
		elem := tObject
		if len(tr.Args) == 1 {
			e, ok := m.lookupTypeRef(tr.Args[0])
			if !ok {
				return nil, false
			}
			elem = e
		}
		t = arrayOf(elem)
		t.Name = name + "<" + elem.Name + ">"
	case "Dictionary", "IDictionary", "IReadOnlyDictionary":
		t = tDict
		if len(tr.Args) == 2 { // Dictionary<string, int>: its values typed
			v, ok := m.lookupTypeRef(tr.Args[1])
			if !ok {
				return nil, false
			}
			t = dictOf(v)
		}
	case "XDocument", "Xml.Linq.XDocument":
		t = tXDoc
	case "XElement", "Xml.Linq.XElement":
		t = tXElem
	case "XNamespace", "Xml.Linq.XNamespace":
		t = tXNS
	case "XName", "Xml.Linq.XName":
		t = tString // an XName is "{uri}local" text here
	case "XAttribute", "Xml.Linq.XAttribute":
		t = tXAttr
	case "X509Certificate2", "X509Certificate":
		t = tX509
	case "RSA", "RSACng", "RSACryptoServiceProvider", "RSAOpenSsl", "AsymmetricAlgorithm":
		// APIM runs on Windows, where GetRSAPrivateKey() is an RSACng: "as RSACng" keeps the key
		t = tRSA
	case "XText", "Xml.Linq.XText":
		t = tXText
	case "XCData", "Xml.Linq.XCData":
		t = tXCData
	case "XComment", "Xml.Linq.XComment":
		t = tXComment
	case "XObject", "XNode", "XContainer", "XProcessingInstruction", "XDocumentType", "XDeclaration", "XNodeEqualityComparer",
		"XNodeDocumentOrderComparer", "XmlNodeType", "SaveOptions", "LoadOptions", "Xml.XmlNodeType":
		t = xmlTypes[name]
	case "Xml.Linq.XObject", "Xml.Linq.XNode", "Xml.Linq.XContainer", "Xml.Linq.XProcessingInstruction", "Xml.Linq.XDocumentType", "Xml.Linq.XDeclaration":
		t = xmlTypes[strings.TrimPrefix(name, "Xml.Linq.")]
	default:
		if it, ok := intTypes[name]; ok {
			t = it
			break
		}
		gt, ok := m.Types[name]
		if !ok {
			return nil, false
		}
		t = m.goType(gt)
	}
	if tr.Null {
		t = nullableOf(t)
	}
	for i := 0; i < tr.Array; i++ {
		if t == tByte {
			t = tBytes
			continue
		}
		t = arrayOf(t)
	}
	return t, true
}

// knownTypeNames are the type names a did-you-mean hint may offer.
var knownTypeNames = []string{"string", "int", "long", "bool", "double", "object", "char", "JObject", "JArray", "JToken",
	"DateTime", "DateTimeOffset", "TimeSpan", "DayOfWeek", "IPAddress", "Guid", "Uri", "IEnumerable", "List", "Dictionary", "Math", "Convert", "Encoding",
	"JsonConvert", "Regex", "WebUtility", "String", "Int32", "Int64", "Boolean", "Random", "HMACSHA256", "SHA256", "MD5", "X509Certificate2", "RSA",
	"Match", "Group", "Capture", "MatchCollection", "GroupCollection", "CaptureCollection"}

// isValueElem reports whether a pointer to rt is a nullable value type in
// C# (DateTime?, int?...) rather than a model object.
func isValueElem(rt reflect.Type) bool {
	if rt == reflect.TypeOf(time.Time{}) || rt == reflect.TypeOf(time.Duration(0)) {
		return true
	}
	switch rt.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8, reflect.Uint8, reflect.Uint16, reflect.Uint32,
		reflect.Float64, reflect.Float32, reflect.Bool:
		return true
	}
	return false
}

// shortTypeName drops the namespaces of a type name written in full
// (System.Security.Cryptography.HMACSHA256, System.Random): the names it
// leaves are unique among the types expressions may use.
func shortTypeName(name string) string {
	for _, ns := range []string{"System.", "Security.Cryptography.", "X509Certificates.", "Collections.Generic.", "Newtonsoft.Json.Linq.",
		"Newtonsoft.Json.", "Text.RegularExpressions.", "Text.", "Net.", "Linq.", "Globalization.", "IO."} {
		name = strings.TrimPrefix(name, ns)
	}
	return name
}

// dictTypes are the Dictionary<string, V> types, one per V: a dictionary
// whose indexer, TryGetValue and Values give a V (Dictionary<string,
// object>, tDict, gives objects).
var dictTypes sync.Map // V's name -> *Type

func dictOf(v *Type) *Type {
	if v.K == KObject {
		return tDict
	}
	if t, ok := dictTypes.Load(v.Name); ok {
		return t.(*Type)
	}
	t, _ := dictTypes.LoadOrStore(v.Name, &Type{K: KDict, Name: "Dictionary<string, " + v.Name + ">", Elem: v})
	return t.(*Type)
}

// dictElem is the type of a dictionary's values.
func dictElem(t *Type) *Type {
	if t.Elem != nil {
		return t.Elem
	}
	return tObject
}
