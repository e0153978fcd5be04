package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"tollgate/engine"
	"tollgate/internal/lazyctx"
)

// <llm-content-safety backend-id="content-safety-backend" shield-prompt="true">
//
//	  <categories output-type="EightSeverityLevels">
//	    <category name="Hate" threshold="4"/>
//	  </categories>
//	  <blocklists><id>my-list</id></blocklists>
//	</llm-content-safety>
//
// sends the request's prompt to Azure AI Content Safety before the LLM
// sees it, as APIM does:
//
//	POST {backend}/contentsafety/text:analyze?api-version=2023-10-01
//	  {"text": …, "categories": [names], "blocklistNames": [ids], "outputType": …}
//	  (when there are categories or blocklists)
//	POST {backend}/contentsafety/text:shieldPrompt?api-version=2024-09-01
//	  {"userPrompt": …}  (when shield-prompt is true)
//
// and refuses it with 403 (APIM's documented status) when a category's
// severity reaches its threshold, a blocklist matches, or an attack is
// detected. {backend} is the backend entity backend-id names, called with
// its credentials (header, query, authorization, or managedIdentity: a
// Bearer token from the identity tollgate stands in for it with), its TLS
// settings and its circuit breaker, as the gateway resolves it
// (Deps.Backends).
//
// The prompt is all the text of a chat completion (messages[].content,
// text or text parts) or completion (prompt) request, and of a Responses
// request (input), joined by newlines; a JSON body without those fields
// gives every string value in it, a body that is not JSON its text. An
// empty body has nothing to check. Text longer than Content Safety's 10,000
// characters is refused with 403 without a call (APIM: "If the request
// exceeds the character limit of Azure AI Content Safety, a 403 error is
// returned").
//
// A Content Safety service that fails, refuses the credentials or does not
// answer within Deps.AzureCallTimeout (and the section's policy-timeout)
// fails the request with 500 (APIM: "an internal error occurs, a 500 error
// is returned"), reason ContentSafetyFailure, through on-error; the
// message never quotes a key, a token or the backend URL's query.
//
// enforce-on-completions="true" (expressions allowed) also checks the
// model's answer with text:analyze before the client gets it
// (llm_content_safety_completions.go), in windows of window-size
// characters overlapping by window-overlap-size (both expressions allowed;
// APIM: "Configurable only for responses; for requests, the default window
// size is always used"): the prompt is checked whole.

// Reasons of llm-content-safety's errors (context.LastError.Reason).
const (
	ReasonContentSafetyBlocked = "ContentSafetyBlocked"
	ReasonContentSafetyTooLong = "ContentSafetyTextTooLong"
	ReasonContentSafetyFailure = "ContentSafetyFailure"
)

// contentSafetyMaxText is Content Safety's limit on the text of one call,
// in characters as .NET counts them: UTF-16 code units (utf16Len).
const contentSafetyMaxText = 10000

// contentSafetyResource is the audience of Azure AI services' Entra ID
// tokens: a backend's managedIdentity without a resource asks for it.
const contentSafetyResource = "https://cognitiveservices.azure.com"

var contentSafetyCategories = []string{"Hate", "SelfHarm", "Sexual", "Violence"}

type llmContentSafety struct {
	k          *kit
	backend    engine.Str
	shield     engine.Bool
	outputType engine.Str
	categories []contentSafetyCategory
	blocklists []engine.Str
	// completions is enforce-on-completions: also check the backend's
	// answer (llm_content_safety_completions.go), in windows of
	// windowSize (window-size, set or not) overlapping by windowOverlap.
	completions   engine.Bool
	windowSize    engine.Int
	windowOverlap engine.Int
	windowSet     bool
}

type contentSafetyCategory struct {
	name      engine.Str
	threshold engine.Int
}

