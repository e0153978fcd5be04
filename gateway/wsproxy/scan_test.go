package wsproxy

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
)

// scanRecord is one stop of frameScanner.scan, at an absolute offset of
// the stream.
type scanRecord struct {
	ev     scanEvent
	at     int64
	op     byte
	length int64
	err    string
}

func (r scanRecord) String() string {
	return fmt.Sprintf("ev %d at %d op %#x len %d err %q", r.ev, r.at, r.op, r.length, r.err)
}

// scanStream feeds stream to a fresh scanner in chunks (cut at the offsets
// in cuts), the way both relays do: what a read leaves unconsumed (a
// partial header or control frame) is carried before the next read's
// bytes. It returns the stops, the messages counted and the largest carry.
func scanStream(x Direction, lim Limits, stream []byte, cuts []int) (recs []scanRecord, msgs, msgBytes int64, maxCarry int) {
	var p frameScanner
	var halt atomic.Bool
	p.init(x, &lim, &halt, 0)
	var carry []byte
	var off int64 // stream offset of carry[0]
	prev := 0
	for k := 0; k <= len(cuts); k++ {
		end := len(stream)
		if k < len(cuts) {
			end = cuts[k]
		}
		if end < prev {
			continue
		}
		buf := append(append([]byte(nil), carry...), stream[prev:end]...)
		prev = end
		i := 0
		for {
			ev, at, h, err := p.scan(buf, i, 0)
			if ev == scanEnd {
				carry = append(carry[:0], buf[at:]...)
				off += int64(at)
				maxCarry = max(maxCarry, len(carry))
				break
			}
			r := scanRecord{ev: ev, at: off + int64(at), op: h.op, length: h.length}
			if err != nil {
				r.err = err.Error()
			}
			recs = append(recs, r)
			if ev != scanPong {
				// Close, protocol error, limit: the relay stops forwarding.
				return recs, p.batchMsgs, p.batchBytes, maxCarry
			}
			i = at + h.size + int(h.length)
		}
	}
	return recs, p.batchMsgs, p.batchBytes, maxCarry
}

