//go:build !race

package gateway_test

// raceAllocSlack: without the race detector the pools give back what was
// put in them, so allocation counts are exact.
const raceAllocSlack = 0
