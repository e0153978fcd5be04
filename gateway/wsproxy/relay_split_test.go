package wsproxy

// Frame-level tests of Relay with scripted peers: each test end writes raw
// frames (built here, independently of frame.go) split at chosen points of
// the byte stream, and reads back raw frames. Over net.Pipe every Write is
// seen by exactly one or more Reads of its own bytes, never merged with the
// next Write, so the split pattern decides the relay's read boundaries
// exactly; the TCP variants add delays between chunks instead.
//
// relayModel is the reference: given the frames one side sends, it says
// which frames the other side must receive byte for byte, and how the
// session ends (the sender's close, a protocol error, a message over the
// limit). runRelayScenario runs a script against Relay and checks both
// sides and the stats against it; the table tests below and FuzzRelayFrames
// (relay_fuzz_test.go) are built on it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// ---------------------------------------------------------------------------
// Frames as the test peers write and read them.

// tFrame is a frame a test peer writes.
type tFrame struct {
	fin     bool
	rsv     byte // RSV bits, in place (0x40, 0x20, 0x10)
	op      byte
	mask    bool
	key     [4]byte
	payload []byte // unmasked
	// claim > 0: the header announces claim payload bytes and the payload
	// is not written (a header-only frame; ext forces the length form).
	claim uint64
	ext   int // 0: minimal length encoding; 2 or 8: that extended form
}

func (f *tFrame) length() uint64 {
	if f.claim > 0 {
		return f.claim
	}
	return uint64(len(f.payload))
}

func (f *tFrame) encode() []byte {
	b0 := f.op | f.rsv
	if f.fin {
		b0 |= 0x80
	}
	mb := byte(0)
	if f.mask {
		mb = 0x80
	}
	n := f.length()
	ext := f.ext
	if ext == 0 {
		switch {
		case n > 0xFFFF:
			ext = 8
		case n > 125:
			ext = 2
		}
	}
	b := make([]byte, 0, 14+len(f.payload))
	b = append(b, b0)
	switch ext {
	case 2:
		b = append(b, mb|126, byte(n>>8), byte(n))
	case 8:
		b = append(b, mb|127)
		b = binary.BigEndian.AppendUint64(b, n)
	default:
		b = append(b, mb|byte(n))
	}
	if f.mask {
		b = append(b, f.key[:]...)
	}
	if f.claim > 0 {
		return b
	}
	start := len(b)
	b = append(b, f.payload...)
	if f.mask {
		for i := start; i < len(b); i++ {
			b[i] ^= f.key[(i-start)&3]
		}
	}
	return b
}

// rFrame is a frame a test peer read.
type rFrame struct {
	fin     bool
	rsv     byte
	op      byte
	masked  bool
	payload []byte // unmasked
	raw     []byte // as on the wire
}

func (f rFrame) String() string {
	p := f.payload
	if len(p) > 16 {
		p = p[:16]
	}
	return fmt.Sprintf("{fin %v rsv %#x op %#x masked %v len %d %q}", f.fin, f.rsv, f.op, f.masked, len(f.payload), p)
}