// FuzzFrameScanner: however a stream is cut into reads, the shared frame
// parser stops at the same frames for the same reasons, counts the same
// messages, and never carries more than carrySize bytes between reads.
//
//	data[0]: bit 0 direction, bits 1-2 MaxMessageSize, bits 3-7 seed of the cuts
//	then the stream
func FuzzFrameScanner(f *testing.F) {
	masked := func(op byte, p []byte) []byte { return appendFrame(nil, op, p, true) }
	plain := func(op byte, p []byte) []byte { return appendFrame(nil, op, p, false) }
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	seeds := [][]byte{
		cat([]byte{0x00}, masked(opText, []byte("hello")), masked(opPing, []byte("p")), masked(opBinary, make([]byte, 300))),
		cat([]byte{0x01}, plain(opText, []byte("hi")), plain(opPong, make([]byte, 8)), plain(opBinary, make([]byte, 70000))),
		cat([]byte{0x22}, []byte{0x01, 0x83, 1, 2, 3, 4, 'a', 'b', 'c'}, masked(opCont, []byte("x")), masked(opClose, []byte{3, 232})),
		cat([]byte{0x41}, []byte{0x02, 0x7E, 0x01, 0x00}, make([]byte, 256), []byte{0x80, 0x00}),
		cat([]byte{0x06}, masked(opText, make([]byte, 2000)), masked(opText, []byte("y"))),
		cat([]byte{0x80}, []byte{0x80 | opText, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
		cat([]byte{0x10}, []byte{0xC1, 0x80, 0, 0, 0, 0}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		flags, stream := data[0], data[1:]
		x := Direction(flags & 1)
		lim := Limits{MaxMessageSize: []int64{0, 16, 1000, 65536}[flags>>1&3]}
		whole, wm, wb, _ := scanStream(x, lim, stream, nil)
		// Every byte its own read, then cuts spread by the seed.
		every := make([]int, len(stream))
		for i := range every {
			every[i] = i
		}
		var spread []int
		for i, step := 0, 1+int(flags>>3); i < len(stream); i += step + i%7 {
			spread = append(spread, i)
		}
		for _, cuts := range [][]int{every, spread} {
			got, gm, gb, maxCarry := scanStream(x, lim, stream, cuts)
			if fmt.Sprint(got) != fmt.Sprint(whole) {
				t.Fatalf("cut into reads, the scanner stopped at\n%v\nwhole, at\n%v", got, whole)
			}
			if gm != wm || gb != wb {
				t.Fatalf("cut into reads: %d messages (%d bytes), whole: %d (%d)", gm, gb, wm, wb)
			}
			if maxCarry > carrySize {
				t.Fatalf("carried %d bytes between reads, more than carrySize (%d)", maxCarry, carrySize)
			}
		}
	})
}

// TestFrameScannerStops pins where the scanner stops and why, one case per
// event.
func TestFrameScannerStops(t *testing.T) {
	masked := func(op byte, p []byte) []byte { return appendFrame(nil, op, p, true) }
	text := masked(opText, []byte("abc"))
	for _, tc := range []struct {
		name   string
		x      Direction
		lim    Limits
		stream []byte
		want   []scanEvent
		msgs   int64
	}{
		{"data and pings are walked over", ClientToBackend, Limits{}, bytes.Join([][]byte{text, masked(opPing, nil), text}, nil), nil, 2},
		{"a pong stops", ClientToBackend, Limits{}, bytes.Join([][]byte{text, masked(opPong, nil), text}, nil), []scanEvent{scanPong}, 2},
		{"a close stops", ClientToBackend, Limits{}, bytes.Join([][]byte{text, masked(opClose, nil), text}, nil), []scanEvent{scanClose}, 1},
		{"unmasked client frame", ClientToBackend, Limits{}, appendFrame(nil, opText, nil, false), []scanEvent{scanError}, 0},
		{"masked backend frame", BackendToClient, Limits{}, text, []scanEvent{scanError}, 0},
		{"continuation outside a message", ClientToBackend, Limits{}, masked(opCont, nil), []scanEvent{scanError}, 0},
		{"over MaxMessageSize", ClientToBackend, Limits{MaxMessageSize: 2}, text, []scanEvent{scanSize}, 0},
		{"over MaxMessageRate", ClientToBackend, Limits{MaxMessageRate: 1, MessageBurst: 1}, bytes.Join([][]byte{text, text}, nil), []scanEvent{scanRate}, 1},
		{"the rate does not apply to the backend", BackendToClient, Limits{MaxMessageRate: 1, MessageBurst: 1},
			bytes.Join([][]byte{appendFrame(nil, opText, nil, false), appendFrame(nil, opText, nil, false)}, nil), nil, 2},
		{"a partial header is left", ClientToBackend, Limits{}, text[:3], nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, msgs, _, _ := scanStream(tc.x, tc.lim, tc.stream, nil)
			var got []scanEvent
			for _, r := range recs {
				got = append(got, r.ev)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || msgs != tc.msgs {
				t.Errorf("stops %v, %d messages; want %v, %d", got, msgs, tc.want, tc.msgs)
			}
		})
	}
	t.Run("halt stops at the next frame boundary", func(t *testing.T) {
		var p frameScanner
		var halt atomic.Bool
		lim := Limits{}
		p.init(ClientToBackend, &lim, &halt, 0)
		b := bytes.Join([][]byte{text, text}, nil)
		ev, at, _, _ := p.scan(b[:len(text)+1], 0, 0)
		if ev != scanEnd || at != len(text) {
			t.Fatalf("scan = %d at %d, want the end at %d", ev, at, len(text))
		}
		halt.Store(true)
		if ev, at, _, _ := p.scan(b, at, 0); ev != scanHalt || at != len(text) {
			t.Fatalf("after halt: scan = %d at %d, want a halt at %d", ev, at, len(text))
		}
	})
}
