package csharp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Run-time errors carry .NET's exception messages: they become
// context.LastError.Message.
var (
	errNull   = errors.New("Object reference not set to an instance of an object.")
	errDivide = errors.New("Attempted to divide by zero.")
)

// Exception is a .NET exception raised at run time (throw, or a failing
// member); Type is its .NET name for catch clauses.
type Exception struct {
	Type string
	Msg  string
}

func (e *Exception) Error() string { return e.Msg }

func exc(typ, format string, args ...any) error {
	return &Exception{Type: typ, Msg: fmt.Sprintf(format, args...)}
}

// netName is the .NET type name of a run-time value, for cast messages.
func netName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "System.String"
	case int:
		return "System.Int64"
	case int64:
		return "System.Int64"
	case JBigInt:
		return "System.Numerics.BigInteger"
	case float64:
		return "System.Double"
	case Decimal:
		return "System.Decimal"
	case bool:
		return "System.Boolean"
	case *JObject:
		return "Newtonsoft.Json.Linq.JObject"
	case *JArray:
		return "Newtonsoft.Json.Linq.JArray"
	case JNull:
		return "Newtonsoft.Json.Linq.JValue"
	case time.Time:
		return "System.DateTime"
	case dateTimeOffset:
		return "System.DateTimeOffset"
	case time.Duration:
		return "System.TimeSpan"
	case []byte:
		return "System.Byte[]"
	case []any:
		return "System.Object[]"
	case []string:
		return "System.String[]"
	case *Match, *Group, *Capture, *GroupCollection:
		t := reflect.TypeOf(v).Elem()
		return "System.Text.RegularExpressions." + t.Name()
	case *symAlg:
		return "System.Security.Cryptography." + x.fam.class
	case *tzInfo:
		if x.legacy {
			return "System.CurrentSystemTimeZone"
		}
		return "System.TimeZoneInfo"
	case *netTuple:
		return "System.Tuple`" + strconv.Itoa(len(x.items))
	case *enumerator:
		return "System.Collections.Generic.IEnumerator`1"
	case enumVal:
		return x.def.full
	case *hasher:
		return "System.Security.Cryptography." + x.className()
	case *netOid:
		return "System.Security.Cryptography.Oid"
	case *strWriter:
		return "System.IO.StringWriter"
	case *strReader:
		return "System.IO.StringReader"
	}
	return modelNetName(reflect.TypeOf(v))
}

// modelNetName is the .NET type name of a value of the context model (or
// of what else has no case in netName), as object.ToString() and cast
// messages give it. APIM documents the context's members by interface
// (IRequest, IUrl, IReadOnlyDictionary<string, string[]>...), not the
// classes behind them, so these names are tollgate's choice: a map is
// .NET's Dictionary of its key and value types
// (System.Collections.Generic.Dictionary`2[System.String,System.String[]]),
// a slice an array of its items' type, anything else Tollgate.Context.
// and its own name (Tollgate.Context.Request). Never a Go name.
func modelNetName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return modelNetName(t.Elem())
	case reflect.Map:
		return "System.Collections.Generic.Dictionary`2[" + modelNetName(t.Key()) + "," + modelNetName(t.Elem()) + "]"
	case reflect.Slice, reflect.Array:
		return modelNetName(t.Elem()) + "[]"
	case reflect.String:
		return "System.String"
	case reflect.Bool:
		return "System.Boolean"
	case reflect.Int, reflect.Int64:
		return "System.Int64"
	case reflect.Int32:
		return "System.Int32"
	case reflect.Float64, reflect.Float32:
		return "System.Double"
	case reflect.Interface:
		return "System.Object"
	case reflect.Func:
		return "System.Delegate"
	}
	switch t {
	case reflect.TypeOf(time.Time{}):
		return "System.DateTime"
	case reflect.TypeOf(time.Duration(0)):
		return "System.TimeSpan"
	}
	if t.Name() == "" {
		return "System.Object"
	}
	switch t.Name() {
	case "Certificate": // the request's or an uploaded certificate: .NET's own class
		return "System.Security.Cryptography.X509Certificates.X509Certificate2"
	case "DistinguishedName":
		return "System.Security.Cryptography.X509Certificates.X500DistinguishedName"
	}
	if n, ok := modelNetAlias[t.Name()]; ok {
		return "Tollgate.Context." + n
	}
	return "Tollgate.Context." + t.Name()
}

