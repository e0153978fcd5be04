//go:build !linux

package wsproxy

import (
	"net"
	"sync/atomic"
)

var relayerNames = []string{"goroutines"}

// Default is the platform's relayer: the goroutine relay (the event loop is
// Linux only).
func Default() Relayer { return Goroutines{} }

func platformRelayer(string) Relayer { return nil }

// setEventLoops: no event loop here.
func setEventLoops(int) error { return nil }

// loopStarts: no event loop here.
var loopStarts atomic.Int64

// loopSessions: no event loop here.
var loopSessions atomic.Int64

// loopTakes: no event loop here, every relay keeps its Conns.
func loopTakes(Relayer, net.Conn, net.Conn) bool { return false }