func (f rFrame) closeCode() (websocket.StatusCode, string) {
	if len(f.payload) < 2 {
		return websocket.StatusNoStatusRcvd, ""
	}
	return websocket.StatusCode(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
}

const maxTestFrame = 1 << 22

func readTestFrame(r *bufio.Reader) (rFrame, error) {
	var raw []byte
	var hdr [14]byte
	if _, err := io.ReadFull(r, hdr[:2]); err != nil {
		return rFrame{}, err
	}
	f := rFrame{fin: hdr[0]&0x80 != 0, rsv: hdr[0] & 0x70, op: hdr[0] & 0x0F, masked: hdr[1]&0x80 != 0}
	n := 2
	l := uint64(hdr[1] & 0x7F)
	switch l {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if f.masked {
		n += 4
	}
	if _, err := io.ReadFull(r, hdr[2:n]); err != nil {
		return rFrame{}, fmt.Errorf("truncated header: %w", err)
	}
	switch l {
	case 126:
		l = uint64(binary.BigEndian.Uint16(hdr[2:]))
	case 127:
		l = binary.BigEndian.Uint64(hdr[2:])
	}
	if l > maxTestFrame {
		return rFrame{}, fmt.Errorf("frame header % x announces %d bytes", hdr[:n], l)
	}
	raw = make([]byte, n+int(l))
	copy(raw, hdr[:n])
	if _, err := io.ReadFull(r, raw[n:]); err != nil {
		return rFrame{}, fmt.Errorf("truncated payload (%d bytes announced): %w", l, err)
	}
	f.raw = raw
	f.payload = bytes.Clone(raw[n:])
	if f.masked {
		key := hdr[n-4 : n]
		for i := range f.payload {
			f.payload[i] ^= key[i&3]
		}
	}
	return f, nil
}

// Frame constructors. Frames from the client are masked with key.
func dataFrame(op byte, fin bool, payload []byte) tFrame {
	return tFrame{op: op, fin: fin, payload: payload}
}

func closeTFrame(code websocket.StatusCode, reason string) tFrame {
	var p []byte
	if code != websocket.StatusNoStatusRcvd {
		p = binary.BigEndian.AppendUint16(nil, uint16(code))
		p = append(p, reason...)
	}
	return tFrame{op: opClose, fin: true, payload: p}
}

// from sets the masking of frames for their sender: masked from the
// client, with keys from rng.
func framesFrom(x Direction, rng *rand.Rand, frames ...tFrame) []tFrame {
	out := make([]tFrame, len(frames))
	for i, f := range frames {
		f.mask = x == ClientToBackend
		if f.mask {
			binary.LittleEndian.PutUint32(f.key[:], rng.Uint32())
		}
		out[i] = f
	}
	return out
}

func payloadOf(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// ---------------------------------------------------------------------------
// Split patterns: how the encoded frames are cut into writes.

type splitter func(enc [][]byte) [][]byte

func concat(enc [][]byte) []byte { return bytes.Join(enc, nil) }

func splitWhole(enc [][]byte) [][]byte { return [][]byte{concat(enc)} }

// splitFrames writes each frame with its own Write.
func splitFrames(enc [][]byte) [][]byte { return enc }

// splitEvery cuts the stream every n bytes (1: byte at a time).
func splitEvery(n int) splitter {
	return func(enc [][]byte) [][]byte {
		s := concat(enc)
		var out [][]byte
		for len(s) > n {
			out = append(out, s[:n])
			s = s[n:]
		}
		return append(out, s)
	}
}

// splitRandom cuts the stream into chunks of 1..max bytes.
func splitRandom(seed uint64, max int) splitter {
	return func(enc [][]byte) [][]byte {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		s := concat(enc)
		var out [][]byte
		for len(s) > 0 {
			n := min(1+r.IntN(max), len(s))
			out = append(out, s[:n])
			s = s[n:]
		}
		return out
	}
}

// splitAt cuts the stream at the given offsets (out of range ones ignored).
func splitAt(cuts ...int) splitter {
	return func(enc [][]byte) [][]byte {
		s := concat(enc)
		var out [][]byte
		prev := 0
		for _, c := range cuts {
			if c > prev && c < len(s) {
				out = append(out, s[prev:c])
				prev = c
			}
		}
		return append(out, s[prev:])
	}
}

// splitHeaders writes every header byte alone (so every read boundary
// inside the 16/64-bit length fields and the masking keys is hit), control
// frame payloads byte at a time, and data payloads in random chunks glued
// to... nothing: the next header starts a new write.
func splitHeaders(seed uint64) splitter {
	return func(enc [][]byte) [][]byte {
		r := rand.New(rand.NewPCG(seed, 0x4ead))
		var out [][]byte
		for _, f := range enc {
			hs := testHeaderSize(f)
			for i := 0; i < hs && i < len(f); i++ {
				out = append(out, f[i:i+1])
			}
			p := f[min(hs, len(f)):]
			step := 1 + r.IntN(300)
			if f[0]&0x08 != 0 {
				step = 1
			}
			for len(p) > 0 {
				n := min(step, len(p))
				out = append(out, p[:n])
				p = p[n:]
			}
		}
		return out
	}
}

// splitStraddle cuts each frame so that its last k bytes and the next
// frame's first j bytes travel in the same write.
func splitStraddle(k, j int) splitter {
	return func(enc [][]byte) [][]byte {
		var cuts []int
		off := 0
		for _, f := range enc {
			cuts = append(cuts, off+len(f)-k, off+len(f)+j)
			off += len(f)
		}
		return splitAt(cuts...)(enc)
	}
}

func testHeaderSize(f []byte) int {
	if len(f) < 2 {
		return len(f)
	}
	n := 2
	switch f[1] & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if f[1]&0x80 != 0 {
		n += 4
	}
	return n
}

// ---------------------------------------------------------------------------
// Test peers and the session under test.

// relayPeer is a scripted WebSocket end (the test's client or backend). Its
// reader records every frame; it answers a close frame with the same
// payload once its own script has been written, unless it sent a close
// itself.
type relayPeer struct {
	x    Direction
	conn net.Conn
	mask bool

	wmu         sync.Mutex // held for a whole script
	sentClose   atomic.Bool
	dropOnClose atomic.Bool // close the connection on a close frame instead of answering

	mu     sync.Mutex
	got    []rFrame
	err    error
	update chan struct{} // signalled on every frame
	done   chan struct{}
}

func newRelayPeer(x Direction, conn net.Conn) *relayPeer {
	p := &relayPeer{x: x, conn: conn, mask: x == ClientToBackend, update: make(chan struct{}, 1), done: make(chan struct{})}
	go p.readLoop()
	return p
}

func (p *relayPeer) readLoop() {
	defer close(p.done)
	r := bufio.NewReaderSize(p.conn, 64<<10)
	for {
		f, err := readTestFrame(r)
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		p.got = append(p.got, f)
		p.mu.Unlock()
		select {
		case p.update <- struct{}{}:
		default:
		}
		if f.op == opClose {
			if p.dropOnClose.Load() {
				_ = p.conn.Close()
			} else if !p.sentClose.Load() {
				go p.replyClose(f.payload)
			} else if p.x == BackendToClient {
				go p.serverClose()
			}
		}
	}
}

func (p *relayPeer) replyClose(payload []byte) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.sentClose.Swap(true) {
		return
	}
	f := tFrame{op: opClose, fin: true, payload: payload, mask: p.mask, key: [4]byte{1, 2, 3, 4}}
	_ = p.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = p.conn.Write(f.encode())
	if p.x == BackendToClient {
		_ = p.conn.Close() // both close frames are through: see serverClose
	}
}

// serverClose: the backend peer ends its TCP connection once both close
// frames are through (and its script is written), as a WebSocket server
// does (RFC 6455 7.1.1: the server closes first). The client peer waits
// for the relay's FIN; the event loop waits for the backend's.
func (p *relayPeer) serverClose() {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.conn.Close()
}

// send writes chunks in order, sleeping delay between them. It stops at
// the first write error (the relay dropped the connection).
func (p *relayPeer) send(chunks [][]byte, delay time.Duration, hasClose bool) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if hasClose {
		p.sentClose.Store(true)
	}
	_ = p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	for i, c := range chunks {
		if i > 0 && delay > 0 {
			time.Sleep(delay)
		}
		if len(c) == 0 {
			continue
		}
		if _, err := p.conn.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// frames returns a copy of the frames read so far.
func (p *relayPeer) frames() []rFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rFrame(nil), p.got...)
}

// waitFor waits for a frame (from index from on) satisfying ok, and returns
// its index.
func (p *relayPeer) waitFor(t testing.TB, from int, what string, ok func(rFrame) bool) int {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		fs := p.frames()
		for i := from; i < len(fs); i++ {
			if ok(fs[i]) {
				return i
			}
		}
		select {
		case <-p.update:
		case <-p.done:
			fs := p.frames()
			for i := from; i < len(fs); i++ {
				if ok(fs[i]) {
					return i
				}
			}
			t.Fatalf("%s: connection ended without %s; got %v", p.x.side(), what, fs)
		case <-timeout:
			t.Fatalf("%s: no %s within 10s; got %v", p.x.side(), what, p.frames())
		}
	}
}

