package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"tollgate/engine"
)

// MCP servers (docs/mcp.md): an API of type "mcp", in one of APIM's two
// kinds:
//
//   - a REST API exposed as an MCP server: "mcpTools" name operations of
//     HTTP APIs; tollgate serves the MCP protocol itself (mcp_local.go,
//     with the official Go SDK) and runs each tools/call as a request to
//     the operation through its own request handling (mcp_tools.go);
//   - an existing MCP server passed through: "backendId" (a backend
//     entity) or "serviceUrl", with "mcpProperties" (transportType and
//     the endpoints' paths on the backend); its requests are proxied as
//     REST requests are, event streams flushed as they come, and an SSE
//     stream's endpoint event pointed back at the gateway (mcp_sse.go).
//
// Either way the client talks to PATH/mcp (Streamable HTTP) or PATH/sse and
// PATH/messages (the older HTTP+SSE transport), and the MCP server's
// policies run on each of those HTTP requests.

// mcpServer is an MCP API's own part of its definition.
type mcpServer struct {
	// tools are the mcpTools as declared (REST-as-MCP: the tools served;
	// pass-through: the tools let through, when any are given).
	tools []mcpToolDecl
	// passThrough: an existing MCP server (backendId or serviceUrl).
	passThrough bool
	backendID   string
	backendPos  engine.Pos
	transport   string            // streamable | sse (pass-through)
	endpoints   map[string]string // mcp, sse, messages -> path on the backend
	file        string            // apiInformation.json, for messages at run time
}

// mcpToolDecl is one entry of mcpTools.
type mcpToolDecl struct {
	Name        string `json:"name"`
	OperationID string `json:"operationId"`
	Description string `json:"description"`
	api, op     string // from OperationID: the API's and the operation's name
	pos         engine.Pos
}

// mcpInfoProps are the apiInformation.json properties of MCP servers.
var mcpInfoProps = map[string]bool{"mcpTools": true, "mcpProperties": true, "backendId": true}

// mcpOperationID matches the end of an mcpTools operationId: a full ARM id
// (/subscriptions/…/service/X/apis/A/operations/O) or /apis/A/operations/O.
var mcpOperationID = regexp.MustCompile(`(?:^|/)apis/([^/]+)/operations/([^/]+)$`)

// mcpToolName is what MCP allows as a tool name.
var mcpToolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// mcpNoServiceURL is the service URL of a REST-as-MCP server: its backend
// is tollgate's own MCP handling, never dialled (.invalid never resolves).
var mcpNoServiceURL = &url.URL{Scheme: "http", Host: "mcp.invalid"}

