package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadResponse feeds the response parser (head, framing, body, 1xx,
// trailers) arbitrary bytes: it must not panic, must stay within its
// bounds, and a body it accepts must have the length it announced.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 200 OK\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\nhi\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: TEXT/Event-Stream; charset=utf-8\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Type: text/event-stream\r\n\r\nhi",
		// values beyond the slot's 128 bytes: a string of their own
		"HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("v", 120) + "\r\nX-More: 0123456789\r\nContent-Length: 0\r\n\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, isHead bool) {
		method := http.MethodGet
		if isHead {
			method = http.MethodHead
		}
		req := &http.Request{Method: method}
		br := bufio.NewReaderSize(bytes.NewReader(data), 4096)
		budget := MaxHeadBytes
		hd := &head{}
		var slot finalSlot
		var err error
		for n := 0; ; n++ {
			err = readHead(br, req, &budget, hd, &slot)
			if err != nil {
				return
			}
			if hd.resp.StatusCode >= 200 || n > max1xx {
				break
			}
		}
		if hd.resp.StatusCode >= 200 {
			// The final head read into the body's room is the head read
			// into an allocation of its own.
			if hd.resp != &slot.resp {
				t.Fatal("final head not read into its slot")
			}
			br2 := bufio.NewReaderSize(bytes.NewReader(data), 4096)
			budget2, hd2 := MaxHeadBytes, &head{}
			for {
				if err := readHead(br2, req, &budget2, hd2, nil); err != nil {
					t.Fatalf("second read: %v", err)
				}
				if hd2.resp.StatusCode >= 200 {
					break
				}
			}
			if hd2.resp.StatusCode != hd.resp.StatusCode || hd2.resp.Status != hd.resp.Status ||
				!reflect.DeepEqual(hd2.resp.Header, hd.resp.Header) || hd2.framing != hd.framing || hd2.length != hd.length || hd2.reuse != hd.reuse {
				t.Fatalf("slot %+v, own %+v", hd.resp, hd2.resp)
			}
			// Read a third time into a slot whose spare map (Release's)
			// held another answer's fields: the same head.
			spare := http.Header{"X-Old": {"1"}, "Content-Length": {"99"}}
			clear(spare)
			slot3 := finalSlot{spare: spare}
			br3 := bufio.NewReaderSize(bytes.NewReader(data), 4096)
			budget3, hd3 := MaxHeadBytes, &head{}
			for {
				if err := readHead(br3, req, &budget3, hd3, &slot3); err != nil {
					t.Fatalf("third read: %v", err)
				}
				if hd3.resp.StatusCode >= 200 {
					break
				}
			}
			if !reflect.DeepEqual(hd3.resp.Header, hd.resp.Header) || hd3.framing != hd.framing || hd3.length != hd.length || hd3.reuse != hd.reuse {
				t.Fatalf("into a spare map %+v, into a new one %+v", hd3.resp, hd.resp)
			}
			if mapPointer(hd3.resp.Header) != mapPointer(spare) {
				t.Fatal("the spare map was not used")
			}
		}
		// The same bytes handed over a few at a time through the smallest
		// buffer: readFields cuts the lines its buffer holds and reads
		// the rest, and must read the same heads.
		if err := samePieces(data, req, 3, 16); err != nil {
			t.Fatal(err)
		}
		if hd.resp.StatusCode >= 200 {
			// What readFields noted of Content-Type is what a lookup of
			// the map finds (EventStream, the gateway's isEventStream).
			ct := ""
			if v := hd.resp.Header["Content-Type"]; len(v) > 0 {
				ct = v[0]
			}
			if want := len(ct) >= 17 && strings.EqualFold(ct[:17], "text/event-stream"); hd.stream != want {
				t.Fatalf("stream %v, the map's Content-Type %q", hd.stream, hd.resp.Header["Content-Type"])
			}
		}
		if hd.framing == bodyLength {
			// The length frame took from the field's own slice is the
			// map's.
			if n, err := contentLength(hd.resp.Header["Content-Length"]); err != nil || n != hd.length {
				t.Fatalf("length %d, the map's Content-Length %q (%v)", hd.length, hd.resp.Header["Content-Length"], err)
			}
		}
		if budget < 0 {
			t.Fatalf("head over its bound: %d", budget)
		}
		resp := hd.resp
		if resp.StatusCode < 100 || resp.StatusCode > 599 || resp.Header == nil {
			t.Fatalf("bad response %+v", resp)
		}
		if _, ok := resp.Header["Transfer-Encoding"]; ok && hd.framing == bodyChunked {
			t.Fatal("Transfer-Encoding left in the header")
		}
		if hd.framing == bodyNone {
			return
		}
		b := &bodyReader{br: br, framing: hd.framing, n: hd.length, resp: resp}
		var got int64
		buf := make([]byte, 512)
		for {
			n, err := b.read(buf)
			got += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error kind %T %v", err, err)
				}
				return
			}
		}
		if hd.framing == bodyLength && got != resp.ContentLength {
			t.Fatalf("read %d bytes of a %d-byte body", got, resp.ContentLength)
		}
	})
}