type relaySplitSession struct {
	t               testing.TB
	client, backend *relayPeer
	conns           []net.Conn
	stats           chan Stats
	cancel          context.CancelFunc
	result          *Stats
}

type splitOpts struct {
	tcp                bool
	obs                Observer
	pendClient, pendBk []byte
}

func tcpConnPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	if b == nil {
		t.Fatal("accept failed")
	}
	return a, b
}

func startRelaySplit(t testing.TB, lim Limits, o splitOpts) *relaySplitSession {
	t.Helper()
	r := relayerFor(t)
	loop := r.Name() == "eventloop" // needs sockets: relays net.Pipes with goroutines
	pair := func() (net.Conn, net.Conn) {
		if o.tcp || loop {
			return tcpConnPair(t)
		}
		return net.Pipe()
	}
	cTest, cProxy := pair()
	bTest, bProxy := pair()
	ctx, cancel := context.WithCancel(context.Background())
	s := &relaySplitSession{t: t, conns: []net.Conn{cTest, bTest, cProxy, bProxy}, stats: make(chan Stats, 1), cancel: cancel}
	s.client = newRelayPeer(ClientToBackend, cTest)
	s.backend = newRelayPeer(BackendToClient, bTest)
	before := loopStarts.Load()
	r.Start(ctx, &Conn{conn: cProxy, pending: o.pendClient}, &Conn{conn: bProxy, mask: true, pending: o.pendBk}, lim, o.obs,
		DoneFunc(func(st Stats) { s.stats <- st }))
	if loop && loopStarts.Load() == before {
		t.Fatal("the event loop did not take the session")
	}
	t.Cleanup(s.stop)
	return s
}

func (s *relaySplitSession) peer(x Direction) *relayPeer {
	if x == ClientToBackend {
		return s.client
	}
	return s.backend
}

// stop tears the session down (after a failure): both peers vanish.
func (s *relaySplitSession) stop() {
	s.cancel()
	for _, c := range s.conns {
		_ = c.Close()
	}
	if s.result == nil {
		select {
		case st := <-s.stats:
			s.result = &st
		case <-time.After(15 * time.Second):
			s.t.Errorf("Relay did not return after both connections were closed")
		}
	}
}

// peerFailed fails the test if p read something that is not a frame.
func (s *relaySplitSession) peerFailed(p *relayPeer) {
	s.t.Helper()
	p.mu.Lock()
	err := p.err
	closed := len(p.got) > 0 && p.got[len(p.got)-1].op == opClose
	p.mu.Unlock()
	if closed && errors.Is(err, syscall.ECONNRESET) {
		// Over TCP, a peer still sending when the relay drops it (after
		// a protocol error) gets a reset after the close frame.
		err = nil
	}
	if err != nil && err != io.EOF && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.ErrClosedPipe) {
		s.t.Fatalf("%s read garbage: %v; got %v", p.x.side(), err, p.frames())
	}
}

// wait waits for Relay to return on its own, and for both peers to see
// their connection end.
func (s *relaySplitSession) wait() Stats {
	s.t.Helper()
	timeout := time.After(10 * time.Second)
	cdone, bdone := s.client.done, s.backend.done
	for s.result == nil {
		select {
		case st := <-s.stats:
			s.result = &st
		case <-cdone:
			cdone = nil
			s.peerFailed(s.client)
		case <-bdone:
			bdone = nil
			s.peerFailed(s.backend)
		case <-timeout:
			s.t.Fatalf("Relay did not end the session within 10s; client got %v, backend got %v", s.client.frames(), s.backend.frames())
		}
	}
	for _, p := range []*relayPeer{s.client, s.backend} {
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			s.t.Fatalf("%s connection still open after Relay returned", p.x)
		}
	}
	return *s.result
}

// ---------------------------------------------------------------------------
// The reference model.

const (
	endNone = iota
	endClose
	endProtocol
	endTooBig
)

type relayOutcome struct {
	fwd    [][]byte // frames the other side must receive as they are, in order
	end    int
	stop   int // index of the frame that ended the session
	code   websocket.StatusCode
	reason string
	msgs   int64 // complete data messages forwarded
	bytes  int64 // their payload bytes
}

func modelCloseOK(p []byte) (websocket.StatusCode, string, bool) {
	switch {
	case len(p) == 0:
		return websocket.StatusNoStatusRcvd, "", true
	case len(p) == 1:
		return 0, "", false
	}
	c := int(p[0])<<8 | int(p[1])
	if c >= 1000 && c <= 1003 || c >= 1007 && c <= 1014 || c >= 3000 && c <= 4999 {
		return websocket.StatusCode(c), string(p[2:]), true
	}
	return 0, "", false
}

