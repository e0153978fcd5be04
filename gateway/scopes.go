package gateway

import (
	"hash"
	"path/filepath"
	"sort"
	"strings"

	"tollgate/engine"
)

// Policy scopes nest as in APIM: global, product, API, operation. Each
// scope's document splices its parent's section at <base/>. The product
// scope depends on the request (the product of its subscription), so an API
// is compiled once per product that contains it: API.views[i] is the API
// as served through product i (views[0]: through no product), and
// Operation.views[i] the same for one operation. A request picks its view
// with two slice indexings; nothing is compiled per request.

// apiExtras are the API folder's files besides api.xml and policy.xml:
// the OpenAPI specification and the operation policies.
type apiExtras struct {
	specFile string
	spec     []byte
	// opPolicies: operation id -> operations/ID/policy.xml
	opPolicies map[string]srcFile
	// graphql: a GraphQL API's schema (graphql.go)
	graphql srcFile
	// wsdl: a SOAP API's WSDL (soap.go)
	wsdl srcFile
	// wadl: a WADL description's operations (wadl.go)
	wadl srcFile
	// odata: an OData API's metadata (odata.go)
	odata srcFile
	// proto: a gRPC API's protobuf definition (grpcproto.go)
	proto srcFile
	// resolvers: a synthetic GraphQL API's (graphql_synthetic.go)
	resolvers []resolverSrc
	// opInfos: operations/ID/operationInformation.json, by ID (apiops-cli
	// writes one per operation: APIM's operation contract)
	opInfos map[string]srcFile
}

type srcFile struct {
	path string
	data []byte
}

// readAPIExtras reads an API folder's specification and operation policies.
func readAPIExtras(apiDir string, errs *engine.ErrorList) apiExtras {
	var x apiExtras
	for _, name := range specFiles {
		p := filepath.Join(apiDir, name)
		if data, ok := readIf(p, errs); ok {
			if x.specFile != "" {
				errs.Add(engine.Pos{File: p}, "", "an API has one specification; %s is there too", filepath.Base(x.specFile))
				continue
			}
			x.specFile, x.spec = p, data
		}
	}
	for _, name := range graphqlSchemaFiles {
		p := filepath.Join(apiDir, name)
		if data, ok := readIf(p, errs); ok {
			if x.graphql.path != "" {
				errs.Add(engine.Pos{File: p}, "", "a GraphQL API has one schema; %s is there too", filepath.Base(x.graphql.path))
				continue
			}
			x.graphql = srcFile{path: p, data: data}
		}
	}
	for _, name := range wsdlFiles {
		p := filepath.Join(apiDir, name)
		if data, ok := readIf(p, errs); ok {
			x.wsdl = srcFile{path: p, data: data}
		}
	}
	for _, name := range wadlFiles {
		p := filepath.Join(apiDir, name)
		if data, ok := readIf(p, errs); ok {
			x.wadl = srcFile{path: p, data: data}
		}
	}
	x.odata = readODataFile(apiDir, errs)
	for _, name := range protoFiles {
		p := filepath.Join(apiDir, name)
		if data, ok := readIf(p, errs); ok {
			x.proto = srcFile{path: p, data: data}
		}
	}
	x.resolvers = readResolvers(apiDir, errs)
	opsDir := filepath.Join(apiDir, "operations")
	for _, name := range resourceFolders(opsDir) {
		p := filepath.Join(opsDir, name, "policy.xml")
		if data, ok := readIf(p, errs); ok {
			if x.opPolicies == nil {
				x.opPolicies = map[string]srcFile{}
			}
			x.opPolicies[name] = srcFile{path: p, data: data}
		}
		p = filepath.Join(opsDir, name, "operationInformation.json")
		if data, ok := readIf(p, errs); ok {
			if x.opInfos == nil {
				x.opInfos = map[string]srcFile{}
			}
			x.opInfos[name] = srcFile{path: p, data: data}
		}
	}
	return x
}

