package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"tollgate/engine"
)

// A2A agent APIs (apiInformation.json "type": "a2a"): APIM's APIs for
// agents that speak the Agent2Agent protocol over JSON-RPC. docs/a2a.md
// describes them; in short:
//
//   - GET PATH+agentCardPath answers the agent card, fetched from
//     a2aProperties.agentCardBackendUrl and rewritten (a2aCard below) so
//     that clients call the agent through the gateway;
//   - PATH+jsonRpcProperties.path, and what is under it, is proxied to
//     jsonRpcProperties.backendUrl as any REST request is (event streams
//     relayed as they come);
//   - anything else under PATH is 404 (no operation), through on-error.
//
// Both kinds of request run the global and API policies, the subscription
// check and the limits of the API, as every other request does.

// A2AMaxCardSize bounds an agent card read from its backend: a larger one
// is a 502, never buffered whole.
const A2AMaxCardSize = 1 << 20

// a2aMaxCardDepth bounds the nesting of an agent card's JSON.
const a2aMaxCardDepth = 64

// A2AAgent is what an A2A agent API adds to an API.
type A2AAgent struct {
	ID       string   // agent.id: gen_ai.agent.id
	CardURL  *url.URL // a2aProperties.agentCardBackendUrl
	CardPath string   // a2aProperties.agentCardPath, "/agent-card.json"
	RPCPath  string   // jsonRpcProperties.path, "/" (no trailing slash but "/" itself)
	// The gateway paths (the API's path joined with the two above).
	cardPath, rpcPath string
}

// parseA2AInformation reads an A2A agent API's properties into api (its
// ServiceURL becomes the JSON-RPC backend), or, for an API of another
// type, reports them as ignored.
func parseA2AInformation(api *API, src apiSource, props map[string]json.RawMessage, nv *engine.NamedValues, errs *engine.ErrorList, notes *[]string) {
	file, data := src.file, src.data
	at := func(k string) engine.Pos { return jsonKeyPos(file, data, k) }
	within := func(outer, k string) engine.Pos { return jsonKeyPosAfter(file, data, outer, k) }
	if api.Type != "a2a" {
		for _, k := range []string{"a2aProperties", "jsonRpcProperties"} {
			if raw, ok := props[k]; ok && !bytes.Equal(raw, []byte("null")) {
				*notes = append(*notes, at(k).String()+": ignored: "+k+" of API "+api.Name+" (only an API of type a2a has them)")
			}
		}
		return
	}
	failed := map[string]bool{} // outer.key whose named values failed: reported once
	// object reads one of the nested objects: its string properties
	// (named values substituted), the others reported.
	object := func(outer string, known ...string) map[string]string {
		out := map[string]string{}
		raw, ok := props[outer]
		if !ok || bytes.Equal(raw, []byte("null")) {
			errs.Add(at("type"), "", "A2A agent API %q needs %s", api.Name, outer)
			return nil
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			errs.Add(at(outer), "", "%s must be an object", outer)
			return nil
		}
		for _, k := range sortedKeys(m) {
			if !slices.Contains(known, k) {
				*notes = append(*notes, within(outer, k).String()+": ignored: "+outer+"."+k+" of API "+api.Name)
				continue
			}
			if bytes.Equal(m[k], []byte("null")) {
				continue
			}
			var s string
			if json.Unmarshal(m[k], &s) != nil {
				errs.Add(within(outer, k), "", "%s.%s must be a string, not %s", outer, k, string(m[k]))
				continue
			}
			v, err := nv.Substitute(s)
			if err != nil {
				errs.Add(within(outer, k), "", "%s", err.Error())
				failed[outer+"."+k] = true
			}
			out[k] = v
		}
		return out
	}
	absURL := func(outer, k, v string) *url.URL {
		if failed[outer+"."+k] {
			return nil
		}
		u, problem := a2aURL(outer+"."+k, v)
		if problem != "" {
			errs.Add(within(outer, k), "", "%s", problem)
		}
		return u
	}
	relPath := func(outer, k, v, def string) string {
		if failed[outer+"."+k] {
			return def
		}
		p, problem := a2aPath(outer+"."+k, v, def)
		if problem != "" {
			errs.Add(within(outer, k), "", "%s", problem)
		}
		return p
	}
	a := &A2AAgent{}
	card := object("a2aProperties", "agentCardBackendUrl", "agentCardPath")
	rpc := object("jsonRpcProperties", "backendUrl", "path")
	if card != nil {
		a.CardURL = absURL("a2aProperties", "agentCardBackendUrl", card["agentCardBackendUrl"])
		a.CardPath = relPath("a2aProperties", "agentCardPath", card["agentCardPath"], a2aDefaultCardPath)
	}
	if rpc != nil {
		api.ServiceURL = absURL("jsonRpcProperties", "backendUrl", rpc["backendUrl"])
		a.RPCPath = relPath("jsonRpcProperties", "path", rpc["path"], "/")
	}
	if card != nil && rpc != nil && a.CardPath == a.RPCPath {
		errs.Add(within("a2aProperties", "agentCardPath"), "", "%s", a2aSamePaths("a2aProperties.agentCardPath", "jsonRpcProperties.path", a.CardPath))
	}
	if raw, ok := props["agent"]; ok && !bytes.Equal(raw, []byte("null")) {
		var ag struct {
			ID *string `json:"id"`
		}
		if json.Unmarshal(raw, &ag) != nil {
			errs.Add(at("agent"), "", "agent must be an object with a string id")
		} else if ag.ID != nil {
			id, err := nv.Substitute(*ag.ID)
			if err != nil {
				errs.Add(within("agent", "id"), "", "%s", err.Error())
			}
			a.ID = id
		}
	}
	if svc := props["serviceUrl"]; len(svc) > 0 && !bytes.Equal(svc, []byte(`""`)) && !bytes.Equal(svc, []byte("null")) {
		*notes = append(*notes, at("serviceUrl").String()+": ignored: serviceUrl of A2A agent API "+api.Name+" (its backend is jsonRpcProperties.backendUrl)")
	}
	a.link(api)
}

