//go:build !race

package gateway_test

// raceAllocSlack: without the race detector the pools give back what was
// put in them, so allocation counts are exact.
const raceAllocSlack = 0

// raceHandshakeSlack: the same for a WebSocket handshake (TestHandshakeAllocs).
const raceHandshakeSlack = 0
