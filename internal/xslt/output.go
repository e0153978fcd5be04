package xslt

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"

	"tollgate/internal/xpath"
)

// outputSpec is the merged xsl:output.
type outputSpec struct {
	method        string // "" (decided by the result tree), xml, html, text
	encoding      string
	omitDecl      bool
	standalone    string
	doctypePublic string
	doctypeSystem string
	cdata         map[qname]bool
	indent        *bool
	mediaType     string
}

var outputAttrs = attrsOf("method", "version", "encoding", "omit-xml-declaration", "standalone",
	"doctype-public", "doctype-system", "cdata-section-elements", "indent", "media-type")

func (c *compiler) compileOutput(n *sNode) error {
	if err := c.checkAttrs(n, outputAttrs, c.fcp); err != nil {
		return err
	}
	o := &c.ss.out
	if v, ok := n.attr("method"); ok {
		v = strings.TrimSpace(v)
		switch v {
		case "xml", "html", "text":
			o.method = v
		default:
			prefix, _, ok := splitQName(v)
			if !ok || prefix == "" {
				return errAt(n, "output method %q is not xml, html, text or a prefixed QName", v)
			}
			o.method = "xml" // vendor methods are not known: xml
		}
	}
	if v, ok := n.attr("encoding"); ok {
		v = strings.TrimSpace(v)
		if _, err := lookupEncoding(v); err != nil {
			return errAt(n, "%v", err)
		}
		o.encoding = v
	}
	var err error
	if _, ok := n.attr("omit-xml-declaration"); ok {
		if o.omitDecl, err = yesNo(n, "omit-xml-declaration", false); err != nil {
			return err
		}
	}
	if v, ok := n.attr("standalone"); ok {
		if _, err := yesNo(n, "standalone", false); err != nil {
			return err
		}
		o.standalone = strings.TrimSpace(v)
	}
	if v, ok := n.attr("doctype-public"); ok {
		o.doctypePublic = v
	}
	if v, ok := n.attr("doctype-system"); ok {
		o.doctypeSystem = v
	}
	if _, ok := n.attr("indent"); ok {
		b, err := yesNo(n, "indent", false)
		if err != nil {
			return err
		}
		o.indent = &b
	}
	if v, ok := n.attr("media-type"); ok {
		o.mediaType = v
	}
	if v, ok := n.attr("cdata-section-elements"); ok {
		if o.cdata == nil {
			o.cdata = map[qname]bool{}
		}
		for _, f := range strings.Fields(v) {
			prefix, local, ok := splitQName(f)
			if !ok {
				return errAt(n, "%q is not a QName", f)
			}
			u, ok := n.lookup(prefix)
			if !ok {
				return errAt(n, "undeclared namespace prefix %q in %q", prefix, f)
			}
			o.cdata[qname{u, local}] = true
		}
	}
	return nil
}

// outEncoding is an output encoding.
type outEncoding struct {
	name string // as written in the XML declaration
	kind int    // 0 utf-8, 1 utf-16, 2 iso-8859-1, 3 us-ascii, 4 other
	enc  encoding.Encoding
}

func lookupEncoding(label string) (*outEncoding, error) {
	switch strings.ToLower(label) {
	case "", "utf-8", "utf8":
		return &outEncoding{name: "utf-8"}, nil
	case "utf-16", "utf16":
		return &outEncoding{name: "utf-16", kind: 1}, nil
	case "iso-8859-1", "latin1", "iso_8859-1", "l1":
		return &outEncoding{name: "iso-8859-1", kind: 2}, nil
	case "us-ascii", "ascii":
		return &outEncoding{name: "us-ascii", kind: 3}, nil
	}
	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unsupported output encoding %q", label)
	}
	return &outEncoding{name: strings.ToLower(label), kind: 4, enc: enc}, nil
}

func (e *outEncoding) canEncode(r rune) bool {
	switch e.kind {
	case 0, 1:
		return true
	case 2:
		return r < 0x100
	case 3:
		return r < 0x80
	}
	if r < 0x80 {
		return true
	}
	_, err := e.enc.NewEncoder().String(string(r))
	return err == nil
}

