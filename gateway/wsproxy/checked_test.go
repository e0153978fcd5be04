package wsproxy

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
)

// TestDialChecked: the dial takes its caller's Checked for the very map it
// names, with as many fields as it had: the head then carries the names and
// values as they are. The first row shows that the word is taken (its
// fields are bad on purpose, which a caller must never mark): without the
// mark the bad name is skipped and the line break becomes a space. A clone
// of the map, a field added after the check, a count that does not match,
// a nil map or no mark: the fields are checked as before.
func TestDialChecked(t *testing.T) {
	bad := func() http.Header {
		return http.Header{"Accept": {" a "}, "X-Bad": {"v\r\nInjected: 1"}, "Bad Name": {"x"}}
	}
	const raw = "X-Bad: v\r\nInjected: 1\r\n"
	cases := []struct {
		name string
		mark func(h http.Header) (http.Header, Checked) // the request's map and the mark
		rawn bool                                       // the fields go out unchecked
	}{
		{"the checked map itself", func(h http.Header) (http.Header, Checked) { return h, Checked{h, len(h)} }, true},
		{"no mark", func(h http.Header) (http.Header, Checked) { return h, Checked{} }, false},
		{"a clone of the checked map", func(h http.Header) (http.Header, Checked) { return h.Clone(), Checked{h, len(h)} }, false},
		{"a field added after the check", func(h http.Header) (http.Header, Checked) {
			c := Checked{h, len(h)}
			h["Traceparent"] = []string{"00-x"}
			return h, c
		}, false},
		{"a field taken out after the check", func(h http.Header) (http.Header, Checked) {
			c := Checked{h, len(h)}
			delete(h, "Accept")
			return h, c
		}, false},
		{"a nil map in the mark", func(h http.Header) (http.Header, Checked) { return h, Checked{nil, len(h)} }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, ck := c.mark(bad())
			head := dialHead(t, h, ck)
			if got := strings.Contains(head, raw); got != c.rawn {
				t.Fatalf("sent unchecked %v, want %v; head:\n%q", got, c.rawn, head)
			}
			if !c.rawn && (strings.Contains(head, "Bad Name") || !strings.Contains(head, "X-Bad: v  Injected: 1\r\n")) {
				t.Fatalf("the fields were not checked; head:\n%q", head)
			}
			if !strings.Contains(head, "\r\nAccept: a\r\n") && c.name != "a field taken out after the check" {
				t.Fatalf("a value not trimmed; head:\n%q", head)
			}
		})
	}
	// Valid fields: the marked head is the unmarked one.
	good := http.Header{"Accept": {" a\t"}, "X-Forwarded-For": {"192.0.2.1"}, "Authorization": {"Basic eA=="}}
	if a, b := dialHead(t, good, Checked{good, len(good)}), dialHead(t, good, Checked{}); stripKey(a) != stripKey(b) {
		t.Fatalf("marked head\n%q\nunmarked\n%q", a, b)
	}
}

// dialHead dials a listener with h and ck and returns the request head
// the listener read.
func dialHead(t *testing.T, h http.Header, ck Checked) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- ""
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		var b strings.Builder
		for {
			l, err := br.ReadString('\n')
			b.WriteString(l)
			if err != nil || l == "\r\n" {
				break
			}
		}
		got <- b.String()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, _ := url.Parse("ws://" + ln.Addr().String() + "/p")
	if c, _, err := NewDialer(nil).DialChecked(ctx, u, h, nil, false, ck); err == nil {
		c.CloseWith(1000, "")
	}
	return <-got
}

// stripKey drops the random Sec-WebSocket-Key line and the Host (its port).
func stripKey(head string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(head, "\r\n") {
		if !strings.HasPrefix(l, "Sec-WebSocket-Key:") && !strings.HasPrefix(l, "Host:") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// FuzzAppendExtraHeadersChecked: for fields a caller may mark (a name that
// is a token, values without a control character but HTAB), the head
// written without looking for an invalid name or a line break is the
// head written with.
func FuzzAppendExtraHeadersChecked(f *testing.F) {
	f.Add("X-A", " v\t", "Accept", "text/html, */*")
	f.Add("Connection", "close", "X-B", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := http.Header{k1: {v1}, k2: {v2, v1}}
		for k, vs := range h {
			if !httpguts.ValidHeaderFieldName(k) {
				return
			}
			for _, v := range vs {
				for i := 0; i < len(v); i++ {
					if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
						return
					}
				}
			}
		}
		if a, b := appendExtraHeadersChecked(nil, h, true), appendExtraHeaders(nil, h); string(a) != string(b) {
			t.Fatalf("checked\n%q\nunchecked\n%q", a, b)
		}
	})
}
