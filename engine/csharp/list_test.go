package csharp

import (
	"errors"
	"math/rand"
	"testing"
)

// TestIntroSort: .NET's introspective sort orders any list by a
// comparison with ties (by tens here), keeping every item; at 16 items or
// fewer it is an insertion sort, which keeps tied items in order; a
// comparison's error stops it.
func TestIntroSort(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	byTens := func(a, b any) (int, error) { return cmpInt(a.(int)/10, b.(int)/10), nil }
	for _, n := range []int{0, 1, 2, 3, 4, 15, 16, 17, 33, 100, 1000} {
		for round := 0; round < 20; round++ {
			xs := make([]any, n)
			count := map[int]int{}
			for i := range xs {
				v := r.Intn(200)
				if round%3 == 0 {
					v = i // sorted already
				} else if round%3 == 1 {
					v = n - i // reversed
				}
				xs[i] = v
				count[v]++
			}
			in := append([]any(nil), xs...)
			if err := introSort(xs, byTens); err != nil {
				t.Fatal(err)
			}
			for i := 1; i < n; i++ {
				if xs[i-1].(int)/10 > xs[i].(int)/10 {
					t.Fatalf("n=%d: not sorted at %d: %v", n, i, xs)
				}
			}
			for _, x := range xs {
				count[x.(int)]--
			}
			for v, c := range count {
				if c != 0 {
					t.Fatalf("n=%d: %d lost or doubled", n, v)
				}
			}
			if n <= 16 { // insertion sort: stable
				var want []any
				for k := 0; k < 21; k++ {
					for _, x := range in {
						if x.(int)/10 == k {
							want = append(want, x)
						}
					}
				}
				for i := range want {
					if want[i] != xs[i] {
						t.Fatalf("n=%d: %v, want the stable %v", n, xs, want)
					}
				}
			}
		}
	}
	boom := errors.New("boom")
	xs := []any{3, 2, 1, 5, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}
	calls := 0
	if err := introSort(xs, func(a, b any) (int, error) {
		if calls++; calls == 5 {
			return 0, boom
		}
		return cmpInt(a.(int), b.(int)), nil
	}); err != boom {
		t.Fatalf("err %v, want boom", err)
	}
}
