package engine

import (
	"errors"
	"testing"
)

type countingSource struct {
	data  []byte
	err   error
	reads int
}

func (c *countingSource) ReadBody() ([]byte, error) {
	c.reads++
	return c.data, c.err
}

// TestInitLazyBody: a body made in place reads its source once, on first
// access, and is not Loaded before; a zero Body is an empty, loaded one.
func TestInitLazyBody(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		src  *countingSource
	}{
		{"bytes", &countingSource{data: []byte("hello")}},
		{"empty", &countingSource{}},
		{"error", &countingSource{err: boom}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Body
			InitLazyBody(&b, tc.src)
			if b.Loaded() || tc.src.reads != 0 {
				t.Fatal("read before first access")
			}
			for range 3 {
				data, err := b.Bytes()
				if string(data) != string(tc.src.data) || err != tc.src.err {
					t.Fatalf("Bytes() = %q, %v", data, err)
				}
			}
			if !b.Loaded() || tc.src.reads != 1 {
				t.Fatalf("loaded %v after %d reads", b.Loaded(), tc.src.reads)
			}
		})
	}
	var zero Body
	if data, err := zero.Bytes(); !zero.Loaded() || data != nil || err != nil {
		t.Fatalf("a zero Body: %q, %v, loaded %v", data, err, zero.Loaded())
	}
}
