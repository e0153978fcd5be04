package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
	"tollgate/internal/editdist"
)

// The APIOps extractor layout (Azure/apiops), read as the extractor writes
// it, next to (or instead of) tollgate's own layout:
//
//	DIR/policy.xml                                   global policy (both layouts)
//	DIR/apis/NAME/apiInformation.json                {"properties": {"path", "serviceUrl", "type", ...}}
//	DIR/apis/NAME/specification.(json|yaml)          OpenAPI 2/3: the operations
//	DIR/apis/NAME/specification.graphql              a GraphQL API's schema (type graphql)
//	DIR/apis/NAME/specification.wsdl                 a SOAP API's WSDL 1.1: the operations (type soap)
//	DIR/apis/NAME/specification.xml                  an OData API's $metadata (type odata)
//	DIR/apis/NAME/specification.proto                a gRPC API's protobuf definition: the operations (type grpc)
//	DIR/apis/NAME/policy.xml                         API policy
//	DIR/apis/NAME/operations/OP/policy.xml           operation policy
//	DIR/named values/NAME/namedValueInformation.json {"properties": {"displayName", "value", "secret"}}
//	DIR/policy fragments/NAME/policy.xml             <fragment>…</fragment>
//	DIR/backends/NAME/backendInformation.json        named backends
//	DIR/products/NAME/…                              products (products.go)
//	DIR/subscriptions/NAME/…                         subscriptions (subscriptions.go)
//	DIR/version sets/NAME/apiVersionSetInformation.json version schemes of versioned APIs
//	DIR/diagnostics/NAME/diagnosticInformation.json  APIM diagnostics (diagnostics.go), and
//	DIR/apis/NAME/diagnostics/DIAG/…                 an API's own
//
// and the publisher's configuration.*.yaml overrides (LoadOptions.Overrides).
// What makes no sense off Azure is reported once per load as a notice,
// never silently dropped. docs/resource-model.md describes every field.

// apiopsFolders are the extractor's top-level folders tollgate reads.
var apiopsFolders = map[string]bool{"apis": true, "named values": true, "policy fragments": true,
	"backends": true, "products": true, "subscriptions": true, "version sets": true, "schemas": true, "global schemas": true, "loggers": true, "gateways": true,
	"diagnostics": true, "workspaces": true, "namedValues": true, "policyFragments": true, "versionSets": true}

// apiopsCamelFolders are the names Azure/apiops-cli (APIOps v2) gives three
// of the extractor's folders: namedValues/, policyFragments/ and
// versionSets/ (its version sets in versionSetInformation.json, which
// versionSetFile reads). Either name is read; a folder with both is an error.
var apiopsCamelFolders = map[string]string{"named values": "namedValues", "policy fragments": "policyFragments", "version sets": "versionSets"}

// apiopsDir is DIR/name, or DIR/namedValues (…) when only apiops-cli's
// camelCase folder is there.
func apiopsDir(dir, name string) string {
	p := filepath.Join(dir, name)
	if camel, ok := apiopsCamelFolders[name]; ok && !dirExists(p) && dirExists(filepath.Join(dir, camel)) {
		return filepath.Join(dir, camel)
	}
	return p
}

// resourceKinds are the folders of APIM resources, by the folder name the
// extractor gives them, with the information file a resource's folder
// holds and the word for one: checkDuplicateResourceFolders. (APIs are
// checked by their names, folders and api.xml alike, where they load.)
var resourceKinds = []struct{ folder, info, what string }{
	{"backends", "backendInformation.json", "backend"},
	{"diagnostics", "diagnosticInformation.json", "diagnostic"},
	{"gateways", "gatewayInformation.json", "gateway"},
	{"loggers", "loggerInformation.json", "logger"},
	{"named values", "namedValueInformation.json", "named value"},
	{"policy fragments", "policy.xml", "policy fragment"},
	{"products", "productInformation.json", "product"},
	{"schemas", "schemaInformation.json", "schema"},
	{"subscriptions", "subscriptionInformation.json", "subscription"},
	{"version sets", "apiVersionSetInformation.json", "version set"},
	{"workspaces", "", "workspace"},
}

// checkDuplicateResourceFolders reports two resource folders of one kind
// whose names differ only in case (backends/orders and backends/Orders):
// Azure's resource names are case-insensitive, so in APIM they are one
// resource, and which of the two is meant (backend-id="orders", a
// product's API) cannot be told. Both places are named. A case-sensitive
// file system is the only place such a folder can be checked out.
func checkDuplicateResourceFolders(dir string, errs *engine.ErrorList) {
	for _, k := range resourceKinds {
		base := apiopsDir(dir, k.folder)
		seen := map[string]string{}
		for _, name := range resourceFolders(base) { // os.ReadDir: sorted by name
			key := strings.ToLower(name)
			prev, dup := seen[key]
			if !dup {
				seen[key] = name
				continue
			}
			where := func(n string) engine.Pos {
				p := filepath.Join(base, n)
				for _, info := range []string{k.info, "versionSetInformation.json"} { // (apiops-cli's name of a version set's)
					if st, err := os.Stat(filepath.Join(p, info)); info != "" && err == nil && !st.IsDir() {
						return engine.Pos{File: filepath.Join(p, info), Line: 1, Col: 1}
					}
				}
				return engine.Pos{File: p}
			}
			errs.Add(where(name), "", "%s %q and %s %q (%s) are one resource: APIM's resource names are case-insensitive; rename or remove one",
				k.what, name, k.what, prev, where(prev))
		}
	}
}

// checkAPIOpsCamelFolders reports a folder holding both names of one of
// apiopsCamelFolders: two extracts mixed, whose resources would shadow
// each other.
func checkAPIOpsCamelFolders(dir string, errs *engine.ErrorList) {
	for _, spaced := range []string{"named values", "policy fragments", "version sets"} {
		camel := apiopsCamelFolders[spaced]
		if dirExists(filepath.Join(dir, spaced)) && dirExists(filepath.Join(dir, camel)) {
			errs.Add(engine.Pos{File: filepath.Join(dir, camel)}, "", "both %s/ (APIOps' extractor) and %s/ (apiops-cli) are here: keep the resources in one of them", spaced, camel)
		}
	}
}

// apiopsIgnoredFolders are the extractor's folders of Azure-only resources.
var apiopsIgnoredFolders = []string{"gateways", "groups", "tags",
	"authorization servers", "identity providers", "certificates"}

