package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/internal/redistest"
)

// pubsubStore is a store under test that has PubSub.
type pubsubStore interface {
	Store
	PubSub
}

// recv waits for one message of l (the test's deadline bounds it).
func recv(t *testing.T, l Listener) string {
	t.Helper()
	select {
	case m, ok := <-l.Messages():
		if !ok {
			t.Fatal("listener closed")
		}
		return string(m)
	case <-ctxT(t).Done():
		t.Fatal("no message")
	}
	return ""
}

// empty checks l holds no message now.
func empty(t *testing.T, l Listener) {
	t.Helper()
	select {
	case m, ok := <-l.Messages():
		t.Fatalf("unexpected message %q (open %v)", m, ok)
	default:
	}
}

func mustListen(t *testing.T, s PubSub, channel string, size int) Listener {
	t.Helper()
	l, err := s.Listen(ctxT(t), channel, size)
	if err != nil {
		t.Fatalf("Listen(%q): %v", channel, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func mustPublish(t *testing.T, s PubSub, channel, msg string) int64 {
	t.Helper()
	n, err := s.Publish(ctxT(t), channel, []byte(msg))
	if err != nil {
		t.Fatalf("Publish(%q): %v", channel, err)
	}
	return n
}

// settle returns once s has handed on every message published on it
// before: a message on a channel of its own is published and read (one
// store's messages are delivered in order).
func settle(t *testing.T, s PubSub) {
	t.Helper()
	ch := "settle-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	l := mustListen(t, s, ch, 1)
	defer l.Close()
	mustPublish(t, s, ch, "x")
	recv(t, l)
}

// runPubSubContract is the PubSub suite both stores pass. Channels are
// unique per subtest so stores may share a backend.
func runPubSubContract(t *testing.T, newStore func(t *testing.T) pubsubStore) {
	t.Run("NobodyListens", func(t *testing.T) {
		s := newStore(t)
		if n := mustPublish(t, s, t.Name(), "lost"); n != 0 {
			t.Fatalf("receivers %d, want 0", n)
		}
	})
	t.Run("InOrder", func(t *testing.T) {
		s := newStore(t)
		l := mustListen(t, s, t.Name(), 100)
		other := mustListen(t, s, t.Name()+"-other", 100)
		for i := range 50 {
			if n := mustPublish(t, s, t.Name(), strconv.Itoa(i)); n < 1 {
				t.Fatalf("message %d: receivers %d", i, n)
			}
		}
		for i := range 50 {
			if got := recv(t, l); got != strconv.Itoa(i) {
				t.Fatalf("message %d: %q", i, got)
			}
		}
		settle(t, s)
		empty(t, other)
	})
	t.Run("BinaryAndLarge", func(t *testing.T) {
		s := newStore(t)
		l := mustListen(t, s, t.Name(), 4)
		big := make([]byte, 1<<20)
		for i := range big {
			big[i] = byte(i)
		}
		for _, m := range [][]byte{{}, {0, '\n', 0xff}, big} {
			if _, err := s.Publish(ctxT(t), t.Name(), m); err != nil {
				t.Fatal(err)
			}
			if got := recv(t, l); got != string(m) {
				t.Fatalf("got %d bytes, want %d", len(got), len(m))
			}
		}
	})
	t.Run("EveryListener", func(t *testing.T) {
		s := newStore(t)
		a := mustListen(t, s, t.Name(), 10)
		b := mustListen(t, s, t.Name(), 10)
		mustPublish(t, s, t.Name(), "both")
		if recv(t, a) != "both" || recv(t, b) != "both" {
			t.Fatal("a listener missed the message")
		}
		// One listener leaving leaves the other subscribed.
		_ = a.Close()
		mustPublish(t, s, t.Name(), "b only")
		if got := recv(t, b); got != "b only" {
			t.Fatalf("b: %q", got)
		}
	})
	t.Run("FullDrops", func(t *testing.T) {
		s := newStore(t)
		l := mustListen(t, s, t.Name(), 2)
		for i := range 5 {
			mustPublish(t, s, t.Name(), strconv.Itoa(i))
		}
		settle(t, s)
		if a, b := recv(t, l), recv(t, l); a != "0" || b != "1" {
			t.Fatalf("kept %q %q, want the first two", a, b)
		}
		empty(t, l)
		mustPublish(t, s, t.Name(), "room again")
		if got := recv(t, l); got != "room again" {
			t.Fatalf("after draining: %q", got)
		}
	})
	t.Run("Close", func(t *testing.T) {
		s := newStore(t)
		l := mustListen(t, s, t.Name(), 1)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, ok := <-l.Messages(); ok {
			t.Fatal("Messages open after Close")
		}
		// Redis: the UNSUBSCRIBE has been sent; a PUBLISH on another
		// connection may still be read before it, so poll.
		waitUntil(t, "no receivers after Close", func() bool { return mustPublish(t, s, t.Name(), "late") == 0 })
		// The channel can be listened to again.
		l2 := mustListen(t, s, t.Name(), 1)
		mustPublish(t, s, t.Name(), "again")
		if got := recv(t, l2); got != "again" {
			t.Fatalf("listening again: %q", got)
		}
	})
	t.Run("InvalidSize", func(t *testing.T) {
		s := newStore(t)
		for _, size := range []int{0, -1, MaxListen + 1} {
			if _, err := s.Listen(ctxT(t), t.Name(), size); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("size %d: %v, want ErrInvalidArgument", size, err)
			}
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		const channels, msgs = 8, 20
		var wg sync.WaitGroup
		for c := range channels {
			ch := fmt.Sprintf("%s-%d", t.Name(), c)
			l := mustListen(t, s, ch, msgs)
			wg.Go(func() {
				for i := range msgs {
					if _, err := s.Publish(context.Background(), ch, []byte(strconv.Itoa(i))); err != nil {
						t.Error(err)
						return
					}
				}
			})
			wg.Go(func() {
				for i := range msgs {
					select {
					case m := <-l.Messages():
						if string(m) != strconv.Itoa(i) {
							t.Errorf("%s: message %d is %q", ch, i, m)
							return
						}
					case <-time.After(testWait):
						t.Errorf("%s: message %d never came", ch, i)
						return
					}
				}
			})
		}
		wg.Wait()
	})
	t.Run("StoreClose", func(t *testing.T) {
		s := newStore(t)
		l, err := s.Listen(ctxT(t), t.Name(), 1)
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		if _, ok := <-l.Messages(); ok {
			t.Fatal("a listener outlived its store")
		}
		if err := l.Close(); err != nil {
			t.Logf("Close after the store's: %v", err) // allowed to fail, must not hang
		}
		if _, err := s.Listen(ctxT(t), t.Name(), 1); err == nil {
			t.Fatal("Listen on a closed store")
		}
	})
}

// testWait bounds the waits of the concurrent subtest (each goroutine's).
const testWait = 10 * time.Second

// waitUntil polls cond until it holds (the test's deadline bounds it).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := ctxT(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestMemoryPubSub(t *testing.T) {
	runPubSubContract(t, func(t *testing.T) pubsubStore { return newTestMemory(t) })
}

func TestRedisPubSub(t *testing.T) {
	srv := redistest.Start(t)
	runPubSubContract(t, func(t *testing.T) pubsubStore {
		return newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
	})
}

// TestMemoryPubSubReceivers: Memory counts the listeners that took the
// message; closed listeners leave nothing behind.
func TestMemoryPubSubReceivers(t *testing.T) {
	m := newTestMemory(t)
	a := mustListen(t, m, "c", 1)
	b := mustListen(t, m, "c", 1)
	if n := mustPublish(t, m, "c", "1"); n != 2 {
		t.Fatalf("receivers %d, want 2", n)
	}
	if n := mustPublish(t, m, "c", "2"); n != 0 {
		t.Fatalf("both full: receivers %d, want 0", n)
	}
	_ = a.Close()
	_ = b.Close()
	if n := m.ps.listeners(); n != 0 {
		t.Fatalf("%d listeners left", n)
	}
	for range 1000 {
		l := mustListen(t, m, "many", 1)
		_ = l.Close()
	}
	if len(m.ps.chans) != 0 {
		t.Fatalf("%d channels left", len(m.ps.chans))
	}
}

// TestRedisPubSubReplicas: a message published through one store reaches
// the listeners of another (two replicas); PUBLISH counts stores, one
// connection each however many listeners; channels are namespaced.
func TestRedisPubSubReplicas(t *testing.T) {
	srv := redistest.Start(t)
	a := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second, Prefix: "gw:"})
	b := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second, Prefix: "gw:"})
	other := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second, Prefix: "else:"})
	la1 := mustListen(t, a, "session", 10)
	la2 := mustListen(t, a, "session", 10)
	if n := mustPublish(t, b, "session", "from b"); n != 1 {
		t.Fatalf("receivers %d, want 1 (one store)", n)
	}
	if recv(t, la1) != "from b" || recv(t, la2) != "from b" {
		t.Fatal("a's listeners missed b's message")
	}
	lb := mustListen(t, b, "session", 10)
	if n := mustPublish(t, a, "session", "both"); n != 2 {
		t.Fatalf("receivers %d, want 2", n)
	}
	if recv(t, lb) != "both" {
		t.Fatal("b missed a's message")
	}
	if n := mustPublish(t, other, "session", "elsewhere"); n != 0 {
		t.Fatalf("another prefix reached %d stores", n)
	}
	chans, err := rawClient(t, srv).PubSubChannels(ctxT(t), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(chans) != 1 || chans[0] != "gw:ps:session" {
		t.Fatalf("channels %q, want [gw:ps:session]", chans)
	}
	// Listeners of many channels share the store's one connection.
	for i := range 200 {
		mustListen(t, a, "many-"+strconv.Itoa(i), 1)
	}
	clients, err := rawClient(t, srv).ClientList(ctxT(t)).Result()
	if err != nil {
		t.Fatal(err)
	}
	subConns := 0
	for _, line := range strings.Split(clients, "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "sub=") && f != "sub=0" {
				subConns++
			}
		}
	}
	if subConns != 2 {
		t.Fatalf("%d subscribed connections, want 2 (one per store):\n%s", subConns, clients)
	}
}

// TestRedisPubSubDownAndBack: while Redis is down Publish fails with
// ErrUnavailable and listeners stay open; once it is back go-redis
// subscribes again and messages flow.
func TestRedisPubSubDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	r := newTestRedis(t, srv, RedisOptions{Timeout: time.Second})
	l := mustListen(t, r, "c", 10)
	srv.Stop()
	if _, err := r.Publish(context.Background(), "c", []byte("x")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("publish with Redis down: %v, want ErrUnavailable", err)
	}
	if _, err := r.Listen(context.Background(), "d", 1); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("listen with Redis down: %v, want ErrUnavailable", err)
	}
	srv.Start()
	waitUntil(t, "the subscription back", func() bool {
		n, err := r.Publish(context.Background(), "c", []byte("back"))
		return err == nil && n == 1
	})
	if got := recv(t, l); got != "back" {
		t.Fatalf("after recovery: %q", got)
	}
}
