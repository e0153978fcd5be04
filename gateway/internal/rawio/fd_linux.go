//go:build linux

package rawio

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls on the event loops' hot paths (gateway/wsproxy's relay,
// gateway/internal/evloop's front) and on Conn's: read and write on
// non-blocking sockets (Recv and Send), epoll_wait with a zero timeout,
// epoll_ctl. None can block, so they are made with RawSyscall, without
// telling the scheduler:
// syscall.Syscall's entersyscall and exitsyscall cost a few atomic
// operations each, and when the whole process was idle (the usual state
// between two messages of a quiet connection) entersyscall also wakes
// sysmon with a futex, which then runs a round of its own before sleeping
// again: in the pingpong benchmark with one connection that was about a
// tenth of tollgate's CPU per message. Each returns the raw error number
// (0: none), so that a caller's EAGAIN costs no allocation.

// ReadFD is read(2) on a non-blocking descriptor: an eventfd (a socket's
// is Recv). (SliceData, not &b[0]: without the bounds check these are
// small enough to be inlined.)
func ReadFD(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), e
}

// WriteFD is write(2) on a non-blocking descriptor: an eventfd (a
// socket's is Send); b must not be empty.
func WriteFD(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(n), e
}

// Recv is read(2) on a non-blocking socket, made as recvfrom(2) with no
// flags and no address: the same bytes and errors, without the file layer
// read(2) passes through first (vfs_read, the position lock's lookup,
// sock_read_iter). Send is write(2) the same way, as sendto(2) with
// MSG_NOSIGNAL: a peer that reset the connection gets EPIPE back without a
// SIGPIPE raised first (which Go's runtime then ignores for a socket,
// after a signal's round trip). See BenchmarkSocketCalls; b must not be
// empty.
func Recv(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0, 0, 0)
	return int(n), e
}

// Recv2 is Recv into a and then b in one system call (recvmsg(2) with two
// buffers): it returns how much it read into both; b is filled only once
// a is full. a and b must not be empty.
func Recv2(fd int, a, b []byte) (int, unix.Errno) {
	var iov [2]unix.Iovec
	iov[0].Base, iov[1].Base = unsafe.SliceData(a), unsafe.SliceData(b)
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	msg := unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(2)
	n, _, e := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), 0)
	return int(n), e
}

// Send is write(2) on a non-blocking socket, as sendto(2) (see Recv).
func Send(fd int, b []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), unix.MSG_NOSIGNAL, 0, 0)
	return int(n), e
}

// Send2 is Send of a followed by b in one system call (sendmsg(2) with two
// buffers and MSG_NOSIGNAL): a response's head, still in its writer's
// buffer, and a body too large to join it there go out as one segment
// and one wake-up of the reader, not two. It returns how much of a and
// then b was taken, which may be less than both (a full socket buffer);
// b may be empty, a must not be. (The iovec set-up is written out here
// and in Recv2: a helper returning the header over both made the callers'
// stack buffers escape, an allocation per POST that TestRESTPostBodyPooled
// counts.)
func Send2(fd int, a, b []byte) (int, unix.Errno) {
	var iov [2]unix.Iovec
	iov[0].Base, iov[1].Base = unsafe.SliceData(a), unsafe.SliceData(b)
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	msg := unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(2)
	if len(b) == 0 {
		msg.SetIovlen(1)
	}
	n, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
	return int(n), e
}

// Send3 is Send2 with a third buffer: a chunk of a chunked answer (its
// size line in the writer's buffer after what it held, its data, its
// CRLF) as one segment and one wake-up of the reader. a and b must not be
// empty; c may be. (Written out as Send2 is, for the same reason.)
func Send3(fd int, a, b, c []byte) (int, unix.Errno) {
	var iov [3]unix.Iovec
	iov[0].Base, iov[1].Base, iov[2].Base = unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c)
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	iov[2].SetLen(len(c))
	msg := unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(3)
	if len(c) == 0 {
		msg.SetIovlen(2)
	}
	n, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
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

// The socket calls of a connection's setting up and ending (accept4,
// socket, setsockopt, getsockopt, shutdown, close, and eventfd's read and
// write): made with RawSyscall too. None of them blocks on a non-blocking
// socket without SO_LINGER (the only kind tollgate makes), but shutdown and
// close on loopback run the peer's side of the FIN inline, and accept4 and
// close take locks: tens of microseconds. Through syscall.Syscall, a
// handshake's half dozen of them woke sysmon out of its deep sleep
// whenever the process had been idle a moment (entersyscall's
// notewakeup), after which it polled every 20 µs for a millisecond or
// more; under the handshake benchmark sysmon took a tenth of tollgate's
// CPU, and a call that outlasted its 20 µs tick had its processor handed
// off to another thread (startm, a futex wake).

// Close is close(2). It is not retried on EINTR: Linux has closed the
// descriptor whatever it returns.
func Close(fd int) unix.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	return e
}

// Shutdown is shutdown(2).
func Shutdown(fd, how int) unix.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), uintptr(how), 0)
	return e
}

// Socket is socket(2); typ must include SOCK_NONBLOCK for the socket's
// later calls to be safe here.
func Socket(domain, typ, proto int) (int, unix.Errno) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(domain), uintptr(typ), uintptr(proto))
	if e != 0 {
		return -1, e
	}
	return int(fd), 0
}

// SetsockoptInt is setsockopt(2) with an int value.
func SetsockoptInt(fd, level, opt, value int) unix.Errno {
	v := int32(value)
	_, _, e := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&v)), 4, 0)
	return e
}

