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

// TestAsString: the text of a body as given, loaded lazily, empty, or
// failed, read as often as wanted without copying the bytes.
func TestAsString(t *testing.T) {
	big := make([]byte, 16<<10)
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		body *Body
		want string
		err  error
	}{
		{"bytes", NewBody([]byte("héllo")), "héllo", nil},
		{"16 KiB", NewBody(big), string(big), nil},
		{"lazy", NewLazyBody(func() ([]byte, error) { return []byte("lazy"), nil }), "lazy", nil},
		{"empty", NewBody(nil), "", nil},
		{"nil body", nil, "", nil},
		{"failed", NewLazyBody(func() ([]byte, error) { return nil, boom }), "", boom},
	} {
		for range 2 {
			got, err := tc.body.AsString()
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("%s: %q, %v; want %q, %v", tc.name, clipString(got), err, clipString(tc.want), tc.err)
			}
		}
	}
	b := NewBody(big)
	if n := testing.AllocsPerRun(100, func() { _, _ = b.AsString() }); n != 0 {
		t.Fatalf("AsString of a 16 KiB body: %v allocations per call, want 0", n)
	}
}

func clipString(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
