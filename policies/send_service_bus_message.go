package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"tollgate/engine"
)

// <send-service-bus-message queue-name="orders" | topic-name="orders"
//
//	    namespace="NS.servicebus.windows.net" client-id="…">
//	  <message-properties>
//	    <message-property name="Customer">Contoso</message-property>
//	  </message-properties>
//	  <payload>@(context.Request.Body.As<string>(preserveContent: true))</payload>
//	</send-service-bus-message>
//
// sends one message with Service Bus's REST API ("Send Message"):
//
//	POST https://{namespace}/{queue-or-topic}/messages
//	Authorization: Bearer {an Entra ID token for https://servicebus.azure.net}
//	Content-Type: application/json (a JSON payload) | text/plain; charset=utf-8
//	Customer: Contoso              (each message property: a custom property)
//
//	{payload}
//
// The token comes from the identity tollgate stands in for APIM's managed
// identity with (client-id, or the system-assigned one: Deps.Identities,
// as for authentication-managed-identity), cached until it expires.
//
// APIM does not document what a failed send does. tollgate waits at most
// Deps.AzureCallTimeout (and never past the section's policy-timeout), and
// a send that fails jumps to on-error with context.LastError.Reason
// ServiceBusSendFailure and status 502 when Service Bus refuses or cannot
// be reached, Timeout and 504 when it does not answer in time (as for
// send-request), ManagedIdentityTokenFailure and 500 when no token could
// be had. The message names the namespace, the
// entity and Service Bus's status, never the token.

// ReasonServiceBus is context.LastError.Reason when a message could not be
// sent to Service Bus.
const ReasonServiceBus = "ServiceBusSendFailure"

// serviceBusResource is the audience of Service Bus's Entra ID tokens.
const serviceBusResource = "https://servicebus.azure.net"

// serviceBusMaxPayload bounds one message's payload (Service Bus's
// Standard tier takes 256 KB, Premium more): a larger one fails before
// anything is sent.
const serviceBusMaxPayload = 1 << 20

// defaultAzureCallTimeout bounds a call to an Azure service a policy
// makes in the request's path (Deps.AzureCallTimeout).
const defaultAzureCallTimeout = 30 * time.Second

type sendServiceBusMessage struct {
	k         *kit
	entity    engine.Str // queue-name or topic-name
	namespace engine.Str
	clientID  engine.Str     // an expression: the identity is looked up per request
	tp        *tokenProvider // client-id literal (or absent): found at load
	props     []serviceBusProperty
	payload   engine.Str
}

type serviceBusProperty struct {
	name  string // canonical header name
	value engine.Str
}

// serviceBusReserved are header names a message property cannot have: the
// REST API's own, and HTTP's.
var serviceBusReserved = map[string]bool{
	"Authorization": true, "Content-Type": true, "Content-Length": true, "Brokerproperties": true,
	"Host": true, "X-Ms-Retrypolicy": true, "Transfer-Encoding": true, "Connection": true, "Expect": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Keep-Alive": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Content-Encoding": true, "Accept-Encoding": true,
}

