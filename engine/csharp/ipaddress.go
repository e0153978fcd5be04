package csharp

import (
	"fmt"
	"net/netip"
	"strings"
)

// System.Net.IPAddress: netip.Addr at run time. APIM's table of allowed
// types lists only its AddressFamily, Equals, GetAddressBytes, IsLoopback,
// Parse, TryParse and ToString: tollgate has those (AddressFamily a string
// here, "InterNetwork" or "InterNetworkV6"; Parse and TryParse read dotted
// IPv4 and IPv6 text, an IPv6 zone kept). The rest of the class (new
// IPAddress(bytes), Loopback, Any..., MapToIPv4, MapToIPv6,
// IsIPv4MappedToIPv6) and the AddressFamily enum's values are load errors
// that say so (ipAddressHint).

// ipAddressAllowed is what APIM's table allows of IPAddress.
const ipAddressAllowed = "AddressFamily, Equals, GetAddressBytes, IsLoopback, Parse, TryParse and ToString"

// ipAddressHint says why a member of IPAddress tollgate does not have is
// refused ("" when APIM's table would allow it).
func ipAddressHint(name string) string {
	switch name {
	case "Any", "Loopback", "Broadcast", "None", "IPv6Any", "IPv6Loopback", "IPv6None":
		return fmt.Sprintf(" (APIM's table of allowed types lists only %s of IPAddress: write IPAddress.Parse(\"%s\"))", ipAddressAllowed, ipWellKnown[name])
	case "MapToIPv4", "MapToIPv6", "IsIPv4MappedToIPv6", "new", "Address", "ScopeId", "IsIPv6LinkLocal", "IsIPv6Multicast", "IsIPv6SiteLocal", "IsIPv6Teredo", "HostToNetworkOrder", "NetworkToHostOrder", "GetHashCode":
		return fmt.Sprintf(" (APIM's table of allowed types lists only %s of IPAddress: compare GetAddressBytes() instead)", ipAddressAllowed)
	}
	return ""
}

// ipWellKnown are the texts of IPAddress's well-known addresses, for the
// hint that names what to parse instead.
var ipWellKnown = map[string]string{"Any": "0.0.0.0", "Loopback": "127.0.0.1", "Broadcast": "255.255.255.255", "None": "255.255.255.255",
	"IPv6Any": "::", "IPv6Loopback": "::1", "IPv6None": "::"}

// addressFamilyHint is the load error's hint for the AddressFamily enum,
// which APIM's table does not list.
const addressFamilyHint = ` (APIM's table of allowed types lists IPAddress's AddressFamily property, not the AddressFamily enum: compare ip.AddressFamily.ToString() == "InterNetwork" or "InterNetworkV6")`

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
	static("IPAddress", "IsLoopback", ts(tIPAddress), B, func(a []any) (any, error) {
		ip, err := addr(a[0])
		if err != nil {
			return nil, argNull("address")
		}
		return ip.Unmap().IsLoopback(), nil
	}, nil)
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