// a2aDefaultCardPath is the card's path without agentCardPath (tollgate
// chooses: the A2A well-known path).
const a2aDefaultCardPath = "/.well-known/agent-card.json"

// readA2AAPI reads the A2A part of an api.xml of type a2a (tollgate's own
// layout, docs/a2a.md), the settings of the APIOps form under names of
// api.xml's kind:
//
//	<api name="market-analyst" type="a2a" path="/market-analyst"
//	     service-url="https://agent.internal"                                   jsonRpcProperties.backendUrl
//	     json-rpc-path="/"                                                     jsonRpcProperties.path
//	     agent-card-url="https://agent.internal/.well-known/agent-card.json"   a2aProperties.agentCardBackendUrl
//	     agent-card-path="/agent-card.json"                                    a2aProperties.agentCardPath
//	     agent-id="market-analyst"/>                                           agent.id
func readA2AAPI(p *engine.Parser, api *API, svc string) {
	n := p.Node()
	valuePos := func(name string) engine.Pos {
		if a := n.Attr(name); a != nil {
			return a.ValuePos
		}
		return n.Pos
	}
	a := &A2AAgent{}
	if svc != "" {
		u, problem := a2aURL("service-url", svc)
		if problem != "" {
			p.ErrorAt(valuePos("service-url"), "%s", problem)
		}
		api.ServiceURL = u
	}
	if v := p.RequiredLitStr("agent-card-url"); v != "" {
		u, problem := a2aURL("agent-card-url", v)
		if problem != "" {
			p.ErrorAt(valuePos("agent-card-url"), "%s", problem)
		}
		a.CardURL = u
	}
	path := func(attr, def string) string {
		v, problem := a2aPath(attr, p.LitStr(attr, ""), def)
		if problem != "" {
			p.ErrorAt(valuePos(attr), "%s", problem)
		}
		return v
	}
	a.CardPath = path("agent-card-path", a2aDefaultCardPath)
	a.RPCPath = path("json-rpc-path", "/")
	switch {
	case a.CardPath != a.RPCPath:
	case n.Attr("agent-card-path") == nil:
		p.ErrorAt(valuePos("json-rpc-path"), "json-rpc-path %q is the agent card's path too (agent-card-path's default): give the agent card a path of its own", a.RPCPath)
	default:
		p.ErrorAt(valuePos("agent-card-path"), "%s", a2aSamePaths("agent-card-path", "json-rpc-path", a.CardPath))
	}
	a.ID = p.LitStr("agent-id", "")
	a.link(api)
}

