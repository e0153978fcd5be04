package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
	"tollgate/gateway/internal/gqlexec"
	"tollgate/gateway/wsproxy"
	"tollgate/policies"
)

// API is one served API: its definition (api.xml) and compiled plan.
// It is immutable once loaded and shared by every request of a snapshot.
type API struct {
	// protocols are apiInformation.json's (nil: none given), for
	// context.Api.Protocols.
	protocols []string
	Name      string
	// Revision is the number of a revision that is not the current one,
	// served at the current one's path with ";rev=N" appended (APIM's
	// revision URLs); "" for the current revision.
	Revision   string
	Type       string // websocket | http | graphql (an http API with a schema: graphql.go) | soap (soap.go) | odata (odata.go) | grpc (grpc.go)
	Path       string // URL prefix, "/chat"
	ServiceURL *url.URL
	Limits     Limits
	Plan       *engine.Plan
	Info       *engine.Api
	Dir        string
	// Workspace is the APIOps workspace the API belongs to (workspaces.go);
	// nil for the service's own APIs.
	Workspace *engine.Workspace
	// A2A: an A2A agent API's card and JSON-RPC paths (a2a.go); nil for other types.
	A2A *A2AAgent
	// Versioning: a version chosen by query parameter or header (versions.go).
	Versioning APIVersioning
	// srcHash covers the bytes of its files (and the shared parts): an API
	// whose files did not change is reused as compiled.
	srcHash string
	// Hash covers everything that shapes this API's behaviour (its files,
	// the global policy, named values, fragments). A reload that changes it
	// counts as a change of this API.
	Hash string

	// The resource model (operations.go, scopes.go): the API's operations
	// and how each request finds its plan. An API value in views is the
	// API as served for one operation and product: the same API with the
	// plan of that scope and the Operation and Product it fills in.
	Operations []*Operation
	router     *opRouter
	soap       *soapRouter // a SOAP API's operations, by SOAP action (soap.go)
	views      []*API      // by product index (scopes.go); views[0]: no product
	// openProduct is the views index of the first open (no key needed)
	// published product that contains the API; 0 for none.
	openProduct int
	// preflight is this view's CORS preflight plan: the cors policies of
	// its inbound, nothing else (nil: none); preflights, on the API
	// itself, says that one of its views has one (preflight.go).
	preflight  *engine.Plan
	preflights bool
	Operation  *engine.Operation
	Product    *engine.Product
	// Subscription says whether and how requests present a key.
	Subscription SubscriptionSettings
	// opDecls are the operations declared in api.xml's <operations>.
	opDecls []specOp
	// specOpts shape the operations of its OpenAPI specification
	// (translateRequiredQueryParameters, openapi.go).
	specOpts specOptions
	opErrs   engine.ErrorList // problems of <operations>
	// backends are the configuration's backend entities (backends.go).
	backends map[string]*Backend
	// inline: a REST request to the API never blocks its goroutine
	// (RunsInline, inline.go), as worked out with inlineStores.
	inline       bool
	inlineStores inlineStores
	// hsInline: a WebSocket API's handshake never blocks its goroutine
	// but for its backend dial (HandshakeInline, inline.go).
	hsInline bool
	// served is what the server publishing the API works out once for it
	// (Server.prepareServed); a copy (view) is prepared on its own.
	served apiServed
	// mcp: an MCP server's own definition (mcp.go); nil for other types.
	mcp *mcpServer
	// gql: a synthetic GraphQL API's schema and resolvers
	// (graphql_synthetic.go); nil for other APIs.
	gql *syntheticGraphQL
	// backendExprs are the places of the backend-id expressions of its
	// documents (reportUnusableBackends), kept for a reload that reuses it.
	backendExprs []engine.Pos
	// credExprs are its get-authorization-context expressions (the
	// credential set's Notices), kept for a reload that reuses it.
	credExprs []policies.CredentialExpression
	// notices are its own load's notices (an ignored property of its
	// apiInformation.json, …), said again by a reload that reuses it.
	notices []string
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
	// A synthetic GraphQL API's request limits (graphql_synthetic.go,
	// docs/graphql.md): graphql-max-depth (default 15),
	// graphql-max-fields (default 1000, fragments expanded),
	// graphql-max-resolver-calls (default 1000), graphql-concurrency
	// (resolvers of one request running at once, default 8) and
	// resolver-timeout (s, each resolver call, default 30).
	GraphQLMaxDepth         int64
	GraphQLMaxFields        int64
	GraphQLMaxResolverCalls int64
	GraphQLConcurrency      int64
	ResolverTimeout         time.Duration
	// GraphQLMaxAnswerBytes (graphql-max-answer-bytes, default 16 MiB)
	// bounds the data sources' answers to one request, in total.
	GraphQLMaxAnswerBytes int64
	// GraphQLMaxResponseBytes (graphql-max-response-bytes, default 16
	// MiB) bounds the response one execution builds (aliases over a list
	// multiply an answer): past it, one error and no data.
	GraphQLMaxResponseBytes int64
	// GraphQLMaxEventBytes (graphql-max-event-bytes, default 1 MiB)
	// bounds one subscription event (a publish-event's answer): a larger
	// one is dropped with a warning, never sent to the store nor to a
	// subscriber.
	GraphQLMaxEventBytes int64
	// Subscription connections (graphql_subscriptions.go):
	// graphql-init-timeout (s, default 3, graphql-ws's server's
	// connectionInitWaitTimeout) and graphql-max-subscriptions (at once on
	// one connection, default 100).
	GraphQLInitTimeout      time.Duration
	GraphQLMaxSubscriptions int64
	// GraphQLKeepAlive (graphql-keepalive, s, default 10; 0: none) is how
	// often a legacy graphql-ws (subscriptions-transport-ws) connection
	// gets a "ka" message after the one that follows connection_ack.
	GraphQLKeepAlive time.Duration
	// MCPMaxClientStreams (mcp-max-streams-per-client, default 20; 0:
	// none) bounds the HTTP+SSE streams (GET PATH/sse) of an MCP server
	// one client address holds open at once in this process
	// (mcp_local.go, docs/mcp.md).
	MCPMaxClientStreams int64
}

