package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

// TestSectionCtx: a section context behaves as context.WithDeadline, and
// builds the real context only when Done is asked for.
func TestSectionCtx(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) error
	}{
		{"unused: nothing built, no error", func(t *testing.T) error {
			c := newSectionCtx(parent, time.Hour)
			if c.Err() != nil || c.Value(ctxKey{}) != "v" || c.real.Load() != nil {
				return errors.New("a fresh section context is not its parent with a deadline")
			}
			if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
				return errors.New("wrong deadline")
			}
			c.release()
			if c.real.Load() != nil || !errors.Is(c.Err(), context.Canceled) {
				return errors.New("release built a context or left it uncancelled")
			}
			return nil
		}},
		{"expired before Done: DeadlineExceeded either way", func(t *testing.T) error {
			c := newSectionCtx(parent, time.Millisecond)
			time.Sleep(5 * time.Millisecond)
			if !errors.Is(c.Err(), context.DeadlineExceeded) {
				return errors.New("Err before Done")
			}
			select {
			case <-c.Done():
			case <-time.After(time.Second):
				return errors.New("Done not closed after the deadline")
			}
			if !errors.Is(c.Err(), context.DeadlineExceeded) {
				return errors.New("Err after Done")
			}
			return nil
		}},
		{"a derived context ends with the section", func(t *testing.T) error {
			c := newSectionCtx(parent, time.Hour)
			child, cancel := context.WithTimeout(c, time.Hour)
			defer cancel()
			if child.Value(ctxKey{}) != "v" {
				return errors.New("values lost")
			}
			c.release()
			select {
			case <-child.Done():
			case <-time.After(time.Second):
				return errors.New("the child outlived the section")
			}
			return nil
		}},
		{"the parent's cancellation reaches it", func(t *testing.T) error {
			p, cancel := context.WithCancel(parent)
			c := newSectionCtx(p, time.Hour)
			done := c.Done()
			cancel()
			select {
			case <-done:
			case <-time.After(time.Second):
				return errors.New("not cancelled with its parent")
			}
			return nil
		}},
		{"built after release: already cancelled", func(t *testing.T) error {
			c := newSectionCtx(parent, time.Hour)
			c.release()
			select {
			case <-c.Done():
			default:
				return errors.New("a released section's Done is open")
			}
			return nil
		}},
		{"AfterFunc runs at the deadline", func(t *testing.T) error {
			c := newSectionCtx(parent, 10*time.Millisecond)
			fired := make(chan struct{})
			context.AfterFunc(c, func() { close(fired) })
			select {
			case <-fired:
			case <-time.After(time.Second):
				return errors.New("AfterFunc did not run")
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}
