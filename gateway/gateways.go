package gateway

import (
	"bytes"
	"encoding/json"
	"hash"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"tollgate/engine"
)

// GatewayInfo is the APIM gateway resource a tollgate serves as
// (LoadOptions.Gateway): APIOps' gateways/NAME/gatewayInformation.json.
type GatewayInfo struct {
	Name     string
	Location string // locationData.name
}

// selectGatewayAPIs keeps the APIs assigned to the self-hosted gateway
// name (gateways/NAME/apis.json, [{"name": "API"}, …]), as an APIM
// self-hosted gateway serves only the APIs assigned to it. The others are
// still loaded and checked (a product or subscription may name them) but
// not served: one notice lists them. A gateway that is not in the folder,
// or an apis.json entry that names no API, is a load error.
func selectGatewayAPIs(dir, name string, apis []*API, failed notLoaded, h hash.Hash, errs *engine.ErrorList, notes *[]string) ([]*API, *GatewayInfo) {
	gdir := filepath.Join(dir, "gateways", name)
	infoFile := filepath.Join(gdir, "gatewayInformation.json")
	data, err := os.ReadFile(infoFile)
	if err != nil || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		var have []string
		if ents, err := os.ReadDir(filepath.Join(dir, "gateways")); err == nil {
			for _, e := range ents {
				if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
					have = append(have, e.Name())
				}
			}
		}
		if len(have) == 0 {
			errs.Add(engine.Pos{File: filepath.Join(dir, "gateways")}, "", "gateway %q: the folder has no gateways (gateways/NAME/gatewayInformation.json)", name)
		} else {
			errs.Add(engine.Pos{File: filepath.Join(dir, "gateways")}, "", "gateway %q is not in the folder (gateways: %s)", name, strings.Join(have, ", "))
		}
		return nil, nil
	}
	h.Write([]byte("gateway\x00" + name + "\x00"))
	h.Write(data)
	gw := &GatewayInfo{Name: name}
	var info struct {
		Properties struct {
			LocationData struct {
				Name string `json:"name"`
			} `json:"locationData"`
		} `json:"properties"`
	}
	if decodeJSONFile(infoFile, data, &info, errs) {
		gw.Location = info.Properties.LocationData.Name
	}
	assigned := map[string]bool{}
	apisFile := filepath.Join(gdir, "apis.json")
	if adata, ok := readIf(apisFile, errs); ok {
		h.Write(adata)
		var list []struct {
			Name string `json:"name"`
		}
		if decodeJSONFile(apisFile, adata, &list, errs) {
			byName := map[string]bool{}
			for _, a := range apis {
				byName[a.Name] = true
			}
			for _, a := range list {
				if !byName[a.Name] && failed.anyScope(a.Name) {
					errs.Add(jsonValuePos(apisFile, adata, a.Name), "", "gateway %q lists API %q, which "+didNotLoad, name, a.Name)
					continue
				}
				if !byName[a.Name] {
					errs.Add(jsonValuePos(apisFile, adata, a.Name), "", "gateway %q lists API %q, which does not exist", name, a.Name)
					continue
				}
				assigned[a.Name] = true
			}
		}
	}
	var served []*API
	var left []string
	for _, a := range apis {
		switch {
		case assigned[a.Name]:
			served = append(served, a)
		case !slices.Contains(left, a.Name): // an API's revisions: named once
			left = append(left, a.Name)
		}
	}
	if len(left) > 0 {
		sort.Strings(left)
		*notes = append(*notes, apisFile+": ignored: API "+strings.Join(left, ", ")+" (not assigned to gateway "+name+")")
	}
	return served, gw
}

// jsonValuePos finds where the string value v first appears in a JSON
// file, or the file's start.
func jsonValuePos(file string, data []byte, v string) engine.Pos {
	q, _ := json.Marshal(v)
	i := bytes.Index(data, q)
	if i < 0 {
		return engine.Pos{File: file, Line: 1, Col: 1}
	}
	return offsetPos(file, data, int64(i)+1) // offsetPos takes the offset after the byte
}
