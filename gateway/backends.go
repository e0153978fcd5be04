package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
)

// Backends are APIM's backend entities (backends/NAME/backendInformation.json),
// used with <set-backend-service backend-id="NAME"/>: a URL with its
// credentials and TLS settings, an optional circuit breaker, or a pool of
// other backends (round robin, weights, priority groups). The breaker's
// counters and trip live in the limits store, so replicas sharing Redis
// share the breaker. docs/resource-model.md describes every field.
type Backend struct {
	Name string
	url  *url.URL // with credentials.query merged in; nil for a pool
	// credentials
	header http.Header
	// credentials.managedIdentity: the clientId (nil: none; "" the
	// system-assigned identity) and the token's resource. Used by the
	// policies that call a backend themselves (policy_backends.go).
	identity         *string
	identityResource string
	// TLS: a backend that turns certificate validation off gets its own
	// transport and WebSocket dialer.
	transport *http.Transport
	dialer    *wsproxy.Dialer
	breaker   *breakerRule
	pool      [][]poolMember // priority groups, lowest priority value first
	rr        []atomic.Uint64
	affinity  *poolAffinity // the pool's session awareness (backend_affinity.go), or nil
	// proxy: the HTTP proxy calls to this backend go through (the
	// backend's proxy property), with its Basic credentials; a proxy
	// policy of the request's own wins.
	proxy *url.URL
	// cert: the client certificate calls to this backend present
	// (credentials.certificateIds / certificate, from the gateway's
	// certificates); an authentication-certificate policy's wins.
	cert *tls.Certificate
	// rt is transport (its own TLS settings) able to present a client
	// certificate and go through a proxy: certTransport over it.
	rt *certTransport
	// unusable, when set, says why the backend cannot be used: its
	// credentials need a named value without a value (a secret the
	// extractor could not export), or it is a pool with such a member.
	// Naming it in a literal backend-id is a load error; a request that
	// reaches it otherwise (an expression) fails with 500. It quotes no
	// value: the value is the thing that is missing.
	unusable    string
	unusablePos engine.Pos // the credentials (or pool) property
}

type poolMember struct {
	b      *Backend
	weight int
	token  string // its part of a session-affinity cookie (memberToken)
}

// armInt is a whole number in a backend's JSON, written as a number or,
// as ARM templates (and APIM's documented ARM examples: "priority": "1",
// "count": "3") write them, as a string holding one.
type armInt int64

func (n *armInt) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
	}
	v, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		return &armIntError{string(b)}
	}
	*n = armInt(v)
	return nil
}

type armIntError struct{ text string }

func (e *armIntError) Error() string { return fmt.Sprintf("%q is not a whole number", e.text) }

// breakerRule is APIM's circuitBreaker.rules[0].
type breakerRule struct {
	count            int64
	percentage       int64
	interval         time.Duration
	ranges           [][2]int // status code ranges that count as failures
	connFailures     bool     // errorReasons: connection failures and timeouts count
	trip             time.Duration
	acceptRetryAfter bool
}

// backendInformation is the part of backendInformation.json tollgate reads.
var backendProps = map[string]bool{"url": true, "protocol": true, "description": true, "title": true,
	"credentials": true, "tls": true, "circuitBreaker": true, "pool": true, "type": true, "resourceId": true, "properties": true, "proxy": true}

