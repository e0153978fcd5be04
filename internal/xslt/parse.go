package xslt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
	xtransform "golang.org/x/text/transform"

	"tollgate/internal/xpath"
)

// sNode is a node of the stylesheet as read by parseStylesheet: elements
// and text only (comments and processing instructions are dropped, the
// text around them merged), with the place each was written at.
type sNode struct {
	text      bool
	space     string
	prefix    string
	local     string
	attrs     []sAttr
	ns        []nsBinding // declared on this element, in order
	parent    *sNode
	children  []*sNode
	data      string // text
	line, col int
}

type sAttr struct {
	space, prefix, local, value string
}

type nsBinding struct {
	prefix, uri string
}

func (n *sNode) isXSL(local string) bool {
	return !n.text && n.space == NamespaceXSLT && n.local == local
}

func (n *sNode) qname() string {
	if n.prefix != "" {
		return n.prefix + ":" + n.local
	}
	return n.local
}

// attr is the value of the attribute with no namespace and the given name.
func (n *sNode) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.space == "" && a.local == local {
			return a.value, true
		}
	}
	return "", false
}

// nsAttr is the value of the attribute {space}local.
func (n *sNode) nsAttr(space, local string) (string, bool) {
	for _, a := range n.attrs {
		if a.space == space && a.local == local {
			return a.value, true
		}
	}
	return "", false
}

// lookup resolves prefix at n ("" for the default namespace).
func (n *sNode) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xpath.XMLNamespace, true
	}
	for e := n; e != nil; e = e.parent {
		for _, b := range e.ns {
			if b.prefix == prefix {
				return b.uri, true
			}
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// inScope lists the namespaces in scope at n, nearest declaration winning,
// outermost first; undeclared default namespaces are left out.
func (n *sNode) inScope() []nsBinding {
	var chain []*sNode
	for e := n; e != nil; e = e.parent {
		chain = append(chain, e)
	}
	seen := map[string]bool{}
	var out []nsBinding
	for i := 0; i < len(chain); i++ {
		for _, b := range chain[i].ns {
			if seen[b.prefix] {
				continue
			}
			seen[b.prefix] = true
			if b.uri != "" {
				out = append(out, b)
			}
		}
	}
	// reverse so that outer declarations come first (stable output order)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// xmlSpacePreserve reports whether the nearest xml:space at n says preserve.
func (n *sNode) xmlSpacePreserve() bool {
	for e := n; e != nil; e = e.parent {
		if v, ok := e.nsAttr(xpath.XMLNamespace, "space"); ok {
			return v == "preserve"
		}
	}
	return false
}

var utf8BOM = []byte("\xef\xbb\xbf")

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	enc, err := ianaindex.IANA.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return xtransform.NewReader(in, enc.NewDecoder()), nil
}

// parseStylesheet reads the stylesheet document and strips whitespace-only
// text nodes as XSLT 1.0 section 3.4 says. It returns the document element.
func parseStylesheet(src []byte) (*sNode, error) {
	src = bytes.TrimPrefix(src, utf8BOM)
	lineStarts := []int{0}
	for i, b := range src {
		if b == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	posOf := func(off int64) (int, int) {
		lo, hi := 0, len(lineStarts)-1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if int64(lineStarts[mid]) <= off {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		col := 1
		for i := lineStarts[lo]; int64(i) < off && i < len(src); {
			// count runes
			c := src[i]
			switch {
			case c < 0x80:
				i++
			case c < 0xE0:
				i += 2
			case c < 0xF0:
				i += 3
			default:
				i += 4
			}
			col++
		}
		return lo + 1, col
	}
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = true
	d.CharsetReader = charsetReader
	root := &sNode{}
	cur := root
	var text strings.Builder
	var textLine, textCol int
	flush := func() {
		if text.Len() == 0 {
			return
		}
		s := text.String()
		text.Reset()
		if strings.TrimLeft(s, " \t\r\n") == "" && cur != root && !cur.isXSL("text") && !cur.xmlSpacePreserve() {
			return
		}
		if cur == root {
			return
		}
		cur.children = append(cur.children, &sNode{text: true, data: s, parent: cur, line: textLine, col: textCol})
	}
	var docElem *sNode
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, col := d.InputPos()
			msg := err.Error()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg = "XML syntax error: " + se.Msg
			}
			return nil, &Error{line, col, msg}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			line, col := posOf(off)
			if cur == root && docElem != nil {
				return nil, &Error{line, col, "a second document element"}
			}
			e := &sNode{prefix: t.Name.Space, local: t.Name.Local, parent: cur, line: line, col: col}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					e.ns = append(e.ns, nsBinding{"", a.Value})
				case a.Name.Space == "xmlns":
					if a.Value == "" {
						return nil, &Error{line, col, fmt.Sprintf("xmlns:%s may not be empty", a.Name.Local)}
					}
					e.ns = append(e.ns, nsBinding{a.Name.Local, a.Value})
				}
			}
			uri, ok := e.lookup(e.prefix)
			if !ok {
				return nil, &Error{line, col, fmt.Sprintf("undeclared namespace prefix %q", e.prefix)}
			}
			e.space = uri
			seen := map[[2]string]bool{}
			for _, a := range t.Attr {
				if (a.Name.Space == "" && a.Name.Local == "xmlns") || a.Name.Space == "xmlns" {
					continue
				}
				at := sAttr{prefix: a.Name.Space, local: a.Name.Local, value: a.Value}
				if at.prefix != "" {
					u, ok := e.lookup(at.prefix)
					if !ok {
						return nil, &Error{line, col, fmt.Sprintf("undeclared namespace prefix %q", at.prefix)}
					}
					at.space = u
				}
				k := [2]string{at.space, at.local}
				if seen[k] {
					return nil, &Error{line, col, fmt.Sprintf("attribute %s given twice", a.Name.Local)}
				}
				seen[k] = true
				e.attrs = append(e.attrs, at)
			}
			cur.children = append(cur.children, e)
			if cur == root {
				docElem = e
			}
			cur = e
		case xml.EndElement:
			flush()
			if cur == root || t.Name.Space != cur.prefix || t.Name.Local != cur.local {
				line, col := posOf(off)
				return nil, &Error{line, col, "unexpected end tag </" + t.Name.Local + ">"}
			}
			cur = cur.parent
		case xml.CharData:
			if cur == root {
				if len(bytes.TrimSpace(t)) > 0 {
					line, col := posOf(off)
					return nil, &Error{line, col, "text outside the document element"}
				}
				continue
			}
			if text.Len() == 0 {
				textLine, textCol = posOf(off)
			}
			text.Write(t)
		case xml.Directive:
			line, col := posOf(off)
			return nil, &Error{line, col, "DTDs are not allowed"}
		}
	}
	if cur != root {
		return nil, &Error{cur.line, cur.col, fmt.Sprintf("<%s> is not closed", cur.qname())}
	}
	if docElem == nil {
		return nil, &Error{1, 1, "no document element"}
	}
	docElem.parent = nil
	return docElem, nil
}
