package console_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/gateway/console"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// FuzzFileView: whatever path is asked for, the file view serves only
// files inside the apis folder (a file outside holds OUTSIDE).
func FuzzFileView(f *testing.F) {
	root := f.TempDir()
	dir := filepath.Join(root, "apis")
	testutil.WriteFile(f, filepath.Join(dir, "a/api.xml"), `<api name="a" type="http" path="/a" service-url="http://127.0.0.1:1"/>`)
	if err := os.WriteFile(filepath.Join(root, "outside.txt"), []byte("OUTSIDE"), 0o644); err != nil {
		f.Fatal(err)
	}
	_ = os.Symlink(filepath.Join(root, "outside.txt"), filepath.Join(dir, "a", "link"))
	_ = os.Symlink(root, filepath.Join(dir, "up"))
	srv, err := gateway.New(gateway.Options{Dir: dir, Log: zap.NewNop(),
		Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}), Getenv: func(string) string { return "" }})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	con := console.New(console.Options{Server: srv})
	defer con.Close()
	con.Register(mux)
	for _, s := range []string{"a/api.xml", "../outside.txt", "a/link", "up/outside.txt", "a/../../outside.txt", "/etc/passwd", "a\\..\\..\\outside.txt", "%2e%2e/outside.txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/console/api/file?path="+url.QueryEscape(p), nil))
		if strings.Contains(rec.Body.String(), "OUTSIDE") {
			t.Fatalf("path %q served a file outside the apis folder", p)
		}
		if rec.Code == 200 {
			var v struct{ Path string }
			if json.Unmarshal(rec.Body.Bytes(), &v) != nil || v.Path != p {
				t.Fatalf("path %q: odd answer %s", p, rec.Body.String())
			}
		}
	})
}