// operationInformationOps reads the operations of an API that has no
// specification from its operations/ID/operationInformation.json files, as
// apiops-cli writes them: APIM's operation contract, {"properties":
// {"displayName", "method", "urlTemplate", ...}}. The operation's id is its
// folder's name. Where a specification is there, it declares the
// operations and these files are not read (the extractor writes both from
// one API, so they agree).
func operationInformationOps(x apiExtras, errs *engine.ErrorList) []specOp {
	ids := make([]string, 0, len(x.opInfos))
	for id := range x.opInfos {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []specOp
	for _, id := range ids {
		f := x.opInfos[id]
		var info struct {
			Properties struct {
				DisplayName string `json:"displayName"`
				Method      string `json:"method"`
				URLTemplate string `json:"urlTemplate"`
			} `json:"properties"`
		}
		if !decodeJSONFile(f.path, f.data, &info, errs) {
			continue
		}
		pr := info.Properties
		pos := engine.Pos{File: f.path, Line: 1, Col: 1}
		method := strings.ToUpper(pr.Method)
		switch {
		case pr.Method == "" || pr.URLTemplate == "":
			errs.Add(pos, "", "operation %q needs properties.method and properties.urlTemplate", id)
			continue
		case !isOpMethod(method):
			errs.Add(jsonKeyPos(f.path, f.data, "method"), "", "method %q is not an HTTP method (or * for any)", pr.Method)
			continue
		}
		name := pr.DisplayName
		if name == "" {
			name = id
		}
		out = append(out, specOp{id: id, name: name, method: method, template: pr.URLTemplate, pos: jsonKeyPos(f.path, f.data, "urlTemplate")})
	}
	return out
}

// hash adds the extras' bytes to h.
func (x apiExtras) hash(h hash.Hash) {
	h.Write([]byte(x.specFile))
	h.Write(x.spec)
	h.Write([]byte(x.graphql.path))
	h.Write(x.graphql.data)
	h.Write([]byte(x.wsdl.path))
	h.Write(x.wsdl.data)
	h.Write([]byte(x.wadl.path))
	h.Write(x.wadl.data)
	h.Write([]byte(x.odata.path))
	h.Write(x.odata.data)
	for _, r := range x.resolvers {
		h.Write([]byte(r.info.path))
		h.Write(r.info.data)
		h.Write([]byte(r.policy.path))
		h.Write(r.policy.data)
	}
	h.Write([]byte(x.proto.path))
	h.Write(x.proto.data)
	infoIDs := make([]string, 0, len(x.opInfos))
	for id := range x.opInfos {
		infoIDs = append(infoIDs, id)
	}
	sort.Strings(infoIDs)
	for _, id := range infoIDs {
		h.Write([]byte(id + "\x00" + x.opInfos[id].path + "\x00"))
		h.Write(x.opInfos[id].data)
	}
	for _, id := range x.opIDs() {
		h.Write([]byte(id))
		h.Write(x.opPolicies[id].data)
	}
}

func (x apiExtras) opIDs() []string {
	ids := make([]string, 0, len(x.opPolicies))
	for id := range x.opPolicies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// scopeInputs are what every API's scopes are compiled with.
type scopeInputs struct {
	comp     *engine.Compiler
	global   *engine.Plan
	products []*Product
}

// onHandshake is the single operation of every WebSocket API, as in APIM.
var onHandshake = &engine.Operation{Id: "onHandshake", Name: "onHandshake", Method: "GET", UrlTemplate: "/"}

// buildScopes reads the API's operations and compiles its product and
// operation scopes. api.Plan is the API policy over the global one.
func buildScopes(api *API, proot *engine.Node, x apiExtras, in scopeInputs, errs *engine.ErrorList) {
	decls := api.opDecls
	var soapOps map[string]*engine.SOAPOperation // from the WSDL: each operation's messages
	specBroken := false                          // the specification has errors: its operations are unknown
	*errs = append(*errs, api.opErrs...)
	if api.Type == "odata" {
		// APIM gives an OData API no operations (odata.go).
		for _, d := range decls {
			errs.Add(d.pos, "", "an OData API has no operations (APIM gives it none): its requests are the service's, and its policies are the API's")
		}
		decls = nil
		if x.specFile != "" {
			errs.Add(engine.Pos{File: x.specFile, Line: 1, Col: 1}, "", "an OData API is described by its $metadata (specification.xml), not an OpenAPI specification")
			x.specFile = ""
		}
	}
	if api.Type == "grpc" && x.specFile != "" {
		errs.Add(engine.Pos{File: x.specFile, Line: 1, Col: 1}, "", "a gRPC API's operations come from its protobuf definition (specification.proto), not an OpenAPI specification")
		x.specFile = ""
	}
	if x.proto.path != "" {
		if api.Type != "grpc" {
			errs.Add(engine.Pos{File: x.proto.path, Line: 1, Col: 1}, "", "a .proto describes a gRPC API: give the API type \"grpc\" (it is %q)", api.Type)
		} else {
			decls = append(decls, specOps(errs, &specBroken, func() []specOp { return parseProto(x.proto.path, x.proto.data, errs) })...)
		}
	}
	if x.specFile != "" {
		if api.Type == "soap" {
			errs.Add(engine.Pos{File: x.specFile, Line: 1, Col: 1}, "", "a SOAP API's operations come from its WSDL (specification.wsdl), not an OpenAPI specification")
		} else {
			decls = append(decls, specOps(errs, &specBroken, func() []specOp { return parseSpec(x.specFile, x.spec, api.specOpts, errs) })...)
		}
	}
	if x.wadl.path != "" {
		switch {
		case x.specFile != "":
			errs.Add(engine.Pos{File: x.wadl.path, Line: 1, Col: 1}, "", "an API has one specification; %s is there too", filepath.Base(x.specFile))
		case api.Type != "http":
			errs.Add(engine.Pos{File: x.wadl.path, Line: 1, Col: 1}, "", "a WADL describes an HTTP API, not one of type %q", api.Type)
		default:
			decls = append(decls, specOps(errs, &specBroken, func() []specOp { return parseWADL(x.wadl.path, x.wadl.data, errs) })...)
		}
	}
	if x.wsdl.path != "" {
		if api.Type != "soap" {
			errs.Add(engine.Pos{File: x.wsdl.path, Line: 1, Col: 1}, "", "a WSDL describes a SOAP API: give the API type \"soap\" (it is %q)", api.Type)
		} else {
			decls = append(decls, specOps(errs, &specBroken, func() []specOp { return parseWSDL(x.wsdl.path, x.wsdl.data, errs) })...)
			if set := wsdlSchemas(x.wsdl.path, x.wsdl.data, errs); set != nil && api.Info != nil {
				engine.SetSOAPSchemas(api.Info, set)
			}
			soapOps = wsdlMessages(x.wsdl.data)
		}
	}
	if x.specFile == "" && x.wadl.path == "" && x.wsdl.path == "" && x.proto.path == "" && len(x.opInfos) > 0 && api.Type == "http" {
		decls = append(decls, specOps(errs, &specBroken, func() []specOp { return operationInformationOps(x, errs) })...)
	}
	api.router, api.soap = nil, nil
	if api.Type == "websocket" {
		for _, d := range decls {
			errs.Add(d.pos, "", "a WebSocket API has the single operation onHandshake; it cannot declare operations")
		}
		api.Operations = []*Operation{{Info: onHandshake}}
	} else if len(decls) > 0 {
		if api.Type == "soap" {
			api.soap = &soapRouter{}
		} else {
			api.router = &opRouter{}
		}
		ids := map[string]bool{}
		for _, d := range decls {
			if ids[d.id] {
				errs.Add(d.pos, "", "operation id %q is already used in this API", d.id)
				continue
			}
			ids[d.id] = true
			op := &Operation{Info: &engine.Operation{Id: d.id, Name: d.name, Method: d.method, UrlTemplate: d.template, Spec: d.spec, SOAP: soapOps[d.id]}, pos: d.pos, grpc: d.grpc}
			if api.soap != nil {
				if err := api.soap.add(op); err != nil {
					errs.Add(d.pos, "", "%s", err.Error())
					continue
				}
				api.Operations = append(api.Operations, op)
				continue
			}
			tpl, err := parseTemplate(d.template)
			if err != nil {
				errs.Add(d.pos, "", "%s", err.Error())
				continue
			}
			op.tpl = tpl
			if err := api.router.add(op); err != nil {
				errs.Add(d.pos, "", "%s", err.Error())
				continue
			}
			api.Operations = append(api.Operations, op)
		}
	} else if (x.specFile != "" || x.wadl.path != "") && !specBroken && api.Type == "http" {
		// A specification that declares no operation (an API created in
		// APIM and given none yet: the extractor writes "paths: {}") makes
		// an API without operations, which APIM answers 404 for every
		// request; only an API with no specification at all serves every
		// request (tollgate's layout).
		api.router = &opRouter{}
	} else if api.Type == "soap" && x.wsdl.path == "" {
		// Reported at the API's definition: the WSDL is the file missing.
		def := filepath.Join(api.Dir, "api.xml")
		if info := filepath.Join(api.Dir, "apiInformation.json"); fileIsThere(info) {
			def = info
		}
		errs.Add(engine.Pos{File: def, Line: 1, Col: 1}, "",
			"SOAP API %q has no operations: give it its WSDL (specification.wsdl) or <operations> in api.xml", api.Name)
	}
	known := map[string]*Operation{}
	for _, op := range api.Operations {
		known[op.Info.Id] = op
	}
	// A specification's operationId that APIM's normalization changed
	// names its operation's policy folder too (openapi.go).
	for _, d := range decls {
		if op := known[d.id]; op != nil && d.alias != "" && known[d.alias] == nil {
			known[d.alias] = op
		}
	}
	// APIOps' early extractor releases named an operation's policy folder
	// after its display name (operations/Retrieve resource/, the
	// specification's summary): a folder that is no operation's id names
	// the one operation of that display name.
	byName := map[string][]*Operation{}
	for _, op := range api.Operations {
		if op.Info.Name != "" {
			byName[op.Info.Name] = append(byName[op.Info.Name], op)
		}
	}
	opRoots := map[*Operation]*engine.Node{}
	for _, id := range x.opIDs() {
		f := x.opPolicies[id]
		op := known[id]
		if op == nil && len(byName[id]) > 1 {
			var ids []string
			for _, o := range byName[id] {
				ids = append(ids, o.Info.Id)
			}
			errs.Add(engine.Pos{File: f.path, Line: 1, Col: 1}, "", "API %q has no operation %q for this policy, and %d operations have that display name (%s): name the folder after the operation's id", api.Name, id, len(ids), strings.Join(ids, ", "))
			continue
		}
		if op == nil && len(byName[id]) == 1 {
			op = byName[id][0]
		}
		if op == nil {
			if !specBroken { // else the specification's errors say why
				errs.Add(engine.Pos{File: f.path, Line: 1, Col: 1}, "", "API %q has no operation %q for this policy%s", api.Name, id, operationList(api.Operations))
			}
			continue
		}
		if op.policyFile != "" {
			errs.Add(engine.Pos{File: f.path, Line: 1, Col: 1}, "", "operation %q of API %q has a policy already (%s)", op.Info.Id, api.Name, op.policyFile)
			continue
		}
		op.policyFile = f.path
		root, err := engine.Read(f.path, f.data)
		if err != nil {
			errs.Append(err)
			continue
		}
		opRoots[op] = root
	}

	// One view per product containing the API, plus views[0] (no product).
	api.views = make([]*API, len(in.products)+1)
	api.openProduct = 0
	api.views[0] = api.view(api.Plan, nil, nil)
	before := len(in.comp.Errors())
	for i, p := range in.products {
		if !p.has(api.Name) {
			continue
		}
		plan := p.plan
		if proot != nil && len(in.comp.Errors()) == before { // report a broken API policy once
			plan = in.comp.Compile(proot, "api", p.plan)
		}
		api.views[i+1] = api.view(plan, nil, p.Info)
		if !p.SubscriptionRequired && p.Published && api.openProduct == 0 {
			api.openProduct = i + 1
		}
	}
	for _, op := range api.Operations {
		op.views = make([]*API, len(api.views))
		root := opRoots[op]
		start := len(in.comp.Errors())
		for i, v := range api.views {
			if v == nil {
				continue
			}
			plan := v.Plan
			if root != nil && (i == 0 || len(in.comp.Errors()) == start) {
				plan = in.comp.Compile(root, "operation", v.Plan)
			}
			op.views[i] = v.view(plan, op.Info, v.Product)
		}
	}
	api.setPreflights()
}

// view returns the API as served with plan, for op and product.
func (a *API) view(plan *engine.Plan, op *engine.Operation, prod *engine.Product) *API {
	v := *a
	v.Plan, v.Operation, v.Product = plan, op, prod
	return &v
}

// parseOperationsElement reads api.xml's <operations>:
//
//	<operations>
//	  <operation id="get-user" name="Get user" method="GET" url-template="/users/{id}"/>
//	</operations>
func parseOperationsElement(n *engine.Node, errs *engine.ErrorList) []specOp {
	for _, a := range n.Attrs {
		errs.Add(a.Pos, "", "<operations> has no attributes")
	}
	var out []specOp
	for _, c := range n.Children {
		if c.Name != "operation" {
			errs.Add(c.Pos, "", "unexpected element <%s> inside <operations> (expected <operation>)", c.Name)
			continue
		}
		op := specOp{pos: c.Pos}
		for _, a := range c.Attrs {
			switch a.Name {
			case "id":
				op.id = a.Value
			case "name":
				op.name = a.Value
			case "method":
				op.method = strings.ToUpper(a.Value)
				if !isOpMethod(op.method) {
					errs.Add(a.ValuePos, "", "method %q is not an HTTP method (or * for any)", a.Value)
				}
			case "url-template":
				op.template = a.Value
			default:
				errs.Add(a.Pos, "", "<operation> has no attribute %q (known: id, name, method, url-template)", a.Name)
			}
		}
		for _, c2 := range c.Children {
			errs.Add(c2.Pos, "", "unexpected element <%s> inside <operation> (its policy goes in operations/ID/policy.xml)", c2.Name)
		}
		if op.method == "" || op.template == "" {
			errs.Add(c.Pos, "", "<operation> needs the attributes \"method\" and \"url-template\"")
			continue
		}
		if op.id == "" {
			op.id = derivedOpID(op.method, op.template)
		} else if !validAPIName(op.id) {
			errs.Add(c.Pos, "", "operation id %q: use letters, digits, '-', '_' and '.'", op.id)
		}
		if op.name == "" {
			op.name = op.id
		}
		out = append(out, op)
	}
	return out
}

// specOps runs a specification's parser and notes in broken whether it
// reported an error.
func specOps(errs *engine.ErrorList, broken *bool, parse func() []specOp) []specOp {
	n := len(*errs)
	ops := parse()
	*broken = *broken || len(*errs) > n
	return ops
}

func isOpMethod(m string) bool {
	for _, x := range opMethods {
		if m == x {
			return true
		}
	}
	return false
}

// operationList names an API's operations for an error (" (its
// operations: a, b)"), at most 20 of them.
func operationList(ops []*Operation) string {
	if len(ops) == 0 {
		return " (it has no operations)"
	}
	names := make([]string, 0, len(ops))
	for i, op := range ops {
		if i == 20 {
			names = append(names, "…")
			break
		}
		names = append(names, op.Info.Id)
	}
	return " (its operations: " + strings.Join(names, ", ") + ")"
}
