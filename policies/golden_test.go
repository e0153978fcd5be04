package policies

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tollgate/engine"
	"tollgate/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// goldenNamed are the named values every golden document may use. "count"
// is numeric so it can stand inside an expression and shift columns.
func goldenNamed() *engine.NamedValues {
	return engine.NewNamedValues(
		engine.NamedValue{Name: "backend", Value: "ws://127.0.0.1:9/"},
		engine.NamedValue{Name: "count", Value: "12345"},
		engine.NamedValue{Name: "secret", Value: "s3cr3t", Secret: true},
	)
}

// loadErrors reads and compiles one document exactly as the gateway does
// (real registry, memory store, engine compiler) and returns every problem,
// one "file:line:col: path: message" per line, then its notices (prefixed
// "notice: ").
func loadErrors(t *testing.T, name string, src []byte) string {
	t.Helper()
	var errs engine.ErrorList
	var notices []string
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s: panic while loading: %v", name, r)
			}
		}()
		root, err := engine.Read(name, src)
		if err != nil {
			errs.Append(err)
			return
		}
		c := engine.NewCompiler(Registry(Deps{Store: store.NewMemory()}), goldenNamed())
		c.Schemas = testSchemas()
		if root.Name == "policies" {
			c.Compile(root, "api", nil)
		} else { // a GraphQL resolver's document (http-data-source)
			c.CompileResolver(root, "resolver")
		}
		errs = c.Errors()
		notices = c.TakeNotices()
	}()
	var b strings.Builder
	for _, e := range errs {
		checkLocated(t, e)
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	for _, n := range notices { // what loads, but not as it may look
		b.WriteString("notice: " + n + "\n")
	}
	return b.String()
}

// checkLocated fails unless e names a file, a line and a column.
func checkLocated(t testing.TB, e *engine.Error) {
	t.Helper()
	if e.Pos.File == "" || e.Pos.Line < 1 || e.Pos.Col < 1 {
		t.Errorf("error without a full position: %q (%+v)", e.Error(), e.Pos)
	}
}

// TestLoadErrorsGolden compiles every testdata/load-errors/*.xml and compares
// the reported problems with the matching .golden file. An empty golden file
// means the document must load cleanly. Run with -update to regenerate, then
// review the diff by eye: each line:col must point at the offending character.
func TestLoadErrorsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "load-errors", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".xml"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := loadErrors(t, name, src)
			if strings.Contains(got, "s3cr3t") {
				t.Errorf("a secret named value was printed:\n%s", got)
			}
			golden := strings.TrimSuffix(f, ".xml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestLoadErrorsGolden -update ./policies/)", err)
			}
			if got != string(want) {
				t.Errorf("load errors differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
			// Every non-empty golden is about an error: the document must not load.
			if !strings.Contains(name, "-ok") && got == "" {
				t.Errorf("%s loads without errors; a bad input must never be ignored silently", name)
			}
		})
	}
}

// TestLoadErrorsCaret prints each error with its source line and a caret,
// so a reviewer can check positions at a glance (go test -v -run Caret).
func TestLoadErrorsCaret(t *testing.T) {
	if !testing.Verbose() {
		return // only useful with -v
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "load-errors", "*.xml"))
	for _, f := range files {
		src, _ := os.ReadFile(f)
		lines := bytes.Split(src, []byte("\n"))
		root, err := engine.Read(filepath.Base(f), src)
		var errs engine.ErrorList
		if err != nil {
			errs.Append(err)
		} else {
			c := engine.NewCompiler(Registry(Deps{Store: store.NewMemory()}), goldenNamed())
			c.Compile(root, "api", nil)
			errs = c.Errors()
		}
		for _, e := range errs {
			var el *engine.Error
			if !errors.As(e, &el) || el.Pos.Line < 1 || el.Pos.Line > len(lines) {
				t.Logf("%s", e)
				continue
			}
			line := []rune(string(lines[el.Pos.Line-1]))
			caret := strings.Repeat(" ", min(el.Pos.Col-1, len(line))) + "^"
			t.Logf("%s\n\t%s\n\t%s", e, string(line), caret)
		}
		fmt.Fprint(os.Stderr)
	}
}
