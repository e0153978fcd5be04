package gateway

import (
	"crypto/sha256"
	"encoding/json"
	"hash"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"tollgate/engine"
	"tollgate/policies"
	"tollgate/store"
)

// APIM workspaces, as the APIOps extractor writes them:
//
//	DIR/workspaces/NAME/workspaceInformation.json  {"properties": {"displayName", "description"}}
//	DIR/workspaces/NAME/policy.xml                 the workspace's policy: all of its APIs
//	DIR/workspaces/NAME/apis/…, named values/…, policy fragments/…, backends/…,
//	  products/…, subscriptions/…, version sets/…, schemas/…, loggers/…
//	                                               laid out as at the service level
//
// As in APIM, a workspace is self-contained: its policies see its own named
// values, fragments, backends, schemas and loggers only (never the
// service's, never another workspace's); its products hold its own APIs;
// its subscriptions cover its own APIs and products. The policy chain of a
// workspace API is global, workspace, product, API, operation. Resource
// names are unique across the service, workspaces included (APIM requires
// it): a name used twice is a load error. docs/resource-model.md#workspaces.

// resourceScope is the service, or one workspace: where its resources come
// from and what its policies compile against.
type resourceScope struct {
	dir      string            // the folder holding apis/, named values/, …
	ws       *engine.Workspace // nil: the service itself
	over     *overrides        // the configuration file's (the service only)
	nv       *engine.NamedValues
	frags    map[string]*engine.Node
	backends map[string]*Backend
	loggers  []policies.FolderLogger
	comp     *engine.Compiler
	// top is the plan its products and APIs splice with <base/>: the
	// global policy, or the workspace's over it.
	top      *engine.Plan
	products []*Product
	// common hashes what shapes every API of the scope.
	common       hash.Hash
	keyVaultRefs int
	// reusedBackendExprs are the places of backend-id expressions of the
	// APIs taken from the previous snapshot as they were (not compiled
	// again, so not in comp.BackendExpressions).
	reusedBackendExprs []engine.Pos
}

// workspaceName is the scope's workspace ("" for the service).
func (sc *resourceScope) workspaceName() string {
	if sc.ws == nil {
		return ""
	}
	return sc.ws.Id
}

// describe names the scope in messages.
func (sc *resourceScope) describe() string {
	if sc.ws == nil {
		return "the service"
	}
	return "workspace " + sc.ws.Id
}

// workspaceEntries are what tollgate reads in a workspace folder.
var workspaceEntries = map[string]bool{"workspaceInformation.json": true, "policy.xml": true, "apis": true,
	"named values": true, "policy fragments": true, "backends": true, "products": true, "subscriptions": true,
	"version sets": true, "schemas": true, "loggers": true, "diagnostics": true,
	"namedValues": true, "policyFragments": true, "versionSets": true}

// workspaceProps are workspaceInformation.json's properties.
var workspaceProps = map[string]bool{"displayName": true, "description": true}

// loadWorkspaces reads each DIR/workspaces/NAME/ up to what its policies
// compile against (compileWorkspace does the rest, once the loggers of
// every scope are staged).
func loadWorkspaces(dir string, base *http.Transport, opt LoadOptions, getenv func(string) string, errs *engine.ErrorList, notes *[]string) []*resourceScope {
	var out []*resourceScope
	for _, rf := range readResourceFiles(dir, "workspaces", "workspaceInformation.json", "workspace", errs) {
		wdir := filepath.Join(dir, "workspaces", rf.name)
		sc := &resourceScope{dir: wdir, over: &overrides{}, nv: engine.NewNamedValues(),
			frags: map[string]*engine.Node{}, common: sha256.New()}
		sc.ws = &engine.Workspace{Id: rf.name, Name: rf.name}
		props, ok := rf.properties("workspaces", sc.over, sc.common, errs)
		if !ok {
			continue
		}
		if !validAPIName(rf.name) {
			errs.Add(engine.Pos{File: rf.file, Line: 1, Col: 1}, "", "workspace name %q (its folder): use letters, digits, '-', '_' and '.'", rf.name)
			continue
		}
		for _, k := range sortedKeys(props) {
			switch {
			case k == "displayName":
				if json.Unmarshal(props[k], &sc.ws.Name) != nil || sc.ws.Name == "" {
					errs.Add(rf.at(k), "", "workspace displayName must be a non-empty string")
				}
			case !workspaceProps[k]:
				*notes = append(*notes, rf.at(k).String()+": ignored: workspace property "+k+" (Azure only)")
			}
		}
		if ents, err := os.ReadDir(wdir); err == nil {
			for _, e := range ents {
				if !workspaceEntries[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
					*notes = append(*notes, filepath.Join(wdir, e.Name())+": ignored: "+e.Name()+" of workspace "+rf.name+" (Azure only)")
				}
			}
		}
		// APIM's workspaces keep no Key Vault secrets (their named values
		// have a value, or take it from the environment or the values
		// file as secrets do): no reader.
		sc.nv.SetWhere("workspaces/" + rf.name + "/" + filepath.Base(apiopsDir(wdir, "named values")) + "/NAME/namedValueInformation.json: a workspace's policies see its own named values only")
		checkAPIOpsCamelFolders(wdir, errs)
		checkDuplicateResourceFolders(wdir, errs)
		sc.keyVaultRefs = loadAPIOpsNamedValues(wdir, sc.nv, sc.over, opt.NamedValuesFile, getenv, nil, errs, notes)
		for _, s := range nvFingerprint(sc.nv) {
			sc.common.Write([]byte(s))
		}
		loadAPIOpsFragments(wdir, sc.frags, func(name string, root *engine.Node) {
			sc.common.Write([]byte("fragment\x00" + name))
			root.WriteCanonical(sc.common)
			sc.frags[name] = root
		}, errs)
		sc.backends = loadBackends(wdir, sc.nv, base, opt.Certificates, sc.over, sc.common, errs, notes)
		hashVersionSets(wdir, sc.over, sc.common)
		sc.loggers = loadAPIOpsLoggers(wdir, sc.nv, sc.over, sc.common, errs, notes)
		out = append(out, sc)
	}
	return out
}

