package xslt

import (
	"strings"

	"tollgate/internal/xpath"
)

// spaceRule is one name test of xsl:strip-space or xsl:preserve-space.
type spaceRule struct {
	space    string
	local    string // "" for any
	anySpace bool
	strip    bool
	prio     float64
	idx      int
}

func (c *compiler) compileSpace(n *sNode) error {
	if err := c.checkAttrs(n, attrsOf("elements"), c.fcp); err != nil {
		return err
	}
	v, ok := n.attr("elements")
	if !ok {
		return errAt(n, "xsl:%s must have an elements attribute", n.local)
	}
	strip := n.local == "strip-space"
	for _, t := range strings.Fields(v) {
		r := spaceRule{strip: strip, idx: len(c.ss.spaceRules)}
		switch {
		case t == "*":
			r.anySpace, r.prio = true, -0.5
		case strings.HasSuffix(t, ":*"):
			p := strings.TrimSuffix(t, ":*")
			u, ok := n.lookup(p)
			if !ok || !isNCName(p) {
				return errAt(n, "undeclared namespace prefix %q in %q", p, t)
			}
			r.space, r.prio = u, -0.25
		default:
			q, err := c.qnameOf(n, t)
			if err != nil {
				return err
			}
			r.space, r.local = q.space, q.local
		}
		c.ss.spaceRules = append(c.ss.spaceRules, r)
	}
	return nil
}

// strips reports whether whitespace-only text children of e are stripped
// by the rules (the last of the highest priority wins).
func (s *Stylesheet) strips(e *xpath.Node) bool {
	var best *spaceRule
	for i := range s.spaceRules {
		r := &s.spaceRules[i]
		if !r.anySpace && r.space != e.Space {
			continue
		}
		if r.local != "" && r.local != e.Local {
			continue
		}
		if best == nil || r.prio >= best.prio {
			best = r
		}
	}
	return best != nil && best.strip
}

// stripSource removes the whitespace-only text nodes xsl:strip-space asks
// to, honouring xml:space.
func (s *Stylesheet) stripSource(doc *xpath.Node) {
	type key struct{ space, local string }
	cache := map[key]bool{}
	var walk func(n *xpath.Node, preserve bool)
	walk = func(n *xpath.Node, preserve bool) {
		if n.Kind == xpath.ElementNode {
			for _, a := range n.Attrs {
				if a.Space == xpath.XMLNamespace && a.Local == "space" {
					switch a.Data {
					case "preserve":
						preserve = true
					case "default":
						preserve = false
					}
				}
			}
		}
		strip := false
		if n.Kind == xpath.ElementNode && !preserve {
			k := key{n.Space, n.Local}
			v, ok := cache[k]
			if !ok {
				v = s.strips(n)
				cache[k] = v
			}
			strip = v
		}
		kept := n.Children[:0]
		for _, c := range n.Children {
			if strip && c.Kind == xpath.TextNode && strings.Trim(c.Data, " \t\r\n") == "" {
				continue
			}
			kept = append(kept, c)
			if c.Kind == xpath.ElementNode {
				walk(c, preserve)
			}
		}
		for i := len(kept); i < len(n.Children); i++ {
			n.Children[i] = nil
		}
		n.Children = kept
	}
	walk(doc, false)
}
