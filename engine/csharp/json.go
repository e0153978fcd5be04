package csharp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// JObject is Newtonsoft's JObject: properties in insertion order.
type JObject struct {
	Keys []string
	M    map[string]any
	// A Dictionary made with a StringComparer (comparer.go): idx maps each
	// key in the comparer's form to the key as first added; nil otherwise.
	cmp strComparer
	idx map[string]string
	// anon holds an anonymous object's property values as the expression
	// made them (M holds them as JSON, for JsonConvert): new { a = 1 }.a
	anon map[string]any
	// parent is the container a JSON token was put in (a *JObject, *JArray
	// or *JProperty), for Parent (jsonmore.go's liveParent)
	parent any
}

// newAnon is an anonymous object, new { a = 1, b }: a JObject for
// JsonConvert, keeping its values for reading them back.
func newAnon(names []string, vals []any) *JObject {
	o := NewJObject()
	o.anon = make(map[string]any, len(names))
	for i, k := range names {
		o.Set(k, toJValue(vals[i])) // JObject.FromObject(new { a = (string)null })["a"]: a JValue null
		o.anon[k] = vals[i]
	}
	return o
}

// anonGet reads an anonymous object's property.
func anonGet(x any, name string) (any, error) {
	o, ok := x.(*JObject)
	if !ok || o == nil {
		return nil, errNull
	}
	if o.anon == nil {
		return o.M[name], nil
	}
	return o.anon[name], nil
}

// JArray is Newtonsoft's JArray.
type JArray struct {
	Items  []any
	parent any // the container it was put in (see JObject's)
}

// JProperty is new JProperty(name, value), before it is added to an object.
type JProperty struct {
	Name   string
	Value  any
	parent *JObject // the object it was read from (Remove takes it out)
	// nullKey: a KeyValuePair whose Key is null (default(KeyValuePair<K, V>),
	// new KeyValuePair<string, V>(null, v)); a JSON property always has a name
	nullKey bool
}

// NewJObject returns an empty object.
func NewJObject() *JObject { return &JObject{M: map[string]any{}} }

// Set adds or replaces a property (a replaced one keeps its place).
func (o *JObject) Set(k string, v any) {
	if o.idx != nil {
		k = o.key(k)
		o.idx[cmpKey(k, o.cmp)] = k
	}
	if _, ok := o.M[k]; !ok {
		o.Keys = append(o.Keys, k)
	}
	o.M[k] = v
}

// How a dictionary initializer adds: dictIndex ({ [k] = v }: a repeated
// key replaces), dictAdd (Dictionary's { {k, v} }: Dictionary.Add throws),
// jobjAdd (JObject's { {k, v} }: JObject.Add throws), jobjIndex (JObject's
// { [k] = v }: its indexer). A JObject's store a C# null as a JValue null.
const (
	dictIndex = iota
	dictAdd
	jobjAdd
	jobjIndex
)

func (n *NewExpr) dictMode() int {
	switch {
	case n.JAdd:
		return jobjAdd
	case n.DictAdd:
		return dictAdd
	case n.T != nil && n.T.K == KJObject:
		return jobjIndex
	}
	return dictIndex
}

// buildDict is a dictionary (or JObject) initializer (mode: dictIndex...).
func buildDict(mode int, keys, vals []any) (any, error) {
	return fillDict(NewJObject(), mode, keys, vals)
}

// fillDict adds the keys and values of a dictionary initializer to o.
func fillDict(o *JObject, mode int, keys, vals []any) (any, error) {
	for i, k := range keys {
		ks, ok := k.(string)
		if !ok {
			if mode == jobjAdd {
				return nil, argNull("name") // new JProperty(null, v)
			}
			return nil, argNull("key")
		}
		if _, dup := o.M[o.key(ks)]; dup {
			switch mode {
			case dictAdd:
				return nil, exc("ArgumentException", "An item with the same key has already been added. Key: %s", ks)
			case jobjAdd:
				return nil, exc("ArgumentException", "Can not add property %s to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.", ks)
			}
		}
		if mode == jobjAdd || mode == jobjIndex {
			o.Set(ks, toJValue(vals[i]))
		} else {
			o.Set(ks, toJToken(vals[i]))
		}
	}
	return o, nil
}

