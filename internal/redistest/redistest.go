// Package redistest runs throw-away redis-server processes for tests and
// benchmarks: each on its own loopback port, with no persistence, killed at
// cleanup.
//
// redis-server must be on PATH (the test task installs it through
// scripts/system-deps.sh). Without it Start fails the test: a Redis test that
// quietly skips proves nothing.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// Server is one throw-away redis-server owned by one test or benchmark.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
	log  *os.File
}

// Start starts redis-server on a free loopback port and waits until it
// answers PING, or fails tb. The server is killed at cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found on PATH (%v): these tests need a real server; install it with `apt-get install -y redis-server` (go tool task test does, via scripts/system-deps.sh)", err)
	}
	s := &Server{tb: tb, bin: bin, port: testutil.FreePort(tb), dir: tb.TempDir()}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is a redis:// URL for database 0 on the server.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Start (re)starts the server on its port and waits until it answers PING.
// After Stop it comes back on the same port with an empty dataset.
func (s *Server) Start() {
	s.tb.Helper()
	if s.cmd != nil {
		s.tb.Fatal("redis-server already running")
	}
	logPath := filepath.Join(s.dir, "redis.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.tb.Fatalf("redis log: %v", err)
	}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--dir", s.dir,
	)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.cmd, s.log = cmd, f
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ping(s.Addr())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			out, _ := os.ReadFile(logPath)
			s.tb.Fatalf("redis-server on %s did not answer PING within 10s (%v); log:\n%s", s.Addr(), err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: a crash, not a clean shutdown) and waits
// for it to exit. Safe to call twice, and on a paused server.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = s.log.Close()
	s.cmd, s.log = nil, nil
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing is
// answered, which is what a slow or wedged Redis looks like. Stop still
// kills a paused server.
func (s *Server) Pause() {
	s.tb.Helper()
	if s.cmd == nil {
		s.tb.Fatal("redis-server not running")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.tb.Fatalf("SIGSTOP redis-server: %v", err)
	}
}

// ping sends a raw PING to addr and expects +PONG, without a client library.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}
