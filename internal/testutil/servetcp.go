package testutil

import (
	"net"
	"testing"
)

// ServeTCP listens on loopback and runs serve for each connection it
// accepts, in a goroutine of its own; the listener closes with the test.
// It returns the address.
func ServeTCP(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}
