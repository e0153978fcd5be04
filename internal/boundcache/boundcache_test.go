package boundcache

import (
	"strconv"
	"sync"
	"testing"
)

// The map keeps up to its bound; a Put into a full map empties it and
// keeps the new key, so keys that come after a stream of others are kept
// again; racing writers of one key all get the first value kept.
func TestMap(t *testing.T) {
	c := New[string, int](3)
	for i := range 5 {
		if got := c.Put(strconv.Itoa(i), i); got != i {
			t.Fatalf("Put(%d) = %d", i, got)
		}
	}
	for i := range 5 {
		v, ok := c.Get(strconv.Itoa(i))
		if ok != (i >= 3) || ok && v != i {
			t.Errorf("Get(%d) = %d, %v", i, v, ok)
		}
	}
	for i := range 1000 { // a stream of distinct keys, then the one in use
		c.Put("stream"+strconv.Itoa(i), i)
	}
	c.Put("in use", 7)
	if v, ok := c.Get("in use"); !ok || v != 7 {
		t.Errorf("a key put after a stream of others is not kept: %d, %v", v, ok)
	}
	if n := c.n.Load(); n > 3 {
		t.Errorf("%d entries counted, bound 3", n)
	}
	d := New[string, *int](10)
	var wg sync.WaitGroup
	got := make([]*int, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := i
			got[i] = d.Put("k", &v)
		}()
	}
	wg.Wait()
	for _, p := range got {
		if p != got[0] {
			t.Fatal("racing writers got different values")
		}
	}
}
