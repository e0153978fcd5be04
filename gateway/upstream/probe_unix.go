//go:build unix

package upstream

import (
	"crypto/tls"
	"net"
	"syscall"
)

// alive peeks at an idle connection without blocking: a backend that
// closed it (EOF) or sent something unasked is not alive; nothing to read
// (EAGAIN) is. One recvfrom, done before sending a request that could not
// be sent again if the connection turned out stale.
func alive(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	ok = true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
		case err != nil || n >= 0:
			ok = false // EOF (0), data nobody asked for (1), or an error
		}
		return true // never wait
	})
	return ok && err == nil
}
