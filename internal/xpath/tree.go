// Package xpath is an XPath 1.0 processor (W3C Recommendation, 16 November
// 1999) over its own tree of the XPath data model, written for tollgate's
// XSLT processor (package xslt): variables and extension functions are
// bound by the caller, patterns (XSLT's match="…") are compiled here, and
// every tree a transformation builds uses the same Node type.
package xpath

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
)

// Kind is the kind of a node, in the order of the XPath data model.
type Kind uint8

const (
	RootNode Kind = iota
	ElementNode
	AttributeNode
	TextNode
	NamespaceNode
	ProcInstNode
	CommentNode
)

func (k Kind) String() string {
	switch k {
	case RootNode:
		return "root"
	case ElementNode:
		return "element"
	case AttributeNode:
		return "attribute"
	case TextNode:
		return "text"
	case NamespaceNode:
		return "namespace"
	case ProcInstNode:
		return "processing-instruction"
	case CommentNode:
		return "comment"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// XMLNamespace is the namespace the prefix xml is bound to.
const XMLNamespace = "http://www.w3.org/XML/1998/namespace"

// Node is one node of a tree. Trees are built by Parse or by hand (package
// xslt builds result tree fragments); Number must run over a tree before
// it is queried, and a numbered tree must not change.
type Node struct {
	Kind Kind
	// Space is the namespace URI of an element's or attribute's name.
	Space string
	// Prefix is the prefix the name was written with (kept for output).
	Prefix string
	// Local is the local name of an element or attribute, the target of a
	// processing instruction, or the prefix a namespace node declares ("" for
	// the default namespace).
	Local string
	// Data is the text of a text node or comment, the data of a processing
	// instruction, the value of an attribute, or the URI of a namespace node.
	Data string

	Parent   *Node
	Children []*Node // root and element nodes
	Attrs    []*Node // element nodes: attributes, xmlns declarations excluded
	// NSDecls are the namespace declarations written on an element (Kind
	// NamespaceNode, Parent the element). The namespace axis yields the
	// in-scope namespaces, which also come from the ancestors' declarations.
	NSDecls []*Node

	ord int64 // document order, set by Number
}

var docSeq atomic.Int64

// Number gives every node of the tree under root its place in document
// order: root, then each element, its namespace declarations, its
// attributes, then its children. Trees numbered apart are ordered by when
// they were numbered. It sets Parent pointers that are missing.
//
// After an element's own namespace declarations Number leaves room for the
// namespace nodes the namespace axis synthesizes (the xml namespace and the
// namespaces the element inherits), so that every node the axis yields has
// its own place between the element and its first attribute.
func Number(root *Node) {
	var i int64
	scope := map[string]string{} // in-scope prefixes (first declaration on an element wins)
	inScope := 0                 // entries of scope with a non-empty URI
	type saved struct {
		prefix, uri string
		had         bool
	}
	var walk func(n *Node)
	walk = func(n *Node) {
		n.ord = i
		i++
		inherited := inScope
		var undo []saved
		for _, d := range n.NSDecls {
			d.Parent = n
			d.ord = i
			i++
		}
		// Last to first, so that the first declaration of a prefix given
		// twice is the one left in scope (a search of undo for it made
		// thousands of declarations on one element quadratic).
		for k := len(n.NSDecls) - 1; k >= 0 && n.Kind == ElementNode; k-- {
			d := n.NSDecls[k]
			old, had := scope[d.Local]
			undo = append(undo, saved{d.Local, old, had})
			if had && old != "" {
				inScope--
			}
			if d.Data != "" {
				inScope++
			}
			scope[d.Local] = d.Data
		}
		if n.Kind == ElementNode {
			// one slot for xml, one for each inherited namespace
			i += 1 + int64(inherited)
		}
		for _, a := range n.Attrs {
			a.Parent = n
			a.ord = i
			i++
		}
		for _, c := range n.Children {
			c.Parent = n
			walk(c)
		}
		for k := len(undo) - 1; k >= 0; k-- {
			u := undo[k]
			if cur := scope[u.prefix]; cur != "" {
				inScope--
			}
			if u.had {
				scope[u.prefix] = u.uri
				if u.uri != "" {
					inScope++
				}
			} else {
				delete(scope, u.prefix)
			}
		}
	}
	walk(root)
	// Reserve the range [base, base+i) and shift the tree into it.
	base := docSeq.Add(i+1) - i
	var shift func(n *Node)
	shift = func(n *Node) {
		n.ord += base
		for _, d := range n.NSDecls {
			d.ord += base
		}
		for _, a := range n.Attrs {
			a.ord += base
		}
		for _, c := range n.Children {
			shift(c)
		}
	}
	shift(root)
}

// Order is the node's place in document order (see Number).
func (n *Node) Order() int64 { return n.ord }

// Root is the root of the tree n is in.
func (n *Node) Root() *Node {
	for n.Parent != nil {
		n = n.Parent
	}
	return n
}

// Name is the node's qualified name as written (prefix:local), or its
// PI target, or a namespace node's prefix.
func (n *Node) Name() string {
	if n.Prefix != "" && (n.Kind == ElementNode || n.Kind == AttributeNode) {
		return n.Prefix + ":" + n.Local
	}
	return n.Local
}

// StringValue is the node's string-value (XPath 1.0 section 5).
func (n *Node) StringValue() string {
	switch n.Kind {
	case RootNode, ElementNode:
		var b strings.Builder
		var walk func(*Node)
		walk = func(m *Node) {
			for _, c := range m.Children {
				switch c.Kind {
				case TextNode:
					b.WriteString(c.Data)
				case ElementNode:
					walk(c)
				}
			}
		}
		walk(n)
		return b.String()
	}
	return n.Data
}

// LookupNamespace is the URI prefix is bound to in scope at element n
// ("" for prefix "" when there is no default namespace).
func (n *Node) LookupNamespace(prefix string) (string, bool) {
	if prefix == "xml" {
		return XMLNamespace, true
	}
	for e := n; e != nil; e = e.Parent {
		for _, d := range e.NSDecls {
			if d.Local == prefix {
				return d.Data, true
			}
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// Limits of Parse.
const (
	MaxDepth = 512 // element nesting
	// MaxNamespaces bounds the namespace declarations in scope at an
	// element (its own and its ancestors'): every element has a
	// namespace node for each, which copying it, writing it out and
	// the namespace axis go through.
	MaxNamespaces = 256
)

// ErrDTD is returned for a document with a document type declaration:
// DTDs are not processed (as .NET's XmlReader defaults to).
var ErrDTD = errors.New("DTDs are not allowed")

// Parse reads a whole XML document into a numbered tree. Entity
// references other than the five predefined ones and character
// references are errors; a DOCTYPE is refused.
func Parse(data []byte) (*Node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	root := &Node{Kind: RootNode}
	cur := root
	depth := 0
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			cur.Children = append(cur.Children, &Node{Kind: TextNode, Data: text.String(), Parent: cur})
			text.Reset()
		}
	}
	seenRoot := false
	// The bindings in scope (prefix → URI), so that resolving a prefix is
	// a map look-up rather than LookupNamespace's walk over every
	// declaration of every ancestor: an element with thousands of
	// declarations and many elements under it made that walk quadratic
	// (a 1 MB body took 30 s). undos restores what an element's
	// declarations hid when it ends; marks is len(undos) as each open
	// element began.
	scope := map[string]string{}
	type undo struct {
		prefix, uri string
		had         bool
	}
	var undos []undo
	var marks []int
	lookup := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return XMLNamespace, true
		}
		if uri, ok := scope[prefix]; ok {
			return uri, true
		}
		return "", prefix == ""
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, col := d.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == root {
				if seenRoot {
					return nil, fmt.Errorf("line %d, column %d: a second root element <%s>", line, col, qname(t.Name))
				}
				seenRoot = true
			}
			flush()
			depth++
			if depth > MaxDepth {
				return nil, fmt.Errorf("line %d, column %d: elements nested deeper than %d", line, col, MaxDepth)
			}
			e := &Node{Kind: ElementNode, Prefix: t.Name.Space, Local: t.Name.Local, Parent: cur}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					e.NSDecls = append(e.NSDecls, &Node{Kind: NamespaceNode, Local: "", Data: a.Value, Parent: e})
				case a.Name.Space == "xmlns":
					if a.Value == "" {
						return nil, fmt.Errorf("line %d, column %d: xmlns:%s may not be empty in XML 1.0", line, col, a.Name.Local)
					}
					e.NSDecls = append(e.NSDecls, &Node{Kind: NamespaceNode, Local: a.Name.Local, Data: a.Value, Parent: e})
				}
			}
			marks = append(marks, len(undos))
			for i := len(e.NSDecls) - 1; i >= 0; i-- { // the first of a prefix given twice wins, as in LookupNamespace
				d := e.NSDecls[i]
				old, had := scope[d.Local]
				undos = append(undos, undo{d.Local, old, had})
				scope[d.Local] = d.Data
			}
			if len(undos) > MaxNamespaces {
				return nil, fmt.Errorf("line %d, column %d: more than %d namespace declarations in scope", line, col, MaxNamespaces)
			}
			uri, ok := lookup(e.Prefix)
			if !ok {
				return nil, fmt.Errorf("line %d, column %d: undeclared namespace prefix %q", line, col, e.Prefix)
			}
			e.Space = uri
			seen := make(map[[2]string]bool, len(t.Attr))
			for _, a := range t.Attr {
				if (a.Name.Space == "" && a.Name.Local == "xmlns") || a.Name.Space == "xmlns" {
					continue
				}
				an := &Node{Kind: AttributeNode, Prefix: a.Name.Space, Local: a.Name.Local, Data: a.Value, Parent: e}
				if an.Prefix != "" {
					uri, ok := lookup(an.Prefix)
					if !ok {
						return nil, fmt.Errorf("line %d, column %d: undeclared namespace prefix %q", line, col, an.Prefix)
					}
					an.Space = uri
				}
				k := [2]string{an.Space, an.Local}
				if seen[k] {
					return nil, fmt.Errorf("line %d, column %d: attribute %s given twice", line, col, an.Name())
				}
				seen[k] = true
				e.Attrs = append(e.Attrs, an)
			}
			cur.Children = append(cur.Children, e)
			cur = e
		case xml.EndElement:
			if cur == root || t.Name.Space != cur.Prefix || t.Name.Local != cur.Local {
				return nil, fmt.Errorf("line %d, column %d: unexpected end element </%s>", line, col, qname(t.Name))
			}
			flush()
			depth--
			cur = cur.Parent
			m := marks[len(marks)-1]
			for i := len(undos) - 1; i >= m; i-- {
				if u := undos[i]; u.had {
					scope[u.prefix] = u.uri
				} else {
					delete(scope, u.prefix)
				}
			}
			undos, marks = undos[:m], marks[:len(marks)-1]
		case xml.CharData:
			if cur == root {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("line %d, column %d: text outside the root element", line, col)
				}
				continue
			}
			text.Write(t)
		case xml.Comment:
			flush()
			cur.Children = append(cur.Children, &Node{Kind: CommentNode, Data: string(t), Parent: cur})
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") {
				continue
			}
			flush()
			cur.Children = append(cur.Children, &Node{Kind: ProcInstNode, Local: t.Target, Data: strings.TrimLeft(string(t.Inst), " \t\r\n"), Parent: cur})
		case xml.Directive:
			return nil, fmt.Errorf("line %d, column %d: %w", line, col, ErrDTD)
		}
	}
	if cur != root {
		return nil, fmt.Errorf("unexpected end of document: <%s> is not closed", cur.Name())
	}
	if !seenRoot {
		return nil, errors.New("no root element")
	}
	Number(root)
	return root, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
