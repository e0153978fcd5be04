package policies

import (
	"bytes"
	"math"
	"testing"
	"unicode/utf8"
)

// FuzzSemanticPrompt reads arbitrary request bodies as the semantic cache
// lookup does. Invariants: no panic; a body it takes has a kind and valid
// UTF-8 text; ignoring system messages never counts more messages.
//
//	go test -run x -fuzz FuzzSemanticPrompt -fuzztime 60s ./policies/
func FuzzSemanticPrompt(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}}]}],"stream":true}`,
		`{"system":"s","messages":[{"role":"user","content":"anthropic"}]}`,
		`{"prompt":["a","b"]}`, `{"input":[{"role":"developer","content":"d"},"plain",{"x":1}],"instructions":"i"}`,
		`{"messages":null}`, `{"messages":[1,"x",null]}`, `[]`, `"x"`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		all, ok := semanticPromptOf(body, false)
		some, ok2 := semanticPromptOf(body, true)
		if ok != ok2 {
			t.Fatalf("ignoring system messages changed whether the body is a prompt")
		}
		if !ok {
			return
		}
		if all.kind != "chat" && all.kind != "completion" && all.kind != "responses" {
			t.Fatalf("kind %q", all.kind)
		}
		if !utf8.ValidString(all.text) || !utf8.ValidString(some.text) {
			t.Fatalf("text is not UTF-8: %q", all.text)
		}
		if some.messages > all.messages || some.messages < 0 {
			t.Fatalf("messages: %d ignoring system ones, %d with them", some.messages, all.messages)
		}
	})
}

// FuzzSemanticEntry decodes arbitrary bytes as a cached entry (what the
// store hands back, Redis's included). Invariants: no panic; an entry it
// takes encodes back to the same bytes, and is compared without panic.
func FuzzSemanticEntry(f *testing.F) {
	f.Add(encodeSemanticEntry([16]byte{1, 2, 3}, []float32{0.6, 0.8}))
	f.Add(encodeSemanticEntry([16]byte{}, []float32{1}))
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, dims, ok := decodeSemanticEntry(b)
		if !ok {
			if _, _, found := semanticNearest([][]byte{b}, []float32{1}); found {
				t.Fatal("a bad entry was compared")
			}
			return
		}
		vec := make([]float32, dims)
		for i := range vec {
			vec[i] = math.Float32frombits(uint32(b[19+4*i]) | uint32(b[20+4*i])<<8 | uint32(b[21+4*i])<<16 | uint32(b[22+4*i])<<24)
		}
		if !bytes.Equal(encodeSemanticEntry(id, vec), b) {
			t.Fatal("the entry does not encode back to the same bytes")
		}
		q := make([]float32, dims)
		q[0] = 1
		semanticNearest([][]byte{b, b[:len(b)-1]}, q)
	})
}

// FuzzParseEmbedding reads arbitrary embeddings answers. Invariants: no
// panic; a vector it takes has 1..semanticMaxDims finite dimensions and
// unit length.
func FuzzParseEmbedding(f *testing.F) {
	for _, s := range []string{
		`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.3]}]}`,
		`{"data":[{"embedding":[0,0]}]}`, `{"data":[{"embedding":[1e308,1e308]}]}`, `{"data":[]}`,
		`{"data":[{"embedding":"AAAA"}]}`, `null`, `{"data":[{"embedding":[1e-320]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseEmbedding(data)
		if err != nil {
			return
		}
		if len(v) == 0 || len(v) > semanticMaxDims {
			t.Fatalf("%d dimensions", len(v))
		}
		var n float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("not finite: %v", v)
			}
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-3 {
			t.Fatalf("|v|² = %v", n)
		}
	})
}
