//go:build linux

package rawio

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls on the event loops' hot paths (gateway/wsproxy's relay,
// gateway/internal/evloop's front) and on Conn's: read and write on
// non-blocking sockets, epoll_wait with a zero timeout, epoll_ctl. None can
// block, so they are made with RawSyscall, without telling the scheduler:
// syscall.Syscall's entersyscall and exitsyscall cost a few atomic
// operations each, and when the whole process was idle (the usual state
// between two messages of a quiet connection) entersyscall also wakes
// sysmon with a futex, which then runs a round of its own before sleeping
// again: in the pingpong benchmark with one connection that was about a
// tenth of tollgate's CPU per message. Each returns the raw error number
// (0: none), so that a caller's EAGAIN costs no allocation.

// ReadFD is read(2) on a non-blocking descriptor. (SliceData, not &b[0]:
// without the bounds check these are small enough to be inlined.)
func ReadFD(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), e
}

// WriteFD is write(2) on a non-blocking descriptor; b must not be empty.
func WriteFD(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), e
}

// EpollPoll is epoll_wait(2) with a zero timeout (it never blocks), as
// epoll_pwait with no signal mask, which every architecture has.
func EpollPoll(epfd int, events []unix.EpollEvent) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	return int(n), e
}

// EpollCtl is epoll_ctl(2).
func EpollCtl(epfd, op, fd int, ev *unix.EpollEvent) unix.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return e
}
