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
	"strings"
	"sync"

	"go.uber.org/zap"

	"tollgate/engine"
)

// enforce-on-completions="true": llm-content-safety, in inbound, also
// checks the model's answer before the client gets it, as newer APIM does
// ("enforce content safety checks also on chat completions for response
// validation"), with text:analyze and the policy's categories, blocklists
// and output type.
//
// A JSON answer is checked when it arrives, before outbound
// (engine.State.OnBackendResponse): its text is choices[].message.content
// (a string or its text parts) of a chat completion, choices[].text of a
// completion, the output text (output[] messages' content parts) of a
// Responses answer, each choice's text joined by newlines. Reading it makes
// the gateway hold it whole (up to the API's max-body-size). Without
// window-size it is one call, and text over Content Safety's 10,000
// characters is replaced with 403 (APIM: "If the request or response
// exceeds the character limit ... 403"); with window-size it is cut into
// windows (llm_content_safety_window.go), up to contentSafetyMaxWindows of
// them, checked up to contentSafetyParallel at a time. A flagged answer is
// replaced with 403 and APIM's error body; a Content Safety service that
// fails or does not answer in time, with 500 (reason ContentSafetyFailure,
// or Timeout). Outbound sees the replacement as context.Response and
// context.LastError (on-error does not run: the check is not a step).
//
// A streamed answer (text/event-stream) is checked as it is sent, after
// outbound (engine.State.FilterResponseBody, csStream): its events go to
// the client once the text they carry (choices[].delta.content,
// choices[].text, Responses response.output_text.delta, per choice) has
// been checked, in windows of window-size characters (10,000, APIM's
// default, when it is not given). A flagged window, or a check that fails,
// stops the stream, as APIM documents ("stops forwarding further events to
// the client. A 403 error isn't returned"): the status and headers went
// out already, the client sees the stream end without its [DONE], and
// context.LastError, the trace and a log line say why.
//
// An answer with no completion text (an error, embeddings, another API's
// body) passes unchecked, as does one that is neither JSON nor a stream. A
// gzip or deflate answer is decoded to be checked (a stream's released
// events are encoded again); another Content-Encoding is replaced with 500
// rather than pass unchecked.

// answerWindows is how an answer is cut: windows of size characters
// overlapping by overlap; set: window-size was given (a JSON answer is then
// cut; without it, it is checked whole).
type answerWindows struct {
	size, overlap int
	set           bool
}

// windows evaluates window-size and window-overlap-size.
func (cs *llmContentSafety) windows(s *engine.State) (answerWindows, error) {
	size, err := cs.windowSize.Eval(s)
	if err != nil {
		return answerWindows{}, err
	}
	overlap, err := cs.windowOverlap.Eval(s)
	if err != nil {
		return answerWindows{}, err
	}
	if overlap >= size {
		return answerWindows{}, engine.NewPolicyError(engine.ReasonExpression, 500,
			fmt.Sprintf("llm-content-safety: window-overlap-size (%d) is not smaller than window-size (%d)", overlap, size), nil)
	}
	return answerWindows{size: int(size), overlap: int(overlap), set: cs.windowSet}, nil
}

// contentSafetyMaxWindows bounds the windows of one JSON answer, and
// contentSafetyParallel the calls that check them side by side.
const (
	contentSafetyMaxWindows = 100
	contentSafetyParallel   = 4
)

// checkCompletions arranges for the backend's answer to be checked with
// req's categories, blocklists and output type.
func (cs *llmContentSafety) checkCompletions(ctx context.Context, s *engine.State, backend string, req analyzeRequest, thresholds map[string]int64, win answerWindows) {
	// The answer arrives after inbound's context has ended: the call gets
	// the request's values and its own deadline (Deps.AzureCallTimeout).
	base := context.WithoutCancel(ctx)
	s.OnBackendResponse(func(s *engine.State) {
		cs.checkAnswer(base, s, backend, req, thresholds, win)
	})
}

