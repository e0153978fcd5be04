package csharp

// Members found missing by loading Microsoft's public APIM policy snippets
// (Azure/api-management-policy-snippets); see docs/expressions-csharp.md.

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

func registerSnippetGaps() {
	cert := func(v any) (*X509Cert, error) {
		x, ok := v.(*X509Cert)
		if !ok || x == nil {
			return nil, errNull
		}
		return x, nil
	}
	// Guid.GetHashCode(): .NET's (Core, 5+) XOR of the four 32-bit words of the
	// Guid in memory, i.e. of ToByteArray() read as little-endian ints.
	method(KGuid, "GetHashCode", ts(), tInt, func(a []any) (any, error) {
		g := a[0].(Guid)
		b := g[:]
		le := []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]}
		le = append(le, b[8:]...)
		h := binary.LittleEndian.Uint32(le[0:]) ^ binary.LittleEndian.Uint32(le[4:]) ^
			binary.LittleEndian.Uint32(le[8:]) ^ binary.LittleEndian.Uint32(le[12:])
		return int(int32(h)), nil
	}, nil)

	// X509Certificate2.GetCertHash(): the SHA-1 of the DER certificate (the
	// Thumbprint's bytes); GetCertHashString(): the Thumbprint.
	method(KX509, "GetCertHash", ts(), tBytes, func(a []any) (any, error) {
		x, err := cert(a[0])
		if err != nil {
			return nil, err
		}
		s := sha1.Sum(x.c.Raw)
		return s[:], nil
	}, nil)
	method(KX509, "GetCertHashString", ts(), tString, func(a []any) (any, error) {
		x, err := cert(a[0])
		if err != nil {
			return nil, err
		}
		s := sha1.Sum(x.c.Raw)
		return strings.ToUpper(hex.EncodeToString(s[:])), nil
	}, nil)

	// JsonConvert.DeserializeObject<List<T>>(json) (also T[], IEnumerable<T>...)
	// for T string, int, long, double, bool: a JSON array whose items convert to T.
	for _, et := range []*Type{tString, tInt, tLong, tDouble, tBool} {
		et := et
		static("JsonConvert", "DeserializeObject<"+et.Name+"[]>", ts(tString), arrayOf(et), func(a []any) (any, error) {
			return deserializeList(a[0], et)
		}, nil)
	}
}

// deserializeList reads a JSON array into a list of et as Json.NET's
// serializer does: null text is null, items convert (a number to a string is
// its text, a whole number to a double its value); a JSON null item of a value
// type, a non-array, or an item of another kind is a JsonSerializationException.
func deserializeList(text any, et *Type) (any, error) {
	s, err := str(text)
	if err != nil || s == "" {
		return nil, argNull("value")
	}
	v, err := statics["JToken"]["Parse"][0].run([]any{s})
	if err != nil {
		return nil, err // JToken.Parse's JsonReaderException
	}
	if v == nil {
		return nil, nil
	}
	arr, ok := v.(*JArray)
	if !ok {
		return nil, exc("JsonSerializationException", "Cannot deserialize the current JSON object (e.g. {\"name\":\"value\"}) into type 'System.Collections.Generic.List`1[%s]' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly.", netTypeName(et))
	}
	out := make([]any, 0, len(arr.Items))
	for i, it := range arr.Items {
		c, ok := convertListItem(it, et)
		if !ok {
			return nil, exc("JsonSerializationException", "Error converting value %s to type '%s'. Path '[%d]'.", jsonItemText(it), netTypeName(et), i)
		}
		out = append(out, c)
	}
	return out, nil
}

func convertListItem(it any, et *Type) (any, bool) {
	switch et {
	case tString:
		switch x := it.(type) {
		case nil:
			return nil, true
		case string:
			return x, true
		case int:
			return jsonText(x, false), true
		case float64:
			return formatDouble(x), true
		case bool:
			if x {
				return "True", true
			}
			return "False", true
		}
	case tInt, tLong:
		x, ok := it.(int)
		if s, isStr := it.(string); isStr { // Json.NET's reader also takes a number in a string
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			x, ok = int(n), err == nil
		}
		if ok && et == tInt && (x > 2147483647 || x < -2147483648) {
			return nil, false
		}
		return x, ok
	case tDouble:
		switch x := it.(type) {
		case int:
			return float64(x), true
		case float64:
			return x, true
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			return f, err == nil
		}
	case tBool:
		switch x := it.(type) {
		case bool:
			return x, true
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true":
				return true, true
			case "false":
				return false, true
			}
		}
	}
	return nil, false
}

func jsonItemText(it any) string {
	if it == nil {
		return "{null}"
	}
	return jsonText(it, false)
}

func netTypeName(t *Type) string {
	switch t {
	case tString:
		return "System.String"
	case tInt:
		return "System.Int32"
	case tLong:
		return "System.Int64"
	case tDouble:
		return "System.Double"
	case tBool:
		return "System.Boolean"
	}
	return t.Name
}
