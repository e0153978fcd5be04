package csharp

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// FuzzGuidD: guidD, which DeserializeObject<byte[]> uses to read a GUID
// string as Json.NET's reader does, accepts exactly the "D" format
// (8-4-4-4-12 hex digits) and reads the GUID uuid.Parse reads there.
func FuzzGuidD(f *testing.F) {
	f.Add("00112233-4455-6677-8899-aabbccddeeff")
	f.Add("00112233-4455-6677-8899-AABBCCDDEEFG")
	f.Add("{0112233-4455-6677-8899-aabbccddeeff")
	f.Add("urn:uuid:00112233-4455-6677-8899-aab")
	f.Fuzz(func(t *testing.T, s string) {
		g, ok := guidD(s)
		hexOnly := len(s) == 36 && strings.Trim(s, "0123456789abcdefABCDEF-") == ""
		u, err := uuid.Parse(s)
		want := hexOnly && err == nil
		if ok != want {
			t.Fatalf("guidD(%q) = %v, want %v", s, ok, want)
		}
		if ok && Guid(u) != g {
			t.Fatalf("guidD(%q) = %x, uuid.Parse %x", s, g, u)
		}
	})
}