// relayModel says what Relay must do with frames sent by from, with
// MaxMessageSize max (> 0).
func relayModel(from Direction, frames []tFrame, max int64) relayOutcome {
	var o relayOutcome
	inMsg := false
	var msgLen uint64
	for i, f := range frames {
		o.stop = i
		n := f.length()
		pe := false
		switch {
		case f.rsv != 0:
			pe = true
		case f.op > opBinary && f.op < opClose, f.op > opPong:
			pe = true
		case n>>63 != 0:
			pe = true
		case f.op >= opClose && (!f.fin || n > 125):
			pe = true
		case f.mask != (from == ClientToBackend):
			pe = true
		case f.op == opCont && !inMsg, (f.op == opText || f.op == opBinary) && inMsg:
			pe = true
		}
		if f.op == opClose && !pe {
			code, reason, ok := modelCloseOK(f.payload)
			if ok {
				o.end, o.code, o.reason = endClose, code, reason
				o.fwd = append(o.fwd, f.encode())
				return o
			}
			pe = true
		}
		if pe {
			o.end = endProtocol
			return o
		}
		if f.op >= opClose {
			o.fwd = append(o.fwd, f.encode())
			continue
		}
		if f.op != opCont {
			msgLen = 0
		}
		if n > uint64(max)-msgLen {
			o.end = endTooBig
			return o
		}
		msgLen += n
		o.fwd = append(o.fwd, f.encode())
		inMsg = !f.fin
		if f.fin {
			o.msgs++
			o.bytes += int64(msgLen)
		}
	}
	o.stop = len(frames)
	return o
}

// ---------------------------------------------------------------------------
// Scenarios.

type relayScenario struct {
	lim     Limits // MaxMessageSize must be set (> 0)
	from    Direction
	frames  []tFrame
	split   splitter
	delay   time.Duration
	pending int // bytes of the stream handed to Relay as read past the handshake
	tcp     bool
}

// runRelayScenario sends sc.frames from sc.from through Relay and checks
// everything both sides and the stats show against relayModel.
func runRelayScenario(t testing.TB, sc relayScenario) relayOutcome {
	t.Helper()
	want := relayModel(sc.from, sc.frames, sc.lim.MaxMessageSize)
	if want.end == endNone {
		t.Fatalf("scenario without an end (add a close frame)")
	}
	enc := make([][]byte, len(sc.frames))
	hasClose, headerOnly := false, false
	for i := range sc.frames {
		enc[i] = sc.frames[i].encode()
		hasClose = hasClose || sc.frames[i].op == opClose
		headerOnly = headerOnly || sc.frames[i].claim > 0
	}
	chunks := sc.split(enc)
	var o splitOpts
	o.tcp = sc.tcp
	obs := &countingObserver{}
	o.obs = obs
	if sc.pending > 0 {
		var pend []byte
		for len(chunks) > 0 && len(pend) < sc.pending {
			n := min(sc.pending-len(pend), len(chunks[0]))
			pend = append(pend, chunks[0][:n]...)
			if n == len(chunks[0]) {
				chunks = chunks[1:]
			} else {
				chunks[0] = chunks[0][n:]
			}
		}
		if sc.from == ClientToBackend {
			o.pendClient = pend
		} else {
			o.pendBk = pend
		}
	}
	s := startRelaySplit(t, sc.lim, o)
	sender := s.peer(sc.from)
	if headerOnly {
		// The rest of the stream is never written: the sender vanishes
		// once told off.
		sender.dropOnClose.Store(true)
	}
	delay := sc.delay
	if delay == 0 && relayerFor(t).Name() == "eventloop" && len(chunks) <= 64 {
		// Over TCP, a pause between chunks lets the loop's reads see them
		// apart (mostly: the boundaries are not exact as over a pipe).
		delay = 50 * time.Microsecond
	}
	go func() { _ = sender.send(chunks, delay, hasClose) }()
	st := s.wait()
	checkRelayOutcome(t, sc, want, s, st, obs)
	return want
}

func checkRelayOutcome(t testing.TB, sc relayScenario, want relayOutcome, s *relaySplitSession, st Stats, obs *countingObserver) {
	t.Helper()
	from := sc.from
	sender, receiver := s.peer(from), s.peer(from^1)
	got := receiver.frames()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s -> %s, frames %v\nend %d at frame %d: "+format, append([]any{from, from ^ 1, describeTFrames(sc.frames), want.end, want.stop}, args...)...)
	}
	n := len(want.fwd)
	if want.end != endClose {
		n++ // the gateway's close
	}
	for i := 0; i < min(len(got), len(want.fwd)); i++ {
		if !bytes.Equal(got[i].raw, want.fwd[i]) {
			fail("%s got frame %d = %v (% x), want % x", from^1, i, got[i], head(got[i].raw), head(want.fwd[i]))
		}
	}
	if len(got) != n {
		fail("%s got %d frames %v, want %d", from^1, len(got), got, n)
	}
	var other, offender websocket.StatusCode
	var reason, offReason string
	switch want.end {
	case endProtocol:
		other, reason = from.failCode(), from.side()+" disconnected"
		offender, offReason = websocket.StatusProtocolError, "protocol error"
		if st.ClosedBy != from.side() || st.CloseCode != websocket.StatusAbnormalClosure || st.CloseReason != reason ||
			st.Err == nil || !strings.Contains(st.Err.Error(), "protocol error") {
			fail("stats %+v, want protocol error by %s", st, from)
		}
	case endTooBig:
		other, reason = from.failCode(), from.side()+" message too big"
		offender, offReason = websocket.StatusMessageTooBig, "message too big"
		if st.ClosedBy != ClosedByLimit || st.CloseCode != websocket.StatusMessageTooBig || st.CloseReason != reason {
			fail("stats %+v, want limit", st)
		}
	case endClose:
		if st.ClosedBy != from.side() || st.CloseCode != want.code || st.CloseReason != want.reason {
			fail("stats %+v, want closed by %s with %d %q", st, from, want.code, want.reason)
		}
	}
	if want.end != endClose {
		c := got[len(got)-1]
		code, r := c.closeCode()
		if c.op != opClose || code != other || r != reason || c.masked != (from == ClientToBackend) {
			fail("%s got %v as last frame, want close %d %q", from^1, c, other, reason)
		}
	}
	// The sender sees exactly one frame: the receiver's reply to its close,
	// or the gateway's close.
	sgot := sender.frames()
	switch want.end {
	case endClose:
		// The receiver echoed the close payload; it is relayed as is. A
		// sender whose script breaks the protocol after its close may be
		// dropped before the reply is relayed.
		tail := want.stop < len(sc.frames)-1
		if len(sgot) > 1 || len(sgot) == 0 && !tail {
			fail("%s got %v, want the close reply", from, sgot)
		}
		if len(sgot) == 1 {
			code, r := sgot[0].closeCode()
			if sgot[0].op != opClose || code != want.code || r != want.reason {
				fail("%s got %v, want the close reply %d %q", from, sgot, want.code, want.reason)
			}
		}
	default:
		if len(sgot) != 1 {
			fail("%s got %v, want the gateway's close %d", from, sgot, offender)
		}
		code, r := sgot[0].closeCode()
		if sgot[0].op != opClose || code != offender || r != offReason || sgot[0].masked != (from == BackendToClient) {
			fail("%s got %v, want close %d %q", from, sgot[0], offender, offReason)
		}
	}
	msgs, nbytes := st.ClientToBackendMsgs, st.ClientToBackendBytes
	dir := ClientToBackend
	if from == BackendToClient {
		msgs, nbytes = st.BackendToClientMsgs, st.BackendToClientBytes
		dir = BackendToClient
	}
	if msgs != want.msgs || nbytes != want.bytes {
		fail("stats count %d messages %d bytes, want %d, %d", msgs, nbytes, want.msgs, want.bytes)
	}
	if m, b := obs.msgs[dir].Load(), obs.bytes[dir].Load(); m != want.msgs || b != want.bytes {
		fail("observer counted %d messages %d bytes, want %d, %d", m, b, want.msgs, want.bytes)
	}
}

