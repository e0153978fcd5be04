package gateway

import (
	"encoding/json"
	"hash"
	"os"
	"path/filepath"
	"strings"

	"tollgate/engine"
)

// resourceFile is one APIOps resource's information file:
// DIR/FOLDER/NAME/INFO.json.
type resourceFile struct {
	name, file string
	data       []byte
}

// resourceFolders lists the folders in base (a resource's NAME folders:
// links to folders count, hidden ones do not); none when base cannot be
// read.
func resourceFolders(base string) []string {
	ents, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if isDirEntry(base, e) && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// readResourceFiles reads DIR/folder/NAME/info for every resource folder
// NAME (hidden ones skipped). A folder without the file is reported ("a
// backend folder needs backendInformation.json", what = "backend").
func readResourceFiles(dir, folder, info, what string, errs *engine.ErrorList) []resourceFile {
	rdir := filepath.Join(dir, folder)
	var out []resourceFile
	for _, name := range resourceFolders(rdir) {
		file := filepath.Join(rdir, name, info)
		data, ok := readIf(file, errs)
		if !ok {
			errs.Add(engine.Pos{File: filepath.Join(rdir, name)}, "", "a %s folder needs %s", what, info)
			continue
		}
		out = append(out, resourceFile{name: name, file: file, data: data})
	}
	return out
}

// properties decodes the resource's properties with the configuration
// file's overrides of kind ("backends", "loggers") applied, and hashes
// both into common: whatever is built from them changes with them.
func (rf resourceFile) properties(kind string, over *overrides, common hash.Hash, errs *engine.ErrorList) (map[string]json.RawMessage, bool) {
	common.Write([]byte(kind + "\x00" + rf.name + "\x00"))
	common.Write(rf.data)
	common.Write(over.rawOf(kind, rf.name))
	var info resourceInfo
	if !decodeJSONFile(rf.file, rf.data, &info, errs) {
		return nil, false
	}
	return over.merge(kind, rf.name, info.Properties), true
}

// at is where the property k of the file is (its first "k":).
func (rf resourceFile) at(k string) engine.Pos { return jsonKeyPos(rf.file, rf.data, k) }