// modelNetAlias names the model types whose Go names are not the names
// of APIM's interfaces (IProxyRequestContext, BasicAuthCredentials,
// IMessageBody) without their I.
var modelNetAlias = map[string]string{"Context": "ProxyRequestContext", "BasicAuth": "BasicAuthCredentials", "Body": "MessageBody"}

func castErr(v any, to string) error {
	return exc("InvalidCastException", "Unable to cast object of type '%s' to type '%s'.", netName(v), to)
}

// toStringNET is .NET's ToString() of a non-null value.
func toStringNET(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case JBigInt:
		return x.text
	case float64:
		return formatDouble(x)
	case time.Time:
		return x.Format("1/2/2006 3:04:05 PM")
	case dateTimeOffset: // DateTimeOffset.ToString(): "G" and the offset
		return x.t.Format("1/2/2006 3:04:05 PM -07:00")
	case time.Duration:
		return formatTimeSpan(x)
	case []byte:
		return "System.Byte[]"
	case []any:
		return "System.Object[]"
	case []string:
		return "System.String[]"
	case *JProperty:
		return jsonText(x, true)
	case *Form:
		return "System.Collections.Generic.Dictionary`2[System.String,System.Collections.Generic.IList`1[System.String]]"
	case fmt.Stringer:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return ""
		}
		return x.String()
	}
	return netName(v)
}