func (k *kit) parseSendServiceBusMessage(p *engine.Parser) engine.Step {
	m := &sendServiceBusMessage{k: k}
	n := p.Node()
	var entityAttr *engine.Attr
	switch {
	case p.Has("queue-name") && p.Has("topic-name"):
		p.ErrorAt(n.Attr("topic-name").Pos, "give queue-name or topic-name, not both")
		p.Str("queue-name", "")
		p.Str("topic-name", "")
	case p.Has("queue-name"):
		m.entity, entityAttr = p.RequiredStr("queue-name"), n.Attr("queue-name")
	case p.Has("topic-name"):
		m.entity, entityAttr = p.RequiredStr("topic-name"), n.Attr("topic-name")
	default:
		p.Errorf("<send-service-bus-message> needs queue-name or topic-name")
	}
	if entityAttr != nil && m.entity.IsConst() {
		if _, err := serviceBusPath(m.entity.Const()); err != nil {
			p.ErrorAt(entityAttr.ValuePos, "%s", err.Error())
		}
	}
	if !p.Has("namespace") {
		p.Errorf("<send-service-bus-message> needs the attribute \"namespace\" (NAMESPACE.servicebus.windows.net): tollgate has no default namespace")
	}
	m.namespace = p.Str("namespace", "")
	if a := n.Attr("namespace"); a != nil && m.namespace.IsConst() {
		if _, err := serviceBusBase(m.namespace.Const()); err != nil {
			p.ErrorAt(a.ValuePos, "%s", err.Error())
		}
	}
	m.clientID = p.Str("client-id", "")
	if m.clientID.IsConst() {
		id := m.clientID.Const()
		m.tp = k.tokens[id]
		if m.tp == nil {
			if a := n.Attr("client-id"); a != nil {
				p.ErrorAt(a.ValuePos, "no identity is configured for client-id %q: tollgate gets Service Bus tokens with the OAuth2 "+
					"client-credentials grant; give the client in the --identities file (see docs/policies-credentials.md)", id)
			} else {
				p.ErrorAt(n.Pos, "no identity is configured for the system-assigned identity (no client-id): tollgate gets Service Bus "+
					"tokens with the OAuth2 client-credentials grant; set TOLLGATE_IDENTITY_TOKEN_URL, _CLIENT_ID and _CLIENT_SECRET "+
					"(see docs/policies-credentials.md)")
			}
		}
	}
	seenPayload, seenProps := false, false
	for _, c := range p.Children() {
		switch c.Name {
		case "payload":
			cp := p.Child(c)
			if seenPayload {
				cp.Errorf("<send-service-bus-message> has more than one <payload>")
			}
			seenPayload = true
			m.payload = cp.TextStr()
		case "message-properties":
			cp := p.Child(c)
			if seenProps {
				cp.Errorf("<send-service-bus-message> has more than one <message-properties>")
			}
			seenProps = true
			m.parseProperties(cp)
		default:
			unexpectedChild(p, c, "want message-properties, payload")
		}
	}
	if !seenPayload {
		p.Errorf("<send-service-bus-message> needs a <payload> (the message)")
	}
	return m
}

func (m *sendServiceBusMessage) parseProperties(p *engine.Parser) {
	seen := map[string]bool{}
	for _, c := range p.Children() {
		if c.Name != "message-property" {
			unexpectedChild(p, c, "want message-property")
			continue
		}
		cp := p.Child(c)
		name := cp.RequiredLitStr("name")
		value := cp.TextStr()
		a := c.Attr("name")
		if a == nil {
			continue
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !validHeaderName(name):
			cp.ErrorAt(a.ValuePos, "message property %q cannot be sent: Service Bus's REST API carries properties as HTTP "+
				"headers, and a header name is letters, digits and !#$%%&'*+-.^_`|~", name)
			continue
		case serviceBusReserved[canon]:
			cp.ErrorAt(a.ValuePos, "message property %q cannot be sent: Service Bus's REST API carries properties as HTTP "+
				"headers, and %s is one of its own", name, canon)
			continue
		case seen[canon]:
			cp.ErrorAt(a.ValuePos, "message property %q is given twice (names are not case-sensitive)", name)
			continue
		}
		seen[canon] = true
		m.props = append(m.props, serviceBusProperty{name: canon, value: value})
	}
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// serviceBusBase is where a namespace's entities are: https://NAMESPACE
// for a host name (APIM's form). tollgate also takes an http:// or
// https:// URL with nothing after the host (an emulator, a test).
func serviceBusBase(ns string) (string, error) {
	ns = strings.TrimSpace(ns)
	if ns == "" {
		return "", errors.New("namespace is empty: want NAMESPACE.servicebus.windows.net")
	}
	if strings.Contains(ns, "://") {
		u, err := url.Parse(ns)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("namespace %q is not a host name such as NAMESPACE.servicebus.windows.net (or an http(s)://HOST[:PORT] URL)", ns)
		}
		return u.Scheme + "://" + u.Host, nil
	}
	u, err := url.Parse("https://" + ns)
	if err != nil || u.Host != ns || u.Hostname() == "" {
		return "", fmt.Errorf("namespace %q is not a host name such as NAMESPACE.servicebus.windows.net", ns)
	}
	return "https://" + ns, nil
}

// serviceBusPath escapes a queue or topic name for the URL: segments
// (Service Bus names may have /), none empty, "." or "..".
func serviceBusPath(name string) (string, error) {
	if name == "" {
		return "", errors.New("the queue or topic name is empty")
	}
	parts := strings.Split(name, "/")
	for i, seg := range parts {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("queue or topic name %q has an empty, . or .. path segment", name)
		}
		parts[i] = url.PathEscape(seg)
	}
	return strings.Join(parts, "/"), nil
}

