//go:build race

package upstream_test

// poolSlack: under the race detector sync.Pool drops some of what is put
// back (on purpose, to find code that relies on it), so a pooled read
// buffer is sometimes made again.
const poolSlack = 1
