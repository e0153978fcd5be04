package wsproxy

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/coder/websocket"
)

const (
	// relayParkSize is the per-leg read buffer an idle connection waits on.
	relayParkSize = 256
	// relayBufSize is the size of the pooled buffers used while data flows.
	relayBufSize = 32 << 10
	// closeWait bounds the close handshakes once the session is decided.
	closeWait = 5 * time.Second
)

// Opcodes.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// appendFrame appends one FIN frame with opcode op and payload p to b,
// masked with a random key if mask.
func appendFrame(b []byte, op byte, p []byte, mask bool) []byte {
	b = append(b, 0x80|op)
	mbit := byte(0)
	if mask {
		mbit = 0x80
	}
	switch n := len(p); {
	case n <= 125:
		b = append(b, mbit|byte(n))
	case n <= 0xFFFF:
		b = append(b, mbit|126, byte(n>>8), byte(n))
	default:
		b = append(b, mbit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !mask {
		return append(b, p...)
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, p...)
	maskBytes(b[start:], key)
	return b
}

func maskBytes(p []byte, key [4]byte) {
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// frameHeader is a parsed frame header.
type frameHeader struct {
	fin    bool
	op     byte
	masked bool
	length int64
	key    [4]byte
	size   int // header bytes
}

var (
	errRSV          = errors.New("RSV bits set (no extension was negotiated)")
	errOpcode       = errors.New("unknown opcode")
	errControl      = errors.New("fragmented or oversized control frame")
	errLength       = errors.New("invalid payload length")
	errMaskClient   = errors.New("unmasked frame from the client")
	errMaskBackend  = errors.New("masked frame from the backend")
	errContinuation = errors.New("continuation frame outside a fragmented message")
	errNewMessage   = errors.New("new data message inside a fragmented message")
	errClosePayload = errors.New("invalid close frame payload")
	errPingTimeout  = errors.New("ping timeout")
	errWriteTimeout = errors.New("write timeout")
)

// parseHeader parses the frame header at the start of b; size is 0 when b
// holds only part of it.
func parseHeader(b []byte) (h frameHeader, err error) {
	if len(b) < 2 {
		return h, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 {
		return h, errRSV
	}
	h.fin = b0&0x80 != 0
	h.op = b0 & 0x0F
	h.masked = b1&0x80 != 0
	n := 2
	l := int64(b1 & 0x7F)
	switch l {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h.masked {
		n += 4
	}
	if len(b) < n {
		return h, nil
	}
	switch l {
	case 126:
		l = int64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return h, errLength
		}
		l = int64(u)
	}
	switch h.op {
	case opCont, opText, opBinary:
	case opClose, opPing, opPong:
		if !h.fin || l > 125 {
			return h, errControl
		}
	default:
		return h, errOpcode
	}
	if h.masked {
		copy(h.key[:], b[n-4:n])
	}
	h.length = l
	h.size = n
	return h, nil
}

const (
	actNone      uint8 = iota // nothing: the deciding leg relays the close frame itself
	actRelay                  // wait for the other side's close and relay it; code/reason if none comes
	actClose                  // send a close frame with code/reason, await the reply
	actCloseDrop              // send a close frame, then close the connection (protocol error)
	actDrop                   // close the connection now
)

// checkMask applies the masking rule for frames read from side x: the
// client's are masked, the backend's are not.
func checkMask(x Direction, h *frameHeader) error {
	if x == ClientToBackend && !h.masked {
		return errMaskClient
	}
	if x == BackendToClient && h.masked {
		return errMaskBackend
	}
	return nil
}

// decodeClose decodes a close frame's payload (masked with h's key if h is).
func decodeClose(h *frameHeader, payload []byte) (websocket.StatusCode, string, bool) {
	var p [125]byte
	n := copy(p[:], payload)
	if h.masked {
		maskBytes(p[:n], h.key)
	}
	return parseClose(p[:n])
}

// carrySize holds the longest partial frame the event loop's legs carry
// between reads: a control frame (14-byte header + 125 bytes).
const carrySize = 14 + 125