// loadBackends reads DIR/backends/NAME/backendInformation.json.
func loadBackends(dir string, nv *engine.NamedValues, base *http.Transport, certs []policies.NamedCertificate, over *overrides, common hash.Hash, errs *engine.ErrorList, notes *[]string) map[string]*Backend {
	rfs := readResourceFiles(dir, "backends", "backendInformation.json", "backend", errs)
	if rfs == nil {
		return nil
	}
	out := map[string]*Backend{}
	poolRefs := map[*Backend][]json.RawMessage{}
	files := map[*Backend]struct {
		file string
		data []byte
	}{}
	for _, rf := range rfs {
		name, file, data := rf.name, rf.file, rf.data
		props, ok := rf.properties("backends", over, common, errs)
		if !ok {
			continue
		}
		at := rf.at
		b := &Backend{Name: name}
		before := len(*errs)
		for _, k := range sortedKeys(props) {
			if !backendProps[k] {
				*notes = append(*notes, at(k).String()+": ignored: backend property "+k+" (Azure only)")
			}
		}
		var typ string
		if raw, ok := props["type"]; ok && !bytes.Equal(raw, []byte("null")) && json.Unmarshal(raw, &typ) != nil {
			errs.Add(at("type"), "", "backend type must be \"Single\" or \"Pool\"")
		}
		if _, hasPool := props["pool"]; strings.EqualFold(typ, "Pool") && (!hasPool || bytes.Equal(props["pool"], []byte("null"))) {
			// Its url is a placeholder (APIM keeps one on a pool): serving
			// it would send the pool's traffic there.
			errs.Add(at("type"), "", "backend %q is of type Pool but has no pool: give it {\"pool\": {\"services\": [{\"id\": \"/backends/NAME\"}, ...]}}", name)
			continue
		}
		if raw, ok := props["pool"]; ok && !bytes.Equal(raw, []byte("null")) {
			var p struct {
				Services []json.RawMessage `json:"services"`
			}
			var keys map[string]json.RawMessage
			if json.Unmarshal(raw, &p) != nil || len(p.Services) == 0 || json.Unmarshal(raw, &keys) != nil {
				errs.Add(at("pool"), "", "pool must be {\"services\": [{\"id\": \"/backends/NAME\", \"priority\": 1, \"weight\": 1}, ...]}")
			}
			for _, k := range sortedKeys(keys) {
				switch k {
				case "services":
				case "sessionAffinity":
					if !bytes.Equal(keys[k], []byte("null")) {
						b.affinity = parseAffinity(keys[k], jsonKeyPos(file, data, "sessionAffinity"), errs)
					}
				default:
					*notes = append(*notes, jsonKeyPos(file, data, k).String()+": ignored: pool property "+k+" (Azure only)")
				}
			}
			poolRefs[b] = p.Services
		} else {
			var raw string
			if r, ok := props["url"]; !ok || json.Unmarshal(r, &raw) != nil || raw == "" {
				errs.Add(at("url"), "", "backend %q needs a url (or a pool)", name)
			} else if v, err := nv.Substitute(raw); err != nil {
				errs.Add(at("url"), "", "%s", err.Error())
			} else if u, err := url.Parse(v); err != nil || u.Host == "" || !(u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss") {
				errs.Add(at("url"), "", "backend url %q must be an absolute http(s):// or ws(s):// URL", raw)
			} else {
				b.url = u
			}
		}
		if raw, ok := props["credentials"]; ok && !bytes.Equal(raw, []byte("null")) {
			parseCredentials(b, raw, nv, certs, at("credentials"), errs, notes)
		}
		if raw, ok := props["tls"]; ok && !bytes.Equal(raw, []byte("null")) {
			var t struct {
				Chain *bool `json:"validateCertificateChain"`
				Name  *bool `json:"validateCertificateName"`
			}
			if json.Unmarshal(raw, &t) != nil {
				errs.Add(at("tls"), "", "tls must be {\"validateCertificateChain\": bool, \"validateCertificateName\": bool}")
			} else if (t.Chain != nil && !*t.Chain) || (t.Name != nil && !*t.Name) {
				tr := base.Clone()
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{}
				}
				tr.TLSClientConfig.InsecureSkipVerify = true // #nosec: the backend's documented choice
				b.transport, b.dialer = tr, wsproxy.NewDialer(tr)
				b.rt = newCertTransport(tr, tr)
			}
		}
		if raw, ok := props["circuitBreaker"]; ok && !bytes.Equal(raw, []byte("null")) {
			b.breaker = parseBreaker(raw, at("circuitBreaker"), errs)
		}
		if raw, ok := props["proxy"]; ok && !bytes.Equal(raw, []byte("null")) {
			b.proxy = parseBackendProxy(raw, nv, at("proxy"), errs)
		}
		if len(*errs) > before {
			continue
		}
		out[name] = b
		files[b] = struct {
			file string
			data []byte
		}{file, data}
	}
	// Pools refer to other backends: resolved once all are read.
	for b, refs := range poolRefs {
		f := files[b]
		if f.file == "" {
			continue
		}
		groups := map[int][]poolMember{}
		for _, r := range refs {
			var m struct {
				ID       string  `json:"id"`
				Priority *armInt `json:"priority"`
				Weight   *armInt `json:"weight"`
			}
			if err := json.Unmarshal(r, &m); err != nil {
				why := ""
				if _, num := err.(*armIntError); num {
					why = ": " + err.Error()
				}
				errs.Add(jsonKeyPos(f.file, f.data, "pool"), "", "backend %q: a pool service is {\"id\", \"priority\", \"weight\"}%s", b.Name, why)
				continue
			}
			id := m.ID[strings.LastIndexByte(m.ID, '/')+1:]
			mb := out[id]
			switch {
			case mb == nil:
				errs.Add(jsonKeyPos(f.file, f.data, "pool"), "", "backend %q: pool member %q is no backend", b.Name, m.ID)
				continue
			case mb.url == nil:
				errs.Add(jsonKeyPos(f.file, f.data, "pool"), "", "backend %q: pool member %q is a pool itself", b.Name, id)
				continue
			}
			prio, weight := 0, 1
			if m.Priority != nil {
				prio = int(*m.Priority)
			}
			if m.Weight != nil {
				weight = int(*m.Weight)
			}
			if weight < 1 || prio < 0 {
				errs.Add(jsonKeyPos(f.file, f.data, "pool"), "", "backend %q: pool member %q needs a weight of at least 1 and a priority of at least 0", b.Name, id)
				continue
			}
			if mb.unusable != "" && b.unusable == "" {
				// A used pool may send any request to any member.
				b.unusable = fmt.Sprintf("pool member %q cannot be used: %s: %s", id, mb.unusablePos, mb.unusable)
				b.unusablePos = jsonKeyPos(f.file, f.data, "pool")
			}
			groups[prio] = append(groups[prio], poolMember{b: mb, weight: weight, token: memberToken(b.Name, mb.Name)})
		}
		prios := make([]int, 0, len(groups))
		for p := range groups {
			prios = append(prios, p)
		}
		sort.Ints(prios)
		for _, p := range prios {
			b.pool = append(b.pool, groups[p])
		}
		b.rr = make([]atomic.Uint64, len(b.pool))
		if len(b.pool) == 0 {
			delete(out, b.Name)
		}
	}
	return out
}

