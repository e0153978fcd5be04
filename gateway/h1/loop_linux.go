//go:build linux

package h1

import (
	"context"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/rawio"
)

// loopListener takes a TCP listener's socket for the event loops: a
// duplicate of its descriptor, the listener itself closed so that Go's
// poller is not woken for every connection nobody accepts through it.
func loopListener(ln net.Listener) (int, bool) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return -1, false
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd := -1
	if cerr := rc.Control(func(f uintptr) { fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); cerr != nil || err != nil {
		return -1, false
	}
	_ = tl.Close()
	return fd, true
}

// serveLoop serves the listening socket fd on the server's event loops
// until Shutdown or Close. It is called with s.mu held and unlocks it.
func (s *Server) serveLoop(fd int) error {
	if s.loops == nil {
		g, err := evloop.NewGroup(s.Loops)
		if err != nil {
			s.mu.Unlock()
			_ = unix.Close(fd)
			return err
		}
		s.loops, s.loopsDone = g, make(chan struct{})
	}
	g, done := s.loops, s.loopsDone
	s.mu.Unlock()
	if err := g.Listen(fd, s.serveLoopConn); err != nil {
		_ = unix.Close(fd)
		return err
	}
	<-done
	return ErrServerClosed
}

// serveLoopConn serves one connection in its loop task: the same code as
// a goroutine's (conn.serve), on a connection whose waits suspend the task.
//
// The connection's state is kept with the task (evloop.Task.Keep) and
// serves the task's next connection: a task runs one connection at a time
// and is given another only once this function has returned, and serve
// has by then untracked the connection (Shutdown and Close reach it no
// more) and handed its socket and buffers on. What may still point at it
// is a request's response writer or body kept past its request, which
// refuse every use once their request ended (response.ended, body.Close
// at the request's end: TestLateWriterOnReusedConn). The state is cleared
// when the connection ends, so an idle task keeps no socket or server
// alive. One allocation less per connection (a WebSocket handshake's).
func (s *Server) serveLoopConn(ctx context.Context, ec *evloop.Conn) {
	t := evloop.TaskFrom(ctx)
	c, _ := t.Keep.(*conn)
	if c == nil {
		c = new(conn)
		t.Keep = c
	}
	c.srv, c.rwc, c.ctx = s, ec, ctx
	defer func() {
		if c.hijacked && !c.rawHijack {
			// Hijack's reader reads the socket through c (connReader):
			// c is the hijacker's now, and the task makes another.
			t.Keep = nil
			return
		}
		*c = conn{hdr: c.hdr} // an empty map (ReuseHeader): it keeps nothing alive
	}()
	if !s.track(c) {
		_ = ec.Close()
		return
	}
	c.serve(nil)
}

// stopLoops ends the event loops once no connection is left to them.
func (s *Server) stopLoops() {
	s.mu.Lock()
	g, done := s.loops, s.loopsDone
	s.loops = nil
	s.mu.Unlock()
	if g != nil {
		g.Stop()
		close(done)
	}
}

// leaveLoop moves the connection off its event loop for good: its task is
// released (it goes on as an ordinary goroutine), its socket leaves the
// loop's epoll instance and becomes a connection of Go's poller (a
// descriptor copied, the loop's closed), and its requests from now on
// carry no task, as on the goroutine front: the backend client then uses
// its shared pools and writes a large body from a goroutine of its own.
// What the read buffer holds is kept. It reports false when the
// connection cannot go on (the server is closing, or the copy failed).
func (c *conn) leaveLoop() bool {
	ec, ok := c.rwc.(*evloop.Conn)
	task := evloop.TaskFrom(c.ctx)
	if !ok || task == nil {
		c.ctx = nil
		return true
	}
	task.Release()
	s := c.srv
	// Under s.mu: Close aborts every tracked connection through c.rwc,
	// which must not be the loop's (detached, so an Abort would do
	// nothing) once the socket is the new one's.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown.Load() {
		return false
	}
	fd, err := ec.Detach()
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), "")
	nc, err := net.FileConn(f) // a copy of the descriptor, in Go's poller
	_ = f.Close()
	if err != nil {
		return false
	}
	c.rwc, c.io, c.ctx = nc, rawio.Wrap(nc), nil
	c.w.c, c.w.armed = c.io, 0 // the new socket has no write deadline yet
	return true
}