// parseMCPInformation reads the MCP properties of an apiInformation.json
// of type mcp into api (api.Type is "mcp"). str reads a string property
// with named values substituted; at gives a property's place.
func parseMCPInformation(api *API, src apiSource, props map[string]json.RawMessage, str func(string) string,
	at func(string) engine.Pos, errs *engine.ErrorList, notes *[]string) {
	m := &mcpServer{file: src.file}
	api.mcp = m
	api.ServiceURL = mcpNoServiceURL
	if src.scope != nil && src.scope.ws != nil {
		errs.Add(at("type"), "", "API %q is an MCP server, and APIM does not support MCP servers in workspaces: move it to the service's apis/", api.Name)
	}
	if raw, ok := props["mcpTools"]; ok && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &m.tools); err != nil {
			errs.Add(at("mcpTools"), "", "mcpTools must be a list of {\"name\", \"operationId\", \"description\"}")
			m.tools = nil
		}
	}
	svc := str("serviceUrl")
	m.backendID = str("backendId")
	m.backendPos = at("backendId")
	m.passThrough = m.backendID != "" || svc != ""
	seen := map[string]bool{}
	itemPos := jsonItemOffsets(src.data, "mcpTools")
	for i := range m.tools {
		t := &m.tools[i]
		t.pos = at("mcpTools")
		if i < len(itemPos) {
			t.pos = offsetPos(src.file, src.data, itemPos[i]+1)
		}
		switch {
		case !mcpToolName.MatchString(t.Name):
			errs.Add(t.pos, "", "MCP tool name %q: use 1 to 128 letters, digits, '_', '-' and '.'", t.Name)
		case seen[t.Name]:
			errs.Add(t.pos, "", "MCP tool %q is declared twice", t.Name)
		}
		seen[t.Name] = true
		idm := mcpOperationID.FindStringSubmatch(t.OperationID)
		if m.passThrough {
			continue // the backend's tool of that name; its operationId is not needed
		}
		if idm == nil {
			errs.Add(t.pos, "", "MCP tool %q: operationId %q must name an operation as …/apis/API/operations/OPERATION", t.Name, t.OperationID)
			continue
		}
		t.api, t.op = apiName(idm[1]), idm[2]
	}
	if svc != "" {
		u, err := url.Parse(svc)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs.Add(at("serviceUrl"), "", "serviceUrl %q of MCP server %q must be an absolute http(s):// URL", svc, api.Name)
		} else if m.backendID == "" {
			api.ServiceURL = u
		}
	}
	if !m.passThrough && len(m.tools) == 0 {
		errs.Add(at("type"), "", "MCP server %q has no tools and no backend: give mcpTools (a REST API's operations as tools) or backendId (an existing MCP server)", api.Name)
	}
	raw, hasProps := props["mcpProperties"]
	if hasProps && bytes.Equal(raw, []byte("null")) {
		hasProps = false
	}
	if !m.passThrough {
		if hasProps {
			*notes = append(*notes, at("mcpProperties").String()+": ignored: mcpProperties of MCP server "+api.Name+" (it has no backend: its tools are the API operations of mcpTools)")
		}
		return
	}
	m.transport = "streamable"
	m.endpoints = map[string]string{}
	if hasProps {
		parseMCPProperties(m, raw, at("mcpProperties"), errs, notes)
	}
	if m.endpoints["mcp"] == "" && m.transport == "streamable" {
		m.endpoints["mcp"] = "" // the backend's URL is the MCP endpoint itself
	}
	if m.transport == "sse" {
		if _, ok := m.endpoints["sse"]; !ok {
			m.endpoints["sse"] = ""
		}
		if _, ok := m.endpoints["messages"]; !ok {
			m.endpoints["messages"] = "/messages"
		}
	}
}

// parseMCPProperties reads mcpProperties: {"transportType": "streamable" |
// "sse", "endpoints": {"mcp" | "sse" | "messages" | "message": {"uriTemplate": "/path"}}}.
func parseMCPProperties(m *mcpServer, raw json.RawMessage, pos engine.Pos, errs *engine.ErrorList, notes *[]string) {
	var p map[string]json.RawMessage
	if json.Unmarshal(raw, &p) != nil {
		errs.Add(pos, "", "mcpProperties must be an object {\"transportType\", \"endpoints\"}")
		return
	}
	for _, k := range sortedKeys(p) {
		v := p[k]
		switch k {
		case "transportType":
			var t string
			if json.Unmarshal(v, &t) != nil {
				errs.Add(pos, "", "mcpProperties transportType must be a string")
				continue
			}
			switch strings.ToLower(t) {
			case "streamable", "streamablehttp", "streamable-http", "":
				m.transport = "streamable"
			case "sse":
				m.transport = "sse"
			default:
				errs.Add(pos, "", "mcpProperties transportType %q: use streamable or sse", t)
			}
		case "endpoints":
			if bytes.Equal(v, []byte("null")) {
				continue
			}
			var eps map[string]struct {
				URITemplate *string `json:"uriTemplate"`
			}
			if json.Unmarshal(v, &eps) != nil {
				errs.Add(pos, "", "mcpProperties endpoints must be an object {\"mcp\": {\"uriTemplate\": \"/path\"}, ...}")
				continue
			}
			for _, name := range sortedKeys(eps) {
				key := strings.ToLower(name)
				if key == "message" {
					key = "messages"
				}
				if key != "mcp" && key != "sse" && key != "messages" {
					*notes = append(*notes, pos.String()+": ignored: mcpProperties endpoint "+name+" (tollgate knows mcp, sse and messages)")
					continue
				}
				t := ""
				if e := eps[name].URITemplate; e != nil {
					t = *e
				}
				if t != "" && (!strings.HasPrefix(t, "/") || strings.ContainsAny(t, "?#{} ")) {
					errs.Add(pos, "", "mcpProperties endpoint %s: uriTemplate %q must be a path on the backend, starting with '/'", name, t)
					continue
				}
				m.endpoints[key] = strings.TrimSuffix(t, "/")
			}
		default:
			*notes = append(*notes, pos.String()+": ignored: mcpProperties "+k)
		}
	}
}

