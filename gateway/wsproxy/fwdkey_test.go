package wsproxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// rfcKey is RFC 6455's sample key (section 1.3), and rfcAccept its accept.
const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// TestDialForKey: DialFor sends the backend the client's own key when it
// is a valid one, and a fresh key otherwise (a header line is never built
// from an invalid one); the backend's accept is checked against the key
// sent either way, and the ClientKey holds the accept's hash only for a
// forwarded key whose accept was right.
func TestDialForKey(t *testing.T) {
	for _, tc := range []struct {
		name, clientKey string
		forwarded       bool
		wrongAccept     bool // the backend answers with another key's accept
	}{
		{"the client's key", rfcKey, true, false},
		{"the client's key, a wrong accept", rfcKey, true, true},
		{"no key", "", false, false},
		{"too short", "dGhlIHNhbXBsZQ==", false, false},
		{"padding bits set", "dGhlIHNhbXBsZSBub25jZR==", false, false},
		{"no padding", "dGhlIHNhbXBsZSBub25jZQAA", false, false},
		{"a line break", "dGhlIHNhbXBsZSBub2\r\nX: y==", false, false},
		{"a space", "dGhlIHNhbXBsZSBub25j ZQ=", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan string, 1)
			addr := testutil.ServeTCP(t, func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				key, lines := "", 0
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
					lines++
					if k, ok := strings.CutPrefix(line, "Sec-WebSocket-Key: "); ok {
						key = strings.TrimSuffix(k, "\r\n")
					}
				}
				got <- key
				ak := key
				if tc.wrongAccept {
					ak = "AAAAAAAAAAAAAAAAAAAAAA=="
				}
				_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+acceptKey(ak)+"\r\n\r\n")
				_, _ = io.Copy(io.Discard, br)
			})
			for _, keep101 := range []bool{false, true} {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				ck := ClientKey{Key: tc.clientKey}
				c, _, err := NewDirectDialer(nil).DialFor(ctx, &url.URL{Scheme: "ws", Host: addr, Path: "/"}, nil, nil, keep101, Checked{}, &ck)
				cancel()
				sent := <-got
				if tc.forwarded != (sent == tc.clientKey) {
					t.Errorf("keep101 %v: the backend got key %q (client's %q), want forwarded %v", keep101, sent, tc.clientKey, tc.forwarded)
				}
				if !validKey(sent) {
					t.Errorf("keep101 %v: the backend got an invalid key %q", keep101, sent)
				}
				if ck.sent != (tc.forwarded && !tc.wrongAccept) {
					t.Errorf("keep101 %v: the key marked sent: %v", keep101, ck.sent)
				}
				if tc.wrongAccept {
					if err == nil || !strings.Contains(err.Error(), "Sec-WebSocket-Accept") {
						t.Errorf("keep101 %v: a wrong accept gave error %v", keep101, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("keep101 %v: %v", keep101, err)
				}
				if tc.forwarded && string(appendAcceptSum(nil, &ck.sum)) != rfcAccept {
					t.Errorf("keep101 %v: kept accept %q, want %q", keep101, appendAcceptSum(nil, &ck.sum), rfcAccept)
				}
				_ = c.Close()
			}
		})
	}
}

// TestUpgradeForAccept: UpgradeFor answers with the hash a dial kept
// when it sent the key (sent), and hashes the key itself otherwise (a
// dial that did not send it, or a ClientKey no dial saw), whatever the
// unused hash holds.
func TestUpgradeForAccept(t *testing.T) {
	for _, tc := range []struct {
		name string
		ck   ClientKey
	}{
		{"sent, its hash kept", ClientKey{Key: rfcKey, sum: acceptSum(rfcKey), sent: true}},
		{"not sent, another hash", ClientKey{Key: rfcKey, sum: acceptSum("AAAAAAAAAAAAAAAAAAAAAA==")}},
		{"no dial", ClientKey{Key: rfcKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := &Conn{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				key, err := CheckRequest(r)
				if err != nil {
					t.Error(err)
					return
				}
				ck := tc.ck
				if key != ck.Key {
					t.Errorf("key %q", key)
				}
				c, err := UpgradeFor(nil, Goroutines{}, backend, w, &ck, "", nil)
				if err != nil {
					t.Error(err)
					return
				}
				_ = c.Close()
			}))
			defer srv.Close()
			nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_, _ = io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "+rfcKey+"\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if a := resp.Header.Get("Sec-WebSocket-Accept"); resp.StatusCode != 101 || a != rfcAccept {
				t.Errorf("status %d, accept %q; want 101, %q", resp.StatusCode, a, rfcAccept)
			}
		})
	}
}

// FuzzValidKey: validKey takes exactly what a strict base64 decoder reads
// as 16 bytes, in 24 characters.
func FuzzValidKey(f *testing.F) {
	for _, k := range []string{rfcKey, "", "dGhlIHNhbXBsZSBub25jZR==", "AAAAAAAAAAAAAAAAAAAAAA==", "////////////////////ww==", "a\r\n"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		b, err := base64StrictDecode(k)
		want := err == nil && len(b) == 16 && len(k) == 24
		if got := validKey(k); got != want {
			t.Errorf("validKey(%q) = %v, strict decoding says %v", k, got, want)
		}
	})
}

func base64StrictDecode(s string) ([]byte, error) {
	return base64.StdEncoding.Strict().DecodeString(s)
}