// DefaultLimits are the limits when api.xml says nothing.
var DefaultLimits = Limits{
	MaxMessageSize:   wsproxy.DefaultMaxMessageSize,
	IdleTimeout:      wsproxy.DefaultIdleTimeout,
	HandshakeTimeout: 10 * time.Second,
	PingInterval:     wsproxy.DefaultPingInterval,
	MaxConnections:   10000,
	PolicyTimeout:    30 * time.Second,
	Timeout:          300 * time.Second,
	MaxBodySize:      4 << 20,
	BodyTimeout:      DefaultBodyTimeout,
	MaxExprBytes:     engine.DefaultExprBytes,
	DrainAfter:       30 * time.Second,
	DrainWindow:      60 * time.Second,

	GraphQLMaxDepth:         gqlexec.DefaultMaxDepth,
	GraphQLMaxFields:        gqlexec.DefaultMaxFields,
	GraphQLMaxResolverCalls: gqlexec.DefaultMaxResolverCalls,
	GraphQLConcurrency:      gqlexec.DefaultConcurrency,
	ResolverTimeout:         30 * time.Second,
	GraphQLMaxAnswerBytes:   16 << 20,
	GraphQLMaxResponseBytes: gqlexec.DefaultMaxResponseBytes,
	GraphQLMaxEventBytes:    1 << 20,
	GraphQLInitTimeout:      3 * time.Second,
	GraphQLMaxSubscriptions: 100,
	GraphQLKeepAlive:        10 * time.Second,
	MCPMaxClientStreams:     20,
}

// Snapshot is one loaded configuration: every API, routed by longest prefix.
type Snapshot struct {
	APIs  []*API // sorted by path length, longest first
	Hash  string // of the parsed content: equal hashes mean nothing changed
	Named *engine.NamedValues
	// Products (products.go), and the subscriptions of the folder
	// (subscriptions.go).
	Products      []*Product
	subscriptions *fileSubscriptions
	// versions are the paths whose APIs are told apart by a version in
	// the query or a header (versions.go).
	versions map[string]*versionGroup
	// Notices are things the folder holds that tollgate does not use
	// (Azure-only settings), "file:line:col: ignored: ...": reported once
	// per load, never silently dropped.
	Notices []string
	// loggers are the log-to-eventhub sinks its policies were compiled
	// against: committed when the snapshot starts serving.
	loggers *policies.LoggerSet
	// Gateway is the gateway resource served as (LoadOptions.Gateway);
	// nil: none, every API is served.
	Gateway *GatewayInfo
	// secrets are the values of every scope's secret named values (the
	// service's and its workspaces'): masked wherever text may show them.
	secrets []string
	// keyVaultRefs counts the named values read from Key Vault: the
	// server reloads every policies.KeyVaultRefresh while there are any.
	keyVaultRefs int
	diagnostics  *diagnosticSet          // diagnostics (diagnostics.go): APIM diagnostics; nil: none
	credentials  *policies.CredentialSet // the credential manager's providers (credentials.go)
	mcp          map[string]*mcpToolSet  // MCP servers' tools, by API name (mcp.go)
}

// Secrets are the values of the secret named values of the snapshot: the
// service's and its workspaces'.
func (s *Snapshot) Secrets() []string { return s.secrets }

