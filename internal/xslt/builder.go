package xslt

import (
	"fmt"
	"strings"

	"tollgate/internal/xpath"
)

// builder builds the result tree (or a result tree fragment) as the
// instructions run. Adjacent text is merged into one text node; text
// written with disable-output-escaping is kept in its own nodes, recorded
// in doe.
type builder struct {
	rt   *runtime
	root *xpath.Node
	cur  *xpath.Node
	tb   strings.Builder
	tdoe bool
	doe  map[*xpath.Node]bool
}

func newBuilder(rt *runtime) *builder {
	r := &xpath.Node{Kind: xpath.RootNode}
	return &builder{rt: rt, root: r, cur: r}
}

// errTooBig is the error of a transformation that builds more than it may.
func (b *builder) errTooBig() error {
	return fmt.Errorf("output exceeds MaxOutput (%d bytes)", b.rt.maxOutput)
}

// account charges a created node of about size bytes.
func (b *builder) account(size int) error {
	rt := b.rt
	rt.nodes++
	rt.built += int64(size) + 16
	if rt.nodes > maxNodes || rt.built > rt.buildCap {
		return b.errTooBig()
	}
	return nil
}

func (b *builder) flush() {
	if b.tb.Len() == 0 {
		return
	}
	n := &xpath.Node{Kind: xpath.TextNode, Data: b.tb.String(), Parent: b.cur}
	b.tb.Reset()
	b.cur.Children = append(b.cur.Children, n)
	if b.tdoe {
		if b.doe == nil {
			b.doe = map[*xpath.Node]bool{}
		}
		b.doe[n] = true
	}
}

func (b *builder) text(s string, doe bool) error {
	if s == "" {
		return nil
	}
	if b.tb.Len() > 0 && b.tdoe != doe {
		b.flush()
	}
	if b.tb.Len() == 0 {
		b.tdoe = doe
	}
	b.tb.WriteString(s)
	return b.account(len(s))
}

func (b *builder) startElement(space, prefix, local string) error {
	b.flush()
	if err := b.account(len(local) + len(prefix)); err != nil {
		return err
	}
	n := &xpath.Node{Kind: xpath.ElementNode, Space: space, Prefix: prefix, Local: local, Parent: b.cur}
	b.cur.Children = append(b.cur.Children, n)
	b.cur = n
	return nil
}

func (b *builder) endElement() {
	b.flush()
	if b.cur.Parent != nil {
		b.cur = b.cur.Parent
	}
}

func (b *builder) canAddToElement(what string) error {
	if b.cur.Kind != xpath.ElementNode {
		return fmt.Errorf("cannot add %s to the %s: there is no element to add it to", what, b.curKind())
	}
	if len(b.cur.Children) > 0 || b.tb.Len() > 0 {
		return fmt.Errorf("cannot add %s to element %s after its children", what, b.cur.Name())
	}
	return nil
}

func (b *builder) curKind() string {
	if b.cur.Kind == xpath.RootNode {
		return "root of the result"
	}
	return b.cur.Kind.String()
}

func (b *builder) attribute(space, prefix, local, value string) error {
	if err := b.canAddToElement("attribute " + qn(prefix, local)); err != nil {
		return err
	}
	for _, a := range b.cur.Attrs {
		if a.Local == local && a.Space == space {
			a.Data, a.Prefix = value, prefix
			return b.account(len(value))
		}
	}
	if err := b.account(len(local) + len(value)); err != nil {
		return err
	}
	b.cur.Attrs = append(b.cur.Attrs, &xpath.Node{Kind: xpath.AttributeNode, Space: space, Prefix: prefix, Local: local, Data: value, Parent: b.cur})
	return nil
}

func qn(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

func (b *builder) namespace(prefix, uri string) error {
	if prefix == "xml" {
		return nil
	}
	if err := b.canAddToElement("a namespace node"); err != nil {
		return err
	}
	for _, d := range b.cur.NSDecls {
		if d.Local == prefix {
			return nil // the first binding of a prefix stays
		}
	}
	// A binding an ancestor already makes is in scope anyway: no node
	// (unless an element between uses the prefix for another namespace).
	{
		for a := b.cur.Parent; a != nil && a.Kind == xpath.ElementNode; a = a.Parent {
			if a.Prefix == prefix && a.Space != uri {
				break
			}
			found := false
			for _, d := range a.NSDecls {
				if d.Local == prefix {
					if d.Data == uri {
						return nil
					}
					found = true
					break
				}
			}
			if found {
				break
			}
		}
	}
	if err := b.account(len(prefix) + len(uri)); err != nil {
		return err
	}
	b.cur.NSDecls = append(b.cur.NSDecls, &xpath.Node{Kind: xpath.NamespaceNode, Local: prefix, Data: uri, Parent: b.cur})
	return nil
}

// copyNamespaces adds the namespaces in scope at source element e.
func (b *builder) copyNamespaces(e *xpath.Node) error {
	var seen []string
	for a := e; a != nil && a.Kind == xpath.ElementNode; a = a.Parent {
		for _, d := range a.NSDecls {
			dup := false
			for _, s := range seen {
				if s == d.Local {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			seen = append(seen, d.Local)
			if d.Data == "" || d.Local == "xml" {
				continue
			}
			if err := b.namespace(d.Local, d.Data); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *builder) comment(s string) error {
	b.flush()
	if err := b.account(len(s)); err != nil {
		return err
	}
	b.cur.Children = append(b.cur.Children, &xpath.Node{Kind: xpath.CommentNode, Data: s, Parent: b.cur})
	return nil
}

func (b *builder) pi(target, data string) error {
	b.flush()
	if err := b.account(len(target) + len(data)); err != nil {
		return err
	}
	b.cur.Children = append(b.cur.Children, &xpath.Node{Kind: xpath.ProcInstNode, Local: target, Data: data, Parent: b.cur})
	return nil
}

// copyNode adds a deep copy of n (xsl:copy-of).
func (b *builder) copyNode(n *xpath.Node) error {
	switch n.Kind {
	case xpath.RootNode:
		for _, c := range n.Children {
			if err := b.copyNode(c); err != nil {
				return err
			}
		}
	case xpath.ElementNode:
		if err := b.startElement(n.Space, n.Prefix, n.Local); err != nil {
			return err
		}
		if err := b.copyNamespaces(n); err != nil {
			return err
		}
		for _, a := range n.Attrs {
			if err := b.attribute(a.Space, a.Prefix, a.Local, a.Data); err != nil {
				return err
			}
		}
		for _, c := range n.Children {
			if err := b.copyNode(c); err != nil {
				return err
			}
		}
		b.endElement()
	case xpath.AttributeNode:
		return b.attribute(n.Space, n.Prefix, n.Local, n.Data)
	case xpath.TextNode:
		return b.text(n.Data, false)
	case xpath.CommentNode:
		return b.comment(n.Data)
	case xpath.ProcInstNode:
		return b.pi(n.Local, n.Data)
	case xpath.NamespaceNode:
		return b.namespace(n.Local, n.Data)
	}
	return nil
}

func (b *builder) finish() *xpath.Node {
	b.flush()
	return b.root
}
