package upstream

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"tollgate/internal/testutil"
)

// TestIdleConnHoldsNoReadBuffer: a connection back in its pool has given
// its read buffer back; the next round trip on it borrows one again.
func TestIdleConnHoldsNoReadBuffer(t *testing.T) {
	addr := testutil.RawHTTPBackend(t, "text/plain", "ok\n")
	rt := &Transport{MaxIdleConnsPerHost: 4}
	defer rt.CloseIdleConnections()
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("GET", "http://"+addr+"/x", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok\n" {
			t.Fatalf("body %q, %v", b, err)
		}
		resp.Body.Close()
		n := 0
		rt.pools.Range(func(_, v any) bool {
			p := v.(*pool)
			p.mu.Lock()
			for _, c := range p.idle {
				n++
				if c.br != nil {
					t.Errorf("round trip %d: an idle connection holds a read buffer", i)
				}
			}
			p.mu.Unlock()
			return true
		})
		if n != 1 {
			t.Fatalf("round trip %d: %d idle connections, want 1", i, n)
		}
	}
}

// decimalLen is the length of n's decimal text.
func TestDecimalLen(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 99, 100, 4096, 999999, 1000000, 1<<62 - 1, 1<<63 - 1} {
		if got, want := decimalLen(n), len(strconv.FormatInt(n, 10)); got != want {
			t.Errorf("decimalLen(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestContentLengthOneValue: a single Content-Length field without a comma
// is read without the split (contentLength's short way); every such value
// must get what contentLengthList, the general reading, gives it, the
// error included.
func TestContentLengthOneValue(t *testing.T) {
	for _, v := range []string{"0", "3", "4096", "000123", " 5", "5 ", "\t5\t", "", "+5", "-1", "5 5", "0x10",
		"999999999999999999", "1000000000000000000", "5\x00", "a", "5, 5", "5,6", ",", "5,"} {
		checkContentLengthOneValue(t, v)
	}
}

func FuzzContentLengthOneValue(f *testing.F) {
	for _, v := range []string{"3", " 5 ", "", "5,5", "x"} {
		f.Add(v)
	}
	f.Fuzz(checkContentLengthOneValue)
}

func checkContentLengthOneValue(t *testing.T, v string) {
	n, err := contentLength([]string{v})
	ln, lerr := contentLengthList([]string{v})
	if n != ln || (err == nil) != (lerr == nil) || (err != nil && err.Error() != lerr.Error()) {
		t.Fatalf("contentLength(%q) = %d, %v; contentLengthList: %d, %v", v, n, err, ln, lerr)
	}
}

// TestReadFieldsPieces: readFields cuts the lines its read buffer holds
// already out of it and reads on past them; a head that comes a few bytes
// at a time, through a buffer that slides under the lines read, gives the
// same fields, errors, budget and following bytes as one that came at once.
func TestReadFieldsPieces(t *testing.T) {
	long := strings.Repeat("v", 40)
	for _, data := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n",
		"HTTP/1.1 200 OK\nContent-Length: 3\nX-A: 1\n\nok\nmore",
		"HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nX-Long: " + long + "\r\nDate: now\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\nx\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",             // obs-fold
		"HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",               // a control byte
		"HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",            // not a token
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Cut: ab", // the head ends early
	} {
		req := &http.Request{Method: http.MethodGet}
		for _, step := range []int{1, 2, 3, 5, 7, 16, 4096} {
			for _, size := range []int{16, 32, 4096} {
				if err := samePieces([]byte(data), req, step, size); err != nil {
					t.Errorf("buffer %d, %q: %v", size, data, err)
				}
			}
		}
	}
}

// valueAllocNames are common names (wire.CanonicalKeyBytes makes no
// string for them): what TestReadHeadValueAllocs counts is the values'.
var valueAllocNames = []string{"Etag", "Vary", "Via", "Link", "Age", "Expires", "Location"}

// TestReadHeadValueAllocs: a final head's values go into its slot's room
// when they fit, and past it into one array of at least 512 bytes that
// doubles: no more allocations than a string of them made before, and
// every value read right wherever the room ran out.
func TestReadHeadValueAllocs(t *testing.T) {
	for _, tc := range []struct {
		values []int // each field's value length
		allocs float64
	}{
		{nil, 0},
		{[]int{3, 24}, 0},
		{[]int{60, 60}, 0},
		{[]int{60, 60, 7}, 0}, // 128 bytes with Content-Length's "0": the room, exactly
		{[]int{60, 60, 8}, 1},
		{[]int{200, 100}, 1},
		{[]int{100, 100, 100, 100, 100}, 1},     // 500
		{[]int{100, 100, 100, 100, 100, 11}, 1}, // 512
		{[]int{300, 300}, 2},
		{[]int{100, 100, 100, 100, 100, 12}, 2},
		{[]int{1000, 1000, 1000}, 3}, // a string of them: 4
	} {
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		var want []string
		for i, n := range tc.values {
			v := strings.Repeat(string(rune('a'+i)), n)
			want = append(want, v)
			fmt.Fprintf(&b, "%s: %s\r\n", valueAllocNames[i], v)
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		data := []byte(b.String())
		r := bytes.NewReader(data)
		br := bufio.NewReaderSize(r, 16<<10)
		req := &http.Request{Method: http.MethodGet}
		spare := make(http.Header, 16)
		var slot finalSlot
		var hd head
		read := func() {
			r.Reset(data)
			br.Reset(r)
			clear(spare)
			slot = finalSlot{spare: spare}
			budget := MaxHeadBytes
			if err := readHead(br, req, &budget, &hd, &slot); err != nil {
				t.Fatal(err)
			}
		}
		read()
		for i, v := range want {
			if got := hd.resp.Header.Get(valueAllocNames[i]); got != v {
				t.Fatalf("%v: field %d is %q, want %q", tc.values, i, got, v)
			}
		}
		if got := testing.AllocsPerRun(50, read); got > tc.allocs {
			t.Errorf("%v: %v allocations, want at most %v", tc.values, got, tc.allocs)
		}
	}
}
