package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Redis's PubSub: PUBLISH, and one go-redis PubSub connection per store
// whatever the number of listeners, each channel SUBSCRIBEd while it has
// a listener. One goroutine reads the connection and hands each message to
// the channel's listeners without waiting (a full listener drops it).
// go-redis reconnects the connection by itself and subscribes its channels
// again; a message published meanwhile reaches nobody (Publish says 0).
// Channels are Prefix + "ps:" + channel.

// redisPubSub is the Redis store's subscription side, set up on the first
// Listen.
type redisPubSub struct {
	once   sync.Once
	ps     *redis.PubSub
	mu     sync.Mutex
	chans  map[string]*redisChan // by Redis channel name
	closed bool
	done   chan struct{} // closed when the reading goroutine ended
}

// redisChan is one subscribed channel.
type redisChan struct {
	ready     chan struct{} // closed when Redis confirmed the subscription
	confirmed bool
	ls        map[*redisListener]struct{}
}

type redisListener struct {
	r    *Redis
	name string // Redis channel
	c    chan []byte
	once sync.Once
}

var _ PubSub = (*Redis)(nil)

// Publish implements PubSub (PUBLISH): the receivers are the stores
// (replicas) listening to channel.
func (r *Redis) Publish(ctx context.Context, channel string, msg []byte) (int64, error) {
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	n, err := r.c.Publish(ctx, r.key("ps", channel), msg).Result()
	if err != nil {
		return 0, r.wrap("publish", channel, err)
	}
	return n, nil
}

// pubsub starts the subscription connection's reader on first use.
func (r *Redis) pubsub() *redisPubSub {
	p := &r.sub
	p.once.Do(func() {
		p.chans = map[string]*redisChan{}
		p.done = make(chan struct{})
		p.ps = r.c.Subscribe(context.Background()) // no channel yet: it connects on the first
		go p.read(p.ps.ChannelWithSubscriptions(redis.WithChannelSize(1000)))
	})
	return p
}

// read hands the connection's messages to the listeners, and marks
// channels ready as Redis confirms their subscription. When the PubSub
// closes (the store closes) every listener ends.
func (p *redisPubSub) read(in <-chan any) {
	defer close(p.done)
	for v := range in {
		switch m := v.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			p.mu.Lock()
			if c := p.chans[m.Channel]; c != nil && !c.confirmed {
				c.confirmed = true
				close(c.ready)
			}
			p.mu.Unlock()
		case *redis.Message:
			p.mu.Lock()
			if c := p.chans[m.Channel]; c != nil {
				msg := []byte(m.Payload)
				for l := range c.ls {
					select {
					case l.c <- msg:
					default: // full: dropped for this listener
					}
				}
			}
			p.mu.Unlock()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.chans {
		for l := range c.ls {
			l.once.Do(func() { close(l.c) })
		}
	}
	p.chans = nil
}

// Listen implements PubSub: the first listener of a channel SUBSCRIBEs,
// and Listen returns once Redis has confirmed it (bounded by Timeout).
func (r *Redis) Listen(ctx context.Context, channel string, size int) (Listener, error) {
	if err := checkListen("redis listen", channel, size); err != nil {
		return nil, err
	}
	ctx, cancel := r.ctx(ctx)
	defer cancel()
	p := r.pubsub()
	name := r.key("ps", channel)
	l := &redisListener{r: r, name: name, c: make(chan []byte, size)}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, fmt.Errorf("redis listen %q: %w: %w", channel, ErrUnavailable, errStoreClosed)
	}
	c := p.chans[name]
	if c == nil {
		c = &redisChan{ready: make(chan struct{}), ls: map[*redisListener]struct{}{}}
		p.chans[name] = c
		// Under p.mu, so that an UNSUBSCRIBE of the channel's last
		// listener and this SUBSCRIBE reach Redis in this order.
		if err := p.ps.Subscribe(ctx, name); err != nil {
			delete(p.chans, name)
			_ = p.ps.Unsubscribe(context.WithoutCancel(ctx), name) // go-redis keeps it to subscribe again otherwise
			p.mu.Unlock()
			return nil, r.wrap("listen", channel, err)
		}
	}
	c.ls[l] = struct{}{}
	ready := c.ready
	p.mu.Unlock()
	select {
	case <-ready:
		return l, nil
	case <-p.done:
		_ = l.Close()
		return nil, fmt.Errorf("redis listen %q: %w: %w", channel, ErrUnavailable, errStoreClosed)
	case <-ctx.Done():
		_ = l.Close()
		return nil, r.wrap("listen", channel, ctx.Err())
	}
}

func (l *redisListener) Messages() <-chan []byte { return l.c }

// Close implements Listener: the channel's last listener UNSUBSCRIBEs.
func (l *redisListener) Close() error {
	p := &l.r.sub
	var err error
	p.mu.Lock()
	defer p.mu.Unlock()
	l.once.Do(func() {
		if c := p.chans[l.name]; c != nil {
			delete(c.ls, l)
			if len(c.ls) == 0 {
				delete(p.chans, l.name)
				ctx, cancel := l.r.ctx(context.Background())
				defer cancel()
				if e := p.ps.Unsubscribe(ctx, l.name); e != nil {
					err = l.r.wrap("unlisten", l.name, e)
				}
			}
		}
		close(l.c)
	})
	return err
}

// closePubSub ends the subscription connection and, through read, every
// listener (Close).
func (r *Redis) closePubSub() {
	p := &r.sub
	started := true
	p.once.Do(func() { started = false; p.closed = true }) // Listen after Close must not start it
	if !started {
		return
	}
	_ = p.ps.Close()
	<-p.done
}