// a2aAttrs are the api.xml attributes of an A2A agent API.
var a2aAttrs = []string{"agent-card-url", "agent-card-path", "json-rpc-path", "agent-id"}

// rejectA2AAttrs reports the A2A attributes of an api.xml of another type.
func rejectA2AAttrs(p *engine.Parser) {
	for _, name := range a2aAttrs {
		if a := p.Node().Attr(name); a != nil {
			p.LitStr(name, "") // reported here, not as unknown too
			p.ErrorAt(a.Pos, "%s is for an A2A agent API (type=\"a2a\")", name)
		}
	}
}

// a2aURL checks one of an A2A agent's backend URLs (what names the
// setting in the message): absolute http(s), without user:password. It
// returns the URL, or what is wrong with it.
func a2aURL(what, v string) (*url.URL, string) {
	u, err := url.Parse(v)
	if v == "" || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Sprintf("%s %q must be an absolute http:// or https:// URL", what, v)
	}
	if u.User != nil {
		return nil, what + " must not hold credentials (give them to a backend entity or a policy)"
	}
	return u, ""
}

// a2aPath checks one of an A2A agent's paths under the API's (the card's,
// the JSON-RPC endpoint's): "" is def. It returns the path without a
// trailing slash, or def and what is wrong with it.
func a2aPath(what, v, def string) (string, string) {
	if v == "" {
		return def, ""
	}
	if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?#* \\") {
		return def, fmt.Sprintf("%s %q must be a URL path starting with /", what, v)
	}
	if n, err := normalizePath(v); err != nil || n != v && n+"/" != v {
		return def, fmt.Sprintf("%s %q must be a plain path (no dot segments, no empty segments)", what, v)
	}
	if v != "/" {
		v = strings.TrimSuffix(v, "/")
	}
	return v, ""
}

// a2aSamePaths is the problem of a card path that is the JSON-RPC path.
func a2aSamePaths(cardWhat, rpcWhat, path string) string {
	return fmt.Sprintf("%s %q is the JSON-RPC path (%s) too: give the agent card a path of its own", cardWhat, path, rpcWhat)
}

// link makes a the API's A2A part, with its gateway paths under the API's.
func (a *A2AAgent) link(api *API) {
	a.cardPath = joinPath(api.Path, a.CardPath)
	a.rpcPath = joinPath(api.Path, a.RPCPath)
	if a.RPCPath == "/" && api.Path != "/" {
		a.rpcPath = api.Path // the API's base URL itself; "/path/..." is under it
	}
	api.A2A = a
}

// jsonKeyPosAfter finds "key": after the first "outer": in a JSON file
// (a nested property), or where outer is.
func jsonKeyPosAfter(file string, data []byte, outer, key string) engine.Pos {
	i := bytes.Index(data, []byte(`"`+outer+`"`))
	if i < 0 {
		return jsonKeyPos(file, data, key)
	}
	j := bytes.Index(data[i:], []byte(`"`+key+`"`))
	if j < 0 {
		return offsetPos(file, data, int64(i)+1)
	}
	return offsetPos(file, data, int64(i+j)+1)
}

// isCard reports whether r asks for the agent card: a GET of its path.
func (a *A2AAgent) isCard(r *http.Request) bool {
	return a != nil && r.Method == http.MethodGet && r.URL.Path == a.cardPath
}

// routes reports whether path (normalised) is one the A2A API answers:
// its agent card, or the JSON-RPC path and what is under it.
func (a *A2AAgent) routes(path string) bool {
	if path == a.cardPath || path == a.rpcPath || a.rpcPath == "/" {
		return true
	}
	return strings.HasPrefix(path, strings.TrimSuffix(a.rpcPath, "/")+"/")
}

