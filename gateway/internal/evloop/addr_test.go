//go:build linux

package evloop

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
)

// TestRemoteAddrString: the address string a Conn makes from its peer's
// socket address is net.TCPAddr's, for IPv4, IPv6, a v4-mapped IPv6
// address (which net.IP prints as IPv4) and an IPv6 zone (the long way).
func TestRemoteAddrString(t *testing.T) {
	v6 := func(ip string, port int, zone uint32) unix.Sockaddr {
		a := &unix.SockaddrInet6{Port: port, ZoneId: zone}
		copy(a.Addr[:], net.ParseIP(ip).To16())
		return a
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range []unix.Sockaddr{
		&unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: 80},
		&unix.SockaddrInet4{Addr: [4]byte{10, 20, 30, 40}, Port: 65535},
		&unix.SockaddrInet4{Port: 0},
		v6("::1", 8080, 0),
		v6("2001:db8::1:0:0:1", 443, 0),
		v6("::ffff:192.0.2.1", 1234, 0),
		v6("::", 1, 0),
		v6("fe80::1", 5, uint32(lo.Index)),
	} {
		c := &Conn{peer: peerOf(sa)}
		want := tcpAddr(sa).String()
		if got := c.RemoteAddrString(); got != want {
			t.Errorf("%+v: %q; net.TCPAddr says %q", sa, got, want)
		}
		if got := c.RemoteAddr().String(); got != want {
			t.Errorf("%+v: RemoteAddr %q; net.TCPAddr says %q", sa, got, want)
		}
	}
}

// peerOf is sa as the Peer a Conn keeps.
func peerOf(sa unix.Sockaddr) rawio.Peer {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		p := rawio.Peer{Family: unix.AF_INET, Port: uint16(a.Port)}
		copy(p.IP[:4], a.Addr[:])
		return p
	case *unix.SockaddrInet6:
		return rawio.Peer{Family: unix.AF_INET6, Port: uint16(a.Port), Zone: a.ZoneId, IP: a.Addr}
	}
	return rawio.Peer{}
}
