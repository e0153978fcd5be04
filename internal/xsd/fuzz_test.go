package xsd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds are the schemas and instances of testdata/diff.
func fuzzSeeds(f *testing.F) (schemas, docs [][]byte) {
	files, _ := filepath.Glob("testdata/diff/*.txt")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range splitSections(&testing.T{}, file, data) {
			if strings.HasSuffix(s.name, ".xsd") {
				schemas = append(schemas, s.data)
			} else {
				docs = append(docs, s.data)
			}
		}
	}
	return schemas, docs
}

// FuzzCompile: any schema text compiles or is refused with located
// errors, never a panic or a hang.
func FuzzCompile(f *testing.F) {
	schemas, _ := fuzzSeeds(f)
	for _, s := range schemas {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Compile([]Doc{{Name: "f.xsd", Data: data}}, Limits{MaxModelStates: 2000, MaxTotalStates: 20000})
		if err != nil {
			for _, e := range err.(CompileErrors) {
				if e.Line < 1 || e.Col < 1 {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		set.Validate(data) // a schema as an instance of itself: anything goes, but no panic
	})
}

// FuzzValidate: any document against the seed schemas validates or is
// refused with located errors, never a panic.
func FuzzValidate(f *testing.F) {
	schemas, docs := fuzzSeeds(f)
	var sets []*Set
	for _, s := range schemas {
		if set, err := Compile([]Doc{{Name: "s.xsd", Data: s}}, Limits{}); err == nil {
			sets = append(sets, set)
		}
	}
	for i, d := range docs {
		f.Add(uint8(i), d)
	}
	f.Fuzz(func(t *testing.T, which uint8, doc []byte) {
		set := sets[int(which)%len(sets)]
		for _, e := range set.Validate(doc) {
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
	})
}