// mcpEndpoint is the endpoint a request to an MCP API is for, from the
// rest of its path after the API's: "mcp", "sse", "messages", or "" for
// none of them.
func mcpEndpoint(api *API, p string) string {
	rest := strings.TrimPrefix(p, strings.TrimSuffix(api.Path, "/"))
	switch rest {
	case "/mcp", "/sse", "/messages":
		return rest[1:]
	}
	return ""
}

// backendPath maps the rest of a pass-through server's request path
// (after the API's path: "/mcp", "/sse", "/messages") to its path on the
// backend (buildBackendURL).
func (m *mcpServer) backendPath(rest string) string {
	if len(rest) > 1 {
		if p, ok := m.endpoints[rest[1:]]; ok {
			return p
		}
	}
	return rest
}

// serves reports whether the server answers on endpoint.
func (m *mcpServer) serves(endpoint string) bool {
	if !m.passThrough {
		return endpoint != ""
	}
	_, ok := m.endpoints[endpoint]
	return ok
}

// mcpToolSet is an MCP server's tools as one snapshot resolved them.
type mcpToolSet struct {
	tools  []*mcpTool
	byName map[string]*mcpTool
}

// linkMCP resolves every MCP server's tools against the snapshot's
// operations and checks its backend entity: every load, since a tool's
// operation belongs to another API.
func linkMCP(apis []*API, failed notLoaded, errs *engine.ErrorList) map[string]*mcpToolSet {
	out := map[string]*mcpToolSet{}
	byName := map[string]*API{}
	for _, a := range apis {
		if a.Revision == "" {
			byName[strings.ToLower(a.Name)] = a
		}
	}
	for _, a := range apis {
		m := a.mcp
		if m == nil {
			continue
		}
		if b := a.backends[m.backendID]; m.backendID != "" && b == nil {
			errs.Add(m.backendPos, "", "backend %q of MCP server %q is not a backend entity (backends/NAME/backendInformation.json)", m.backendID, a.Name)
		} else if b != nil && b.unusable != "" {
			errs.Add(m.backendPos, "", "backend %q of MCP server %q cannot be used: %s: %s", m.backendID, a.Name, b.unusablePos, b.unusable)
		}
		set := &mcpToolSet{byName: map[string]*mcpTool{}}
		for i := range m.tools {
			d := &m.tools[i]
			if d.api == "" && !m.passThrough {
				continue // reported at parse
			}
			t := &mcpTool{decl: d}
			if !m.passThrough {
				rest := byName[strings.ToLower(d.api)]
				switch {
				case rest == nil && failed.anyScope(d.api):
					errs.Add(d.pos, "", "MCP tool %q: API %q "+didNotLoad, d.Name, d.api)
					continue
				case rest == nil:
					errs.Add(d.pos, "", "MCP tool %q: API %q does not exist", d.Name, d.api)
					continue
				case rest.Type != "http":
					errs.Add(d.pos, "", "MCP tool %q: API %q is of type %s; only HTTP APIs can be exposed as MCP servers", d.Name, rest.Name, rest.Type)
					continue
				}
				for _, op := range rest.Operations {
					if strings.EqualFold(op.Info.Id, d.op) {
						t.api, t.op = rest, op
						break
					}
				}
				if t.op == nil {
					errs.Add(d.pos, "", "MCP tool %q: API %q has no operation %q", d.Name, rest.Name, d.op)
					continue
				}
				t.build()
			}
			set.tools = append(set.tools, t)
			set.byName[d.Name] = t
		}
		out[a.Name] = set
	}
	return out
}