// backendRest is the part of rest (the request path after the API's path)
// appended to the JSON-RPC backend URL: what follows the JSON-RPC path.
func (a *A2AAgent) backendRest(rest string) string {
	if a.RPCPath == "/" {
		return rest
	}
	if rest == a.RPCPath {
		return ""
	}
	if strings.HasPrefix(rest, a.RPCPath+"/") {
		return rest[len(a.RPCPath):]
	}
	return rest // a policy rewrote the path elsewhere: sent as it is
}

// rpcURL is the JSON-RPC URL of the agent as the client reached the
// gateway: the scheme of the connection (TLS or not) and the Host it
// asked for. tollgate has no trusted-proxy setting, so X-Forwarded-*
// headers are not believed.
func (a *A2AAgent) rpcURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: a.rpcPath}
	return u.String()
}

// a2aCardError is an agent card the gateway could not serve: the
// message names the API and the reason, never the backend's body.
type a2aCardError struct {
	api, reason string
}

func (e *a2aCardError) Error() string {
	return "the agent card of A2A API " + strconv.Quote(e.api) + " " + e.reason
}

// policyError is the 502 for the card: the client is told why (the API,
// the status or the flaw; nothing the backend wrote), on-error may
// change it.
func (e *a2aCardError) policyError(err error) *engine.PolicyError {
	pe := engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway, e.Error(), err)
	pe.Response = engine.ErrorResponse(http.StatusBadGateway, e.Error()+".")
	return pe
}

// a2aCardRequestHeaders adjusts the headers of the request for the card:
// the card is read and rewritten, so it must come whole, uncompressed
// and as JSON, never as a range or a "not modified".
func a2aCardRequestHeaders(h http.Header) {
	for _, k := range []string{"Accept-Encoding", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range"} {
		delete(h, k)
	}
	h["Accept"] = []string{"application/json"}
}

// a2aCardResponse replaces the backend's answer to the card request by
// the rewritten card (modifyResponse calls it before outbound).
func (x *exchange) a2aCardResponse(resp *http.Response) error {
	defer resp.Body.Close()
	name := x.api.Name
	if resp.StatusCode != http.StatusOK {
		return &a2aCardError{name, "could not be read: its backend answered " + strconv.Itoa(resp.StatusCode)}
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return &a2aCardError{name, "came with Content-Encoding " + strconv.Quote(ce) + ": the gateway reads cards uncompressed"}
	}
	data, err := readLimited(resp.Body, resp.ContentLength, A2AMaxCardSize, "the agent card")
	if errors.Is(err, errBodyTooLarge) {
		return &a2aCardError{name, "is larger than " + strconv.Itoa(A2AMaxCardSize) + " bytes"}
	}
	if err != nil {
		return err // a transport error: timeout or broken connection
	}
	out, err := a2aCard(data, x.api.A2A.rpcURL(x.in), x.api.Subscription.Required, x.api.Subscription)
	if err != nil {
		return &a2aCardError{name, "is invalid: " + err.Error()}
	}
	for _, k := range []string{"Content-Encoding", "Content-Length", "Content-Md5", "Content-Range", "Accept-Ranges", "Digest", "Etag", "Last-Modified", "Transfer-Encoding", "Trailer"} {
		resp.Header.Del(k)
	}
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.TransferEncoding = nil
	resp.Trailer = nil
	return nil
}

