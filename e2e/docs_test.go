package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsSelfContained: every Markdown file of the repository links only
// to files in it (relative links resolve) and points readers to no notes
// that live outside it.
func TestDocsSelfContained(t *testing.T) {
	root := ".."
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// Spelt in pieces so that this file is not itself a pointer outside.
	outside := regexp.MustCompile(`shared/` + `reference|\.\./` + `shared|steering repo`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".md") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text := string(data)
		if m := outside.FindString(text); m != "" {
			t.Errorf("%s points outside the repository (%q)", p, m)
		}
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), target)); err != nil {
				t.Errorf("%s links to %s, which is not in the repository", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
