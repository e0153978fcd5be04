package csharp

import "strings"

// JsonConvert.DeserializeObject<T>(json) for the T policies use beyond
// JObject, JArray, JToken and lists of primitives (builtins.go,
// jsonmore.go, snippets.go): Dictionary<string, V> (and IDictionary,
// IReadOnlyDictionary) of string, object, int, long, double, bool, JToken,
// JObject or JArray; string, int, long, double and bool themselves; and
// lists or arrays of JToken, JObject, JArray or object. Values convert as
// Json.NET's serializer converts them (convertListItem).

// JRaw is Newtonsoft's JRaw: JSON text kept as written, which a JSON
// writer copies as it is. Its static type is a JToken named JRaw.
type JRaw struct{ Raw string }

func (r *JRaw) String() string { return r.Raw }

var tJRaw = &Type{K: KJToken, Name: "JRaw"}

// tJValue is Json.NET's JValue: a JToken whose static type names it, so
// (JValue)x, x as JValue and x is JValue v refuse a JObject or JArray (an
// InvalidCastException, false, null) and JValue.Value reads the CLR value.
var tJValue = &Type{K: KJToken, Name: "JValue"}

// jvalueValue is JValue.Value (object): the token's CLR value (a string;
// a long for an Integer token, held as every integer is here; a double
// for a Float; a bool, DateTime, decimal, Guid, byte[]), null for a JSON
// null, the raw text of a JRaw (JValue.cs: Value returns _value).
var jvalueValue = reg(&builtin{key: "JValue.Value", result: tObject, run: func(a []any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return nil, errNull
	case JNull:
		return nil, nil
	case *JRaw:
		return x.Raw, nil
	case *JObject, *JArray:
		return nil, castErr(x, "Newtonsoft.Json.Linq.JValue")
	}
	return a[0], nil
}})

// deserializeTypes are the V of Dictionary<string, V> and the T of a
// plain DeserializeObject<T> tollgate has.
var deserializeTypes = []*Type{tString, tObject, tInt, tLong, tDouble, tBool, tJToken, tJObject, tJArray}

// deserializeKey is the builtin DeserializeObject<T> of type t uses ("":
// none).
func deserializeKey(t *Type) string {
	switch {
	case t.K == KDict:
		return "JsonConvert.DeserializeObject<Dictionary<string, " + dictElem(t).Name + ">>"
	case t.K == KArray && t.Elem != nil && (t.Elem.K == KJToken || t.Elem.K == KJObject || t.Elem.K == KJArray || t.Elem.K == KObject):
		return "JsonConvert.DeserializeObject<" + t.Elem.Name + "[]>"
	case t == tString || t == tInt || t == tLong || t == tDouble || t == tBool, t == tDecimal:
		return "JsonConvert.DeserializeObject<" + t.Name + ">"
	case t.K == KBytes:
		return "JsonConvert.DeserializeObject<byte[]>"
	}
	return ""
}

// jsonDeserialize binds JsonConvert.DeserializeObject<T>(json) for those
// T (ok false: another call, or a T builtins.go has).
func (b *binder) jsonDeserialize(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	if xt.K != KStatic || xt.Name != "JsonConvert" || m.Name != "DeserializeObject" || len(m.TypeArgs) != 1 {
		return nil, false, nil
	}
	t, ok := b.m.lookupTypeRef(m.TypeArgs[0])
	if !ok {
		return nil, true, b.unknownType(m.TypeArgs[0])
	}
	key := deserializeKey(t)
	bi := byKey[key]
	if bi == nil {
		old := "DeserializeObject<" + m.TypeArgs[0].Name + ">" // the tables' key (call)
		if t.K == KArray && t.Elem != nil {
			old = "DeserializeObject<" + t.Elem.Name + "[]>"
		}
		if statics["JsonConvert"][old] != nil {
			return nil, false, nil // JObject, List<int>...: the tables'
		}
		return nil, true, b.errf(m.NameOff, "JsonConvert.DeserializeObject<%s> is not supported: tollgate deserializes to JObject, JArray, JToken, string, int, long, double, decimal, bool, byte[], Dictionary<string, V> (V one of those or object), a List<V> or V[] of them", typeName(t))
	}
	if len(n.Args) != 1 || n.Args[0].Out || n.Args[0].Name != "" {
		return nil, true, b.errf(m.NameOff, "no overload for method 'DeserializeObject' takes %d arguments", len(n.Args))
	}
	at, err := b.expr(n.Args[0].X)
	if err != nil {
		return nil, true, err
	}
	if err := b.paramOK(n.Args[0].X, at, tString); err != nil {
		return nil, true, err
	}
	n.method = bi
	return t, true, nil
}