// mcpOriginAllowed is the MCP specification's defence against DNS
// rebinding and cross-site calls from browsers (docs/mcp.md): a request
// with an Origin is served when the Origin is the gateway's own host, one
// of the API's allowed-origins, or when the MCP server's policy has a
// <cors> policy (which then answers the browser's preflight and decides).
func mcpOriginAllowed(r *http.Request, api *API) bool {
	if originAllowed(r, api.Limits.AllowedOrigins) {
		return true
	}
	return planHas(api.Plan.Inbound, "cors")
}

func planHas(b engine.Block, name string) bool {
	for _, c := range b {
		if c.Name == name {
			return true
		}
		for _, br := range c.Branches {
			if planHas(br.Steps, name) {
				return true
			}
		}
	}
	return false
}

// jsonItemOffsets are the offsets of the items of the array under key in
// an apiInformation.json's properties (the first such key at depth 2),
// for messages about one item.
func jsonItemOffsets(data []byte, key string) []int64 {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	want := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
				if want && v == '[' {
					return arrayItemOffsets(dec, data)
				}
			} else {
				depth--
			}
			want = false
		case string:
			want = depth == 2 && v == key && !want
		default:
			want = false
		}
	}
}

// arrayItemOffsets reads the items of the array dec has just opened,
// returning where each starts.
func arrayItemOffsets(dec *json.Decoder, data []byte) []int64 {
	var out []int64
	for dec.More() {
		off := dec.InputOffset()
		for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
			off++
		}
		out = append(out, off)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			break
		}
	}
	return out
}

// MCPTools are the names of an MCP server's tools as declared in mcpTools,
// each with the operation it calls ("get-weather (weather-api/get-weather)");
// nil for other APIs.
func (a *API) MCPTools() []string {
	if a.mcp == nil {
		return nil
	}
	out := make([]string, 0, len(a.mcp.tools))
	for _, t := range a.mcp.tools {
		out = append(out, t.Name+" ("+t.api+"/"+t.op+")")
	}
	return out
}

// MCPTarget says where an MCP server's requests go, for tollgate check:
// its tools, or its backend and the endpoints' paths on it; "" for other
// APIs.
func (a *API) MCPTarget() string {
	m := a.mcp
	if m == nil {
		return ""
	}
	if !m.passThrough {
		names := make([]string, 0, len(m.tools))
		for _, t := range m.tools {
			names = append(names, t.Name)
		}
		return "tools: " + strings.Join(names, ", ")
	}
	base := engine.RedactURL(a.ServiceURL.String())
	if m.backendID != "" {
		base = "backend " + m.backendID
	}
	var eps []string
	for _, ep := range []string{"mcp", "sse", "messages"} {
		if p, ok := m.endpoints[ep]; ok {
			if p == "" {
				p = "/"
			}
			eps = append(eps, ep+" "+p)
		}
	}
	return base + " (" + m.transport + ": " + strings.Join(eps, ", ") + ")"
}

// allowedTools is the set of tool names a pass-through server lets
// through (its mcpTools); nil: every tool.
func (m *mcpServer) allowedTools() map[string]bool {
	if !m.passThrough || len(m.tools) == 0 {
		return nil
	}
	out := make(map[string]bool, len(m.tools))
	for _, t := range m.tools {
		out[t.Name] = true
	}
	return out
}

