package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"tollgate/engine"
)

// API is one served API: its definition (api.xml) and compiled plan.
// It is immutable once loaded and shared by every request of a snapshot.
type API struct {
	Name       string
	Type       string // websocket | http
	Path       string // URL prefix, "/chat"
	ServiceURL *url.URL
	Limits     Limits
	Plan       *engine.Plan
	Info       *engine.Api
	Dir        string
	// srcHash covers the bytes of its files (and the shared parts): an API
	// whose files did not change is reused as compiled.
	srcHash string
	// Hash covers everything that shapes this API's behaviour (its files,
	// the global policy, named values, fragments). A reload that changes it
	// counts as a change of this API.
	Hash string
}

// Limits are the per-API limits, all with documented defaults (README).
type Limits struct {
	MaxMessageSize   int64         // max-message-size (bytes), default 1 MiB
	IdleTimeout      time.Duration // idle-timeout (s), default 300
	HandshakeTimeout time.Duration // handshake-timeout (s), default 10: backend dial
	PingInterval     time.Duration // ping-interval (s), default 30
	MaxConnections   int64         // max-connections, default 10000 (0: unlimited)
	PolicyTimeout    time.Duration // policy-timeout (s), default 30: one section run
	Timeout          time.Duration // timeout (s), default 300: HTTP backend call
	MaxBodySize      int64         // max-body-size (bytes), default 4 MiB: bodies policies read
	BodyTimeout      time.Duration // body-timeout (s), default 60: the whole request body must arrive (HTTP APIs)
	MaxExprBytes     int64         // max-expression-bytes, default 16 MiB: what one expression evaluation may build
	AllowedOrigins   []string      // allowed-origins: host patterns for browser Origin ("*": any); default same host only
	AllowedHosts     []string      // allowed-hosts: host name patterns the Host header must match; default any
	// MaxMessageRate (max-messages-per-second) and MessageBurst
	// (message-burst): per-connection client message rate limit; 0: none.
	MaxMessageRate float64
	MessageBurst   int64
	// Trace (trace="true") logs every executed policy step of every request
	// of this API: for debugging a policy, not for production traffic.
	Trace bool
	// DrainOnChange: when a reload changes this API, its open sessions are
	// closed with 1012 after DrainAfter, spread evenly over DrainWindow.
	DrainOnChange bool
	DrainAfter    time.Duration // drain-after (s), default 30
	DrainWindow   time.Duration // drain-window (s), default 60
}

// DefaultLimits are the limits when api.xml says nothing.
var DefaultLimits = Limits{
	MaxMessageSize:   DefaultMaxMessageSize,
	IdleTimeout:      DefaultIdleTimeout,
	HandshakeTimeout: 10 * time.Second,
	PingInterval:     DefaultPingInterval,
	MaxConnections:   10000,
	PolicyTimeout:    30 * time.Second,
	Timeout:          300 * time.Second,
	MaxBodySize:      4 << 20,
	BodyTimeout:      DefaultBodyTimeout,
	MaxExprBytes:     engine.DefaultExprBytes,
	DrainAfter:       30 * time.Second,
	DrainWindow:      60 * time.Second,
}

// Snapshot is one loaded configuration: every API, routed by longest prefix.
type Snapshot struct {
	APIs  []*API // sorted by path length, longest first
	Hash  string // of the parsed content: equal hashes mean nothing changed
	Named *engine.NamedValues
}

// Route returns the API whose path is the longest prefix of path (on a
// segment boundary), or nil.
func (s *Snapshot) Route(path string) *API {
	for _, a := range s.APIs {
		if a.Path == "/" || path == a.Path || (strings.HasPrefix(path, a.Path) && (strings.HasSuffix(a.Path, "/") || path[len(a.Path)] == '/')) {
			return a
		}
	}
	return nil
}

