package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// piecesReader returns its bytes a few at a time, as a backend's body
// reads do (the first piece shares the read of the backend's head).
type piecesReader struct {
	b    []byte
	step int
	err  error // after the bytes; io.EOF when nil
}

func (r *piecesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.b)
	r.b = r.b[n:]
	return n, nil
}

type countingWriter struct {
	*httptest.ResponseRecorder
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.ResponseRecorder.Write(p)
}

// copyResponse writes a body of known length that fits its buffer (64 KiB
// for one over 32 KiB) in one piece, however the backend's reads split it;
// an event stream or a body of unknown length is written as it comes, and
// so is one longer than the buffer; a body that breaks off is passed on as
// far as it came, with the error.
func TestCopyResponseWhole(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 500)
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KiB
	for _, tc := range []struct {
		name   string
		body   []byte
		size   int64
		step   int
		flush  bool
		writes int
	}{
		{"known length", body, int64(len(body)), 1000, false, 1},
		{"unknown length", body, -1, 1000, false, 5},
		{"flushed", body, int64(len(body)), 1000, true, 5},
		{"32 KiB", big[:32<<10], 32 << 10, 16 << 10, false, 1},
		{"32 KiB + 1", big[:32<<10+1], 32<<10 + 1, 16 << 10, false, 1},
		{"64 KiB", big, 64 << 10, 16 << 10, false, 1},
		{"64 KiB, unknown length", big, -1, 16 << 10, false, 4},
		{"64 KiB, flushed", big, 64 << 10, 16 << 10, true, 4},
		{"larger than the buffer", append(big[:len(big):len(big)], body...), 64<<10 + 5000, 16 << 10, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
			n, err := copyResponse(w, &piecesReader{b: tc.body, step: tc.step}, tc.flush, tc.size)
			if err != nil || n != int64(len(tc.body)) || !bytes.Equal(w.Body.Bytes(), tc.body) {
				t.Fatalf("copied %d, %v; body %d bytes", n, err, w.Body.Len())
			}
			if w.writes != tc.writes {
				t.Errorf("%d writes, want %d", w.writes, tc.writes)
			}
		})
	}
	t.Run("broken off", func(t *testing.T) {
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		n, err := copyResponse(w, &piecesReader{b: body[:2500], step: 1000, err: io.ErrUnexpectedEOF}, false, int64(len(body)))
		if !errors.Is(err, io.ErrUnexpectedEOF) || n != 2500 || !bytes.Equal(w.Body.Bytes(), body[:2500]) {
			t.Fatalf("copied %d, %v; body %d bytes", n, err, w.Body.Len())
		}
	})
}

var _ http.ResponseWriter = (*countingWriter)(nil)
