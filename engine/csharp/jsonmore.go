package csharp

import (
	"encoding/binary"
	"strings"
	"time"
)

// More of Newtonsoft's JToken API, as community snippets use it:
// Children(), DeepClone(), GetValue(name), Merge(other), JTokenType,
// JsonConvert.DeserializeObject<JArray|JToken> and SerializeObject with a
// Formatting.

// jclone is JToken.DeepClone(): objects and arrays copied all the way
// down; values are immutable.
func jclone(v any) any {
	switch x := v.(type) {
	case *JObject:
		o := &JObject{Keys: append([]string(nil), x.Keys...), M: make(map[string]any, len(x.M))}
		for k, e := range x.M {
			o.M[k] = jclone(e)
		}
		return o
	case *JArray:
		a := &JArray{Items: make([]any, len(x.Items))}
		for i, e := range x.Items {
			a.Items[i] = jclone(e)
		}
		return a
	case *JProperty:
		return &JProperty{Name: x.Name, Value: jclone(x.Value)}
	}
	return v
}

// jmerge is JObject.Merge(other) with Json.NET's defaults: objects merge
// property by property, arrays are concatenated, a null in other changes
// nothing, anything else replaces.
func jmerge(dst *JObject, src *JObject) {
	for _, k := range src.Keys {
		v := src.M[k]
		if v == nil {
			continue
		}
		cur, ok := dst.M[k]
		switch sv := v.(type) {
		case *JObject:
			if co, isObj := cur.(*JObject); ok && isObj {
				jmerge(co, sv)
				continue
			}
		case *JArray:
			if ca, isArr := cur.(*JArray); ok && isArr {
				for _, e := range sv.Items {
					ca.Items = append(ca.Items, jclone(e))
				}
				continue
			}
		}
		dst.Set(k, jclone(v))
	}
}

// jchildren is JToken.Children(): an object's properties, an array's items.
func jchildren(v any) ([]any, error) {
	switch x := v.(type) {
	case *JObject:
		out := make([]any, len(x.Keys))
		for i, k := range x.Keys {
			out[i] = &JProperty{Name: k, Value: x.M[k], parent: x}
		}
		return out, nil
	case *JArray:
		return append([]any(nil), x.Items...), nil
	case *JProperty:
		return []any{x.Value}, nil
	case nil:
		return nil, errNull
	}
	return []any{}, nil // a value has no children
}

func registerJSONMore() {
	for _, k := range []Kind{KJToken, KJObject, KJArray} {
		method(k, "Children", ts(), arrayOf(tJToken), func(a []any) (any, error) { return jchildren(a[0]) }, nil)
		method(k, "DeepClone", ts(), tJToken, func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			return jclone(a[0]), nil
		}, nil)
	}
	method(KJObject, "GetValue", ts(tString), tJToken, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		k, _ := a[1].(string)
		return o.M[k], nil
	}, nil)
	method(KJObject, "Merge", ts(tObject), tVoid, func(a []any) (any, error) {
		o, ok := a[0].(*JObject)
		if !ok {
			return nil, errNull
		}
		if src, ok := toJToken(a[1]).(*JObject); ok {
			jmerge(o, src)
		}
		return nil, nil
	}, nil)
	for _, t := range []string{"None", "Object", "Array", "Constructor", "Property", "Comment", "Integer", "Float", "String",
		"Boolean", "Null", "Undefined", "Date", "Raw", "Bytes", "Guid", "Uri", "TimeSpan"} {
		v := t
		staticProp("JTokenType", t, tString, func([]any) (any, error) { return v, nil }, nil)
	}
	parse := statics["JToken"]["Parse"][0].run
	static("JsonConvert", "DeserializeObject<JToken>", ts(tString), tJToken, parse, nil)
	static("JsonConvert", "DeserializeObject<JArray>", ts(tString), tJArray, func(a []any) (any, error) {
		v, err := parse(a)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*JArray); !ok {
			return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON object into type 'JArray'.")
		}
		return v, nil
	}, nil)
	static("JsonConvert", "SerializeObject", ts(tObject, tInt), tString, func(a []any) (any, error) {
		return jsonTextErr(toJToken(a[0]), toInt(a[1]) == 1) // Formatting.None = 0, Indented = 1
	}, nil)
}