func head(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}

func describeTFrames(fs []tFrame) string {
	var sb strings.Builder
	sb.WriteString("[")
	for i, f := range fs {
		if i > 0 {
			sb.WriteString(" ")
		}
		fmt.Fprintf(&sb, "{op %#x fin %v rsv %#x mask %v len %d", f.op, f.fin, f.rsv, f.mask, f.length())
		if f.claim > 0 {
			sb.WriteString(" header-only")
		}
		if f.op == opClose && len(f.payload) >= 2 {
			fmt.Fprintf(&sb, " code %d", binary.BigEndian.Uint16(f.payload))
		}
		sb.WriteString("}")
		if i == 40 && len(fs) > 42 {
			fmt.Fprintf(&sb, " ... %d more", len(fs)-41)
			break
		}
	}
	sb.WriteString("]")
	return sb.String()
}

// ---------------------------------------------------------------------------
// Table tests.

var splitLimits = Limits{MaxMessageSize: 1 << 20, IdleTimeout: time.Hour, PingInterval: time.Hour}

func bothSides(t *testing.T, f func(t *testing.T, x Direction)) {
	forEachRelayer(t, func(t *testing.T) { bothSidesOf(t, f) })
}

func bothSidesOf(t *testing.T, f func(t *testing.T, x Direction)) {
	for _, x := range []Direction{ClientToBackend, BackendToClient} {
		t.Run("from_"+x.side(), func(t *testing.T) {
			t.Parallel()
			f(t, x)
		})
	}
}

func TestRelaySplitMessageSizes(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(1, uint64(x)))
		for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
			for _, op := range []byte{opText, opBinary} {
				frames := framesFrom(x, rng,
					dataFrame(op, true, payloadOf(size, 1)),
					dataFrame(op, true, payloadOf(size, 2)), // back to back
					closeTFrame(websocket.StatusNormalClosure, "bye"))
				hs := testHeaderSize(frames[0].encode())
				splits := map[string]splitter{
					"whole":     splitWhole,
					"frames":    splitFrames,
					"headers":   splitHeaders(uint64(size)),
					"random300": splitRandom(uint64(size)+1, 300),
					"straddle":  splitStraddle(1, 1),
					"straddle2": splitStraddle(3, hs-1),
				}
				if size <= 1000 {
					splits["bytes"] = splitEvery(1)
					splits["random7"] = splitRandom(uint64(size), 7)
				}
				// One cut at every offset of the first header and of the
				// second frame's header.
				second := len(frames[0].encode())
				for c := 1; c <= hs; c++ {
					splits[fmt.Sprintf("cut%d", c)] = splitAt(c)
					splits[fmt.Sprintf("cut2nd%d", c)] = splitAt(second-1, second+c)
				}
				for name, sp := range splits {
					t.Run(fmt.Sprintf("%d/op%d/%s", size, op, name), func(t *testing.T) {
						runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp})
					})
				}
			}
		}
	})
}

// TestRelaySplitPending hands the first bytes of the stream to Relay as if
// read past the handshake, cut at every offset of a header.
func TestRelaySplitPending(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(2, uint64(x)))
		frames := framesFrom(x, rng,
			dataFrame(opText, true, payloadOf(300, 3)),
			tFrame{op: opPing, fin: true, payload: []byte("peer ping")},
			dataFrame(opBinary, true, payloadOf(70000, 4)),
			closeTFrame(websocket.StatusNormalClosure, ""))
		total := 0
		for _, f := range frames {
			total += len(f.encode())
		}
		for _, p := range []int{1, 2, 3, 4, 5, 8, 100, 303, 304, 305, 310, 315, 316, 320, 330, total - 3, total} {
			t.Run(fmt.Sprint(p), func(t *testing.T) {
				runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: splitRandom(uint64(p), 2000), pending: p})
			})
		}
	})
}