// reservedFolders hold resources, not APIs.
var reservedFolders = map[string]bool{"fragments": true, "products": true, "subscriptions": true, "apis": true,
	"named values": true, "policy fragments": true, "backends": true, "version sets": true, "schemas": true, "global schemas": true, "loggers": true, "gateways": true, "workspaces": true,
	"namedValues": true, "policyFragments": true, "versionSets": true, credentialsFolder: true}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
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
		if a.Name == name && a.Revision == "" {
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
	// SubscriptionKeys is the keys file of the folder's subscriptions
	// (subscriptions.go); "" when there is none.
	SubscriptionKeys string
	// Overrides is an APIOps publisher configuration file
	// (configuration.prod.yaml) applied over the folder (apiops.go).
	Overrides string
	// NamedValuesFile is a JSON file {"name": "value"} with the values of
	// APIOps named values that are not in the folder (secrets).
	NamedValuesFile string
	// Transport is the base of the transports of backends with their own
	// TLS settings (default: a clone of http.DefaultTransport).
	Transport *http.Transport
	// Certificates are the gateway's client certificates (--certificates):
	// a backend entity's credentials.certificateIds and certificate name
	// them (by name and by thumbprint).
	Certificates []policies.NamedCertificate
	// Explain, when set, is told how each expression was compiled: its
	// language (C# or expr) and the program (tollgate check --explain).
	Explain func(engine.Explanation)
	// LocalSubscriptions and LocalStore say that the server's subscription
	// store (Options.Subscriptions) and limits store (Options.Store, the
	// backends' circuit breakers) answer in process, never over the
	// network: API.RunsInline needs both to say true. false: they may
	// block (Redis), or they are unknown.
	LocalSubscriptions, LocalStore bool
	// Loggers are log-to-eventhub's sinks: the loggers file's, and the
	// running ones of the folder's APIOps loggers (reused while
	// unchanged). nil: the folder's are checked, never started.
	Loggers *policies.Loggers
	// Gateway, when set, is the APIOps gateway resource (gateways/NAME/)
	// this tollgate serves as: only the APIs assigned to it are served
	// (gateways.go).
	Gateway string
	// KeyVault reads the secrets of named values that are Key Vault
	// references (policies.KeyVault); nil: their values must come from
	// the environment or the named values file.
	KeyVault SecretReader
	// Workspaces, when set, are the APIOps workspaces (workspaces/NAME/)
	// this tollgate serves as the gateway of: only their APIs are served
	// (workspaces.go).
	Workspaces []string
	// Credentials is the credential manager the folder's credential
	// providers are staged on (credentials.go); nil: a manager of this
	// load's own (tollgate check: checked; a server without one keeps no
	// token across reloads).
	Credentials *policies.Credentials
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
	over := loadOverrides(opt.Overrides, &errs, &snap.Notices)
	snap.keyVaultRefs = loadAPIOpsNamedValues(dir, nv, over, opt.NamedValuesFile, getenv, opt.KeyVault, &errs, &snap.Notices)
	if !fileIsThere(filepath.Join(dir, "named-values.xml")) && (dirExists(filepath.Join(dir, "apis")) || dirExists(apiopsDir(dir, "named values"))) {
		nv.SetWhere(filepath.Base(apiopsDir(dir, "named values")) + "/NAME/namedValueInformation.json") // an APIOps folder: where an unknown one would go
	}
	checkAPIOpsCamelFolders(dir, &errs)
	checkDuplicateResourceFolders(dir, &errs)
	checkJSONDuplicateKeys(opt.NamedValuesFile, &errs) // jsondup.go
	checkJSONDuplicateKeys(opt.SubscriptionKeys, &errs)
	unusedOverrides(dir, over, &snap.Notices) // the diagnostics section's: loadDiagnostics
	if len(over.raw["namedValues"]) > 0 || dirExists(apiopsDir(dir, "named values")) {
		for _, s := range nvFingerprint(nv) {
			common.Write([]byte(s))
		}
	}
	apiopsNoticeFolders(dir, opt.Gateway != "", &snap.Notices)
	snap.Named = nv

	frags := map[string]*engine.Node{}
	fragDir := filepath.Join(dir, "fragments")
	if ents, err := os.ReadDir(fragDir); err == nil {
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".xml") {
				continue
			}
			p := filepath.Join(fragDir, e.Name())
			name := strings.TrimSuffix(e.Name(), ".xml")
			before := len(errs)
			data, ok := readIf(p, &errs)
			if !ok {
				if len(errs) > before {
					frags[name] = nil // exists, did not load (engine.Compiler.Fragments)
				}
				continue
			}
			root, err := engine.Read(p, data)
			if err != nil {
				errs.Append(err)
				frags[name] = nil
				continue
			}
			common.Write([]byte(e.Name()))
			root.WriteCanonical(common)
			if root.Name != "fragment" {
				errs.Add(root.Pos, "", "a fragment file's root element must be <fragment>, not <%s>", root.Name)
				frags[name] = nil
				continue
			}
			frags[name] = root
		}
	}

	loadAPIOpsFragments(dir, frags, func(name string, root *engine.Node) {
		common.Write([]byte("fragment\x00" + name))
		root.WriteCanonical(common)
		frags[name] = root
	}, &errs)
	base := opt.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	svc := &resourceScope{dir: dir, over: over, nv: nv, frags: frags, common: common}
	hashVersionSets(dir, over, common)
	svc.backends = loadBackends(dir, nv, base, opt.Certificates, over, common, &errs, &snap.Notices)
	svc.loggers = loadAPIOpsLoggers(dir, nv, over, common, &errs, &snap.Notices)
	// Workspaces (workspaces.go): their own named values, fragments,
	// backends and loggers, read like the service's.
	spaces := loadWorkspaces(dir, base, opt, getenv, &errs, &snap.Notices)
	scopes := append([]*resourceScope{svc}, spaces...)
	// APIOps loggers: log-to-eventhub compiles against the loggers this
	// load sees; the server commits them with the snapshot (reload.go).
	var defs []policies.FolderLogger
	for _, sc := range scopes {
		defs = append(defs, sc.loggers...)
		snap.keyVaultRefs += sc.keyVaultRefs
	}
	lset, lerrs, lnotes := opt.Loggers.Stage(defs)
	errs = append(errs, lerrs...)
	snap.Notices = append(snap.Notices, lnotes...)
	snap.loggers = lset
	reg = lset.Registry(reg)
	// The credential manager's providers and connections (credentials.go):
	// get-authorization-context compiles against them.
	cset, cerrs := opt.Credentials.Stage(loadCredentialProviders(dir, nv, common, &errs, &snap.Notices))
	errs = append(errs, cerrs...)
	workspaceCredentialNotices(dir, &snap.Notices)
	snap.credentials = cset
	reg = cset.Registry(reg)
	for _, sc := range scopes {
		snap.secrets = append(snap.secrets, sc.nv.Secrets()...)
	}
	snap.secrets = append(snap.secrets, loggerSecrets(defs)...)
	snap.secrets = append(snap.secrets, cset.Secrets()...)
	secrets := snap.secrets
	comp := svc.newCompiler(reg, scopes, opt, &errs)
	comp.FragmentsWhere = fragmentsWhere(dir)
	var global *engine.Plan
	if data, ok := readIf(filepath.Join(dir, "policy.xml"), &errs); ok {
		if root, err := engine.Read(filepath.Join(dir, "policy.xml"), data); err != nil {
			errs.Append(err)
		} else {
			root.WriteCanonical(common)
			global = comp.Compile(root, "global", nil)
		}
	}
	// The global policy runs for every scope's APIs: its backend-id
	// expressions may reach a workspace's backends too.
	globalBackendExprs := slices.Clone(comp.BackendExpressions())
	if global == nil {
		global = &engine.Plan{}
	}
	global.Secrets = secrets
	svc.top = global
	// Products (products.go) sit between the global (or workspace) and
	// the API scopes.
	svc.products = loadProducts(dir, comp, global, over, common, &errs, &snap.Notices)
	subs, subsPrint := loadSubscriptions(dir, opt.SubscriptionKeys, over, &errs, &snap.Notices)
	serviceSubscriptionScopes(dir, subs, &errs)
	for _, sc := range spaces {
		compileWorkspace(sc, reg, scopes, global, opt, &errs, &snap.Notices)
		wsubs, wprint := loadSubscriptions(sc.dir, opt.SubscriptionKeys, sc.over, &errs, &snap.Notices)
		subs = mergeSubscriptions(subs, wsubs, sc, opt.SubscriptionKeys, &errs)
		subsPrint = append(subsPrint, wprint...)
	}
	products := allProducts(scopes, &errs)
	snap.Products = products
	subs.indexKeyless()
	snap.subscriptions = subs
	for _, f := range subsPrint {
		h.Write([]byte(f)) // the snapshot changes with them; no API does
	}
	// Every API's hash covers every scope's shared parts: a product of
	// any scope changes the views of all (scopes.go indexes them).
	for _, sc := range spaces {
		common.Write(sc.common.Sum(nil))
	}
	commonSum := common.Sum(nil)

	ents, err := os.ReadDir(dir)
	if err != nil {
		errs.Add(engine.Pos{File: dir}, "", "cannot list: %s", err.Error())
	}
	names := map[string]string{}
	paths := map[string]string{}
	failed := notLoaded{}
	versionedPath := map[string]bool{} // every API at the path has a version scheme
	apiFiles := map[*API]string{}
	reusable := map[string]*API{} // by Dir
	if opt.Previous != nil {
		for _, a := range opt.Previous.APIs {
			reusable[a.Dir] = a
		}
	}
	stores := inlineStores{subscriptions: opt.LocalSubscriptions, store: opt.LocalStore}
	var sources []apiSource
	for _, e := range ents {
		if !isDirEntry(dir, e) || reservedFolders[e.Name()] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		apiDir := filepath.Join(dir, e.Name())
		apiFile := filepath.Join(apiDir, "api.xml")
		data, ok := readIf(apiFile, &errs)
		if !ok {
			continue // a folder without api.xml is not an API (e.g. notes, APIOps folders)
		}
		sources = append(sources, apiSource{dir: apiDir, file: apiFile, data: data})
	}
	for _, sc := range scopes {
		for _, src := range apiopsAPISources(sc.dir, sc.over, &errs, &snap.Notices) {
			src.scope = sc
			sources = append(sources, src)
		}
	}
	for _, src := range sources {
		apiDir, apiFile, data := src.dir, src.file, src.data
		sc := src.scope
		if sc == nil {
			sc = svc // tollgate's own layout: the service's
		}
		ah := sha256.New() // canonical: parsed content only
		ah.Write(commonSum)
		sh := sha256.New() // the files' bytes: reuse an unchanged API as is
		sh.Write(commonSum)
		sh.Write(data)
		sh.Write(src.extra)
		// The policy is read once: its bytes are hashed here and compiled
		// below; a read problem is reported where the policy is used.
		policyFile := filepath.Join(apiDir, "policy.xml")
		var perrs engine.ErrorList
		pdata, hasPolicy := readIf(policyFile, &perrs)
		sh.Write(pdata)
		// The specification and operation policies are part of the API.
		extras := readAPIExtras(apiDir, &perrs)
		extras.hash(sh)
		srcHash := hex.EncodeToString(sh.Sum(nil))
		if old := reusable[apiDir]; old != nil {
			if len(perrs) == 0 && srcHash == old.srcHash && names[strings.ToLower(old.Name)] == "" && paths[old.Path] == "" && old.inlineStores == stores {
				names[strings.ToLower(old.Name)], paths[old.Path] = apiFile, apiFile
				versionedPath[old.Path] = old.Versioning.Scheme != ""
				apiFiles[old] = apiFile
				h.Write([]byte(old.Hash))
				snap.APIs = append(snap.APIs, old)
				sc.reusedBackendExprs = append(sc.reusedBackendExprs, old.backendExprs...)
				cset.AddExpressions(old.credExprs)
				snap.Notices = append(snap.Notices, old.notices...)
				continue
			}
		}
		exprsBefore := len(sc.comp.BackendExpressions())
		snap.Notices = append(snap.Notices, sc.comp.TakeNotices()...) // the policies' compiled before this API's
		credBefore := len(cset.Expressions())
		noticesBefore := len(snap.Notices)
		var root *engine.Node
		if !src.json {
			var err error
			if root, err = engine.Read(apiFile, data); err != nil {
				errs.Append(err)
				failed.add(sc, folderAPIName(src, ""))
				continue
			}
			root.WriteCanonical(ah)
		} else {
			ah.Write(data)
			ah.Write(src.extra)
		}
		// compilePolicy compiles the API's policy over the global one
		// (the global one itself when there is none) and hashes it.
		var proot *engine.Node
		compilePolicy := func() *engine.Plan {
			errs = append(errs, perrs...)
			if !hasPolicy {
				return sc.top
			}
			var err error
			proot, err = engine.Read(policyFile, pdata)
			if err != nil {
				errs.Append(err)
				return sc.top
			}
			ah.Write([]byte("policy"))
			proot.WriteCanonical(ah)
			plan := sc.comp.Compile(proot, "api", sc.top)
			if plan != nil {
				plan.Secrets = secrets
			}
			return plan
		}
		var api *API
		defPos := engine.Pos{File: apiFile, Line: 1, Col: 1}
		if src.json {
			before := len(errs)
			api = parseAPIInformation(sc.dir, src, sc.over, sc.nv, &errs, &snap.Notices)
			if api == nil && len(errs) == before {
				continue // a revision that is not the current one
			}
			if api == nil {
				failed.add(sc, folderAPIName(src, ""))
			}
		} else {
			api = parseAPI(root, sc.comp)
			defPos = root.Pos
			if api == nil {
				name := ""
				if a := root.Attr("name"); a != nil {
					name = a.Value
				}
				failed.add(sc, folderAPIName(src, name))
			}
		}
		if api == nil {
			// Still compile the policy, so one run reports every problem
			// (as a compiler does) rather than hiding the policy's behind
			// the api.xml's.
			compilePolicy()
			continue
		}
		api.Dir = apiDir
		api.backends = sc.backends
		api.Workspace = sc.ws
		loadGraphQLSchema(api, extras.graphql, defPos, &errs)
		loadSynthetic(api, extras.resolvers, sc.comp, &errs)
		loadODataModel(api, extras.odata, defPos, &errs)
		nameKey := api.Name
		if api.Revision != "" {
			nameKey += ";rev=" + api.Revision // a revision shares its API's name
		}
		shown := nameKey
		nameKey = strings.ToLower(nameKey) // APIM's resource names are case-insensitive
		if prev, dup := names[nameKey]; dup {
			errs.Add(defPos, "", "API name %q is already used by %s", shown, prev)
			continue
		}
		if prev, dup := paths[api.Path]; dup && (api.Versioning.Scheme == "" || !versionedPath[api.Path]) {
			// Versions chosen by query or header share their path (versions.go).
			errs.Add(defPos, "", "API path %q is already used by %s", api.Path, prev)
			failed.add(sc, api.Name)
			continue
		}
		if _, dup := paths[api.Path]; !dup {
			versionedPath[api.Path] = api.Versioning.Scheme != ""
		}
		names[nameKey], paths[api.Path] = apiFile, apiFile
		apiFiles[api] = apiFile
		api.Plan = compilePolicy()
		extras.hash(ah)
		api.Hash = hex.EncodeToString(ah.Sum(nil))
		api.srcHash = srcHash
		// Last: the views copy the API as it is now.
		buildScopes(api, proot, extras, scopeInputs{comp: sc.comp, global: sc.top, products: products}, &errs)
		api.backendExprs = slices.Clone(sc.comp.BackendExpressions()[exprsBefore:])
		api.credExprs = cset.Expressions()[credBefore:]
		snap.Notices = append(snap.Notices, sc.comp.TakeNotices()...) // its policies' (literal text that looks like an expression)
		api.notices = slices.Clone(snap.Notices[noticesBefore:])
		checkODataPolicies(api, &errs)
		checkGRPCPolicies(api, &errs)
		api.setInline(stores)
		h.Write([]byte(api.Hash))
		snap.APIs = append(snap.APIs, api)
	}
	snap.APIs = dropShadowedRevisions(snap.APIs, &snap.Notices)
	snap.versions = groupVersions(snap.APIs, apiFiles, &errs)
	snap.mcp = linkMCP(snap.APIs, failed, &errs)
	for _, sc := range scopes {
		fillProductApis(sc, snap.APIs, failed, &errs)
	}
	checkSubscriptionScopes(dir, snap, failed, &errs, &snap.Notices)
	snap.diagnostics = loadDiagnostics(dir, snap.APIs, over, lset, h, &errs, &snap.Notices) // diagnostics
	if opt.Gateway != "" {
		snap.APIs, snap.Gateway = selectGatewayAPIs(dir, opt.Gateway, snap.APIs, failed, h, &errs, &snap.Notices)
		var verrs engine.ErrorList // reported above, for all the APIs
		snap.versions = groupVersions(snap.APIs, apiFiles, &verrs)
	}
	if len(opt.Workspaces) > 0 {
		snap.APIs = selectWorkspaceAPIs(dir, opt.Workspaces, spaces, snap.APIs, h, &errs, &snap.Notices)
		var verrs engine.ErrorList // reported above, for all the APIs
		snap.versions = groupVersions(snap.APIs, apiFiles, &verrs)
	}
	for _, sc := range scopes {
		errs = append(errs, sc.comp.Errors()...)
		snap.Notices = append(snap.Notices, sc.comp.TakeNotices()...) // the global, workspace and product policies'
		reportMissingNamedValues(sc.nv, &snap.Notices)
		exprs := append(slices.Clone(sc.comp.BackendExpressions()), sc.reusedBackendExprs...)
		if sc != svc {
			exprs = append(exprs, globalBackendExprs...)
		}
		reportUnusableBackends(sc.backends, exprs, &snap.Notices)
	}
	snap.Notices = append(snap.Notices, cset.Notices()...)
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

