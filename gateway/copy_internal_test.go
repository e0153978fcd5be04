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

// copyResponse writes a body of known length that fits its buffer in one
// piece, however the backend's reads split it; an event stream or a body
// of unknown length is written as it comes; a body that breaks off is
// passed on as far as it came, with the error.
func TestCopyResponseWhole(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 500)
	for _, tc := range []struct {
		name   string
		size   int64
		flush  bool
		writes int
	}{
		{"known length", int64(len(body)), false, 1},
		{"unknown length", -1, false, 5},
		{"flushed", int64(len(body)), true, 5},
		{"larger than the buffer", 64 << 10, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
			n, err := copyResponse(w, &piecesReader{b: body, step: 1000}, tc.flush, tc.size)
			if err != nil || n != int64(len(body)) || !bytes.Equal(w.Body.Bytes(), body) {
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
