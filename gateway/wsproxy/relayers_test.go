package wsproxy

import (
	"strings"
	"testing"
)

// testRelayers are the relay implementations every relay test runs against
// (on Linux: the goroutine relay and the event loop).
func testRelayers() []Relayer {
	var out []Relayer
	for _, name := range Relayers() {
		r, err := NewRelayer(name)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

// forEachRelayer runs f as one subtest per relay implementation, named
// after it; relayerFor finds the implementation again from the test name.
func forEachRelayer(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, r := range testRelayers() {
		t.Run(r.Name(), f)
	}
}

// relayerFor is the relay implementation the test t runs under (see
// forEachRelayer); a relay test that does not run under one fails.
func relayerFor(t testing.TB) Relayer {
	t.Helper()
	if r := relayerIn(t.Name()); r != nil {
		return r
	}
	t.Fatalf("%s does not run under forEachRelayer", t.Name())
	return nil
}

// relayerOrDefault is relayerFor for handshake tests, which relay with the
// default implementation unless they run under forEachRelayer.
func relayerOrDefault(t testing.TB) Relayer {
	if r := relayerIn(t.Name()); r != nil {
		return r
	}
	return Default()
}

func relayerIn(name string) Relayer {
	for _, seg := range strings.Split(name, "/") {
		if i := strings.IndexByte(seg, '#'); i >= 0 { // -count > 1: name#01
			seg = seg[:i]
		}
		for _, r := range testRelayers() {
			if seg == r.Name() {
				return r
			}
		}
	}
	return nil
}