// formatDouble is .NET's double.ToString() ("R", numfmt.go): the shortest
// digits that read back as f, in fixed-point notation unless the exponent
// is below -4 or past 16 (1E-05, 1E+17; 1234567 and 1000000000000000, not
// Go's 1.234567E+06). Go's 'E' writes the exponent as .NET does: a sign
// and at least two digits.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "∞"
	case math.IsInf(f, -1):
		return "-∞"
	}
	e := strconv.FormatFloat(f, 'E', -1, 64)
	_, exp, _ := strings.Cut(e, "E")
	if n, _ := strconv.Atoi(exp); n < -4 || n > 16 {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func formatTimeSpan(d time.Duration) string {
	if d == spanMax || d == spanMin { // TimeSpan.MaxValue and MinValue: from their ticks
		days, rest := spanDays(d)
		out := fmt.Sprintf("%d.%02d:%02d:%02d.%07d", days, rest/36_000_000_000, rest/600_000_000%60, rest/10_000_000%60, rest%10_000_000)
		if d < 0 {
			out = "-" + out
		}
		return out
	}
	neg := d < 0
	if neg {
		d = -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	frac := d % time.Second
	out := ""
	if neg {
		out = "-"
	}
	if days > 0 {
		out += fmt.Sprintf("%d.", days)
	}
	out += fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if frac > 0 {
		out += fmt.Sprintf(".%07d", frac/100)
	}
	return out
}

// catStr is a string concatenation's operand: null is "".
func catStr(v any) string {
	if s, ok := v.(string); ok { // the usual operand: no reflection
		return s
	}
	if v == nil || isNilPtr(v) { // a null model object ($"{context.Subscription}"): C#'s ""
		return ""
	}
	return toStringNET(v)
}

// callToString is x.ToString(): null is a NullReferenceException.
func callToString(v any) (string, error) {
	if v == nil || isNilPtr(v) {
		return "", errNull
	}
	switch x := v.(type) {
	case *JObject:
		if x.anon != nil {
			return x.String(), nil
		}
		return jsonTextErr(v, true)
	case *JArray:
		return jsonTextErr(v, true)
	}
	return toStringNET(v), nil
}

func isNilPtr(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// castTo converts v to a static type, as a C# cast does at run time.
func (m *Model) castTo(v any, t *Type) (any, error) {
	if v == nil && t.Nullable {
		return nil, nil // (int?)null
	}
	if r, ok, err := xmlCast(v, t); ok { // System.Xml.Linq's classes (xml_linq.go)
		return r, err
	}
	if r, ok, err := regexCast(v, t); ok { // Match, Group... (regex.go)
		return r, err
	}
	switch t.K {
	case KObject:
		return v, nil
	case KString:
		switch x := v.(type) {
		case nil, string:
			return v, nil
		case *JObject, *JArray:
			return nil, exc("ArgumentException", "Can not convert %s to String.", jtype(x))
		}
		return nil, castErr(v, "System.String")
	case KDayOfWeek:
		switch x := v.(type) {
		case dayOfWeek:
			return x, nil
		case int:
			return dayOfWeek(x), nil
		}
		if v == nil {
			return nil, errNull
		}
		return nil, castErr(v, "System.DayOfWeek")
	case KChar:
		if s, ok := v.(string); ok && utf8.RuneCountInString(s) == 1 {
			return s, nil
		}
		return nil, castErr(v, "System.Char")
	case KInt:
		switch x := v.(type) {
		case int:
			return x, nil
		case dayOfWeek:
			return int(x), nil
		case enumVal:
			return x.v, nil
		case int64:
			return int(x), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, castErr(v, "System.Int32")
			}
			return int(x), nil
		case string:
			if utf8.RuneCountInString(x) == 1 { // (int)'c'
				r, _ := utf8.DecodeRuneInString(x)
				return int(r), nil
			}
		}
		if v == nil {
			return nil, errNull
		}
		return nil, castErr(v, "System.Int32")
	case KDouble:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		}
		if v == nil {
			return nil, errNull
		}
		return nil, castErr(v, "System.Double")
	case KBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		if v == nil {
			return nil, errNull
		}
		return nil, castErr(v, "System.Boolean")
	case KDecimal: // unboxing: only a boxed decimal
		if d, ok := v.(Decimal); ok {
			return d, nil
		}
		if v == nil {
			return nil, errNull
		}
		return nil, castErr(v, "System.Decimal")
	case KJObject:
		switch v.(type) {
		case nil, *JObject:
			return v, nil
		}
		return nil, castErr(v, "Newtonsoft.Json.Linq.JObject")
	case KJArray:
		switch v.(type) {
		case nil, *JArray:
			return v, nil
		}
		return nil, castErr(v, "Newtonsoft.Json.Linq.JArray")
	case KJToken:
		if t == tJValue { // (JValue)x: any token but a container
			switch v.(type) {
			case *JObject, *JArray, *JProperty:
				return nil, castErr(v, "Newtonsoft.Json.Linq.JValue")
			}
			return v, nil
		}
		switch v.(type) {
		case nil, JNull, *JObject, *JArray, string, int, float64, bool, Decimal, JBigInt:
			if t.Name == "JRaw" && v != nil {
				break
			}
			return v, nil
		case *JRaw:
			return v, nil
		}
		if t.Name == "JRaw" {
			return nil, castErr(v, "Newtonsoft.Json.Linq.JRaw")
		}
		return nil, castErr(v, "Newtonsoft.Json.Linq.JToken")
	case KArray:
		switch x := v.(type) {
		case nil, []any:
			return v, nil
		case *JArray:
			return x.Items, nil
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Slice {
			out := make([]any, rv.Len())
			for i := range out {
				out[i] = rv.Index(i).Interface()
			}
			return out, nil
		}
		return nil, castErr(v, "System.Collections.Generic.IEnumerable`1[System.Object]")
	case KBytes:
		if _, ok := v.([]byte); ok || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.Byte[]")
	case KDateTime:
		if d, ok := v.(time.Time); ok {
			return asDateTime(d), nil // a time a Go policy stored (a cache's): its instant, Kind Utc
		}
		if v == nil && t.Nullable {
			return nil, nil
		}
		return nil, castErr(v, "System.DateTime")
	case KDateTimeOffset: // unboxing: a boxed DateTime is no DateTimeOffset
		if _, ok := v.(dateTimeOffset); ok {
			return v, nil
		}
		if v == nil && t.Nullable {
			return nil, nil
		}
		return nil, castErr(v, "System.DateTimeOffset")
	case KTimeSpan:
		if _, ok := v.(time.Duration); ok {
			return v, nil
		}
		return nil, castErr(v, "System.TimeSpan")
	case KGo:
		if v == nil || reflect.TypeOf(v) == t.Go {
			return v, nil
		}
		return nil, castErr(v, t.Name)
	case KSym:
		if _, ok := v.(*symAlg); ok || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.Security.Cryptography.SymmetricAlgorithm")
	case KTimeZone:
		if _, ok := v.(*tzInfo); ok || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.TimeZoneInfo")
	case KEnum:
		return enumCastVal(v, t)
	case KHash, KHMAC:
		if h, ok := v.(*hasher); v == nil || ok && (h.hmac || t.K == KHash) {
			return v, nil
		}
		return nil, castErr(v, "System.Security.Cryptography."+map[bool]string{true: "HMAC", false: "HashAlgorithm"}[t.K == KHMAC])
	case KStrWriter, KStrReader:
		switch v.(type) {
		case nil, *strWriter, *strReader:
			if _, w := v.(*strWriter); v == nil || w == (t.K == KStrWriter) {
				return v, nil
			}
		}
		return nil, castErr(v, "System.IO."+t.Name)
	case KOid:
		if _, ok := v.(*netOid); ok || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.Security.Cryptography.Oid")
	case KRNG:
		if _, ok := v.(*rngObj); ok || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.Security.Cryptography.RandomNumberGenerator")
	case KTuple:
		if x, ok := v.(*netTuple); ok && len(x.items) == len(t.FieldTs) || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.Tuple`"+strconv.Itoa(len(t.FieldTs)))
	case KEnumerator:
		if _, ok := v.(*enumerator); ok || v == nil {
			return v, nil
		}
		return nil, castErr(v, "System.Collections.Generic.IEnumerator`1")
	}
	return v, nil
}

// jsonStringDate is a string token read as a DateTime. Json.NET reads an
// ISO 8601 text as a Date token when it parses JSON (DateParseHandling.
// DateTime, DateTimeZoneHandling.RoundtripKind), which tollgate keeps as
// text: so such a text gives what that token would, "Z" Kind Utc, an
// offset Kind Local, no zone Unspecified; any other text is
// Convert.ToDateTime(value, CultureInfo.InvariantCulture), DateTime.Parse.
func jsonStringDate(s string) (any, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return styledDate(t, true, t.Location() == time.UTC, styleRoundtripKind)
	}
	return parseDate(s)
}

// jtokenConvert is an explicit conversion from JToken ((string)token, (int)token).
func jtokenConvert(v any, t *Type) (any, error) {
	if b, ok := v.(JBigInt); ok && t.K != KJToken && t.K != KJObject && t.K != KJArray && t.K != KObject {
		return bigConvert(b, t) // (long), (double)... of an integer past long's range
	}
	if (v == nil || isJNull(v)) && t.Nullable {
		// Json.NET's explicit operator int?(JToken), bool?, DateTime?,
		// Guid?...: null for a null token (a missing property, a ?. chain
		// that stopped) and for a JSON null (ValidateToken's nullable)
		return nil, nil
	}
	switch t.K {
	case KString:
		switch x := v.(type) {
		case nil, string:
			return v, nil
		case JNull: // explicit operator string: null for a JValue null
			return nil, nil
		case *JObject, *JArray:
			return nil, exc("ArgumentException", "Can not convert %s to String.", jtype(x))
		case time.Time: // Convert.ToString(value, CultureInfo.InvariantCulture)
			return x.Format("01/02/2006 15:04:05"), nil
		case dateTimeOffset:
			return x.t.Format("01/02/2006 15:04:05 -07:00"), nil
		case []byte: // a Bytes token: Json.NET's (string) is its base64
			return base64.StdEncoding.EncodeToString(x), nil
		}
		return toStringNET(v), nil
	case KInt:
		// Json.NET's explicit conversions call Convert.ToInt32,
		// ToInt64...: a value past the type's range is an OverflowException
		var n int
		var err error
		switch x := v.(type) {
		case int:
			n = x
		case float64:
			n, err = roundToIntNET(x, 64)
			if err != nil && t.ik() == ikULong && x >= 0 && x < 2*two63 {
				return uint64(math.RoundToEven(x)), nil
			}
		case string:
			// Convert.ToInt32(text, invariant) is int.Parse's: a text
			// that is no number is a FormatException, one past the range
			// an OverflowException
			return parseNumber(x, nsInteger, numKind(t.ik()))
		case bool:
			if x {
				n = 1
			}
		case nil: // EnsureValue(null): a C# null token
			return nil, exc("ArgumentNullException", "Value cannot be null.")
		default: // a JValue null too: "Can not convert Null to Int32." (JToken.cs)
			return nil, exc("ArgumentException", "Can not convert %s to %s.", jtype(v), t.ik().netName())
		}
		if err != nil {
			return nil, convertOverflow(t.ik())
		}
		r, err := intToKind(n, t.ik(), true)
		if err != nil {
			return nil, convertOverflow(t.ik())
		}
		return r, nil
	case KDouble:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, formatErr(x)
			}
			return f, nil
		}
		return nil, exc("ArgumentException", "Can not convert %s to Double.", jtype(v))
	case KBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			b, err := parseBoolNET(x)
			return b, err
		case int:
			return x != 0, nil
		}
		return nil, exc("ArgumentException", "Can not convert %s to Boolean.", jtype(v))
	case KDateTime:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case dateTimeOffset: // Json.NET: the offset's clock (DateTimeOffset.DateTime)
			return x.clock(), nil
		case string:
			return jsonStringDate(x)
		case nil:
			if t.Nullable {
				return nil, nil
			}
			return nil, exc("ArgumentNullException", "Value cannot be null.")
		}
		return nil, exc("ArgumentException", "Can not convert %s to DateTime.", jtype(v))
	case KDateTimeOffset:
		switch x := v.(type) {
		case dateTimeOffset:
			return x, nil
		case time.Time:
			return toDTO(x), nil
		case string:
			return parseDTO(x)
		case nil:
			if t.Nullable {
				return nil, nil
			}
			return nil, exc("ArgumentNullException", "Value cannot be null.")
		}
		return nil, exc("ArgumentException", "Can not convert %s to DateTimeOffset.", jtype(v))
	case KBytes: // Json.NET's (byte[]): a string token is base64, a Bytes token its bytes
		switch x := v.(type) {
		case nil, []byte:
			return v, nil
		case string:
			return fromBase64NET(x)
		}
		return nil, exc("ArgumentException", "Can not convert %s to byte array.", jtype(v))
	case KJObject, KJArray, KJToken, KObject:
		return (&Model{}).castTo(v, t)
	case KDecimal:
		return jtokenDecimal(v, t)
	case KGuid: // Json.NET's (Guid): a Guid, its text (new Guid(s)) or 16 bytes
		switch x := v.(type) {
		case Guid:
			return x, nil
		case string:
			u, err := uuid.Parse(strings.Trim(x, "{}()"))
			if err != nil {
				return nil, exc("FormatException", "Unrecognized Guid format.")
			}
			return Guid(u), nil
		case []byte:
			if len(x) != 16 {
				return nil, exc("ArgumentException", "Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')")
			}
			// .NET's byte order (ToByteArray's): the first three groups little-endian
			return Guid{x[3], x[2], x[1], x[0], x[5], x[4], x[7], x[6], x[8], x[9], x[10], x[11], x[12], x[13], x[14], x[15]}, nil
		case nil:
			return nil, exc("ArgumentNullException", "Value cannot be null.")
		}
		return nil, exc("ArgumentException", "Can not convert %s to Guid.", jtype(v))
	}
	return nil, exc("ArgumentException", "Can not convert %s to %s.", jtype(v), t.Name)
}