func TestRelaySplitFragmented(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(3, uint64(x)))
		frames := framesFrom(x, rng,
			dataFrame(opText, false, []byte("frag")),
			tFrame{op: opPing, fin: true, payload: []byte("ping in the middle")},
			dataFrame(opCont, false, nil), // empty fragment
			dataFrame(opCont, false, payloadOf(200, 5)),
			tFrame{op: opPong, fin: true, payload: []byte("unsolicited pong")},
			tFrame{op: opPing, fin: true},
			dataFrame(opCont, true, []byte("end")),
			dataFrame(opBinary, false, payloadOf(65536, 6)),
			tFrame{op: opPing, fin: true, payload: payloadOf(125, 7)},
			dataFrame(opCont, true, payloadOf(126, 8)),
			dataFrame(opText, true, []byte("single")),
			closeTFrame(websocket.StatusGoingAway, "done"))
		for name, sp := range map[string]splitter{
			"whole": splitWhole, "frames": splitFrames, "headers": splitHeaders(9),
			"random3": splitRandom(9, 3), "random200": splitRandom(10, 200), "straddle": splitStraddle(2, 3),
		} {
			t.Run(name, func(t *testing.T) {
				out := runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp})
				if out.msgs != 3 {
					t.Fatalf("model counted %d messages", out.msgs)
				}
			})
		}
		t.Run("bytes", func(t *testing.T) {
			small := append(append([]tFrame(nil), frames[:7]...), frames[len(frames)-1])
			runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: small, split: splitEvery(1)})
		})
	})
}

func TestRelaySplitClose(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(4, uint64(x)))
		for _, c := range []struct {
			code   websocket.StatusCode
			reason string
		}{
			{websocket.StatusNoStatusRcvd, ""},
			{1000, ""}, {1000, "bye"}, {1001, "going"}, {1003, "x"}, {1007, "bad data"}, {1011, "oops"},
			{1012, "restart"}, {1013, "later"}, {1014, "bad gateway"}, {3000, "app"}, {4999, strings.Repeat("r", 123)},
		} {
			frames := framesFrom(x, rng, dataFrame(opText, true, []byte("before")), closeTFrame(c.code, c.reason))
			for name, sp := range map[string]splitter{"bytes": splitEvery(1), "whole": splitWhole, "headers": splitHeaders(1), "straddle": splitStraddle(1, 1)} {
				t.Run(fmt.Sprintf("%d/%d/%s", c.code, len(c.reason), name), func(t *testing.T) {
					runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp})
				})
			}
		}
		// Whatever follows a close frame is never forwarded.
		t.Run("after_close", func(t *testing.T) {
			frames := framesFrom(x, rng, closeTFrame(1000, "first"), dataFrame(opText, true, []byte("late")), closeTFrame(1001, "second"))
			for _, sp := range []splitter{splitWhole, splitEvery(1), splitFrames} {
				runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp})
			}
		})
	})
}

func TestRelaySplitMaxMessageSize(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		const max = 1000
		lim := splitLimits
		lim.MaxMessageSize = max
		bothSides(t, func(t *testing.T, x Direction) {
			rng := rand.New(rand.NewPCG(5, uint64(x)))
			cases := map[string][]tFrame{
				"at":   {dataFrame(opBinary, true, payloadOf(max, 1))},
				"over": {dataFrame(opText, true, []byte("ok")), dataFrame(opBinary, true, payloadOf(max+1, 1))},
				"fragments_at": {dataFrame(opText, false, payloadOf(600, 1)), tFrame{op: opPing, fin: true},
					dataFrame(opCont, false, nil), dataFrame(opCont, true, payloadOf(400, 2))},
				"fragments_over": {dataFrame(opText, false, payloadOf(600, 1)), tFrame{op: opPing, fin: true},
					dataFrame(opCont, true, payloadOf(401, 2))},
				"zero_then_over": {dataFrame(opBinary, false, nil), dataFrame(opCont, true, payloadOf(max+1, 2))},
				"reset_per_message": {dataFrame(opBinary, true, payloadOf(max, 1)), dataFrame(opBinary, true, payloadOf(max, 2)),
					dataFrame(opBinary, false, payloadOf(max, 3)), dataFrame(opCont, true, nil)},
				"huge_claim": {dataFrame(opText, true, []byte("ok")), {op: opBinary, fin: true, claim: 1 << 40}},
				// msgLen + length must not wrap around int64.
				"huge_claim_fragment":  {dataFrame(opText, false, []byte("ten bytes!")), {op: opCont, fin: true, claim: 1<<63 - 1, ext: 8}},
				"huge_claim_after_max": {dataFrame(opText, false, payloadOf(max, 1)), {op: opCont, fin: true, claim: 1<<63 - max, ext: 8}},
			}
			for name, fs := range cases {
				fs = append(fs, closeTFrame(1000, "end"))
				frames := framesFrom(x, rng, fs...)
				for sname, sp := range map[string]splitter{"whole": splitWhole, "headers": splitHeaders(3), "random": splitRandom(4, 40), "straddle": splitStraddle(1, 3)} {
					t.Run(name+"/"+sname, func(t *testing.T) {
						runRelayScenario(t, relayScenario{lim: lim, from: x, frames: frames, split: sp})
					})
				}
			}
		})
	})
}

