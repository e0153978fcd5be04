// Package evloop serves connections on epoll event loops, running each
// connection's ordinary, synchronous Go code (the h1 server, the policy
// engine, the backend client) in a coroutine that the loop resumes when a
// socket it waits on is ready, instead of a goroutine parked in Go's
// poller.
//
// # Why
//
// A goroutine per connection costs, per request, a park and a wake through
// the runtime's poller and scheduler for each leg (the client's request,
// the backend's answer), a read that finds nothing before each park, and
// often a thread woken to run the readied goroutine. On a busy proxy that
// was half of the CPU of a REST request (docs/http-server.md). A loop here
// is one goroutine blocking in epoll_wait; when it wakes, it resumes the
// coroutines whose sockets are ready one after another on its own thread
// (a coroutine switch, iter.Pull's, is a direct hand-over without the
// scheduler), and a coroutine that would block on a socket suspends back
// to the loop. The code run in the coroutine is unchanged: it sees a
// net.Conn (Conn) whose Read and Write suspend it.
//
// # What must not run on a loop
//
// A coroutine that blocks on anything but a Conn (a channel, a mutex held
// long, Go's own network connections, a sleep) blocks its loop and every
// connection on it. Code that may do so calls Release first: the loop's
// work passes to a new goroutine, and the coroutine goes on as an ordinary
// goroutine until its next wait on a Conn, where the loop takes it back.
// The gateway releases every request whose policies may wait (a call-out,
// a Redis store, a sleep); see docs/http-server.md.
//
// A socket the loop did not accept or dial may join it too: Conn.Adopt
// gives a task a Conn of a socket it holds (the WebSocket handshake's
// backend socket, dialed by gateway/wsproxy), registered one-shot and for
// reading only at its first wait, and Detach hands it on without an
// EPOLL_CTL_DEL once a reported event has disarmed it.
//
// # The rules of a Conn
//
// A Conn is used by one task at a time (its Task, set when it is
// accepted or dialed, or by Bind): its reads and writes are made from that
// task, running on the loop or released. Close may come from any
// goroutine. Sockets are non-blocking and registered with their loop's
// epoll instance once, edge-triggered, on the first wait; a read that
// returned less than asked marks the socket drained, so the next read
// waits for the loop instead of making a system call that finds nothing.
package evloop
