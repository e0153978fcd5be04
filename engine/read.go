package engine

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Node is one element of a policy file as written, with where it stands.
// Nodes are produced by Read and consumed by the compiler; they are not
// retained by compiled plans.
type Node struct {
	Name     string
	Pos      Pos    // the '<' of the start tag
	Path     string // inbound/choose[1]/when[2]/send-request[1]
	Attrs    []*Attr
	Children []*Node
	Text     string // character data directly inside, trimmed (expressions kept raw)
	TextPos  Pos    // first non-space character of Text

	li       *lineIndex // the lexed source (nil: not from Read)
	textOff  int        // byte offset just after the start tag in li.src
	startOff int        // byte offset of the start tag's '<' in li.src
}

// Attr is one attribute with the place of its name and of its value.
type Attr struct {
	Name     string
	Value    string
	Pos      Pos // the attribute name
	ValuePos Pos // the first character inside the quotes

	li  *lineIndex // the lexed source, to map offsets inside Value (nil: not from Read)
	off int        // byte offset of ValuePos in li.src
}

// Attr returns the attribute called name, or nil.
func (n *Node) Attr(name string) *Attr {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Placeholders for characters that XML forbids raw but APIM's "rawxml" allows
// inside @(...) and @{...}. Each is one rune, so line:col stay exact.
const (
	rawQuote = '\uE000'
	rawApos  = '\uE001'
	rawLt    = '\uE002'
	rawGt    = '\uE003'
	rawAmp   = '\uE004'
)

var unraw = strings.NewReplacer(
	string(rawQuote), `"`, string(rawApos), `'`, string(rawLt), `<`, string(rawGt), `>`, string(rawAmp), `&`)

// tagInfo records where a start tag and its attributes stand in the escaped text.
type tagInfo struct {
	start     int   // offset of '<'
	attrNames []int // offsets of each attribute name, in order
	attrVals  []int // offsets of the first byte inside each attribute's quotes
	textStart int   // offset just after the start tag's '>'
}

// ReadFile reads a policy (or any tollgate XML) file.
func ReadFile(path string) (*Node, error) {
	data, err := ReadConfigFile(path)
	if err != nil {
		return nil, &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("cannot read: %s", errText(err))}
	}
	return Read(path, data)
}

// Read parses data (named file in messages) into a Node tree. It accepts raw
// '"', '\”, '<', '>' and '&' inside @(...) and @{...} expressions, in
// attribute values and in text, as APIM's rawxml format does. Outside
// expressions, an '&' in an attribute value that starts no reference is a
// literal '&' too (rewrite-uri's reference page writes one).
func Read(file string, data []byte) (*Node, error) {
	n, _, err := read(file, data)
	return n, err
}

// read is Read, also returning the line index it used (for tests).
func read(file string, data []byte) (*Node, *lineIndex, error) {
	// A UTF-8 byte order mark may open a document, as XML allows (editors
	// on Windows write one). It is not part of line 1's columns.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lx := lexer{src: data, file: file}
	if err := lx.run(); err != nil {
		return nil, nil, err
	}
	lines := newLineIndex(file, lx.out.Bytes())

	// encoding/xml gives located syntax errors (etree does not). It does
	// not insist on one root element, so that is checked here too.
	if err := checkSyntax(lines, lx.out.Bytes()); err != nil {
		return nil, nil, err
	}

	doc := etree.NewDocument()
	doc.ReadSettings.PreserveDuplicateAttrs = true
	if err := doc.ReadFromBytes(lx.out.Bytes()); err != nil {
		return nil, nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "malformed XML: " + errText(err)}
	}
	root := doc.Root()
	if root == nil {
		return nil, nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty document: no root element"}
	}
	b := builder{tags: lx.tags, lines: lines, src: lx.out.Bytes()}
	n, err := b.build(root, "", 0)
	if err != nil {
		return nil, nil, err
	}
	return n, lines, nil
}