// compileWorkspace compiles a workspace's policy over the global one, and
// its products over that.
func compileWorkspace(sc *resourceScope, reg engine.Registry, scopes []*resourceScope, global *engine.Plan, opt LoadOptions, errs *engine.ErrorList, notes *[]string) {
	comp := sc.newCompiler(reg, scopes, opt, errs)
	comp.FragmentsWhere = "workspaces/" + sc.ws.Id + "/policy fragments/NAME/policy.xml: a workspace's policies include its own fragments only"
	comp.BackendsWhere = "workspaces/" + sc.ws.Id + "/backends/NAME/backendInformation.json: a workspace's policies name its own backends only"
	sc.top = global
	file := filepath.Join(sc.dir, "policy.xml")
	if data, ok := readIf(file, errs); ok {
		if root, err := engine.Read(file, data); err != nil {
			errs.Append(err)
		} else {
			root.WriteCanonical(sc.common)
			sc.top = comp.Compile(root, "workspace", global)
		}
	}
	sc.products = loadProducts(sc.dir, comp, sc.top, sc.over, sc.common, errs, notes)
	for _, p := range sc.products {
		p.Workspace = sc.workspaceName()
	}
}

// newCompiler makes the scope's compiler (sc.comp): its named values,
// fragments, schemas and backends, and the loggers the scope may name.
func (sc *resourceScope) newCompiler(reg engine.Registry, scopes []*resourceScope, opt LoadOptions, errs *engine.ErrorList) *engine.Compiler {
	comp := engine.NewCompiler(scopedLoggers(reg, sc, scopes), sc.nv)
	comp.Fragments = sc.frags
	comp.Schemas = loadSchemas(sc.dir, sc.common, errs)
	comp.Backends = map[string]bool{}
	for name, b := range sc.backends {
		comp.Backends[name] = true
		if b.unusable != "" {
			if comp.UnusableBackends == nil {
				comp.UnusableBackends = map[string]string{}
			}
			comp.UnusableBackends[name] = b.unusablePos.String() + ": " + b.unusable
		}
	}
	// A backend folder that did not load (its errors are listed) is
	// named so, not as a backend that does not exist.
	for _, name := range resourceFolders(filepath.Join(sc.dir, "backends")) {
		if _, ok := sc.backends[name]; !ok {
			if comp.UnusableBackends == nil {
				comp.UnusableBackends = map[string]string{}
			}
			comp.Backends[name] = true
			comp.UnusableBackends[name] = "it " + didNotLoad
		}
	}
	comp.Explain = opt.Explain
	sc.comp = comp
	return comp
}

// allProducts lists every scope's products in one slice (the views of an
// API are indexed by it) and reports a product name used twice.
func allProducts(scopes []*resourceScope, errs *engine.ErrorList) []*Product {
	var out []*Product
	seen := map[string]*resourceScope{}
	for _, sc := range scopes {
		for _, p := range sc.products {
			if other := seen[p.Name]; other != nil {
				errs.Add(engine.Pos{File: filepath.Join(sc.dir, "products", p.Name, "productInformation.json"), Line: 1, Col: 1}, "",
					"product name %q is already used by %s (APIM names are unique across the service and its workspaces)", p.Name, other.describe())
				continue
			}
			seen[p.Name] = sc
			p.index = len(out)
			out = append(out, p)
		}
	}
	return out
}

