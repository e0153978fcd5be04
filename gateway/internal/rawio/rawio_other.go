//go:build !linux

package rawio

import "net"

// Wrap returns c: elsewhere than on Linux, net.Conn's own calls are used.
func Wrap(c net.Conn) net.Conn { return c }