func jtype(v any) string {
	switch v.(type) {
	case *JObject:
		return "Object"
	case *JArray:
		return "Array"
	case string:
		return "String"
	case int, JBigInt:
		return "Integer"
	case float64, Decimal:
		return "Float"
	case bool:
		return "Boolean"
	case nil, JNull:
		return "Null"
	case time.Time, dateTimeOffset:
		return "Date"
	case []byte:
		return "Bytes"
	}
	return "Object"
}

// collators hold Unicode's root collation (CLDR, as ICU applies it for
// .NET's invariant culture), case-sensitive and not; a Collator is not safe
// for concurrent use, so each comparison takes one.
var collators = [2]sync.Pool{
	{New: func() any { return collate.New(language.Und) }},
	{New: func() any { return collate.New(language.Und, collate.IgnoreCase) }},
}

// cultureCompare is .NET's culture-sensitive string comparison
// (string.Compare, CompareTo, the default comparer of OrderBy, Min and
// Max): "apple" < "Banana" < "cherry", "a" < "A", where an ordinal
// comparison puts every capital first. It returns -1, 0 or 1.
func cultureCompare(a, b string, ignoreCase bool) int {
	i := 0
	if ignoreCase {
		i = 1
	}
	c := collators[i].Get().(*collate.Collator)
	r := c.CompareString(a, b)
	collators[i].Put(c)
	return r
}