func (cs *llmContentSafety) checkAnswer(ctx context.Context, s *engine.State, backend string, req analyzeRequest, thresholds map[string]int64, win answerWindows) {
	r := s.Context().Response
	if r == nil || r.Body == nil {
		return
	}
	mt := mediaType(r.Headers.GetValueOrDefault("Content-Type", ""))
	if mt == "text/event-stream" {
		cs.checkStream(ctx, s, backend, req, thresholds, win)
		return
	}
	if mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
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
	if enc := answerEncoding(r.Headers); enc != "" {
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
	text := completionText(data, false)
	if strings.TrimSpace(text) == "" {
		s.Tracef("llm-content-safety: the answer has no completion text to check")
		return
	}
	windows := []string{text}
	if win.set {
		windows = textWindowsUpTo(text, win.size, win.overlap, contentSafetyMaxWindows)
		if len(windows) > contentSafetyMaxWindows {
			cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyTooLong,
				fmt.Sprintf("The response's text (%d characters) needs more than %d windows of %d characters: content safety checks at most %d.",
					utf16Len(text), contentSafetyMaxWindows, win.size, contentSafetyMaxWindows))
			return
		}
	} else if n := utf16Len(text); n > contentSafetyMaxText {
		cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyTooLong,
			fmt.Sprintf("The response's text (%d characters) is longer than the %d characters content safety can check.", n, contentSafetyMaxText))
		return
	}
	be, ok := cs.answerBackend(ctx, s, backend)
	if !ok {
		return
	}
	why, err := cs.analyzeWindows(ctx, s, be, req, thresholds, windows)
	switch {
	case why != "":
		cs.replaceAnswer(s, http.StatusForbidden, ReasonContentSafetyBlocked, "The response was blocked by content safety: "+why+".")
	case err != nil:
		status, reason, msg := failure(err)
		cs.replaceAnswer(s, status, reason, msg)
	default:
		s.Tracef("llm-content-safety: the answer passed")
	}
}

// answerBackend resolves the Content Safety backend for an answer; when it
// cannot, the answer is replaced with 500.
func (cs *llmContentSafety) answerBackend(ctx context.Context, s *engine.State, backend string) (*PolicyBackend, bool) {
	if cs.k.backends == nil {
		cs.replaceAnswer(s, 500, ReasonContentSafetyFailure, "llm-content-safety: backend "+backend+": "+errNoBackends.Error())
		return nil, false
	}
	be, err := cs.k.backends.PolicyBackend(ctx, s, backend)
	if err != nil {
		cs.replaceAnswer(s, 500, ReasonContentSafetyFailure, "llm-content-safety: backend "+backend+": "+err.Error())
		return nil, false
	}
	return be, true
}

// failure is the status, reason and message of a failed check.
func failure(err error) (int, string, string) {
	status, reason, msg := 500, ReasonContentSafetyFailure, err.Error()
	var pe *engine.PolicyError
	if errors.As(err, &pe) {
		status, reason, msg = statusOr(pe.Status), pe.Reason, pe.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		reason = engine.ReasonTimeout
	}
	return status, reason, msg
}

// analyzeWindows checks each window with text:analyze, up to
// contentSafetyParallel side by side, and returns why the first flagged
// one (in the order the answers came) is, or else the first failure. Once
// a window is flagged or fails, no further call starts (those under way
// finish: cancelling them would count as failures in the backend's
// circuit breaker).
func (cs *llmContentSafety) analyzeWindows(ctx context.Context, s *engine.State, be *PolicyBackend, req analyzeRequest, thresholds map[string]int64, windows []string) (string, error) {
	if len(windows) == 1 {
		req.Text = windows[0]
		var res analyzeResult
		if err := cs.call(ctx, s, nil, be, "text:analyze", "2023-10-01", &req, &res); err != nil {
			return "", err
		}
		return verdict(s, &res, thresholds), nil
	}
	var (
		mu       sync.Mutex
		why      string
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, contentSafetyParallel)
	for _, w := range windows {
		sem <- struct{}{}
		mu.Lock()
		done := why != "" || firstErr != nil
		mu.Unlock()
		if done {
			<-sem
			break
		}
		wg.Add(1)
		go func(r analyzeRequest) {
			defer func() { <-sem; wg.Done() }()
			var res analyzeResult
			err := cs.call(ctx, s, &mu, be, "text:analyze", "2023-10-01", &r, &res)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case why != "":
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			default:
				why = verdict(s, &res, thresholds)
			}
		}(analyzeRequest{Text: w, Categories: req.Categories, BlocklistNames: req.BlocklistNames, OutputType: req.OutputType})
	}
	wg.Wait()
	if why != "" {
		return why, nil
	}
	return "", firstErr
}

