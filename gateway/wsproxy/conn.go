package wsproxy

import (
	"net"
)

// Conn is one leg of a proxied WebSocket connection after its handshake:
// the raw connection, the bytes already read from it past the handshake
// (to be relayed first), and whether frames the gateway itself writes on it
// must be masked (the backend leg: the gateway is its client).
type Conn struct {
	conn        net.Conn
	pending     []byte
	mask        bool
	subprotocol string
}

// Subprotocol is the negotiated subprotocol ("" if none).
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Close closes the connection without a close handshake.
func (c *Conn) Close() error { return c.conn.Close() }