// Remove deletes a property; it reports whether it was there.
func (o *JObject) Remove(k string) bool {
	k = o.key(k)
	if _, ok := o.M[k]; !ok {
		return false
	}
	if o.idx != nil {
		delete(o.idx, cmpKey(k, o.cmp))
	}
	delete(o.M, k)
	for i, kk := range o.Keys {
		if kk == k {
			o.Keys = append(o.Keys[:i:i], o.Keys[i+1:]...)
			break
		}
	}
	return true
}

// String is Newtonsoft's ToString(): indented with two spaces; an
// anonymous object's is C#'s, { a = 1, b = x }.
func (o *JObject) String() string {
	if o.anon != nil {
		var b strings.Builder
		b.WriteString("{ ")
		for i, k := range o.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + " = " + catStr(o.anon[k]))
		}
		b.WriteString(" }")
		if len(o.Keys) == 0 {
			return "{ }"
		}
		return b.String()
	}
	return jsonText(o, true)
}

// String is Newtonsoft's ToString(): indented with two spaces.
func (a *JArray) String() string { return jsonText(a, true) }

// MarshalJSON writes the object as Newtonsoft's ToString(Formatting.None)
// does (an anonymous object as JObject.FromObject would), so that
// encoding/json users (a cached value, a log field) get its JSON, not
// its Go fields.
func (o *JObject) MarshalJSON() ([]byte, error) {
	s, err := jsonTextErr(toJToken(o), false)
	return []byte(s), err
}

// MarshalJSON writes the array as Newtonsoft's ToString(Formatting.None).
func (a *JArray) MarshalJSON() ([]byte, error) {
	s, err := jsonTextErr(a, false)
	return []byte(s), err
}

// maxJSONDepth bounds nesting when parsing.
const maxJSONDepth = 256

// ParseJSON parses text keeping key order; integers become int, other
// numbers float64 (as Newtonsoft: long and double).
func ParseJSON(text string) (any, error) {
	if v, ok := parseJSONFast(text); ok {
		return v, nil
	}
	return parseJSONDecoder(text)
}

// parseJSONDecoder is ParseJSON on encoding/json's Decoder: the path for
// what parseJSONFast leaves, and the one that words the errors.
func parseJSONDecoder(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return nil, jsonReaderErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, exc("JsonReaderException", "Additional text encountered after finished reading JSON content.")
	}
	return v, nil
}

func jsonReaderErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return exc("JsonReaderException", "Unexpected end of content while loading JObject.")
	}
	var e *Exception
	if errors.As(err, &e) {
		return err
	}
	return exc("JsonReaderException", "Unexpected character encountered while parsing value: %v", err)
}

func parseValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nests too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := NewJObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				setParent(o, v)
				o.Set(k, v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := &JArray{}
			for dec.More() {
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				setParent(a, v)
				a.Items = append(a.Items, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return jsonNumber(string(t)) // an int, a JBigInt or a double
	case nil: // a JSON null: JValue.CreateNull()
		return JNull{}, nil
	}
	return tok, nil
}

// jsonText writes v as Newtonsoft does (indented: Formatting.Indented).
// Text longer than MaxString is cut there (a String() has no error to
// give); jsonTextErr says so instead.
func jsonText(v any, indent bool) string {
	s, _ := jsonTextErr(v, indent)
	return s
}

// errTooBig stops writeJSON once the text passes MaxString: objects may
// hold the same big string many times.
type errTooBig struct{}

func jsonTextErr(v any, indent bool) (s string, err error) {
	var b bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errTooBig); !ok {
				panic(r)
			}
			s, err = b.String()[:MaxString], errString
		}
	}()
	writeJSON(&b, v, indent, 0)
	return b.String(), nil
}

