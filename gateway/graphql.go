package gateway

import (
	"net/http"
	"path/filepath"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"tollgate/engine"
	"tollgate/policies"
)

// GraphQL pass-through APIs (type="graphql" in api.xml, "type": "graphql"
// in APIOps' apiInformation.json): served as HTTP APIs (requests are
// forwarded to the service URL as they come), with the schema of the
// folder's schema.graphql (or APIOps' specification.graphql) parsed at
// load, for validate-graphql-request (docs/policies-validation.md).

// servesWebSocket reports whether r goes to the WebSocket data path: every
// request of a WebSocket API, and a GraphQL API's WebSocket upgrades (its
// subscriptions, graphql-transport-ws or graphql-ws), relayed to the
// service URL's ws(s):// twin as a WebSocket API's are.
func (a *API) servesWebSocket(r *http.Request) bool {
	return a.Type == "websocket" || (a.Type == "graphql" && isUpgrade(r))
}

// graphqlSchemaFiles are the names a GraphQL API's schema may have in its
// folder.
var graphqlSchemaFiles = []string{"schema.graphql", "specification.graphql"}

// maxSchemaBytes bounds a schema file.
const maxSchemaBytes = 8 << 20

// typedSpec reports whether f, the file that describes an API of type typ
// (a GraphQL schema, an OData service's metadata: what it is), is to be
// read for api. The file belongs to that type alone, and that type cannot
// do without it: a file in the folder of an API of another type is
// reported at the file, a missing one (needs: what the folder needs) at
// the API's definition (defPos).
func typedSpec(api *API, typ string, f srcFile, what, needs string, defPos engine.Pos, errs *engine.ErrorList) bool {
	if api.Type != typ {
		if f.path != "" {
			errs.Add(engine.Pos{File: f.path, Line: 1, Col: 1}, "", "%s is %s, read for an API of type %s only (API %q is %s)",
				filepath.Base(f.path), what, typ, api.Name, api.Type)
		}
		return false
	}
	if f.path == "" {
		errs.Add(defPos, "", "API %q is of type %s: its folder needs %s", api.Name, typ, needs)
		return false
	}
	return true
}

// loadGraphQLSchema parses a GraphQL API's schema into api.Info (where
// policies find it); a schema problem is reported at its line and column.
func loadGraphQLSchema(api *API, f srcFile, defPos engine.Pos, errs *engine.ErrorList) {
	if !typedSpec(api, "graphql", f, "a GraphQL schema", "its schema, schema.graphql (APIOps: specification.graphql)", defPos, errs) {
		return
	}
	if len(f.data) > maxSchemaBytes {
		errs.Add(engine.Pos{File: f.path, Line: 1, Col: 1}, "", "the GraphQL schema is larger than %d bytes", maxSchemaBytes)
		return
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: f.path, Input: string(f.data)})
	if err != nil {
		addGraphQLErrors(f.path, err, errs)
		return
	}
	if api.Info != nil {
		engine.SetGraphQLSchema(api.Info, schema)
	}
}

func addGraphQLErrors(file string, err error, errs *engine.ErrorList) {
	for _, e := range policies.GraphQLErrors(err) {
		pos := engine.Pos{File: file, Line: 1, Col: 1}
		if len(e.Locations) > 0 {
			pos.Line, pos.Col = e.Locations[0].Line, e.Locations[0].Column
		}
		errs.Add(pos, "", "GraphQL schema: %s", e.Message)
	}
}