// a2aCardBody is a2aCardResponse for forward-request inside retry, which
// reads the answer whole: the card it sets as the response's body.
func (x *exchange) a2aCardBody(status int, h http.Header, data []byte) ([]byte, error) {
	if status != http.StatusOK {
		return nil, &a2aCardError{x.api.Name, "could not be read: its backend answered " + strconv.Itoa(status)}
	}
	if len(data) > A2AMaxCardSize {
		return nil, &a2aCardError{x.api.Name, "is larger than " + strconv.Itoa(A2AMaxCardSize) + " bytes"}
	}
	out, err := a2aCard(data, x.api.A2A.rpcURL(x.in), x.api.Subscription.Required, x.api.Subscription)
	if err != nil {
		return nil, &a2aCardError{x.api.Name, "is invalid: " + err.Error()}
	}
	for _, k := range []string{"Content-Encoding", "Content-Md5", "Content-Range", "Accept-Ranges", "Digest", "Etag", "Last-Modified"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json")
	return out, nil
}

// The security schemes the rewritten card adds when the API needs a
// subscription key: the key in its header or in its query parameter.
const (
	a2aKeyHeaderScheme = "apim-subscription-key-header"
	a2aKeyQueryScheme  = "apim-subscription-key-query"
)

// a2aCard rewrites an agent card (docs/a2a.md). Two shapes are known:
//
//   - A2A 0.3 (the one APIM's page describes): url becomes rpcURL,
//     preferredTransport JSONRPC, additionalInterfaces only the JSON-RPC
//     one (at rpcURL); security schemes {"type": "apiKey", "in", "name"},
//     requirements in security: [{"scheme": []}];
//   - A2A 1.0: supportedInterfaces keeps its JSONRPC entries, at rpcURL,
//     and drops the others (none left is an error: only JSON-RPC agents
//     are served); schemes {"apiKeySecurityScheme": {"location", "name"}},
//     requirements in securityRequirements: [{"schemes": {"scheme":
//     {"list": []}}}].
//
// A card with supportedInterfaces is a 1.0 one (its url, if any, is
// rewritten too: a card may carry both for older clients); any other is
// a 0.3 one. When a key is required, the subscription key's schemes join
// securitySchemes and every requirement. Every other member is kept byte
// for byte, in its order; a member given twice keeps its first place and
// value.
func a2aCard(data []byte, rpcURL string, keyRequired bool, keys SubscriptionSettings) ([]byte, error) {
	if err := jsonDepth(data, a2aMaxCardDepth); err != nil {
		return nil, err
	}
	card, err := orderedObject(data)
	if err != nil {
		return nil, errors.New("not a JSON object")
	}
	// A member that differs from one rewritten here by case only would be
	// taken for it by a case-insensitive decoder (Go's encoding/json): it
	// goes.
	card.dropFolded("url", "preferredTransport", "additionalInterfaces", "supportedInterfaces", "securitySchemes", "security", "securityRequirements")
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	raw, v1 := card.get("supportedInterfaces")
	if v1 {
		ifaces, err := a2aInterfaces(raw, "protocolBinding", rpcURL)
		if err != nil {
			return nil, fmt.Errorf("supportedInterfaces: %w", err)
		}
		if len(ifaces) == 0 {
			return nil, errors.New("it offers no JSONRPC interface in supportedInterfaces (only JSON-RPC agents are served)")
		}
		card.set("supportedInterfaces", a2aList(ifaces))
	}
	if _, ok := card.get("url"); ok || !v1 {
		card.set("url", str(rpcURL))
	}
	if _, ok := card.get("preferredTransport"); ok || !v1 {
		card.set("preferredTransport", str("JSONRPC"))
	}
	if raw, ok := card.get("additionalInterfaces"); ok {
		// The JSON-RPC entry stays (at the gateway), or is made.
		ifaces, err := a2aInterfaces(raw, "transport", rpcURL)
		if err != nil {
			return nil, fmt.Errorf("additionalInterfaces: %w", err)
		}
		if len(ifaces) == 0 {
			iface, _ := json.Marshal(map[string]string{"url": rpcURL, "transport": "JSONRPC"})
			ifaces = []json.RawMessage{iface}
		}
		card.set("additionalInterfaces", a2aList(ifaces[:1]))
	}
	if !keyRequired {
		return card.bytes(), nil
	}
	schemes := &ordered{}
	if raw, ok := card.get("securitySchemes"); ok && !bytes.Equal(raw, []byte("null")) {
		if schemes, err = orderedObject(raw); err != nil {
			return nil, errors.New("securitySchemes is not an object")
		}
	}
	// Each requirement holds with the key given either way: a
	// requirement (all of its schemes) and the key, in the header or in
	// the query.
	names := []string{a2aKeyHeaderScheme, a2aKeyQueryScheme}
	if v1 {
		type apiKey struct {
			Location    string `json:"location"`
			Name        string `json:"name"`
			Description string `json:"description"`
		}
		for i, loc := range []string{"header", "query"} {
			name := []string{keys.Header, keys.Query}[i]
			b, _ := json.Marshal(map[string]apiKey{"apiKeySecurityScheme": {loc, name, "API Management subscription key"}})
			schemes.set(names[i], b)
		}
		reqs, err := a2aRequirements(card, "securityRequirements", func(r *ordered, name string) error {
			s := &ordered{}
			if raw, ok := r.get("schemes"); ok && !bytes.Equal(raw, []byte("null")) {
				var err error
				if s, err = orderedObject(raw); err != nil {
					return errors.New("a requirement's schemes is not an object")
				}
			}
			s.set(name, json.RawMessage(`{"list":[]}`))
			r.set("schemes", s.bytes())
			return nil
		})
		if err != nil {
			return nil, err
		}
		card.set("securitySchemes", schemes.bytes())
		card.set("securityRequirements", reqs)
	}
	if _, ok := card.get("security"); ok || !v1 {
		type apiKey struct {
			Type        string `json:"type"`
			In          string `json:"in"`
			Name        string `json:"name"`
			Description string `json:"description"`
		}
		if !v1 { // a card of both shapes keeps its 1.0 schemes
			hdr, _ := json.Marshal(apiKey{"apiKey", "header", keys.Header, "API Management subscription key"})
			qry, _ := json.Marshal(apiKey{"apiKey", "query", keys.Query, "API Management subscription key"})
			schemes.set(a2aKeyHeaderScheme, hdr)
			schemes.set(a2aKeyQueryScheme, qry)
			card.set("securitySchemes", schemes.bytes())
		}
		reqs, err := a2aRequirements(card, "security", func(r *ordered, name string) error {
			r.set(name, json.RawMessage("[]"))
			return nil
		})
		if err != nil {
			return nil, err
		}
		card.set("security", reqs)
	}
	return card.bytes(), nil
}

// a2aInterfaces keeps the entries of an interface list whose field (the
// transport, or protocolBinding) is JSONRPC, with rpcURL for their url.
func a2aInterfaces(raw json.RawMessage, field, rpcURL string) ([]json.RawMessage, error) {
	var list []json.RawMessage
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if json.Unmarshal(raw, &list) != nil {
		return nil, errors.New("not a list")
	}
	var out []json.RawMessage
	for _, e := range list {
		o, err := orderedObject(e)
		if err != nil {
			return nil, errors.New("an entry is not an object")
		}
		o.dropFolded("url", field)
		var t string
		if v, ok := o.get(field); !ok || json.Unmarshal(v, &t) != nil || !strings.EqualFold(t, "JSONRPC") {
			continue
		}
		u, _ := json.Marshal(rpcURL)
		o.set("url", u)
		out = append(out, o.bytes())
	}
	return out, nil
}

// a2aRequirements is the card's requirement list key, each requirement
// twice: with add(requirement, header scheme) and with add(requirement,
// query scheme). No requirement (or none listed) is one empty requirement.
func a2aRequirements(card *ordered, key string, add func(*ordered, string) error) (json.RawMessage, error) {
	var reqs []json.RawMessage
	if raw, ok := card.get(key); ok && !bytes.Equal(raw, []byte("null")) {
		if json.Unmarshal(raw, &reqs) != nil {
			return nil, errors.New(key + " is not a list")
		}
	}
	if len(reqs) == 0 {
		reqs = []json.RawMessage{json.RawMessage("{}")}
	}
	out := make([]json.RawMessage, 0, 2*len(reqs))
	for _, r := range reqs {
		for _, name := range []string{a2aKeyHeaderScheme, a2aKeyQueryScheme} {
			req, err := orderedObject(r)
			if err != nil {
				return nil, errors.New("a security requirement is not an object")
			}
			if err := add(req, name); err != nil {
				return nil, err
			}
			out = append(out, req.bytes())
		}
	}
	return a2aList(out), nil
}

// a2aList writes raw JSON values as a list.
func a2aList(vals []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(v)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// ordered is a JSON object's members in their order, values verbatim.
type ordered struct {
	keys []string
	vals []json.RawMessage
}

// orderedObject reads a JSON object; a member given twice keeps its first
// place and value (a later one could otherwise win in the client's parser).
func orderedObject(data []byte) (*ordered, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	o := &ordered{}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		o.keys, o.vals = append(o.keys, k), append(o.vals, v)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return o, nil
}

func (o *ordered) get(k string) (json.RawMessage, bool) {
	for i, have := range o.keys {
		if have == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// set replaces k's value in its place, or adds k at the end.
func (o *ordered) set(k string, v json.RawMessage) {
	for i, have := range o.keys {
		if have == k {
			o.vals[i] = v
			return
		}
	}
	o.keys, o.vals = append(o.keys, k), append(o.vals, v)
}

// dropFolded removes the members whose names equal one of names but for
// case.
func (o *ordered) dropFolded(names ...string) {
	keys, vals := o.keys[:0], o.vals[:0]
	for i, k := range o.keys {
		if !slices.Contains(names, k) && slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, k) }) {
			continue
		}
		keys, vals = append(keys, k), append(vals, o.vals[i])
	}
	o.keys, o.vals = keys, vals
}

func (o *ordered) bytes() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[i])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonDepth fails for JSON nested deeper than max (objects and arrays),
// before any decoder recurses into it.
func jsonDepth(data []byte, max int) error {
	depth, inStr, esc := 0, false, false
	for _, c := range data {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > max {
				return errors.New("nested deeper than " + strconv.Itoa(max) + " levels")
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// Telemetry (telemetry.go): the OpenTelemetry GenAI attributes APIM
// documents for A2A agent APIs, under the semantic convention's names.

// spanAttrs are the attributes of every request to the API's server span.
func (a *A2AAgent) spanAttrs(api *API, r *http.Request) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, 3)
	if a.ID != "" {
		out = append(out, attribute.String("gen_ai.agent.id", a.ID))
	}
	out = append(out, attribute.String("gen_ai.agent.name", api.Name))
	if r.Method == http.MethodPost && !a.isCard(r) {
		out = append(out, attribute.String("gen_ai.operation.name", "invoke_agent"))
	}
	return out
}

// rpcSniffMax is how much of a JSON-RPC request body the span looks at
// for its method: the bytes the proxy reads anyway, never more.
const rpcSniffMax = 4 << 10

// rpcSniffer keeps the first bytes of a request body as the proxy reads
// them, for the span's rpc.method. It never reads on its own.
type rpcSniffer struct {
	io.ReadCloser
	mu  sync.Mutex // the transport may read the body from its own goroutine
	buf []byte
}

// sniffJSONRPC wraps r's body when the request may be a JSON-RPC call.
func sniffJSONRPC(r *http.Request) *rpcSniffer {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	s := &rpcSniffer{ReadCloser: r.Body}
	r.Body = s
	return s
}

func (s *rpcSniffer) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	if n > 0 {
		s.mu.Lock()
		if room := rpcSniffMax - len(s.buf); room > 0 {
			s.buf = append(s.buf, p[:min(n, room)]...)
		}
		s.mu.Unlock()
	}
	return n, err
}

// record sets rpc.system and rpc.method when the body read so far starts
// a JSON-RPC request with a method.
func (s *rpcSniffer) record(span trace.Span) {
	s.mu.Lock()
	data := s.buf
	s.mu.Unlock()
	if m := jsonRPCMethod(data); m != "" {
		span.SetAttributes(attribute.String("rpc.system", "jsonrpc"), attribute.String("rpc.method", m))
	}
}

// jsonRPCMethod finds the "method" string member of the JSON object data
// starts (data may be cut short), skipping the other members' values.
func jsonRPCMethod(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		if k, _ := t.(string); k == "method" {
			var m string
			if dec.Decode(&m) != nil || len(m) > 128 {
				return ""
			}
			return m
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}
