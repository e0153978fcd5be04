package upstream

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// appendRequestURI writes what url.URL.RequestURI returns, for every kind
// of URL a request may carry: paths that need escaping or keep their raw
// form, an empty path, "*", opaque forms (with "//" the scheme comes
// first), an empty query forced by a lone "?".
func TestAppendRequestURI(t *testing.T) {
	urls := []*url.URL{
		{Path: "/a/b"},
		{Path: "/a/b", RawQuery: "x=1&y=%20"},
		{Path: ""},
		{Path: "", RawQuery: "q"},
		{Path: "/a b/ü"},
		{Path: "/a/b c", RawPath: "/a/b%20c"},
		{Path: "/a/b c", RawPath: "/a/b%ZZ"}, // a raw path that does not match: escaped again
		{Path: "*"},
		{Path: "/x", ForceQuery: true},
		{Scheme: "http", Opaque: "//host/p", RawQuery: "a"},
		{Scheme: "http", Opaque: "/p:q"},
	}
	for _, s := range []string{"http://h/p?q", "http://h", "http://h/%2F/x?", "http://h/a;b?c=%zz", "/rel?x"} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	for _, u := range urls {
		if got, want := string(appendRequestURI([]byte("GET "), u)), "GET "+u.RequestURI(); got != want {
			t.Errorf("%#v: %q, want %q", u, got, want)
		}
	}
}

func FuzzAppendRequestURI(f *testing.F) {
	for _, s := range []string{"http://h/p?q", "/a b", "*", "http:opaque", "http://h/%2F?", "//x//y"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, force bool) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		u.ForceQuery = u.ForceQuery || force
		if got, want := string(appendRequestURI(nil, u)), u.RequestURI(); got != want {
			t.Fatalf("%q: %q, want %q", s, got, want)
		}
	})
}

// TestInlineBody: an in-memory body (io.NopCloser of a *bytes.Reader with
// exactly Content-Length bytes left, what the gateway sends after a
// policy read the client's) stays where it is, to be written with the
// head in one system call: the head buffer holds the head alone. Any
// other body of that size is copied after the head as before.
func TestInlineBody(t *testing.T) {
	data := bytes.Repeat([]byte("d"), 16<<10)
	partly := bytes.NewReader(data)
	partly.Read(make([]byte, 1))
	for _, tc := range []struct {
		name   string
		body   io.ReadCloser
		cl     int64
		inline bool
	}{
		{"NopCloser of bytes.Reader", io.NopCloser(bytes.NewReader(data)), int64(len(data)), true},
		{"partly read, the rest its length", io.NopCloser(partly), int64(len(data) - 1), true},
		{"length other than Content-Length", io.NopCloser(bytes.NewReader(data)), 100, false},
		{"strings.Reader", io.NopCloser(strings.NewReader(string(data))), int64(len(data)), false},
		{"bytes.Reader without NopCloser", io.NopCloser(io.LimitReader(bytes.NewReader(data), int64(len(data)))), int64(len(data)), false},
		{"MemBody", memBody(data, 0), int64(len(data)), true},
		{"MemBody partly read, the rest its length", memBody(data, 1), int64(len(data) - 1), true},
		{"MemBody of another length", memBody(data, 0), 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "http://backend/p", nil)
			req.Body, req.ContentLength = tc.body, tc.cl
			o, err := prepare(req)
			if err != nil {
				t.Fatal(err)
			}
			defer o.free()
			head := len(o.buf) - int(tc.cl)
			if tc.inline {
				head = len(o.buf)
			}
			if got := o.inline; got != tc.inline {
				t.Fatalf("inline %v; want %v", got, tc.inline)
			}
			if !bytes.HasSuffix(o.buf[:head], []byte("\r\n\r\n")) {
				t.Fatalf("the head does not end where it should: %q", o.buf[max(head-8, 0):min(head+8, len(o.buf))])
			}
			if tc.inline && o.body == nil {
				t.Fatal("no body left to write")
			}
		})
	}
}

// TestPrepareChecked: prepare takes a caller's Checked for the very map it
// names, with as many fields as it had; a clone of the map, a field added
// since, another context or none, and the bad field is refused as before.
// The first row shows that the caller's word is taken (its field is bad
// on purpose): without Checked it would be refused.
// checkedFields is a Checked for tests.
type checkedFields struct {
	h http.Header
	n int
}

func (c checkedFields) CheckedFields() (http.Header, int) { return c.h, c.n }

func TestPrepareChecked(t *testing.T) {
	bad := func() http.Header {
		return http.Header{"Accept": {"a"}, "X-Bad": {"v\r\nInjected: 1"}}
	}
	cases := []struct {
		name    string
		mark    func(h http.Header) (http.Header, *checkedFields) // the request's map and the context's Checked
		refused bool
	}{
		{"the checked map itself", func(h http.Header) (http.Header, *checkedFields) { return h, &checkedFields{h, len(h)} }, false},
		{"no Checked", func(h http.Header) (http.Header, *checkedFields) { return h, nil }, true},
		{"a clone of the checked map", func(h http.Header) (http.Header, *checkedFields) { return h.Clone(), &checkedFields{h, len(h)} }, true},
		{"a field added since", func(h http.Header) (http.Header, *checkedFields) {
			c := &checkedFields{h, len(h)}
			h["Added"] = []string{"x"}
			return h, c
		}, true},
		{"fewer fields than checked", func(h http.Header) (http.Header, *checkedFields) { return h, &checkedFields{h, len(h) + 1} }, true},
		{"a nil map in Checked", func(h http.Header) (http.Header, *checkedFields) { return h, &checkedFields{nil, len(h)} }, true},
		{"no fields checked", func(h http.Header) (http.Header, *checkedFields) { h = http.Header{}; return h, &checkedFields{h, 0} }, false},
	}
	for _, c := range cases {
		h, ck := c.mark(bad())
		req, _ := http.NewRequest("GET", "http://backend/p", nil)
		req.Header = h
		if ck != nil {
			req = req.WithContext(context.WithValue(req.Context(), CheckedKey{}, *ck))
		}
		o, err := prepare(req)
		if o != nil {
			o.free()
		}
		if (err != nil) != c.refused {
			t.Errorf("%s: error %v, want refused %v", c.name, err, c.refused)
		}
	}
	// A bad name is refused without Checked too.
	req, _ := http.NewRequest("GET", "http://backend/p", nil)
	req.Header = http.Header{"Bad Name": {"v"}}
	if _, err := prepare(req); err == nil {
		t.Error("a name with a space was sent")
	}
}

// memBody is a MemBody of data with its first off bytes read.
func memBody(data []byte, off int) *MemBody {
	b := &MemBody{}
	b.Reset(data)
	b.Read(make([]byte, off))
	return b
}