func writeJSON(b *bytes.Buffer, v any, indent bool, level int) {
	if b.Len() > MaxString {
		panic(errTooBig{})
	}
	nl := func(l int) {
		if indent {
			b.WriteByte('\n')
			for i := 0; i < l; i++ {
				b.WriteString("  ")
			}
		}
	}
	switch x := v.(type) {
	case nil, JNull:
		b.WriteString("null")
	case *JRaw: // its text as it is (jsontypes.go)
		b.WriteString(x.Raw)
	case *JObject:
		if len(x.Keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(level + 1)
			writeJSONString(b, k)
			b.WriteByte(':')
			if indent {
				b.WriteByte(' ')
			}
			writeJSON(b, x.M[k], indent, level+1)
		}
		nl(level)
		b.WriteByte('}')
	case *JArray:
		writeJSONList(b, x.Items, indent, level, nl)
	case []any:
		writeJSONList(b, x, indent, level, nl)
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		writeJSONList(b, items, indent, level, nl)
	case *JProperty:
		writeJSONString(b, x.Name)
		b.WriteByte(':')
		if indent {
			b.WriteByte(' ')
		}
		writeJSON(b, x.Value, indent, level)
	case string:
		writeJSONString(b, x)
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case JBigInt: // digit for digit, as Json.NET writes a BigInteger
		b.WriteString(x.text)
	case float64:
		b.WriteString(jsonFloat(x))
	case Decimal:
		b.WriteString(jsonDecimal(x))
	case time.Time:
		b.WriteByte('"')
		b.WriteString(jsonDate(x))
		b.WriteByte('"')
	case dateTimeOffset:
		b.WriteByte('"')
		b.WriteString(jsonDateOffset(x))
		b.WriteByte('"')
	case []byte: // Json.NET writes a Bytes token (and a byte[]) in base64
		b.WriteByte('"')
		b.WriteString(base64.StdEncoding.EncodeToString(x))
		b.WriteByte('"')
	case map[string]any:
		o := NewJObject()
		for _, k := range sortedKeys(x) {
			o.Set(k, x[k])
		}
		writeJSON(b, o, indent, level)
	default:
		writeJSONString(b, toStringNET(v))
	}
}

func writeJSONList(b *bytes.Buffer, items []any, indent bool, level int, nl func(int)) {
	if len(items) == 0 {
		b.WriteString("[]")
		return
	}
	b.WriteByte('[')
	for i, e := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		nl(level + 1)
		writeJSON(b, e, indent, level+1)
	}
	nl(level)
	b.WriteByte(']')
}

// jsonFloat writes a double as Newtonsoft does: shortest round-trip form,
// with ".0" on whole numbers.
func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return `"NaN"`
	case math.IsInf(f, 1):
		return `"Infinity"`
	case math.IsInf(f, -1):
		return `"-Infinity"`
	}
	s := formatDouble(f) // ToString("R"): 1234567, not 1.234567E+06
	if !strings.ContainsAny(s, ".E") {
		s += ".0"
	}
	return s
}

// writeJSONString escapes as Newtonsoft's default: quotes, backslash and
// control characters only.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x85 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
}

// jsonDate is Json.NET's default for a Date token holding a DateTime
// (DateFormatHandling.IsoDateFormat, DateTimeZoneHandling.RoundtripKind:
// "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"): fractions of a second without trailing
// zeros, then the kind: "Z" for Utc, the local offset ("+00:00", the
// gateway's zone being UTC) for Local, nothing for Unspecified.
func jsonDate(t time.Time) string {
	s := jsonClock(t)
	switch t.Location() {
	case locLocal:
		return s + "+00:00"
	case locUnspecified:
		return s
	}
	return jsonClock(t.UTC()) + "Z"
}

// jsonDateOffset is Json.NET's text of a DateTimeOffset: the clock and its
// offset ("2020-01-01T10:00:00+02:00", "+00:00" for 0).
func jsonDateOffset(d dateTimeOffset) string {
	return jsonClock(d.t) + d.t.Format("-07:00")
}

