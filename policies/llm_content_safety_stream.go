package policies

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
)

// csStream is a streamed answer (text/event-stream) on its way to the
// client, checked as it goes (enforce-on-completions): its events are held
// back until the text they carry has been checked, then released in
// order.
//
//   - Each choice's text (eventTexts) is cut into windows (windower): a
//     window is checked as soon as window-size units of text wait for it,
//     and the last one at the end of the stream. An event is released once
//     every choice it carries text for has been checked up to its end; an
//     event without text, once the events before it are.
//   - When the events held back reach streamHeldMax bytes, the text they
//     carry is checked at once (a shorter window), so that memory stays
//     bounded whatever the events hold besides text.
//   - A flagged window, a failed check, an event over streamEventMax bytes,
//     more than streamMaxChoices choices, or a broken encoding stop the
//     stream: the held events are dropped, nothing more is read, and the
//     client sees the body end (the status and headers stand: the gateway
//     sent them before the body, at once for a filtered event stream; the
//     stream ends without its [DONE]).
//     halt records why.
//   - A backend whose body breaks off: the held events are dropped and the
//     read error is returned (the gateway then aborts the answer, as for
//     any answer that breaks off).
type csStream struct {
	body io.ReadCloser // the backend's body as sent
	src  io.Reader     // body decoded (nil until the first read)
	enc  string        // Content-Encoding to decode: "", gzip or deflate
	// zw encodes what is released again, as enc (flushed after each
	// release, closed at a clean end): the client and the observers get
	// the encoding the headers say.
	zw   encoder
	zbuf bytes.Buffer
	zend bool // zw is closed

	size, overlap int
	// check asks Content Safety about a window: why it is flagged ("" if
	// it is not), or why it could not be checked.
	check func(window string) (why string, err error)
	// halt records why the stream stops early: context.LastError, the
	// trace, a log line.
	halt func(reason, msg string)

	sp    sseSplitter
	wins  map[int]*windower
	order []int // wins' keys in the order the choices appeared
	held  []heldEvent
	heldN int    // bytes in held
	out   []byte // released, not yet read from out[off:]
	off   int
	rbuf  []byte
	done  bool
	end   error // what Read returns once out is drained and done
}

// encoder is gzip's and zlib's writer.
type encoder interface {
	io.WriteCloser
	Flush() error
}

// newStreamEncoder makes c encode what it releases as c.enc.
func (c *csStream) newStreamEncoder() {
	switch c.enc {
	case "gzip":
		c.zw = gzip.NewWriter(&c.zbuf)
	case "deflate":
		c.zw = zlib.NewWriter(&c.zbuf)
	}
}

type heldEvent struct {
	data []byte
	// need is, per choice the event carries text for, the position in
	// that choice's text (UTF-16 units) its text ends at.
	need []choiceEnd
}

type choiceEnd struct {
	key int
	end int64
}

// Limits of a checked stream.
const (
	streamEventMax   = 1 << 20 // one event's bytes
	streamHeldMax    = 1 << 20 // the events held back for a window
	streamMaxChoices = 64      // choices and Responses output items
	streamReadBuf    = 16 << 10
)

func (c *csStream) Read(p []byte) (int, error) {
	for c.off == len(c.out) {
		c.out, c.off = c.out[:0], 0
		if c.done {
			if c.zw == nil || c.zend || c.end != io.EOF {
				return 0, c.end
			}
			c.zend = true
			c.zw.Close() // the encoding's end: a stream stopped early is whole too
			c.out = append(c.out, c.zbuf.Bytes()...)
			continue
		}
		c.step()
		if c.zw != nil && len(c.out) > 0 {
			c.zw.Write(c.out)
			c.zw.Flush()
			c.out = append(c.out[:0], c.zbuf.Bytes()...)
			c.zbuf.Reset()
		}
	}
	n := copy(p, c.out[c.off:])
	c.off += n
	return n, nil
}

func (c *csStream) Close() error { return c.body.Close() }

