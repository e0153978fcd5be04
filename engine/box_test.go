package engine

import (
	"fmt"
	"testing"
)

// TestBoxStringRoom: a string boxed in the request's room is the string,
// to every reader (a type switch, ==, fmt), stays so while the room goes
// on being used and after the State is released and reused, and costs no
// allocation; without room it is boxed as Go boxes it.
func TestBoxStringRoom(t *testing.T) {
	s := AcquireState(nil)
	room := make([]string, 2)
	s.SetStringRoom(room, make([]byte, 64))
	var boxes []any
	for _, v := range []string{"acme", "", "tenant-2", "overflow"} {
		boxes = append(boxes, s.boxString(v))
	}
	s.NewString("more", "bytes")
	s.Strings(1)
	s.Release()
	s2 := AcquireState(nil) // the pooled State again, with other room
	s2.SetStringRoom(make([]string, 4), nil)
	s2.boxString("zzzz")
	defer s2.Release()
	for i, want := range []string{"acme", "", "tenant-2", "overflow"} {
		str, ok := boxes[i].(string)
		if !ok || str != want || boxes[i] != any(want) || fmt.Sprint(boxes[i]) != want {
			t.Errorf("box %d = %#v, want %q", i, boxes[i], want)
		}
	}
	if room[0] != "acme" || room[1] != "tenant-2" {
		t.Errorf("room %q: the two non-empty strings in its slots", room)
	}
	s3 := AcquireState(nil)
	defer s3.Release()
	v := "dynamic"
	n := testing.AllocsPerRun(100, func() {
		s3.SetStringRoom(make([]string, 1), nil) // escapes: one allocation
		_ = s3.boxString(v)
	})
	if n != 1 {
		t.Errorf("%v allocations for room and box, want 1 (the room's)", n)
	}
}
