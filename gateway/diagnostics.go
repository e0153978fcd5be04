package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v4"
	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
	"tollgate/internal/appinsights"
	"tollgate/policies"
)

// APIM diagnostics, as APIOps' extractor writes them:
//
//	DIR/diagnostics/NAME/diagnosticInformation.json            every API
//	DIR/apis/API/diagnostics/NAME/diagnosticInformation.json   one API
//
// NAME is the diagnostic's id: azuremonitor (APIM's resource logs, the
// GatewayLogs) becomes a "request" log line per REST call (and fields on
// the "handshake" line), applicationinsights applies to the OpenTelemetry
// traces (sampling, header attributes, the trace policy's messages as span
// events, the correlation protocol). An API's diagnostic replaces the
// service-level one of the same name for that API, whole: as APIM says,
// the settings of an individual API override those for all APIs.
// docs/telemetry.md describes every field; what makes no sense off Azure
// is reported once per load as a notice.
//
// The snapshot holds the diagnostics (Snapshot.diagnostics, nil when the
// folder has none: the request path then costs one nil check); a request
// of an API that has one carries a *diagRequest (reqMatch.diag) through
// the exchange.

const (
	diagAzureMonitor = "azuremonitor"
	diagAppInsights  = "applicationinsights"
	// maxDiagBodyBytes is APIM's bound on body.bytes.
	maxDiagBodyBytes = 8192
)

// Trace severities, in order (the trace policy's severity, a diagnostic's
// verbosity).
var diagSeverity = map[string]int{"verbose": 0, "information": 1, "error": 2}

// maskMode is a dataMasking mode.
type maskMode uint8

const (
	maskMasked maskMode = iota + 1 // Mask: the value is replaced by ***
	maskHidden                     // Hide: the header or parameter is left out
)

// diagnostic is one diagnosticInformation.json as tollgate applies it.
type diagnostic struct {
	name        string // diagAzureMonitor or diagAppInsights
	percentage  float64
	allErrors   bool // alwaysLog: allErrors
	logClientIP bool
	verbosity   int    // the least trace severity recorded (applicationinsights)
	correlation string // None, Legacy or W3C (applicationinsights)
	// frontend (client ↔ gateway) and backend (gateway ↔ backend) messages
	frontReq, frontResp, backReq, backResp diagMessage
	// ai is the exporter of the applicationInsights logger loggerId names
	// (applicationinsights; nil: none, the diagnostic applies to the
	// OpenTelemetry traces only); metrics: emit-metric's and
	// llm-emit-token-metric's values go to it too (diagnostics_appinsights.go).
	ai           *appinsights.Exporter
	metrics      bool
	operationURL bool // operationNameFormat Url (default Name)
}

// diagMessage is what is logged of one HTTP message.
type diagMessage struct {
	headers []string            // canonical names, as listed
	body    int                 // body.bytes: the first bytes logged (0: none)
	mask    map[string]maskMode // dataMasking.headers, by canonical name
	query   map[string]maskMode // dataMasking.queryParams (the frontend request's URL)
}

func (m *diagMessage) empty() bool { return len(m.headers) == 0 && m.body == 0 }

// apiDiagnostics are the diagnostics that apply to one API.
type apiDiagnostics struct {
	monitor  *diagnostic // azuremonitor; nil: none
	insights *diagnostic // applicationinsights; nil: none
}

// diagnosticSet is a snapshot's diagnostics.
type diagnosticSet struct {
	service apiDiagnostics             // the service level's
	apis    map[string]*apiDiagnostics // APIs with their own, by API name
}

// forAPI returns the diagnostics of the API called name, or nil.
func (s *diagnosticSet) forAPI(name string) *apiDiagnostics {
	if a := s.apis[name]; a != nil {
		return a
	}
	if s.service.monitor == nil && s.service.insights == nil {
		return nil
	}
	return &s.service
}

// loadDiagnostics reads the service-level diagnostics and those of apis,
// hashes their files into h, and returns nil when there are none.
func loadDiagnostics(dir string, apis []*API, o *overrides, loggers *policies.LoggerSet, h hash.Hash, errs *engine.ErrorList, notes *[]string) *diagnosticSet {
	set := &diagnosticSet{apis: map[string]*apiDiagnostics{}}
	set.service = readDiagnosticsFolder(filepath.Join(dir, "diagnostics"), "", o, loggers, h, errs, notes)
	// A workspace's diagnostic replaces the service's of the same name for
	// the workspace's APIs (workspaces.go), as an API's replaces both.
	spaces := map[string]apiDiagnostics{}
	for _, a := range apis {
		if a.Workspace == nil {
			continue
		}
		if _, done := spaces[a.Workspace.Id]; done {
			continue
		}
		ws := readDiagnosticsFolder(filepath.Join(dir, "workspaces", a.Workspace.Id, "diagnostics"), "", nil, loggers, h, errs, notes)
		if ws.monitor == nil {
			ws.monitor = set.service.monitor
		}
		if ws.insights == nil {
			ws.insights = set.service.insights
		}
		spaces[a.Workspace.Id] = ws
	}
	for _, a := range apis {
		if a.Dir == "" {
			continue
		}
		base := set.service
		if a.Workspace != nil {
			base = spaces[a.Workspace.Id]
		}
		own := readDiagnosticsFolder(filepath.Join(a.Dir, "diagnostics"), a.Name, nil, loggers, h, errs, notes)
		if own.monitor == nil && own.insights == nil {
			if a.Workspace != nil && (base.monitor != set.service.monitor || base.insights != set.service.insights) {
				set.apis[a.Name] = &base
			}
			continue
		}
		// An API's diagnostic replaces the service's (or its
		// workspace's) of the same name.
		if own.monitor == nil {
			own.monitor = base.monitor
		}
		if own.insights == nil {
			own.insights = base.insights
		}
		set.apis[a.Name] = &own
	}
	if set.service.monitor == nil && set.service.insights == nil && len(set.apis) == 0 {
		return nil
	}
	return set
}

