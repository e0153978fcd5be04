package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// errStoreClosed: Listen on a store that was closed.
var errStoreClosed = errors.New("store closed")

func checkListen(op, channel string, size int) error {
	if size < 1 || size > MaxListen {
		return fmt.Errorf("%s %q: size %d must be within 1..%d: %w", op, channel, size, MaxListen, ErrInvalidArgument)
	}
	return nil
}

// memPubSub is Memory's PubSub: the listeners of each channel, in
// process. Its own mutex: publishing never touches the shards.
type memPubSub struct {
	mu     sync.Mutex
	chans  map[string]map[*memListener]struct{}
	closed bool
}

type memListener struct {
	ps      *memPubSub
	channel string
	c       chan []byte
	once    sync.Once
}

var _ PubSub = (*Memory)(nil)

// Publish implements PubSub: msg is copied once and handed to every
// listener of channel that has room for it.
func (m *Memory) Publish(ctx context.Context, channel string, msg []byte) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, memUnavailable("publish", channel, err)
	}
	p := &m.ps
	p.mu.Lock()
	defer p.mu.Unlock()
	ls := p.chans[channel]
	if len(ls) == 0 {
		return 0, nil
	}
	v := append([]byte(nil), msg...)
	n := int64(0)
	for l := range ls {
		select {
		case l.c <- v:
			n++
		default: // full: dropped for this listener
		}
	}
	return n, nil
}

// Listen implements PubSub.
func (m *Memory) Listen(ctx context.Context, channel string, size int) (Listener, error) {
	if err := checkListen("memory listen", channel, size); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, memUnavailable("listen", channel, err)
	}
	p := &m.ps
	l := &memListener{ps: p, channel: channel, c: make(chan []byte, size)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("memory listen %q: %w", channel, errStoreClosed)
	}
	if p.chans == nil {
		p.chans = map[string]map[*memListener]struct{}{}
	}
	ls := p.chans[channel]
	if ls == nil {
		ls = map[*memListener]struct{}{}
		p.chans[channel] = ls
	}
	ls[l] = struct{}{}
	return l, nil
}

// close ends every listener (Memory.Close).
func (p *memPubSub) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, ls := range p.chans {
		for l := range ls {
			l.once.Do(func() { close(l.c) })
		}
	}
	p.chans = nil
}

// listeners is how many listeners there are (tests).
func (p *memPubSub) listeners() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ls := range p.chans {
		n += len(ls)
	}
	return n
}

func (l *memListener) Messages() <-chan []byte { return l.c }

func (l *memListener) Close() error {
	p := l.ps
	p.mu.Lock()
	defer p.mu.Unlock()
	l.once.Do(func() {
		if ls := p.chans[l.channel]; ls != nil {
			delete(ls, l)
			if len(ls) == 0 {
				delete(p.chans, l.channel)
			}
		}
		close(l.c)
	})
	return nil
}
