package policies

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"tollgate/engine"
)

// enforce-on-completions="true": llm-content-safety, in inbound, also
// checks the model's answer before the client gets it, as newer APIM does
// ("enforce content safety checks also on chat completions for response
// validation"). When the backend's response arrives, before outbound
// (engine.State.OnBackendResponse), its completion text goes to
// text:analyze with the policy's categories, blocklists and output type:
//
//   - a JSON answer: choices[].message.content (a string or its text
//     parts) of a chat completion, choices[].text of a completion, the
//     output text (output[] messages' content parts) of a Responses answer,
//     each choice's text joined by newlines;
//   - a streamed one (text/event-stream): the concatenated
//     choices[].delta.content, choices[].text and Responses
//     response.output_text.delta deltas of its events, per choice.
//
// Reading the answer makes the gateway hold it whole (up to the API's
// max-body-size) and send it from memory: a streamed answer reaches the
// client at once, after the check. An answer with no completion text (an
// error, embeddings, another API's body) passes unchecked, as does one
// that is neither JSON nor a stream. A gzip or deflate answer is decoded to
// be checked; another Content-Encoding fails (500) rather than pass
// unchecked.
//
// A flagged JSON answer is replaced with 403 and APIM's error body; a
// flagged stream, as APIM documents ("stops forwarding further events to
// the client. A 403 error isn't returned"), keeps its status and headers
// and loses every event: the client sees the stream end. An answer whose
// text is over Content Safety's 10,000 characters, or whose body is over
// max-body-size, is replaced with 403 (APIM: "If the request or response
// exceeds the character limit ... 403"), streamed or not; a Content Safety
// service that fails or does not answer in time gives 500 (reason
// ContentSafetyFailure, or Timeout), streamed or not. These replacements
// happen before outbound, which sees them as context.Response and
// context.LastError (they do not run on-error: the check is not a step).

// checkCompletions arranges for the backend's answer to be checked with
// req's categories, blocklists and output type.
func (cs *llmContentSafety) checkCompletions(ctx context.Context, s *engine.State, backend string, req analyzeRequest, thresholds map[string]int64) {
	// The answer arrives after inbound's context has ended: the call gets
	// the request's values and its own deadline (Deps.AzureCallTimeout).
	base := context.WithoutCancel(ctx)
	s.OnBackendResponse(func(s *engine.State) {
		cs.checkAnswer(base, s, backend, req, thresholds)
	})
}

func (cs *llmContentSafety) checkAnswer(ctx context.Context, s *engine.State, backend string, req analyzeRequest, thresholds map[string]int64) {
	r := s.Context().Response
	if r == nil || r.Body == nil {
		return
	}
	mt := mediaType(r.Headers.GetValueOrDefault("Content-Type", ""))
	sse := mt == "text/event-stream"
	if !sse && mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		s.Tracef("llm-content-safety: the answer (%s) is not a completion: not checked", mt)
		return
	}
	data, err := r.Body.Bytes()
	switch {
	case errors.Is(err, engine.ErrBodyTooLarge):
		cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyTooLong,
			"The response is larger than the API's max-body-size: content safety cannot check it.")
		return
	case err != nil:
		// The backend's answer broke off: the gateway answers for it (502).
		s.Tracef("llm-content-safety: the answer could not be read: not checked")
		return
	}
	if enc := strings.ToLower(strings.TrimSpace(r.Headers.GetValueOrDefault("Content-Encoding", ""))); enc != "" && enc != "identity" {
		decoded, err := decodeAnswer(enc, data)
		switch {
		case errors.Is(err, engine.ErrBodyTooLarge):
			cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyTooLong,
				fmt.Sprintf("The response is larger than %d bytes once decoded: content safety cannot check it.", maxDecodedAnswer))
			return
		case err != nil:
			cs.replaceAnswer(s, 500, ReasonContentSafetyFailure, "llm-content-safety: the answer cannot be checked: "+err.Error())
			return
		}
		data = decoded
	}
	text := completionText(data, sse)
	if strings.TrimSpace(text) == "" {
		s.Tracef("llm-content-safety: the answer has no completion text to check")
		return
	}
	if n := utf8.RuneCountInString(text); n > contentSafetyMaxText {
		cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyTooLong,
			fmt.Sprintf("The response's text (%d characters) is longer than the %d characters content safety can check.", n, contentSafetyMaxText))
		return
	}
	if cs.k.backends == nil {
		cs.replaceAnswer(s, 500, ReasonContentSafetyFailure, "llm-content-safety: backend "+backend+": "+errNoBackends.Error())
		return
	}
	be, err := cs.k.backends.PolicyBackend(ctx, s, backend)
	if err != nil {
		cs.replaceAnswer(s, 500, ReasonContentSafetyFailure, "llm-content-safety: backend "+backend+": "+err.Error())
		return
	}
	req.Text = text
	var res analyzeResult
	if err := cs.call(ctx, s, be, "text:analyze", "2023-10-01", &req, &res); err != nil {
		status, reason, msg := 500, ReasonContentSafetyFailure, err.Error()
		var pe *engine.PolicyError
		if errors.As(err, &pe) {
			status, reason, msg = statusOr(pe.Status), pe.Reason, pe.Message
		}
		if errors.Is(err, context.DeadlineExceeded) {
			reason = engine.ReasonTimeout
		}
		cs.replaceAnswer(s, status, reason, msg)
		return
	}
	why := verdict(s, &res, thresholds)
	if why == "" {
		s.Tracef("llm-content-safety: the answer passed")
		return
	}
	msg := "The response was blocked by content safety: " + why + "."
	if sse {
		// APIM: the stream stops; no 403.
		r.Body = engine.NewBody(nil)
		s.Context().LastError = &engine.LastError{Source: "llm-content-safety", Reason: ReasonContentSafetyBlocked, Message: msg, Section: "outbound"}
		s.Tracef("llm-content-safety: the streamed answer is flagged: its events are not sent")
		return
	}
	cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyBlocked, msg)
}