// checkSyntax runs encoding/xml over the lexed source and reports the first
// problem where it stands, with a hint an operator can act on.
func checkSyntax(lines *lineIndex, src []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(src))
	dec.Strict = true
	type open struct {
		name string
		off  int
	}
	var stack []open
	roots := 0
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			if roots == 0 {
				return &Error{Pos: lines.pos(0), Msg: "empty document: no root element"}
			}
			return nil
		}
		if err != nil {
			msg := err.Error()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg = se.Msg
			}
			msg = unraw.Replace(msg)
			end := int(dec.InputOffset())
			pos := lines.pos(end)
			if end <= off {
				pos = lines.pos(off)
			}
			switch {
			case strings.Contains(msg, " closed by </"), strings.HasPrefix(msg, "unexpected end element"):
				pos = lines.pos(off) // the '<' of the end tag, not the character after it
				if len(stack) > 0 {
					o := stack[len(stack)-1]
					msg += fmt.Sprintf(" (<%s> was opened at %d:%d)", o.name, lines.pos(o.off).Line, lines.pos(o.off).Col)
				}
			case msg == "unexpected EOF" && len(stack) > 0:
				o := stack[len(stack)-1]
				p := lines.pos(o.off)
				msg = fmt.Sprintf("unexpected end of file: <%s> opened at %d:%d is never closed", o.name, p.Line, p.Col)
			case msg == "unexpected EOF":
				msg = "unexpected end of file inside a tag (is a quote or '>' missing?)"
			case strings.HasPrefix(msg, "invalid XML name"), strings.HasPrefix(msg, "attribute name without = in element"),
				strings.HasPrefix(msg, "unquoted or missing attribute value"), strings.HasPrefix(msg, "expected attribute name"):
				msg += " (is a quote missing or unclosed earlier in this tag?)"
			case strings.HasPrefix(msg, "unescaped < inside quoted string"):
				msg += " (is a closing quote missing? write &lt; for a literal <)"
			}
			return &Error{Pos: pos, Msg: "malformed XML: " + msg}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return &Error{Pos: lines.pos(off), Msg: fmt.Sprintf("malformed XML: a second root element <%s> after the end of the first (a document has one root)", qname(t.Name.Space, t.Name.Local))}
				}
			}
			stack = append(stack, open{qname(t.Name.Space, t.Name.Local), off})
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) == 0 {
				if i := bytes.IndexFunc(t, func(r rune) bool { return !unicode.IsSpace(r) }); i >= 0 {
					where := "before"
					if roots > 0 {
						where = "after"
					}
					return &Error{Pos: lines.pos(off + i), Msg: fmt.Sprintf("malformed XML: text %s the root element", where)}
				}
			}
		}
	}
}

type builder struct {
	tags  []tagInfo
	next  int
	lines *lineIndex
	src   []byte
}

func (b *builder) build(e *etree.Element, path string, depth int) (*Node, error) {
	if b.next >= len(b.tags) {
		return nil, &Error{Pos: Pos{File: b.lines.file}, Msg: "internal error: element positions out of step"}
	}
	ti := b.tags[b.next]
	b.next++
	n := &Node{Name: qname(e.Space, e.Tag), Pos: b.lines.pos(ti.start), Path: path}
	if len(ti.attrNames) != len(e.Attr) {
		return nil, &Error{Pos: n.Pos, Msg: "internal error: attribute positions out of step"}
	}
	seen := map[string]bool{}
	for i, a := range e.Attr {
		name := a.Key
		if a.Space != "" {
			name = a.Space + ":" + a.Key
		}
		at := &Attr{Name: name, Value: unraw.Replace(a.Value), Pos: b.lines.pos(ti.attrNames[i]), ValuePos: b.lines.pos(ti.attrVals[i]),
			li: b.lines, off: ti.attrVals[i]}
		if seen[name] {
			return nil, &Error{Pos: at.Pos, Msg: fmt.Sprintf("malformed XML: attribute %q given twice", name)}
		}
		seen[name] = true
		n.Attrs = append(n.Attrs, at)
	}
	var text strings.Builder
	for _, t := range e.Child {
		if cd, ok := t.(*etree.CharData); ok {
			text.WriteString(cd.Data)
		}
	}
	raw := text.String()
	trimmed := strings.TrimSpace(raw)
	n.Text = unraw.Replace(trimmed)
	n.TextPos = b.lines.pos(firstNonSpace(b.src, ti.textStart))
	n.li, n.textOff, n.startOff = b.lines, ti.textStart, ti.start

	counts := map[string]int{}
	for _, c := range e.ChildElements() {
		name := qname(c.Space, c.Tag)
		counts[name]++
		childPath := name // sections are unique: no index
		switch {
		case depth > 0:
			childPath = path + "/" + name + "[" + strconv.Itoa(counts[name]) + "]"
		case n.Name == "fragment": // a fragment's children are policies, not sections
			childPath = name + "[" + strconv.Itoa(counts[name]) + "]"
		}
		child, err := b.build(c, childPath, depth+1)
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, child)
	}
	return n, nil
}