// readDiagnosticsFolder reads FOLDER/NAME/diagnosticInformation.json.
// api is "" for the service level's, whose diagnostics the configuration
// file's diagnostics section (o, nil for the others) overrides, as APIOps'
// publisher does.
func readDiagnosticsFolder(folder, api string, o *overrides, loggers *policies.LoggerSet, h hash.Hash, errs *engine.ErrorList, notes *[]string) apiDiagnostics {
	var out apiDiagnostics
	if o != nil {
		defer unusedDiagnosticOverrides(folder, o, notes)
	}
	if _, err := os.Stat(filepath.Join(folder, "api.xml")); err == nil && api == "" {
		return out // an API of tollgate's layout called diagnostics
	}
	for _, name := range resourceFolders(folder) {
		file := filepath.Join(folder, name, "diagnosticInformation.json")
		data, ok := readIf(file, errs)
		if !ok {
			errs.Add(engine.Pos{File: filepath.Join(folder, name)}, "", "a diagnostic folder needs diagnosticInformation.json")
			continue
		}
		h.Write([]byte("diagnostic\x00" + file + "\x00"))
		h.Write(data)
		var over *overrideEntry
		if o != nil {
			h.Write(o.rawOf("diagnostics", name))
			if y, ok := o.nodes["diagnostics"][strings.ToLower(name)]; ok {
				over = &overrideEntry{file: o.file, props: mapGet(y, "properties")}
			}
		}
		var d *diagnostic
		switch name {
		case diagAzureMonitor, diagAppInsights:
			d = parseDiagnostic(file, name, api, data, over, loggers, errs, notes)
		default:
			*notes = append(*notes, file+": ignored: diagnostic "+name+" (tollgate applies azuremonitor and applicationinsights)")
			continue
		}
		if d == nil {
			continue
		}
		if name == diagAzureMonitor {
			out.monitor = d
		} else {
			out.insights = d
		}
	}
	return out
}

// jnode is a JSON value with where it starts in its file, for messages
// at file:line:col.
type jnode struct {
	off   int64
	kind  byte // '{', '[', '"', '0' (a number), 'b' (true, false), 'n' (null)
	keys  []jmember
	elems []*jnode
	str   string
	num   json.Number
	b     bool
}

type jmember struct {
	name string
	off  int64 // where the key starts
	val  *jnode
}

// member returns the value of key k of an object, or nil.
func (n *jnode) member(k string) *jmember {
	if n == nil {
		return nil
	}
	for i := range n.keys {
		if n.keys[i].name == k {
			return &n.keys[i]
		}
	}
	return nil
}

// describe is how a value is quoted in a message (never a long one).
func (n *jnode) describe() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		if len(n.str) > 40 {
			return strconv.Quote(n.str[:40] + "…")
		}
		return strconv.Quote(n.str)
	case '0':
		return n.num.String()
	case 'b':
		return strconv.FormatBool(n.b)
	}
	return "null"
}

// parseJSONTree parses data (checked by jsonSyntax) into a jnode tree.
func parseJSONTree(data []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return parseJSONValue(dec, data, 0)
}

// jsonStart is where the next token starts: the decoder's offset is after
// the last one, before the blanks, ':' and ',' it skips.
func jsonStart(dec *json.Decoder, data []byte) int64 {
	i := dec.InputOffset()
	for i < int64(len(data)) {
		switch data[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	return i
}

func parseJSONValue(dec *json.Decoder, data []byte, depth int) (*jnode, error) {
	if depth > 64 {
		return nil, fmt.Errorf("nested more than 64 levels deep")
	}
	n := &jnode{off: jsonStart(dec, data)}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n.kind = '{'
			for dec.More() {
				koff := jsonStart(dec, data)
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				val, err := parseJSONValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, jmember{name: k, off: koff, val: val})
			}
		case '[':
			n.kind = '['
			for dec.More() {
				val, err := parseJSONValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, val)
			}
		default:
			return nil, fmt.Errorf("unexpected %q", v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = '"', v
	case json.Number:
		n.kind, n.num = '0', v
	case bool:
		n.kind, n.b = 'b', v
	default:
		n.kind = 'n'
	}
	return n, nil
}