// compareWith is string.Compare(a, b, comparison) for a StringComparison
// value (0-5: CurrentCulture, CurrentCultureIgnoreCase, InvariantCulture,
// InvariantCultureIgnoreCase, Ordinal, OrdinalIgnoreCase).
func compareWith(a, b string, comparison int) int {
	switch comparison {
	case 4:
		return strings.Compare(a, b)
	case 5:
		return strings.Compare(strings.ToUpper(a), strings.ToUpper(b))
	}
	return cultureCompare(a, b, comparison%2 == 1)
}

// overflowErr is .NET's OverflowException for a number past the range of
// Int32 (bits 32) or Int64.
// convertOverflow is Convert.ToInt32's (ToByte's...) OverflowException.
func convertOverflow(k intKind) error {
	what := map[intKind]string{ikSByte: "a signed byte", ikByte: "an unsigned byte", ikShort: "an Int16", ikUShort: "a UInt16",
		ikUInt: "a UInt32", ikLong: "an Int64", ikULong: "a UInt64"}[k]
	if what == "" {
		what = "an Int32"
	}
	return exc("OverflowException", "Value was either too large or too small for %s.", what)
}

func overflowErr(bits int) error {
	netType := "Int64"
	if bits == 32 {
		netType = "Int32"
	}
	return exc("OverflowException", "Value was either too large or too small for an %s.", netType)
}

