package policies

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"tollgate/engine"
)

// Token counting for the AI gateway policies (llm-token-limit,
// llm-emit-token-metric and their azure-openai-* names), from
// OpenAI-compatible chat and completion APIs.

// tokenUsage is what one call consumed.
type tokenUsage struct {
	Prompt, Completion, Total int64
	Reported                  bool // the backend said so (usage); otherwise estimated/counted
}

// llmRequest is what the policies read from the request body.
type llmRequest struct {
	stream          bool
	estimatedPrompt int64
}

// readLLMRequest reads stream and estimates the prompt's tokens (see
// estimateTokens) from an OpenAI-style body: messages[].content (text or
// parts), prompt (text or list), input (embeddings). A body that is not
// JSON estimates from its length.
func readLLMRequest(s *engine.State) llmRequest {
	var r llmRequest
	b := s.Context().Request.Body
	if b == nil {
		return r
	}
	data, err := b.Bytes()
	if err != nil || len(data) == 0 {
		return r
	}
	var body struct {
		Stream   bool `json:"stream"`
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Prompt json.RawMessage `json:"prompt"`
		Input  json.RawMessage `json:"input"`
	}
	if json.Unmarshal(data, &body) != nil {
		r.estimatedPrompt = estimateTokens(string(data))
		return r
	}
	r.stream = body.Stream
	for _, m := range body.Messages {
		r.estimatedPrompt += 4 + estimateJSONText(m.Content) // per-message framing, as OpenAI counts it
	}
	if len(body.Messages) > 0 {
		r.estimatedPrompt += 3
	}
	r.estimatedPrompt += estimateJSONText(body.Prompt) + estimateJSONText(body.Input)
	return r
}

// estimateJSONText estimates the tokens of every string inside v.
func estimateJSONText(v json.RawMessage) int64 {
	if len(v) == 0 {
		return 0
	}
	var x any
	if json.Unmarshal(v, &x) != nil {
		return 0
	}
	var n int64
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case string:
			n += estimateTokens(t)
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			if txt, ok := t["text"].(string); ok {
				n += estimateTokens(txt)
			}
		}
	}
	walk(x)
	return n
}

// estimateTokens is a tokenizer-free estimate: about 4 characters of
// English per token (OpenAI's rule of thumb), and a token per character
// for non-Latin text, whichever is larger, rounded up.
func estimateTokens(s string) int64 {
	if s == "" {
		return 0
	}
	runes := int64(utf8.RuneCountInString(s))
	wide := int64(0)
	for _, r := range s {
		if r >= 0x2E80 { // CJK and later blocks: about one token per character
			wide++
		}
	}
	return max((runes-wide+3)/4+wide, 1)
}

// usageCounter reads a response as it streams: a JSON body's usage, or an
// SSE stream's chunks (usage when the last chunk carries it, else one
// completion token per content delta). It keeps at most maxUsageBuffer
// bytes of a non-streamed body and only the current line of a stream.
type usageCounter struct {
	sse      bool
	buf      bytes.Buffer // JSON body, or the SSE line in progress
	overflow bool
	usage    tokenUsage
	deltas   int64
}

const maxUsageBuffer = 4 << 20

func newUsageCounter(contentType string) *usageCounter {
	return &usageCounter{sse: mediaType(contentType) == "text/event-stream"}
}

// write takes the next chunk of the body.
func (u *usageCounter) write(p []byte) {
	if !u.sse {
		if u.buf.Len()+len(p) > maxUsageBuffer {
			u.overflow = true
			return
		}
		u.buf.Write(p)
		return
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if u.buf.Len()+len(p) <= maxUsageBuffer {
				u.buf.Write(p)
			}
			return
		}
		u.buf.Write(p[:i])
		u.line(u.buf.Bytes())
		u.buf.Reset()
		p = p[i+1:]
	}
}

// sseChunk is the part of a streamed chunk the counter reads.
type sseChunk struct {
	Choices []struct {
		Delta struct {
			Content   *string         `json:"content"`
			ToolCalls json.RawMessage `json:"tool_calls"`
		} `json:"delta"`
		Text *string `json:"text"`
	} `json:"choices"`
	Usage *usageJSON `json:"usage"`
}

type usageJSON struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

var dataPrefix = []byte("data:")

func (u *usageCounter) line(l []byte) {
	l = bytes.TrimRight(l, "\r")
	if !bytes.HasPrefix(l, dataPrefix) {
		return
	}
	l = bytes.TrimSpace(l[len(dataPrefix):])
	if len(l) == 0 || l[0] != '{' {
		return // [DONE] and keep-alives
	}
	var c sseChunk
	if json.Unmarshal(l, &c) != nil {
		return
	}
	if c.Usage != nil && (c.Usage.TotalTokens > 0 || c.Usage.PromptTokens > 0) {
		u.usage = tokenUsage{Prompt: c.Usage.PromptTokens, Completion: c.Usage.CompletionTokens, Total: c.Usage.TotalTokens, Reported: true}
	}
	for _, ch := range c.Choices {
		if (ch.Delta.Content != nil && *ch.Delta.Content != "") || (ch.Text != nil && *ch.Text != "") || len(ch.Delta.ToolCalls) > 0 {
			u.deltas++
		}
	}
}

// result gives what was consumed, estimating the prompt with prompt when
// the backend did not report usage.
func (u *usageCounter) result(prompt int64) tokenUsage {
	if !u.sse && !u.overflow && u.buf.Len() > 0 {
		var body struct {
			Usage *usageJSON `json:"usage"`
		}
		if json.Unmarshal(u.buf.Bytes(), &body) == nil && body.Usage != nil {
			u.usage = tokenUsage{Prompt: body.Usage.PromptTokens, Completion: body.Usage.CompletionTokens, Total: body.Usage.TotalTokens, Reported: true}
		}
	}
	if u.usage.Reported {
		if u.usage.Total == 0 {
			u.usage.Total = u.usage.Prompt + u.usage.Completion
		}
		return u.usage
	}
	return tokenUsage{Prompt: prompt, Completion: u.deltas, Total: prompt + u.deltas}
}