// reportUnusableBackends lists, as notices, the backends that cannot be
// used (their credentials need a named value without a value: a secret
// the extractor could not export). A literal backend-id, an MCP server or
// a used pool naming one is a load error already, so these are the ones
// no literal names; exprs are the places of backend-id expressions that
// may name them at run time (a request sent there fails with 500).
func reportUnusableBackends(backends map[string]*Backend, exprs []engine.Pos, notes *[]string) {
	var places []string
	for _, p := range exprs {
		if s := p.String(); !slices.Contains(places, s) {
			places = append(places, s)
		}
	}
	sort.Strings(places)
	tail := " (nothing uses it)"
	switch {
	case len(places) == 1:
		tail = " (no literal backend-id names it; a request the backend-id expression at " + places[0] + " sends to it fails with 500)"
	case len(places) > 1:
		more := ""
		if len(places) > 3 {
			places, more = places[:3], fmt.Sprintf(" and %d more", len(places)-3)
		}
		tail = " (no literal backend-id names it; a request a backend-id expression (at " + strings.Join(places, ", ") + more + ") sends to it fails with 500)"
	}
	for _, name := range sortedKeys(backends) {
		if b := backends[name]; b.unusable != "" {
			*notes = append(*notes, b.unusablePos.String()+": ignored: backend "+name+" cannot be used: "+b.unusable+tail)
		}
	}
}