// parseIntNET reads a whole number as int.Parse, long.Parse and
// Convert.ToInt32/ToInt64 do (bits 32 or 64): surrounding whitespace
// trimmed; past the range an OverflowException, anything else not a number
// a FormatException.
func parseIntNET(s string, bits int) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
	if errors.Is(err, strconv.ErrRange) {
		return 0, overflowErr(bits)
	}
	if err != nil {
		return 0, formatErr(s)
	}
	return int(n), nil
}

// roundToIntNET is Convert.ToInt32/ToInt64 of a double (bits 32 or 64):
// rounded to even; past the range (NaN included) an OverflowException.
func roundToIntNET(x float64, bits int) (int, error) {
	lim := math.Ldexp(1, bits-1)
	r := math.RoundToEven(x)
	if math.IsNaN(r) || r >= lim || r < -lim {
		return 0, overflowErr(bits)
	}
	return int(r), nil
}

func formatErr(s string) error {
	return exc("FormatException", "The input string '%s' was not in a correct format.", s)
}

func parseBoolNET(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, exc("FormatException", "String '%s' was not recognized as a valid Boolean.", s)
}

// equalNET is == between values of compatible static types (value
// equality for strings, numbers and bools; identity for the rest).
func equalNET(a, b any) bool {
	if same, ok := xmlSame(a, b); ok { // the same XML node (xml_linq.go)
		return same
	}
	if u, ok := a.(uint64); ok { // a ulong
		a, b = b, u
	}
	if u, ok := b.(uint64); ok {
		switch x := a.(type) {
		case uint64:
			return x == u
		case int:
			return x >= 0 && uint64(x) == u
		case float64:
			return x == float64(u)
		}
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil || isNilPtr(b)
	case int:
		switch y := b.(type) {
		case int:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		switch y := b.(type) {
		case int:
			return x == float64(y)
		case float64:
			return x == y
		}
		return false
	case Decimal: // Decimal.Equals(object): another decimal of the same value
		y, ok := b.(Decimal)
		return ok && decCmp(x, y) == 0
	case time.Time: // DateTime.Equals: the ticks, whatever the kinds
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case dateTimeOffset: // DateTimeOffset.Equals: the instants
		y, ok := b.(dateTimeOffset)
		return ok && x.t.Equal(y.t)
	case string, bool, time.Duration:
		return a == b
	}
	if b == nil {
		return isNilPtr(a)
	}
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if ra.Type() != rb.Type() {
		return false
	}
	if ra.Comparable() {
		return a == b
	}
	switch ra.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer:
		return ra.Pointer() == rb.Pointer()
	}
	return false
}