// readMCPAPI reads the MCP part of an api.xml of type mcp (tollgate's own
// layout, docs/mcp.md):
//
//	<api name="weather-mcp" type="mcp" path="/weather-mcp">
//	  <mcp-tool name="get-weather" operation="weather-api/get-weather" description="…"/>
//	</api>
//	<api name="learn" type="mcp" path="/learn" backend-id="learn" mcp-transport="streamable" mcp-endpoint="/api/mcp"/>
func readMCPAPI(p *engine.Parser, api *API, svc string) {
	m := &mcpServer{file: p.Node().Pos.File}
	api.mcp = m
	if api.ServiceURL == nil {
		api.ServiceURL = mcpNoServiceURL
	}
	m.backendID = p.LitStr("backend-id", "")
	if a := p.Node().Attr("backend-id"); a != nil {
		m.backendPos = a.ValuePos
	}
	m.passThrough = m.backendID != "" || svc != ""
	if m.backendID != "" && svc != "" {
		p.Errorf("an MCP server has backend-id or service-url, not both")
	}
	seen := map[string]bool{}
	for _, c := range p.Children() {
		if c.Name != "mcp-tool" {
			continue
		}
		p.Skip(c)
		d := mcpToolDecl{pos: c.Pos}
		for _, a := range c.Attrs {
			switch a.Name {
			case "name":
				d.Name = a.Value
			case "operation":
				d.OperationID = a.Value
			case "description":
				d.Description = a.Value
			default:
				p.ErrorAt(a.Pos, "<mcp-tool> has no attribute %q (known: name, operation, description)", a.Name)
			}
		}
		switch {
		case !mcpToolName.MatchString(d.Name):
			p.ErrorAt(c.Pos, "MCP tool name %q: use 1 to 128 letters, digits, '_', '-' and '.'", d.Name)
		case seen[d.Name]:
			p.ErrorAt(c.Pos, "MCP tool %q is declared twice", d.Name)
		}
		seen[d.Name] = true
		if !m.passThrough {
			a, o, ok := strings.Cut(d.OperationID, "/")
			if !ok || a == "" || o == "" || strings.Contains(o, "/") {
				p.ErrorAt(c.Pos, "MCP tool %q: operation %q must be API/OPERATION", d.Name, d.OperationID)
			} else {
				d.api, d.op = a, o
			}
		}
		for _, c2 := range c.Children {
			p.ErrorAt(c2.Pos, "unexpected element <%s> inside <mcp-tool>", c2.Name)
		}
		m.tools = append(m.tools, d)
	}
	transport := p.LitStr("mcp-transport", "streamable", "streamable", "sse")
	mcpEP := p.LitStr("mcp-endpoint", "")
	sseEP := p.LitStr("mcp-sse-endpoint", "")
	msgEP := p.LitStr("mcp-messages-endpoint", "")
	if !m.passThrough {
		if len(m.tools) == 0 {
			p.Errorf("MCP server %q has no tools and no backend: give <mcp-tool> elements (API operations as tools) or backend-id / service-url (an existing MCP server)", api.Name)
		}
		for _, a := range []string{"mcp-transport", "mcp-endpoint", "mcp-sse-endpoint", "mcp-messages-endpoint"} {
			if p.Node().Attr(a) != nil {
				p.ErrorAt(p.Node().Attr(a).Pos, "%s is for an MCP server with a backend (backend-id or service-url)", a)
			}
		}
		return
	}
	m.transport = transport
	m.endpoints = map[string]string{}
	for _, e := range []struct{ key, attr, v string }{{"mcp", "mcp-endpoint", mcpEP}, {"sse", "mcp-sse-endpoint", sseEP}, {"messages", "mcp-messages-endpoint", msgEP}} {
		if p.Node().Attr(e.attr) == nil {
			continue
		}
		if e.v != "" && (!strings.HasPrefix(e.v, "/") || strings.ContainsAny(e.v, "?#{} ")) {
			p.ErrorAt(p.Node().Attr(e.attr).ValuePos, "%s %q must be a path on the backend, starting with '/'", e.attr, e.v)
			continue
		}
		m.endpoints[e.key] = strings.TrimSuffix(e.v, "/")
	}
	if _, ok := m.endpoints["mcp"]; !ok && transport == "streamable" {
		m.endpoints["mcp"] = ""
	}
	if transport == "sse" {
		if _, ok := m.endpoints["sse"]; !ok {
			m.endpoints["sse"] = ""
		}
		if _, ok := m.endpoints["messages"]; !ok {
			m.endpoints["messages"] = "/messages"
		}
	}
}
