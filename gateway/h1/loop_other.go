//go:build !linux

package h1

import "net"

func loopListener(net.Listener) (int, bool) { return -1, false }

func (s *Server) serveLoop(int) error { panic("h1: no event loops on this platform") }

func (s *Server) stopLoops() {}

// leaveLoop: no loops on this platform.
func (c *conn) leaveLoop() bool {
	c.ctx = nil
	return true
}