// maxDecodedAnswer bounds a compressed answer once decoded.
const maxDecodedAnswer = 16 << 20

// decodeAnswer decodes an answer sent with Content-Encoding enc (the
// client's Accept-Encoding reaches the backend): gzip or deflate; another
// encoding cannot be checked (and is not let through unchecked).
func decodeAnswer(enc string, data []byte) ([]byte, error) {
	var rd io.Reader
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("its gzip encoding is broken")
		}
		rd = zr
	case "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("its deflate encoding is broken")
		}
		rd = zr
	default:
		return nil, fmt.Errorf("it is encoded with %q, which tollgate does not decode", enc)
	}
	out, err := io.ReadAll(io.LimitReader(rd, maxDecodedAnswer+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("its %s encoding is broken", enc)
	case len(out) > maxDecodedAnswer:
		return nil, engine.ErrBodyTooLarge
	}
	return out, nil
}

func statusOr(status int) int {
	if status == 0 {
		return 500
	}
	return status
}

// replaceAnswer replaces the backend's answer with APIM's error body, and
// records why in context.LastError (the gateway does not log it as a
// policy failure: the check is not a step, so it is logged here).
func (cs *llmContentSafety) replaceAnswer(s *engine.State, status int, reason, msg string) {
	s.Tracef("llm-content-safety: the answer is replaced with %d: %s", status, msg)
	public := msg
	if status >= 500 {
		public = "Internal server error" // as a failed step's (engine: publicMessage)
	}
	s.SetResponse(engine.ErrorResponse(status, public))
	s.Context().LastError = &engine.LastError{Source: "llm-content-safety", Reason: reason, Message: msg, Section: "outbound"}
	if status >= 500 {
		cs.k.log.Warn("llm-content-safety: the answer could not be checked", zap.String("reason", reason), zap.String("message", msg),
			zap.String("request_id", s.Context().RequestId))
	}
}

// completionText is the text of an answer that enforce-on-completions
// checks: see the comment at the top of this file.
func completionText(data []byte, sse bool) string {
	if sse {
		return streamedCompletionText(data)
	}
	var ans struct {
		Choices []struct {
			Message *struct {
				Content any `json:"content"`
			} `json:"message"`
			Text any `json:"text"`
		} `json:"choices"`
		Output []struct {
			Type    string `json:"type"`
			Content any    `json:"content"`
		} `json:"output"`
	}
	if json.Unmarshal(bytes.TrimSpace(data), &ans) != nil {
		return ""
	}
	var parts []string
	for _, c := range ans.Choices {
		var p []string
		if c.Message != nil {
			collectText(c.Message.Content, &p)
		}
		collectText(c.Text, &p)
		parts = append(parts, p...)
	}
	for _, o := range ans.Output {
		if o.Type == "message" || o.Type == "" {
			collectText(o.Content, &parts)
		}
	}
	return strings.Join(parts, "\n")
}

// streamChunk is what completionText reads of a streamed event.
type streamChunk struct {
	Type        string `json:"type"`
	Delta       any    `json:"delta"`
	OutputIndex int    `json:"output_index"`
	Choices     []struct {
		Index int `json:"index"`
		Delta struct {
			Content any `json:"content"`
		} `json:"delta"`
		Text any `json:"text"`
	} `json:"choices"`
}

// streamedCompletionText concatenates a stream's deltas, per choice (and
// per Responses output item), the choices joined by newlines in the order
// they first appear.
func streamedCompletionText(data []byte) string {
	texts := map[int]*strings.Builder{}
	first := map[int]int{}
	add := func(key int, v any) {
		t, ok := v.(string)
		if !ok || t == "" {
			return
		}
		b := texts[key]
		if b == nil {
			b = &strings.Builder{}
			texts[key] = b
			first[key] = len(first)
		}
		b.WriteString(t)
	}
	event := func(payload []byte) {
		payload = bytes.TrimSpace(payload)
		if len(payload) == 0 || payload[0] != '{' {
			return // [DONE], keep-alives
		}
		var c streamChunk
		if json.Unmarshal(payload, &c) != nil {
			return
		}
		if c.Type == "response.output_text.delta" {
			add(-1-c.OutputIndex, c.Delta)
		}
		for _, ch := range c.Choices {
			add(ch.Index, ch.Delta.Content)
			add(ch.Index, ch.Text)
		}
	}
	var ev []byte // the event's data lines so far
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r")
		switch {
		case len(line) == 0:
			event(ev)
			ev = ev[:0]
		case bytes.HasPrefix(line, dataPrefix):
			v := line[len(dataPrefix):]
			if len(v) > 0 && v[0] == ' ' {
				v = v[1:]
			}
			if len(ev) > 0 {
				ev = append(ev, '\n')
			}
			ev = append(ev, v...)
		}
	}
	event(ev) // a stream that ends without a blank line
	keys := make([]int, 0, len(texts))
	for k := range texts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return first[keys[i]] < first[keys[j]] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, texts[k].String())
	}
	return strings.Join(parts, "\n")
}