// API returns the API called name, or nil.
func (s *Snapshot) API(name string) *API {
	for _, a := range s.APIs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// LoadOptions tune Load.
type LoadOptions struct {
	Getenv func(string) string // default os.Getenv
	// Previous, when set, is the running snapshot: an API whose hash (its
	// files plus the shared parts, byte for byte) is unchanged is taken
	// from it as it is instead of being compiled again, so a reload after
	// one edit compiles one API. Plans are immutable, so sharing is safe.
	Previous *Snapshot
}

// Load reads an apis folder into a Snapshot:
//
//	DIR/named-values.xml        optional {{name}} values
//	DIR/policy.xml              optional global policy
//	DIR/fragments/NAME.xml      optional policy fragments (include-fragment)
//	DIR/NAME/api.xml            one folder per API
//	DIR/NAME/policy.xml         its policy (optional: inherits the global one)
//
// Every problem is collected; the snapshot is only usable when the error
// list is empty.
func Load(dir string, reg engine.Registry, opt LoadOptions) (*Snapshot, engine.ErrorList) {
	var errs engine.ErrorList
	h := sha256.New()
	snap := &Snapshot{}
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		errs.Add(engine.Pos{File: dir}, "", "not a folder of API definitions")
		return nil, errs
	}

	// Shared parts: everything that every API's hash depends on.
	common := sha256.New()
	nv := engine.NewNamedValues()
	if data, ok := readIf(filepath.Join(dir, "named-values.xml"), &errs); ok {
		// Hashed through its values (Fingerprint below), not its bytes.
		if root, err := engine.Read(filepath.Join(dir, "named-values.xml"), data); err != nil {
			errs.Append(err)
		} else {
			var nerrs engine.ErrorList
			nv, nerrs = engine.ParseNamedValues(root, getenv)
			errs = append(errs, nerrs...)
		}
		// env-sourced values shape behaviour too
		for _, s := range nvFingerprint(nv) {
			common.Write([]byte(s))
		}
	}
	snap.Named = nv

	frags := map[string]*engine.Node{}
	fragDir := filepath.Join(dir, "fragments")
	if ents, err := os.ReadDir(fragDir); err == nil {
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".xml") {
				continue
			}
			p := filepath.Join(fragDir, e.Name())
			data, ok := readIf(p, &errs)
			if !ok {
				continue
			}
			root, err := engine.Read(p, data)
			if err != nil {
				errs.Append(err)
				continue
			}
			common.Write([]byte(e.Name()))
			root.WriteCanonical(common)
			if root.Name != "fragment" {
				errs.Add(root.Pos, "", "a fragment file's root element must be <fragment>, not <%s>", root.Name)
				continue
			}
			frags[strings.TrimSuffix(e.Name(), ".xml")] = root
		}
	}

	comp := engine.NewCompiler(reg, nv)
	comp.Fragments = frags
	var global *engine.Plan
	if data, ok := readIf(filepath.Join(dir, "policy.xml"), &errs); ok {
		if root, err := engine.Read(filepath.Join(dir, "policy.xml"), data); err != nil {
			errs.Append(err)
		} else {
			root.WriteCanonical(common)
			global = comp.Compile(root, "global", nil)
		}
	}
	if global == nil {
		global = &engine.Plan{}
	}
	secrets := nv.Secrets()
	global.Secrets = secrets
	commonSum := common.Sum(nil)

	ents, err := os.ReadDir(dir)
	if err != nil {
		errs.Add(engine.Pos{File: dir}, "", "cannot list: %s", err.Error())
	}
	names := map[string]string{}
	paths := map[string]string{}
	reusable := map[string]*API{} // by Dir
	if opt.Previous != nil {
		for _, a := range opt.Previous.APIs {
			reusable[a.Dir] = a
		}
	}
	for _, e := range ents {
		if !isDirEntry(dir, e) || e.Name() == "fragments" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		apiDir := filepath.Join(dir, e.Name())
		apiFile := filepath.Join(apiDir, "api.xml")
		data, ok := readIf(apiFile, &errs)
		if !ok {
			continue // a folder without api.xml is not an API (e.g. notes)
		}
		ah := sha256.New() // canonical: parsed content only
		ah.Write(commonSum)
		sh := sha256.New() // the files' bytes: reuse an unchanged API as is
		sh.Write(commonSum)
		sh.Write(data)
		// The policy is read once: its bytes are hashed here and compiled
		// below; a read problem is reported where the policy is used.
		policyFile := filepath.Join(apiDir, "policy.xml")
		var perrs engine.ErrorList
		pdata, hasPolicy := readIf(policyFile, &perrs)
		sh.Write(pdata)
		srcHash := hex.EncodeToString(sh.Sum(nil))
		if old := reusable[apiDir]; old != nil {
			if len(perrs) == 0 && srcHash == old.srcHash && names[old.Name] == "" && paths[old.Path] == "" {
				names[old.Name], paths[old.Path] = apiFile, apiFile
				h.Write([]byte(old.Hash))
				snap.APIs = append(snap.APIs, old)
				continue
			}
		}
		root, err := engine.Read(apiFile, data)
		if err != nil {
			errs.Append(err)
			continue
		}
		root.WriteCanonical(ah)
		// compilePolicy compiles the API's policy over the global one
		// (the global one itself when there is none) and hashes it.
		compilePolicy := func() *engine.Plan {
			errs = append(errs, perrs...)
			if !hasPolicy {
				return global
			}
			proot, err := engine.Read(policyFile, pdata)
			if err != nil {
				errs.Append(err)
				return global
			}
			ah.Write([]byte("policy"))
			proot.WriteCanonical(ah)
			plan := comp.Compile(proot, "api", global)
			if plan != nil {
				plan.Secrets = secrets
			}
			return plan
		}
		api := parseAPI(root, nv, &errs)
		if api == nil {
			// Still compile the policy, so one run reports every problem
			// (as a compiler does) rather than hiding the policy's behind
			// the api.xml's.
			compilePolicy()
			continue
		}
		api.Dir = apiDir
		if prev, dup := names[api.Name]; dup {
			errs.Add(root.Pos, "", "API name %q is already used by %s", api.Name, prev)
			continue
		}
		if prev, dup := paths[api.Path]; dup {
			errs.Add(root.Pos, "", "API path %q is already used by %s", api.Path, prev)
			continue
		}
		names[api.Name], paths[api.Path] = apiFile, apiFile
		api.Plan = compilePolicy()
		api.Hash = hex.EncodeToString(ah.Sum(nil))
		api.srcHash = srcHash
		h.Write([]byte(api.Hash))
		snap.APIs = append(snap.APIs, api)
	}
	errs = append(errs, comp.Errors()...)
	sort.Slice(snap.APIs, func(i, j int) bool {
		if len(snap.APIs[i].Path) != len(snap.APIs[j].Path) {
			return len(snap.APIs[i].Path) > len(snap.APIs[j].Path)
		}
		return snap.APIs[i].Path < snap.APIs[j].Path
	})
	h.Write(commonSum)
	snap.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	errs = errs.Sort()
	if len(errs) > 0 {
		// A secret used in an api.xml attribute or an expression may be
		// quoted by an error; check, /status/reload and the log print them.
		engine.MaskErrors(errs, secrets)
		return nil, errs
	}
	return snap, nil
}

