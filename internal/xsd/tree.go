package xsd

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"tollgate/internal/xmlsafe"
)

// Node is an element of a parsed document: its expanded name, attributes,
// children and character content, the namespace declarations in scope, and
// its line and column (1-based, of the '<' that starts it).
type Node struct {
	Space, Local string
	Attrs        []Attr
	Children     []*Node
	// Text is the element's character content (its text children, CDATA
	// included, concatenated); HasText reports whether it has any text that
	// is not whitespace, which element-only content refuses.
	Text    string
	HasText bool
	// TextLine, TextCol place the first non-whitespace text (for errors).
	TextLine, TextCol int
	Parent            *Node
	Line, Col         int
	ns                []nsDecl // declarations written on this element
}

// Attr is an attribute (namespace declarations excluded).
type Attr struct {
	Space, Local, Value string
	Line, Col           int
}

type nsDecl struct{ prefix, uri string }

// Lookup resolves a prefix ("" for the default namespace) in the element's
// scope.
func (n *Node) Lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return "http://www.w3.org/XML/1998/namespace", true
	}
	for e := n; e != nil; e = e.Parent {
		for i := len(e.ns) - 1; i >= 0; i-- {
			if e.ns[i].prefix == prefix {
				return e.ns[i].uri, true
			}
		}
	}
	return "", prefix == ""
}

// Attr returns the value of the attribute with no namespace called local.
func (n *Node) Attr(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Space == "" && a.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func (n *Node) attrNode(local string) *Attr {
	for i := range n.Attrs {
		if n.Attrs[i].Space == "" && n.Attrs[i].Local == local {
			return &n.Attrs[i]
		}
	}
	return nil
}

// ParseError is a document that is not well-formed XML.
type ParseError struct {
	Line, Col int
	Msg       string
}

func parseErr(line, col int, msg string) *ParseError {
	return &ParseError{Line: max(line, 1), Col: max(col, 1), Msg: msg}
}

func (e *ParseError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// DefaultMaxDepth bounds element nesting in Parse.
const DefaultMaxDepth = 256

// Parse reads a whole XML document into a tree of elements (comments and
// processing instructions dropped; a DOCTYPE is refused, so no entity is
// ever expanded). maxDepth bounds element nesting (0: DefaultMaxDepth).
func Parse(data []byte, maxDepth int) (*Node, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	d := xmlsafe.NewDecoder(data)
	var root, cur *Node
	var text strings.Builder
	flush := func() {
		if cur != nil {
			cur.Text += text.String()
		}
		text.Reset()
	}
	depth := 0
	var open []xml.Name // raw names, for matching end tags
	for {
		line, col := d.InputPos()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			l, c := d.InputPos()
			return nil, parseErr(l, c, xmlsafe.Message(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			depth++
			if depth > maxDepth {
				return nil, parseErr(line, col, fmt.Sprintf("elements nested deeper than %d", maxDepth))
			}
			if cur == nil && root != nil {
				return nil, parseErr(line, col, "a second root element")
			}
			open = append(open, t.Name)
			n := &Node{Parent: cur, Line: line, Col: col + 1} // at its name, as .NET's LinePosition
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if a.Value == "" {
						return nil, parseErr(line, col, "a namespace prefix cannot be undeclared in XML 1.0")
					}
					n.ns = append(n.ns, nsDecl{a.Name.Local, a.Value})
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.ns = append(n.ns, nsDecl{"", a.Value})
				}
			}
			// Resolve names now that this element's declarations are known.
			space, ok := n.Lookup(t.Name.Space)
			if !ok {
				return nil, parseErr(line, col, fmt.Sprintf("the prefix %q is not declared", t.Name.Space))
			}
			n.Space, n.Local = space, t.Name.Local
			// Past 16 attributes the check for one given twice is a map
			// look-up: 100 KB of attributes took 2 s compared in pairs.
			var seen map[[2]string]bool
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				as := ""
				if a.Name.Space != "" {
					if as, ok = n.Lookup(a.Name.Space); !ok {
						return nil, parseErr(line, col, fmt.Sprintf("the prefix %q is not declared", a.Name.Space))
					}
				}
				k := [2]string{as, a.Name.Local}
				dup := seen[k]
				if seen == nil {
					for _, b := range n.Attrs {
						dup = dup || b.Space == as && b.Local == a.Name.Local
					}
				}
				if dup {
					return nil, parseErr(line, col, fmt.Sprintf("attribute %q is given twice", a.Name.Local))
				}
				n.Attrs = append(n.Attrs, Attr{Space: as, Local: a.Name.Local, Value: a.Value, Line: line, Col: col})
				if seen != nil {
					seen[k] = true
				} else if len(n.Attrs) > 16 {
					seen = make(map[[2]string]bool, 2*len(n.Attrs))
					for _, b := range n.Attrs {
						seen[[2]string{b.Space, b.Local}] = true
					}
				}
			}
			if cur != nil {
				cur.Children = append(cur.Children, n)
			} else {
				root = n
			}
			cur = n
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != t.Name {
				return nil, parseErr(line, col, "end tag </"+rawName(t.Name)+"> does not match its start tag")
			}
			open = open[:len(open)-1]
			flush()
			depth--
			cur = cur.Parent
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, parseErr(line, col, "text outside the root element")
				}
				continue
			}
			if !cur.HasText && len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
				cur.HasText = true
				cur.TextLine, cur.TextCol = line, col
			}
			text.Write(t)
		case xml.Directive:
			return nil, parseErr(line, col, "a DOCTYPE (or other directive) is not allowed")
		}
	}
	if len(open) > 0 {
		l, c := d.InputPos()
		return nil, parseErr(l, c, "unexpected end of document: <"+rawName(open[len(open)-1])+"> is not closed")
	}
	if root == nil {
		return nil, parseErr(1, 1, "no root element")
	}
	return root, nil
}

// Path is the element's path from the root, /a/b[2]/c (a position when
// siblings share the name).
func (n *Node) Path() string {
	var parts []string
	for e := n; e != nil; e = e.Parent {
		p := e.Local
		if e.Parent != nil {
			same, idx := 0, 0
			for _, s := range e.Parent.Children {
				if s.Local == e.Local && s.Space == e.Space {
					same++
					if s == e {
						idx = same
					}
				}
			}
			if same > 1 {
				p += fmt.Sprintf("[%d]", idx)
			}
		}
		parts = append(parts, p)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
