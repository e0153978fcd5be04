package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

// sectionCtx must answer as context.WithTimeout does, whether or not its
// real context was made (Done), so policies cannot tell the difference.
func TestSectionCtxActsAsWithTimeout(t *testing.T) {
	type key struct{}
	for _, tc := range []struct {
		name     string
		timeout  time.Duration
		done     bool // call Done (make the real context) first
		event    func(c *sectionCtx, cancelParent context.CancelFunc)
		wantErr  error
		wantDone bool // Done is closed afterwards
	}{
		{"running", time.Hour, false, func(*sectionCtx, context.CancelFunc) {}, nil, false},
		{"running, made", time.Hour, true, func(*sectionCtx, context.CancelFunc) {}, nil, false},
		{"deadline passed", 20 * time.Millisecond, false, func(*sectionCtx, context.CancelFunc) { time.Sleep(40 * time.Millisecond) }, context.DeadlineExceeded, true},
		{"deadline passed, made", 20 * time.Millisecond, true, func(*sectionCtx, context.CancelFunc) { time.Sleep(40 * time.Millisecond) }, context.DeadlineExceeded, true},
		{"parent canceled", time.Hour, false, func(_ *sectionCtx, cp context.CancelFunc) { cp() }, context.Canceled, true},
		{"parent canceled, made", time.Hour, true, func(_ *sectionCtx, cp context.CancelFunc) { cp() }, context.Canceled, true},
		{"section over", time.Hour, false, func(c *sectionCtx, _ context.CancelFunc) { c.cancel() }, context.Canceled, true},
		{"section over, made", time.Hour, true, func(c *sectionCtx, _ context.CancelFunc) { c.cancel() }, context.Canceled, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
			defer cancelParent()
			c := newSectionCtx(parent, tc.timeout)
			defer c.cancel()
			if tc.done {
				_ = c.Done()
			}
			tc.event(c, cancelParent)
			// Err before anything made the real context (unless done).
			if err := c.Err(); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Err %v, want %v", err, tc.wantErr)
			}
			// A context made from it (as net/http and send-request make
			// them) follows it.
			child, cancelChild := context.WithCancel(c)
			defer cancelChild()
			closed := func(ch <-chan struct{}) bool {
				select {
				case <-ch:
					return true
				case <-time.After(time.Second):
					return false
				}
			}
			if tc.wantDone {
				if !closed(c.Done()) || !closed(child.Done()) {
					t.Fatal("Done not closed")
				}
				if !errors.Is(child.Err(), tc.wantErr) {
					t.Fatalf("child Err %v, want %v", child.Err(), tc.wantErr)
				}
			} else {
				select {
				case <-c.Done():
					t.Fatal("Done closed early")
				default:
				}
			}
			if c.Value(key{}) != "v" {
				t.Fatal("parent's values lost")
			}
		})
	}
	// The deadline is the earlier of the parent's and its own.
	p, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pd, _ := p.Deadline()
	if d, ok := newSectionCtx(p, time.Hour).Deadline(); !ok || !d.Equal(pd) {
		t.Fatalf("deadline %v, want the parent's %v", d, pd)
	}
	if d, _ := newSectionCtx(p, time.Second).Deadline(); !d.Before(pd) {
		t.Fatalf("deadline %v, want its own", d)
	}
}
