package xslt

import (
	"fmt"
	"slices"
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
	// src has an entry for each element open in the result: the source
	// element copyNamespaces copied its namespaces from, or nil. An
	// element copied under the copy of its parent has all but its own
	// declarations in scope already.
	src []*xpath.Node
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
	b.src = append(b.src, nil)
	return nil
}

func (b *builder) endElement() {
	b.flush()
	if b.cur.Parent != nil {
		b.cur = b.cur.Parent
		b.src = b.src[:len(b.src)-1]
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
	return b.addNamespace(prefix, uri)
}

// addNamespace is namespace for a prefix the current element does not
// bind yet. The declarations it looks at on the way up count as steps: a
// body can declare thousands of namespaces.
func (b *builder) addNamespace(prefix, uri string) error {
	// A binding an ancestor already makes is in scope anyway: no node
	// (unless an element between uses the prefix for another namespace).
	{
		looked := 0
		for a := b.cur.Parent; a != nil && a.Kind == xpath.ElementNode; a = a.Parent {
			looked++
			if a.Prefix == prefix && a.Space != uri {
				break
			}
			found := false
			for _, d := range a.NSDecls {
				looked++
				if d.Local == prefix {
					if d.Data == uri {
						return b.rt.charge(looked)
					}
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if err := b.rt.charge(looked); err != nil {
			return err
		}
	}
	if err := b.account(len(prefix) + len(uri)); err != nil {
		return err
	}
	b.cur.NSDecls = append(b.cur.NSDecls, &xpath.Node{Kind: xpath.NamespaceNode, Local: prefix, Data: uri, Parent: b.cur})
	return nil
}

// copyNamespaces adds the namespaces in scope at source element e to the
// element just started. Under the copy of e's parent only e's own
// declarations are new; elsewhere every namespace in scope is looked at,
// one step each.
func (b *builder) copyNamespaces(e *xpath.Node) error {
	top := len(b.src) - 1
	b.src[top] = e
	inherited := top == 0 || b.src[top-1] == nil || b.src[top-1] != e.Parent
	var seen []string
	var seenSet map[string]bool // seen, once it is long
	for a := e; a != nil && a.Kind == xpath.ElementNode && (a == e || inherited); a = a.Parent {
		if len(a.NSDecls) == 0 {
			continue
		}
		if err := b.canAddToElement("a namespace node"); err != nil {
			return err
		}
		if err := b.rt.charge(len(a.NSDecls)); err != nil {
			return err
		}
		for _, d := range a.NSDecls {
			if seenSet != nil {
				if seenSet[d.Local] {
					continue
				}
				seenSet[d.Local] = true
			} else {
				if slices.Contains(seen, d.Local) {
					continue
				}
				if seen = append(seen, d.Local); len(seen) > 16 {
					seenSet = make(map[string]bool, 2*len(seen))
					for _, p := range seen {
						seenSet[p] = true
					}
				}
			}
			if d.Data == "" || d.Local == "xml" {
				continue
			}
			// the element was just started: it binds only what this
			// loop added, and seen keeps the first binding of a prefix
			if err := b.addNamespace(d.Local, d.Data); err != nil {
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
