package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// Tool selection on a pass-through MCP server (tollgate's governance
// feature, docs/mcp.md): when its apiInformation.json lists mcpTools, only
// those of the backend's tools are offered and callable. A tools/call of
// another is answered by the gateway with a JSON-RPC error and never
// reaches the backend; tools/list answers are filtered, as JSON or as
// events.

// mcpRefuseCalls reads a JSON-RPC POST body (a message or a batch) and,
// when it calls a tool not in allowed, returns the answer to send instead
// of forwarding it. body is what was read, to forward otherwise.
func mcpRefuseCalls(r *http.Request, data []byte, allowed map[string]bool, sse bool) *http.Response {
	var msgs []json.RawMessage
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		if json.Unmarshal(t, &msgs) != nil {
			return nil // the backend answers malformed JSON-RPC itself
		}
	} else {
		msgs = []json.RawMessage{data}
	}
	for _, raw := range msgs {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(raw, &m) != nil || m.Method != "tools/call" || allowed[m.Params.Name] {
			continue
		}
		id := m.ID
		if len(id) == 0 {
			id = json.RawMessage("null")
		}
		body := `{"jsonrpc":"2.0","id":` + string(id) + `,"error":{"code":-32602,"message":` + strconv.Quote("Unknown tool: "+m.Params.Name) + `}}`
		status := http.StatusOK
		if sse {
			// Over HTTP+SSE an answer belongs on the stream; the POST is
			// refused instead, with the error as its body.
			status = http.StatusForbidden
		}
		return &http.Response{
			StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          io.NopCloser(bytes.NewReader([]byte(body))),
			ContentLength: int64(len(body)), Request: r,
		}
	}
	return nil
}

// filterToolLists removes the tools not in allowed from every tools/list
// result in data (a JSON-RPC message or a batch); data as it is when it
// holds none.
func filterToolLists(data []byte, allowed map[string]bool) []byte {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || !bytes.Contains(t, []byte(`"tools"`)) {
		return data
	}
	if t[0] == '[' {
		var msgs []json.RawMessage
		if json.Unmarshal(t, &msgs) != nil {
			return data
		}
		changed := false
		for i, m := range msgs {
			if f := filterToolList(m, allowed); f != nil {
				msgs[i], changed = f, true
			}
		}
		if !changed {
			return data
		}
		out, err := json.Marshal(msgs)
		if err != nil {
			return data
		}
		return out
	}
	if f := filterToolList(t, allowed); f != nil {
		return f
	}
	return data
}

// filterToolList filters one message's result.tools; nil when it has none.
func filterToolList(msg json.RawMessage, allowed map[string]bool) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(msg, &m) != nil || m["result"] == nil {
		return nil
	}
	var res map[string]json.RawMessage
	if json.Unmarshal(m["result"], &res) != nil || res["tools"] == nil {
		return nil
	}
	var tools []json.RawMessage
	if json.Unmarshal(res["tools"], &tools) != nil {
		return nil
	}
	kept := make([]json.RawMessage, 0, len(tools))
	for _, tl := range tools {
		var n struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(tl, &n) == nil && allowed[n.Name] {
			kept = append(kept, tl)
		}
	}
	var err error
	if res["tools"], err = json.Marshal(kept); err != nil {
		return nil
	}
	if m["result"], err = json.Marshal(res); err != nil {
		return nil
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return out
}

// filterEvent filters the data of one SSE event (its data lines joined).
func filterEvent(ev []byte, allowed map[string]bool) []byte {
	lines := bytes.Split(bytes.ReplaceAll(ev, []byte("\r\n"), []byte("\n")), []byte("\n"))
	var data [][]byte
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte("data:")) {
			data = append(data, bytes.TrimPrefix(l[5:], []byte(" ")))
		}
	}
	if len(data) == 0 {
		return ev
	}
	joined := bytes.Join(data, []byte("\n"))
	f := filterToolLists(joined, allowed)
	if bytes.Equal(f, joined) {
		return ev
	}
	var b bytes.Buffer
	wrote := false
	for _, l := range lines {
		switch {
		case bytes.HasPrefix(l, []byte("data:")):
			if !wrote {
				b.WriteString("data: ")
				b.Write(f)
				b.WriteByte('\n')
				wrote = true
			}
		case len(l) == 0:
		default:
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// filteredJSONBody is a JSON answer with its tools/list filtered: read
// whole (up to max bytes; a larger one passes as it is).
func filteredJSONBody(body io.ReadCloser, max int64, allowed map[string]bool) io.ReadCloser {
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil || int64(len(data)) > max {
		return prefixedBody{io.MultiReader(bytes.NewReader(data), body), body}
	}
	body.Close()
	return io.NopCloser(bytes.NewReader(filterToolLists(data, allowed)))
}