// jsonClock is t's clock as "yyyy-MM-ddTHH:mm:ss.FFFFFFF".
func jsonClock(t time.Time) string {
	s := t.Format("2006-01-02T15:04:05")
	if ns := t.Nanosecond() / 100; ns != 0 { // .NET keeps 100 ns ticks
		f := strings.TrimRight(fmt.Sprintf("%07d", ns), "0")
		s += "." + f
	}
	return s
}

// jsonContent is Json.NET's check of a JProperty's content (new
// JProperty(name, object)): a value of the gateway's context (the message
// body, a request, a response, a JWT, the headers...) is no JSON value, and
// JValue's constructor throws ArgumentException for it. APIM's message names
// its own class; this one names the Go type, as a user cannot act on either.
func jsonContent(v any) error {
	if v == nil {
		return nil
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == engineModelPkg {
		return exc("ArgumentException", "Could not determine JSON object type for type %s.", t.Name())
	}
	return nil
}

// engineModelPkg is the package of the context's Go types (tollgate/engine).
const engineModelPkg = "tollgate/engine"

// toJToken converts a value for storing in a JObject/JArray (JToken.FromObject).
func toJToken(v any) any {
	switch x := v.(type) {
	case *JObject:
		if x.anon != nil { // an anonymous object as JSON: a JObject of its own
			o := &JObject{Keys: append([]string(nil), x.Keys...), M: make(map[string]any, len(x.M))}
			for k, val := range x.M {
				o.M[k] = val
			}
			return o
		}
		return v
	case nil, JNull, string, bool, int, float64, Decimal, *JArray, *JRaw:
		return v
	case time.Time, dateTimeOffset: // a JValue of type Date, written in ISO 8601 (jsonDate)
		return v
	case []byte: // a JValue of type Bytes (the same array, as Json.NET's), written in base64
		return v
	case int64:
		return int(x)
	case []any:
		a := &JArray{Items: append([]any(nil), x...)}
		for i, it := range a.Items {
			if o, ok := it.(*JObject); ok && o.anon != nil {
				it = toJToken(o)
			} else if j, ok := modelToJToken(it); ok { // new object[] { context.Operation }
				it = j
			} else if it == nil { // a null item: a JValue null, as new JArray(content) makes it
				it = JNull{}
			}
			a.Items[i] = adopt(a, it) // a token that has a parent is copied, as Json.NET's
		}
		return a
	case []string:
		a := &JArray{}
		for _, s := range x {
			a.Items = append(a.Items, s)
		}
		return a
	case map[string]any:
		o := NewJObject()
		for _, k := range sortedKeys(x) {
			o.Set(k, toJValue(x[k]))
		}
		return o
	case *Form:
		o := NewJObject()
		for _, k := range x.keys {
			o.Set(k, toJValue(x.m[k]))
		}
		return o
	case *FormList:
		a := &JArray{}
		for _, s := range x.Items {
			a.Items = append(a.Items, s)
		}
		return a
	case enumVal: // Json.NET writes an enum as its number (no StringEnumConverter here)
		return x.v
	}
	if j, ok := modelToJToken(v); ok { // APIM's context objects (json_model.go)
		return j
	}
	return toStringNET(v)
}

// selectToken follows a JSONPath subset: a.b, a['b'], a[0], $.a.
func selectToken(t any, path string) (any, error) {
	p := strings.TrimPrefix(strings.TrimSpace(path), "$")
	cur := t
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, fmt.Errorf("Unexpected end while parsing path.")
			}
			inner := strings.TrimSpace(p[1:end])
			p = p[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') {
				cur = jget(cur, inner[1:len(inner)-1])
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil {
				return nil, fmt.Errorf("Unexpected character while parsing path indexer: %s", inner)
			}
			a, ok := cur.(*JArray)
			if !ok || i < 0 || i >= len(a.Items) {
				cur = nil
				continue
			}
			cur = a.Items[i]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			cur = jget(cur, p[:end])
			p = p[end:]
		}
		if cur == nil {
			return nil, nil
		}
	}
	return cur, nil
}

func jget(t any, k string) any {
	if o, ok := t.(*JObject); ok {
		return o.M[k]
	}
	return nil
}