// items returns a sequence's elements (arrays, lists, JArray, strings as chars).
func items(v any) ([]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, exc("ArgumentNullException", "Value cannot be null. (Parameter 'source')")
	case []any:
		return x, nil
	case *JArray:
		return x.Items, nil
	case *grouping:
		return x.Items, nil
	case []byte: // a byte is an int here (seqElem's type of a byte[]'s items)
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = int(c)
		}
		return out, nil
	case *GroupCollection:
		return x.items(), nil
	case *FormList:
		out := make([]any, len(x.Items))
		for i, s := range x.Items {
			out[i] = s
		}
		return out, nil
	case *JObject:
		out := make([]any, len(x.Keys))
		for i, k := range x.Keys {
			out[i] = &JProperty{Name: k, Value: x.M[k], parent: x}
		}
		return out, nil
	case JNull: // a JValue is a JToken, a sequence of its children: none
		return []any{}, nil
	case string:
		var out []any
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, nil
	case reflect.Map:
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = &JProperty{Name: fmt.Sprint(k.Interface()), Value: rv.MapIndex(k).Interface()}
		}
		return out, nil
	}
	return nil, exc("InvalidCastException", "%s is not enumerable", netName(v))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// compareNET orders two values of the same static kind.
func compareNET(a, b any) (int, error) {
	if c, ok := compareU64(a, b); ok {
		return c, nil
	}
	if x, ok := a.(JBigInt); ok { // a BigInteger token: by value (json_bigint.go)
		if c, ok := bigCmp(x, b); ok {
			return c, nil
		}
	} else if y, ok := b.(JBigInt); ok {
		if c, ok := bigCmp(y, a); ok {
			return -c, nil
		}
	}
	switch x := a.(type) {
	case int:
		switch y := b.(type) {
		case int:
			return cmpInt(x, y), nil
		case float64:
			return cmpF(float64(x), y), nil
		case Decimal:
			return decCmp(decFromInt(int64(x)), y), nil
		}
	case float64:
		switch y := b.(type) {
		case int:
			return cmpF(x, float64(y)), nil
		case float64:
			return cmpF(x, y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return cultureCompare(x, y, false), nil
		}
	case Decimal:
		switch b.(type) {
		case Decimal, int:
			return decCmp(x, decOf(b)), nil
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), nil
		case dateTimeOffset: // dt < dto: dt converts
			return toDTO(x).t.Compare(y.t), nil
		}
	case dateTimeOffset:
		switch y := b.(type) {
		case dateTimeOffset:
			return x.t.Compare(y.t), nil
		case time.Time:
			return x.t.Compare(toDTO(y).t), nil
		}
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return cmpInt(int(x), int(y)), nil
		}
	case nil:
		if b == nil {
			return 0, nil
		}
		return -1, nil
	}
	if b == nil { // Comparer<T>.Default: null before anything (OrderBy over strings holding a null)
		return 1, nil
	}
	return 0, exc("ArgumentException", "At least one object must implement IComparable.")
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
