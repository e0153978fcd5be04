//go:build linux

package wsproxy

// The event loop's system calls on its hot path: gateway/internal/rawio's
// raw ones (see there why RawSyscall), with their errors as errors. The
// relay's own reads and writes call rawio directly (sysRead, sysWrite).

import (
	"golang.org/x/sys/unix"

	"tollgate/gateway/internal/rawio"
)

// rawWrite is write(2) on a non-blocking socket (rawio.Send).
func rawWrite(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, e := rawio.Send(fd, b)
	if e != 0 {
		return -1, rawio.Err(e)
	}
	return n, nil
}

// epollPoll is epoll_wait(2) with a zero timeout (it never blocks), as
// epoll_pwait with no signal mask, which every architecture has.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, e := rawio.EpollPoll(epfd, events)
	if e != 0 {
		return 0, rawio.Err(e)
	}
	return n, nil
}

// epollCtl is epoll_ctl(2).
func epollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	return rawio.Err(rawio.EpollCtl(epfd, op, fd, ev))
}