// readHeads reads the heads at the start of r (the 1xx ones and the
// final one) through a read buffer of size bytes, and what follows them.
func readHeads(r io.Reader, req *http.Request, size int) (heads []*head, budget int, rest []byte, err error) {
	br := bufio.NewReaderSize(r, size)
	budget = MaxHeadBytes
	for n := 0; n <= max1xx; n++ {
		hd := &head{}
		if err = readHead(br, req, &budget, hd, &finalSlot{}); err != nil {
			return heads, budget, nil, err
		}
		heads = append(heads, hd)
		if hd.resp.StatusCode >= 200 {
			break
		}
	}
	rest, _ = io.ReadAll(br)
	return heads, budget, rest, nil
}

// samePieces reports how the heads of data read a few bytes at a time
// (step) through a buffer of size bytes differ from those read at once.
func samePieces(data []byte, req *http.Request, step, size int) error {
	want, wantBudget, wantRest, wantErr := readHeads(bytes.NewReader(data), req, 4096)
	got, gotBudget, gotRest, gotErr := readHeads(&shortReader{bytes.NewReader(data), step}, req, size)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || gotBudget != wantBudget || !bytes.Equal(gotRest, wantRest) || len(got) != len(want) {
		return fmt.Errorf("in pieces of %d: %d heads, budget %d, %v, rest %q; at once: %d heads, budget %d, %v, rest %q",
			step, len(got), gotBudget, gotErr, gotRest, len(want), wantBudget, wantErr, wantRest)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.resp.StatusCode != w.resp.StatusCode || g.resp.Status != w.resp.Status || !reflect.DeepEqual(g.resp.Header, w.resp.Header) ||
			g.framing != w.framing || g.length != w.length || g.reuse != w.reuse || g.hopFree != w.hopFree || g.names != w.names {
			return fmt.Errorf("head %d in pieces of %d: %+v; at once: %+v", i, step, g.resp, w.resp)
		}
	}
	return nil
}

// shortReader returns at most step bytes a read, as a socket that has
// only part of what was sent.
type shortReader struct {
	r    io.Reader
	step int
}

func (s *shortReader) Read(p []byte) (int, error) {
	return s.r.Read(p[:min(len(p), s.step)])
}

// FuzzChunkedReads: a chunked body read in pieces of any size, through a
// read buffer of any size over a connection that hands over any number
// of bytes at a time, gives back the bytes that were sent, chunk after
// chunk (readChunked reads on into the next chunks the buffer holds), its
// trailer, and leaves what came after the body unread.
func FuzzChunkedReads(f *testing.F) {
	f.Add([]byte("hello, chunked world"), uint8(3), uint8(5), uint16(16), uint16(7), false)
	f.Add([]byte(strings.Repeat("x", 5000)), uint8(63), uint8(200), uint16(4096), uint16(4096), true)
	f.Add([]byte(""), uint8(1), uint8(1), uint16(0), uint16(1), true)
	f.Fuzz(func(t *testing.T, data []byte, chunk, readSize uint8, bufSize, step uint16, trailer bool) {
		cs, rs, bs, st := int(chunk)%64+1, int(readSize)%200+1, int(bufSize)%4096+16, int(step)%5000+1
		var w bytes.Buffer
		for i := 0; i < len(data); i += cs {
			part := data[i:min(len(data), i+cs)]
			fmt.Fprintf(&w, "%x\r\n", len(part))
			w.Write(part)
			w.WriteString("\r\n")
		}
		w.WriteString("0\r\n")
		if trailer {
			w.WriteString("X-T: 1\r\n")
		}
		w.WriteString("\r\nNEXT")
		br := bufio.NewReaderSize(&shortReader{&w, st}, bs)
		b := &bodyReader{br: br, framing: bodyChunked, resp: &http.Response{}}
		var got []byte
		buf := make([]byte, rs)
		for {
			n, err := b.read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("after %d bytes: %v", len(got), err)
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("got %d bytes, not the %d sent", len(got), len(data))
		}
		if (b.resp.Trailer.Get("X-T") == "1") != trailer {
			t.Fatalf("trailer %v, sent: %v", b.resp.Trailer, trailer)
		}
		if n, err := b.read(buf); n != 0 || err != io.EOF {
			t.Fatalf("a read after the end: %d, %v", n, err)
		}
		if rest, _ := io.ReadAll(br); string(rest) != "NEXT" {
			t.Fatalf("after the body: %q", rest)
		}
	})
}
