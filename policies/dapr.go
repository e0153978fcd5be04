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

	"tollgate/engine"
)

// The Dapr integration of APIM's self-hosted gateway: the gateway talks to
// the Dapr sidecar of its pod over Dapr's HTTP API (docs/policies-more.md,
// Dapr). The sidecar's address is Deps.DaprURL (tollgate serve --dapr-url;
// by default http://localhost:$DAPR_HTTP_PORT, else http://localhost:3500).
//
//	<publish-to-dapr pubsub-name="orders" topic="new" ignore-error="false"
//	    response-variable-name="r" timeout="5" template="Liquid" content-type="application/json">
//	  message content
//	</publish-to-dapr>
//	  → POST {dapr}/v1.0/publish/{pubsub-name}/{topic}, the content as the body
//
//	<invoke-dapr-binding name="b" operation="create" …same attributes…>
//	  <metadata><item key="k">value</item></metadata>
//	  <data>message content</data>
//	</invoke-dapr-binding>
//	  → POST {dapr}/v1.0/bindings/{name}, {"data":…,"metadata":{…},"operation":"…"}
//
//	<set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="back" dapr-namespace="ns"/>
//	  → the request goes to {dapr}/v1.0/invoke/{app-id}[.{namespace}]/method/{method}
//	    (set_backend_service.go)
//
// The sidecar's answer is stored in response-variable-name (an IResponse,
// as send-request's). An error status (300 and above) from the sidecar,
// or no answer, jumps to on-error (reason DaprRequestFailure; 504 Timeout
// when the sidecar does not answer within timeout) unless ignore-error is
// true: then the pipeline goes on, the variable holding the sidecar's
// answer (null when there was none).

// DefaultDaprURL is where the Dapr sidecar listens unless told otherwise.
const DefaultDaprURL = "http://localhost:3500"

// ReasonDapr is context.LastError.Reason when the Dapr sidecar refuses a
// publish or binding call, or cannot be reached.
const ReasonDapr = "DaprRequestFailure"

// daprCall is what publish-to-dapr and invoke-dapr-binding share: how
// they send, wait, and keep the answer.
type daprCall struct {
	k         *kit
	policy    string
	ignoreErr bool
	variable  string
	timeout   engine.Int
	jsonType  bool // content-type="application/json"
	liquid    bool // template="Liquid": the content is a Liquid template
	response  bool // in outbound or on-error: a Liquid template renders over the response body
}

func (k *kit) parseDaprCall(p *engine.Parser) daprCall {
	return daprCall{
		k:         k,
		policy:    p.Node().Name,
		ignoreErr: p.LitBool("ignore-error", false),
		variable:  p.LitStr("response-variable-name", ""),
		timeout:   p.Int("timeout", 5, 1, 240),
		jsonType:  p.LitStr("content-type", "", "application/json") != "",
		liquid:    p.LitStr("template", "", "Liquid", "liquid") != "",
		response:  isResponseSection(p.Section()),
	}
}

// parseContent reads a message's content: the element's text (a literal
// or an expression), or, with template="Liquid", a Liquid template.
func (dc *daprCall) parseContent(p *engine.Parser) daprContent {
	if dc.liquid {
		lt := parseLiquid(p, p.RawInner(), "blank")
		if lt == nil {
			return daprContent{}
		}
		return daprContent{liquid: lt, set: true}
	}
	return daprContent{text: p.TextStr(), set: true}
}

type daprContent struct {
	text   engine.Str
	liquid *liquidTemplate
	set    bool
}

func (c *daprContent) eval(s *engine.State, response bool) ([]byte, error) {
	if c.liquid != nil {
		return c.liquid.render(s, response)
	}
	v, err := c.text.Eval(s)
	return []byte(v), err
}