// step reads once from the backend and checks and releases what it can.
func (c *csStream) step() {
	if c.src == nil {
		if !c.open() {
			return
		}
		c.rbuf = make([]byte, streamReadBuf)
		c.wins = map[int]*windower{}
	}
	n, err := c.src.Read(c.rbuf)
	if n > 0 {
		c.sp.feed(c.rbuf[:n])
		for ev := c.sp.next(); ev != nil; ev = c.sp.next() {
			if !c.event(ev) {
				return
			}
		}
		if c.sp.pending() > streamEventMax {
			c.stop(ReasonContentSafetyTooLong, fmt.Sprintf("an event of the streamed answer is larger than %d bytes: content safety cannot check it", streamEventMax))
			return
		}
		if c.heldN > streamHeldMax && !c.flush() {
			return
		}
	}
	switch {
	case err == io.EOF:
		if ev := c.sp.rest(); len(ev) > 0 && !c.event(ev) {
			return
		}
		if !c.flush() {
			return
		}
		c.done, c.end = true, io.EOF
	case err != nil:
		// The backend broke off (or its encoding did): what is held was
		// not checked, and the client sees the answer break off.
		c.held, c.heldN, c.done, c.end = nil, 0, true, err
		if c.enc != "" {
			c.halt(ReasonContentSafetyFailure, "the streamed answer's "+c.enc+" encoding is broken or cut off")
		}
		return
	}
	c.release()
}

// open starts decoding the body.
func (c *csStream) open() bool {
	var err error
	switch c.enc {
	case "":
		c.src = c.body
	case "gzip":
		c.src, err = gzip.NewReader(c.body)
	case "deflate":
		c.src, err = zlib.NewReader(c.body)
	}
	if err != nil {
		c.stop(ReasonContentSafetyFailure, "the streamed answer's "+c.enc+" encoding is broken")
		return false
	}
	return true
}

// event takes in one event: its text goes to its choices' windows (full
// windows are checked), and the event is held until released. false: the
// stream stopped.
func (c *csStream) event(ev []byte) bool {
	var need []choiceEnd
	ok := true
	eventTexts(ev, func(key int, text string) {
		if !ok {
			return
		}
		w := c.wins[key]
		if w == nil {
			if len(c.order) == streamMaxChoices {
				c.stop(ReasonContentSafetyTooLong, fmt.Sprintf("the streamed answer has more than %d choices: content safety cannot check it", streamMaxChoices))
				ok = false
				return
			}
			w = &windower{size: c.size, overlap: c.overlap}
			c.wins[key] = w
			c.order = append(c.order, key)
		}
		if !w.each(text, c.checkWindow) {
			ok = false
			return
		}
		for i := range need {
			if need[i].key == key {
				need[i].end = w.total
				return
			}
		}
		need = append(need, choiceEnd{key, w.total})
	})
	if !ok {
		return false
	}
	c.held = append(c.held, heldEvent{data: ev, need: need})
	c.heldN += len(ev)
	c.release()
	return true
}

// flush checks the text that waits in every choice's window.
func (c *csStream) flush() bool {
	for _, k := range c.order {
		for _, win := range c.wins[k].flush() {
			if !c.checkWindow(win) {
				return false
			}
		}
	}
	c.release()
	return true
}

func (c *csStream) checkWindow(win string) bool {
	why, err := c.check(win)
	switch {
	case err != nil:
		_, reason, msg := failure(err) // ContentSafetyFailure, or Timeout past the call's deadline
		c.stop(reason, msg)
		return false
	case why != "":
		c.stop(ReasonContentSafetyBlocked, "The response was blocked by content safety: "+why+".")
		return false
	}
	c.release() // before the next window is asked about
	return true
}

// release moves the held events whose text has been checked to out, in
// order.
func (c *csStream) release() {
	i := 0
	for ; i < len(c.held); i++ {
		ev := c.held[i]
		ready := true
		for _, n := range ev.need {
			if c.wins[n.key].checked < n.end {
				ready = false
				break
			}
		}
		if !ready {
			break
		}
		c.out = append(c.out, ev.data...)
		c.heldN -= len(ev.data)
	}
	if i > 0 {
		n := copy(c.held, c.held[i:])
		clear(c.held[n:])
		c.held = c.held[:n]
	}
}

// stop ends the stream early: the held events are dropped.
func (c *csStream) stop(reason, msg string) {
	c.held, c.heldN, c.done, c.end = nil, 0, true, io.EOF
	c.halt(reason, msg)
}