// checkStream arranges for a streamed answer to be checked as it is sent
// (csStream): the backend entity is resolved, and an encoding that cannot
// be decoded refused, now, while the answer can still be replaced. An
// outbound policy that reads the answer's body reads it checked (cut short
// when a window is flagged): what it keeps or derives (cache-store,
// set-body) is checked text, and the answer is not checked twice.
func (cs *llmContentSafety) checkStream(ctx context.Context, s *engine.State, backend string, req analyzeRequest, thresholds map[string]int64, win answerWindows) {
	r := s.Context().Response
	if enc := answerEncoding(r.Headers); enc != "" && streamDecoding(enc) == "-" {
		cs.replaceAnswer(s, 500, ReasonContentSafetyFailure, fmt.Sprintf("llm-content-safety: the answer cannot be checked: it is encoded with %q, which tollgate does not decode", enc))
		return
	}
	be, ok := cs.answerBackend(ctx, s, backend)
	if !ok {
		return
	}
	stream := func(body io.ReadCloser, enc string) *csStream {
		c := &csStream{body: body, size: win.size, overlap: win.overlap}
		c.check = func(window string) (string, error) {
			r := req
			r.Text = window
			var res analyzeResult
			if err := cs.call(ctx, s, nil, be, "text:analyze", "2023-10-01", &r, &res); err != nil {
				return "", err
			}
			return verdict(s, &res, thresholds), nil
		}
		c.halt = func(reason, msg string) { cs.haltStream(s, reason, msg) }
		if enc != "" {
			c.enc = streamDecoding(enc)
			if c.enc == "-" {
				c.enc = ""
				c.src = body
				c.stop(ReasonContentSafetyFailure, fmt.Sprintf("llm-content-safety: the streamed answer is encoded with %q, which tollgate does not decode", enc))
			}
			c.newStreamEncoder() // decoded to be checked, encoded again to be sent
		}
		s.Tracef("llm-content-safety: the streamed answer is checked in windows of %d characters overlapping by %d", win.size, win.overlap)
		return c
	}
	body, enc := r.Body, answerEncoding(r.Headers)
	checked := false
	body.TransformOnLoad(func(data []byte, err error) ([]byte, error) {
		if err != nil {
			return data, err // over max-body-size, or broken off: the gateway sends it streamed, checked then
		}
		checked = true
		out, err := io.ReadAll(stream(io.NopCloser(bytes.NewReader(data)), enc))
		if err != nil {
			return nil, err
		}
		return out, nil
	})
	s.FilterResponseBody(func(h engine.Headers, sent io.ReadCloser) io.ReadCloser {
		switch mt := mediaType(h.GetValueOrDefault("Content-Type", "")); {
		case checked:
			return sent // an outbound policy read it: checked then
		case mt != "text/event-stream":
			s.Tracef("llm-content-safety: outbound made the streamed answer a %q one: not checked", mt)
			return sent
		}
		return stream(sent, answerEncoding(h))
	})
}

// haltStream records why a checked stream stopped early, as context.LastError
// (APIM: "stops forwarding further events to the client. A 403 error isn't
// returned"), the trace and a log line.
func (cs *llmContentSafety) haltStream(s *engine.State, reason, msg string) {
	s.Context().LastError = &engine.LastError{Source: "llm-content-safety", Reason: reason, Message: msg, Section: "outbound"}
	s.Tracef("llm-content-safety: the streamed answer is stopped: %s", msg)
	log := cs.k.log.Info
	if reason != ReasonContentSafetyBlocked {
		log = cs.k.log.Warn
	}
	log("llm-content-safety: the streamed answer was stopped", zap.String("reason", reason), zap.String("message", msg),
		zap.String("request_id", s.Context().RequestId))
}

// answerEncoding is the answer's Content-Encoding, lower case ("" for none
// or identity).
func answerEncoding(h engine.Headers) string {
	enc := strings.ToLower(strings.TrimSpace(h.GetValueOrDefault("Content-Encoding", "")))
	if enc == "identity" {
		return ""
	}
	return enc
}

// streamDecoding is how csStream decodes enc: gzip, deflate, or "-" when
// it cannot.
func streamDecoding(enc string) string {
	switch enc {
	case "gzip", "x-gzip":
		return "gzip"
	case "deflate":
		return "deflate"
	}
	return "-"
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

// streamedCompletionText concatenates a stream's deltas, per choice (and
// per Responses output item), the choices joined by newlines in the order
// they first appear. A checked stream is not read whole (csStream): this is
// the text its windows cut.
func streamedCompletionText(data []byte) string {
	texts := map[int]*strings.Builder{}
	var order []int
	add := func(key int, t string) {
		b := texts[key]
		if b == nil {
			b = &strings.Builder{}
			texts[key] = b
			order = append(order, key)
		}
		b.WriteString(t)
	}
	var sp sseSplitter
	sp.feed(data)
	for ev := sp.next(); ev != nil; ev = sp.next() {
		eventTexts(ev, add)
	}
	eventTexts(sp.rest(), add) // a stream that ends without a blank line
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, texts[k].String())
	}
	return strings.Join(parts, "\n")
}