// registerMoreDotNet: small .NET members community snippets use.
func registerMoreDotNet() {
	registerParseExact()
	// CultureInfo: every format and parse here is culture-invariant, so a
	// provider changes nothing.
	for _, c := range []string{"InvariantCulture", "CurrentCulture", "InvariantUICulture"} {
		name := c
		staticProp("CultureInfo", c, tObject, func([]any) (any, error) { return name, nil }, nil)
	}
	for _, typ := range []string{"int", "long", "double", "DateTime", "Guid"} {
		for _, b := range append([]*builtin(nil), statics[typ]["Parse"]...) {
			if len(b.params) != 1 {
				continue
			}
			orig := b
			static(typ, "Parse", ts(tString, tObject), b.result, func(a []any) (any, error) { return orig.run(a[:1]) }, nil)
		}
	}
	prop(KDateTime, "Date", tDateTime, func(a []any) (any, error) {
		t := a[0].(time.Time)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()), nil
	}, nil)
	// BitConverter.GetBytes overloads share an arity: keyed by type.
	getBytes := func(t *Type, run func(a []any) (any, error)) {
		if statics["BitConverter"] == nil {
			statics["BitConverter"] = table{}
		}
		b := reg(&builtin{key: "BitConverter.GetBytes(" + t.Name + ")", params: ts(t), result: tBytes, run: run})
		statics["BitConverter"]["GetBytes"] = append(statics["BitConverter"]["GetBytes"], b)
	}
	getBytes(tInt, func(a []any) (any, error) {
		return binary.LittleEndian.AppendUint32(nil, uint32(int32(toInt(a[0])))), nil
	})
	// (No long overload: an integer here is an int to the overloads, so
	// GetBytes(someLong) would silently give 4 bytes, not .NET's 8.)
	getBytes(tBool, func(a []any) (any, error) {
		if a[0] == true {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	})
}

