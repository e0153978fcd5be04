package boundcache

import (
	"strconv"
	"sync"
	"testing"
)

// The map keeps up to its bound, then hands values back without keeping
// them; racing writers of one key all get the first value kept.
func TestMap(t *testing.T) {
	c := New[string, int](3)
	for i := range 5 {
		if got := c.Put(strconv.Itoa(i), i); got != i {
			t.Fatalf("Put(%d) = %d", i, got)
		}
	}
	for i := range 5 {
		v, ok := c.Get(strconv.Itoa(i))
		if ok != (i < 3) || ok && v != i {
			t.Errorf("Get(%d) = %d, %v", i, v, ok)
		}
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