// GetsockoptInt is getsockopt(2) of an int value.
func GetsockoptInt(fd, level, opt int) (int, unix.Errno) {
	var v int32
	l := uint32(4)
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0)
	return int(v), e
}

// Accept4 is accept4(2) on a non-blocking listening socket. The peer's
// address is decoded here: x/sys/unix's Accept4 asks the listening socket
// for its protocol (getsockopt SO_PROTOCOL, one more system call per
// connection) to tell an L2TP socket from a TCP one. A family other than
// AF_INET and AF_INET6 gives a nil address.
func Accept4(fd, flags int) (int, unix.Sockaddr, unix.Errno) {
	nfd, p, e := AcceptPeer(fd, flags)
	if e != 0 {
		return -1, nil, e
	}
	return nfd, p.Sockaddr(), 0
}

// AcceptPeer is Accept4 with the peer's address as a value: no
// allocation (the event loops keep it in the connection).
func AcceptPeer(fd, flags int) (int, Peer, unix.Errno) {
	var rsa unix.RawSockaddrAny
	l := uint32(unix.SizeofSockaddrAny)
	nfd, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)), uintptr(flags), 0, 0)
	if e != 0 {
		return -1, Peer{}, e
	}
	return int(nfd), PeerOf(&rsa), 0
}

// Peer is an AF_INET or AF_INET6 socket address as a value.
type Peer struct {
	Family uint16 // unix.AF_INET, unix.AF_INET6, or 0 for another family
	Port   uint16
	Zone   uint32   // AF_INET6's scope id
	IP     [16]byte // AF_INET's in the first 4 bytes
}

// PeerOf decodes an AF_INET or AF_INET6 address (Family 0 for another
// family).
func PeerOf(rsa *unix.RawSockaddrAny) Peer {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port))
		a := Peer{Family: unix.AF_INET, Port: uint16(port[0])<<8 | uint16(port[1])}
		copy(a.IP[:4], p.Addr[:])
		return a
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port))
		return Peer{Family: unix.AF_INET6, Port: uint16(port[0])<<8 | uint16(port[1]), Zone: p.Scope_id, IP: p.Addr}
	}
	return Peer{}
}

// Sockaddr is p as x/sys/unix's Sockaddr (nil for Family 0).
func (p Peer) Sockaddr() unix.Sockaddr {
	switch p.Family {
	case unix.AF_INET:
		return &unix.SockaddrInet4{Port: int(p.Port), Addr: [4]byte(p.IP[:4])}
	case unix.AF_INET6:
		return &unix.SockaddrInet6{Port: int(p.Port), ZoneId: p.Zone, Addr: p.IP}
	}
	return nil
}

// Sockaddr decodes an AF_INET or AF_INET6 address (nil for another
// family).
func Sockaddr(rsa *unix.RawSockaddrAny) unix.Sockaddr { return PeerOf(rsa).Sockaddr() }

// Addr is a raw socket address for connect(2), built without allocating
// (x/sys/unix's Connect takes a Sockaddr interface and goes through
// syscall.Syscall).
type Addr struct {
	v4  unix.RawSockaddrInet4
	v6  unix.RawSockaddrInet6
	is6 bool
}

// Set makes a the address ap (an IPv4-mapped IPv6 address as IPv4; zone:
// the IPv6 scope id, 0 for none) and returns its family.
func (a *Addr) Set(ap netip.AddrPort, zone uint32) int {
	ip := ap.Addr().Unmap()
	port := [2]byte{byte(ap.Port() >> 8), byte(ap.Port())}
	if ip.Is4() {
		*a = Addr{}
		a.v4.Family = unix.AF_INET
		a.v4.Port = *(*uint16)(unsafe.Pointer(&port))
		a.v4.Addr = ip.As4()
		return unix.AF_INET
	}
	*a = Addr{is6: true}
	a.v6.Family = unix.AF_INET6
	a.v6.Port = *(*uint16)(unsafe.Pointer(&port))
	a.v6.Addr = ip.As16()
	a.v6.Scope_id = zone
	return unix.AF_INET6
}

// Connect is connect(2) to a on a non-blocking socket (EINPROGRESS: the
// handshake goes on; asked again, EISCONN or 0: connected, EALREADY: not
// yet, or the failure).
func (a *Addr) Connect(fd int) unix.Errno {
	p, n := unsafe.Pointer(&a.v4), unsafe.Sizeof(a.v4)
	if a.is6 {
		p, n = unsafe.Pointer(&a.v6), unsafe.Sizeof(a.v6)
	}
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(p), n)
	return e
}

// Start connects a non-blocking socket to a as far as it can without
// waiting: connect(2), and when that answers EINPROGRESS, connect again at
// once. To a local peer the TCP handshake has usually completed by then
// (loopback delivers the SYN, SYN-ACK and ACK within the first call), and
// the caller is spared the wait for writability, its registration and its
// wake-up. It returns 0 (connected), EINPROGRESS or EINTR (the handshake
// goes on: wait for writability, then ask with Connect or SO_ERROR), or
// the failure.
func (a *Addr) Start(fd int) unix.Errno {
	e := a.Connect(fd)
	if e != unix.EINPROGRESS {
		return e
	}
	switch e2 := a.Connect(fd); e2 {
	case 0, unix.EISCONN:
		return 0
	case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
		return unix.EINPROGRESS
	default:
		return e2
	}
}

// Err is e as an error: nil for 0. It does not allocate (an Errno below
// 256 fits the runtime's preallocated interface values).
func Err(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