// send POSTs body to the sidecar's path and stores its answer; what it
// returns is the pipeline's error (nil with ignore-error).
func (dc *daprCall) send(ctx context.Context, s *engine.State, path string, body []byte, contentType string) error {
	timeout, err := dc.timeout.Seconds(s)
	if err != nil {
		return err
	}
	out := &outgoing{method: http.MethodPost, target: dc.k.daprURL + path, header: engine.Headers{}, body: body}
	if contentType != "" {
		out.header["Content-Type"] = []string{contentType}
	}
	c := calloutCall{client: dc.k.client, direct: dc.k.direct, out: out, timeout: timeout, max: dc.k.maxCalloutBytes,
		failed: dc.failed, tooLarge: dc.tooLarge}
	resp, err := c.do(ctx, s)
	if err != nil {
		if dc.variable != "" {
			s.Variables()[dc.variable] = nil
		}
		if dc.ignoreErr {
			s.Tracef("%s: ignored error: %s", dc.policy, err.Error())
			return nil
		}
		return err
	}
	if dc.variable != "" {
		s.Variables()[dc.variable] = resp
	}
	if resp.StatusCode >= 300 && !dc.ignoreErr {
		return engine.NewPolicyError(ReasonDapr, resp.StatusCode,
			fmt.Sprintf("%s: the Dapr sidecar answered %d to POST %s", dc.policy, resp.StatusCode, path), nil)
	}
	return nil
}

// failed words a call the sidecar did not answer (calloutCall.failed).
func (dc *daprCall) failed(_ string, ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return engine.NewPolicyError(engine.ReasonTimeout, 504, dc.policy+": the Dapr sidecar did not answer in time", err)
	}
	return engine.NewPolicyError(ReasonDapr, 502, dc.policy+": the Dapr sidecar at "+engine.RedactURL(dc.k.daprURL)+" failed: "+errWithoutURL(err), err)
}

// tooLarge words an answer over the call-out size (calloutCall.tooLarge).
func (dc *daprCall) tooLarge(_ string, max int64) error {
	return engine.NewPolicyError(engine.ReasonResponseTooLarge, 502,
		fmt.Sprintf("%s: the Dapr sidecar's answer is larger than %d bytes", dc.policy, max), nil)
}

// daprSegments escapes v segment by segment; a name must not be empty, and
// none of its segments "." or ".." (an expression cannot climb out of the
// API it calls).
func daprSegments(what, v string, slashes bool) (string, error) {
	if v == "" {
		return "", fmt.Errorf("%s is empty", what)
	}
	if !slashes && strings.Contains(v, "/") {
		return "", fmt.Errorf("%s %q must not contain /", what, v)
	}
	parts := strings.Split(v, "/")
	for i, seg := range parts {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%s %q has an empty, . or .. path segment", what, v)
		}
		parts[i] = url.PathEscape(seg)
	}
	return strings.Join(parts, "/"), nil
}

func daprPathError(policy string, err error) error {
	return engine.NewPolicyError(engine.ReasonExpression, 500, policy+": "+err.Error(), nil)
}

// <publish-to-dapr>
type publishToDapr struct {
	daprCall
	pubsub  *engine.Str
	topic   engine.Str
	content daprContent
}

func (k *kit) parsePublishToDapr(p *engine.Parser) engine.Step {
	pd := &publishToDapr{daprCall: k.parseDaprCall(p), topic: p.RequiredStr("topic")}
	if p.Has("pubsub-name") {
		ps := p.RequiredStr("pubsub-name")
		pd.pubsub = &ps
	} else if pd.topic.IsConst() && !strings.Contains(strings.Trim(pd.topic.Const(), "/"), "/") && p.Has("topic") {
		p.ErrorAt(p.Node().Attr("topic").ValuePos, "without pubsub-name, topic must be PUBSUB-NAME/TOPIC-NAME, not %q", pd.topic.Const())
	}
	for _, n := range p.Children() {
		unexpectedChild(p, n, "its content is the message")
	}
	pd.content = pd.parseContent(p)
	return pd
}

func (pd *publishToDapr) Run(ctx context.Context, s *engine.State) error {
	topic, err := pd.topic.Eval(s)
	if err != nil {
		return err
	}
	pubsub := ""
	if pd.pubsub != nil {
		if pubsub, err = pd.pubsub.Eval(s); err != nil {
			return err
		}
	} else {
		var ok bool
		if pubsub, topic, ok = strings.Cut(topic, "/"); !ok {
			return daprPathError(pd.policy, fmt.Errorf("without pubsub-name, topic must be PUBSUB-NAME/TOPIC-NAME, not %q", pubsub))
		}
	}
	ps, err := daprSegments("pubsub-name", pubsub, false)
	if err != nil {
		return daprPathError(pd.policy, err)
	}
	tp, err := daprSegments("topic", topic, true)
	if err != nil {
		return daprPathError(pd.policy, err)
	}
	body, err := pd.content.eval(s, pd.response)
	if err != nil {
		return err
	}
	ct := ""
	if pd.jsonType {
		ct = "application/json"
	}
	return pd.send(ctx, s, "/v1.0/publish/"+ps+"/"+tp, body, ct)
}

