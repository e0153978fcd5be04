package policies

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ---------------------------------------------------------------- XML -> JSON

// xmlToJSONOptions are xml-to-json's attributes, evaluated.
type xmlToJSONOptions struct {
	JavaScriptFriendly bool   // kind="javascript-friendly" (false: "direct")
	AlwaysArray        bool   // always-array-child-elements
	RawNames           bool   // keep soap:Body (Liquid binding) instead of soap$Body
	XsiNil             string // "": no special case; "null"/"blank": xsi:nil="true" elements become null / ""
}

type xnode struct {
	name  string     // as written, prefix:local
	attrs []xml.Attr // Name.Space holds the prefix as written
	kids  []*xnode   // child elements
	text  []string   // text runs (whitespace-only runs between elements dropped)
}

// xmlToJSON converts an XML document to JSON: the XML declaration's
// attributes (direct only) and then the root element as one member.
func xmlToJSON(data []byte, o xmlToJSONOptions) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var decl []xml.Attr
	var root *xnode
	var stack []*xnode
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && root == nil {
				decl = parseDecl(string(t.Inst))
			}
		case xml.StartElement:
			if len(stack) >= maxConvertDepth {
				return nil, errTooDeep
			}
			n := &xnode{name: rawName(t.Name), attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("invalid XML: more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != rawName(t.Name) {
				return nil, fmt.Errorf("invalid XML: unexpected </%s>", rawName(t.Name))
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("invalid XML: text outside the root element")
				}
				continue
			}
			if len(bytes.TrimSpace(t)) > 0 {
				p := stack[len(stack)-1]
				p.text = append(p.text, string(t))
			}
		}
	}
	if root == nil {
		return nil, errors.New("invalid XML: no root element")
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("invalid XML: <%s> is not closed", stack[len(stack)-1].name)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	if !o.JavaScriptFriendly {
		for _, a := range decl {
			writeJSONString(&b, a.Name.Local)
			b.WriteByte(':')
			writeJSONString(&b, a.Value)
			b.WriteByte(',')
		}
	}
	writeJSONString(&b, o.name(root.name))
	b.WriteByte(':')
	writeXnode(&b, root, o)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// jsonName writes a prefixed XML name with "$" for ":" (soap:Body becomes
// soap$Body), as APIM does.
func jsonName(s string) string { return strings.ReplaceAll(s, ":", "$") }

// parseDecl reads version="1.0" encoding="utf-8" from <?xml …?>.
func parseDecl(inst string) []xml.Attr {
	d := xml.NewDecoder(strings.NewReader("<x " + inst + "/>"))
	tok, err := d.Token()
	if err != nil {
		return nil
	}
	if se, ok := tok.(xml.StartElement); ok {
		return se.Attr
	}
	return nil
}

func (o xmlToJSONOptions) name(s string) string {
	if o.RawNames {
		return s
	}
	return jsonName(s)
}

func isXsiNil(n *xnode) bool {
	for _, a := range n.attrs {
		if a.Name.Local == "nil" && a.Name.Space != "" && strings.TrimSpace(a.Value) == "true" {
			return true
		}
	}
	return false
}

func isXmlns(a xml.Attr) bool {
	return (a.Name.Space == "" && a.Name.Local == "xmlns") || a.Name.Space == "xmlns"
}

func writeXnode(b *bytes.Buffer, n *xnode, o xmlToJSONOptions) {
	if o.XsiNil != "" && isXsiNil(n) {
		if o.XsiNil == "null" {
			b.WriteString("null")
		} else {
			b.WriteString(`""`)
		}
		return
	}
	attrs := n.attrs
	if o.JavaScriptFriendly {
		kept := attrs[:0:0]
		for _, a := range attrs {
			if !isXmlns(a) {
				kept = append(kept, a)
			}
		}
		attrs = kept
	}
	if len(attrs) == 0 && len(n.kids) == 0 {
		switch len(n.text) {
		case 0:
			b.WriteString("null")
		default:
			writeJSONString(b, strings.Join(n.text, ""))
		}
		return
	}
	// Children with the same name are grouped into one array, at the place
	// of the first.
	var order []string
	groups := map[string][]*xnode{}
	for _, k := range n.kids {
		if _, ok := groups[k.name]; !ok {
			order = append(order, k.name)
		}
		groups[k.name] = append(groups[k.name], k)
	}
	b.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	for _, a := range attrs {
		sep()
		name := o.name(rawName(a.Name))
		if !o.JavaScriptFriendly || groups[rawName(a.Name)] != nil || rawName(a.Name) == "#text" {
			name = "@" + name
		}
		writeJSONString(b, name)
		b.WriteByte(':')
		writeJSONString(b, a.Value)
	}
	switch len(n.text) {
	case 0:
	case 1:
		sep()
		b.WriteString(`"#text":`)
		writeJSONString(b, n.text[0])
	default:
		sep()
		b.WriteString(`"#text":[`)
		for i, t := range n.text {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, t)
		}
		b.WriteByte(']')
	}
	for _, name := range order {
		sep()
		writeJSONString(b, o.name(name))
		b.WriteByte(':')
		g := groups[name]
		if len(g) == 1 && !o.AlwaysArray {
			writeXnode(b, g[0], o)
			continue
		}
		b.WriteByte('[')
		for i, k := range g {
			if i > 0 {
				b.WriteByte(',')
			}
			writeXnode(b, k, o)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}
