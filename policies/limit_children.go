package policies

import (
	"time"

	"tollgate/engine"
)

// APIM's <api> and <operation> children of <rate-limit> and <quota>: more
// limits, each applied independently of the element's own, on the calls to
// one API (typically in a product's policy) and to one operation of it.
//
//	<rate-limit calls="100" renewal-period="60">
//	  <api name="orders" calls="20" renewal-period="60">
//	    <operation id="get-order" calls="5" renewal-period="60"/>
//	  </api>
//	</rate-limit>
//
// An <api> or <operation> names its target by id or by name; with both, id
// is used and name ignored (as APIM's reference says). A call must be within
// every limit that applies to it; limits are checked first, then the call is
// counted against each, so a refused call is counted by none (tollgate's
// rule for every limit, see docs/limits.md). Each child counts per
// subscription, as the element does (per API without one).

// limitTarget is the API or operation a child limits.
type limitTarget struct {
	ref  string // its id, or its name
	byID bool
}

// parseLimitTarget reads the child's id and name attributes.
func parseLimitTarget(p *engine.Parser) limitTarget {
	id, name := p.LitStr("id", ""), p.LitStr("name", "")
	switch {
	case id != "":
		return limitTarget{ref: id, byID: true}
	case name != "":
		return limitTarget{ref: name}
	}
	p.Errorf("<%s> needs the attribute \"name\" or \"id\" (the %s it limits)", p.Node().Name, targetKind(p.Node().Name))
	return limitTarget{}
}

func targetKind(elem string) string {
	if elem == "api" {
		return "API"
	}
	return "operation"
}

// attr is the attribute the target is named by: id or name.
func (t limitTarget) attr() string {
	if t.byID {
		return "id"
	}
	return "name"
}

// key is the target's part of a store key.
func (t limitTarget) key() string { return t.attr() + "=" + t.ref }

// match reports whether the target is the API or operation with this id
// and name.
func (t limitTarget) match(id, name string) bool {
	if t.byID {
		return id == t.ref
	}
	return name == t.ref
}

// childLimit is one <api> or <operation> child: its target and its own
// limits (rate-limit: calls per sliding window; quota: calls and bandwidth
// per fixed period), with store keys of its own.
type childLimit struct {
	target limitTarget
	calls  int64         // 0: no calls limit (quota with bandwidth only)
	bytes  int64         // quota's bandwidth in bytes; 0: none
	period time.Duration // rate-limit's window, quota's period
	start  time.Time     // quota's first period start
	keys   [2]apiKeys    // calls, bandwidth
	ops    []*childLimit // an <api>'s <operation> children
}

// parseLimitChildren reads the <api> children of p (each with its
// <operation> children). limits parses a child's own attributes; prefix
// is the element's store key prefixes (calls, bandwidth).
func parseLimitChildren(p *engine.Parser, prefix [2]string, limits func(*engine.Parser, *childLimit)) []*childLimit {
	var out []*childLimit
	seen := map[limitTarget]bool{}
	for _, n := range p.Children() {
		switch n.Name {
		case "api":
			cp := p.Child(n)
			a := &childLimit{target: parseLimitTarget(cp)}
			limits(cp, a)
			if a.target.ref != "" && seen[a.target] {
				cp.Errorf("a second <api> for the API %s %q: give each API one <api>", a.target.attr(), a.target.ref)
			}
			seen[a.target] = true
			for i := range a.keys {
				a.keys[i] = apiKeys{prefix: prefix[i] + "api:" + a.target.key() + "|", scope: p.Scope()}
			}
			opSeen := map[limitTarget]bool{}
			for _, on := range cp.Children() {
				if on.Name != "operation" {
					continue // reported as unexpected
				}
				op := cp.Child(on)
				o := &childLimit{target: parseLimitTarget(op)}
				limits(op, o)
				if o.target.ref != "" && opSeen[o.target] {
					op.Errorf("a second <operation> for the operation %s %q in this <api>", o.target.attr(), o.target.ref)
				}
				opSeen[o.target] = true
				for i := range o.keys {
					o.keys[i] = apiKeys{prefix: a.keys[i].prefix + "op:" + o.target.key() + "|", scope: p.Scope()}
				}
				a.ops = append(a.ops, o)
			}
			out = append(out, a)
		case "operation":
			p.Skip(n)
			p.ErrorAt(n.Pos, "<operation> inside <%s> goes inside the <api> of its API: <api name=\"…\"><operation name=\"…\" …/></api>", p.Node().Name)
		}
	}
	return out
}

// applying appends to out the children whose target is this request's API
// (and, inside it, operation), in document order.
func applying(children []*childLimit, c *engine.Context, out []*childLimit) []*childLimit {
	if c.Api == nil {
		return out
	}
	for _, a := range children {
		if !a.target.match(c.Api.Id, c.Api.Name) {
			continue
		}
		out = append(out, a)
		for _, o := range a.ops {
			if c.Operation != nil && o.target.match(c.Operation.Id, c.Operation.Name) {
				out = append(out, o)
			}
		}
	}
	return out
}