// parseAPI reads api.xml's <api> with the attribute readers policies use
// (so messages, named-value substitution and unknown-attribute hints are
// the same); see the README for each attribute. Its problems go to comp.
func parseAPI(root *engine.Node, comp *engine.Compiler) *API {
	var api *API
	ok := comp.Element(root, func(p *engine.Parser) {
		if root.Name != "api" {
			p.Errorf("the root element must be <api>, not <%s>", root.Name)
			for _, c := range root.Children {
				p.Skip(c)
			}
			for _, a := range root.Attrs {
				p.Attr(a.Name)
			}
			return
		}
		api = readAPI(p)
	})
	if !ok {
		return nil
	}
	api.Info = apiInfo(api, api.Versioning.ID, "")
	return api
}

// serviceURLText is the API's serviceUrl, "" when it has none (a policy
// sets the backend).
func (a *API) serviceURLText() string {
	if a.ServiceURL == nil || a.gql != nil && !a.gql.passThrough {
		return ""
	}
	return a.ServiceURL.String()
}

// ServiceURLText is serviceURLText for the binary's listings.
func (a *API) ServiceURLText() string { return a.serviceURLText() }

// dropShadowedRevisions drops a revision that is not current but has the
// current revision's number: two folders for one revision, as an extract
// that mixes commits has (NAME/ and NAME;rev=1/ both revision 1). APIM
// cannot hold both; PATH;rev=N is the current revision there, so the
// current one is served and the other is reported.
func dropShadowedRevisions(apis []*API, notes *[]string) []*API {
	cur := map[string]string{} // workspace, name -> the current revision's number
	for _, a := range apis {
		if a.Revision == "" {
			cur[apiWorkspace(a)+"\x00"+a.Name] = a.Info.Revision
		}
	}
	out := apis[:0]
	for _, a := range apis {
		if a.Revision != "" && cur[apiWorkspace(a)+"\x00"+a.Name] == a.Revision {
			*notes = append(*notes, a.Dir+": ignored: revision "+a.Revision+" of API "+a.Name+" (the current revision has that number)")
			continue
		}
		out = append(out, a)
	}
	return out
}