// parseDiagnostic reads one diagnosticInformation.json: {"properties":
// DiagnosticContract}. It reports every problem at its file:line:col and
// returns nil if there was one.
func parseDiagnostic(file, name, api string, data []byte, over *overrideEntry, loggers *policies.LoggerSet, errs *engine.ErrorList, notes *[]string) *diagnostic {
	if e := jsonSyntax(data); e != nil {
		errs.Add(offsetPos(file, data, e.off), "", "invalid JSON: %s", e.msg)
		return nil
	}
	root, err := parseJSONTree(data)
	if err != nil {
		errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "invalid JSON: %s", err.Error())
		return nil
	}
	var layered []engine.Pos // where the override's values are written
	// An empty properties: (null) lays nothing.
	if over != nil && over.props != nil && over.props.ShortTag() != "!!null" {
		top, err := yamlToJnode(over.file, over.props, &layered, 0)
		if err != nil {
			errs.Add(yamlPos(over.file, over.props), "", "diagnostics %s: %s", name, err.Error())
			return nil
		}
		if p := root.member("properties"); p != nil {
			p.val = layerJnode(p.val, top)
		}
	}
	at := func(off int64) engine.Pos {
		if off < 0 { // a value of the configuration file
			return layered[-off-1]
		}
		return offsetPos(file, data, off+1)
	}
	what := "diagnostic " + name
	if api != "" {
		what += " of API " + api
	}
	before := len(*errs)
	bad := func(off int64, format string, args ...any) {
		errs.Add(at(off), "", "%s: %s", what, fmt.Sprintf(format, args...))
	}
	note := func(off int64, text string) {
		*notes = append(*notes, at(off).String()+": ignored: "+text)
	}
	if root.kind != '{' {
		bad(root.off, "a diagnosticInformation.json is an object {\"properties\": {...}}, not %s", root.describe())
		return nil
	}
	props := root.member("properties")
	if props == nil || props.val.kind != '{' {
		off := root.off
		if props != nil {
			off = props.val.off
		}
		bad(off, "a diagnostic needs its \"properties\" object")
		return nil
	}
	d := &diagnostic{name: name, percentage: 100, verbosity: diagSeverity["information"], correlation: "Legacy"}
	// The logger first: what the other properties mean depends on it.
	loggerNote := "" // reported where loggerId is, in order
	if m := props.val.member("loggerId"); m != nil && name == diagAppInsights {
		switch v := m.val; {
		case v.kind == 'n':
		case v.kind != '"':
			bad(v.off, "loggerId must be a string such as \"/loggers/NAME\", not %s", v.describe())
		default:
			id := loggerName(v.str)
			switch {
			case loggers.AppInsights(id) != nil:
				d.ai = loggers.AppInsights(id)
			case loggers.Has(id):
				bad(v.off, "loggerId names logger %s, which is not an applicationInsights logger", id)
			case loggers.Unusable(id) != "":
				loggerNote = "loggerId of " + what + " (logger " + id + " cannot be used, see its notice: nothing is sent to Application Insights, the diagnostic applies to the OpenTelemetry traces)"
			default:
				loggerNote = "loggerId of " + what + " (no applicationInsights logger " + id + " in loggers/: nothing is sent to Application Insights, the diagnostic applies to the OpenTelemetry traces)"
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range props.val.keys {
		v := m.val
		if seen[m.name] {
			bad(m.off, "property %s is given twice", m.name)
			continue
		}
		seen[m.name] = true
		if v.kind == 'n' && m.name != "loggerId" {
			continue // null: APIM's default
		}
		insightsOnly := func() bool {
			if name != diagAppInsights {
				note(m.off, m.name+" of "+what+" (it applies to applicationinsights)")
				return false
			}
			return true
		}
		switch m.name {
		case "loggerId":
			if name != diagAppInsights {
				note(m.off, "loggerId of "+what+" (tollgate writes its own log and exports traces over OTLP)")
			} else if loggerNote != "" {
				note(m.off, loggerNote)
			}
		case "alwaysLog":
			switch {
			case v.kind != '"' || v.str != "allErrors":
				bad(v.off, "alwaysLog must be \"allErrors\", not %s", v.describe())
			case name == diagAppInsights && d.ai == nil:
				note(m.off, "alwaysLog of "+what+" (a request's spans start before its outcome is known: sampling decides)")
			default:
				d.allErrors = true
			}
		case "sampling":
			parseDiagSampling(d, v, bad)
		case "logClientIp":
			if v.kind != 'b' {
				bad(v.off, "logClientIp must be true or false, not %s", v.describe())
			}
			d.logClientIP = v.b
		case "verbosity":
			sev, ok := diagSeverity[v.str]
			if v.kind != '"' || !ok {
				bad(v.off, "verbosity must be verbose, information or error, not %s", v.describe())
			} else if insightsOnly() {
				d.verbosity = sev
			}
		case "httpCorrelationProtocol":
			switch {
			case v.kind != '"' || (v.str != "None" && v.str != "Legacy" && v.str != "W3C"):
				bad(v.off, "httpCorrelationProtocol must be None, Legacy or W3C, not %s", v.describe())
			case !insightsOnly():
			default:
				d.correlation = v.str
				if v.str == "Legacy" {
					note(m.off, "httpCorrelationProtocol Legacy of "+what+" (tollgate reads and sends W3C trace context, as with W3C)")
				}
			}
		case "frontend", "backend":
			if v.kind != '{' {
				bad(v.off, "%s must be an object {\"request\": ..., \"response\": ...}, not %s", m.name, v.describe())
				continue
			}
			req, resp := &d.frontReq, &d.frontResp
			if m.name == "backend" {
				req, resp = &d.backReq, &d.backResp
			}
			for _, mm := range v.keys {
				switch mm.name {
				case "request":
					parseDiagMessage(m.name+".request", mm.val, req, d, bad, note)
				case "response":
					parseDiagMessage(m.name+".response", mm.val, resp, d, bad, note)
				default:
					note(mm.off, m.name+"."+mm.name+" of "+what+" (Azure only)")
				}
			}
		case "metrics":
			switch {
			case name != diagAppInsights || d.ai == nil:
				note(m.off, m.name+" of "+what+" (Azure only)")
			case v.kind != 'b':
				bad(v.off, "metrics must be true or false, not %s", v.describe())
			default:
				d.metrics = v.b
			}
		case "operationNameFormat":
			switch {
			case name != diagAppInsights || d.ai == nil:
				note(m.off, m.name+" of "+what+" (Azure only)")
			case v.kind != '"' || (v.str != "Name" && v.str != "Url"):
				bad(v.off, "operationNameFormat must be Name or Url, not %s", v.describe())
			default:
				d.operationURL = v.str == "Url"
			}
		case "largeLanguageModel":
			note(m.off, m.name+" of "+what+" (Azure only)")
		default:
			note(m.off, m.name+" of "+what+" (Azure only)")
		}
	}
	if len(*errs) > before {
		return nil
	}
	return d
}

func parseDiagSampling(d *diagnostic, v *jnode, bad func(int64, string, ...any)) {
	if v.kind != '{' {
		bad(v.off, "sampling must be an object {\"samplingType\": \"fixed\", \"percentage\": N}, not %s", v.describe())
		return
	}
	for _, m := range v.keys {
		switch m.name {
		case "samplingType":
			// ARM enums are case-insensitive: APIM hands back "fixed" and "Fixed".
			if m.val.kind != 'n' && (m.val.kind != '"' || !strings.EqualFold(m.val.str, "fixed")) {
				bad(m.val.off, "sampling.samplingType must be \"fixed\", not %s", m.val.describe())
			}
		case "percentage":
			if m.val.kind == 'n' {
				continue
			}
			p, err := m.val.num.Float64()
			if m.val.kind != '0' || err != nil || math.IsNaN(p) || p < 0 || p > 100 {
				bad(m.val.off, "sampling.percentage must be a number from 0 to 100, not %s", m.val.describe())
				continue
			}
			d.percentage = p
		default:
			bad(m.off, "sampling has no property %q (samplingType, percentage)", m.name)
		}
	}
}

func parseDiagMessage(path string, v *jnode, out *diagMessage, d *diagnostic, bad func(int64, string, ...any), note func(int64, string)) {
	if v.kind == 'n' {
		return
	}
	if v.kind != '{' {
		bad(v.off, "%s must be an object {\"headers\", \"body\", \"dataMasking\"}, not %s", path, v.describe())
		return
	}
	for _, m := range v.keys {
		val := m.val
		if val.kind == 'n' {
			continue
		}
		switch m.name {
		case "headers":
			if val.kind != '[' {
				bad(val.off, "%s.headers must be a list of header names, not %s", path, val.describe())
				continue
			}
			for i, e := range val.elems {
				if e.kind != '"' || !httpguts.ValidHeaderFieldName(e.str) {
					bad(e.off, "%s.headers[%d]: %s is not a header name", path, i, e.describe())
					continue
				}
				name := http.CanonicalHeaderKey(e.str)
				if !containsString(out.headers, name) {
					out.headers = append(out.headers, name)
				}
			}
		case "body":
			if val.kind != '{' {
				bad(val.off, "%s.body must be an object {\"bytes\": N}, not %s", path, val.describe())
				continue
			}
			for _, b := range val.keys {
				if b.name != "bytes" {
					bad(b.off, "%s.body has no property %q (bytes)", path, b.name)
					continue
				}
				if b.val.kind == 'n' {
					continue
				}
				n, err := strconv.ParseInt(b.val.num.String(), 10, 64)
				if b.val.kind != '0' || err != nil || n < 0 || n > maxDiagBodyBytes {
					bad(b.val.off, "%s.body.bytes must be a whole number from 0 to %d, not %s", path, maxDiagBodyBytes, b.val.describe())
					continue
				}
				out.body = int(n)
			}
			if out.body > 0 && d.name == diagAppInsights && d.ai == nil {
				note(m.off, path+".body of diagnostic applicationinsights (bodies are never recorded in spans)")
				out.body = 0
			}
		case "dataMasking":
			if val.kind != '{' {
				bad(val.off, "%s.dataMasking must be an object {\"headers\": [...], \"queryParams\": [...]}, not %s", path, val.describe())
				continue
			}
			for _, dm := range val.keys {
				switch dm.name {
				case "headers":
					out.mask = parseDiagMasking(path+".dataMasking.headers", dm.val, true, bad)
				case "queryParams":
					q := parseDiagMasking(path+".dataMasking.queryParams", dm.val, false, bad)
					if path != "frontend.request" && len(q) > 0 {
						note(dm.off, path+".dataMasking.queryParams of diagnostic "+d.name+" (the frontend request's URL is the one logged)")
						continue
					}
					out.query = q
				default:
					bad(dm.off, "%s.dataMasking has no property %q (headers, queryParams)", path, dm.name)
				}
			}
		default:
			bad(m.off, "%s has no property %q (headers, body, dataMasking)", path, m.name)
		}
	}
}

func parseDiagMasking(path string, v *jnode, headers bool, bad func(int64, string, ...any)) map[string]maskMode {
	if v.kind == 'n' {
		return nil
	}
	if v.kind != '[' {
		bad(v.off, "%s must be a list of {\"value\": NAME, \"mode\": \"Mask\" or \"Hide\"}, not %s", path, v.describe())
		return nil
	}
	out := map[string]maskMode{}
	for i, e := range v.elems {
		if e.kind != '{' {
			bad(e.off, "%s[%d] must be an object {\"value\": NAME, \"mode\": \"Mask\" or \"Hide\"}, not %s", path, i, e.describe())
			continue
		}
		var name string
		var mode maskMode
		ok := true
		for _, m := range e.keys {
			switch m.name {
			case "value":
				if m.val.kind != '"' || m.val.str == "" || (headers && !httpguts.ValidHeaderFieldName(m.val.str)) {
					bad(m.val.off, "%s[%d].value must be a %s, not %s", path, i, map[bool]string{true: "header name", false: "query parameter name"}[headers], m.val.describe())
					ok = false
					continue
				}
				name = m.val.str
			case "mode":
				switch {
				case m.val.kind == '"' && m.val.str == "Mask":
					mode = maskMasked
				case m.val.kind == '"' && m.val.str == "Hide":
					mode = maskHidden
				default:
					bad(m.val.off, "%s[%d].mode must be Mask or Hide, not %s", path, i, m.val.describe())
					ok = false
				}
			default:
				bad(m.off, "%s[%d] has no property %q (value, mode)", path, i, m.name)
				ok = false
			}
		}
		if !ok {
			continue
		}
		if name == "" || mode == 0 {
			bad(e.off, "%s[%d] needs a value and a mode", path, i)
			continue
		}
		if headers {
			name = http.CanonicalHeaderKey(name)
		}
		out[name] = mode
	}
	return out
}

// loggerName is the logger a diagnostic's loggerId names: the last
// segment after /loggers/ (APIM writes "/loggers/NAME" or the whole
// resource id, …/service/SVC/loggers/NAME).
func loggerName(id string) string {
	id = strings.TrimRight(strings.TrimSpace(id), "/")
	if i := strings.LastIndex(strings.ToLower(id), "/loggers/"); i >= 0 {
		return id[i+len("/loggers/"):]
	}
	return id
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Requests.

// diagRequest is one request of an API with diagnostics: what its log
// line and spans need, gathered as it goes.
type diagRequest struct {
	s   *Server
	ad  *apiDiagnostics
	api *API
	ws  bool // a WebSocket handshake: its "handshake" line gets the fields

	logLine bool // azuremonitor: this request was sampled
	onError bool // azuremonitor: not sampled, logged if it fails (alwaysLog allErrors)
	traced  bool // applicationinsights: this request has spans

	creds  []string // the client's credential values (never logged)
	method string
	path   string
	query  string // masked

	frontReq, backReq, backResp []zap.Field // headers as captured (masked)

	span trace.Span // the server span (applicationinsights, traced)
	app  *aiRequest // the Application Insights telemetry (applicationinsights with a logger; diagnostics_appinsights.go)
}

// sampled picks a request with probability percentage/100.
func sampled(percentage float64) bool {
	return percentage >= 100 || (percentage > 0 && rand.Float64()*100 < percentage)
}

// startDiagnostics returns the request's diagnostics state, or nil when
// nothing of it is logged or traced differently.
func (s *Server) startDiagnostics(set *diagnosticSet, api *API, r *http.Request) *diagRequest {
	ad := set.forAPI(api.Name)
	if ad == nil {
		return nil
	}
	d := &diagRequest{s: s, ad: ad, api: api, ws: api.servesWebSocket(r)}
	if m := ad.monitor; m != nil {
		if d.ws {
			d.logLine = true // every handshake has its line
		} else {
			d.logLine = sampled(m.percentage)
			d.onError = !d.logLine && m.allErrors
		}
	}
	if ai := ad.insights; ai != nil {
		d.traced = sampled(ai.percentage)
	}
	if !d.logLine && !d.onError && ad.insights == nil {
		return nil
	}
	d.creds = requestCredentials(&engine.Request{Headers: engine.Headers(r.Header)})
	d.method = r.Method
	if ai := ad.insights; ai != nil && ai.ai != nil && (d.traced || ai.allErrors) {
		d.startAI(r, ai) // Application Insights (diagnostics_appinsights.go)
	}
	if d.logLine || d.onError {
		m := ad.monitor
		d.method, d.path = r.Method, r.URL.Path
		if r.URL.RawQuery != "" {
			d.query = d.maskQuery(r.URL.RawQuery, m.frontReq.query)
		}
		d.frontReq = d.headerFields(r.Header, &m.frontReq)
	}
	return d
}

// logs reports whether the request may get a log line.
func (d *diagRequest) logs() bool { return d.logLine || d.onError }

// isCredential reports whether a header carries a credential: its value
// is never logged, whatever the diagnostic lists.
func (d *diagRequest) isCredential(name string) bool {
	switch name {
	case "Set-Cookie", http.CanonicalHeaderKey(d.api.Subscription.Header):
		return true
	}
	for _, c := range credentialHeaders {
		if name == c {
			return true
		}
	}
	return false
}

// headerValue is the value of header name as logged, and whether it is
// logged at all (dataMasking Hide, or absent).
func (d *diagRequest) headerValue(h http.Header, name string, m *diagMessage) (string, bool) {
	vals, ok := h[name]
	if !ok {
		return "", false
	}
	switch {
	case m.mask[name] == maskHidden:
		return "", false
	case d.isCredential(name):
		return "REDACTED", true
	case m.mask[name] == maskMasked:
		return "***", true
	}
	return d.maskText(strings.Join(vals, ", ")), true
}

// headerFields are the listed headers of h, masked, as log fields.
func (d *diagRequest) headerFields(h http.Header, m *diagMessage) []zap.Field {
	if len(m.headers) == 0 {
		return nil
	}
	out := make([]zap.Field, 0, len(m.headers))
	for _, name := range m.headers {
		if v, ok := d.headerValue(h, name, m); ok {
			out = append(out, zap.String(name, v))
		}
	}
	return out
}

// headerAttrs are the listed headers of h, masked, as span attributes
// http.request.header.<name> / http.response.header.<name>.
func (d *diagRequest) headerAttrs(prefix string, h http.Header, m *diagMessage) []attribute.KeyValue {
	var out []attribute.KeyValue
	for _, name := range m.headers {
		if v, ok := d.headerValue(h, name, m); ok {
			out = append(out, attribute.StringSlice(prefix+strings.ToLower(name), []string{v}))
		}
	}
	return out
}

// maskText masks the client's credentials and the secret named values.
func (d *diagRequest) maskText(s string) string {
	return maskAll(maskAll(s, d.creds), d.s.secretValues())
}

// maskQuery applies dataMasking.queryParams to a raw query; secret
// parameters (engine.IsSecretParam) and the API's subscription key are
// always REDACTED.
func (d *diagRequest) maskQuery(raw string, modes map[string]maskMode) string {
	parts := strings.Split(raw, "&")
	out := parts[:0]
	for _, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		switch {
		case modes[name] == maskHidden:
			continue
		case engine.IsSecretParam(name) || name == d.api.Subscription.Query:
			if hasValue {
				p = k + "=REDACTED"
			}
		case modes[name] == maskMasked:
			if hasValue {
				p = k + "=***"
			}
		}
		out = append(out, p)
	}
	return d.maskText(strings.Join(out, "&"))
}

// bodyText is the first n bytes of b when they are in memory (a policy
// read or set the body): a body that streams through is never read for a
// log line.
func (d *diagRequest) bodyText(b *engine.Body, n int) string {
	if n <= 0 || b == nil || !b.Loaded() {
		return ""
	}
	data, err := b.Bytes()
	if err != nil || len(data) == 0 {
		return ""
	}
	if len(data) > n {
		data = data[:n]
	}
	return d.maskText(strings.ToValidUTF8(string(data), "�"))
}

// backendCall notes the headers sent to the backend and those of its
// answer (when it answered), before outbound changes them; with
// Application Insights, the call as a dependency (begun at start).
func (d *diagRequest) backendCall(out *http.Request, res *http.Response, err error, start time.Time) {
	if d.app != nil {
		d.aiDependency(out.Method, out.URL, out.Header, res, err, start)
	}
	if !d.logs() {
		return
	}
	m := d.ad.monitor
	if len(m.backReq.headers) > 0 {
		d.backReq = d.headerFields(out.Header, &m.backReq)
	}
	if err == nil && len(m.backResp.headers) > 0 {
		d.backResp = d.headerFields(res.Header, &m.backResp)
	}
}

// restDone writes a REST call's "request" line: always when it was
// sampled, and when it failed (an error, or a 4xx or 5xx answer) with
// alwaysLog allErrors.
func (d *diagRequest) restDone(x *exchange, w http.ResponseWriter, status int) {
	if d.app != nil {
		d.aiDone(x, w, status, x.st) // Application Insights (diagnostics_appinsights.go)
	}
	if !d.logs() {
		return
	}
	st := x.st
	le := st.Context().LastError
	if !d.logLine && status < 400 && le == nil {
		return
	}
	ce := d.s.log.Check(zap.InfoLevel, "request")
	if ce == nil {
		return
	}
	m := d.ad.monitor
	fields := make([]zap.Field, 0, 24)
	fields = append(fields, zap.String("api", d.api.Name))
	if op := x.api.Operation; op != nil {
		fields = append(fields, zap.String("operation", op.Name))
	}
	fields = append(fields, zap.String("method", d.method), zap.String("path", d.path))
	if d.query != "" {
		fields = append(fields, zap.String("query", d.query))
	}
	fields = append(fields, zap.Int("status", status))
	if x.rest != nil && x.rest.backendResp.StatusCode != 0 {
		fields = append(fields, zap.Int("backend_status", x.rest.backendResp.StatusCode))
	}
	fields = append(fields, zap.Duration("duration", time.Since(x.start)))
	if m.logClientIP {
		fields = append(fields, zap.String("client_ip", x.ip))
	}
	fields = append(fields, zap.String("request_id", st.Context().RequestId))
	if le != nil {
		creds := d.creds
		if sub := st.Context().Subscription; sub != nil {
			creds = append(creds[:len(creds):len(creds)], sub.Key)
		}
		fields = append(fields, zap.String("error_reason", le.Reason), zap.String("error_source", le.Source),
			zap.String("error_message", d.maskText(maskAll(le.Message, creds))))
	}
	fields = appendDict(fields, "frontend_request_headers", d.frontReq)
	fields = appendDict(fields, "backend_request_headers", d.backReq)
	fields = appendDict(fields, "backend_response_headers", d.backResp)
	fields = appendDict(fields, "frontend_response_headers", d.headerFields(w.Header(), &m.frontResp))
	if x.rest != nil {
		req := st.Context().Request
		bodies := [...]struct {
			key string
			b   *engine.Body
			n   int
		}{
			{"frontend_request_body", &x.rest.reqBody, m.frontReq.body},
			{"backend_request_body", req.Body, m.backReq.body},
			{"backend_response_body", &x.rest.respBody, m.backResp.body},
			{"frontend_response_body", st.Response().Body, m.frontResp.body},
		}
		for _, b := range bodies {
			if t := d.bodyText(b.b, b.n); t != "" {
				fields = append(fields, zap.String(b.key, t))
			}
		}
	}
	ce.Write(fields...)
}

// handshakeFields adds the azuremonitor diagnostic's fields to a
// WebSocket "handshake" line: the operation and the listed headers.
func (d *diagRequest) handshakeFields(fields []zap.Field, x *exchange, w http.ResponseWriter) []zap.Field {
	m := d.ad.monitor
	if m == nil {
		return fields
	}
	if op := x.api.Operation; op != nil {
		fields = append(fields, zap.String("operation", op.Name))
	}
	fields = appendDict(fields, "frontend_request_headers", d.frontReq)
	return appendDict(fields, "frontend_response_headers", d.headerFields(w.Header(), &m.frontResp))
}

func appendDict(fields []zap.Field, key string, f []zap.Field) []zap.Field {
	if len(f) == 0 {
		return fields
	}
	return append(fields, zap.Dict(key, f...))
}

// refused notes a request refused before its policies (no operation, a
// missing or wrong subscription key): its line, as a REST call's.
func (d *diagRequest) refused(x *exchange, w http.ResponseWriter) {
	switch {
	case !d.ws:
		d.restDone(x, w, x.st.Response().StatusCode)
	case d.app != nil:
		d.aiDone(x, w, x.st.Response().StatusCode, x.st)
	}
}

// handshakeDone sends a WebSocket handshake's Application Insights items
// once it ended with status (101: upgraded); st is nil when the handshake
// was refused before its policies ran, or its session started.
func (d *diagRequest) handshakeDone(x *exchange, w http.ResponseWriter, status int, st *engine.State) {
	if d.app != nil {
		d.aiDone(x, w, status, st)
	}
}

// OpenTelemetry (applicationinsights).

// diagKey carries a request's *diagRequest in its context when its API
// has an applicationinsights diagnostic (the transports read it).
type diagKey struct{}

// diagFrom returns the request's diagnostics when its API has an
// applicationinsights diagnostic, or nil.
func diagFrom(ctx context.Context) *diagRequest {
	d, _ := ctx.Value(diagKey{}).(*diagRequest)
	return d
}

// insights returns the request's applicationinsights diagnostic, or nil.
func (d *diagRequest) insights() *diagnostic {
	if d == nil {
		return nil
	}
	return d.ad.insights
}

// propagates reports whether outgoing requests get the gateway's trace
// context (httpCorrelationProtocol W3C or Legacy; not None).
func (d *diagRequest) propagates() bool {
	ai := d.insights()
	return ai == nil || ai.correlation != "None"
}

// traceSink records the trace policy's messages of at least the
// diagnostic's verbosity as events of the request's span, and as
// Application Insights trace items.
func (d *diagRequest) traceSink() policies.TraceSink {
	return func(_ context.Context, source, severity, message string, meta []string) {
		sev, ok := diagSeverity[severity]
		if !ok || sev < d.ad.insights.verbosity {
			return
		}
		if d.app != nil {
			d.aiTrace(source, sev, message, meta)
		}
		if d.span == nil {
			return
		}
		attrs := make([]attribute.KeyValue, 0, 3+len(meta)/2)
		attrs = append(attrs, attribute.String("tollgate.trace.source", source),
			attribute.String("tollgate.trace.severity", severity),
			attribute.String("tollgate.trace.message", d.maskText(message)))
		for i := 0; i+1 < len(meta); i += 2 {
			attrs = append(attrs, attribute.String("tollgate.trace.metadata."+meta[i], d.maskText(meta[i+1])))
		}
		d.span.AddEvent("trace", trace.WithAttributes(attrs...))
	}
}

// overrideEntry is a configuration file's entry for a diagnostic: its
// properties as written.
type overrideEntry struct {
	file  string
	props *yaml.Node
}

// unusedDiagnosticOverrides reports the configuration file's diagnostics
// entries that name no diagnostic of folder: APIOps' publisher overrides
// the diagnostics it publishes, and creates none.
func unusedDiagnosticOverrides(folder string, o *overrides, notes *[]string) {
	for _, key := range sortedKeys(o.nodes["diagnostics"]) {
		if _, err := os.Stat(filepath.Join(folder, key, "diagnosticInformation.json")); err == nil {
			continue
		}
		if ents, err := os.ReadDir(folder); err == nil && slices.ContainsFunc(ents, func(e os.DirEntry) bool {
			return strings.EqualFold(e.Name(), key) && isDirEntry(folder, e)
		}) {
			continue
		}
		pos, name := engine.Pos{File: o.file}, key
		if y := o.nodes["diagnostics"][key]; y != nil {
			pos = yamlPos(o.file, y)
			if n := mapGet(y, "name"); n != nil {
				name = n.Value // as written
			}
		}
		*notes = append(*notes, pos.String()+": ignored: diagnostics "+name+" (the folder has no diagnostics/"+name+"/diagnosticInformation.json to override)")
	}
}

func yamlPos(file string, y *yaml.Node) engine.Pos {
	return engine.Pos{File: file, Line: max(y.Line, 1), Col: max(y.Column, 1)}
}

// yamlToJnode turns a YAML value into a jnode whose offsets are negative:
// -1-i is the index i in pos of where it is written.
func yamlToJnode(file string, y *yaml.Node, pos *[]engine.Pos, depth int) (*jnode, error) {
	if depth > 64 {
		return nil, fmt.Errorf("nested more than 64 levels deep")
	}
	for y.Kind == yaml.AliasNode && y.Alias != nil {
		y = y.Alias
	}
	mark := func(n *yaml.Node) int64 {
		*pos = append(*pos, yamlPos(file, n))
		return -int64(len(*pos))
	}
	n := &jnode{off: mark(y)}
	switch y.Kind {
	case yaml.MappingNode:
		n.kind = '{'
		for i := 0; i+1 < len(y.Content); i += 2 {
			val, err := yamlToJnode(file, y.Content[i+1], pos, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, jmember{name: y.Content[i].Value, off: mark(y.Content[i]), val: val})
		}
	case yaml.SequenceNode:
		n.kind = '['
		for _, c := range y.Content {
			val, err := yamlToJnode(file, c, pos, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, val)
		}
	case yaml.ScalarNode:
		var v any
		if err := y.Decode(&v); err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case nil:
			n.kind = 'n'
		case bool:
			n.kind, n.b = 'b', v
		case int:
			n.kind, n.num = '0', json.Number(strconv.Itoa(v))
		case int64:
			n.kind, n.num = '0', json.Number(strconv.FormatInt(v, 10))
		case uint64:
			n.kind, n.num = '0', json.Number(strconv.FormatUint(v, 10))
		case float64:
			n.kind, n.num = '0', json.Number(strconv.FormatFloat(v, 'g', -1, 64))
		case string:
			n.kind, n.str = '"', v
		default:
			n.kind, n.str = '"', y.Value
		}
	default:
		n.kind = 'n'
	}
	return n, nil
}

// layerJnode lays over on base as APIOps' publisher lays a configuration
// entry on a resource: objects merge key by key (recursively), anything
// else is replaced. A key the override gives is reported where it wrote it.
func layerJnode(base, over *jnode) *jnode {
	if base == nil || base.kind != '{' || over.kind != '{' {
		return over
	}
	out := *base
	out.keys = slices.Clone(base.keys)
	for _, m := range over.keys {
		if i := slices.IndexFunc(out.keys, func(b jmember) bool { return b.name == m.name }); i >= 0 {
			out.keys[i] = jmember{name: m.name, off: m.off, val: layerJnode(out.keys[i].val, m.val)}
		} else {
			out.keys = append(out.keys, m)
		}
	}
	return &out
}