// overrides is a publisher configuration file (configuration.prod.yaml):
// per resource kind, per name, properties that replace the extracted ones.
type overrides struct {
	file string
	// kind ("apis", "backends", "products", "namedValues") -> name -> property -> JSON value
	props map[string]map[string]map[string]json.RawMessage
	// raw per kind and name, hashed into what it changes
	raw map[string]map[string][]byte
	// nodes per kind and name: the entry as written, for messages at
	// their file:line:col (diagnostics are checked with them)
	nodes map[string]map[string]*yaml.Node
}

// overrideKinds are the sections of a configuration file tollgate applies,
// by their lower-case name: the publisher matches section and resource
// names case-insensitively.
var overrideKinds = map[string]string{"apis": "apis", "backends": "backends", "products": "products",
	"namedvalues": "namedValues", "loggers": "loggers", "subscriptions": "subscriptions", "versionsets": "versionSets",
	"diagnostics": "diagnostics"}

// loadOverrides reads a publisher configuration file.
func loadOverrides(file string, errs *engine.ErrorList, notes *[]string) *overrides {
	o := &overrides{file: file, props: map[string]map[string]map[string]json.RawMessage{}, raw: map[string]map[string][]byte{},
		nodes: map[string]map[string]*yaml.Node{}}
	if file == "" {
		return o
	}
	data, ok := readIf(file, errs)
	if !ok {
		errs.Add(engine.Pos{File: file}, "", "the configuration overrides file does not exist")
		return o
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		errs.Add(yamlErrPos(file, err), "", "invalid YAML: %s", yamlErrText(err))
		return o
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	at := func(n *yaml.Node) engine.Pos {
		return engine.Pos{File: file, Line: max(n.Line, 1), Col: max(n.Column, 1)}
	}
	if doc.Kind != yaml.MappingNode {
		if doc.Kind != 0 {
			errs.Add(at(doc), "", "a configuration file is a mapping (apimServiceName, namedValues, apis, backends, products, ...)")
		}
		return o
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		kind := overrideKinds[strings.ToLower(k.Value)]
		switch {
		case strings.EqualFold(k.Value, "apimServiceName"):
		case kind != "" && (v.Kind == yaml.ScalarNode && v.Tag == "!!null" || v.Kind == yaml.SequenceNode && len(v.Content) == 0):
			// An empty section ("namedValues:" with nothing under it, as
			// real configuration files keep for later): nothing to override,
			// as for the publisher, which reads only the sections that are
			// lists.
		case kind != "" && v.Kind != yaml.SequenceNode:
			// The publisher reads only the sections that are lists and
			// passes over any other (its OverrideDtoFactory), so the file
			// still publishes; said, not silent.
			*notes = append(*notes, at(v).String()+": ignored: "+k.Value+" (not a list of {name, properties}, the only form the publisher reads)")
		case kind != "":
			if o.props[kind] == nil {
				o.props[kind] = map[string]map[string]json.RawMessage{}
				o.raw[kind] = map[string][]byte{}
				o.nodes[kind] = map[string]*yaml.Node{}
			}
			for _, item := range v.Content {
				name := mapGet(item, "name")
				if name == nil || name.Kind != yaml.ScalarNode || name.Value == "" {
					// The publisher skips an entry without a name that is a
					// string (the placeholder "name: [your logger's name]"
					// of APIOps' sample file is a YAML list), so the file
					// still publishes; said, not silent.
					where := item
					if name != nil {
						where = name
					}
					*notes = append(*notes, at(where).String()+": ignored: an entry of "+k.Value+" without a name (a string), which the publisher skips")
					continue
				}
				props := map[string]json.RawMessage{}
				if pn := mapGet(item, "properties"); pn != nil {
					var m map[string]any
					if err := pn.Decode(&m); err != nil {
						errs.Add(at(pn), "", "properties of %s %q: %s", k.Value, name.Value, err.Error())
						continue
					}
					for pk, pv := range m {
						b, err := json.Marshal(pv)
						if err != nil {
							errs.Add(at(pn), "", "properties of %s %q: %s", k.Value, name.Value, err.Error())
							continue
						}
						props[pk] = b
					}
				}
				for j := 0; j+1 < len(item.Content); j += 2 {
					switch f := item.Content[j].Value; {
					case f == "name" || f == "properties":
					case kind == "apis" && f == "diagnostics":
						*notes = append(*notes, at(item.Content[j]).String()+": ignored: "+k.Value+" "+name.Value+" diagnostics (APIOps' publisher overrides the service's diagnostics, not an API's)")
					case item.Content[j+1].Kind == yaml.ScalarNode:
						// The old flat layout (- name: x, serviceUrl: …).
						*notes = append(*notes, at(item.Content[j]).String()+": ignored: "+k.Value+" "+name.Value+" "+f+" (not under properties:, where the publisher reads an entry's fields)")
					default:
						*notes = append(*notes, at(item.Content[j]).String()+": ignored: "+k.Value+" "+name.Value+" "+f+" (Azure only)")
					}
				}
				key := strings.ToLower(name.Value)
				if prev := o.nodes[kind][key]; prev != nil {
					// APIOps' publisher reads a section into a dictionary by
					// name, case-insensitively, with .NET's ToDictionary (its
					// common library's ToFrozenDictionary of pairs), which
					// throws on a name given twice: such a file does not
					// publish, and which entry was meant cannot be told.
					pn := prev
					if n := mapGet(prev, "name"); n != nil {
						pn = n
					}
					errs.Add(at(name), "", "%s %q is given twice: here and at %d:%d (names are compared without regard to case; APIOps' publisher refuses such a file)",
						k.Value, name.Value, at(pn).Line, at(pn).Col)
				}
				o.props[kind][key] = props
				o.nodes[kind][key] = item
				b, _ := json.Marshal(props)
				o.raw[kind][key] = b
			}
		case publisherSections[strings.ToLower(k.Value)]:
			*notes = append(*notes, at(k).String()+": ignored: "+k.Value+" (Azure only)")
		default:
			*notes = append(*notes, at(k).String()+": ignored: "+k.Value+" (not a section APIOps' publisher reads"+didYouMeanSection(k.Value)+")")
		}
	}
	return o
}

// publisherSections are the other sections APIOps' publisher applies
// (its OverrideDtoFactory: tags, gateways, policyFragments,
// servicePolicies, groups), by their lower-case name: Azure's, reported as
// such; any other name is no section of the publisher's (a typo, most
// often).
var publisherSections = map[string]bool{"tags": true, "gateways": true, "policyfragments": true,
	"servicepolicies": true, "groups": true}

// didYouMeanSection suggests the section a misspelt name is closest to
// ("ackends": backends), or "".
func didYouMeanSection(name string) string {
	best, bestD := "", 3
	low := strings.ToLower(name)
	for _, s := range []string{"apis", "backends", "products", "namedValues", "loggers", "subscriptions",
		"versionSets", "diagnostics", "tags", "gateways", "policyFragments", "servicePolicies", "groups"} {
		if d := editdist.Distance(low, strings.ToLower(s)); d < bestD {
			best, bestD = s, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}

// merge returns props with the overrides of kind/name applied as APIOps'
// publisher applies them: a property that is an object on both sides is
// merged key by key (recursively), any other is replaced.
func (o *overrides) merge(kind, name string, props map[string]json.RawMessage) map[string]json.RawMessage {
	over := o.props[kind][strings.ToLower(name)]
	if len(over) == 0 {
		return props
	}
	out := make(map[string]json.RawMessage, len(props)+len(over))
	for k, v := range props {
		out[k] = v
	}
	for k, v := range over {
		out[k] = mergeJSON(out[k], v)
	}
	return out
}

// rawOf is the configuration file's entry of kind/name, as hashed.
func (o *overrides) rawOf(kind, name string) []byte { return o.raw[kind][strings.ToLower(name)] }

// overrideFolders are, per section of a configuration file, the folder and
// the file of the resources it overrides (the diagnostics section:
// unusedDiagnosticOverrides).
var overrideFolders = []struct{ kind, folder, info string }{
	{"apis", "apis", "apiInformation.json"},
	{"backends", "backends", "backendInformation.json"},
	{"loggers", "loggers", "loggerInformation.json"},
	{"namedValues", "named values", "namedValueInformation.json"},
	{"products", "products", "productInformation.json"},
	{"subscriptions", "subscriptions", "subscriptionInformation.json"},
	{"versionSets", "version sets", "apiVersionSetInformation.json"},
}

// unusedOverrides reports, once per load, the configuration file's entries
// that name no resource of the service in dir: the publisher overrides the
// resources it publishes and creates none, so such an entry changes
// nothing. Whether the folder has the resource is read from the folder,
// not from what was loaded: a resource that is not served (--gateway,
// --workspace), that nothing uses (a version set, a named value) or whose
// files have errors (reported there) is never reported here. Names match
// as merge matches them: case-insensitively, an API's entry by the API's
// name for all of its revisions (NAME;rev=N/).
func unusedOverrides(dir string, o *overrides, notes *[]string) {
	type unused struct {
		at   *yaml.Node
		note string
	}
	var out []unused
	for _, f := range overrideFolders {
		entries := o.nodes[f.kind]
		if len(entries) == 0 {
			continue
		}
		base := apiopsDir(dir, f.folder)
		info := f.info
		if f.kind == "versionSets" && filepath.Base(base) == "versionSets" {
			info = "versionSetInformation.json" // apiops-cli's
		}
		have := map[string]bool{}
		for _, name := range resourceFolders(base) {
			if f.kind == "apis" {
				for _, n := range legacyAPINames(filepath.Join(base, name)) {
					have[strings.ToLower(n)] = true
				}
				name = extractedAPIFolderName(base, name)
			}
			have[strings.ToLower(name)] = true
		}
		for _, key := range sortedKeys(entries) {
			if have[key] {
				continue
			}
			item := entries[key]
			name := key
			if n := mapGet(item, "name"); n != nil {
				name = n.Value
			}
			why := "the folder has no " + filepath.Base(base) + "/" + name + "/" + info + " to override"
			if root, _, rev := strings.Cut(name, ";rev="); f.kind == "apis" && rev {
				// The publisher looks an API's override up by the API's
				// name (its GetNameToFind: ApiName.GetRootName), so an
				// entry for one revision is never found.
				why = "an entry names an API, not one of its revisions: the entry " + root + " applies to all of them"
			} else if ws := workspaceHaving(dir, f.folder, key); ws != "" {
				why += "; workspaces/" + ws + "/ has one, and the publisher overrides the service's resources only"
			}
			out = append(out, unused{item, yamlPos(o.file, item).String() + ": ignored: " + f.kind + " " + name + " (" + why + ")"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { // as written
		a, b := out[i].at, out[j].at
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	for _, u := range out {
		*notes = append(*notes, u.note)
	}
}

// workspaceHaving is the first workspace of dir with a resource named name
// (case-insensitively) in its folder, or "".
func workspaceHaving(dir, folder, name string) string {
	for _, ws := range resourceFolders(filepath.Join(dir, "workspaces")) {
		wbase := apiopsDir(filepath.Join(dir, "workspaces", ws), folder)
		for _, r := range resourceFolders(wbase) {
			if folder == "apis" {
				r = extractedAPIFolderName(wbase, r)
			}
			if strings.EqualFold(r, name) {
				return ws
			}
		}
	}
	return ""
}

// mergeJSON is over laid on base: objects merge key by key, anything
// else is over.
func mergeJSON(base, over json.RawMessage) json.RawMessage {
	var b, o map[string]json.RawMessage
	if json.Unmarshal(base, &b) != nil || json.Unmarshal(over, &o) != nil || b == nil || o == nil {
		return over
	}
	for k, v := range o {
		b[k] = mergeJSON(b[k], v)
	}
	data, err := json.Marshal(b)
	if err != nil {
		return over
	}
	return data
}

// resourceInfo is the shape of every *Information.json the extractor writes.
type resourceInfo struct {
	Properties map[string]json.RawMessage `json:"properties"`
}

// apiopsNoticeFolders reports the extractor's folders tollgate ignores;
// gateways/ unless it serves as one of them (asGateway).
func apiopsNoticeFolders(dir string, asGateway bool, notes *[]string) {
	for _, f := range apiopsIgnoredFolders {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.IsDir() {
			switch {
			case f == "gateways" && asGateway:
			case f == "gateways":
				*notes = append(*notes, filepath.Join(dir, f)+": ignored: gateways (every API is served; tollgate serve --gateway NAME serves those assigned to one)")
			default:
				*notes = append(*notes, filepath.Join(dir, f)+": ignored: "+f+" (Azure only)")
			}
		}
	}
}

// namedValueEnv is the environment variable a secret APIOps named value is
// read from: TOLLGATE_NAMED_VALUE_ and the name in capitals, every other
// character an underscore.
func namedValueEnv(name string) string {
	var b strings.Builder
	b.WriteString("TOLLGATE_NAMED_VALUE_")
	for _, c := range strings.ToUpper(name) {
		if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// loadAPIOpsNamedValues adds "named values/NAME/namedValueInformation.json"
// to nv. A secret value is not in git: it comes from the overrides, the
// values file or the environment (namedValueEnv). A missing one is added
// as Missing: an error, naming where it was looked for, where a {{name}}
// uses it, and a notice if nothing does (reportMissingNamedValues).
func loadAPIOpsNamedValues(dir string, nv *engine.NamedValues, o *overrides, valuesFile string, getenv func(string) string, kv SecretReader, errs *engine.ErrorList, notes *[]string) (vaultRefs int) {
	base := apiopsDir(dir, "named values")
	ents, err := os.ReadDir(base)
	if err != nil {
		return 0
	}
	var values map[string]string
	if valuesFile != "" {
		if data, ok := readIf(valuesFile, errs); !ok {
			errs.Add(engine.Pos{File: valuesFile}, "", "the named values file does not exist")
		} else {
			decodeJSONFile(valuesFile, data, &values, errs)
		}
	}
	for _, e := range ents {
		if !isDirEntry(base, e) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		file := filepath.Join(base, e.Name(), "namedValueInformation.json")
		data, ok := readIf(file, errs)
		if !ok {
			errs.Add(engine.Pos{File: filepath.Join(base, e.Name())}, "", "a named value folder needs namedValueInformation.json")
			continue
		}
		var info resourceInfo
		if !decodeJSONFile(file, data, &info, errs) {
			continue
		}
		props := o.merge("namedValues", e.Name(), info.Properties)
		// {{name}} refers to the display name, as in APIM.
		v := engine.NamedValue{Name: e.Name(), Pos: engine.Pos{File: file, Line: 1, Col: 1}}
		var hasValue bool
		var vault *keyVaultRef
		for _, k := range sortedKeys(props) {
			raw := props[k]
			var bad bool
			switch k {
			case "displayName":
				bad = json.Unmarshal(raw, &v.Name) != nil
			case "secret":
				bad = json.Unmarshal(raw, &v.Secret) != nil
			case "value":
				hasValue = !bytes.Equal(raw, []byte("null"))
				bad = hasValue && json.Unmarshal(raw, &v.Value) != nil
			case "tags":
			case "keyVault":
				if bytes.Equal(raw, []byte("null")) {
					break
				}
				vault = &keyVaultRef{pos: jsonKeyPos(file, data, k)}
				bad = json.Unmarshal(raw, vault) != nil
			default:
				*notes = append(*notes, jsonKeyPos(file, data, k).String()+": ignored: named value property "+k+" (Azure only)")
			}
			if bad { // the value itself is never quoted: it may be a secret
				errs.Add(jsonKeyPos(file, data, k), "", "named value property %s has a value of the wrong type", k)
			}
		}
		if x, ok := values[v.Name]; ok {
			v.Value, hasValue = x, true
		} else if x, ok := values[e.Name()]; ok {
			v.Value, hasValue = x, true
		}
		if x := getenv(namedValueEnv(e.Name())); x != "" {
			v.Value, hasValue = x, true
		}
		if vault != nil && kv == nil {
			// No reader (a program embedding the loader without one):
			// the value must come from the environment or the file.
			*notes = append(*notes, vault.pos.String()+": ignored: named value "+e.Name()+" keyVault (no Key Vault reader): its value comes from "+namedValueEnv(e.Name())+" or the named values file")
			vault = nil
		}
		if vault != nil && !hasValue {
			// A Key Vault reference: read with the gateway's identity,
			// unless the environment or the values file gave the value.
			v.Secret, hasValue = true, true
			vaultRefs++
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			x, err := kv.Secret(ctx, vault.SecretIdentifier, vault.IdentityClientID)
			cancel()
			if err != nil {
				// An error where a {{name}} uses it (APIM's own values,
				// such as Logger-Credentials--…, often are used by nothing
				// tollgate runs).
				v.Pos = vault.pos
				v.Missing = fmt.Sprintf("named value %q: Key Vault secret %s: %s (or set %s)", v.Name, vault.SecretIdentifier, err.Error(), namedValueEnv(e.Name()))
			}
			v.Value = x
		}
		if !hasValue {
			where := "set " + namedValueEnv(e.Name())
			if valuesFile != "" {
				where += " or give " + v.Name + " in " + valuesFile
			} else {
				where += " or give it in a named values file (--named-values)"
			}
			kind := "named value"
			if v.Secret {
				kind = "secret named value"
			}
			v.Missing = fmt.Sprintf("%s %q has no value in the folder: %s", kind, v.Name, where)
		}
		if prev, dup := nv.Where(v.Name); dup {
			// APIM's named values are unique by display name ({{name}}
			// names one): which of two is meant cannot be told.
			at := v.Pos
			if _, ok := props["displayName"]; ok && bytes.Contains(data, []byte(`"displayName"`)) {
				at = jsonKeyPos(file, data, "displayName")
			}
			errs.Add(at, "", "named value %q is defined twice: here and at %s (a display name names one named value)", v.Name, prev)
		} else if nv.Add(v) {
			nv.AddID(e.Name(), v.Name)
		}
	}
	return vaultRefs
}

// reportMissingNamedValues lists, as notices, the named values without a
// value that nothing used: APIM creates some itself (Logger-Credentials--…
// for every Application Insights logger, cache connection strings) and
// the extractor can never export their value.
func reportMissingNamedValues(nv *engine.NamedValues, notes *[]string) {
	for _, v := range nv.MissingUnused() {
		*notes = append(*notes, v.Pos.String()+": ignored: "+v.Missing+" (nothing uses it)")
	}
}

// keyVaultRef is a named value's keyVault property: the secret it takes
// its value from, and the identity that reads it (null: the gateway's
// system-assigned one).
type keyVaultRef struct {
	SecretIdentifier string `json:"secretIdentifier"`
	IdentityClientID string `json:"identityClientId"`
	pos              engine.Pos
}

// SecretReader reads Key Vault secrets (policies.KeyVault).
type SecretReader interface {
	Secret(ctx context.Context, secretIdentifier, identityClientID string) (string, error)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadAPIOpsFragments reads "policy fragments/NAME/policy.xml". A fragment
// that does not load is kept as a nil root: an include of it then says so
// rather than calling it unknown (engine.Compiler.Fragments).
func loadAPIOpsFragments(dir string, frags map[string]*engine.Node, add func(name string, root *engine.Node), errs *engine.ErrorList) {
	base := apiopsDir(dir, "policy fragments")
	for _, name := range resourceFolders(base) {
		p := filepath.Join(base, name, "policy.xml")
		data, ok := readIf(p, errs)
		if !ok {
			errs.Add(engine.Pos{File: filepath.Join(base, name)}, "", "a policy fragment folder needs policy.xml")
			brokenFragment(frags, name)
			continue
		}
		root, err := engine.Read(p, data)
		if err != nil {
			errs.Append(err)
			brokenFragment(frags, name)
			continue
		}
		if root.Name != "fragment" {
			errs.Add(root.Pos, "", "a fragment file's root element must be <fragment>, not <%s>", root.Name)
			brokenFragment(frags, name)
			continue
		}
		if _, dup := frags[name]; dup {
			errs.Add(root.Pos, "", "fragment %q is defined twice (fragments/ and policy fragments/)", name)
			continue
		}
		add(name, root)
	}
}

// brokenFragment records a fragment that exists but did not load, unless
// one of its name loaded from the other layout.
func brokenFragment(frags map[string]*engine.Node, name string) {
	if _, ok := frags[name]; !ok {
		frags[name] = nil
	}
}

// fragmentsWhere says where the folder's fragments are defined, for the
// error about one that is missing: the layout the folder uses (tollgate's
// fragments/NAME.xml, APIOps' policy fragments/NAME/policy.xml, or both).
func fragmentsWhere(dir string) string {
	native := dirExists(filepath.Join(dir, "fragments"))
	apiops := dirExists(apiopsDir(dir, "policy fragments")) || dirExists(filepath.Join(dir, "apis"))
	where := filepath.Base(apiopsDir(dir, "policy fragments")) + "/NAME/policy.xml"
	switch {
	case native && apiops:
		return "fragments/NAME.xml or " + where
	case apiops:
		return where
	}
	return "" // the compiler's default: tollgate's own layout
}

// apiSource is one API definition to load: api.xml (tollgate layout) or
// apiInformation.json (APIOps layout).
type apiSource struct {
	dir, file string
	// folder is the name the API's folder has in the extractor's layout
	// (NAME, or NAME;rev=N), when it is not dir's: the "name" of a
	// revision in the early extractor's layout (apis/DISPLAY
	// NAME/Original/1/, "name": "datastore;rev=1").
	folder string
	data   []byte
	extra  []byte // overrides applied to it (hashed with it)
	json   bool
	scope  *resourceScope // the service or a workspace (nil: the service)
}

// apiopsAPISources lists DIR/apis/NAME/apiInformation.json. A revision that
// is not the current one is skipped with a notice.
// apiFolderEntries are what tollgate reads in an APIOps API folder.
var apiFolderEntries = map[string]bool{"apiInformation.json": true, "specification.json": true, "specification.yaml": true,
	"specification.yml": true, "specification.graphql": true, "specification.wsdl": true, "policy.xml": true, "operations": true,
	"specification.xml": true, "diagnostics": true, "specification.wadl": true, "specification.proto": true,
	"resolvers": true} // resolvers: a synthetic GraphQL API's (graphql_synthetic.go)

func apiopsAPISources(dir string, o *overrides, errs *engine.ErrorList, notes *[]string) []apiSource {
	base := filepath.Join(dir, "apis")
	ents, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []apiSource
	for _, e := range ents {
		if !isDirEntry(base, e) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		apiDir := filepath.Join(base, e.Name())
		file := filepath.Join(apiDir, "apiInformation.json")
		data, ok := readIf(file, errs)
		if !ok {
			out = append(out, apiFolderWithoutInformation(apiDir, file, o, errs, notes)...)
			continue
		}
		name := extractedAPIName(e.Name(), data)
		out = append(out, apiSource{dir: apiDir, file: file, data: data, json: true, extra: o.rawOf("apis", name)})
		// What else the extractor wrote for the API (tags, schemas,
		// releases) is Azure's; a revision folder of the early extractor's
		// layout is a leftover of an older extract.
		if sub, err := os.ReadDir(apiDir); err == nil {
			for _, f := range sub {
				switch {
				case apiFolderEntries[f.Name()] || strings.HasPrefix(f.Name(), "."):
				case len(legacyRevisions(apiDir, f.Name())) > 0:
					*notes = append(*notes, filepath.Join(apiDir, f.Name())+": ignored: "+f.Name()+" of API "+name+
						" ("+legacyLayout+", left from an older extract: this API is the folder's own apiInformation.json)")
				default:
					*notes = append(*notes, filepath.Join(apiDir, f.Name())+": ignored: "+f.Name()+" of API "+name+" (Azure only)")
				}
			}
		}
	}
	return out
}

// apiFolderWithoutInformation reports an APIOps API folder that has no
// apiInformation.json (or one that cannot be read: readIf said so): it declares
// no API. A policy in it would apply to nothing, so a policy.xml or an
// operations folder is a load error, as a policy of an operation that does not
// exist is; anything else in it (a specification alone, as some extracts keep
// for an API they filtered out) is a notice. An empty folder says nothing.
func apiFolderWithoutInformation(apiDir, file string, o *overrides, errs *engine.ErrorList, notes *[]string) []apiSource {
	if _, err := os.Lstat(file); !errors.Is(err, fs.ErrNotExist) {
		return nil // there, but unreadable: readIf reported it
	}
	sub, err := os.ReadDir(apiDir)
	if err != nil || len(sub) == 0 {
		return nil
	}
	name := apiName(filepath.Base(apiDir))
	if srcs, ok := legacyAPIFolder(apiDir, name, sub, o, errs, notes); ok {
		return srcs
	}
	at := filepath.Join(apiDir, "policy.xml")
	what, verb := "its policy.xml", "applies"
	if _, err := os.Stat(at); err != nil {
		ops, _ := filepath.Glob(filepath.Join(apiDir, "operations", "*", "policy.xml"))
		if len(ops) == 0 {
			at = ""
		} else {
			at, what, verb = ops[0], "its operation policies", "apply"
		}
	}
	if at != "" {
		errs.Add(engine.Pos{File: at, Line: 1, Col: 1}, "",
			"API folder %q has no apiInformation.json, so %s %s to no API: add the API's apiInformation.json (APIOps' extractor writes one for every API) or remove the folder", name, what, verb)
		return nil
	}
	var files []string
	for _, f := range sub {
		if !strings.HasPrefix(f.Name(), ".") {
			files = append(files, f.Name())
		}
	}
	if len(files) > 0 {
		*notes = append(*notes, apiDir+": ignored: "+strings.Join(files, ", ")+" (the folder has no apiInformation.json, so it declares no API)")
	}
	return nil
}

// legacyLayout names the layout of APIOps' early extractor (its first
// releases): apis/DISPLAY NAME/VERSION/REVISION/ ("Original/1" for an API
// without versions, "v2/1" for version v2), each revision folder with its
// apiInformation.json (the API's name, NAME or NAME;rev=N, next to
// "properties"), specification, policy.xml and operations/OPERATION
// DISPLAY NAME/policy.xml. APIOps' extractor has written apis/NAME/
// (NAME;rev=N for a revision) since.
const legacyLayout = "the layout of APIOps' early extractor (apis/DISPLAY NAME/VERSION/REVISION/apiInformation.json)"

// legacyRevisions lists the revision folders of the early extractor's
// layout under apiDir/version: REVISION/apiInformation.json with a
// revision number, as "version/REVISION".
func legacyRevisions(apiDir, version string) []string {
	found, _ := filepath.Glob(filepath.Join(apiDir, version, "*", "apiInformation.json"))
	var out []string
	for _, f := range found {
		if rev := filepath.Base(filepath.Dir(f)); validRevision(rev) {
			out = append(out, version+"/"+rev)
		}
	}
	return out
}

// legacyAPINames: the names of the APIs the early extractor's revision
// folders in apiDir name (none when apiDir has its own apiInformation.json).
func legacyAPINames(apiDir string) []string {
	if fileIsThere(filepath.Join(apiDir, "apiInformation.json")) {
		return nil
	}
	sub, _ := os.ReadDir(apiDir)
	var out []string
	for _, f := range sub {
		if !f.IsDir() {
			continue
		}
		for _, rev := range legacyRevisions(apiDir, f.Name()) {
			data, _ := os.ReadFile(filepath.Join(apiDir, filepath.FromSlash(rev), "apiInformation.json"))
			var top struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(data, &top) == nil && validAPIName(apiName(top.Name)) {
				out = append(out, apiName(top.Name))
			}
		}
	}
	return out
}

// legacyAPIFolder reads an API folder without apiInformation.json that
// holds revisions of the early extractor's layout (apis/Echo API/Original/1/):
// each revision whose apiInformation.json names its API ("name":
// "echo-api", "datastore;rev=1") is an API source, as apis/NAME/ (or
// NAME;rev=N) would be. One that names none declares no API: as for a folder
// without apiInformation.json, a policy in it is a load error (it would
// apply to nothing), and a notice reports it otherwise. ok is false when the
// folder has no such revision.
func legacyAPIFolder(apiDir, name string, sub []os.DirEntry, o *overrides, errs *engine.ErrorList, notes *[]string) (srcs []apiSource, ok bool) {
	var revs []string
	for _, f := range sub {
		if f.IsDir() && !strings.HasPrefix(f.Name(), ".") {
			revs = append(revs, legacyRevisions(apiDir, f.Name())...)
		}
	}
	if len(revs) == 0 {
		return nil, false
	}
	var quiet []string
	for _, rev := range revs {
		rdir := filepath.Join(apiDir, filepath.FromSlash(rev))
		file := filepath.Join(rdir, "apiInformation.json")
		data, readable := readIf(file, errs)
		if !readable {
			continue
		}
		var top struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(data, &top) == nil && validAPIName(apiName(top.Name)) {
			srcs = append(srcs, apiSource{dir: rdir, file: file, folder: top.Name, data: data, json: true, extra: o.rawOf("apis", apiName(top.Name))})
			continue
		}
		at := filepath.Join(rdir, "policy.xml")
		if _, err := os.Stat(at); err != nil {
			ops, _ := filepath.Glob(filepath.Join(rdir, "operations", "*", "policy.xml"))
			if len(ops) == 0 {
				quiet = append(quiet, rev)
				continue
			}
			at = ops[0]
		}
		errs.Add(engine.Pos{File: at, Line: 1, Col: 1}, "",
			"API folder %q holds revision %s in %s, and its apiInformation.json has no \"name\" to say which API it is, so this policy applies to no API: extract the instance again with a current APIOps extractor (it writes apis/NAME/apiInformation.json)", name, rev, legacyLayout)
	}
	if len(quiet) > 0 {
		*notes = append(*notes, apiDir+": ignored: "+strings.Join(quiet, ", ")+" ("+legacyLayout+", whose apiInformation.json has no \"name\" to say which API it is)")
	}
	return srcs, true
}

// validRevision: a revision number (APIM numbers revisions 1, 2, …).
func validRevision(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// apiName is an extracted API folder's name without its revision suffix
// ("echo-api;rev=2" -> "echo-api").
func apiName(folder string) string {
	name, _, _ := strings.Cut(folder, ";rev=")
	return name
}

// extractedAPIName is the name of the API that apis/FOLDER/apiInformation.json
// (data) declares: the folder's (without ";rev=N"), or, when that is no API
// name, the "name" the file has next to "properties" when that is one.
// APIOps' early extractor releases named an API's folder after its display
// name ("apis/Echo API/") and wrote its name there ("name": "echo-api"), as
// github.com/RobertoBorges/apiopsdemo and waelkdouh/apiops-artifact keep
// them; apiops-cli writes "name" too, equal to the folder's.
func extractedAPIName(folder string, data []byte) string {
	name := apiName(folder)
	if validAPIName(name) {
		return name
	}
	var top struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(data, &top) == nil {
		if n := apiName(top.Name); validAPIName(n) {
			return n
		}
	}
	return name
}

// extractedAPIFolderName is extractedAPIName of the folder base/folder.
func extractedAPIFolderName(base, folder string) string {
	if validAPIName(apiName(folder)) {
		return apiName(folder)
	}
	data, _ := os.ReadFile(filepath.Join(base, folder, "apiInformation.json"))
	return extractedAPIName(folder, data)
}

// apiInfoProps: the apiInformation.json properties tollgate uses, and the
// descriptive ones it accepts without a notice.
var apiInfoUsed = map[string]bool{"path": true, "serviceUrl": true, "type": true, "apiType": true,
	"protocols": true, "subscriptionRequired": true, "subscriptionKeyParameterNames": true, "isCurrent": true,
	"apiRevision": true, "apiVersion": true, "apiVersionSetId": true, "displayName": true, "description": true,
	"apiRevisionDescription": true, "apiVersionDescription": true, "contact": true, "license": true,
	"termsOfServiceUrl": true, "isOnline": true, "format": true, "value": true, "translateRequiredQueryParameters": true,
	// an A2A agent API's (a2a.go): read there, or descriptive
	"a2aProperties": true, "jsonRpcProperties": true, "agent": true, "isAgent": true}

var versionSetID = regexp.MustCompile(`(?:^|/)apiVersionSets/([^/]+)$`)

// parseAPIInformation builds an API from apiInformation.json (with its
// overrides). It returns nil, and reports why, when it cannot, and nil
// without an error for a revision that is not current.
func parseAPIInformation(dir string, src apiSource, o *overrides, nv *engine.NamedValues, errs *engine.ErrorList, notes *[]string) *API {
	var info resourceInfo
	if !decodeJSONFile(src.file, src.data, &info, errs) {
		return nil
	}
	folder := filepath.Base(src.dir)
	if src.folder != "" {
		folder = src.folder
	}
	name := extractedAPIName(folder, src.data)
	props := o.merge("apis", name, info.Properties)
	at := func(k string) engine.Pos { return jsonKeyPos(src.file, src.data, k) }
	str := func(k string) string {
		var s string
		if raw, ok := props[k]; ok && !bytes.Equal(raw, []byte("null")) && json.Unmarshal(raw, &s) != nil {
			errs.Add(at(k), "", "%s must be a string, not %s", k, string(raw))
		}
		v, err := nv.Substitute(s)
		if err != nil {
			errs.Add(at(k), "", "%s", err.Error())
		}
		return v
	}
	// The extractor writes the current revision in NAME/ and the others in
	// NAME;rev=N/, whose isCurrent is false or, as APIM leaves it out of
	// a revision that is not current, absent.
	cur, revFolder := true, folder != apiName(folder)
	if raw, ok := props["isCurrent"]; ok {
		if json.Unmarshal(raw, &cur) != nil {
			errs.Add(at("isCurrent"), "", "isCurrent must be true or false, not %s", string(raw))
			return nil
		}
	} else if revFolder {
		cur = false
	}
	var revision string // a revision that is not current: served at PATH;rev=N
	if !cur {
		where := at("isCurrent")
		if _, ok := props["isCurrent"]; !ok {
			where = engine.Pos{File: src.file, Line: 1, Col: 1}
		}
		rev := str("apiRevision")
		if _, r, ok := strings.Cut(folder, ";rev="); ok && rev == "" {
			rev = r
		}
		var online bool
		if raw, ok := props["isOnline"]; ok && json.Unmarshal(raw, &online) == nil && !online {
			*notes = append(*notes, at("isOnline").String()+": ignored: revision "+rev+" of API "+name+" (offline: isOnline is false)")
			return nil
		}
		if !validRevision(rev) {
			*notes = append(*notes, where.String()+": ignored: revision "+rev+" of API "+name+" (not the current revision, and its number is not one a URL can name)")
			return nil
		}
		revision = rev
	}
	for _, k := range sortedKeys(props) {
		if !apiInfoUsed[k] && !mcpInfoProps[k] {
			*notes = append(*notes, at(k).String()+": ignored: API property "+k+" (Azure only)")
		}
	}
	before := len(*errs)
	api := &API{Name: name, Revision: revision, Limits: DefaultLimits, Subscription: defaultSubscriptionSettings}
	api.Subscription.Required = true // APIM's default
	api.Type = str("type")
	if t := str("apiType"); api.Type == "" {
		api.Type = t
	}
	switch api.Type {
	case "", "http":
		api.Type = "http"
	case "websocket", "graphql", "soap", "odata", "grpc":
	case "a2a": // a2a.go
	case "mcp": // docs/mcp.md
	default:
		errs.Add(at("type"), "", "API type %q is not supported (http, soap, websocket, graphql, odata, grpc, mcp or a2a)", api.Type)
	}
	if !validAPIName(name) {
		errs.Add(engine.Pos{File: src.file, Line: 1, Col: 1}, "", "API name %q (its folder, and the file has no \"name\" that is one): use letters, digits, '-', '_' and '.'", name)
	}
	p := "/" + strings.Trim(str("path"), "/")
	scheme, vname := "Segment", ""
	if id := versionSetID.FindStringSubmatch(str("apiVersionSetId")); id != nil {
		scheme, vname = versionSet(dir, id[1], at("apiVersionSetId"), o, errs)
	}
	switch v := str("apiVersion"); {
	case scheme == "Query" || scheme == "Header":
		// The versions share the path; the router picks by the version
		// (versions.go). No apiVersion: the Original.
		api.Versioning = APIVersioning{Scheme: strings.ToLower(scheme), Name: vname, ID: v}
	case v != "":
		p = strings.TrimSuffix(p, "/") + "/" + v
	}
	if revision != "" {
		// APIM: "Append ;rev={revisionNumber} at the end of your API URL"
		// (with its version segment, for a Segment version).
		p = strings.TrimSuffix(p, "/") + ";rev=" + revision
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // an API at the root: /;rev=N
		}
	}
	api.Path = p
	if strings.ContainsAny(api.Path, "?#* ") {
		errs.Add(at("path"), "", "path must be a URL path, not %q", api.Path)
	}
	svc := str("serviceUrl")
	if api.Type == "mcp" {
		parseMCPInformation(api, src, props, str, at, errs, notes)
	} else if api.Type != "http" && api.Type != "websocket" && api.Type != "graphql" && api.Type != "soap" && api.Type != "odata" && api.Type != "grpc" {
		// the type is reported; its URL cannot be judged
	} else if svc == "" {
		// APIM's serviceUrl is optional: a policy may set the backend
		// (set-backend-service) or answer itself (return-response); a
		// call that reaches the backend without one fails (exchange.go).
		// A WebSocket or gRPC API has nothing else to connect to.
		if api.Type == "websocket" || api.Type == "grpc" {
			errs.Add(at("serviceUrl"), "", "API %q has no serviceUrl (give it here or in the configuration overrides)", name)
		}
	} else if u, err := url.Parse(svc); err != nil || u.Host == "" {
		errs.Add(at("serviceUrl"), "", "serviceUrl %q must be an absolute URL", svc)
	} else {
		switch {
		case api.Type == "websocket" && (u.Scheme == "ws" || u.Scheme == "wss"):
		case api.Type == "websocket" && (u.Scheme == "http" || u.Scheme == "https"):
			u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		case api.Type != "websocket" && (u.Scheme == "http" || u.Scheme == "https"):
		default:
			errs.Add(at("serviceUrl"), "", "serviceUrl %q does not fit an API of type %s", svc, api.Type)
		}
		api.ServiceURL = u
	}
	parseA2AInformation(api, src, props, nv, errs, notes) // a2a.go
	if raw, ok := props["subscriptionRequired"]; ok && json.Unmarshal(raw, &api.Subscription.Required) != nil {
		errs.Add(at("subscriptionRequired"), "", "subscriptionRequired must be true or false, not %s", string(raw))
	}
	if raw, ok := props["subscriptionKeyParameterNames"]; ok && !bytes.Equal(raw, []byte("null")) {
		var names struct{ Header, Query string }
		if json.Unmarshal(raw, &names) != nil {
			errs.Add(at("subscriptionKeyParameterNames"), "", "subscriptionKeyParameterNames must be {\"header\": ..., \"query\": ...}")
		}
		if names.Header != "" {
			api.Subscription.Header = names.Header
		}
		if names.Query != "" {
			api.Subscription.Query = names.Query
		}
	}
	switch v := str("translateRequiredQueryParameters"); v {
	case "", "template": // APIM's default
	case "query":
		api.specOpts.queryAsQuery = true
	default:
		errs.Add(at("translateRequiredQueryParameters"), "", "translateRequiredQueryParameters must be \"template\" or \"query\", not %q", v)
	}
	if raw, ok := props["protocols"]; ok {
		var protos []string
		if json.Unmarshal(raw, &protos) != nil {
			errs.Add(at("protocols"), "", "protocols must be a list of strings")
		} else if len(protos) > 0 {
			api.protocols = protos // context.Api.Protocols
			*notes = append(*notes, at("protocols").String()+": ignored: protocols "+strings.Join(protos, ",")+" of API "+name+" (tollgate serves the scheme of its listener; context.Api.Protocols gives them)")
		}
	}
	if len(*errs) > before {
		return nil
	}
	rev := str("apiRevision")
	if revision != "" {
		rev = revision // a revision folder without apiRevision: the folder's number
	}
	api.Info = apiInfo(api, str("apiVersion"), rev)
	return api
}

// hashVersionSets writes DIR/version sets/*/apiVersionSetInformation.json
// and their overrides into common: an API's versioning comes from them, so
// a changed version set must recompile the APIs (a missing one is
// reported where an API names it).
func hashVersionSets(dir string, o *overrides, common hash.Hash) {
	base := apiopsDir(dir, "version sets")
	for _, name := range resourceFolders(base) {
		data, err := os.ReadFile(versionSetFile(base, name))
		if err != nil {
			continue
		}
		common.Write([]byte("versionSet\x00" + name + "\x00"))
		common.Write(data)
		common.Write(o.rawOf("versionSets", name))
	}
}

// versionSetFile is a version set's file in folder base: APIOps' extractor
// writes apiVersionSetInformation.json; versionSetInformation.json, the
// name tollgate's docs once gave, is read too.
func versionSetFile(base, id string) string {
	file := filepath.Join(base, id, "apiVersionSetInformation.json")
	if old := filepath.Join(base, id, "versionSetInformation.json"); !fileIsThere(file) && fileIsThere(old) {
		return old
	}
	return file
}

func fileIsThere(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// versionSet reads "version sets/ID/apiVersionSetInformation.json": its
// scheme (Segment, Query or Header) and the query parameter or header. A
// missing one is reported at ref, the apiVersionSetId that names it.
func versionSet(dir, id string, ref engine.Pos, o *overrides, errs *engine.ErrorList) (scheme, name string) {
	base := apiopsDir(dir, "version sets")
	file := versionSetFile(base, id)
	before := len(*errs)
	data, ok := readIf(file, errs)
	if !ok {
		if len(*errs) == before { // not there (a read error is reported at the file)
			want := "version sets/" + id + "/apiVersionSetInformation.json"
			if filepath.Base(base) == "versionSets" {
				want = "versionSets/" + id + "/versionSetInformation.json"
			}
			errs.Add(ref, "", "apiVersionSetId names version set %q, which is missing (%s)", id, want)
		}
		return "Segment", ""
	}
	var raw resourceInfo
	if !decodeJSONFile(file, data, &raw, errs) {
		return "Segment", ""
	}
	var pr struct {
		VersioningScheme  string  `json:"versioningScheme"`
		VersionQueryName  *string `json:"versionQueryName"`
		VersionHeaderName *string `json:"versionHeaderName"`
	}
	merged, _ := json.Marshal(o.merge("versionSets", id, raw.Properties))
	if err := json.Unmarshal(merged, &pr); err != nil {
		errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "version set %q: %s", id, err.Error())
		return "Segment", ""
	}
	switch pr.VersioningScheme {
	case "", "Segment":
		return "Segment", ""
	case "Query":
		name = "api-version"
		if pr.VersionQueryName != nil && *pr.VersionQueryName != "" {
			name = *pr.VersionQueryName
		}
	case "Header":
		name = "Api-Version"
		if pr.VersionHeaderName != nil && *pr.VersionHeaderName != "" {
			name = *pr.VersionHeaderName
		}
		if !httpguts.ValidHeaderFieldName(name) {
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "version set %q: versionHeaderName %q is not a valid header name", id, name)
		}
		name = http.CanonicalHeaderKey(name)
	default:
		errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "version set %q: versioningScheme %q is not Segment, Query or Header", id, pr.VersioningScheme)
		return "Segment", ""
	}
	return pr.VersioningScheme, name
}