func (m *sendServiceBusMessage) Run(ctx context.Context, s *engine.State) error {
	const policy = "send-service-bus-message"
	entity, err := m.entity.Eval(s)
	if err != nil {
		return err
	}
	path, err := serviceBusPath(entity)
	if err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, policy+": "+err.Error(), nil)
	}
	ns, err := m.namespace.Eval(s)
	if err != nil {
		return err
	}
	base, err := serviceBusBase(ns)
	if err != nil {
		return engine.NewPolicyError(engine.ReasonExpression, 500, policy+": "+err.Error(), nil)
	}
	tp := m.tp
	if !m.clientID.IsConst() {
		id, err := m.clientID.Eval(s)
		if err != nil {
			return err
		}
		if tp = m.k.tokens[id]; tp == nil {
			return engine.NewPolicyError(ReasonTokenFailure, 500,
				fmt.Sprintf("%s: no identity is configured for client-id %q", policy, id), nil)
		}
	}
	if tp == nil {
		return engine.NewPolicyError(ReasonTokenFailure, 500, policy+": no identity is configured", nil) // reported at load
	}
	payload, err := m.payload.Eval(s)
	if err != nil {
		return err
	}
	if len(payload) > serviceBusMaxPayload {
		return engine.NewPolicyError(ReasonServiceBus, 500,
			fmt.Sprintf("%s: the payload is %d bytes, more than the %d a message may have", policy, len(payload), serviceBusMaxPayload), nil)
	}
	h := engine.Headers{"Content-Type": {"text/plain; charset=utf-8"}}
	if t := strings.TrimSpace(payload); t != "" && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		h["Content-Type"] = []string{"application/json"}
	}
	for _, pr := range m.props {
		v, err := pr.value.Eval(s)
		if err != nil {
			return err
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return engine.NewPolicyError(ReasonServiceBus, 500,
				fmt.Sprintf("%s: message property %q has a line break or NUL, which an HTTP header cannot carry", policy, pr.name), nil)
		}
		h[pr.name] = []string{v}
	}
	target := base + "/" + path + "/messages"
	out := &outgoing{method: http.MethodPost, target: target, header: h, body: []byte(payload)}
	c := calloutCall{client: m.k.client, direct: m.k.direct, out: out, timeout: m.k.azureTimeout, max: m.k.maxCalloutBytes,
		identity: &managedIdentity{tp: tp, resource: engine.ConstStr(serviceBusResource)},
		failed:   serviceBusFailed, tooLarge: serviceBusTooLarge}
	resp, err := c.do(ctx, s)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return engine.NewPolicyError(ReasonServiceBus, http.StatusBadGateway,
			fmt.Sprintf("%s: Service Bus answered %d (%s) to POST %s", policy, resp.StatusCode, serviceBusStatus(resp.StatusCode), target), nil)
	}
	s.Tracef("%s: message sent to %s (%d bytes)", policy, entity, len(payload))
	return nil
}

// serviceBusStatus words Service Bus's documented answers to Send Message.
func serviceBusStatus(code int) string {
	switch code {
	case 400:
		return "bad request"
	case 401:
		return "the token was refused"
	case 403:
		return "quota exceeded or message too large"
	case 404, 410:
		return "no such queue or topic"
	case 413:
		return "message too large"
	}
	return strings.ToLower(http.StatusText(code))
}

// serviceBusFailed words a send Service Bus did not answer.
func serviceBusFailed(target string, ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return engine.NewPolicyError(engine.ReasonTimeout, http.StatusGatewayTimeout,
			"send-service-bus-message: Service Bus did not answer POST "+engine.RedactURL(target)+" in time", err)
	}
	return engine.NewPolicyError(ReasonServiceBus, http.StatusBadGateway,
		"send-service-bus-message: POST "+engine.RedactURL(target)+" failed: "+errWithoutURL(err), err)
}

func serviceBusTooLarge(target string, max int64) error {
	return engine.NewPolicyError(ReasonServiceBus, http.StatusBadGateway,
		fmt.Sprintf("send-service-bus-message: Service Bus's answer to POST %s is larger than %d bytes", engine.RedactURL(target), max), nil)
}
