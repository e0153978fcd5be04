package wsproxy

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/coder/websocket"
)

// relayFuzzCase derives a relay scenario from fuzz bytes: most inputs give
// valid frame sequences (the generator tracks whether a fragmented message
// is open), some break one rule on purpose.
//
//	data[0]: bit 0 sender (client/backend), bits 1-3 split pattern,
//	         bits 4-5 MaxMessageSize, bit 6 hand the first data[1] bytes
//	         over as read past the handshake
//	data[1]: pending size / seed
//	then two bytes per frame: kind, length
//
// A valid close 1000 is always appended.
func relayFuzzCase(data []byte) relayScenario {
	h := fnv.New64a()
	h.Write(data)
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	var flags, aux byte
	if len(data) > 0 {
		flags, data = data[0], data[1:]
	}
	if len(data) > 0 {
		aux, data = data[0], data[1:]
	}
	sc := relayScenario{lim: splitLimits, from: Direction(flags & 1)}
	max := []int64{1000, 65536, 70000, 1 << 20}[flags>>4&3]
	sc.lim.MaxMessageSize = max
	mode := flags >> 1 & 7
	capBytes := 300 << 10
	switch mode {
	case 0:
		sc.split, capBytes = splitEvery(1), 3000
	case 1:
		sc.split, capBytes = splitRandom(rng.Uint64(), 3), 6000
	case 2:
		sc.split, capBytes = splitRandom(rng.Uint64(), 16), 30000
	case 3:
		sc.split = splitRandom(rng.Uint64(), 300)
	case 4:
		sc.split = splitRandom(rng.Uint64(), 5000)
	case 5:
		sc.split = splitHeaders(rng.Uint64())
	case 6:
		sc.split, capBytes = splitWhole, 2<<20 // one write: room for a frame over a 1 MiB limit
	case 7:
		sc.split = splitStraddle(1+int(aux%7), 1+int(aux>>3%14))
	}
	if flags&0x40 != 0 {
		sc.pending = int(aux)
	}
	sizes := []int{126, 127, 128, 200, 255, 256, 257, 300, 999, 1000, 1001, 4096,
		32767, 32768, 32769, 65535, 65536, 65537, 70000, int(max) - 1, int(max), int(max) + 1}
	dataLen := func(l byte) int {
		if l < 128 {
			return int(l)
		}
		return sizes[int(l-128)%len(sizes)]
	}
	inMsg := false
	total := 0
	var frames []tFrame
	for len(data) >= 2 && len(frames) < 64 && total < capBytes {
		k, l := data[0], data[1]
		data = data[2:]
		var f tFrame
		switch kind := k & 15; {
		case kind < 8:
			n := dataLen(l)
			if total+n > capBytes {
				// A frame stays within the split's budget: a megabyte
				// written a byte at a time takes seconds of syscalls in
				// the harness, on both sides (a frame over the limit is
				// refused at its header, but the rest of it is still
				// sent and read until the close).
				n = capBytes - total // total < capBytes: the loop goes on only then
			}
			f = dataFrame(opText+k>>4&1, k>>5&3 != 0, payloadOf(n, uint64(len(frames))))
			if inMsg {
				f.op = opCont
			}
			inMsg = !f.fin
		case kind == 8:
			f = tFrame{op: opPing, fin: true, payload: payloadOf(int(l%126), 7)}
		case kind == 9:
			f = tFrame{op: opPong, fin: true, payload: payloadOf(int(l%126), 9)}
		case kind == 10:
			codes := []websocket.StatusCode{websocket.StatusNoStatusRcvd, 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999}
			f = closeTFrame(codes[int(l)%len(codes)], string(payloadOf(int(l>>4)*7%124, 3)))
		default: // break a rule
			v := (k >> 4) % 13
			switch v {
			case 0:
				f = dataFrame(opBinary, true, []byte("rsv"))
				f.rsv = 0x10 << (l % 3)
			case 1:
				f = tFrame{op: []byte{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}[l%10], fin: true, payload: payloadOf(int(l%20), 1)}
			case 2:
				f = dataFrame(opBinary, true, payloadOf(int(l), 1)) // wrong mask: set below
			case 3:
				f = tFrame{op: opPing, fin: false, payload: []byte("frag")}
			case 4:
				f = tFrame{op: []byte{opPing, opPong, opClose}[l%3], fin: true, payload: payloadOf(126+int(l%10), 2)}
			case 5:
				f = dataFrame(opCont, true, []byte("orphan?")) // valid inside a message
				inMsg = false
			case 6:
				f = dataFrame(opText, true, []byte("new?")) // valid outside a message
				inMsg = false
			case 7:
				f = tFrame{op: opClose, fin: true, payload: []byte{l}}
			case 8:
				bad := []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
				f = tFrame{op: opClose, fin: true, payload: binary.BigEndian.AppendUint16(nil, bad[int(l)%len(bad)])}
			case 9:
				f = tFrame{op: opBinary, fin: true, claim: 1<<63 | uint64(l), ext: 8}
			case 10:
				// Announces more than the limit allows, and more than is
				// ever sent: the sender vanishes once told off.
				claims := []uint64{uint64(max) + 1, 1 << 31, 1 << 32, 1 << 40, 1<<63 - 1, 1<<63 - uint64(max)}
				op := byte(opBinary)
				if inMsg {
					op = opCont
				}
				f = tFrame{op: op, fin: true, claim: claims[int(l)%len(claims)], ext: 8}
				inMsg = false
			case 11:
				f = tFrame{op: opPing, fin: true, payload: []byte("wrong mask")}
			case 12:
				f = tFrame{op: opText, fin: true, payload: []byte("rsv ctl"), rsv: 0x40}
			}
			if v == 2 || v == 11 {
				f.mask = sc.from != ClientToBackend
				binary.LittleEndian.PutUint32(f.key[:], rng.Uint32())
				frames = append(frames, f)
				total += len(f.payload) + 14
				continue
			}
		}
		frames = append(frames, framesFrom(sc.from, rng, f)...)
		total += len(f.payload) + 14
	}
	sc.frames = append(frames, framesFrom(sc.from, rng, closeTFrame(1000, "fuzz"))...)
	return sc
}

// FuzzRelayFrames: the receiver gets exactly the sender's frames up to the
// first one that ends the session (close, protocol error, message over the
// limit), byte for byte and in order, then the right close; nothing after
// the offending frame is forwarded, whatever the read boundaries.
func FuzzRelayFrames(f *testing.F) {
	f.Add([]byte{0x00, 0, 0x01, 5, 0x20, 3, 0x08, 4, 0x00, 200})
	f.Add([]byte{0x01, 0, 0x01, 130, 0x08, 0, 0x00, 143, 0x0A, 0x15})
	f.Add([]byte{0x4A, 7, 0x00, 140, 0x10, 0x80, 0x09, 8})
	f.Add([]byte{0x3C, 3, 0x00, 0x90, 0x20, 0x91, 0x00, 0x93})
	f.Add([]byte{0x0E, 9, 0x20, 10, 0xAB, 4})
	f.Add([]byte{0x07, 1, 0x01, 3, 0x5B, 0})
	f.Add([]byte{0x08, 0, 0x20, 128, 0x0B, 1, 0x00, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		forEachRelayer(t, func(t *testing.T) { runRelayScenario(t, relayFuzzCase(data)) })
	})
}
