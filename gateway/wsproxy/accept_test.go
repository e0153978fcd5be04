package wsproxy

import "net/http"

// acceptWebSocket (tests only; the gateway validates first and calls
// Upgrade) upgrades the client: it validates r, hijacks the
// connection and writes the 101 with subprotocol (if not "") and the extra
// headers (the policy-recorded response headers). A request that is not a
// valid upgrade gets 400 (with Sec-WebSocket-Version: 13 for a bad version)
// and an error; the caller must not write to w afterwards either way.
func acceptWebSocket(w http.ResponseWriter, r *http.Request, subprotocol string, extra http.Header) (*Conn, error) {
	key, err := CheckRequest(r)
	if err != nil {
		if r.Header.Get("Sec-WebSocket-Version") != "13" {
			w.Header().Set("Sec-WebSocket-Version", "13")
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, err
	}
	return Upgrade(w, key, subprotocol, extra)
}
