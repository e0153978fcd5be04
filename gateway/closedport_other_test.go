//go:build !unix

package gateway_test

import (
	"net"
	"testing"
)

// reservedClosedPort returns a loopback address nothing listens on (the
// port freed by closing a listener).
func reservedClosedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