func nvFingerprint(nv *engine.NamedValues) []string {
	if nv == nil {
		return nil
	}
	return nv.Fingerprint()
}

func isDirEntry(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink != 0 { // ConfigMap-style symlinked folders
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		return err == nil && st.IsDir()
	}
	return false
}

// readIf reads a file that may be absent.
func readIf(path string, errs *engine.ErrorList) ([]byte, bool) {
	data, err := engine.ReadConfigFile(path) // regular files only, bounded, never blocks
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		errs.Add(engine.Pos{File: path}, "", "cannot read: %s", err.Error())
		return nil, false
	}
	return data, true
}

// apiAttrs lists api.xml's attributes; see the README for each.
var apiAttrs = []string{"name", "type", "path", "service-url", "max-message-size", "idle-timeout",
	"handshake-timeout", "ping-interval", "max-connections", "policy-timeout", "timeout", "max-body-size",
	"allowed-origins", "drain-on-change", "drain-after", "drain-window", "trace",
	"max-messages-per-second", "message-burst", "body-timeout", "max-expression-bytes", "allowed-hosts"}

func parseAPI(root *engine.Node, nv *engine.NamedValues, errs *engine.ErrorList) *API {
	if root.Name != "api" {
		errs.Add(root.Pos, "", "the root element must be <api>, not <%s>", root.Name)
		return nil
	}
	for _, c := range root.Children {
		errs.Add(c.Pos, "", "unexpected element <%s> inside <api>", c.Name)
	}
	api := &API{Limits: DefaultLimits}
	get := map[string]*engine.Attr{}
	before := len(*errs)
	for _, a := range root.Attrs {
		if !slices.Contains(apiAttrs, a.Name) {
			errs.Add(a.Pos, "", "<api> has no attribute %q (known: %s)", a.Name, strings.Join(apiAttrs, ", "))
			continue
		}
		v, err := nv.Substitute(a.Value)
		if err != nil {
			errs.Add(a.ValuePos, "", "%s", err.Error())
			continue
		}
		get[a.Name] = &engine.Attr{Name: a.Name, Value: v, Pos: a.Pos, ValuePos: a.ValuePos}
	}
	need := func(name string) string {
		a := get[name]
		if a == nil {
			errs.Add(root.Pos, "", "<api> needs the attribute %q", name)
			return ""
		}
		return a.Value
	}
	api.Name = need("name")
	api.Type = need("type")
	api.Path = need("path")
	svc := need("service-url")
	if api.Name != "" && !validAPIName(api.Name) {
		errs.Add(get["name"].ValuePos, "", "API name %q: use letters, digits, '-', '_' and '.'", api.Name)
	}
	if api.Type != "" && api.Type != "websocket" && api.Type != "http" {
		errs.Add(get["type"].ValuePos, "", "type must be websocket or http, not %q", api.Type)
	}
	if api.Path != "" && (!strings.HasPrefix(api.Path, "/") || strings.ContainsAny(api.Path, "?#* ")) {
		errs.Add(get["path"].ValuePos, "", "path must be a URL path starting with '/', not %q", api.Path)
	}
	if len(api.Path) > 1 {
		api.Path = strings.TrimSuffix(api.Path, "/")
	}
	// With an unknown type the scheme cannot be judged: report the type
	// only, not a confusing second error about a valid URL.
	if svc != "" && (api.Type == "websocket" || api.Type == "http") {
		u, err := url.Parse(svc)
		ok := err == nil && u.Host != ""
		if ok {
			switch {
			case api.Type == "websocket" && (u.Scheme == "ws" || u.Scheme == "wss"):
			case api.Type == "websocket" && (u.Scheme == "http" || u.Scheme == "https"):
				u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
			case api.Type == "http" && (u.Scheme == "http" || u.Scheme == "https"):
			default:
				ok = false
			}
		}
		if !ok {
			want := "http:// or https://"
			if api.Type == "websocket" {
				want = "ws:// or wss://"
			}
			errs.Add(get["service-url"].ValuePos, "", "service-url %q must be an absolute %s URL", svc, want)
		} else {
			api.ServiceURL = u
		}
	}
	l := &api.Limits
	intAttr := func(name string, dst *int64, min int64) {
		if a := get[name]; a != nil {
			n, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
			if err != nil || n < min {
				errs.Add(a.ValuePos, "", "%s must be a whole number of at least %d, not %q", name, min, a.Value)
				return
			}
			*dst = n
		}
	}
	secAttr := func(name string, dst *time.Duration, min int64) {
		var n int64 = -1
		intAttr(name, &n, min)
		if n >= 0 {
			*dst = time.Duration(n) * time.Second
		}
	}
	intAttr("max-message-size", &l.MaxMessageSize, 1)
	secAttr("idle-timeout", &l.IdleTimeout, 1)
	secAttr("handshake-timeout", &l.HandshakeTimeout, 1)
	secAttr("ping-interval", &l.PingInterval, 1)
	intAttr("max-connections", &l.MaxConnections, 0)
	secAttr("policy-timeout", &l.PolicyTimeout, 1)
	secAttr("timeout", &l.Timeout, 1)
	intAttr("max-body-size", &l.MaxBodySize, 0)
	secAttr("body-timeout", &l.BodyTimeout, 1)
	intAttr("max-expression-bytes", &l.MaxExprBytes, 1024)
	secAttr("drain-after", &l.DrainAfter, 0)
	secAttr("drain-window", &l.DrainWindow, 0)
	if a := get["max-messages-per-second"]; a != nil {
		r, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
		if err != nil || r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			errs.Add(a.ValuePos, "", "max-messages-per-second must be a positive number, not %q", a.Value)
		} else {
			l.MaxMessageRate = r
		}
	}
	intAttr("message-burst", &l.MessageBurst, 1)
	if get["message-burst"] != nil && get["max-messages-per-second"] == nil {
		errs.Add(get["message-burst"].Pos, "", "message-burst goes with max-messages-per-second")
	}
	boolAttr := func(name string, dst *bool) {
		if a := get[name]; a != nil {
			b, err := strconv.ParseBool(a.Value)
			if err != nil {
				errs.Add(a.ValuePos, "", "%s must be true or false, not %q", name, a.Value)
			}
			*dst = b
		}
	}
	boolAttr("trace", &l.Trace)
	boolAttr("drain-on-change", &l.DrainOnChange)
	if a := get["allowed-hosts"]; a != nil {
		for _, h := range strings.Split(a.Value, ",") {
			if h = strings.TrimSpace(h); h == "" {
				continue
			} else if _, err := path.Match(h, ""); err != nil {
				errs.Add(a.ValuePos, "", "allowed-hosts: %q is not a valid pattern", h)
			} else {
				l.AllowedHosts = append(l.AllowedHosts, h)
			}
		}
	}
	if a := get["allowed-origins"]; a != nil {
		for _, o := range strings.Split(a.Value, ",") {
			if o = strings.TrimSpace(o); o != "" {
				l.AllowedOrigins = append(l.AllowedOrigins, o)
			}
		}
	}
	if len(*errs) > before {
		return nil
	}
	api.Info = &engine.Api{Name: api.Name, Type: api.Type, Path: api.Path, ServiceUrl: engine.RedactURL(api.ServiceURL.String())}
	return api
}

func validAPIName(s string) bool {
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return s != ""
}

// String describes the API for logs.
func (a *API) String() string {
	return fmt.Sprintf("%s (%s %s -> %s)", a.Name, a.Type, a.Path, a.Info.ServiceUrl)
}
