package gateway

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"tollgate/engine"
)

// The backend URL's query: the base URL's first, verbatim, then every
// request parameter the base does not set, verbatim, without empty parts.
// The common case (no base query, no empty part) takes the request's query
// as it is; every case must equal the general merge.
func TestBuildBackendURLQuery(t *testing.T) {
	merge := func(base, req string) string { // the general rule, spelled out
		have, _ := url.ParseQuery(base)
		out := []string{}
		if base != "" {
			out = append(out, base)
		}
		for _, part := range strings.Split(req, "&") {
			if part == "" {
				continue
			}
			k, _, _ := strings.Cut(part, "=")
			if name, err := url.QueryUnescape(k); err == nil && have.Has(name) {
				continue
			}
			out = append(out, part)
		}
		return strings.Join(out, "&")
	}
	for _, tc := range []struct{ service, query string }{
		{"ws://b/", "mode=echo&tenant=acme"},
		{"ws://b/", "a=%2F%3d&b=x+y&asrs_request_id=Zm9v%3D%3D"},
		{"ws://b/", "&a=1"},
		{"ws://b/", "a=1&"},
		{"ws://b/", "a=1&&b=2"},
		{"ws://b/", "&"},
		{"ws://b/?key=base", "key=client&other=1"},
		{"ws://b/?key=base", "%6Bey=client&x"},
		{"ws://b/?a=1&b", "b=2&c=3&&"},
	} {
		svc, _ := url.Parse(tc.service)
		api := &API{Name: "q", Path: "/chat", ServiceURL: svc}
		api.Info = &engine.Api{Name: api.Name}
		st := engine.AcquireState(api.Info)
		st.SetRequest(http.MethodGet, "ws", "gw", &url.URL{Path: "/chat/x", RawQuery: tc.query}, http.Header{}, "192.0.2.1")
		x := &exchange{api: api, st: st}
		u, err := x.buildBackendURL(true)
		st.Release()
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if want := merge(svc.RawQuery, tc.query); u.RawQuery != want {
			t.Errorf("%+v: query %q, want %q", tc, u.RawQuery, want)
		}
		if u.Path != "/x" {
			t.Errorf("%+v: path %q", tc, u.Path)
		}
	}
}

// A REST exchange's first backend request takes its X-Forwarded-* values,
// and the request itself, from the exchange's own room (no allocation); a
// second one (forward-request inside retry) gets its own, as the transport
// may still be reading the first. Both carry the same values and the
// call's context.
func TestOutRequestXForwardedRoom(t *testing.T) {
	api := &API{Name: "r", Path: "/r"}
	api.Info = &engine.Api{Name: api.Name}
	st := engine.AcquireState(api.Info)
	defer st.Release()
	st.SetRequest(http.MethodGet, "http", "gw.example", &url.URL{Path: "/r/x"}, http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "192.0.2.1")
	in := &http.Request{Method: http.MethodGet, Host: "gw.example", RemoteAddr: "192.0.2.1:5555", Header: http.Header{}}
	x := &exchange{api: api, st: st, rest: &restParts{}, target: &url.URL{Scheme: "http", Host: "b", Path: "/x"}}
	want := http.Header{"X-Forwarded-For": {"203.0.113.9, 192.0.2.1"}, "X-Forwarded-Host": {"gw.example"}, "X-Forwarded-Proto": {"http"}}
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "call")
	var first *http.Request
	for i := range 2 {
		out := outRequest(ctx, in, x)
		if out.Context().Value(key{}) != "call" {
			t.Errorf("request %d: not under the call's context", i)
		}
		if (out == &x.rest.out) != (i == 0) {
			t.Errorf("request %d: in the exchange's room: %v, want %v", i, out == &x.rest.out, i == 0)
		}
		if i == 0 {
			first = out
		} else if first.Header["X-Forwarded-Host"][0] != "gw.example" || first.URL != x.target {
			t.Errorf("the second request changed the first: %+v", first)
		}
		for k, v := range want {
			if got := out.Header[k]; len(got) != 1 || got[0] != v[0] {
				t.Fatalf("request %d: %s %q, want %q", i, k, got, v)
			}
		}
		inRoom := &out.Header["X-Forwarded-Host"][0] == &x.rest.xf[1]
		if inRoom != (i == 0) {
			t.Errorf("request %d: values in the exchange's room: %v, want %v", i, inRoom, i == 0)
		}
	}
}

// hasPathSubDelim is strings.ContainsAny(s, pathSubDelims), byte for byte.
func TestHasPathSubDelim(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := "/a/" + string([]byte{byte(c)}) + "/b"
		if got, want := hasPathSubDelim(s), strings.ContainsAny(s, pathSubDelims); got != want {
			t.Errorf("byte %#x: %v, want %v", c, got, want)
		}
	}
	if hasPathSubDelim("") || !hasPathSubDelim("/TableName()") {
		t.Error("empty or TableName()")
	}
}

// TestRESTExchangeSizeClass: a REST exchange and its parts are one
// allocation (docs/http-server.md, "Per-request allocations") of the
// 2,304-byte size class: an object over 512 bytes that holds pointers
// carries an 8-byte header of the allocator's since Go 1.22, so the
// 2,048 bytes the exchange was sized to already took the 2,304-byte
// class, with room to spare for the body's parts (restParts.memBody).
// A field more that moves every REST request's exchange into the next
// class (2,688 bytes) fails here: the bytes are measured, the allocator's
// own count of what one exchange takes.
func TestRESTExchangeSizeClass(t *testing.T) {
	type restExchange struct {
		exchange
		parts restParts
	}
	const n = 256
	keep := make([]*restExchange, n)
	size := uint64(math.MaxUint64)
	for range 5 { // the least of five: other goroutines may allocate meanwhile
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range keep {
			keep[i] = new(restExchange)
		}
		runtime.ReadMemStats(&after)
		size = min(size, (after.TotalAlloc-before.TotalAlloc)/n)
	}
	runtime.KeepAlive(keep)
	if size > 2304 {
		t.Errorf("the REST exchange (%d bytes) takes %d bytes; want at most 2304", unsafe.Sizeof(restExchange{}), size)
	}
}

