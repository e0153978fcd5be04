//go:build unix

package testutil

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// ClosedPort returns a loopback address nothing listens on, and keeps it
// so until the test ends: a socket is bound to the port but never listens,
// so a connection is refused and no listener the test opens meanwhile (a
// gateway's, a backend's) can be given the port. (Closing a listener to
// free its port let a later listener of the same test get it, and the
// "closed" backend was then the gateway itself.)
func ClosedPort(tb testing.TB) string {
	tb.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		tb.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
