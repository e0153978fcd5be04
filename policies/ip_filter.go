package policies

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"tollgate/engine"
)

// ReasonCallerIpNotAllowed is ip-filter's failure reason (APIM's name).
const ReasonCallerIpNotAllowed = "CallerIpNotAllowed"

// <ip-filter action="allow|forbid">
//
//	<address>13.66.201.169</address>
//	<address-range from="13.66.140.128" to="13.66.140.143"/>
//	<address>10.0.0.0/8</address>   (tollgate: CIDR)
//
// </ip-filter>
// The caller is context.Request.IpAddress: the TCP peer of the gateway.
// X-Forwarded-For is not trusted. IPv4-mapped IPv6 addresses
// (::ffff:1.2.3.4) count as IPv4. A caller that is not allowed gets 403
// CallerIpNotAllowed.
type ipFilter struct {
	action engine.Str
	ranges []ipRange
}

type ipRange struct{ from, to netip.Addr }

func (r ipRange) has(a netip.Addr) bool {
	return a.BitLen() == r.from.BitLen() && r.from.Compare(a) <= 0 && a.Compare(r.to) <= 0
}

func (k *kit) parseIPFilter(p *engine.Parser) engine.Step {
	f := &ipFilter{action: p.RequiredStr("action")}
	if f.action.IsConst() && p.Has("action") && !oneOf(f.action.Const(), []string{"allow", "forbid"}) {
		p.ErrorAt(p.Node().Attr("action").ValuePos, "attribute \"action\" must be allow or forbid, not %q", f.action.Const())
	}
	for _, n := range p.Children() {
		c := p.Child(n)
		switch n.Name {
		case "address":
			t := c.TextStr()
			if !t.IsConst() {
				c.Errorf("<address> must be written out, not an expression")
				continue
			}
			r, err := parseAddress(t.Const())
			if err != nil {
				c.ErrorAt(n.TextPos, "%s", err.Error())
				continue
			}
			f.ranges = append(f.ranges, r)
		case "address-range":
			from, to := c.RequiredLitStr("from"), c.RequiredLitStr("to")
			if from == "" || to == "" {
				continue
			}
			a, err1 := parseIP(from)
			if err1 != nil {
				c.ErrorAt(n.Attr("from").ValuePos, "%s", err1.Error())
			}
			b, err2 := parseIP(to)
			if err2 != nil {
				c.ErrorAt(n.Attr("to").ValuePos, "%s", err2.Error())
			}
			if err1 != nil || err2 != nil {
				continue
			}
			if a.BitLen() != b.BitLen() {
				c.Errorf("the range mixes IPv4 (%s) and IPv6 (%s): give two addresses of one family", a, b)
				continue
			}
			if a.Compare(b) > 0 {
				c.Errorf("the range goes backwards: from %s is after to %s", a, b)
				continue
			}
			f.ranges = append(f.ranges, ipRange{a, b})
		default:
			c.Errorf("unexpected element <%s> inside <ip-filter> (want address, address-range)", n.Name)
		}
	}
	if len(p.Children()) == 0 {
		p.Errorf("<ip-filter> needs at least one <address> or <address-range>")
	}
	return f
}

func parseIP(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 or IPv6 address", s)
	}
	return a.Unmap(), nil
}

// parseAddress reads an address or a CIDR prefix as a range.
func parseAddress(s string) (ipRange, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return ipRange{}, fmt.Errorf("%q is not an address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		pfx = pfx.Masked()
		return ipRange{pfx.Addr(), lastAddr(pfx)}, nil
	}
	a, err := parseIP(s)
	if err != nil {
		return ipRange{}, err
	}
	return ipRange{a, a}, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func (f *ipFilter) Run(_ context.Context, s *engine.State) error {
	action, err := f.action.Eval(s)
	if err != nil {
		return err
	}
	if action != "allow" && action != "forbid" {
		return engine.NewPolicyError(engine.ReasonExpression, http.StatusInternalServerError,
			fmt.Sprintf("ip-filter action must be allow or forbid, not %q", action), nil)
	}
	raw := s.Context().Request.IpAddress
	listed := false
	if ip, err := netip.ParseAddr(raw); err == nil {
		ip = ip.WithZone("").Unmap()
		for _, r := range f.ranges {
			if r.has(ip) {
				listed = true
				break
			}
		}
	}
	if listed == (action == "allow") {
		return nil
	}
	return engine.NewPolicyError(ReasonCallerIpNotAllowed, http.StatusForbidden,
		fmt.Sprintf("Caller IP address %s is not allowed. Access denied.", raw), nil)
}
