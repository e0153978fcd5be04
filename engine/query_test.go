package engine

import (
	"net/url"
	"reflect"
	"testing"
)

// parseQuery and encodeQuery agree with net/url on every input.
func TestQueryMatchesNetURL(t *testing.T) {
	for _, raw := range []string{
		"", "a=1", "a=1&b=2", "b=2&a=1&a=3", "a", "a=", "=x", "a=1&&b=2", "a%20b=c+d", "x=%zz&y=1",
		"a=1;b=2&c=3", "hub=chat&asrs.op=%2Fchat&negotiateVersion=1&asrs_request_id=ftgdb1cBAAA%3D",
		"k=v1&k=v2&k=v3", "é=ü&%C3%A9=2",
	} {
		want, _ := url.ParseQuery(raw)
		got := parseQuery(raw, nil)
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(url.Values(got), want) {
			t.Errorf("parseQuery(%q) = %v, want %v", raw, got, want)
		}
		// The same with the values in a request's room (State.Strings),
		// when they fit it and when they do not.
		for _, size := range []int{2, 8} {
			st := AcquireState(nil)
			st.SetStringRoom(make([]string, size), nil)
			if q := parseQuery(raw, st); !reflect.DeepEqual(url.Values(q), want) {
				t.Errorf("parseQuery(%q) in a room of %d = %v, want %v", raw, size, q, want)
			}
			st.Release()
		}
		wantEnc := want.Encode()
		if wantEnc != "" {
			wantEnc = "?" + wantEnc
		}
		if enc := encodeQuery(got, nil); enc != wantEnc {
			t.Errorf("encodeQuery(%v) = %q, want %q", got, enc, wantEnc)
		}
		for _, size := range []int{8, 128} { // the string in a room too small and one that fits
			st := AcquireState(nil)
			st.SetStringRoom(nil, make([]byte, size))
			if enc := encodeQuery(got, st); enc != wantEnc {
				t.Errorf("encodeQuery(%v) in a room of %d = %q, want %q", got, size, enc, wantEnc)
			}
			st.Release()
		}
	}
	// Appending to one key must not clobber another's value.
	q := parseQuery("a=1&b=2", nil)
	q["a"] = append(q["a"], "x")
	if q["b"][0] != "2" {
		t.Errorf("append to a changed b: %v", q)
	}
	st := AcquireState(nil)
	defer st.Release()
	room := make([]string, 3)
	st.SetStringRoom(room, nil)
	q = parseQuery("a=1&b=2", st)
	q["a"] = append(q["a"], "x")
	if q["b"][0] != "2" || room[2] != "" {
		t.Errorf("append to a changed b or the room: %v %q", q, room)
	}
}

// TestStringRoom: State.Strings hands out disjoint slices of the room
// SetStringRoom gave, each with a capacity of its length, then new ones;
// Release forgets the room.
func TestStringRoom(t *testing.T) {
	st := AcquireState(nil)
	room := make([]string, 5)
	st.SetStringRoom(room, nil)
	a, b := st.Strings(2), st.Strings(3)
	if cap(a) != 2 || cap(b) != 3 || &a[0] != &room[0] || &b[0] != &room[2] {
		t.Fatalf("slices not from the room: cap %d %d", cap(a), cap(b))
	}
	a = append(a, "x") // copies: b is not written
	a[0], b[0] = "a", "b"
	if room[0] != "" || room[2] != "b" {
		t.Fatalf("room %q", room)
	}
	if c := st.Strings(1); len(c) != 1 || cap(c) != 1 {
		t.Fatalf("past the room: %d %d", len(c), cap(c))
	}
	st.Release()

	// NewString: strings in the room's bytes one after another, each
	// byte written once, then in allocations of their own.
	st = AcquireState(nil)
	bytes := make([]byte, 10)
	st.SetStringRoom(nil, bytes)
	s1 := st.NewString("ab", "", "cd")
	s2 := st.NewStringBytes([]byte("efg"))
	s3 := st.NewString("0123456789") // past the room
	s4 := st.NewString("hij")
	if s1 != "abcd" || s2 != "efg" || s3 != "0123456789" || s4 != "hij" || st.NewString() != "" {
		t.Fatalf("%q %q %q %q", s1, s2, s3, s4)
	}
	if string(bytes) != "abcdefghij" {
		t.Fatalf("room %q", bytes)
	}
	if st.NewString("x") != "x" || string(bytes) != "abcdefghij" {
		t.Fatalf("a full room written again: %q", bytes)
	}
	st.Release()
	st = AcquireState(nil) // perhaps the same State
	defer st.Release()
	c := st.Strings(1)
	c[0] = "c"
	for _, v := range room {
		if v == "c" {
			t.Fatalf("a released State handed out its last request's room: %q", room)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a%zz=1", "k=v&k=w", ";", "&&="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want, _ := url.ParseQuery(raw)
		got := parseQuery(raw, nil)
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(url.Values(got), want) {
			t.Fatalf("parseQuery(%q) = %v, want %v", raw, got, want)
		}
	})
}

// SetRequestURI gives the Url SetRequest gives, whatever the request
// target: one that ends with the query lends it, any other is ignored.
func TestSetRequestURI(t *testing.T) {
	for _, tc := range []struct{ target, uri string }{
		{"/a?b=1", "/a?b=1"},
		{"/a?b=1&c=%20", "/a?b=1&c=%20"},
		{"/a?b=1", ""},
		{"/a?b=1", "/a?x=1"},       // the query was changed after parsing
		{"/a?b=1", "b=1"},          // no "?" before it
		{"/a", "/a?"},              // an empty query
		{"/a?=1", "/a?=1"},         // odd but valid
		{"/a?b=1", "/other/a?b=1"}, // only the suffix matters
		{"/a?b=1#f", "/a?b=1#f"},   // a fragment stays in the query, as url.ParseRequestURI leaves it
	} {
		u, err := url.ParseRequestURI(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		want, got := AcquireState(&Api{}), AcquireState(&Api{})
		want.SetRequest("GET", "https", "h:8443", u, nil, "")
		got.SetRequestURI("GET", "https", "h:8443", u, tc.uri, nil, "")
		if !reflect.DeepEqual(*got.Context().Request.Url, *want.Context().Request.Url) ||
			!reflect.DeepEqual(*got.Context().Request.OriginalUrl, *want.Context().Request.OriginalUrl) {
			t.Errorf("%q with %q: %+v; want %+v", tc.target, tc.uri, *got.Context().Request.Url, *want.Context().Request.Url)
		}
		want.Release()
		got.Release()
	}
}
