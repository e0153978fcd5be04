//go:build !race

package gateway

// hrSlowdown scales the few wall-clock bounds of the reload tests: 1
// without the race detector.
const hrSlowdown = 1
