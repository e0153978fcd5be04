//go:build linux

package rawio_test

import (
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
)

// TestSocketCalls runs a connection's life through the raw socket calls,
// on IPv4 and IPv6 loopback: a listening socket, a non-blocking connect,
// accept4 with the peer's address (port byte order, family), the options,
// a half-close the peer reads as EOF, and close.
func TestSocketCalls(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
		family     int
	}{
		{"ipv4", "127.0.0.1:0", unix.AF_INET},
		{"ipv6", "[::1]:0", unix.AF_INET6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", tc.addr)
			if err != nil {
				t.Skipf("no %s loopback: %v", tc.name, err) // a host without IPv6
			}
			defer ln.Close()
			lfd := listenerFD(t, ln)
			defer unix.Close(lfd)
			lap := ln.Addr().(*net.TCPAddr).AddrPort()

			// Nothing to accept yet: EAGAIN, not a wait.
			if _, _, e := rawio.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC); e != unix.EAGAIN {
				t.Fatalf("accept4 on an empty queue: %v, want EAGAIN", e)
			}

			fd, e := rawio.Socket(tc.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if e != 0 {
				t.Fatal(e)
			}
			defer rawio.Close(fd)
			if e := rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); e != 0 {
				t.Fatal(e)
			}
			if v, e := rawio.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); e != 0 || v == 0 {
				t.Fatalf("TCP_NODELAY read back as %d, %v", v, e)
			}
			var ra rawio.Addr
			if f := ra.Set(lap, 0); f != tc.family {
				t.Fatalf("Set gave family %d, want %d", f, tc.family)
			}
			if e := ra.Connect(fd); e != 0 && e != unix.EINPROGRESS {
				t.Fatalf("connect: %v", e)
			}

			var nfd int
			var peer unix.Sockaddr
			for deadline := time.Now().Add(5 * time.Second); ; {
				nfd, peer, e = rawio.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
				if e != unix.EAGAIN || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			if e != 0 {
				t.Fatalf("accept4: %v", e)
			}
			defer rawio.Close(nfd)
			local, err := unix.Getsockname(fd)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := addrPort(peer), addrPort(local); got != want || !got.IsValid() {
				t.Fatalf("accepted peer %v, the connecting socket is %v", got, want)
			}
			if fl, err := unix.FcntlInt(uintptr(nfd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK == 0 {
				t.Fatalf("accepted socket not non-blocking: %#x, %v", fl, err)
			}

			// The connect's outcome, as a dialer reads it.
			if v, e := rawio.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); e != 0 || v != 0 {
				t.Fatalf("SO_ERROR %d, %v", v, e)
			}
			if e := rawio.Shutdown(fd, unix.SHUT_WR); e != 0 {
				t.Fatal(e)
			}
			var b [8]byte
			if n, e := readPolling(rawio.ReadFD, nfd, b[:]); n != 0 || e != 0 {
				t.Fatalf("read after the peer's shutdown: %d, %v; want EOF", n, e)
			}
			if e := rawio.Close(nfd); e != 0 {
				t.Fatal(e)
			}
			if e := rawio.Close(nfd); e != unix.EBADF {
				t.Fatalf("second close: %v, want EBADF", e)
			}
			nfd = -1
		})
	}
}

// TestConnectRefused: a refused connect reports its error (at once or
// through SO_ERROR).
func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nobody listens there now
	fd, e := rawio.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		t.Fatal(e)
	}
	defer rawio.Close(fd)
	var ra rawio.Addr
	// An IPv4-mapped address connects over IPv4 (the socket is AF_INET).
	ra.Set(netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), uint16(port)), 0)
	e = ra.Connect(fd)
	if e == unix.EINPROGRESS {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			v, ge := rawio.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
			if ge != 0 {
				t.Fatal(ge)
			}
			if v != 0 {
				e = unix.Errno(v)
				break
			}
		}
	}
	if e != unix.ECONNREFUSED {
		t.Fatalf("connect to a closed port: %v, want ECONNREFUSED", e)
	}
	if rawio.Err(0) != nil || rawio.Err(unix.EPIPE) != unix.EPIPE {
		t.Fatal("Err: 0 must be nil and an errno itself")
	}
	var sink error
	if n := testing.AllocsPerRun(100, func() { sink = rawio.Err(unix.ECONNRESET) }); n != 0 || sink == nil {
		t.Fatalf("Err allocated %v times", n) // the relay turns every EAGAIN into an error
	}
}

// TestSockaddr decodes raw addresses as the kernel writes them (port in
// network byte order).
func TestSockaddr(t *testing.T) {
	var a4 unix.RawSockaddrAny
	r4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&a4))
	r4.Family = unix.AF_INET
	*(*[2]byte)(unsafe.Pointer(&r4.Port)) = [2]byte{0x1f, 0x90} // 8080, network byte order
	r4.Addr = [4]byte{10, 1, 2, 3}
	if got, ok := rawio.Sockaddr(&a4).(*unix.SockaddrInet4); !ok || got.Port != 8080 || got.Addr != r4.Addr {
		t.Fatalf("inet4: %#v", rawio.Sockaddr(&a4))
	}
	var a6 unix.RawSockaddrAny
	r6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(&a6))
	r6.Family = unix.AF_INET6
	*(*[2]byte)(unsafe.Pointer(&r6.Port)) = [2]byte{0x01, 0xbb} // 443
	r6.Scope_id = 7
	r6.Addr = netip.MustParseAddr("fe80::1").As16()
	if got, ok := rawio.Sockaddr(&a6).(*unix.SockaddrInet6); !ok || got.Port != 443 || got.ZoneId != 7 || got.Addr != r6.Addr {
		t.Fatalf("inet6: %#v", rawio.Sockaddr(&a6))
	}
	var au unix.RawSockaddrAny
	au.Addr.Family = unix.AF_UNIX
	if sa := rawio.Sockaddr(&au); sa != nil {
		t.Fatalf("unix family: %#v, want nil", sa)
	}
}

func listenerFD(t *testing.T, ln net.Listener) int {
	t.Helper()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	if cerr := rc.Control(func(f uintptr) { fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); cerr != nil || err != nil {
		t.Fatal(cerr, err)
	}
	return fd
}

func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}