// apiInfo is context.Api for an API: version and revision as APIOps gives
// them ("" and "1" without).
func apiInfo(api *API, version, revision string) *engine.Api {
	if revision == "" {
		revision = "1"
	}
	protocols := api.protocols
	if protocols == nil { // APIM's default for a new API of the type
		protocols = []string{"https"}
		if api.Type == "websocket" {
			protocols = []string{"wss"}
		}
	}
	return &engine.Api{
		Id: api.Name, Name: api.Name, Type: api.Type, Path: api.Path,
		ServiceUrl: engine.RedactURL(api.serviceURLText()),
		Version:    version, Revision: revision, IsCurrentRevision: api.Revision == "",
		SubscriptionKeyParameterNames: &engine.SubscriptionKeyParameterNames{Header: api.Subscription.Header, Query: api.Subscription.Query},
		Protocols:                     protocols,
	}
}

func readAPI(p *engine.Parser) *API {
	valuePos := func(name string) engine.Pos { return p.Node().Attr(name).ValuePos }
	api := &API{Limits: DefaultLimits, Subscription: defaultSubscriptionSettings}
	for _, c := range p.Children() {
		if c.Name == "operations" { // operations.go
			p.Skip(c)
			// reported with the operations' other problems (buildScopes),
			// so one run shows them all
			api.opDecls = append(api.opDecls, parseOperationsElement(c, &api.opErrs)...)
		}
	}
	api.Name = p.RequiredLitStr("name")
	api.Type = p.RequiredLitStr("type", "websocket", "http", "graphql", "soap", "odata", "grpc", "mcp", "a2a")
	api.Path = p.RequiredLitStr("path")
	parseVersioning(p, api)
	var svc string
	if api.Type == "mcp" || api.Type == "graphql" {
		// An MCP server's backend is optional (mcp.go); a GraphQL API
		// without one is synthetic (graphql_synthetic.go).
		svc = p.LitStr("service-url", "")
	} else {
		svc = p.RequiredLitStr("service-url")
	}
	if api.Name != "" && !validAPIName(api.Name) {
		p.ErrorAt(valuePos("name"), "API name %q: use letters, digits, '-', '_' and '.'", api.Name)
	}
	if api.Path != "" && (!strings.HasPrefix(api.Path, "/") || strings.ContainsAny(api.Path, "?#* ")) {
		p.ErrorAt(valuePos("path"), "path must be a URL path starting with '/', not %q", api.Path)
	}
	if len(api.Path) > 1 {
		api.Path = strings.TrimSuffix(api.Path, "/")
	}
	// With an unknown type the scheme cannot be judged: report the type
	// only, not a confusing second error about a valid URL. An A2A
	// agent's is its JSON-RPC backend (readA2AAPI).
	if svc != "" && api.Type != "" && api.Type != "a2a" {
		u, err := url.Parse(svc)
		ok := err == nil && u.Host != ""
		if ok {
			switch {
			case api.Type == "websocket" && (u.Scheme == "ws" || u.Scheme == "wss"):
			case api.Type == "websocket" && (u.Scheme == "http" || u.Scheme == "https"):
				u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
			case api.Type != "websocket" && (u.Scheme == "http" || u.Scheme == "https"):
			default:
				ok = false
			}
		}
		if !ok {
			want := "http:// or https://"
			switch api.Type {
			case "websocket":
				want = "ws:// or wss://"
			case "grpc":
				want = "https:// (HTTP/2 over TLS) or http:// (h2c)"
			}
			p.ErrorAt(valuePos("service-url"), "service-url %q must be an absolute %s URL", svc, want)
		} else {
			api.ServiceURL = u
		}
	}
	switch api.Type {
	case "mcp":
		readMCPAPI(p, api, svc) // mcp.go
	case "a2a":
		readA2AAPI(p, api, svc) // a2a.go
	}
	if api.Type != "a2a" && api.Type != "" {
		rejectA2AAttrs(p)
	}
	l := &api.Limits
	// count and seconds leave the default alone when the attribute is absent.
	count := func(name string, dst *int64, min int64) {
		if n := p.LitInt(name, -1, min, math.MaxInt64); n >= 0 {
			*dst = n
		}
	}
	seconds := func(name string, dst *time.Duration, min int64) {
		// At most what a time.Duration holds: more would wrap around.
		if n := p.LitInt(name, -1, min, math.MaxInt64/int64(time.Second)); n >= 0 {
			*dst = time.Duration(n) * time.Second
		}
	}
	count("max-message-size", &l.MaxMessageSize, 1)
	seconds("idle-timeout", &l.IdleTimeout, 1)
	seconds("handshake-timeout", &l.HandshakeTimeout, 1)
	seconds("ping-interval", &l.PingInterval, 1)
	count("max-connections", &l.MaxConnections, 0)
	seconds("policy-timeout", &l.PolicyTimeout, 1)
	seconds("timeout", &l.Timeout, 1)
	count("max-body-size", &l.MaxBodySize, 0)
	seconds("body-timeout", &l.BodyTimeout, 1)
	count("max-expression-bytes", &l.MaxExprBytes, 1024)
	seconds("drain-after", &l.DrainAfter, 0)
	seconds("drain-window", &l.DrainWindow, 0)
	count("graphql-max-depth", &l.GraphQLMaxDepth, 1)
	count("graphql-max-fields", &l.GraphQLMaxFields, 1)
	count("graphql-max-resolver-calls", &l.GraphQLMaxResolverCalls, 1)
	count("graphql-concurrency", &l.GraphQLConcurrency, 1)
	seconds("resolver-timeout", &l.ResolverTimeout, 1)
	count("graphql-max-answer-bytes", &l.GraphQLMaxAnswerBytes, 1)
	count("graphql-max-response-bytes", &l.GraphQLMaxResponseBytes, 1)
	count("graphql-max-event-bytes", &l.GraphQLMaxEventBytes, 1)
	seconds("graphql-init-timeout", &l.GraphQLInitTimeout, 1)
	count("graphql-max-subscriptions", &l.GraphQLMaxSubscriptions, 1)
	seconds("graphql-keepalive", &l.GraphQLKeepAlive, 0)
	count("mcp-max-streams-per-client", &l.MCPMaxClientStreams, 0)
	if v := p.LitStr("max-messages-per-second", ""); p.Has("max-messages-per-second") {
		r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || r <= 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			p.ErrorAt(valuePos("max-messages-per-second"), "attribute %q must be a positive number, not %q", "max-messages-per-second", v)
		} else {
			l.MaxMessageRate = r
		}
	}
	count("message-burst", &l.MessageBurst, 1)
	if p.Has("message-burst") && !p.Has("max-messages-per-second") {
		p.ErrorAt(p.Node().Attr("message-burst").Pos, "message-burst goes with max-messages-per-second")
	}
	l.Trace = p.LitBool("trace", l.Trace)
	l.DrainOnChange = p.LitBool("drain-on-change", l.DrainOnChange)
	// APIM's translateRequiredQueryParameters (openapi.go).
	if p.Has("translate-required-query-parameters") {
		api.specOpts.queryAsQuery = p.LitStr("translate-required-query-parameters", "template", "template", "query") == "query"
	}
	// Subscriptions (subscriptions.go).
	api.Subscription.Required = p.LitBool("subscription-required", false)
	if v := p.LitStr("subscription-key-header", api.Subscription.Header); v != api.Subscription.Header {
		if !httpguts.ValidHeaderFieldName(v) {
			p.ErrorAt(valuePos("subscription-key-header"), "subscription-key-header %q is not a valid header name", v)
		}
		api.Subscription.Header = v
	}
	if v := p.LitStr("subscription-key-query", api.Subscription.Query); p.Has("subscription-key-query") {
		if v == "" {
			p.ErrorAt(valuePos("subscription-key-query"), "subscription-key-query must not be empty")
		}
		api.Subscription.Query = v
	}
	for _, o := range strings.Split(p.LitStr("allowed-origins", ""), ",") {
		if o = strings.TrimSpace(o); o != "" {
			l.AllowedOrigins = append(l.AllowedOrigins, o)
		}
	}
	for _, h := range strings.Split(p.LitStr("allowed-hosts", ""), ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		} else if _, err := path.Match(h, ""); err != nil {
			p.ErrorAt(valuePos("allowed-hosts"), "allowed-hosts: %q is not a valid pattern", h)
		} else {
			l.AllowedHosts = append(l.AllowedHosts, h)
		}
	}
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
