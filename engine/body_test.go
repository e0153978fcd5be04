package engine

import (
	"errors"
	"io"
	"strings"
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

// TransformOnLoad changes what a lazy body reads, once, when it is first
// read; a body in memory is left alone.
func TestBodyTransformOnLoad(t *testing.T) {
	calls := 0
	b := NewLazyBody(func() ([]byte, error) { return []byte("source"), nil })
	if !b.TransformOnLoad(func(d []byte, err error) ([]byte, error) {
		calls++
		return append([]byte("checked "), d...), err
	}) {
		t.Fatal("a lazy body not read yet refused the transform")
	}
	for range 2 {
		if d, err := b.Bytes(); string(d) != "checked source" || err != nil {
			t.Errorf("Bytes = %q, %v", d, err)
		}
	}
	if calls != 1 {
		t.Errorf("the transform ran %d times", calls)
	}
	if NewBody([]byte("x")).TransformOnLoad(func(d []byte, err error) ([]byte, error) { return nil, err }) {
		t.Error("a body in memory took a transform")
	}
	read := NewLazyBody(func() ([]byte, error) { return []byte("y"), nil })
	read.Bytes()
	if read.TransformOnLoad(func(d []byte, err error) ([]byte, error) { return nil, err }) {
		t.Error("a body already read took a transform")
	}
}

// FilterResponse: without filters the body is the same and not reported
// filtered (the gateway's path for every other request); with filters,
// they run in order, and a filter sees and may change the headers.
func TestFilterResponse(t *testing.T) {
	s := AcquireState(&Api{Name: "a"})
	defer s.Release()
	body := io.NopCloser(strings.NewReader("x"))
	if got, ok := s.FilterResponse(Headers{}, body); ok || got != body {
		t.Fatal("a body was filtered without a filter")
	}
	var order []string
	for _, name := range []string{"first", "second"} {
		s.FilterResponseBody(func(h Headers, b io.ReadCloser) io.ReadCloser {
			order = append(order, name)
			h["X-"+name] = []string{"1"}
			return io.NopCloser(io.MultiReader(b, strings.NewReader(" "+name)))
		})
	}
	h := Headers{}
	got, ok := s.FilterResponse(h, body)
	data, _ := io.ReadAll(got)
	if !ok || string(data) != "x first second" || strings.Join(order, ",") != "first,second" || len(h) != 2 {
		t.Errorf("filtered %v %q, order %v, headers %v", ok, data, order, h)
	}
}