func (k *kit) parseLLMContentSafety(p *engine.Parser) engine.Step {
	cs := &llmContentSafety{k: k, backend: p.RequiredStr("backend-id"), shield: p.Bool("shield-prompt", false),
		outputType: engine.ConstStr("FourSeverityLevels")}
	p.UseBackend("backend-id", cs.backend.Const(), !cs.backend.IsConst())
	cs.completions = p.Bool("enforce-on-completions", false)
	cs.windowSet = p.Has("window-size")
	cs.windowSize = p.Int("window-size", contentSafetyMaxText, 1, contentSafetyMaxText)
	cs.windowOverlap = p.Int("window-overlap-size", 0, 0, contentSafetyMaxText-1)
	if a := p.Attr("window-overlap-size"); a != nil && cs.windowOverlap.IsConst() && cs.windowSize.IsConst() &&
		cs.windowSize.Const() >= 1 && cs.windowOverlap.Const() < contentSafetyMaxText && // else out of range, said already
		cs.windowOverlap.Const() >= cs.windowSize.Const() {
		p.ErrorAt(a.ValuePos, "window-overlap-size (%d) must be smaller than window-size (%d): each window must bring new text",
			cs.windowOverlap.Const(), cs.windowSize.Const())
	}
	seenCats, seenLists := false, false
	for _, c := range p.Children() {
		switch c.Name {
		case "categories":
			cp := p.Child(c)
			if seenCats {
				cp.Errorf("<llm-content-safety> has more than one <categories>")
			}
			seenCats = true
			cs.parseCategories(cp)
		case "blocklists":
			cp := p.Child(c)
			if seenLists {
				cp.Errorf("<llm-content-safety> has more than one <blocklists>")
			}
			seenLists = true
			for _, id := range cp.Children() {
				if id.Name != "id" {
					unexpectedChild(cp, id, "want id")
					continue
				}
				ip := cp.Child(id)
				v := ip.TextStr()
				if v.IsConst() && strings.TrimSpace(v.Const()) == "" {
					ip.Errorf("<id> is empty: want a blocklist's name")
				}
				cs.blocklists = append(cs.blocklists, v)
			}
		default:
			unexpectedChild(p, c, "want categories, blocklists")
		}
	}
	return cs
}

func (cs *llmContentSafety) parseCategories(p *engine.Parser) {
	cs.outputType = p.Str("output-type", "FourSeverityLevels")
	if a := p.Node().Attr("output-type"); a != nil && cs.outputType.IsConst() {
		if _, err := contentSafetyOutputType(cs.outputType.Const()); err != nil {
			p.ErrorAt(a.ValuePos, "%s", err.Error())
		}
	}
	seen := map[string]bool{}
	for _, c := range p.Children() {
		if c.Name != "category" {
			unexpectedChild(p, c, "want category")
			continue
		}
		cp := p.Child(c)
		cat := contentSafetyCategory{name: cp.RequiredStr("name"), threshold: cp.RequiredInt("threshold", 0, 7)}
		if a := c.Attr("name"); a != nil && cat.name.IsConst() {
			name, err := checkContentSafetyCategory(cat.name.Const())
			switch {
			case err != nil:
				cp.ErrorAt(a.ValuePos, "%s", err.Error())
			case seen[name]:
				cp.ErrorAt(a.ValuePos, "category %q is given twice", name)
			}
			seen[name] = true
		}
		cs.categories = append(cs.categories, cat)
	}
}

// checkContentSafetyCategory checks a category's name: one of Content
// Safety's four, as APIM spells them.
func checkContentSafetyCategory(name string) (string, error) {
	for _, c := range contentSafetyCategories {
		if name == c {
			return c, nil
		}
	}
	return "", fmt.Errorf("category %q is not one of Hate, SelfHarm, Sexual, Violence", name)
}

func contentSafetyOutputType(v string) (string, error) {
	if v == "FourSeverityLevels" || v == "EightSeverityLevels" {
		return v, nil
	}
	return "", fmt.Errorf("output-type %q is not FourSeverityLevels or EightSeverityLevels", v)
}

// analyzeRequest and the answers are Content Safety's shapes.
type analyzeRequest struct {
	Text           string   `json:"text"`
	Categories     []string `json:"categories,omitempty"`
	BlocklistNames []string `json:"blocklistNames,omitempty"`
	OutputType     string   `json:"outputType"`
}

