package gateway

import (
	"fmt"
	"net"
	"net/http"
	"path"
	"strings"

	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
)

// headerGet is h.Get(key) for a key in canonical form already (a constant
// such as "Retry-After"): the same answer, without canonicalising the key
// again on every request.
func headerGet(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// stripConnectionListed removes from h the headers the client named in
// its Connection header: they are hop-by-hop (RFC 9110 7.6.1) and must not
// be forwarded. It runs on the copy policies see, before they run, so a
// client cannot use Connection to strip a header a policy sets.
func stripConnectionListed(h http.Header) {
	for _, v := range h["Connection"] {
		for v != "" {
			var name string
			name, v, _ = strings.Cut(v, ",")
			if name = strings.TrimSpace(name); name != "" {
				delete(h, http.CanonicalHeaderKey(name))
			}
		}
	}
}

// stripHopByHop removes from a backend's answer the headers it named in
// Connection and the hop-by-hop ones (RFC 9110 §7.6.1), Content-Length too
// unless keepLength (the body is relayed as it came).
func stripHopByHop(h http.Header, keepLength bool) {
	stripConnectionListed(h)
	for k := range h {
		if isHopHeader(k) && !(keepLength && k == "Content-Length") {
			delete(h, k)
		}
	}
}

// forwardHeaders copies the headers policies left (h) into out for a
// backend request, minus hop-by-hop ones and those in skip, and sets
// X-Forwarded-* for the client request r: the REST forwarder and the
// WebSocket dial both send this. xf is room for the three X-Forwarded-*
// values that lives as long as out (setXForwarded).
func forwardHeaders(out http.Header, h engine.Headers, r *http.Request, skip func(string) bool, xf *[3]string) {
	for k, v := range h {
		if !isHopHeader(k) && !skip(k) {
			out[k] = v
		}
	}
	setXForwarded(out, r, xf)
}

// copyOutboundHeaders is checkOutboundHeaders and the copy forwardHeaders
// makes in one walk of the policies' headers h, for the REST proxy, which
// did both one after the other (one map iteration and its random start
// less per request: docs/http-server.md). Every field is checked before
// it is copied or skipped, hop-by-hop ones and those in skip too, so it
// refuses exactly what checkOutboundHeaders refuses; after an error out
// is partly filled and must be dropped. X-Forwarded-* are the caller's
// to set.
// It also says whether it copied an X-Forwarded-For (xff), for
// setXForwardedFrom's noPrior, and a User-Agent (ua), for outRequest.
func copyOutboundHeaders(out http.Header, h engine.Headers, skip func(string) bool) (xff, ua bool, err error) {
	for k, v := range h {
		if err := checkOutboundField(k, v); err != nil {
			return false, false, err
		}
		if !isHopHeader(k) && !skip(k) {
			out[k] = v
			xff = xff || k == "X-Forwarded-For"
			ua = ua || k == "User-Agent"
		}
	}
	return xff, ua, nil
}

// setXForwarded sets X-Forwarded-For/-Host/-Proto on out for the client
// request in, as net/http/httputil's ProxyRequest.SetXForwarded does. The
// three values are slices of room, which must live as long as out: the REST
// exchange's and the pooled dial map's own, so no allocation; nil: one.
func setXForwarded(out http.Header, in *http.Request, room *[3]string) {
	clientIP, _, err := net.SplitHostPort(in.RemoteAddr)
	setXForwardedFrom(out, in, clientIP, err == nil, false, room)
}

// setXForwardedFrom is setXForwarded with the client's address split off
// in.RemoteAddr already (ok: it had a port, as net.SplitHostPort's): the
// REST exchange split it when it began (clientIPOf), where setXForwarded
// split it a second time per request. noPrior: out is known to hold no
// X-Forwarded-For (copyOutboundHeaders copied none), so none is looked up.
func setXForwardedFrom(out http.Header, in *http.Request, clientIP string, ok, noPrior bool, room *[3]string) {
	if room == nil {
		room = new([3]string)
	}
	vals := room[:]
	if ok {
		if !noPrior {
			if prior := out["X-Forwarded-For"]; len(prior) > 0 {
				clientIP = strings.Join(prior, ", ") + ", " + clientIP
			}
		}
		vals[0] = clientIP
		out["X-Forwarded-For"] = vals[0:1:1]
	} else {
		delete(out, "X-Forwarded-For")
	}
	vals[1] = in.Host
	out["X-Forwarded-Host"] = vals[1:2:2]
	vals[2] = "http"
	if in.TLS != nil {
		vals[2] = "https"
	}
	out["X-Forwarded-Proto"] = vals[2:3:3]
}

// checkOutboundHeaders refuses headers that cannot be sent: a value with a
// CR, LF, NUL or other control character (a policy copying decoded client
// data, "%0d%0a", into a header) or a name that is no token. The client's
// data made them, so the answer is 400; nothing is sent to the backend.
func checkOutboundHeaders(h engine.Headers) error {
	for k, vs := range h {
		if err := checkOutboundField(k, vs); err != nil {
			return err
		}
	}
	return nil
}

// checkOutboundField is checkOutboundHeaders for one field.
func checkOutboundField(k string, vs []string) error {
	if !httpguts.ValidHeaderFieldName(k) {
		return fmt.Errorf("the header name %q is not a valid token", k)
	}
	for _, v := range vs {
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
				return fmt.Errorf("the header %s holds a control character", k)
			}
		}
	}
	return nil
}

// hostAllowed applies an API's allowed-hosts: the request's Host (its name,
// without the port) must match one of the patterns (path.Match syntax,
// case-insensitive). No patterns: any Host.
func hostAllowed(r *http.Request, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), host); ok {
			return true
		}
	}
	return false
}