// netLayout turns a .NET date and time format (standard "o", "s", "u",
// "r", or custom: yyyy MM dd HH mm ss fff tt zzz K, 'literal', \c) into a
// Go layout for DateTime.ParseExact; ok is false for what Go cannot read.
func netLayout(f string) (string, bool) {
	switch f {
	case "o", "O":
		return "2006-01-02T15:04:05.9999999Z07:00", true
	case "s":
		return "2006-01-02T15:04:05", true
	case "u":
		return "2006-01-02 15:04:05Z", true
	case "r", "R":
		return "Mon, 02 Jan 2006 15:04:05 GMT", true
	case "d":
		return "1/2/2006", true
	case "D":
		return "Monday, January 2, 2006", true
	case "t":
		return "3:04 PM", true
	case "T":
		return "3:04:05 PM", true
	case "g":
		return "1/2/2006 3:04 PM", true
	case "G":
		return "1/2/2006 3:04:05 PM", true
	}
	if len(f) == 1 && (f[0] >= 'a' && f[0] <= 'z' || f[0] >= 'A' && f[0] <= 'Z') {
		return "", false // another standard format (f, F, M, Y, …)
	}
	var b strings.Builder
	prevVariable := false // the last token was a number of 1 or 2 digits (M, d, H, h, m, s) or a fraction
	lastSpec := byte(0)   // the last token's specifier
	for i := 0; i < len(f); {
		c := f[i]
		n := 1
		for i+n < len(f) && f[i+n] == c {
			n++
		}
		numeric := strings.IndexByte("yMdHhmsfF", c) >= 0 && !(c == 'M' && n >= 3) && !(c == 'd' && n >= 3)
		if prevVariable && numeric {
			return "", false // two numbers with nothing between: which digits are whose is a guess
		}
		wasVariable, wasSpec := prevVariable, lastSpec
		lastSpec = c
		prevVariable = n == 1 && strings.IndexByte("MdHhms", c) >= 0 || c == 'f' || c == 'F' // a fraction reads every digit after it
		if (c == '\'' || c == '"') && i+1 < len(f) && f[i+1] == c {
			prevVariable, lastSpec = wasVariable, wasSpec // '' : an empty literal
		}
		tok, ok := "", true
		switch c {
		case 'y':
			tok, ok = map[int]string{2: "06", 4: "2006"}[n]
		case 'M':
			tok, ok = map[int]string{1: "1", 2: "01", 3: "Jan", 4: "January"}[n]
		case 'd':
			tok, ok = map[int]string{1: "2", 2: "02", 3: "Mon", 4: "Monday"}[n]
		case 'H':
			tok, ok = map[int]string{1: "15", 2: "15"}[n]
		case 'h':
			tok, ok = map[int]string{1: "3", 2: "03"}[n]
		case 'm':
			tok, ok = map[int]string{1: "4", 2: "04"}[n]
		case 's':
			tok, ok = map[int]string{1: "5", 2: "05"}[n]
		case 'f', 'F':
			// Go reads fractions after a separator it has just written.
			if prev := b.String(); !strings.HasSuffix(prev, ".") && !strings.HasSuffix(prev, ",") {
				return "", false
			}
			tok = strings.Repeat("0", n)
			if c == 'F' {
				tok = strings.Repeat("9", n)
			}
		case 't':
			tok, ok = map[int]string{2: "PM"}[n]
		case 'z':
			tok, ok = map[int]string{2: "-07", 3: "-07:00"}[n]
		case 'K':
			tok, ok = "Z07:00", n == 1
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				return "", false
			}
			lit := f[i+1 : i+1+end]
			for k := 0; k < len(lit); k++ {
				if c := lit[k]; c >= '0' && c <= '9' || c == '_' || (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && c != 'T' {
					return "", false // could read as a layout element
				}
			}
			b.WriteString(lit)
			i += end + 2
			// An empty literal separates nothing: prevVariable stands.
			continue
		case '\\':
			if i+1 >= len(f) || f[i+1] >= '0' && f[i+1] <= '9' || f[i+1] == '_' || (f[i+1] >= 'a' && f[i+1] <= 'z' || f[i+1] >= 'A' && f[i+1] <= 'Z') && f[i+1] != 'T' {
				return "", false
			}
			b.WriteByte(f[i+1])
			i += 2
			continue
		default:
			// Other characters are literal in .NET; in a Go layout digits
			// and the first letters of Jan, Mon, MST, PM, pm and Z07 are not.
			if (c >= '0' && c <= '9') || c == '_' || (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && c != 'T' {
				return "", false // letters next to Go's layout words (Jan, Mon, PM, MST…) read as them: only T is taken
			}
			// After seconds, Go reads ".0…"/".9…" as a fraction: a dot or
			// comma there must start one (fff).
			if (c == '.' || c == ',') && wasSpec == 's' && (i+n >= len(f) || f[i+n] != 'f' && f[i+n] != 'F') {
				return "", false
			}
			tok = f[i : i+n] // the bytes as they are (a multi-byte character stays whole)
		}
		if !ok {
			return "", false
		}
		b.WriteString(tok)
		i += n
	}
	return b.String(), true
}

func registerParseExact() {
	parse := func(a []any) (any, error) {
		s, _ := a[0].(string)
		f, _ := a[1].(string)
		layout, ok := netLayout(f)
		if !ok {
			return nil, exc("FormatException", "The format '%s' is not supported by DateTime.ParseExact in policy expressions.", f)
		}
		t, err := time.Parse(layout, s)
		if err != nil {
			return nil, exc("FormatException", "String '%s' was not recognized as a valid DateTime.", s)
		}
		return t.UTC(), nil
	}
	static("DateTime", "ParseExact", ts(tString, tString, tObject), tDateTime, parse, nil)
}
