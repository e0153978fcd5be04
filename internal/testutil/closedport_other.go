//go:build !unix

package testutil

import (
	"net"
	"testing"
)

// ClosedPort returns a loopback address nothing listens on (the port freed
// by closing a listener).
func ClosedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