func qname(space, local string) string {
	if space == "" {
		return local
	}
	return space + ":" + local
}

func firstNonSpace(src []byte, off int) int {
	for off < len(src) {
		switch src[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}

// lexer copies the source, replacing XML-special characters inside
// expressions with placeholders, and records the offsets of start tags and
// attributes so every element keeps its line and column.
type lexer struct {
	src  []byte
	str  string // src as a string, for skipLiteral (made once)
	i    int
	out  bytes.Buffer
	tags []tagInfo
	file string
}

func (lx *lexer) errAt(srcOff int, format string, args ...any) error {
	li := newLineIndex(lx.file, lx.src)
	return &Error{Pos: li.pos(srcOff), Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) has(s string) bool { return bytes.HasPrefix(lx.src[lx.i:], []byte(s)) }

func (lx *lexer) copyThrough(end string) bool {
	j := bytes.Index(lx.src[lx.i:], []byte(end))
	if j < 0 {
		lx.out.Write(lx.src[lx.i:])
		lx.i = len(lx.src)
		return false
	}
	lx.out.Write(lx.src[lx.i : lx.i+j+len(end)])
	lx.i += j + len(end)
	return true
}

func (lx *lexer) run() error {
	for _, r := range string(lx.src) {
		if r >= rawQuote && r <= rawAmp {
			return lx.errAt(bytes.IndexRune(lx.src, r), "unsupported character U+%04X (reserved by the reader)", r)
		}
	}
	for lx.i < len(lx.src) {
		switch {
		case lx.has("<!--"):
			lx.copyThrough("-->")
		case lx.has("<![CDATA["):
			lx.copyThrough("]]>")
		case lx.has("<?"):
			lx.copyThrough("?>")
		case lx.has("<!"), lx.has("</"):
			lx.copyThrough(">")
		case lx.has("<@(") || lx.has("<@{"):
			// "Method: <@(context.Request.Method)>" in a log message: the
			// "<" would start an element named by the expression's text
			return lx.errAt(lx.i, "malformed XML: this \"<\" before %q starts no element: write it as &lt; (and a \">\" after the expression as &gt;)", string(lx.src[lx.i+1:lx.i+3]))
		case lx.src[lx.i] == '<':
			if err := lx.startTag(); err != nil {
				return err
			}
		case lx.has("@(") || lx.has("@{"):
			if err := lx.expr(); err != nil {
				return err
			}
		default:
			lx.out.WriteByte(lx.src[lx.i])
			lx.i++
		}
	}
	return nil
}

func isNameByte(c byte) bool {
	return c == ':' || c == '_' || c == '-' || c == '.' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func nameAt(b []byte) string {
	i := 0
	for i < len(b) && i < 40 && isNameByte(b[i]) {
		i++
	}
	return string(b[:i])
}

func (lx *lexer) startTag() error {
	ti := tagInfo{start: lx.out.Len()}
	lx.out.WriteByte('<')
	lx.i++
	for lx.i < len(lx.src) && isNameByte(lx.src[lx.i]) {
		lx.out.WriteByte(lx.src[lx.i])
		lx.i++
	}
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == '>':
			lx.out.WriteByte(c)
			lx.i++
			ti.textStart = lx.out.Len()
			lx.tags = append(lx.tags, ti)
			return nil
		case c == '/' && lx.has("/>"):
			lx.out.WriteString("/>")
			lx.i += 2
			ti.textStart = lx.out.Len()
			lx.tags = append(lx.tags, ti)
			return nil
		case isNameByte(c):
			ti.attrNames = append(ti.attrNames, lx.out.Len())
			nameStart := lx.i
			for lx.i < len(lx.src) && isNameByte(lx.src[lx.i]) {
				lx.out.WriteByte(lx.src[lx.i])
				lx.i++
			}
			nameEnd := lx.i
			for lx.i < len(lx.src) && (lx.src[lx.i] == ' ' || lx.src[lx.i] == '\t' || lx.src[lx.i] == '\n' || lx.src[lx.i] == '\r' || lx.src[lx.i] == '=') {
				lx.out.WriteByte(lx.src[lx.i])
				lx.i++
			}
			if lx.i >= len(lx.src) || (lx.src[lx.i] != '"' && lx.src[lx.i] != '\'') {
				// Not an attribute value: leave it to the XML decoder to report.
				ti.attrVals = append(ti.attrVals, lx.out.Len())
				continue
			}
			q := lx.src[lx.i]
			lx.out.WriteByte(q)
			lx.i++
			ti.attrVals = append(ti.attrVals, lx.out.Len())
			valStart := lx.i
			for lx.i < len(lx.src) && lx.src[lx.i] != q {
				if lx.has("@(") || lx.has("@{") {
					if err := lx.expr(); err != nil {
						return err
					}
					continue
				}
				if lx.src[lx.i] == '<' {
					// XML forbids a raw '<' in a value: most often the
					// closing quote is missing and the value ran on.
					lt := newLineIndex(lx.file, lx.src).pos(lx.i)
					return lx.errAt(valStart, "malformed XML: the value of attribute %q runs into the \"<\" at %d:%d: is its closing quote missing? (write &lt; for a literal <)",
						string(lx.src[nameStart:nameEnd]), lt.Line, lt.Col)
				}
				if lx.src[lx.i] == '&' && !isEntityRef(lx.src[lx.i:]) {
					// An '&' that starts no reference is a literal '&', as
					// APIM's reference writes it in plain values
					// (rewrite-uri's template="...?City=city&State=state").
					lx.out.WriteRune(rawAmp)
					lx.i++
					continue
				}
				lx.out.WriteByte(lx.src[lx.i])
				lx.i++
			}
			if lx.i < len(lx.src) {
				lx.out.WriteByte(q)
				lx.i++
				if lx.i < len(lx.src) && isNameByte(lx.src[lx.i]) {
					return lx.errAt(lx.i, "malformed XML: %q follows the value of attribute %q (%s) without a space: is a quote missing or misplaced?",
						nameAt(lx.src[lx.i:]), string(lx.src[nameStart:nameEnd]), string(q)+string(lx.src[valStart:lx.i-1])+string(q))
				}
			}
		default:
			lx.out.WriteByte(c)
			lx.i++
		}
	}
	lx.tags = append(lx.tags, ti)
	return nil
}

// expr copies one @(...) or @{...} expression, escaping what XML forbids.
// Brackets inside string literals and comments do not count.
func (lx *lexer) expr() error {
	start := lx.i
	open := lx.src[lx.i+1]
	closer := byte(')')
	if open == '{' {
		closer = '}'
	}
	lx.out.WriteByte('@')
	lx.out.WriteByte(open)
	lx.i += 2
	depth := 1
	if lx.str == "" {
		lx.str = string(lx.src)
	}
	src := lx.str
	for lx.i < len(lx.src) {
		if end, ok := skipLiteralRaw(src, lx.i); ok {
			if end < 0 {
				if strings.HasPrefix(src[lx.i:], "/*") {
					return lx.errAt(start, "unterminated expression: a /* comment in this %q is never closed", "@"+string(open))
				}
				// Raw quotes are allowed inside @(...), so when its
				// closing bracket is missing the attribute's own closing
				// quote starts a string that never ends.
				return lx.errAt(start, "unterminated expression: this %q has no closing %q (the quote after it then starts a string), or a string literal in it is never closed",
					"@"+string(open), string(closer))
			}
			for ; lx.i < end; lx.i++ {
				lx.escaped(lx.src[lx.i])
			}
			continue
		}
		c := lx.src[lx.i]
		if c == '\\' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '"' {
			// \" outside a string literal: no XML or C# escape (a policy
			// pasted from a JSON or shell string), and the quote after it
			// would start a string that swallows the rest
			return lx.errAt(lx.i, "malformed expression: \\\" outside a C# string escapes nothing: inside %q write the quote as it is (or as &quot;)", "@"+string(open))
		}
		switch {
		case c == open:
			depth++
		case c == closer:
			depth--
			if depth == 0 {
				lx.out.WriteByte(c)
				lx.i++
				return nil
			}
		}
		lx.escaped(c)
		lx.i++
	}
	return lx.errAt(start, "unterminated expression: no closing %q for this %q (check brackets and quotes)", string(closer), "@"+string(open))
}

func (lx *lexer) escaped(c byte) {
	switch c {
	case '"':
		lx.out.WriteRune(rawQuote)
	case '\'':
		lx.out.WriteRune(rawApos)
	case '<':
		lx.out.WriteRune(rawLt)
	case '>':
		lx.out.WriteRune(rawGt)
	case '&':
		if isEntityRef(lx.src[lx.i:]) {
			lx.out.WriteByte('&')
		} else {
			lx.out.WriteRune(rawAmp)
		}
	default:
		lx.out.WriteByte(c)
	}
}

// isEntityRef reports whether b starts with an XML entity or character
// reference (&lt; &#60; &#x3C;), which is decoded as usual.
func isEntityRef(b []byte) bool {
	if len(b) < 3 || b[0] != '&' {
		return false
	}
	for j := 1; j < len(b) && j < 12; j++ {
		c := b[j]
		if c == ';' {
			return j > 1
		}
		if !(c == '#' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return false
}

// lineIndex turns byte offsets into line:col, counting columns in runes.
// A lookup costs a binary search plus, on a line with multi-byte runes,
// the runes since the previous lookup on that line (lookups come in
// increasing order): loading is linear even when the whole document is
// one line of 40,000 elements.
type lineIndex struct {
	file   string
	src    []byte
	starts []int
	ascii  []bool // per line: no multi-byte rune (column = byte offset)
	// The previous lookup on a non-ASCII line.
	lastLine, lastOff, lastCol int
	scanned                    int // bytes counted through, for TestLineIndexLinear
}

func newLineIndex(file string, src []byte) *lineIndex {
	li := &lineIndex{file: file, src: src, starts: []int{0}, lastLine: -1}
	ascii := true
	for i, c := range src {
		if c >= 0x80 {
			ascii = false
		}
		if c == '\n' {
			li.starts = append(li.starts, i+1)
			li.ascii = append(li.ascii, ascii)
			ascii = true
		}
	}
	li.ascii = append(li.ascii, ascii)
	return li
}

func (li *lineIndex) pos(off int) Pos {
	if off < 0 {
		off = 0
	}
	if off > len(li.src) {
		off = len(li.src)
	}
	lo, hi := 0, len(li.starts)
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if li.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	start := li.starts[lo]
	if li.ascii[lo] {
		return Pos{File: li.file, Line: lo + 1, Col: off - start + 1}
	}
	from, col := start, 1
	if li.lastLine == lo && li.lastOff <= off {
		from, col = li.lastOff, li.lastCol
	}
	col += utf8.RuneCount(li.src[from:off])
	li.scanned += off - from
	li.lastLine, li.lastOff, li.lastCol = lo, off, col
	return Pos{File: li.file, Line: lo + 1, Col: col}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// WriteCanonical writes the parsed content of n (element names, attributes
// in order, trimmed text, children) to w, leaving out comments, formatting
// and positions: two files that differ only in those write the same bytes.
// The gateway hashes it to tell whether a reload changes anything.
func (n *Node) WriteCanonical(w io.Writer) {
	var b bytes.Buffer
	n.canonical(&b)
	_, _ = w.Write(b.Bytes())
}

func (n *Node) canonical(b *bytes.Buffer) {
	b.WriteByte('<')
	b.WriteString(n.Name)
	for _, a := range n.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Name)
		b.WriteString("=")
		b.WriteString(strconv.Quote(a.Value))
	}
	b.WriteByte('>')
	if n.Text != "" {
		b.WriteString(strconv.Quote(n.Text))
	}
	for _, c := range n.Children {
		c.canonical(b)
	}
	b.WriteString("</>")
}
