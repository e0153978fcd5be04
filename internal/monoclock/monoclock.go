// Package monoclock reads the time for deadlines and durations with one
// clock read where time.Now makes two.
//
// time.Now reads the wall clock and the monotonic clock; on a virtual
// machine each read is a pvclock read through the vDSO, and the gateway
// reads the time a dozen times per request (deadlines of the front and
// backend connections, section timeouts, durations): under the REST
// benchmark (docs/http-server.md) those reads were about a tenth of the
// gateway's user-space CPU. Now reads the monotonic clock alone.
//
// The time it returns carries a monotonic reading, so everything Go does
// with it (Sub, Since, Until, Before, After, a net.Conn's deadline, a
// context deadline) uses that reading. Its wall reading is the process's
// start wall time plus the monotonic time since: it drifts from the
// system's wall clock when that clock is stepped. Use time.Now for
// anything shown or recorded as a date (context.Timestamp, the Date
// field, log lines).
package monoclock

import "time"

// epoch is the process's first reading of both clocks.
var epoch = time.Now()

// Now returns the current time from one read of the monotonic clock.
func Now() time.Time { return epoch.Add(time.Since(epoch)) }

// Since is time.Since(epoch): the monotonic time since the process's
// first reading, as a number (ordering and differences only).
func Since() time.Duration { return time.Since(epoch) }

// After is Now().Add(d) with one time.Time.Add where that makes two: a
// deadline d from now.
func After(d time.Duration) time.Time { return epoch.Add(time.Since(epoch) + d) }

// At is the time of a reading of Since: epoch.Add(since). Code that only
// orders and subtracts times keeps Since's numbers (no time.Time
// arithmetic, about 70 instructions an Add) and makes a time.Time of one
// when it needs it (a deadline to set).
func At(since time.Duration) time.Time { return epoch.Add(since) }

// Epoch is the reading Now counts from.
func Epoch() time.Time { return epoch }