// parseCredentials reads credentials: {"header": {"name": ["value"]},
// "query": {"name": ["value"]}, "authorization": {"scheme", "parameter"}};
// values may use {{named values}}.
func parseCredentials(b *Backend, raw json.RawMessage, nv *engine.NamedValues, certs []policies.NamedCertificate, at engine.Pos, errs *engine.ErrorList, notes *[]string) {
	var c struct {
		Header        map[string][]string `json:"header"`
		Query         map[string][]string `json:"query"`
		Authorization *struct {
			Scheme    string `json:"scheme"`
			Parameter string `json:"parameter"`
		} `json:"authorization"`
		Certificate     []string `json:"certificate"`
		CertificateIds  []string `json:"certificateIds"`
		ManagedIdentity *struct {
			ClientID *string `json:"clientId"`
			Resource string  `json:"resource"`
		} `json:"managedIdentity"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		errs.Add(at, "", "credentials: %s", err.Error())
		return
	}
	sub := func(v string) string {
		s, err := nv.Substitute(v)
		var missing *engine.MissingValueError
		switch {
		case errors.As(err, &missing):
			// A secret the extractor could not export: an error only
			// where the backend is used (backendUses), a notice otherwise.
			if !strings.Contains(b.unusable, err.Error()) {
				if b.unusable != "" {
					b.unusable += "; "
				}
				b.unusable += "credentials: " + err.Error()
				b.unusablePos = at
			}
		case err != nil:
			errs.Add(at, "", "credentials: %s", err.Error())
		}
		return s
	}
	b.header = http.Header{}
	for k, vs := range c.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			errs.Add(at, "", "credentials: %q is not a header name", k)
			continue
		}
		for _, v := range vs {
			b.header.Add(k, sub(v))
		}
	}
	if c.Authorization != nil {
		b.header.Set("Authorization", strings.TrimSpace(c.Authorization.Scheme+" "+sub(c.Authorization.Parameter)))
	}
	if len(c.Query) > 0 && b.url != nil {
		q := b.url.Query()
		for k, vs := range c.Query {
			for _, v := range vs {
				q.Add(k, sub(v))
			}
		}
		b.url.RawQuery = q.Encode()
	}
	if mi := c.ManagedIdentity; mi != nil {
		id := ""
		if mi.ClientID != nil {
			id = sub(*mi.ClientID)
		}
		b.identity, b.identityResource = &id, sub(mi.Resource)
	}
	if len(c.Certificate) > 0 || len(c.CertificateIds) > 0 {
		backendClientCert(b, c.CertificateIds, c.Certificate, certs, at)
	}
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseISODuration reads the ISO 8601 durations APIM uses (PT1M, PT30S,
// P1DT2H), to the nanosecond (finer fractions of a second are dropped). One
// longer than a time.Duration holds (106,751 days and a bit) is an error:
// multiplied out it would wrap around to a negative or a wrong positive
// value.
func parseISODuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT1M", s)
	}
	var d time.Duration
	// add adds n units to d, or reports that the sum does not fit.
	add := func(digits string, unit time.Duration) bool {
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n > int64(math.MaxInt64-d)/int64(unit) {
			return false
		}
		d += time.Duration(n) * unit
		return true
	}
	whole, frac, _ := strings.Cut(m[4], ".")
	if frac != "" {
		frac = (frac + "00000000")[:9] // nanoseconds
	}
	for _, p := range [...]struct {
		digits string
		unit   time.Duration
	}{{m[1], 24 * time.Hour}, {m[2], time.Hour}, {m[3], time.Minute}, {whole, time.Second}, {frac, 1}} {
		if p.digits != "" && !add(p.digits, p.unit) {
			return 0, fmt.Errorf("%q is longer than a duration can be (about 292 years)", s)
		}
	}
	return d, nil
}

// parseBreaker reads circuitBreaker: {"rules": [{"failureCondition": {"count",
// "percentage", "interval", "statusCodeRanges": [{"min", "max"}],
// "errorReasons"}, "tripDuration", "acceptRetryAfter"}]}.
func parseBreaker(raw json.RawMessage, at engine.Pos, errs *engine.ErrorList) *breakerRule {
	var cb struct {
		Rules []struct {
			Name             string `json:"name"`
			FailureCondition struct {
				Count            armInt   `json:"count"`
				Percentage       armInt   `json:"percentage"`
				Interval         string   `json:"interval"`
				ErrorReasons     []string `json:"errorReasons"`
				StatusCodeRanges []struct {
					Min armInt `json:"min"`
					Max armInt `json:"max"`
				} `json:"statusCodeRanges"`
			} `json:"failureCondition"`
			TripDuration     string `json:"tripDuration"`
			AcceptRetryAfter bool   `json:"acceptRetryAfter"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(raw, &cb); err != nil {
		errs.Add(at, "", "circuitBreaker: %s", err.Error())
		return nil
	}
	if len(cb.Rules) != 1 {
		errs.Add(at, "", "circuitBreaker needs exactly one rule (as in APIM), not %d", len(cb.Rules))
		return nil
	}
	r := cb.Rules[0]
	fc := r.FailureCondition
	rule := &breakerRule{count: int64(fc.Count), percentage: int64(fc.Percentage), acceptRetryAfter: r.AcceptRetryAfter}
	var err error
	if rule.interval, err = parseISODuration(fc.Interval); err != nil || rule.interval <= 0 {
		errs.Add(at, "", "circuitBreaker interval: %v", orMsg(err, "must be positive"))
	}
	if rule.trip, err = parseISODuration(r.TripDuration); err != nil || rule.trip <= 0 {
		errs.Add(at, "", "circuitBreaker tripDuration: %v", orMsg(err, "must be positive"))
	}
	if (fc.Count <= 0) == (fc.Percentage <= 0) {
		errs.Add(at, "", "circuitBreaker failureCondition needs a count or a percentage (one of them)")
	}
	if fc.Percentage > 100 {
		errs.Add(at, "", "circuitBreaker percentage must be 1-100")
	}
	for _, sr := range fc.StatusCodeRanges {
		if sr.Min < 100 || sr.Max > 599 || sr.Min > sr.Max {
			errs.Add(at, "", "circuitBreaker status code range %d-%d is not within 100-599", sr.Min, sr.Max)
		}
		rule.ranges = append(rule.ranges, [2]int{int(sr.Min), int(sr.Max)})
	}
	for _, reason := range fc.ErrorReasons {
		rule.connFailures = rule.connFailures || reason != ""
	}
	if len(rule.ranges) == 0 && !rule.connFailures {
		errs.Add(at, "", "circuitBreaker failureCondition needs statusCodeRanges or errorReasons")
	}
	return rule
}

func orMsg(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}

// errBackendUnavailable: every backend the request could go to is tripped.
var errBackendUnavailable = errors.New("backend unavailable: its circuit breaker is open")

// backendConfigError is a request's backend entity that the
// configuration cannot serve: a name (from a backend-id expression) that
// its API's scope does not have, or a backend whose credentials need a
// named value without a value. The configuration's fault: a 500 with the
// reason (backendPickError); the message names the API and the backend,
// never a value.
type backendConfigError struct{ reason, msg string }

func (e *backendConfigError) Error() string { return e.msg }

// pickBackend resolves the request's backend entity (set-backend-service
// backend-id) to one backend with a URL: a pool's member by priority group,
// weight and round robin, skipping members whose breaker is open. It sets
// st.BackendURL to that backend's URL and returns it (nil when the request
// names no backend entity).
func (s *Server) pickBackend(ctx context.Context, api *API, st *engine.State) (*Backend, error) {
	if st.BackendID == "" {
		if api.mcp == nil || api.mcp.backendID == "" || st.BackendURL != "" {
			return nil, nil
		}
		st.BackendID = api.mcp.backendID // a pass-through MCP server's backend (mcp.go)
	}
	b := api.backends[st.BackendID]
	if b == nil {
		return nil, &backendConfigError{engine.ReasonBackendNotFound, fmt.Sprintf("backend %q is not a backend entity of API %s", st.BackendID, api.Name)}
	}
	if b.unusable != "" {
		return nil, &backendConfigError{engine.ReasonBackendCredentialsMissing, fmt.Sprintf("backend %q of API %s cannot be used: %s", b.Name, api.Name, b.unusable)}
	}
	var chosen *Backend
	if b.url != nil {
		if s.breakerOpen(ctx, b) {
			return nil, errBackendUnavailable
		}
		chosen = b
	} else {
		var err error
		if chosen, err = s.pickPoolMember(ctx, b, st, api.Path); err != nil {
			return nil, err
		}
	}
	if chosen.proxy != nil && st.BackendProxy == nil {
		st.BackendProxy = chosen.proxy
	}
	if chosen.cert != nil && st.BackendCertificate == nil {
		st.BackendCertificate = chosen.cert
	}
	st.BackendURL = chosen.url.String()
	return chosen, nil
}

// pickPoolMember is a pool's member for the request: the one its session
// cookie names when the pool is session-aware and that member is usable
// (backend_affinity.go), else the next by priority group, weight and round
// robin whose breaker is closed; a session-aware pool's answer then binds
// the session (its id kept) to that member.
func (s *Server) pickPoolMember(ctx context.Context, b *Backend, st *engine.State, apiPath string) (*Backend, error) {
	var session string // the request's affinity session, when it brought one
	if a := b.affinity; a != nil {
		var tok string
		var ok bool
		if session, tok, ok = affinityCookie(st, a.cookie); ok {
			// The cookie is the client's to write, and a member's token is
			// no secret: it is honoured only where balancing could have
			// sent the request, a member of the first group that has a
			// usable one (no client pins itself to a lower priority, a
			// costly fallback, while the first group serves).
			if m, g := b.memberByToken(tok); m != nil && !s.breakerOpen(ctx, m.b) && !s.higherGroupUsable(ctx, b, g) {
				return m.b, nil
			}
		}
	}
	for g, group := range b.pool {
		total := 0
		for _, m := range group {
			total += m.weight
		}
		n := int(b.rr[g].Add(1)-1) % total
		start := 0
		for i, m := range group {
			if n < m.weight {
				start = i
				break
			}
			n -= m.weight
		}
		for i := range group {
			m := group[(start+i)%len(group)]
			if s.breakerOpen(ctx, m.b) {
				continue
			}
			if b.affinity != nil {
				if session == "" {
					session = newAffinitySession()
				}
				setAffinityCookie(st, b.affinity, apiPath, session, m.token)
			}
			return m.b, nil
		}
	}
	return nil, errBackendUnavailable
}

// higherGroupUsable tells whether a priority group before g has a member
// whose breaker is closed. A session on the first group asks nothing.
func (s *Server) higherGroupUsable(ctx context.Context, b *Backend, g int) bool {
	for _, group := range b.pool[:g] {
		for _, m := range group {
			if !s.breakerOpen(ctx, m.b) {
				return true
			}
		}
	}
	return false
}

// parseBackendProxy reads a backend's proxy: {"url": "http://host:port",
// "username": ..., "password": ...}, named values allowed in each. As for
// the proxy policy, the proxy is plain HTTP and its credentials are not in
// the URL. Errors never quote the password.
func parseBackendProxy(raw json.RawMessage, nv *engine.NamedValues, at engine.Pos, errs *engine.ErrorList) *url.URL {
	var p struct {
		URL      string `json:"url"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if json.Unmarshal(raw, &p) != nil {
		errs.Add(at, "", `proxy must be {"url": "http://host:port", "username": "...", "password": "..."}`)
		return nil
	}
	sub := func(v string) (string, bool) {
		out, err := nv.Substitute(v)
		if err != nil {
			errs.Add(at, "", "proxy: %s", err.Error())
			return "", false
		}
		return out, true
	}
	raw1, ok1 := sub(p.URL)
	user, ok2 := sub(p.Username)
	pass, ok3 := sub(p.Password)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	u, ok := policies.ProxyURL(raw1)
	if !ok {
		errs.Add(at, "", "proxy url must be http://host:port (a plain HTTP proxy; credentials go in username and password), not %q", engine.RedactURL(raw1))
		return nil
	}
	u.Path = ""
	if user != "" {
		u.User = url.UserPassword(user, pass)
	} else if pass != "" {
		errs.Add(at, "", "proxy password needs a username")
		return nil
	}
	return u
}

// store keys of a breaker: failures, calls, and the trip (a cached value
// holding until when it is open).
func breakerKeys(name string) (fails, calls, open string) {
	return "cb|" + name + "|f", "cb|" + name + "|c", "cb|" + name + "|open"
}

// breakerOpen reports whether b's breaker is open now. A store that fails
// keeps the breaker closed (traffic flows; the failure is counted).
func (s *Server) breakerOpen(ctx context.Context, b *Backend) bool {
	if b.breaker == nil {
		return false
	}
	_, _, openKey := breakerKeys(b.Name)
	v, ok, err := s.opt.Store.CacheGet(ctx, openKey)
	if err != nil {
		s.metrics.StoreErrors.WithLabelValues("circuit-breaker").Inc()
		return false
	}
	open := false
	if ok {
		until, _ := strconv.ParseInt(string(v), 10, 64)
		open = time.Now().UnixMilli() < until
	}
	s.metrics.BackendBreaker.WithLabelValues(b.Name).Set(map[bool]float64{true: 1, false: 0}[open])
	return open
}

// backendOutcome counts one call to b (status 0: it failed to answer) and
// trips its breaker when the rule says so.
func (s *Server) backendOutcome(ctx context.Context, b *Backend, status int, retryAfter string) {
	if b == nil {
		return
	}
	result := "failure"
	if status > 0 {
		result = strconv.Itoa(status/100) + "xx"
	}
	s.metrics.BackendRequests.WithLabelValues(b.Name, result).Inc()
	r := b.breaker
	if r == nil {
		return
	}
	failed := status == 0 && r.connFailures
	for _, rg := range r.ranges {
		failed = failed || (status >= rg[0] && status <= rg[1])
	}
	ctx = context.WithoutCancel(ctx)
	failKey, callKey, openKey := breakerKeys(b.Name)
	trip := false
	if r.percentage > 0 {
		calls, err := s.opt.Store.RateLimit(ctx, callKey, math.MaxInt32, r.interval, 1)
		if err != nil {
			s.metrics.StoreErrors.WithLabelValues("circuit-breaker").Inc()
			return
		}
		n := int64(1)
		if !failed {
			n = 0
		}
		fails, err := s.opt.Store.RateLimit(ctx, failKey, math.MaxInt32, r.interval, n)
		if err != nil {
			s.metrics.StoreErrors.WithLabelValues("circuit-breaker").Inc()
			return
		}
		total, nf := math.MaxInt32-calls.Remaining, math.MaxInt32-fails.Remaining
		trip = failed && nf*100 >= r.percentage*total
	} else if failed {
		d, err := s.opt.Store.RateLimit(ctx, failKey, r.count, r.interval, 1)
		if err != nil {
			s.metrics.StoreErrors.WithLabelValues("circuit-breaker").Inc()
			return
		}
		trip = !d.Allowed || d.Remaining == 0
	}
	if !trip {
		return
	}
	dur := r.trip
	if r.acceptRetryAfter && retryAfter != "" {
		if secs, err := strconv.ParseInt(strings.TrimSpace(retryAfter), 10, 64); err == nil && secs > 0 {
			dur = engine.SecondsDuration(secs) // as long as the backend asks, up to what a Duration holds
		} else if t, err := http.ParseTime(retryAfter); err == nil && time.Until(t) > 0 {
			dur = time.Until(t)
		}
	}
	until := time.Now().Add(dur).UnixMilli()
	if err := s.opt.Store.CacheSet(ctx, openKey, []byte(strconv.FormatInt(until, 10)), dur); err != nil {
		s.metrics.StoreErrors.WithLabelValues("circuit-breaker").Inc()
		return
	}
	s.metrics.BackendTrips.WithLabelValues(b.Name).Inc()
	s.metrics.BackendBreaker.WithLabelValues(b.Name).Set(1)
	s.log.Warn("circuit breaker open", zap.String("backend", b.Name), zap.Duration("for", dur), zap.Int("status", status))
}

// backendMetrics are registered with the others (metrics.go).
func newBackendMetrics() (*prometheus.CounterVec, *prometheus.GaugeVec, *prometheus.CounterVec) {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_backend_requests_total",
			Help: "Calls to backend entities by result: 2xx..5xx, failure (no answer)."}, []string{"backend", "result"}),
		prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tollgate_backend_circuit_open",
			Help: "1 while the backend's circuit breaker is open (as this replica last saw it)."}, []string{"backend"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_backend_circuit_trips_total",
			Help: "Times this replica tripped the backend's circuit breaker."}, []string{"backend"})
}

// backendCredentials sets b's credential headers on h.
func backendCredentials(b *Backend, h http.Header) {
	if b == nil {
		return
	}
	for k, v := range b.header {
		h[k] = v
	}
}

// backendClientCert finds the client certificate a backend's credentials
// name among the gateway's certificates (--certificates): certificateIds
// by the certificate's name (the last segment of "/certificates/NAME" or
// of its full resource id, NAME.pem in the folder), certificate by
// thumbprint. The first one found is presented. One that is not there
// makes the backend unusable (as a credential whose named value has no
// value): APIOps extracts hold no certificates.
func backendClientCert(b *Backend, ids, thumbprints []string, certs []policies.NamedCertificate, at engine.Pos) {
	var missing []string
	for _, id := range ids {
		name := id[strings.LastIndexByte(id, '/')+1:]
		for i := range certs {
			if certs[i].Name == name && b.cert == nil {
				b.cert = &certs[i].Cert
			}
		}
		if b.cert == nil {
			missing = append(missing, fmt.Sprintf("certificate %q (put %s.pem, the certificate and its key, in --certificates)", name, name))
		}
	}
	for _, tp := range thumbprints {
		tp = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(tp), " ", ""))
		for i := range certs {
			if b.cert == nil && certs[i].Thumbprint() == tp {
				b.cert = &certs[i].Cert
			}
		}
		if b.cert == nil {
			missing = append(missing, fmt.Sprintf("the certificate with thumbprint %s (put it, with its key, in --certificates)", tp))
		}
	}
	if b.cert == nil && len(missing) > 0 {
		if b.unusable != "" {
			b.unusable += "; "
		}
		b.unusable += "its client certificate is not among the gateway's: " + strings.Join(missing, ", ")
		b.unusablePos = at
	}
}

// backendViewURL is the URL context.Request.Url shows for the backend
// entity id before the forward picks where the request goes (RefreshUrl):
// its own URL, or a pool's first member's (the first of its first priority
// group); nil when id is no usable backend of the API's.
func (api *API) backendViewURL(id string) *url.URL {
	b := api.backends[id]
	for depth := 0; b != nil && b.unusable == "" && depth < 4; depth++ {
		if b.url != nil {
			return b.url
		}
		if len(b.pool) == 0 || len(b.pool[0]) == 0 {
			return nil
		}
		b = b.pool[0][0].b
	}
	return nil
}
