package gateway

import (
	"path/filepath"

	"tollgate/engine"
	"tollgate/internal/odata"
)

// OData APIs (type="odata" in api.xml, "type": "odata" in APIOps'
// apiInformation.json): served as HTTP APIs (every request under the API's
// path goes to the service URL as it came, as APIM passes an OData API's
// requests through), with the service's metadata — the $metadata CSDL XML
// document APIM imports, which APIOps' extractor writes as
// specification.xml — parsed and checked at load, for
// validate-odata-request (docs/policies-validation.md). APIM gives an
// OData API no operations (its "entity sets and functions" stand in for
// them, and its policies are the API's): neither does tollgate, and
// <operations> or an OpenAPI specification on an OData API is a load
// error (docs/resource-model.md).

// odataFiles are the names an OData API's metadata may have in its
// folder: APIOps' name first, then tollgate's own.
var odataFiles = []string{"specification.xml", "metadata.xml"}

// loadODataModel parses an OData API's metadata into api.Info (where
// validate-odata-request finds it); every problem is reported at its line
// and column.
func loadODataModel(api *API, f srcFile, defPos engine.Pos, errs *engine.ErrorList) {
	if !typedSpec(api, "odata", f, "an OData service's metadata",
		"the service's metadata ($metadata, CSDL XML), specification.xml (APIOps' name) or metadata.xml", defPos, errs) {
		return
	}
	m, perrs := odata.ParseCSDL(f.data)
	for _, e := range perrs {
		errs.Add(engine.Pos{File: f.path, Line: e.Pos.Line, Col: e.Pos.Col}, "", "OData metadata: %s", e.Msg)
	}
	if m != nil && api.Info != nil {
		engine.SetODataModel(api.Info, m)
	}
}

// readODataFile reads the first of odataFiles in apiDir.
func readODataFile(apiDir string, errs *engine.ErrorList) srcFile {
	for _, name := range odataFiles {
		p := filepath.Join(apiDir, name)
		if data, ok := readIf(p, errs); ok {
			return srcFile{path: p, data: data}
		}
	}
	return srcFile{}
}

// checkODataPolicies reports the validate-odata-request policies of an
// API's plans (every scope: global, product, API, operation) that cannot
// run: outside an OData API, or more than once in a section (APIM: "can
// only be used once in a policy section").
func checkODataPolicies(api *API, errs *engine.ErrorList) {
	seen := map[engine.Pos]bool{}
	var plans []*engine.Plan
	for _, v := range api.views {
		if v != nil {
			plans = append(plans, v.Plan)
		}
	}
	for _, op := range api.Operations {
		for _, v := range op.views {
			if v != nil {
				plans = append(plans, v.Plan)
			}
		}
	}
	if len(plans) == 0 {
		plans = append(plans, api.Plan)
	}
	for _, plan := range plans {
		if plan == nil {
			continue
		}
		for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound, engine.OnError} {
			var found []*engine.Compiled
			collectPolicy(plan.Section(sec), "validate-odata-request", &found, 0)
			for i, c := range found {
				if seen[c.Pos] {
					continue
				}
				switch {
				case api.Type != "odata":
					seen[c.Pos] = true
					errs.Add(c.Pos, c.Path, "<validate-odata-request> validates requests to an OData API (type odata, with its $metadata), and API %q is of type %s: put it in the policy of OData APIs only", api.Name, api.Type)
				case i > 0:
					seen[c.Pos] = true
					errs.Add(c.Pos, c.Path, "<validate-odata-request> may be used once in a policy section, and API %q's %s already has one (%s)", api.Name, sec, found[0].Pos)
				}
			}
		}
	}
}

// collectPolicy appends the steps of b (and of the blocks nested in
// them) that are the policy name.
func collectPolicy(b engine.Block, name string, out *[]*engine.Compiled, depth int) {
	if depth > 64 {
		return
	}
	for _, c := range b {
		if c.Name == name {
			*out = append(*out, c)
		}
		for _, br := range c.Branches {
			collectPolicy(br.Steps, name, out, depth+1)
		}
	}
}
