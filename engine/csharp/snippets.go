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
	registerArrayCopyGuid()
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
	if v = jsonNil(v); v == nil {
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
	it = jsonNil(it) // the serializer reads a JSON null as null
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
	if it == nil || isJNull(it) {
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

// stringComparers are the StringComparer properties, each comparing as the
// StringComparison of the same name.
var stringComparers = map[string]bool{"Ordinal": true, "OrdinalIgnoreCase": true, "InvariantCulture": true,
	"InvariantCultureIgnoreCase": true, "CurrentCulture": true, "CurrentCultureIgnoreCase": true}

// containsWithComparer rewrites seq.Contains(value, StringComparer.X) as
// seq.Any(e => string.Equals(e, value, StringComparison.X)): Enumerable's
// Contains with a comparer calls comparer.Equals(element, value) on each
// element until one is true. nil when n is not such a call (the comparer
// must be written StringComparer.X).
func containsWithComparer(n *Call, m *Member) *Call {
	if m.Name != "Contains" || len(n.Args) != 2 || n.Args[0].Name != "" || n.Args[1].Name != "" || n.Args[0].Out || n.Args[1].Out {
		return nil
	}
	cm, ok := n.Args[1].X.(*Member)
	if !ok || !stringComparers[cm.Name] || cm.Cond {
		return nil
	}
	if tn, ok := cm.X.(*Name); !ok || tn.Name != "StringComparer" {
		if mm, ok := cm.X.(*Member); !ok || mm.Name != "StringComparer" {
			return nil
		} else if sn, ok := mm.X.(*Name); !ok || sn.Name != "System" {
			return nil
		}
	}
	off := cm.Off
	param := "__snipCmpElem"
	cmp := &Member{node: node{Off: off}, X: &Name{node: node{Off: off}, Name: "StringComparison"}, Name: cm.Name, NameOff: cm.NameOff}
	eq := &Call{node: node{Off: n.Off}, F: &Member{node: node{Off: n.Off}, X: &Name{node: node{Off: n.Off}, Name: "string"}, Name: "Equals", NameOff: m.NameOff},
		Args: []*Arg{{Off: off, X: &Name{node: node{Off: off}, Name: param}}, {Off: n.Args[0].Off, X: n.Args[0].X}, {Off: off, X: cmp}}}
	lam := &Lambda{node: node{Off: n.Args[0].Off}, Params: []string{param}, Body: eq}
	return &Call{node: n.node, F: &Member{node: m.node, X: m.X, Name: "Any", NameOff: m.NameOff, Cond: m.Cond}, Args: []*Arg{{Off: n.Args[0].Off, X: lam}}}
}

func registerArrayCopyGuid() {
	// Array.Copy(source, sourceIndex, destination, destinationIndex, length)
	// and Array.Copy(source, destination, length): .NET's checks and
	// messages; overlapping ranges of one array copy as if through a buffer.
	copyRun := func(src, dst any, si, di, n int) (any, error) {
		if src == nil {
			return nil, argNull("sourceArray")
		}
		if dst == nil {
			return nil, argNull("destinationArray")
		}
		if n < 0 {
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'length')")
		}
		if si < 0 {
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'sourceIndex')")
		}
		if di < 0 {
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'destinationIndex')")
		}
		slen, dlen := copyLen(src), copyLen(dst)
		if slen < 0 || dlen < 0 {
			return nil, exc("ArrayTypeMismatchException", "Source array type cannot be assigned to destination array type.")
		}
		if si+n > slen {
			return nil, exc("ArgumentException", "Source array was not long enough. Check the source index, length, and the array's lower bounds. (Parameter 'sourceArray')")
		}
		if di+n > dlen {
			return nil, exc("ArgumentException", "Destination array was not long enough. Check the destination index, length, and the array's lower bounds. (Parameter 'destinationArray')")
		}
		switch d := dst.(type) {
		case []byte:
			s, ok := src.([]byte)
			if !ok { // int[] to byte[] narrows: .NET refuses it
				return nil, exc("ArrayTypeMismatchException", "Source array type cannot be assigned to destination array type.")
			}
			copy(d[di:di+n], s[si:si+n])
		case []any:
			switch s := src.(type) {
			case []any:
				copy(d[di:di+n], s[si:si+n])
			case []byte: // byte[] to int[] (or object[]) widens, as .NET allows
				for i := 0; i < n; i++ {
					d[di+i] = int(s[si+i])
				}
			}
		}
		return nil, nil
	}
	// one overload per arity (the table's rule): the arrays are checked when
	// the copy runs
	static("Array", "Copy", ts(tObject, tInt, tObject, tInt, tInt), tVoid, func(a []any) (any, error) {
		return copyRun(a[0], a[2], toInt(a[1]), toInt(a[3]), toInt(a[4]))
	}, nil)
	static("Array", "Copy", ts(tObject, tObject, tInt), tVoid, func(a []any) (any, error) {
		return copyRun(a[0], a[1], 0, 0, toInt(a[2]))
	}, nil)

	// new Guid(byte[]): the bytes in ToByteArray's order (the first three
	// groups little-endian); new Guid(string): Guid.Parse's formats.
	parse := statics["Guid"]["Parse"][0]
	static("Guid", "new", ts(tObject), tGuid, func(a []any) (any, error) {
		switch b := a[0].(type) {
		case nil:
			return nil, argNull("b")
		case string:
			return parse.run(a)
		case []byte:
			if len(b) != 16 {
				return nil, exc("ArgumentException", "Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')")
			}
			var g Guid
			copy(g[:], []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]})
			copy(g[8:], b[8:])
			return g, nil
		}
		return nil, castErr(a[0], "System.Byte[]")
	}, nil)
}

// copyLen is the length of a byte[] or another array, -1 for anything else.
func copyLen(v any) int {
	switch x := v.(type) {
	case []byte:
		return len(x)
	case []any:
		return len(x)
	}
	return -1
}
