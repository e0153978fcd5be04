//go:build linux

package wsproxy

// The event loop's system calls on its hot path: read and write on
// non-blocking sockets, epoll_wait with a zero timeout, epoll_ctl and the
// eventfd. None of them can block, so they are made with RawSyscall,
// without telling the scheduler: syscall.Syscall's entersyscall and
// exitsyscall cost a few atomic operations each, and when the whole process
// was idle (the usual state between two messages of a quiet connection)
// entersyscall also wakes sysmon with a futex, which then runs a round of
// its own before sleeping again: in the pingpong benchmark with one
// connection that was about a tenth of tollgate's CPU per message.

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// errno turns a raw system call's error number into an error (nil for 0);
// the common ones do not allocate.
func errno(e unix.Errno) error {
	switch e {
	case 0:
		return nil
	case unix.EAGAIN:
		return unix.EAGAIN
	case unix.EINTR:
		return unix.EINTR
	}
	return e
}

// rawRead is read(2) on a non-blocking descriptor.
func rawRead(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, errno(e)
	}
	return int(n), nil
}

// rawWrite is write(2) on a non-blocking descriptor.
func rawWrite(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, errno(e)
	}
	return int(n), nil
}

// epollPoll is epoll_wait(2) with a zero timeout (it never blocks), as
// epoll_pwait with no signal mask, which every architecture has.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, errno(e)
	}
	return int(n), nil
}

// epollCtl is epoll_ctl(2).
func epollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errno(e)
}