// <invoke-dapr-binding>
type invokeDaprBinding struct {
	daprCall
	name      engine.Str
	operation string
	metadata  []daprItem
	data      daprContent
}

type daprItem struct {
	key   string
	value engine.Str
}

func (k *kit) parseInvokeDaprBinding(p *engine.Parser) engine.Step {
	ib := &invokeDaprBinding{daprCall: k.parseDaprCall(p), name: p.RequiredStr("name"), operation: p.LitStr("operation", "")}
	seenMeta, seenData := false, false
	for _, n := range p.Children() {
		if n.Name != "metadata" && n.Name != "data" {
			unexpectedChild(p, n, "want metadata, data")
			continue
		}
		c := p.Child(n)
		switch n.Name {
		case "metadata":
			if seenMeta {
				c.Errorf("<invoke-dapr-binding> has more than one <metadata>")
			}
			seenMeta = true
			keys := map[string]bool{}
			for _, in := range c.Children() {
				if in.Name != "item" {
					unexpectedChild(c, in, "want item")
					continue
				}
				ic := c.Child(in)
				key := ic.RequiredLitStr("key")
				if keys[key] {
					ic.ErrorAt(in.Attr("key").ValuePos, "metadata key %q given twice", key)
				}
				keys[key] = true
				ib.metadata = append(ib.metadata, daprItem{key: key, value: ic.TextStr()})
			}
		case "data":
			if seenData {
				c.Errorf("<invoke-dapr-binding> has more than one <data>")
			}
			seenData = true
			ib.data = ib.parseContent(c)
		}
	}
	if !seenData && ib.liquid {
		p.ErrorAt(p.Node().Attr("template").Pos, "template applies to <data>, which is missing")
	}
	return ib
}

func (ib *invokeDaprBinding) Run(ctx context.Context, s *engine.State) error {
	name, err := ib.name.Eval(s)
	if err != nil {
		return err
	}
	seg, err := daprSegments("name", name, false)
	if err != nil {
		return daprPathError(ib.policy, err)
	}
	// {"data":…,"metadata":{…},"operation":"…"}: data as JSON when
	// content-type is application/json, else as a string.
	var msg struct {
		Data      any               `json:"data,omitempty"`
		Metadata  map[string]string `json:"metadata,omitempty"`
		Operation string            `json:"operation,omitempty"`
	}
	msg.Operation = ib.operation
	if ib.data.set {
		data, err := ib.data.eval(s, ib.response)
		if err != nil {
			return err
		}
		if ib.jsonType {
			raw := bytes.TrimSpace(data)
			if !json.Valid(raw) {
				return engine.NewPolicyError(engine.ReasonExpression, 500,
					ib.policy+": <data> is not JSON, and content-type is application/json", nil)
			}
			msg.Data = json.RawMessage(raw)
		} else {
			msg.Data = string(data)
		}
	}
	if len(ib.metadata) > 0 {
		msg.Metadata = make(map[string]string, len(ib.metadata))
		for _, it := range ib.metadata {
			v, err := it.value.Eval(s)
			if err != nil {
				return err
			}
			msg.Metadata[it.key] = v
		}
	}
	body, err := json.Marshal(&msg)
	if err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, ib.policy+": "+err.Error(), err)
	}
	return ib.send(ctx, s, "/v1.0/bindings/"+seg, body, "application/json")
}

// daprInvokeURL is set-backend-service's Dapr target:
// {dapr}/v1.0/invoke/{app-id}[.{namespace}]/method/{method}.
func daprInvokeURL(base, appID, namespace, method string) (string, error) {
	app, err := daprSegments("dapr-app-id", appID, false)
	if err != nil {
		return "", err
	}
	if namespace != "" {
		ns, err := daprSegments("dapr-namespace", namespace, false)
		if err != nil {
			return "", err
		}
		app += "." + ns
	}
	m, err := daprSegments("dapr-method", strings.TrimPrefix(method, "/"), true)
	if err != nil {
		return "", err
	}
	return base + "/v1.0/invoke/" + app + "/method/" + m, nil
}