// TestExchangeRoom: the first backend URL and the request id of a REST
// or WebSocket exchange are written into the exchange's own room, a
// second backend URL (forward-request inside retry) is a new one, so an
// earlier attempt's never changes; an exchange without room (refuse's)
// allocates both.
func TestExchangeRoom(t *testing.T) {
	s := &Server{idPrefix: "0a1b2c3d", metrics: NewMetrics()}
	r := &http.Request{RemoteAddr: "192.0.2.1:5555", Header: http.Header{}}
	api := &API{Name: "a"}
	for _, tc := range []struct {
		name             string
		x                *exchange
		targetRoom, idRm func(*exchange) unsafe.Pointer // nil: no room
	}{
		{"rest", s.newRESTExchange(r, api, time.Now()),
			func(x *exchange) unsafe.Pointer { return unsafe.Pointer(&x.rest.targetURL) },
			func(x *exchange) unsafe.Pointer { return unsafe.Pointer(&x.rest.id) }},
		{"websocket", s.newWSExchange(r, api, time.Now()),
			func(x *exchange) unsafe.Pointer { return unsafe.Pointer(&x.wsr.target) },
			func(x *exchange) unsafe.Pointer { return unsafe.Pointer(&x.wsr.id) }},
		{"none", s.newExchange(r, api, time.Now()), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.x
			first := x.newTarget(url.URL{Scheme: "ws", Host: "one"})
			x.target = first
			second := x.newTarget(url.URL{Scheme: "ws", Host: "two"})
			if first.Host != "one" || second.Host != "two" || first == second {
				t.Fatalf("first %v, second %v", first, second)
			}
			if tc.targetRoom != nil && unsafe.Pointer(first) != tc.targetRoom(x) {
				t.Error("the first backend URL is not the exchange's")
			}
			id := x.newRequestID()
			if !strings.HasPrefix(id, "0a1b2c3d-") {
				t.Errorf("request id %q", id)
			}
			if inRoom := tc.idRm != nil && unsafe.Pointer(unsafe.StringData(id)) == tc.idRm(x); inRoom != (tc.idRm != nil) {
				t.Errorf("request id in the room: %v", inRoom)
			}
		})
	}
}

// TestHandshakePartsSizeClass: a handshake's parts (hsParts) fill the
// 704-byte size class with their string room; a field more moves every
// handshake's parts into the next class (768 bytes), and a room that
// leaves bytes of the class unused wastes them, which this catches.
func TestHandshakePartsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(hsParts{}); n != 704 {
		t.Errorf("the handshake's parts are %d bytes; want 704", n)
	}
}

// TestHandshakeStringsLeaveWithParts: the strings a handshake makes
// (State.NewString: a base-url concatenation, the query string, the
// backend path) are written into its parts (hsParts), and once the
// session starts (detach) the exchange, which lives as long as the
// session, keeps none of them: of the backend URL only the host, which is
// never the room's, and no view. Otherwise every idle session would keep
// its whole handshake's parts (704 bytes) alive.
func TestHandshakeStringsLeaveWithParts(t *testing.T) {
	s := &Server{idPrefix: "0a1b2c3d", metrics: NewMetrics()}
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/echo", RawQuery: "mode=echo"},
		RequestURI: "/echo?mode=echo", Host: "gw", RemoteAddr: "192.0.2.1:5555", Header: http.Header{}}
	api := &API{Name: "a"}
	x := s.newWSExchange(r, api, time.Now())
	x.beginHandshake(r, "ws")
	hp := x.wsr.hs
	lo, hi := uintptr(unsafe.Pointer(hp)), uintptr(unsafe.Pointer(hp))+unsafe.Sizeof(*hp)
	inParts := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return s != "" && p >= lo && p < hi
	}
	base := x.st.NewString("ws://127.0.0.1:1/", "echo")
	query := x.st.NewString("mode=echo&tenant=", "acme")
	path := x.st.NewString("/echo/", "x")
	if !inParts(base) || !inParts(query) || !inParts(path) {
		t.Fatalf("the handshake's strings are not in its parts: %v %v %v", inParts(base), inParts(query), inParts(path))
	}
	host := strings.Clone("127.0.0.1:1")
	x.target = x.newTarget(url.URL{Scheme: "ws", Host: host, Path: path, RawQuery: query})
	x.view, x.viewFor = url.URL{Scheme: "ws", Host: host, Path: path}, viewKey{base: base, route: path, ws: true, ok: true}
	x.detach(context.Background())
	if x.target.Host != host {
		t.Errorf("the session's backend host %q, want %q", x.target.Host, host)
	}
	for _, v := range []string{x.target.Scheme, x.target.Path, x.target.RawQuery, x.target.RawPath,
		x.view.Host, x.view.Path, x.viewFor.base, x.viewFor.route} {
		if inParts(v) {
			t.Errorf("the session keeps %q, in the handshake's parts", v)
		}
	}
	if x.target.Path != "" || x.target.RawQuery != "" || x.view.Path != "" || x.viewFor.base != "" {
		t.Errorf("the session keeps the handshake's URL: %+v, view %+v, %+v", *x.target, x.view, x.viewFor)
	}
}
