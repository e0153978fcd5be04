package engine

import (
	"net/url"
	"testing"
	"unsafe"
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
