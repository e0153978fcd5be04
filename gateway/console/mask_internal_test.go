package console

import (
	"strings"
	"testing"
)

// FuzzMaskPrivateKeys: whatever surrounds a PEM private key block (other
// blocks, a missing END, odd labels), what the file view shows never has
// the key's body.
func FuzzMaskPrivateKeys(f *testing.F) {
	for _, s := range [][2]string{{"", "\n-----END RSA PRIVATE KEY-----\n"}, {"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", ""},
		{"a", "-----END PRIVATE KEY----- -----BEGIN PRIVATE KEY-----"}, {"-----BEGIN ", " PRIVATE KEY-----"}} {
		f.Add(s[0], s[1], "EC")
	}
	f.Fuzz(func(t *testing.T, before, after, label string) {
		const key = "K3YM4TER1AL"
		if strings.Contains(before+after+label, key) || strings.ContainsAny(label, "-\n") {
			return
		}
		label = strings.ToUpper(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' {
				return r
			}
			return -1
		}, label))
		text := before + "-----BEGIN " + label + " PRIVATE KEY-----\n" + key + after
		if out := maskPrivateKeys(text); strings.Contains(out, key) {
			t.Fatalf("%q shown as %q", text, out)
		}
	})
}
