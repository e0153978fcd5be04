package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcFloor is --gc-heap-floor: the heap the collector lets grow before a
// cycle is at least floor bytes, whatever --gc-percent makes of a small
// live heap.
//
// The collector starts a cycle when the heap has grown by --gc-percent of
// what the last one left live. A gateway under load keeps a few MiB live
// (2 MiB in the benchmark) while it allocates hundreds of MiB a second: at
// 200 percent that was a cycle every 20 ms, each with a fixed cost, about a
// tenth of the CPU. After every cycle the floor raises the percent for
// that cycle's live heap so that the goal reaches floor, and gives the
// configured percent back once the live heap is large enough on its own
// (10,000 idle connections): the goal is max(floor, live × (1 +
// percent/100)), never floor added to a large heap. A fixed reservation
// counted as live (a "ballast") would add it: measured, it took the
// memory per idle WebSocket connection from 5.0 to 6.4 KiB.
var gcFloor floorTuner

// minHeap is the Go runtime's minimum heap goal at 100 percent.
const minHeap = 4 << 20

type floorTuner struct {
	mu      sync.Mutex
	floor   uint64 // bytes; 0: off
	percent int    // the configured --gc-percent (-1: off)
	armed   bool
	sample  []metrics.Sample
}

// set starts (or changes, or with floor 0 stops) the tuning.
func (t *floorTuner) set(floor uint64, percent int) {
	t.mu.Lock()
	t.floor, t.percent = floor, percent
	arm := !t.armed && floor > 0 && percent >= 0
	if arm {
		t.armed = true
		t.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	}
	t.mu.Unlock()
	if arm {
		t.arm()
	}
	t.tune()
}

// arm asks to be called after the next cycle: a finalizer runs once the
// cycle found its object unreachable, and re-arms with a new one.
func (t *floorTuner) arm() {
	runtime.SetFinalizer(new([64]byte), func(*[64]byte) { // 64 bytes: not the tiny allocator's, whose finalizers may never run
		if t.tune() {
			t.arm()
		}
	})
}

// tune sets the percent for the live heap the last cycle left. It reports
// whether to go on being called.
func (t *floorTuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.floor == 0 || t.percent < 0 {
		if t.armed {
			t.armed = false
			debug.SetGCPercent(t.percent)
		}
		return false
	}
	metrics.Read(t.sample)
	// The pacer's goal is the larger of live + (live + stacks + globals) ×
	// percent/100 and its minimum heap, 4 MiB × percent/100: the percent
	// that brings either to the floor does.
	live := t.sample[0].Value.Uint64()
	base := live + t.sample[1].Value.Uint64() + t.sample[2].Value.Uint64()
	p := t.percent
	if live < t.floor {
		need := int(t.floor*100/minHeap) + 1
		if base > 0 {
			need = min(need, int((t.floor-live)*100/base)+1)
		}
		p = max(p, need)
	}
	debug.SetGCPercent(p)
	return true
}
