package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The JSON <-> XML conversions of json-to-xml and xml-to-json, as plain
// functions over bytes. They follow the shapes APIM's documentation shows
// (see docs/policies-transform.md for each rule and where tollgate had to
// choose because APIM does not say).

// maxConvertDepth bounds nesting in either direction: deeper documents are
// refused rather than recursed into.
const maxConvertDepth = 512

var errTooDeep = errors.New("the document is nested more than 512 levels deep")

// ---------------------------------------------------------------- JSON -> XML

// jsonToXMLOptions are json-to-xml's attributes, evaluated.
type jsonToXMLOptions struct {
	ParseDate          bool
	NamespaceSeparator string // "" : names are never split
	NamespacePrefix    string // "" : no property declares a namespace
	AttributeBlockName string // "" : no attribute block
}

// jval is a JSON value that keeps the order of object members.
type jval struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	vals []*jval
	s    string
}

func decodeOrdered(data []byte) (*jval, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jval, error) {
	if depth > maxConvertDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jval{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("invalid JSON: %w", err)
				}
				k, _ := kt.(string)
				c, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, c)
			}
			_, err := dec.Token()
			return v, err
		case '[':
			v := &jval{kind: 'a'}
			for dec.More() {
				c, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, c)
			}
			_, err := dec.Token()
			return v, err
		}
	case string:
		return &jval{kind: 's', s: t}, nil
	case json.Number:
		return &jval{kind: 'n', s: t.String()}, nil
	case bool:
		return &jval{kind: 'b', s: strconv.FormatBool(t)}, nil
	case nil:
		return &jval{kind: 'z'}, nil
	}
	return nil, errors.New("invalid JSON")
}

// jsonToXML converts a JSON document to XML. An object with a single
// member whose value is not an array becomes that element; anything else is
// wrapped in <Document> (array items at the top level are <Array>
// elements).
func jsonToXML(data []byte, o jsonToXMLOptions) ([]byte, error) {
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, err
	}
	w := &xmlWriter{o: o}
	if v.kind == 'o' && len(v.keys) == 1 && v.vals[0].kind != 'a' && !w.isSpecial(v.keys[0]) {
		w.element(v.keys[0], v.vals[0], 0)
	} else if v.kind == 'a' {
		w.element("Document", &jval{kind: 'o', keys: []string{"Array"}, vals: []*jval{v}}, 0)
	} else {
		w.element("Document", v, 0)
	}
	return w.b.Bytes(), nil
}

type xmlWriter struct {
	b bytes.Buffer
	o jsonToXMLOptions
	// scope counts the declarations of each namespace prefix by the
	// elements being written: each element adds its own and takes them
	// back when it ends (a copy of the map per declaration made a body of
	// thousands of them take minutes).
	scope map[string]int
}

func (w *xmlWriter) isNamespaceDecl(k string) bool {
	return w.o.NamespacePrefix != "" && strings.HasPrefix(k, w.o.NamespacePrefix)
}

func (w *xmlWriter) isSpecial(k string) bool {
	return w.isNamespaceDecl(k) || (w.o.AttributeBlockName != "" && k == w.o.AttributeBlockName)
}

// qname maps a JSON member name to an XML name: "p<sep>local" becomes
// "p:local" when prefix p is declared in scope; every other character that
// XML does not allow in a name is encoded as _xHHHH_ (XmlConvert.EncodeName).
func (w *xmlWriter) qname(k string) string {
	if sep := w.o.NamespaceSeparator; sep != "" {
		if i := strings.Index(k, sep); i > 0 && i+len(sep) < len(k) && w.scope[k[:i]] > 0 {
			return encodeXMLName(k[:i]) + ":" + encodeXMLName(k[i+len(sep):])
		}
	}
	return encodeXMLName(k)
}

// nsDecl turns a namespace member name into its xmlns attribute name
// ("xmlns" or "xmlns:p") and the prefix it declares ("" for the default).
func (w *xmlWriter) nsDecl(k string) (attr, prefix string) {
	rest := k[len(w.o.NamespacePrefix):]
	if rest == "" {
		return "xmlns", ""
	}
	if sep := w.o.NamespaceSeparator; sep != "" && strings.HasPrefix(rest, sep) {
		rest = rest[len(sep):]
	} else if strings.HasPrefix(rest, ":") {
		rest = rest[1:]
	}
	return "xmlns:" + encodeXMLName(rest), rest
}

func (w *xmlWriter) indent(depth int) {
	for range depth {
		w.b.WriteString("  ")
	}
}

