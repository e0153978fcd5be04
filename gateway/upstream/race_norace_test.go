//go:build !race

package upstream_test

// poolSlack: without the race detector the pooled read buffer is reused.
const poolSlack = 0