func TestRelaySplitProtocolErrors(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(6, uint64(x)))
		wrongMask := dataFrame(opText, true, []byte("wrong mask"))
		cases := map[string]tFrame{
			"rsv1":              {op: opText, fin: true, rsv: 0x40, payload: []byte("x")},
			"rsv2":              {op: opBinary, fin: true, rsv: 0x20},
			"rsv3":              {op: opPing, fin: true, rsv: 0x10},
			"opcode3":           {op: 0x3, fin: true},
			"opcode7":           {op: 0x7, fin: true, payload: []byte("x")},
			"opcodeB":           {op: 0xB, fin: true},
			"opcodeF":           {op: 0xF, fin: true},
			"fragmented_ping":   {op: opPing, fin: false, payload: []byte("p")},
			"fragmented_close":  {op: opClose, fin: false},
			"ping126":           {op: opPing, fin: true, payload: payloadOf(126, 1)},
			"pong200":           {op: opPong, fin: true, payload: payloadOf(200, 1)},
			"close126":          {op: opClose, fin: true, payload: append([]byte{3, 232}, payloadOf(124, 1)...)},
			"continuation":      {op: opCont, fin: true, payload: []byte("orphan")},
			"close_1byte":       {op: opClose, fin: true, payload: []byte{3}},
			"close_999":         closeTFrame(999, ""),
			"close_1004":        closeTFrame(1004, "r"),
			"close_1005":        {op: opClose, fin: true, payload: []byte{0x03, 0xED}},
			"close_1006":        closeTFrame(1006, "abnormal"),
			"close_1015":        closeTFrame(1015, ""),
			"close_1016":        closeTFrame(1016, ""),
			"close_2999":        closeTFrame(2999, ""),
			"close_5000":        closeTFrame(5000, ""),
			"close_0":           closeTFrame(0, ""),
			"length_top_bit":    {op: opBinary, fin: true, claim: 1 << 63, ext: 8},
			"length_all_ones":   {op: opBinary, fin: true, claim: 1<<64 - 1, ext: 8},
			"wrong_mask":        wrongMask,
			"wrong_mask_ping":   {op: opPing, fin: true, payload: []byte("p")},
			"wrong_mask_close":  closeTFrame(1000, ""),
			"wrong_mask_cont":   {op: opCont, fin: true},
			"fragment_then_new": {op: opText, fin: true, payload: []byte("new")},
		}
		for name, bad := range cases {
			pre := []tFrame{dataFrame(opText, true, []byte("before")), tFrame{op: opPing, fin: true, payload: []byte("pp")}}
			switch name {
			case "fragment_then_new":
				pre = append(pre, dataFrame(opBinary, false, []byte("started")))
			case "continuation":
				pre = append(pre, dataFrame(opBinary, false, []byte("done")), dataFrame(opCont, true, nil))
			}
			frames := framesFrom(x, rng, append(pre, bad, dataFrame(opText, true, []byte("after")), closeTFrame(1000, ""))...)
			if strings.HasPrefix(name, "wrong_mask") {
				i := len(pre)
				frames[i].mask = x != ClientToBackend
				binary.LittleEndian.PutUint32(frames[i].key[:], rng.Uint32())
			}
			for sname, sp := range map[string]splitter{"whole": splitWhole, "bytes": splitEvery(1), "straddle": splitStraddle(1, 1), "frames": splitFrames} {
				t.Run(name+"/"+sname, func(t *testing.T) {
					out := runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp})
					if out.end != endProtocol || out.stop != len(pre) {
						t.Fatalf("model: end %d at %d, want a protocol error at %d", out.end, out.stop, len(pre))
					}
				})
			}
		}
	})
}

// TestRelaySplitManySmall puts far more messages than the observer ring
// holds into single reads.
func TestRelaySplitManySmall(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(7, uint64(x)))
		var fs []tFrame
		for i := range 3000 {
			fs = append(fs, dataFrame(opBinary, true, payloadOf(i%3, uint64(i))))
		}
		frames := framesFrom(x, rng, append(fs, closeTFrame(1000, ""))...)
		for name, sp := range map[string]splitter{"whole": splitWhole, "random": splitRandom(1, 5000)} {
			t.Run(name, func(t *testing.T) {
				runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp})
			})
		}
	})
}

// TestRelaySplitTCP runs scenarios over loopback TCP, with delays between
// chunks so that reads see them apart.
func TestRelaySplitTCP(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		rng := rand.New(rand.NewPCG(8, uint64(x)))
		frames := framesFrom(x, rng,
			dataFrame(opText, false, []byte("frag")),
			tFrame{op: opPing, fin: true, payload: []byte("ping")},
			dataFrame(opCont, true, payloadOf(65536, 1)),
			dataFrame(opBinary, true, payloadOf(126, 2)),
			closeTFrame(3001, "tcp"))
		for name, sp := range map[string]splitter{"headers": splitHeaders(5), "random": splitRandom(6, 20000), "straddle": splitStraddle(2, 1)} {
			t.Run(name, func(t *testing.T) {
				runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: frames, split: sp, tcp: true, delay: 50 * time.Microsecond})
			})
		}
		bad := framesFrom(x, rng, dataFrame(opText, true, []byte("ok")), tFrame{op: opPing, fin: false}, closeTFrame(1000, ""))
		t.Run("protocol_error", func(t *testing.T) {
			runRelayScenario(t, relayScenario{lim: splitLimits, from: x, frames: bad, split: splitEvery(1), tcp: true, delay: 100 * time.Microsecond})
		})
	})
}

// TestRelaySplitBothWays sends split streams in both directions at once,
// then closes.
func TestRelaySplitBothWays(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		for _, tcp := range []bool{false, true} {
			t.Run(fmt.Sprintf("tcp=%v", tcp), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(9, 0))
				var cf, bf []tFrame
				for i := range 40 {
					n := []int{0, 1, 125, 126, 127, 1000, 65535, 65536}[i%8]
					switch i % 3 {
					case 0: // a fragmented message, with a ping inside
						cf = append(cf, dataFrame(opBinary, false, payloadOf(n, uint64(i))), tFrame{op: opPing, fin: true, payload: []byte("c")})
					case 1:
						cf = append(cf, dataFrame(opCont, true, payloadOf(n, uint64(i))))
					case 2:
						cf = append(cf, dataFrame(opText, true, payloadOf(n, uint64(i))))
					}
					bf = append(bf, dataFrame(opText, true, payloadOf(n, uint64(i+100))))
				}
				cf = append(cf, dataFrame(opCont, true, nil))
				cf, bf = framesFrom(ClientToBackend, rng, cf...), framesFrom(BackendToClient, rng, bf...)
				s := startRelaySplit(t, splitLimits, splitOpts{tcp: tcp})
				enc := func(fs []tFrame) (out [][]byte) {
					for _, f := range fs {
						out = append(out, f.encode())
					}
					return out
				}
				cEnc, bEnc := enc(cf), enc(bf)
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); _ = s.client.send(splitRandom(1, 3000)(cEnc), 0, false) }()
				go func() { defer wg.Done(); _ = s.backend.send(splitHeaders(2)(bEnc), 0, false) }()
				wg.Wait()
				s.backend.waitFor(t, len(cEnc)-1, "the client's last frame", func(rFrame) bool { return true })
				s.client.waitFor(t, len(bEnc)-1, "the backend's last frame", func(rFrame) bool { return true })
				closeF := framesFrom(ClientToBackend, rng, closeTFrame(1000, "both"))[0]
				_ = s.client.send(splitEvery(1)([][]byte{closeF.encode()}), 0, true)
				st := s.wait()
				wantFramesEqual(t, "backend", s.backend.frames(), append(cEnc, closeF.encode()))
				bGot := s.client.frames()
				wantFramesEqual(t, "client", bGot[:len(bGot)-1], bEnc)
				if code, r := bGot[len(bGot)-1].closeCode(); code != 1000 || r != "both" {
					t.Fatalf("client's last frame %v, want the close reply", bGot[len(bGot)-1])
				}
				if st.ClosedBy != ClosedByClient || st.CloseCode != 1000 || st.ClientToBackendMsgs != 27 || st.BackendToClientMsgs != 40 {
					t.Fatalf("stats %+v", st)
				}
			})
		}
	})
}