type analyzeResult struct {
	BlocklistsMatch []struct {
		BlocklistName string `json:"blocklistName"`
	} `json:"blocklistsMatch"`
	CategoriesAnalysis []struct {
		Category string `json:"category"`
		Severity int    `json:"severity"`
	} `json:"categoriesAnalysis"`
}

type shieldRequest struct {
	UserPrompt string   `json:"userPrompt"`
	Documents  []string `json:"documents"`
}

type shieldResult struct {
	UserPromptAnalysis *struct {
		AttackDetected bool `json:"attackDetected"`
	} `json:"userPromptAnalysis"`
	DocumentsAnalysis []struct {
		AttackDetected bool `json:"attackDetected"`
	} `json:"documentsAnalysis"`
}

func (cs *llmContentSafety) Run(ctx context.Context, s *engine.State) error {
	name, err := cs.backend.Eval(s)
	if err != nil {
		return err
	}
	shield, err := cs.shield.Eval(s)
	if err != nil {
		return err
	}
	req := analyzeRequest{}
	thresholds := map[string]int64{}
	if req.OutputType, err = cs.outputType.Eval(s); err != nil {
		return err
	}
	if _, err := contentSafetyOutputType(req.OutputType); err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "llm-content-safety: "+err.Error(), nil)
	}
	for _, c := range cs.categories {
		n, err := c.name.Eval(s)
		if err != nil {
			return err
		}
		if n, err = checkContentSafetyCategory(n); err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, "llm-content-safety: "+err.Error(), nil)
		}
		t, err := c.threshold.Eval(s)
		if err != nil {
			return err
		}
		if _, dup := thresholds[n]; !dup {
			req.Categories = append(req.Categories, n)
		}
		thresholds[n] = t
	}
	for _, b := range cs.blocklists {
		id, err := b.Eval(s)
		if err != nil {
			return err
		}
		if id = strings.TrimSpace(id); id != "" {
			req.BlocklistNames = append(req.BlocklistNames, id)
		}
	}
	analyze := len(req.Categories) > 0 || len(req.BlocklistNames) > 0
	enforce, err := cs.completions.Eval(s)
	if err != nil {
		return err
	}
	switch {
	case enforce && analyze:
		win, err := cs.windows(s)
		if err != nil {
			return err
		}
		cs.checkCompletions(ctx, s, name, req, thresholds, win)
	case enforce:
		s.Tracef("llm-content-safety: enforce-on-completions without categories or blocklists: the answer is not checked")
	case cs.windowSet:
		s.Tracef("llm-content-safety: window-size applies to answers (enforce-on-completions): the prompt is checked whole")
	}
	if !analyze && !shield {
		s.Tracef("llm-content-safety: no categories, blocklists or shield-prompt: nothing to check")
		return nil
	}

	var body []byte
	if b := s.Context().Request.Body; b != nil {
		if body, err = b.Bytes(); err != nil {
			return engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: cannot read the request body: "+err.Error(), err)
		}
	}
	text := promptText(body)
	if strings.TrimSpace(text) == "" {
		s.Tracef("llm-content-safety: the request has no text to check")
		return nil
	}
	if n := utf16Len(text); n > contentSafetyMaxText {
		return engine.NewPolicyError(ReasonContentSafetyTooLong, http.StatusForbidden,
			fmt.Sprintf("The request's text (%d characters) is longer than the %d characters content safety can check.", n, contentSafetyMaxText), nil)
	}

	if cs.k.backends == nil {
		return engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: backend "+name+": "+errNoBackends.Error(), nil)
	}
	be, err := cs.k.backends.PolicyBackend(ctx, s, name)
	if err != nil {
		return engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: backend "+name+": "+err.Error(), err)
	}
	if analyze {
		req.Text = text
		var res analyzeResult
		if err := cs.call(ctx, s, nil, be, "text:analyze", "2023-10-01", &req, &res); err != nil {
			return err
		}
		if why := verdict(s, &res, thresholds); why != "" {
			return blocked(why)
		}
	}
	if shield {
		var res shieldResult
		if err := cs.call(ctx, s, nil, be, "text:shieldPrompt", "2024-09-01", &shieldRequest{UserPrompt: text, Documents: []string{}}, &res); err != nil {
			return err
		}
		attack := res.UserPromptAnalysis != nil && res.UserPromptAnalysis.AttackDetected
		for _, d := range res.DocumentsAnalysis {
			attack = attack || d.AttackDetected
		}
		if attack {
			s.Tracef("llm-content-safety: prompt attack detected")
			return blocked("a prompt attack was detected")
		}
	}
	s.Tracef("llm-content-safety: passed")
	return nil
}

