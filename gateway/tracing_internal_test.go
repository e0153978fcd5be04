package gateway

import (
	"strings"
	"testing"
	"time"
)

// The token rules: only a token this process minted, for this API, before
// its expiry, traces.
func TestTraceTokenCheck(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tk := newTraceTokens()
	other := newTraceTokens() // another process (or a restart): another key
	good := tk.mint("chat", now.Add(time.Minute))
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	payload := strings.Split(good, ".")[1]
	sig := strings.Split(good, ".")[2]
	for _, c := range []struct {
		name string
		tok  string
		api  string
		at   time.Time
		want bool
	}{
		{"valid", good, "chat", now, true},
		{"valid until the last second", good, "chat", now.Add(59 * time.Second), true},
		{"expired", good, "chat", now.Add(time.Minute), false},
		{"expired long ago", good, "chat", now.Add(48 * time.Hour), false},
		{"other API", good, "chat2", now, false},
		{"other API prefix", tk.mint("chat", now.Add(time.Minute)), "cha", now, false},
		{"another process's key", other.mint("chat", now.Add(time.Minute)), "chat", now, false},
		{"payload changed (longer expiry)", "v1." + b64.EncodeToString([]byte("chat|9999999999")) + "." + sig, "chat", now, false},
		{"payload swapped to other API", "v1." + b64.EncodeToString([]byte("other|1800000060")) + "." + sig, "other", now, false},
		{"signature byte flipped", "v1." + payload + "." + flip(sig, 3), "chat", now, false},
		{"payload byte flipped", "v1." + flip(payload, 2) + "." + sig, "chat", now, false},
		{"no signature", "v1." + payload, "chat", now, false},
		{"empty signature", "v1." + payload + ".", "chat", now, false},
		{"wrong version", "v2." + payload + "." + sig, "chat", now, false},
		{"empty", "", "chat", now, false},
		{"garbage", "!!!.@@@.###", "chat", now, false},
		{"not base64", "v1.%%%." + sig, "chat", now, false},
		{"huge", "v1." + strings.Repeat("A", 10000) + "." + sig, "chat", now, false},
		{"expiry not a number", "v1." + b64.EncodeToString([]byte("chat|soon")) + "." + b64.EncodeToString(tk.mac(b64.EncodeToString([]byte("chat|soon")))), "chat", now, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tk.check(c.tok, c.api, c.at); got != c.want {
				t.Errorf("check(%q, %q) = %v, want %v", c.tok, c.api, got, c.want)
			}
		})
	}
}

// The ring keeps the newest traces, newest first, and never grows past its size.
func TestTraceRing(t *testing.T) {
	var r traceRing
	if got := r.list(); len(got) != 0 {
		t.Fatalf("empty ring lists %d", len(got))
	}
	for i := range traceRingSize + 5 {
		r.add(&RequestTrace{ID: string(rune('a' + i%26)), Status: i})
	}
	got := r.list()
	if len(got) != traceRingSize {
		t.Fatalf("ring holds %d, want %d", len(got), traceRingSize)
	}
	if got[0].Status != traceRingSize+4 || got[len(got)-1].Status != 5 {
		t.Errorf("ring order: first %d last %d", got[0].Status, got[len(got)-1].Status)
	}
}

func FuzzTraceTokenCheck(f *testing.F) {
	tk := newTraceTokens()
	now := time.Now()
	f.Add(tk.mint("chat", now.Add(time.Minute)))
	f.Add("v1..")
	f.Add("v1.Y2hhdHwx.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		// Only a token minted here may pass, and only for its API.
		if tk.check(tok, "chat", now) && tok != tk.mint("chat", time.Unix(expiryOf(tok), 0)) {
			t.Fatalf("check accepted a token it did not mint: %q", tok)
		}
	})
}

func expiryOf(tok string) int64 {
	parts := strings.Split(tok, ".")
	raw, _ := b64.DecodeString(parts[1])
	_, exp, _ := strings.Cut(string(raw), "|")
	var n int64
	for _, c := range exp {
		n = n*10 + int64(c-'0')
	}
	return n
}