func wantFramesEqual(t testing.TB, who string, got []rFrame, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s got %d frames, want %d", who, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].raw, want[i]) {
			t.Fatalf("%s frame %d: got %v (% x), want % x", who, i, got[i], head(got[i].raw), head(want[i]))
		}
	}
}

// TestRelaySplitGatewayPong answers the gateway's ping with a pong split
// across reads (byte at a time, and straddling other frames): it is
// swallowed, while the peer's own pongs, including one with another 8-byte
// payload and a second copy of the gateway's, are forwarded.
func TestRelaySplitGatewayPong(t *testing.T) {
	bothSides(t, func(t *testing.T, x Direction) {
		for name, sp := range map[string]splitter{"bytes": splitEvery(1), "straddle": splitStraddle(3, 2), "whole": splitWhole, "headers": splitHeaders(4)} {
			t.Run(name, func(t *testing.T) {
				lim := splitLimits
				lim.PingInterval = 20 * time.Millisecond
				lim.PingTimeout = 10 * time.Second
				s := startRelaySplit(t, lim, splitOpts{})
				sender, receiver := s.peer(x), s.peer(x^1)
				isGwPing := func(f rFrame) bool { return f.op == opPing && len(f.payload) == 8 }
				i := sender.waitFor(t, 0, "the gateway's ping", isGwPing)
				ping := sender.frames()[i]
				if ping.masked != (x == BackendToClient) {
					t.Fatalf("gateway ping %v masked wrongly", ping)
				}
				other := bytes.Clone(ping.payload)
				other[7] ^= 0xFF
				rng := rand.New(rand.NewPCG(10, uint64(x)))
				frames := framesFrom(x, rng,
					dataFrame(opText, false, []byte("a")),
					tFrame{op: opPong, fin: true, payload: other},
					tFrame{op: opPong, fin: true, payload: ping.payload}, // the gateway's: swallowed
					dataFrame(opCont, true, []byte("b")),
					tFrame{op: opPong, fin: true, payload: ping.payload}, // answered already: forwarded
					tFrame{op: opPong, fin: true, payload: []byte("peer")},
				)
				var enc [][]byte
				for _, f := range frames {
					enc = append(enc, f.encode())
				}
				if err := sender.send(sp(enc), 0, false); err != nil {
					t.Fatal(err)
				}
				want := [][]byte{enc[0], enc[1], enc[3], enc[4], enc[5]}
				receiver.waitFor(t, 0, "the last pong", func(f rFrame) bool { return f.op == opPong && string(f.payload) == "peer" })
				// The side answered: the gateway pings it again.
				sender.waitFor(t, i+1, "the gateway's next ping", isGwPing)
				closeF := framesFrom(x, rng, closeTFrame(1000, ""))[0]
				_ = sender.send([][]byte{closeF.encode()}, 0, true)
				st := s.wait()
				var got []rFrame
				for _, f := range receiver.frames() {
					if !isGwPing(f) { // the receiver's own gateway pings
						got = append(got, f)
					}
				}
				wantFramesEqual(t, x.side()+"'s receiver", got, append(want, closeF.encode()))
				if st.ClosedBy != x.side() || st.CloseCode != 1000 {
					t.Fatalf("stats %+v", st)
				}
			})
		}
	})
}

// TestRelaySplitPongDuringFrame: the gateway's pong arrives right after a
// large frame whose payload spans many reads.
func TestRelaySplitPongAfterLargeFrame(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		lim := splitLimits
		lim.PingInterval = 20 * time.Millisecond
		lim.PingTimeout = 10 * time.Second
		s := startRelaySplit(t, lim, splitOpts{})
		isGwPing := func(f rFrame) bool { return f.op == opPing && len(f.payload) == 8 }
		i := s.client.waitFor(t, 0, "the gateway's ping", isGwPing)
		ping := s.client.frames()[i]
		rng := rand.New(rand.NewPCG(11, 0))
		frames := framesFrom(ClientToBackend, rng,
			dataFrame(opBinary, true, payloadOf(100000, 1)),
			tFrame{op: opPong, fin: true, payload: ping.payload},
			closeTFrame(1000, ""))
		enc := [][]byte{frames[0].encode(), frames[1].encode(), frames[2].encode()}
		_ = s.client.send(splitRandom(12, 9000)(enc), 0, true)
		st := s.wait()
		var got []rFrame
		for _, f := range s.backend.frames() {
			if !isGwPing(f) {
				got = append(got, f)
			}
		}
		wantFramesEqual(t, "backend", got, [][]byte{enc[0], enc[2]})
		if st.ClosedBy != ClosedByClient || st.CloseCode != websocket.StatusNormalClosure {
			t.Fatalf("stats %+v", st)
		}
	})
}
