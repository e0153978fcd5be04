package sessctx

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type watcher struct{ n atomic.Int32 }

func (w *watcher) SessionEnded() { w.n.Add(1) }

var errDrain = errors.New("drained")

// A Ctx behaves as context.WithCancelCause(context.Background()) does, seen
// through Err, Done, Cause and the contexts derived from it, whether Done
// was asked for before the cancel, after it, or never.
func TestCtxAsContext(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cause     error
		want      error // Cause
		doneFirst bool  // Done asked before the cancel
	}{
		{"no cause, done made first", nil, context.Canceled, true},
		{"no cause, done made after", nil, context.Canceled, false},
		{"a cause, done made first", errDrain, errDrain, true},
		{"a cause, done made after", errDrain, errDrain, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Ctx
			ref, refCancel := context.WithCancelCause(context.Background())
			if c.Err() != nil || c.Cause() != nil || Cause(&c) != nil {
				t.Fatal("a live Ctx reports an end")
			}
			if _, ok := c.Deadline(); ok {
				t.Fatal("a Ctx has a deadline")
			}
			var done <-chan struct{}
			if tc.doneFirst {
				done = c.Done()
				select {
				case <-done:
					t.Fatal("Done closed while live")
				default:
				}
			}
			child, childCancel := context.WithCancel(&c)
			defer childCancel()
			deadline, dlCancel := context.WithTimeout(&c, time.Hour)
			defer dlCancel()
			ran := make(chan struct{})
			context.AfterFunc(&c, func() { close(ran) })

			c.Cancel(tc.cause)
			refCancel(tc.cause)
			c.Cancel(errors.New("a second cancel changes nothing"))
			if done == nil {
				done = c.Done()
			}
			select {
			case <-done:
			default:
				t.Fatal("Done not closed")
			}
			if !errors.Is(c.Err(), ref.Err()) {
				t.Errorf("Err %v, want %v", c.Err(), ref.Err())
			}
			if c.Cause() != tc.want || Cause(&c) != tc.want || context.Cause(ref) != tc.want {
				t.Errorf("Cause %v (sessctx.Cause %v), want %v as context.Cause of the reference, %v",
					c.Cause(), Cause(&c), tc.want, context.Cause(ref))
			}
			for name, d := range map[string]context.Context{"WithCancel": child, "WithTimeout": deadline} {
				select {
				case <-d.Done():
				case <-time.After(5 * time.Second):
					t.Fatalf("%s child not cancelled", name)
				}
				if !errors.Is(d.Err(), context.Canceled) {
					t.Errorf("%s child: %v", name, d.Err())
				}
			}
			select {
			case <-ran:
			case <-time.After(5 * time.Second):
				t.Fatal("context.AfterFunc did not run")
			}
			if c.Value("any key") != nil {
				t.Error("a Ctx has values")
			}
		})
	}
}

// Watchers are told once, on Cancel; an unwatched one is not; Watch on an
// ended Ctx registers nothing; Unwatch says whether the watcher was still
// registered.
func TestCtxWatch(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} { // inline slots, and beyond
		var c Ctx
		ws := make([]*watcher, n)
		for i := range ws {
			ws[i] = new(watcher)
			if !c.Watch(ws[i]) {
				t.Fatalf("%d: Watch on a live Ctx", n)
			}
		}
		if !c.Unwatch(ws[0]) || c.Unwatch(ws[0]) {
			t.Fatalf("%d: Unwatch of a registered watcher, then of the same again", n)
		}
		c.Cancel(nil)
		c.Cancel(nil)
		for i, w := range ws {
			want := int32(1)
			if i == 0 {
				want = 0
			}
			if got := w.n.Load(); got != want {
				t.Errorf("%d watchers: watcher %d told %d times, want %d", n, i, got, want)
			}
			if i > 0 && c.Unwatch(w) {
				t.Errorf("%d watchers: Unwatch after Cancel took it", n)
			}
		}
		late := new(watcher)
		if c.Watch(late) || late.n.Load() != 0 {
			t.Errorf("%d: Watch on an ended Ctx registered (or told) it", n)
		}
	}
}

// AfterFunc's stop says whether it stopped f; on an ended Ctx f runs at once.
func TestCtxAfterFunc(t *testing.T) {
	var c Ctx
	var ran atomic.Int32
	stop1 := c.AfterFunc(func() { ran.Add(1) })
	stop2 := c.AfterFunc(func() { ran.Add(10) })
	if !stop1() || stop1() {
		t.Fatal("stop: true once, then false")
	}
	c.Cancel(nil)
	if ran.Load() != 10 || stop2() {
		t.Fatalf("ran %d (want only the second), stop after it ran: %v", ran.Load(), stop2())
	}
	done := make(chan struct{})
	if c.AfterFunc(func() { close(done) })() {
		t.Error("stop on an ended Ctx stopped something")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("AfterFunc on an ended Ctx did not run f")
	}
}

// Watching, unwatching and cancelling a Ctx whose Done nobody asked for
// allocates nothing (the Ctx is allocated with the gateway's session).
func TestCtxNoAlloc(t *testing.T) {
	w := new(watcher)
	c := new(Ctx)
	n := testing.AllocsPerRun(100, func() {
		*c = Ctx{}
		c.Watch(w)
		c.Unwatch(w)
		c.Watch(w)
		c.Cancel(errDrain)
		_ = c.Err()
		_ = c.Cause()
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// Cancels, watches and Done from many goroutines at once: every watcher
// registered before the cancel is told exactly once (run with -race).
func TestCtxConcurrent(t *testing.T) {
	for range 50 {
		var c Ctx
		var wg sync.WaitGroup
		ws := make([]*watcher, 8)
		registered := make([]bool, len(ws))
		for i := range ws {
			ws[i] = new(watcher)
			wg.Add(1)
			go func() {
				defer wg.Done()
				registered[i] = c.Watch(ws[i])
			}()
		}
		for range 3 {
			wg.Add(2)
			go func() { defer wg.Done(); c.Cancel(errDrain) }()
			go func() { defer wg.Done(); <-c.Done() }()
		}
		wg.Wait()
		for i, w := range ws {
			want := int32(0)
			if registered[i] {
				want = 1
			}
			if got := w.n.Load(); got != want {
				t.Fatalf("watcher %d (registered %v) told %d times", i, registered[i], got)
			}
		}
		if c.Cause() != errDrain {
			t.Fatalf("cause %v", c.Cause())
		}
	}
}