// element writes <name …>…</name> for v at depth; w.scope holds the
// namespace prefixes declared by ancestors.
func (w *xmlWriter) element(name string, v *jval, depth int) {
	if v.kind == 'a' {
		for i, item := range v.vals {
			if i > 0 {
				w.b.WriteByte('\n')
			}
			if item.kind == 'a' { // an array in an array: one wrapping element
				w.element(name, &jval{kind: 'o', keys: []string{name}, vals: []*jval{item}}, depth)
				continue
			}
			w.element(name, item, depth)
		}
		return
	}
	var attrs [][2]string
	var kids []int        // indexes of member elements
	var declared []string // the prefixes this element declares
	if v.kind == 'o' {
		// Namespace declarations first: they scope this element's own name.
		for i, k := range v.keys {
			if w.isNamespaceDecl(k) {
				a, p := w.nsDecl(k)
				if w.scope == nil {
					w.scope = map[string]int{}
				}
				w.scope[p]++
				declared = append(declared, p)
				attrs = append(attrs, [2]string{a, w.text(v.vals[i])})
			}
		}
		if len(declared) > 0 {
			defer func() {
				for _, p := range declared {
					w.scope[p]--
				}
			}()
		}
		for i, k := range v.keys {
			switch {
			case w.isNamespaceDecl(k):
			case w.o.AttributeBlockName != "" && k == w.o.AttributeBlockName && v.vals[i].kind == 'o':
				blk := v.vals[i]
				for j, ak := range blk.keys {
					attrs = append(attrs, [2]string{w.qname(ak), w.text(blk.vals[j])})
				}
			default:
				kids = append(kids, i)
			}
		}
	}
	w.indent(depth)
	qn := w.qname(name)
	w.b.WriteByte('<')
	w.b.WriteString(qn)
	for _, a := range attrs {
		w.b.WriteByte(' ')
		w.b.WriteString(a[0])
		w.b.WriteString(`="`)
		escapeXML(&w.b, a[1], true)
		w.b.WriteByte('"')
	}
	switch {
	case v.kind == 'o' && len(kids) == 0, v.kind == 'z':
		w.b.WriteString(" />")
	case v.kind == 'o':
		w.b.WriteString(">\n")
		for n, i := range kids {
			if n > 0 {
				w.b.WriteByte('\n')
			}
			w.element(v.keys[i], v.vals[i], depth+1)
		}
		w.b.WriteByte('\n')
		w.indent(depth)
		w.b.WriteString("</")
		w.b.WriteString(qn)
		w.b.WriteByte('>')
	default:
		t := w.text(v)
		if t == "" {
			w.b.WriteString(" />")
			return
		}
		w.b.WriteByte('>')
		escapeXML(&w.b, t, false)
		w.b.WriteString("</")
		w.b.WriteString(qn)
		w.b.WriteByte('>')
	}
}

// text is a scalar's XML text (objects and arrays as attribute values are
// written as their JSON).
func (w *xmlWriter) text(v *jval) string {
	switch v.kind {
	case 's':
		if w.o.ParseDate {
			if d, ok := normalizeDate(v.s); ok {
				return d
			}
		}
		return v.s
	case 'n', 'b':
		return v.s
	case 'z':
		return ""
	}
	var b bytes.Buffer
	writeJval(&b, v)
	return b.String()
}

func writeJval(b *bytes.Buffer, v *jval) {
	switch v.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJval(b, v.vals[i])
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, c := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJval(b, c)
		}
		b.WriteByte(']')
	case 's':
		writeJSONString(b, v.s)
	case 'z':
		b.WriteString("null")
	default:
		b.WriteString(v.s)
	}
}

// dateLayouts are the ISO 8601 forms Json.NET recognises as dates.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"}

// normalizeDate gives an ISO 8601 date-time the form .NET writes it in
// (round-trip: seconds always present, fraction without trailing zeros,
// the zone as written: Z, an offset, or none).
func normalizeDate(s string) (string, bool) {
	if len(s) < 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' {
		return "", false
	}
	for i, l := range dateLayouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if i < 2 {
			if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
				return t.Format("2006-01-02T15:04:05.9999999Z"), true
			}
			return t.Format("2006-01-02T15:04:05.9999999-07:00"), true
		}
		return t.Format("2006-01-02T15:04:05.9999999"), true
	}
	return "", false
}

// encodeXMLName makes k a valid XML name the way .NET's
// XmlConvert.EncodeName does: each character not allowed is written as
// _xHHHH_ (an underscore that would read as such an escape is escaped too).
func encodeXMLName(k string) string {
	if k == "" {
		return "_"
	}
	ok := true
	for i, r := range k {
		if !xmlNameRune(r, i == 0) || (r == '_' && looksEscaped(k[i:])) {
			ok = false
			break
		}
	}
	if ok {
		return k
	}
	var b strings.Builder
	for i, r := range k {
		if !xmlNameRune(r, i == 0) || (r == '_' && looksEscaped(k[i:])) {
			if r > 0xFFFF {
				fmt.Fprintf(&b, "_x%08X_", r)
			} else {
				fmt.Fprintf(&b, "_x%04X_", r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// looksEscaped reports whether s starts with what DecodeName would read
// as an escape: _x or _X, then four hex digits and _, or eight and _ (the
// pattern .NET's EncodeName escapes an underscore before).
func looksEscaped(s string) bool {
	if len(s) < 7 || s[0] != '_' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	hex := func(t string) bool {
		for i := 0; i < len(t); i++ {
			if c := t[i] | 0x20; !('0' <= t[i] && t[i] <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	if !hex(s[2:6]) {
		return false
	}
	if s[6] == '_' {
		return true
	}
	return len(s) >= 11 && hex(s[6:10]) && s[10] == '_'
}

// xmlNameRune reports whether r may stand in an XML name (first: at its
// start) by the fourth edition's classes, as EncodeName tests them; ':' is
// left to the namespace rule (qname), so it is encoded here.
func xmlNameRune(r rune, first bool) bool {
	if r == ':' || r > 0xFFFF {
		return false
	}
	if unicode.Is(xml4eNameStart, r) {
		return true
	}
	return !first && unicode.Is(xml4eNameMore, r)
}

// escapeXML writes s as XML character data (attr: inside double quotes).
func escapeXML(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case attr && r == '"':
			b.WriteString("&quot;")
		case attr && (r == '\n' || r == '\r' || r == '\t'):
			fmt.Fprintf(b, "&#x%X;", r)
		case r == '\r':
			b.WriteString("&#xD;")
		case r < 0x20 && r != '\n' && r != '\t', r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
			b.WriteRune('\uFFFD') // not allowed in XML 1.0 at all
		default:
			b.WriteRune(r)
		}
	}
}

// writeJSONString writes s as a JSON string (without HTML escaping: the
// result is a body, not a script inside a page).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode's newline
}
