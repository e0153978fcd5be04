//go:build race

package gateway_test

// raceAllocSlack: under the race detector sync.Pool drops a quarter of
// what is put back (on purpose), so a request sometimes makes a policy
// State, buffers or a backend body reader again.
const raceAllocSlack = 12
