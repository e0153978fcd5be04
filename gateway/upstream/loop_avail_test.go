//go:build linux

package upstream_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/upstream"
	"tollgate/internal/testutil"
)

// TestLoopBodyReadsOn: on an event loop, a read of an answer body of
// known length that the read buffer answers short (the bytes the head's
// read brought) reads on, without waiting, into the rest of the reader's
// buffer from what the socket holds: a 64 KiB answer the backend wrote at
// once is read in two 32 KiB pieces (the copy's buffer), not in a piece
// of what the 16 KiB read buffer held and then more. The body is whole,
// and the connection serves the next request.
func TestLoopBodyReadsOn(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 64<<10/16)
	backend := testutil.RawHTTPBackend(t, "application/octet-stream", body)
	tr := &upstream.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	front := loopFront(t, func(w http.ResponseWriter, r *http.Request) {
		if evloop.TaskFrom(r.Context()) == nil {
			http.Error(w, "not on a loop", 500)
			return
		}
		out, _ := http.NewRequestWithContext(r.Context(), "GET", "http://"+backend+"/x", nil)
		res, err := tr.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer res.Body.Close()
		var got bytes.Buffer
		var sizes []int
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			got.Write(buf[:n])
			if n > 0 {
				sizes = append(sizes, n)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
		}
		if got.String() != body {
			http.Error(w, fmt.Sprintf("a body of %d bytes, not the backend's", got.Len()), 502)
			return
		}
		fmt.Fprint(w, sizes)
	})
	for i := range 3 {
		res, err := http.Get("http://" + front + "/")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(data) != "[32768 32768]" {
			t.Fatalf("request %d: %d %s; want the body read as [32768 32768]", i, res.StatusCode, data)
		}
	}
}
