package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"tollgate/engine"
)

// Product groups APIs for subscriptions and carries a policy, the scope
// between global and API (scopes.go). Products are read from
// DIR/products/NAME/ in the APIOps layout, whichever layout the APIs use:
//
//	productInformation.json  {"properties": {"displayName": ..., "subscriptionRequired": true, "state": "published", ...}}
//	apis.json                [{"name": "API-NAME"}, ...]
//	policy.xml               optional product policy (<base/> is the global policy)
type Product struct {
	Name string
	Info *engine.Product
	// SubscriptionRequired: false makes an open product: its APIs are
	// served without a key, through its policy.
	SubscriptionRequired bool
	Published            bool
	// Workspace is the workspace the product belongs to ("" for the
	// service's): it holds that workspace's APIs only (workspaces.go).
	Workspace string
	plan      *engine.Plan
	apis      map[string]bool
	// apiPos is where apis.json names each API, for the errors about it.
	apiPos map[string]engine.Pos
	index  int // in Snapshot.Products; its views are at index+1
}

func (p *Product) has(api string) bool { return p.apis[api] }

// productInformation is productInformation.json (APIOps: the ARM
// resource's properties).
type productInformation struct {
	Properties map[string]json.RawMessage `json:"properties"`
}

// productProps are the properties tollgate uses; the others are reported as
// ignored.
var productProps = map[string]bool{"displayName": true, "description": true, "subscriptionRequired": true,
	"approvalRequired": true, "subscriptionsLimit": true, "state": true, "terms": true}

// loadProducts reads DIR/products; each product's files go into common
// (every API's hash) since they shape the APIs they contain.
func loadProducts(dir string, comp *engine.Compiler, global *engine.Plan, over *overrides, common hash.Hash, errs *engine.ErrorList, notes *[]string) []*Product {
	pdir := filepath.Join(dir, "products")
	var out []*Product
	for _, name := range resourceFolders(pdir) {
		base := filepath.Join(pdir, name)
		infoFile := filepath.Join(base, "productInformation.json")
		data, ok := readIf(infoFile, errs)
		if !ok {
			productFolderWithoutInformation(base, infoFile, name, errs, notes)
			continue
		}
		common.Write([]byte("product\x00" + name + "\x00"))
		common.Write(data)
		var info productInformation
		if !decodeJSONFile(infoFile, data, &info, errs) {
			continue
		}
		p := &Product{Name: name, SubscriptionRequired: true, Published: true, apis: map[string]bool{}}
		pi := &engine.Product{Id: name, Name: name, State: "published", SubscriptionRequired: true}
		common.Write(over.rawOf("products", name))
		props := over.merge("products", name, info.Properties)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			raw := props[k]
			at := jsonKeyPos(infoFile, data, k)
			var bad bool
			switch k {
			case "displayName":
				bad = json.Unmarshal(raw, &pi.Name) != nil
			case "subscriptionRequired":
				bad = json.Unmarshal(raw, &pi.SubscriptionRequired) != nil
			case "approvalRequired":
				bad = json.Unmarshal(raw, &pi.ApprovalRequired) != nil
			case "subscriptionsLimit":
				bad = !bytes.Equal(raw, []byte("null")) && json.Unmarshal(raw, &pi.SubscriptionsLimit) != nil
				if !bad && pi.SubscriptionsLimit > 0 {
					pi.SubscriptionLimit = &pi.SubscriptionsLimit
				}
			case "state":
				bad = json.Unmarshal(raw, &pi.State) != nil || (pi.State != "published" && pi.State != "notPublished")
			case "description", "terms":
			default:
				*notes = append(*notes, at.String()+": ignored: product property "+k+" (Azure only)")
			}
			if bad {
				errs.Add(at, "", "product property %s has a bad value %s", k, string(raw))
			}
		}
		p.SubscriptionRequired = pi.SubscriptionRequired
		p.Published = pi.State == "published"
		if apisFile := filepath.Join(base, "apis.json"); true {
			if adata, ok := readIf(apisFile, errs); ok {
				common.Write(adata)
				var list []json.RawMessage
				if decodeJSONFile(apisFile, adata, &list, errs) {
					p.apiPos = map[string]engine.Pos{}
					for _, raw := range list {
						var a struct {
							Name string `json:"name"`
						}
						var bare string
						if json.Unmarshal(raw, &bare) == nil {
							// ["orders"] where the extractor writes
							// [{"name": "orders"}]: APIOps' publisher
							// skips an entry that is not an object, so
							// it would publish the product without it.
							errs.Add(jsonValuePos(apisFile, adata, bare), "", "apis.json names API %q as a string: an entry is an object, {\"name\": %q} (APIOps' publisher skips any other entry, and would publish product %q without this API)", bare, bare, name)
							continue
						}
						if err := json.Unmarshal(raw, &a); err != nil || a.Name == "" {
							at := engine.Pos{File: apisFile, Line: 1, Col: 1}
							if i := bytes.Index(adata, raw); i >= 0 {
								at = offsetPos(apisFile, adata, int64(i)+1)
							}
							errs.Add(at, "", "apis.json entry %s is not {\"name\": \"API\"}", string(raw))
							continue
						}
						p.apis[a.Name] = true
						p.apiPos[a.Name] = jsonValuePos(apisFile, adata, a.Name)
					}
				}
			}
		}
		p.plan = global
		policyFile := filepath.Join(base, "policy.xml")
		if pdata, ok := readIf(policyFile, errs); ok {
			if root, err := engine.Read(policyFile, pdata); err != nil {
				errs.Append(err)
			} else {
				root.WriteCanonical(common)
				p.plan = comp.Compile(root, "product", global)
			}
		}
		for _, f := range []string{"groups.json", "tags.json"} {
			if _, err := os.Stat(filepath.Join(base, f)); err == nil {
				*notes = append(*notes, filepath.Join(base, f)+": ignored: product "+strings.TrimSuffix(f, ".json")+" (Azure only)")
			}
		}
		p.Info = pi
		p.index = len(out)
		out = append(out, p)
	}
	// Apis of Info in a stable order, once every product is known, is
	// filled by the loader (fillProductApis) when the APIs are.
	return out
}

