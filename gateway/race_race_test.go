//go:build race

package gateway

// hrSlowdown scales the few wall-clock bounds of the reload tests: the race
// detector makes every handshake several times slower (and shared CI boxes
// are busy), so the 500 ms "new policy seen" bound is checked as is
// without -race and as 3x under it.
const hrSlowdown = 3
