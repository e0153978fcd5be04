package gateway

import (
	"bytes"
	"encoding/json"
	"hash"
	"os"
	"path/filepath"
	"sort"

	"tollgate/engine"
)

// Schema resources (APIM's global schemas), which validate-content names
// with schema-id: the folder's schemas/NAME/schemaInformation.json, as
// APIOps' extractor writes it ({"properties": {"schemaType": "json",
// "document": {...}}}, or the schema as text in "value").

// schemaFolders are where schema resources are read from.
var schemaFolders = []string{"schemas", "global schemas"}

func loadSchemas(dir string, common hash.Hash, errs *engine.ErrorList) map[string]engine.SchemaDoc {
	var out map[string]engine.SchemaDoc
	for _, folder := range schemaFolders {
		ents, err := os.ReadDir(filepath.Join(dir, folder))
		if err != nil {
			continue
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if isDirEntry(filepath.Join(dir, folder), e) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, name := range names {
			file := filepath.Join(dir, folder, name, "schemaInformation.json")
			data, ok := readIf(file, errs)
			if !ok {
				continue
			}
			var info struct {
				Properties struct {
					SchemaType string          `json:"schemaType"`
					Document   json.RawMessage `json:"document"`
					Value      json.RawMessage `json:"value"`
				} `json:"properties"`
			}
			if !decodeJSONFile(file, data, &info, errs) {
				continue
			}
			pr := info.Properties
			typ := pr.SchemaType
			if typ == "" {
				typ = "json"
			}
			var doc []byte
			switch {
			case len(pr.Document) > 0 && !bytes.Equal(pr.Document, []byte("null")):
				doc = pr.Document
			case len(pr.Value) > 0:
				var text string
				if json.Unmarshal(pr.Value, &text) == nil {
					doc = []byte(text)
				} else {
					doc = pr.Value // a document given as the value itself
				}
			default:
				errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "schema %q has no document (properties.document, or the schema as text in properties.value)", name)
				continue
			}
			if out == nil {
				out = map[string]engine.SchemaDoc{}
			}
			if _, dup := out[name]; dup {
				errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "schema %q is given twice", name)
				continue
			}
			out[name] = engine.SchemaDoc{Type: typ, Doc: doc, File: file}
			common.Write([]byte("schema\x00" + name + "\x00" + typ + "\x00"))
			common.Write(doc)
		}
	}
	return out
}