// fillProductApis sets each product of the scope's Info.Apis from the
// loaded APIs and reports the names of apis.json that are no API of the
// scope (a product holds its own workspace's APIs, or the service's).
func fillProductApis(sc *resourceScope, apis []*API, failed notLoaded, errs *engine.ErrorList) {
	byName := map[string]*API{}
	for _, a := range apis {
		if a.Revision == "" { // a product lists the API; its revisions come with it
			byName[a.Name] = a
		}
	}
	for _, p := range sc.products {
		names := make([]string, 0, len(p.apis))
		for n := range p.apis {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			at, ok := p.apiPos[n]
			if !ok {
				at = engine.Pos{File: filepath.Join(sc.dir, "products", p.Name, "apis.json"), Line: 1, Col: 1}
			}
			a := byName[n]
			switch {
			case a == nil && failed.has(sc.workspaceName(), n):
				errs.Add(at, "", "product %q lists API %q, which "+didNotLoad, p.Name, n)
				continue
			case a == nil:
				errs.Add(at, "", "product %q lists API %q, which does not exist", p.Name, n)
				continue
			case a.Workspace != sc.ws:
				errs.Add(at, "", "product %q of %s lists API %q of %s: a product holds the APIs of its own scope", p.Name, sc.describe(), n, apiScope(a))
				continue
			}
			p.Info.Apis = append(p.Info.Apis, a.Info)
		}
	}
}

// apiScope names the scope of an API in messages.
func apiScope(a *API) string {
	if a.Workspace == nil {
		return "the service"
	}
	return "workspace " + a.Workspace.Id
}

// jsonKeyPos finds where "key": first appears in a JSON file (for
// reporting a property), or the file's start.
func jsonKeyPos(file string, data []byte, key string) engine.Pos {
	i := bytes.Index(data, []byte(`"`+key+`"`))
	if i < 0 {
		return engine.Pos{File: file, Line: 1, Col: 1}
	}
	return offsetPos(file, data, int64(i)+1) // offsetPos takes the offset after the byte
}

// product returns the product called name, or nil.
func (s *Snapshot) product(name string) *Product {
	for _, p := range s.Products {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// productFolderWithoutInformation reports a product folder that has no
// productInformation.json (github.com/waelkdouh/apiops-artifact keeps
// products/Starter/ and products/Unlimited/, APIM's built-in products, with
// an apis.json alone): it declares no product. As for an API folder without
// apiInformation.json (apiops.go), a policy.xml in it would apply to
// nothing and is a load error; anything else in it is a notice. An empty
// folder says nothing; an unreadable file was reported by readIf.
func productFolderWithoutInformation(base, infoFile, name string, errs *engine.ErrorList, notes *[]string) {
	if _, err := os.Lstat(infoFile); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	if policy := filepath.Join(base, "policy.xml"); fileIsThere(policy) {
		errs.Add(engine.Pos{File: policy, Line: 1, Col: 1}, "",
			"product folder %q has no productInformation.json, so its policy.xml applies to no product: add the product's productInformation.json (APIOps' extractor writes one for every product) or remove the folder", name)
		return
	}
	sub, _ := os.ReadDir(base)
	var files []string
	for _, f := range sub {
		if !strings.HasPrefix(f.Name(), ".") {
			files = append(files, f.Name())
		}
	}
	if len(files) > 0 {
		*notes = append(*notes, base+": ignored: "+strings.Join(files, ", ")+" (the folder has no productInformation.json, so it declares no product)")
	}
}
