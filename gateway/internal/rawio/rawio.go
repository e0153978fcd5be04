// Package rawio makes a TCP connection's reads and writes with raw system
// calls.
//
// A read or write on a non-blocking socket never blocks: it moves bytes or
// fails with EAGAIN, after which Go's poller waits for the socket as
// usual. Made through net.Conn, each is a syscall.Syscall, whose
// entersyscall and exitsyscall cost atomic operations, and which the
// runtime's sysmon thread treats as possibly blocking: on a busy machine,
// where a thread is often preempted in the middle of a write, sysmon takes
// the goroutine's processor away and wakes another thread to run it, and
// keeps itself waking every 20 µs. Wrap's connection makes them with
// RawSyscall through the connection's syscall.RawConn instead, as the
// WebSocket event loop does (gateway/wsproxy, sys_linux.go). Deadlines,
// Close and everything else are the connection's own.
package rawio
