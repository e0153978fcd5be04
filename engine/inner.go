package engine

import (
	"bytes"
	"encoding/xml"
	"io"
)

// Inner returns what stands between n's start and end tags exactly as
// written: text, child elements, comments and CDATA, with APIM's rawxml
// characters inside expressions given back. Policies whose content is a
// document rather than policy elements (a Liquid template, cross-domain's
// Adobe policy file) read it. ok is false for a Node not made by Read.
func (n *Node) Inner() (inner string, ok bool) {
	end, _, ok := n.contentEnd()
	if !ok {
		return "", false
	}
	return unraw.Replace(string(n.li.src[n.textOff:end])), true
}

// contentEnd finds n's end tag: the offsets in li.src where it starts and
// just after it ends. A self-closing element's are both textOff.
func (n *Node) contentEnd() (endTag, after int, ok bool) {
	if n.li == nil {
		return 0, 0, false
	}
	if n.textOff >= 2 && string(n.li.src[n.textOff-2:n.textOff]) == "/>" {
		return n.textOff, n.textOff, true
	}
	src := n.li.src[n.textOff:]
	dec := xml.NewDecoder(bytes.NewReader(src))
	dec.Strict = true
	depth := 0
	for {
		off := dec.InputOffset()
		tok, err := dec.RawToken() // Token would refuse the unmatched end tag
		if err == io.EOF || err != nil {
			return 0, 0, false // Read checked the whole file: cannot happen
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return n.textOff + int(off), n.textOff + int(dec.InputOffset()), true
			}
			depth--
		}
	}
}

// Outer returns the element as written, from the '<' of its start tag to
// the '>' of its end tag (see Node.Inner). ok is false for a Node not made
// by Read.
func (n *Node) Outer() (outer string, ok bool) {
	_, after, ok := n.contentEnd()
	if !ok {
		return "", false
	}
	return unraw.Replace(string(n.li.src[n.startOff:after])), true
}

// InnerPos is where byte off of Inner's result stands in the file.
func (n *Node) InnerPos(off int) Pos {
	if n.li == nil {
		return n.Pos
	}
	return n.li.pos(n.textOff + off)
}

// RawInner returns the element's content as written (see Node.Inner) and
// marks its text and child elements as read: the policy takes the content
// as a document of its own and checks it itself (Node.InnerPos locates a
// problem in it).
func (p *Parser) RawInner() string {
	p.usedText = true
	for _, ch := range p.n.Children {
		p.Skip(ch)
	}
	s, _ := p.n.Inner()
	return s
}
