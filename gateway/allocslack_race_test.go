//go:build race

package gateway_test

// raceAllocSlack: under the race detector sync.Pool drops a quarter of
// what is put back (on purpose), so a request sometimes makes a policy
// State, buffers or a backend body reader again. Measured over 15 runs
// each of TestRESTPostBodyPooled: 7 to 13 over the exact count on the
// loop front, 10 to 13 on net/http's (one CI run failed at 12).
const raceAllocSlack = 16

// raceHandshakeSlack: the same for a WebSocket handshake
// (TestHandshakeAllocs), which puts more back (the dial's header map and
// head buffer, the relay's buffers, the policy State): measured 11-12 over
// the exact count, twice that here.
const raceHandshakeSlack = 24