// convert turns the UTF-8 serialization into the output encoding; the
// characters it cannot encode (left only in comments and processing
// instructions) become '?'.
func (e *outEncoding) convert(b []byte) []byte {
	switch e.kind {
	case 0:
		return b
	case 1:
		u := utf16.Encode([]rune(string(b)))
		out := make([]byte, 2, 2+2*len(u))
		out[0], out[1] = 0xFF, 0xFE
		for _, v := range u {
			out = append(out, byte(v), byte(v>>8))
		}
		return out
	case 2, 3:
		max := rune(0xFF)
		if e.kind == 3 {
			max = 0x7F
		}
		out := make([]byte, 0, len(b))
		for _, r := range string(b) {
			if r > max {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out
	}
	var out []byte
	enc := e.enc.NewEncoder()
	for _, r := range string(b) {
		s, err := enc.String(string(r))
		if err != nil {
			s = "?"
		}
		out = append(out, s...)
	}
	return out
}

// writer serializes a result tree.
type writer struct {
	buf     bytes.Buffer
	spec    *outputSpec
	method  string
	html    bool
	indent  bool
	enc     *outEncoding
	doe     map[*xpath.Node]bool
	max     int
	ns      []nsBinding
	mixed   bool
	level   int
	atText  bool // nothing written since the last text (or since the start)
	docType bool // the document type declaration is still to be written
	genNS   int
}

// serialize writes the result tree as xsl:output says.
func (s *Stylesheet) serialize(root *xpath.Node, doe map[*xpath.Node]bool, max int) ([]byte, error) {
	o := &s.out
	method := o.method
	if method == "" {
		method = "xml"
		for _, c := range root.Children {
			if c.Kind == xpath.TextNode && strings.TrimLeft(c.Data, " \t\r\n") != "" {
				break
			}
			if c.Kind == xpath.ElementNode {
				if c.Space == "" && strings.EqualFold(c.Local, "html") {
					method = "html"
				}
				break
			}
		}
	}
	enc, err := lookupEncoding(o.encoding)
	if err != nil {
		return nil, err
	}
	w := &writer{spec: o, method: method, html: method == "html", enc: enc, doe: doe, max: max, atText: true}
	if o.indent != nil {
		w.indent = *o.indent
	} else {
		w.indent = method == "html"
	}
	switch method {
	case "text":
		var walk func(n *xpath.Node)
		walk = func(n *xpath.Node) {
			for _, c := range n.Children {
				switch c.Kind {
				case xpath.TextNode:
					w.buf.WriteString(c.Data)
				case xpath.ElementNode:
					walk(c)
				}
			}
		}
		walk(root)
	default:
		if method == "xml" && !o.omitDecl {
			w.buf.WriteString(`<?xml version="1.0" encoding="`)
			w.buf.WriteString(enc.name)
			w.buf.WriteString(`"`)
			if o.standalone != "" {
				w.buf.WriteString(` standalone="` + o.standalone + `"`)
			}
			w.buf.WriteString("?>")
			w.atText = false
		}
		w.docType = o.doctypeSystem != "" || (w.html && o.doctypePublic != "")
		for _, c := range root.Children {
			if err := w.node(c); err != nil {
				return nil, err
			}
		}
	}
	if w.buf.Len() > max {
		return nil, fmt.Errorf("output exceeds MaxOutput (%d bytes)", max)
	}
	return enc.convert(w.buf.Bytes()), nil
}

func (w *writer) writeIndent(level int) {
	w.buf.WriteByte('\n')
	for i := 0; i < level; i++ {
		w.buf.WriteString("  ")
	}
}

// beforeMarkup indents before a start tag, comment or processing
// instruction as .NET's indenting XmlWriter does: not inside mixed
// content, not at the very start.
func (w *writer) beforeMarkup() {
	if w.indent && !w.mixed && !w.atText {
		w.writeIndent(w.level)
	}
	w.atText = false
}

func (w *writer) node(n *xpath.Node) error {
	switch n.Kind {
	case xpath.ElementNode:
		return w.element(n)
	case xpath.TextNode:
		w.textNode(n)
	case xpath.CommentNode:
		w.beforeMarkup()
		w.buf.WriteString("<!--")
		w.buf.WriteString(n.Data)
		w.buf.WriteString("-->")
	case xpath.ProcInstNode:
		w.beforeMarkup()
		w.buf.WriteString("<?")
		w.buf.WriteString(n.Local)
		if n.Data != "" {
			w.buf.WriteByte(' ')
			w.buf.WriteString(n.Data)
		}
		if w.html {
			w.buf.WriteString(">")
		} else {
			w.buf.WriteString("?>")
		}
	}
	if w.buf.Len() > w.max {
		return fmt.Errorf("output exceeds MaxOutput (%d bytes)", w.max)
	}
	return nil
}

func (w *writer) textNode(n *xpath.Node) {
	if n.Data == "" {
		return
	}
	w.mixed = true
	w.atText = true
	p := n.Parent
	switch {
	case w.doe[n]:
		w.buf.WriteString(n.Data)
	case p != nil && p.Kind == xpath.ElementNode && w.spec.cdata[qname{p.Space, p.Local}] && !w.html:
		w.cdata(n.Data)
	case w.html && p != nil && p.Kind == xpath.ElementNode && p.Space == "" &&
		(strings.EqualFold(p.Local, "script") || strings.EqualFold(p.Local, "style")):
		w.buf.WriteString(n.Data)
	default:
		w.escapeText(n.Data)
	}
}

func (w *writer) cdata(s string) {
	for {
		i := strings.Index(s, "]]>")
		if i < 0 {
			break
		}
		w.cdataPart(s[:i+2])
		s = s[i+2:]
	}
	w.cdataPart(s)
}

func (w *writer) cdataPart(s string) {
	if s == "" {
		return
	}
	// characters the encoding lacks leave the section as references
	start := 0
	open := false
	for i, r := range s {
		if w.enc.canEncode(r) {
			if !open {
				w.buf.WriteString("<![CDATA[")
				open = true
			}
			continue
		}
		if open {
			w.buf.WriteString(s[start:i])
			w.buf.WriteString("]]>")
			open = false
		}
		fmt.Fprintf(&w.buf, "&#x%X;", r)
		start = i + utf8.RuneLen(r)
	}
	if open {
		w.buf.WriteString(s[start:])
		w.buf.WriteString("]]>")
	} else if start < len(s) {
		w.buf.WriteString("<![CDATA[" + s[start:] + "]]>")
	}
}

func (w *writer) charRef(r rune) {
	fmt.Fprintf(&w.buf, "&#x%X;", r)
}

func (w *writer) escapeText(s string) {
	w.escape(s, func(_ int, r rune) string {
		switch r {
		case '<':
			return "&lt;"
		case '>':
			return "&gt;"
		case '&':
			return "&amp;"
		case '\r':
			return "&#xD;"
		}
		return ""
	})
}

func (w *writer) escapeAttr(s string, html bool) {
	w.escape(s, func(i int, r rune) string {
		switch r {
		case '<':
			if !html {
				return "&lt;"
			}
		case '>':
			if !html {
				return "&gt;"
			}
		case '&':
			if !html || i+1 >= len(s) || s[i+1] != '{' { // html keeps &{ (a script macro)
				return "&amp;"
			}
		case '"':
			return "&quot;"
		case '\t':
			return "&#x9;"
		case '\n':
			return "&#xA;"
		case '\r':
			return "&#xD;"
		}
		return ""
	})
}

// escape writes s with each rune that rep replaces replaced, and each
// other one the output encoding lacks as a character reference.
func (w *writer) escape(s string, rep func(i int, r rune) string) {
	last := 0
	for i, r := range s {
		x := rep(i, r)
		if x == "" && (r < 0x80 || w.enc.canEncode(r)) {
			continue
		}
		w.buf.WriteString(s[last:i])
		if x != "" {
			w.buf.WriteString(x)
		} else {
			w.charRef(r)
		}
		last = i + utf8.RuneLen(r)
	}
	w.buf.WriteString(s[last:])
}

// lookupNS is the URI prefix is bound to in the output so far.
func (w *writer) lookupNS(prefix string) (string, bool) {
	if prefix == "xml" {
		return xpath.XMLNamespace, true
	}
	for i := len(w.ns) - 1; i >= 0; i-- {
		if w.ns[i].prefix == prefix {
			return w.ns[i].uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

var htmlEmpty = map[string]bool{"area": true, "base": true, "basefont": true, "br": true, "col": true,
	"frame": true, "hr": true, "img": true, "input": true, "isindex": true, "link": true, "meta": true, "param": true}

// htmlInline are the HTML inline elements: indentation treats them like
// text, so that it never adds whitespace that would render.
var htmlInline = map[string]bool{"a": true, "abbr": true, "acronym": true, "b": true, "basefont": true,
	"bdo": true, "big": true, "br": true, "button": true, "cite": true, "code": true, "dfn": true, "em": true,
	"font": true, "i": true, "img": true, "input": true, "kbd": true, "label": true, "map": true,
	"object": true, "q": true, "s": true, "samp": true, "select": true, "small": true, "span": true,
	"strike": true, "strong": true, "sub": true, "sup": true, "textarea": true, "tt": true, "u": true,
	"var": true}

var htmlBoolean = map[string]bool{"checked": true, "compact": true, "declare": true, "defer": true,
	"disabled": true, "ismap": true, "multiple": true, "nohref": true, "noresize": true, "noshade": true,
	"nowrap": true, "readonly": true, "selected": true}

var htmlURIAttr = map[string]bool{"href": true, "src": true, "action": true, "cite": true, "background": true,
	"codebase": true, "data": true, "longdesc": true, "profile": true, "usemap": true, "classid": true}

func (w *writer) element(e *xpath.Node) error {
	isHTML := w.html && e.Space == ""
	lower := ""
	if isHTML {
		lower = strings.ToLower(e.Local)
	}
	if w.docType {
		w.docType = false
		w.beforeMarkup()
		name := qn(e.Prefix, e.Local)
		if w.html {
			name = "html"
		}
		w.buf.WriteString("<!DOCTYPE " + name)
		switch {
		case w.spec.doctypePublic != "" && w.spec.doctypeSystem != "":
			w.buf.WriteString(` PUBLIC "` + w.spec.doctypePublic + `" "` + w.spec.doctypeSystem + `"`)
		case w.spec.doctypePublic != "":
			w.buf.WriteString(` PUBLIC "` + w.spec.doctypePublic + `"`)
		default:
			w.buf.WriteString(` SYSTEM "` + w.spec.doctypeSystem + `"`)
		}
		w.buf.WriteString(">")
	}
	if isHTML && htmlInline[lower] {
		// inline elements are content: no line breaks around them
		w.mixed = true
	}
	w.beforeMarkup()
	mark := len(w.ns)
	declStart := len(w.ns)
	declared := func(p string) (string, bool) {
		for i := declStart; i < len(w.ns); i++ {
			if w.ns[i].prefix == p {
				return w.ns[i].uri, true
			}
		}
		return "", false
	}
	declare := func(p, u string) { w.ns = append(w.ns, nsBinding{p, u}) }
	prefix := e.Prefix
	if e.Space == "" {
		prefix = ""
		if u, _ := w.lookupNS(""); u != "" {
			declare("", "")
		}
	} else if prefix == "xml" && e.Space == xpath.XMLNamespace {
		// always bound
	} else if u, ok := w.lookupNS(prefix); !ok || u != e.Space {
		if prefix == "xml" || prefix == "xmlns" {
			prefix = w.newPrefix()
		}
		declare(prefix, e.Space)
	}
	for _, d := range e.NSDecls {
		if d.Local == "xml" || d.Local == "xmlns" {
			continue
		}
		if u, ok := w.lookupNS(d.Local); ok && u == d.Data {
			continue
		}
		if _, ok := declared(d.Local); ok {
			continue
		}
		if d.Data == "" && d.Local != "" {
			continue // XML 1.0 cannot undeclare a prefix
		}
		declare(d.Local, d.Data)
	}
	attrNames := make([]string, len(e.Attrs))
	for i, a := range e.Attrs {
		switch {
		case a.Space == "":
			attrNames[i] = a.Local
		case a.Space == xpath.XMLNamespace:
			attrNames[i] = "xml:" + a.Local
		default:
			p := a.Prefix
			if p != "" && p != "xml" && p != "xmlns" {
				if u, ok := w.lookupNS(p); ok && u == a.Space {
					attrNames[i] = p + ":" + a.Local
					continue
				}
				if _, ok := declared(p); !ok {
					if _, bound := w.lookupNS(p); !bound || p != prefix {
						declare(p, a.Space)
						attrNames[i] = p + ":" + a.Local
						continue
					}
				}
			}
			// any prefix already bound to the namespace
			found := ""
			for j := len(w.ns) - 1; j >= 0; j-- {
				b := w.ns[j]
				if b.uri == a.Space && b.prefix != "" {
					if u, _ := w.lookupNS(b.prefix); u == a.Space {
						found = b.prefix
						break
					}
				}
			}
			if found == "" {
				found = w.newPrefix()
				declare(found, a.Space)
			}
			attrNames[i] = found + ":" + a.Local
		}
	}
	name := qn(prefix, e.Local)
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	for _, b := range w.ns[declStart:] {
		if b.prefix == "" {
			w.buf.WriteString(` xmlns="`)
		} else {
			w.buf.WriteString(` xmlns:` + b.prefix + `="`)
		}
		w.escapeAttr(b.uri, false)
		w.buf.WriteByte('"')
	}
	for i, a := range e.Attrs {
		if isHTML && a.Space == "" {
			la := strings.ToLower(a.Local)
			if htmlBoolean[la] && strings.EqualFold(a.Data, a.Local) {
				w.buf.WriteString(" " + attrNames[i])
				continue
			}
			w.buf.WriteString(" " + attrNames[i] + `="`)
			if htmlURIAttr[la] {
				w.escapeAttr(escapeURI(a.Data), true)
			} else {
				w.escapeAttr(a.Data, true)
			}
			w.buf.WriteByte('"')
			continue
		}
		w.buf.WriteString(" " + attrNames[i] + `="`)
		w.escapeAttr(a.Data, false)
		w.buf.WriteByte('"')
	}
	parentMixed := w.mixed
	if w.level == 0 {
		w.mixed = false
	}
	w.level++
	defer func() {
		w.level--
		w.mixed = parentMixed
		w.atText = false
		w.ns = w.ns[:mark]
	}()
	meta := isHTML && lower == "head"
	if len(e.Children) == 0 && !meta {
		switch {
		case isHTML && htmlEmpty[lower]:
			w.buf.WriteByte('>')
		case isHTML:
			w.buf.WriteString("></" + name + ">")
		default:
			w.buf.WriteString(" />")
		}
		return nil
	}
	w.buf.WriteByte('>')
	if meta {
		w.beforeMarkup()
		w.buf.WriteString(`<META http-equiv="Content-Type" content="` + w.mediaType() + `; charset=` + w.enc.name + `">`)
	}
	for _, c := range e.Children {
		if err := w.node(c); err != nil {
			return err
		}
	}
	if w.indent && !w.mixed {
		w.writeIndent(w.level - 1)
	}
	w.buf.WriteString("</" + name + ">")
	if w.buf.Len() > w.max {
		return fmt.Errorf("output exceeds MaxOutput (%d bytes)", w.max)
	}
	return nil
}

func (w *writer) mediaType() string {
	if w.spec.mediaType != "" {
		return w.spec.mediaType
	}
	return "text/html"
}

func (w *writer) newPrefix() string {
	for {
		p := fmt.Sprintf("ns%d", w.genNS)
		w.genNS++
		if _, ok := w.lookupNS(p); !ok {
			return p
		}
	}
}

// escapeURI %-escapes the non-ASCII characters of a URI attribute value
// (as UTF-8), as the html output method asks.
func escapeURI(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