// verdict is why Content Safety's analysis refuses the text ("" when it
// does not): a blocklist match, or a category at or above its threshold.
func verdict(s *engine.State, res *analyzeResult, thresholds map[string]int64) string {
	for _, m := range res.BlocklistsMatch {
		s.Tracef("llm-content-safety: blocklist %q matched", m.BlocklistName)
		return fmt.Sprintf("it matches the blocklist %q", m.BlocklistName)
	}
	for _, c := range res.CategoriesAnalysis {
		if t, ok := thresholds[c.Category]; ok && int64(c.Severity) >= t {
			s.Tracef("llm-content-safety: %s severity %d reaches its threshold %d", c.Category, c.Severity, t)
			return fmt.Sprintf("%s severity %d reaches the threshold %d", c.Category, c.Severity, t)
		}
	}
	return ""
}

func blocked(why string) error {
	return engine.NewPolicyError(ReasonContentSafetyBlocked, http.StatusForbidden, "The request was blocked by content safety: "+why+".", nil)
}

// contentSafetyAnswerMax bounds what is read of Content Safety's answer.
const contentSafetyAnswerMax = 256 << 10

// call POSTs in to {backend}/contentsafety/{op}?api-version=… and decodes
// the answer into out. Its errors and its trace name the backend's URL
// without the query (credentials.query may hold a key). mu, when not nil,
// is held to trace (calls running side by side share s).
func (cs *llmContentSafety) call(ctx context.Context, s *engine.State, mu *sync.Mutex, be *PolicyBackend, op, version string, in, out any) error {
	u, err := url.Parse(be.URL)
	if err != nil || u.Host == "" {
		return engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: the backend's URL is not absolute", nil)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/contentsafety/" + op
	u.RawPath = ""
	q := u.Query()
	q.Set("api-version", version)
	u.RawQuery = q.Encode()
	u.Fragment = ""
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String() // no credentials.query, no user info
	trace := func(status int, t0 time.Time, err error) {
		if mu != nil {
			mu.Lock()
			defer mu.Unlock()
		}
		traceCallout(s, http.MethodPost, shown, status, t0, err)
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: "+err.Error(), err)
	}

	cctx := ctx
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > cs.k.azureTimeout {
		lc := lazyctx.New(ctx, time.Now().Add(cs.k.azureTimeout))
		defer lc.Release()
		cctx = lc
	}
	req, err := newBackendRequest(cctx, be, u.String(), payload)
	if err != nil {
		return engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: cannot build the request to "+shown, nil)
	}
	if be.Identity != nil {
		resource := be.IdentityResource
		if resource == "" {
			resource = contentSafetyResource
		}
		if err := cs.k.bearer(cctx, req, *be.Identity, resource); errors.Is(err, errNoIdentity) {
			return engine.NewPolicyError(ReasonTokenFailure, 500,
				fmt.Sprintf("llm-content-safety: the backend's managed identity (client-id %q) is not configured (--identities)", *be.Identity), nil)
		} else if err != nil {
			return engine.NewPolicyError(ReasonTokenFailure, 500, "llm-content-safety: cannot get a token for "+resource+": "+err.Error(), err)
		}
	}
	t0 := time.Now()
	status, data, err, rerr := cs.k.doBackend(ctx, s, be, req, shown, contentSafetyAnswerMax)
	if err != nil {
		var pe *engine.PolicyError
		if errors.Is(cctx.Err(), context.DeadlineExceeded) {
			pe = engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: "+shown+" did not answer in time", err)
		} else {
			pe = engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: "+shown+" failed: "+errWithoutURL(err), err)
		}
		trace(0, t0, pe)
		return pe
	}
	var pe *engine.PolicyError
	switch {
	case rerr != nil:
		pe = engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: reading the answer of "+shown+": "+errWithoutURL(rerr), rerr)
	case len(data) > contentSafetyAnswerMax:
		pe = engine.NewPolicyError(ReasonContentSafetyFailure, 500, fmt.Sprintf("llm-content-safety: the answer of %s is larger than %d bytes", shown, contentSafetyAnswerMax), nil)
	case status/100 != 2:
		msg := fmt.Sprintf("llm-content-safety: %s answered %d", shown, status)
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			msg += " (the backend's credentials were refused)"
		}
		if code := contentSafetyErrorCode(data); code != "" {
			msg += " " + code
		}
		pe = engine.NewPolicyError(ReasonContentSafetyFailure, 500, msg, nil)
	default:
		if err := json.Unmarshal(data, out); err != nil {
			pe = engine.NewPolicyError(ReasonContentSafetyFailure, 500, "llm-content-safety: the answer of "+shown+" is not the JSON expected", nil)
		}
	}
	if pe != nil {
		trace(status, t0, pe)
		return pe
	}
	trace(status, t0, nil)
	return nil
}

