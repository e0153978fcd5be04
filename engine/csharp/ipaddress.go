package csharp

import (
	"net/netip"
	"strings"
)

// System.Net.IPAddress (APIM allows all of it): netip.Addr at run time.
// Parse and TryParse read dotted IPv4 and IPv6 text (an IPv6 zone is
// kept); GetAddressBytes, AddressFamily ("InterNetwork" or
// "InterNetworkV6", a string here), MapToIPv4, MapToIPv6,
// IsIPv4MappedToIPv6, IPAddress.IsLoopback, the well-known addresses, and
// new IPAddress(byte[]) for masks built byte by byte.

func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return a, err == nil
}

func registerIPAddress() {
	S, B := tString, tBool
	addr := func(v any) (netip.Addr, error) {
		a, ok := v.(netip.Addr)
		if !ok {
			return netip.Addr{}, errNull
		}
		return a, nil
	}
	static("IPAddress", "Parse", ts(S), tIPAddress, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("ipString")
		}
		ip, ok := parseIP(s)
		if !ok {
			return nil, exc("FormatException", "An invalid IP address was specified.")
		}
		return ip, nil
	}, nil)
	static("IPAddress", "new", ts(tBytes), tIPAddress, func(a []any) (any, error) {
		b, ok := a[0].([]byte)
		if !ok {
			return nil, argNull("address")
		}
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			return nil, exc("ArgumentException", "An invalid IP address was specified. (Parameter 'address')")
		}
		return ip, nil
	}, nil)
	static("IPAddress", "IsLoopback", ts(tIPAddress), B, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, argNull("address")
		}
		return ip.Unmap().IsLoopback(), nil
	}, nil)
	for name, v := range map[string]netip.Addr{
		"Any": netip.IPv4Unspecified(), "Loopback": netip.MustParseAddr("127.0.0.1"), "Broadcast": netip.MustParseAddr("255.255.255.255"),
		"None": netip.MustParseAddr("255.255.255.255"), "IPv6Any": netip.IPv6Unspecified(), "IPv6Loopback": netip.IPv6Loopback(), "IPv6None": netip.IPv6Unspecified(),
	} {
		v := v
		staticProp("IPAddress", name, tIPAddress, func([]any) (any, error) { return v, nil }, nil)
	}
	for _, f := range []string{"InterNetwork", "InterNetworkV6"} {
		f := f
		staticProp("AddressFamily", f, S, func([]any) (any, error) { return f, nil }, nil)
	}
	method(KIPAddress, "GetAddressBytes", ts(), tBytes, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, err
		}
		return ip.AsSlice(), nil
	}, nil)
	prop(KIPAddress, "AddressFamily", S, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, err
		}
		if ip.Is4() {
			return "InterNetwork", nil
		}
		return "InterNetworkV6", nil
	}, nil)
	prop(KIPAddress, "IsIPv4MappedToIPv6", B, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, err
		}
		return ip.Is4In6(), nil
	}, nil)
	method(KIPAddress, "MapToIPv4", ts(), tIPAddress, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, err
		}
		if ip.Is6() && !ip.Is4In6() {
			b := ip.As16() // .NET takes the last four bytes
			return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), nil
		}
		return ip.Unmap(), nil
	}, nil)
	method(KIPAddress, "MapToIPv6", ts(), tIPAddress, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, err
		}
		if ip.Is4() {
			return netip.AddrFrom16(ip.As16()), nil
		}
		return ip, nil
	}, nil)
	method(KIPAddress, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KIPAddress, "Equals", ts(tObject), B, func(a []any) (any, error) {
		x, err := addr(a[0])
		if err != nil {
			return nil, err
		}
		y, ok := a[1].(netip.Addr)
		return ok && x == y, nil
	}, nil)
}
