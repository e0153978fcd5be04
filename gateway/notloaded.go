package gateway

import (
	"path/filepath"
	"strings"
)

// notLoaded are the APIs whose definition is in the folder but did not
// load, for their own errors (a malformed apiInformation.json or api.xml,
// a path another API already uses, ...). What names one of them (a
// product's apis.json, a subscription's scope, a gateway's apis.json, an
// MCP tool) says that it did not load, not that it does not exist: the
// cause is listed once, where it is.
type notLoaded map[notLoadedKey]bool

// notLoadedKey is an API by scope ("" for the service, else the
// workspace's id) and name (case folded, as lookups by name may be).
type notLoadedKey struct{ ws, name string }

// didNotLoad is the end of a message about a reference to such an API.
const didNotLoad = "did not load (its own errors are listed)"

func (n notLoaded) add(sc *resourceScope, name string) {
	if name != "" {
		n[notLoadedKey{sc.workspaceName(), strings.ToLower(name)}] = true
	}
}

func (n notLoaded) has(ws, name string) bool {
	return n[notLoadedKey{ws, strings.ToLower(name)}]
}

// anyScope reports whether an API of that name did not load in any scope.
func (n notLoaded) anyScope(name string) bool {
	name = strings.ToLower(name)
	for k := range n {
		if k.name == name {
			return true
		}
	}
	return false
}

// folderAPIName is the name an API folder's definition gives when it
// cannot be read: APIOps names an API by its folder (NAME;rev=N for a
// revision), tollgate's api.xml by its name attribute, when it has one.
func folderAPIName(src apiSource, xmlName string) string {
	if src.json {
		if src.folder != "" {
			return apiName(src.folder)
		}
		return extractedAPIName(filepath.Base(src.dir), src.data)
	}
	if xmlName != "" {
		return xmlName
	}
	return filepath.Base(src.dir)
}