// contentSafetyErrorCode is the error code of Content Safety's error
// answer ({"error": {"code": "InvalidRequestBody", …}}) when it is a plain
// word; its message is not quoted (it may echo the request).
func contentSafetyErrorCode(data []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error.Code == "" || len(e.Error.Code) > 64 {
		return ""
	}
	for _, r := range e.Error.Code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return ""
		}
	}
	return "(" + e.Error.Code + ")"
}

// promptText is the text of an LLM request that llm-content-safety checks:
// messages[].content, prompt and input of an OpenAI-style body (strings,
// lists of them, text parts, messages), joined by newlines; every string
// value of a JSON body without those; the body itself when it is not JSON.
func promptText(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	if !json.Valid(body) {
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	var req struct {
		Messages []struct {
			Content any `json:"content"`
		} `json:"messages"`
		Prompt any `json:"prompt"`
		Input  any `json:"input"`
	}
	var parts []string
	if json.Unmarshal(body, &req) == nil {
		for _, m := range req.Messages {
			collectText(m.Content, &parts)
		}
		collectText(req.Prompt, &parts)
		collectText(req.Input, &parts)
	}
	if len(parts) == 0 {
		// Not a chat, completion or Responses request: every string value.
		dec := json.NewDecoder(bytes.NewReader(body))
		var stack []bool // per open container: true for an object
		expectKey := false
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			wasKey := expectKey
			switch t := tok.(type) {
			case json.Delim:
				switch t {
				case '{', '[':
					stack = append(stack, t == '{')
					expectKey = t == '{'
				default: // a container ended: a value of its parent
					stack = stack[:len(stack)-1]
					expectKey = len(stack) > 0 && stack[len(stack)-1]
				}
				continue
			case string:
				if !wasKey && t != "" {
					parts = append(parts, t)
				}
			}
			expectKey = !wasKey && len(stack) > 0 && stack[len(stack)-1]
		}
	}
	return strings.Join(parts, "\n")
}

// collectText appends the text in v: a string, a list, a text part
// ({"type": "text", "text": …}) or a message ({"content": …}).
func collectText(v any, out *[]string) {
	switch t := v.(type) {
	case string:
		if t != "" {
			*out = append(*out, t)
		}
	case []any:
		for _, e := range t {
			collectText(e, out)
		}
	case map[string]any:
		if txt, ok := t["text"].(string); ok {
			if txt != "" {
				*out = append(*out, txt)
			}
		} else if c, ok := t["content"]; ok {
			collectText(c, out)
		}
	}
}
