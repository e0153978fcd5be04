package engine

import (
	"net/url"
	"testing"
	"unsafe"

	"tollgate/internal/boundcache"
)

// ParseURL parses as url.Parse does, keeps what it parsed (one parse per
// distinct string), and keeps nothing for an error.
func TestParseURL(t *testing.T) {
	for _, s := range []string{"http://a.example:8080/base?x=1", "https://b.example/", "ws://c/%2Fp"} {
		want, _ := url.Parse(s)
		u1, err := ParseURL(s)
		if err != nil || *u1 != *want {
			t.Fatalf("%s: %+v %v; want %+v", s, u1, err, want)
		}
		if u2, _ := ParseURL(s); u2 != u1 {
			t.Errorf("%s parsed twice", s)
		}
	}
	if _, err := ParseURL("http://bad host/"); err == nil {
		t.Fatal("a bad URL parsed")
	}
	if _, ok := parsedURLs.Get("http://bad host/"); ok {
		t.Error("a bad URL was kept")
	}
}

// TestParseURLKeepsNoRoom: what ParseURL keeps does not point into the
// string it was given, which may be in a request's string room.
func TestParseURLKeepsNoRoom(t *testing.T) {
	st := AcquireState(nil)
	defer st.Release()
	room := make([]byte, 64)
	st.SetStringRoom(nil, room)
	s := st.NewString("http://room.example", ":8080/base")
	u, err := ParseURL(s)
	if err != nil {
		t.Fatal(err)
	}
	inRoom := func(v string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(v)))
		b := uintptr(unsafe.Pointer(&room[0]))
		return v != "" && p >= b && p < b+uintptr(len(room))
	}
	if inRoom(u.Host) || inRoom(u.Path) {
		t.Error("the cached URL points into the request's room")
	}
}

// State.ParseURL is ParseURL remembering the request's last URL: the
// same answers, the same URL again for the same string without asking
// the cache (here emptied in between), an error never remembered, and
// nothing remembered past Release.
func TestStateParseURL(t *testing.T) {
	st := AcquireState(nil)
	const s = "ws://state.example:9000/echo"
	u1, err := st.ParseURL(s)
	want, _ := ParseURL(s)
	if err != nil || u1 != want {
		t.Fatalf("%+v %v; want %+v", u1, err, want)
	}
	kept := parsedURLs
	parsedURLs = boundcache.New[string, *url.URL](maxParsedURLs) // an empty cache: a lookup would parse anew
	defer func() { parsedURLs = kept }()
	if u2, _ := st.ParseURL(string([]byte(s))); u2 != u1 {
		t.Error("the request's last URL was parsed again")
	}
	if _, err := st.ParseURL("http://bad host/"); err == nil {
		t.Fatal("a bad URL parsed")
	}
	if u3, _ := st.ParseURL(s); u3 != u1 {
		t.Error("an error replaced the request's last URL")
	}
	u4, err := st.ParseURL("ws://other.example/")
	if err != nil || u4.Host != "other.example" {
		t.Fatalf("%+v %v", u4, err)
	}
	st.Release()
	if st.parsedURL != nil || st.parsedFrom != "" {
		t.Error("Release kept the request's last URL")
	}
}