// mergeSubscriptions adds a workspace's subscriptions to the service's. A
// workspace subscription's scope is within its workspace: "/products/NAME"
// (or an ARM id ending so) names the workspace's product, and becomes
// "/workspaces/WS/products/NAME".
func mergeSubscriptions(into, ws *fileSubscriptions, sc *resourceScope, keysFile string, errs *engine.ErrorList) *fileSubscriptions {
	if ws == nil {
		return into
	}
	if into == nil {
		into = &fileSubscriptions{byHash: map[string]*store.Subscription{}}
	}
	name := sc.workspaceName()
	for _, sub := range ws.all {
		file := filepath.Join(sc.dir, "subscriptions", sub.ID, "subscriptionInformation.json")
		switch w, rest := scopeWorkspace(sub.Scope); {
		case w == "":
			sub.Scope = "/workspaces/" + name + rest
		case w != name:
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "subscription %q of workspace %s has the scope of workspace %s", sub.ID, name, w)
			continue
		}
		for _, other := range into.all {
			if other.ID == sub.ID {
				errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "subscription name %q is already used (APIM names are unique across the service and its workspaces)", sub.ID)
			}
		}
		into.all = append(into.all, sub)
	}
	for h, sub := range ws.byHash {
		if other := into.byHash[h]; other != nil && other != sub {
			errs.Add(engine.Pos{File: keysFile, Line: 1, Col: 1}, "", "subscriptions %q and %q share a key", other.ID, sub.ID)
			continue
		}
		into.byHash[h] = sub
	}
	return into
}

// serviceSubscriptionScopes reports the service's subscriptions whose
// scope is a workspace's: a workspace's subscriptions are its own
// resources, in workspaces/NAME/subscriptions.
func serviceSubscriptionScopes(dir string, subs *fileSubscriptions, errs *engine.ErrorList) {
	if subs == nil {
		return
	}
	for _, sub := range subs.all {
		if ws, _ := scopeWorkspace(sub.Scope); ws != "" {
			file := filepath.Join(dir, "subscriptions", sub.ID, "subscriptionInformation.json")
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "subscription %q: scope %s is a workspace's: put the subscription in workspaces/%s/subscriptions", sub.ID, sub.Scope, ws)
		}
	}
}

// scopeWorkspace splits a normalized scope into its workspace ("" for the
// service's) and the rest: "/workspaces/hr/apis/x" -> "hr", "/apis/x".
func scopeWorkspace(scope string) (ws, rest string) {
	after, ok := strings.CutPrefix(scope, "/workspaces/")
	if !ok {
		return "", scope
	}
	ws, rest, _ = strings.Cut(after, "/")
	return ws, "/" + rest
}

// scopedLoggers is reg with log-to-eventhub refusing the APIOps loggers of
// other scopes: as in APIM, a workspace's policies name its own loggers, and
// the service's policies the service's. (The loggers file's belong to no
// scope: any policy may name them.)
func scopedLoggers(reg engine.Registry, sc *resourceScope, scopes []*resourceScope) engine.Registry {
	p, ok := reg["log-to-eventhub"]
	if !ok || len(scopes) < 2 {
		return reg
	}
	owner := map[string]*resourceScope{}
	for _, o := range scopes {
		for _, l := range o.loggers {
			owner[l.ID] = o
		}
	}
	orig := p.Parse
	p.Parse = func(pp *engine.Parser) engine.Step {
		if a := pp.Node().Attr("logger-id"); a != nil {
			if o := owner[a.Value]; o != nil && o != sc {
				pp.ErrorAt(a.Pos, "logger %q belongs to %s: policies of %s name their own loggers only", a.Value, o.describe(), sc.describe())
			}
		}
		return orig(pp)
	}
	out := maps.Clone(reg)
	out["log-to-eventhub"] = p
	return out
}

// selectWorkspaceAPIs keeps the APIs of the named workspaces: tollgate
// serves as those workspaces' gateway (serve --workspace).
func selectWorkspaceAPIs(dir string, names []string, spaces []*resourceScope, apis []*API, h hash.Hash, errs *engine.ErrorList, notes *[]string) []*API {
	have := map[string]bool{}
	for _, sc := range spaces {
		have[sc.ws.Id] = true
	}
	want := map[string]bool{}
	for _, n := range names {
		h.Write([]byte("workspace\x00" + n + "\x00"))
		if !have[n] {
			list := sortedKeys(have)
			if len(list) == 0 {
				errs.Add(engine.Pos{File: filepath.Join(dir, "workspaces")}, "", "workspace %q: the folder has no workspaces (workspaces/NAME/workspaceInformation.json)", n)
			} else {
				errs.Add(engine.Pos{File: filepath.Join(dir, "workspaces")}, "", "workspace %q is not in the folder (workspaces: %s)", n, strings.Join(list, ", "))
			}
		}
		want[n] = true
	}
	var served []*API
	var left []string
	for _, a := range apis {
		if a.Workspace != nil && want[a.Workspace.Id] {
			served = append(served, a)
		} else {
			left = append(left, a.Name)
		}
	}
	if len(left) > 0 {
		sort.Strings(left)
		*notes = append(*notes, filepath.Join(dir, "workspaces")+": ignored: API "+strings.Join(left, ", ")+" (not in workspace "+strings.Join(names, ", ")+")")
	}
	return served
}