// netGenericName is a type's .NET name in a serializer's message.
func netGenericName(t *Type) string {
	if t.K == KObject {
		return "System.Object"
	}
	if t.K == KJToken || t.K == KJObject || t.K == KJArray {
		return "Newtonsoft.Json.Linq." + t.Name
	}
	return netTypeName(t)
}

// deserializeValue converts one JSON value to t (path: its JSON path, for
// the message).
func deserializeValue(v any, t *Type, path string) (any, error) {
	if isJNull(v) {
		if t.K == KJToken {
			return v, nil // a JToken value holds the JValue null
		}
		v = nil // the serializer's null
	}
	switch t.K {
	case KObject:
		return v, nil
	case KJToken:
		return v, nil
	case KJObject, KJArray:
		if v == nil {
			return nil, nil
		}
		if _, ok := v.(*JObject); ok == (t.K == KJObject) {
			if _, arr := v.(*JArray); arr == (t.K == KJArray) {
				return v, nil
			}
		}
		return nil, exc("JsonReaderException", "Error reading %s from JsonReader. Current JsonReader item is not %s. Path '%s'.", t.Name, map[bool]string{true: "an object", false: "an array"}[t.K == KJObject], path)
	}
	switch v.(type) {
	case *JObject, *JArray:
		c := "{"
		if _, arr := v.(*JArray); arr {
			c = "["
		}
		return nil, exc("JsonReaderException", "Unexpected character encountered while parsing value: %s. Path '%s'.", c, path)
	}
	if v == nil && t != tString {
		return nil, exc("JsonSerializationException", "Error converting value {null} to type '%s'. Path '%s'.", netTypeName(t), path)
	}
	c, ok := convertListItem(v, t)
	if !ok {
		return nil, exc("JsonSerializationException", "Error converting value %s to type '%s'. Path '%s'.", jsonItemText(v), netTypeName(t), path)
	}
	return c, nil
}

// deserializeBytes is Json.NET's DeserializeObject<byte[]> of a parsed
// JSON value, as its JsonTextReader.ReadAsBytes reads one: a string is
// base64 (empty: no bytes; 36 characters that are a GUID in the "D" format:
// its ToByteArray()), an array holds integers that are each a byte, an
// object is the {"$type": "System.Byte[]...", "$value": "base64"} wrapper
// Json.NET writes with TypeNameHandling, null is null; anything else is
// the reader's JsonReaderException (an integer past a byte, Convert.ToByte's
// OverflowException).
func deserializeBytes(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return bytesOfJSONString(x)
	case *JArray:
		out := make([]byte, 0, len(x.Items))
		for i, it := range x.Items {
			n, ok := it.(int)
			if !ok {
				return nil, exc("JsonReaderException", "Unexpected token when reading bytes: %s. Path '[%d]'.", jtype(it), i)
			}
			if n < 0 || n > 255 {
				return nil, exc("OverflowException", "Value was either too large or too small for an unsigned byte.")
			}
			out = append(out, byte(n))
		}
		return out, nil
	case *JObject:
		path := ""
		if len(x.Keys) > 0 {
			path = x.Keys[0]
		}
		if len(x.Keys) == 2 && x.Keys[0] == "$type" && x.Keys[1] == "$value" {
			typ, _ := x.M["$type"].(string)
			val, isStr := x.M["$value"].(string)
			if strings.HasPrefix(typ, "System.Byte[]") && isStr {
				return bytesOfJSONString(val)
			}
		}
		return nil, exc("JsonReaderException", "Error reading bytes. Unexpected token: StartObject. Path '%s'.", path)
	case bool:
		if x {
			return nil, exc("JsonReaderException", "Unexpected character encountered while parsing value: t. Path ''.")
		}
		return nil, exc("JsonReaderException", "Unexpected character encountered while parsing value: f. Path ''.")
	}
	// a number: the reader meets its first character
	c := strings.TrimSpace(jsonText(v, false))
	if c == "" {
		c = "?"
	}
	return nil, exc("JsonReaderException", "Unexpected character encountered while parsing value: %s. Path ''.", c[:1])
}

