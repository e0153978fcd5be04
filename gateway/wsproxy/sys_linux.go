//go:build linux

package wsproxy

// The event loop's system calls on its hot path: gateway/internal/rawio's
// raw ones (see there why RawSyscall), with their errors as errors.

import (
	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
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
	n, e := rawio.ReadFD(fd, b)
	if e != 0 {
		return -1, errno(e)
	}
	return n, nil
}

// rawWrite is write(2) on a non-blocking descriptor.
func rawWrite(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, e := rawio.WriteFD(fd, b)
	if e != 0 {
		return -1, errno(e)
	}
	return n, nil
}

// epollPoll is epoll_wait(2) with a zero timeout (it never blocks), as
// epoll_pwait with no signal mask, which every architecture has.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, e := rawio.EpollPoll(epfd, events)
	if e != 0 {
		return 0, errno(e)
	}
	return n, nil
}

// epollCtl is epoll_ctl(2).
func epollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	return errno(rawio.EpollCtl(epfd, op, fd, ev))
}