// bytesOfJSONString is JsonTextReader's reading of a string as bytes.
func bytesOfJSONString(s string) (any, error) {
	if s == "" {
		return []byte{}, nil
	}
	if len(s) == 36 {
		if g, ok := guidD(s); ok {
			b := g[:]
			out := []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]} // ToByteArray's order
			return append(out, b[8:]...), nil
		}
	}
	return fromBase64NET(s)
}

// guidD reads a GUID in .NET's "D" format, 8-4-4-4-12 hex digits.
func guidD(s string) (Guid, bool) {
	var g Guid
	if len(s) != 36 {
		return g, false
	}
	j := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return g, false
			}
			continue
		}
		h, ok := hexVal(s[i])
		if !ok {
			return g, false
		}
		g[j/2] |= h << (4 * (1 - j%2))
		j++
	}
	return g, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func registerJSONTypes() {
	// new JRaw(rawJson): the value's text (a string as it is), null none
	static("JRaw", "new", ts(tObject), tJRaw, func(a []any) (any, error) {
		if a[0] == nil {
			return &JRaw{}, nil
		}
		return &JRaw{Raw: toStringNET(a[0])}, nil
	}, nil)
	parse := func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, argNull("value")
		}
		v, err := ParseJSON(s)
		return jsonNil(v), err // the serializer reads "null" as null
	}
	reg(&builtin{key: deserializeKey(tBytes), params: ts(tString), result: tBytes, run: func(a []any) (any, error) {
		v, err := parse(a)
		if err != nil {
			return nil, err
		}
		return deserializeBytes(v)
	}})
	for _, vt := range deserializeTypes {
		vt := vt
		dt := dictOf(vt)
		reg(&builtin{key: deserializeKey(dt), params: ts(tString), result: dt, run: func(a []any) (any, error) {
			v, err := parse(a)
			if err != nil || v == nil {
				return nil, err
			}
			o, ok := v.(*JObject)
			if !ok {
				return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON %s into type 'System.Collections.Generic.Dictionary`2[System.String,%s]' because the type requires a JSON object (e.g. {\"name\":\"value\"}) to deserialize correctly.", jsonKindText(v), netGenericName(vt))
			}
			if vt.K == KJToken {
				return o, nil
			}
			if vt.K == KObject { // a JSON null value is null; objects and arrays stay tokens
				for _, k := range o.Keys {
					if isJNull(o.M[k]) {
						o.M[k] = nil
					}
				}
				return o, nil
			}
			for _, k := range o.Keys {
				c, err := deserializeValue(o.M[k], vt, k)
				if err != nil {
					return nil, err
				}
				o.M[k] = c
			}
			return o, nil
		}})
		if vt.K == KJToken || vt.K == KJObject || vt.K == KJArray || vt.K == KObject {
			at := arrayOf(vt)
			reg(&builtin{key: deserializeKey(at), params: ts(tString), result: at, run: func(a []any) (any, error) {
				v, err := parse(a)
				if err != nil || v == nil {
					return nil, err
				}
				arr, ok := v.(*JArray)
				if !ok {
					return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON %s into type 'System.Collections.Generic.List`1[%s]' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly.", jsonKindText(v), netGenericName(vt))
				}
				out := make([]any, len(arr.Items))
				for i, it := range arr.Items {
					c, err := deserializeValue(it, vt, "["+strings.TrimSpace(jsonText(i, false))+"]")
					if err != nil {
						return nil, err
					}
					out[i] = c
				}
				return out, nil
			}})
		}
		if deserializeKey(vt) != "" {
			reg(&builtin{key: deserializeKey(vt), params: ts(tString), result: vt, run: func(a []any) (any, error) {
				v, err := parse(a)
				if err != nil {
					return nil, err
				}
				if v == nil && vt == tString {
					return nil, nil
				}
				return deserializeValue(v, vt, "")
			}})
		}
	}
}

// jsonKindText names a JSON value's kind as Json.NET's messages do.
func jsonKindText(v any) string {
	switch v.(type) {
	case *JObject:
		return `object (e.g. {"name":"value"})`
	case *JArray:
		return "array (e.g. [1,2,3])"
	}
	return "primitive value"
}
