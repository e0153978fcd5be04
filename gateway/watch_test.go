package gateway

// The watcher against the ways editors and deploy tools really write files.
// Real files, real fsnotify, real sockets; the harness is in reload_test.go.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// TestWatchInPlaceWrite: the file is rewritten in place (same inode, no
// truncation first: new bytes over old, then cut to length).
func TestWatchInPlaceWrite(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(true)
	live := e.open("/chat")
	t0 := time.Now()
	f, err := os.OpenFile(filepath.Join(e.dir, "chat", "policy.xml"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	content := hrPolicy("v2-in-place")
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(len(content))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e.waitHello("/chat", "hello v2-in-place", t0)
	e.mustEcho("in-place write", live)
	if live.hello != "hello v1" {
		t.Fatal(live.hello)
	}
}

// TestWatchTruncateThenWrite: the file is emptied, stays empty for longer
// than the debounce (so a reload sees it empty and fails), then written.
// The empty state is never served; the final state wins.
func TestWatchTruncateThenWrite(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(true)
	live := e.open("/chat")
	policy := filepath.Join(e.dir, "chat", "policy.xml")
	fails := e.reloads("failure")

	t0 := time.Now()
	f, err := os.OpenFile(policy, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.waitReload(t0); st.Result != ReloadFailure || len(st.Errors) != 1 || !strings.Contains(st.Errors[0], "policy.xml:1:1: empty document") {
		t.Fatalf("the empty file: %+v", st)
	}
	e.wantHello("/chat", "hello v1") // still the old policy, not "no policy"
	// Half written: malformed, fails too.
	full := hrPolicy("v2")
	if _, err := f.Write([]byte(full[:30])); err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	if st := e.waitReload(t1); st.Result != ReloadFailure {
		t.Fatalf("the half-written file: %+v", st)
	}
	e.wantHello("/chat", "hello v1")
	if _, err := f.Write([]byte(full[30:])); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e.waitHello("/chat", "hello v2", t0)
	if got := e.reloads("failure") - fails; got < 2 {
		t.Errorf("%v failed reloads, want ≥ 2", got)
	}
	e.mustEcho("truncate-then-write", live)
}

// TestWatchRenameOver: atomic writers (a temporary file renamed onto the
// target), VS Code, and vim's default (rename the original to a backup,
// write a new file, delete the backup).
func TestWatchRenameOver(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(true)
	live := e.open("/chat")
	policy := filepath.Join(e.dir, "chat", "policy.xml")

	t0 := time.Now()
	hrRenameOver(t, policy, hrPolicy("v2-renamed"))
	e.waitHello("/chat", "hello v2-renamed", t0)

	// vim: policy.xml -> policy.xml~, new policy.xml (a new inode), then
	// the backup goes; plus the swap file it keeps while editing.
	t0 = time.Now()
	if err := os.WriteFile(filepath.Join(e.dir, "chat", ".policy.xml.swp"), []byte("vim swap"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(policy, policy+"~"); err != nil {
		t.Fatal(err)
	}
	testutil.WriteFile(t, policy, hrPolicy("v3-vim"))
	if err := os.Remove(policy + "~"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(e.dir, "chat", ".policy.xml.swp")); err != nil {
		t.Fatal(err)
	}
	e.waitHello("/chat", "hello v3-vim", t0)

	// And the new file is watched like the old one.
	t0 = time.Now()
	testutil.WriteFile(t, policy, hrPolicy("v4"))
	e.waitHello("/chat", "hello v4", t0)
	e.mustEcho("rename-over saves", live)
}

// TestWatchNewAPIFolder: a folder appears with its files; it is served,
// and later edits inside it are seen (the new folder is watched).
func TestWatchNewAPIFolder(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(true)
	t0 := time.Now()
	e.writeAPI("games", "/games", "g1", "")
	e.waitHello("/games", "hello g1", t0)
	if st := e.srv.LastReload(); st.Result != ReloadSuccess || !slices.Contains(st.Changed, "+games") {
		t.Fatalf("%+v", st)
	}
	t0 = time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "games", "policy.xml"), hrPolicy("g2"))
	e.waitHello("/games", "hello g2", t0)

	// A folder copied in one go by a deploy tool (cp -r of a prepared tree).
	staged := filepath.Join(t.TempDir(), "news")
	testutil.WriteFile(t, filepath.Join(staged, "api.xml"), e.apiXML("news", "/news", ""))
	testutil.WriteFile(t, filepath.Join(staged, "policy.xml"), hrPolicy("n1"))
	t0 = time.Now()
	if err := os.Rename(staged, filepath.Join(e.dir, "news")); err != nil {
		t.Fatal(err)
	}
	e.waitHello("/news", "hello n1", t0)
	t0 = time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "news", "policy.xml"), hrPolicy("n2"))
	e.waitHello("/news", "hello n2", t0)
}

// TestWatchDeletedAPIFolder: new requests get 404; live sessions of the
// removed API keep running under their old plan.
func TestWatchDeletedAPIFolder(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.writeAPI("old", "/old", "o1", `drain-on-change="true" drain-after="0" drain-window="0"`)
	e.start(true)
	live := e.open("/old")
	t0 := time.Now()
	if err := os.RemoveAll(filepath.Join(e.dir, "old")); err != nil {
		t.Fatal(err)
	}
	e.waitHello("/old", "status 404", t0)
	if st := e.srv.LastReload(); st.Result != ReloadSuccess || st.APIs != 1 || !slices.Contains(st.Changed, "-old") {
		t.Fatalf("%+v", st)
	}
	e.wantHello("/chat", "hello v1")
	time.Sleep(200 * time.Millisecond) // drain-after="0" would have struck by now
	for i := 0; i < 5; i++ {
		e.mustEcho("a session of a removed API", live)
	}
	if got := e.srv.sessions.count(); got != 1 {
		t.Fatalf("%d sessions, want 1", got)
	}
	// The folder coming back serves again.
	t0 = time.Now()
	e.writeAPI("old", "/old", "o2", "")
	e.waitHello("/old", "hello o2", t0)
	e.mustEcho("a session of a removed API, after it came back", live)
}

// TestWatchConfigMapSymlinkSwap: the Kubernetes ConfigMap volume layout.
// Each API folder is a link through ..data, itself a link to a timestamped
// folder; an update writes a new timestamped folder and renames a new
// ..data link over the old one, then deletes the old folder.
func TestWatchConfigMapSymlinkSwap(t *testing.T) {
	e := hrNew(t)
	gen := 0
	publish := func(version string) {
		t.Helper()
		gen++
		ts := "..2026_01_01_00_00_0" + strconv.Itoa(gen)
		testutil.WriteFile(t, filepath.Join(e.dir, ts, "chat", "api.xml"), e.apiXML("chat", "/chat", ""))
		testutil.WriteFile(t, filepath.Join(e.dir, ts, "chat", "policy.xml"), hrPolicy(version))
		testutil.WriteFile(t, filepath.Join(e.dir, ts, "named-values.xml"), "<named-values/>\n")
		tmp := filepath.Join(e.dir, "..data_tmp")
		if err := os.Symlink(ts, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(e.dir, "..data")); err != nil {
			t.Fatal(err)
		}
		if gen > 1 {
			if err := os.RemoveAll(filepath.Join(e.dir, "..2026_01_01_00_00_0"+strconv.Itoa(gen-1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish("c1")
	for _, l := range [][2]string{{"..data/chat", "chat"}, {"..data/named-values.xml", "named-values.xml"}} {
		if err := os.Symlink(l[0], filepath.Join(e.dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	e.start(true)
	e.wantHello("/chat", "hello c1")
	live := e.open("/chat")

	for _, v := range []string{"c2", "c3", "c4"} {
		t0 := time.Now()
		publish(v)
		e.waitHello("/chat", "hello "+v, t0)
		// The real folder behind the link is what is watched now.
		real, err := filepath.EvalSymlinks(filepath.Join(e.dir, "chat"))
		if err != nil {
			t.Fatal(err)
		}
		waitForCond(t, "the new target to be watched", func() bool { return slices.Contains(e.w.Folders(), real) })
	}
	// An edit made inside the current target (not through a swap) is seen too.
	t0 := time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "..data", "chat", "policy.xml"), hrPolicy("c5"))
	e.waitHello("/chat", "hello c5", t0)
	e.mustEcho("ConfigMap swaps", live)
	for _, f := range e.w.Folders() {
		if strings.Contains(f, "_01") && !strings.Contains(f, "_04") {
			t.Errorf("still watching a removed generation: %s", f)
		}
	}
}

// TestWatchRootSymlinkSwap: the apis folder itself is a link switched to a
// new release ("current -> releases/2"), as Capistrano-style deploys do.
func TestWatchRootSymlinkSwap(t *testing.T) {
	e := hrNew(t)
	base := t.TempDir()
	release := func(n int, version string) string {
		dir := filepath.Join(base, "releases", strconv.Itoa(n))
		testutil.WriteFile(t, filepath.Join(dir, "chat", "api.xml"), e.apiXML("chat", "/chat", ""))
		testutil.WriteFile(t, filepath.Join(dir, "chat", "policy.xml"), hrPolicy(version))
		return dir
	}
	current := filepath.Join(base, "current")
	if err := os.Symlink(release(1, "r1"), current); err != nil {
		t.Fatal(err)
	}
	e.dir = current
	e.start(true)
	e.wantHello("/chat", "hello r1")
	for n := 2; n <= 3; n++ {
		dir := release(n, "r"+strconv.Itoa(n))
		t0 := time.Now()
		tmp := filepath.Join(base, "current.tmp")
		if err := os.Symlink(dir, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, current); err != nil {
			t.Fatal(err)
		}
		e.waitHello("/chat", "hello r"+strconv.Itoa(n), t0)
	}
	t0 := time.Now()
	testutil.WriteFile(t, filepath.Join(current, "chat", "policy.xml"), hrPolicy("r3-edited"))
	e.waitHello("/chat", "hello r3-edited", t0)
	// Unrelated files next to the link do not cause reloads.
	before := e.srv.LastReload()
	testutil.WriteFile(t, filepath.Join(base, "unrelated.txt"), "x")
	time.Sleep(3 * DefaultWatchDebounce)
	if e.srv.LastReload() != before {
		t.Errorf("a file next to the apis link caused a reload: %+v", e.srv.LastReload())
	}
}

// TestWatchBurstDebounced: 50 writes within 200 ms make few reloads, and
// the last state is served.
func TestWatchBurstDebounced(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v0", "")
	e.start(true)
	count := func() float64 {
		return e.reloads("success") + e.reloads("failure") + e.reloads("unchanged")
	}
	before := count()
	policy := filepath.Join(e.dir, "chat", "policy.xml")
	t0 := time.Now()
	for i := 1; i <= 50; i++ {
		testutil.WriteFile(t, policy, hrPolicy("b"+strconv.Itoa(i)))
		time.Sleep(4 * time.Millisecond)
	}
	burst := time.Since(t0)
	e.waitHello("/chat", "hello b50", t0)
	time.Sleep(3 * DefaultWatchDebounce) // anything still pending lands
	n := count() - before
	t.Logf("50 writes over %s: %v reload(s)", burst, n)
	// The burst is quiet for less than the debounce between writes, so it
	// reloads when it ends (or at the 1s bound): one, a few on a busy box.
	if n < 1 || n > 5 {
		t.Errorf("%v reloads for a burst of 50 writes", n)
	}
	e.wantHello("/chat", "hello b50")
}

// TestWatchSharedFiles: the global policy, named values and fragments are
// watched like API files.
func TestWatchSharedFiles(t *testing.T) {
	e := hrNew(t)
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "api.xml"), e.apiXML("chat", "/chat", ""))
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), `<policies><inbound><include-fragment fragment-id="version"/></inbound></policies>`)
	testutil.WriteFile(t, filepath.Join(e.dir, "named-values.xml"), `<named-values><named-value name="v" default="n1"/></named-values>`)
	fragment := func(v string) string {
		return `<fragment><set-header name="X-Version" exists-action="override"><value>` + v + `</value></set-header></fragment>`
	}
	testutil.WriteFile(t, filepath.Join(e.dir, "fragments", "version.xml"), fragment("{{v}}"))
	e.start(true)
	e.wantHello("/chat", "hello n1")
	t0 := time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "named-values.xml"), `<named-values><named-value name="v" default="n2"/></named-values>`)
	e.waitHello("/chat", "hello n2", t0)
	t0 = time.Now()
	hrRenameOver(t, filepath.Join(e.dir, "fragments", "version.xml"), fragment("f3"))
	e.waitHello("/chat", "hello f3", t0)
	t0 = time.Now()
	testutil.WriteFile(t, filepath.Join(e.dir, "policy.xml"), `<policies><inbound><set-header name="X-Global" exists-action="override"><value>g</value></set-header></inbound></policies>`)
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), `<policies><inbound><base/><set-header name="X-Version" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Global", "") + "4")</value></set-header></inbound></policies>`)
	e.waitHello("/chat", "hello g4", t0)
}

// TestWatchRecreatedFolder: a folder deleted and created again at the same
// path is watched again.
func TestWatchRecreatedFolder(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.writeAPI("keep", "/keep", "k1", "")
	e.start(true)
	for i := 2; i <= 3; i++ {
		if err := os.RemoveAll(filepath.Join(e.dir, "chat")); err != nil {
			t.Fatal(err)
		}
		v := "v" + strconv.Itoa(i)
		t0 := time.Now()
		e.writeAPI("chat", "/chat", v, "")
		e.waitHello("/chat", "hello "+v, t0)
		t0 = time.Now()
		testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), hrPolicy(v+"-edit"))
		e.waitHello("/chat", "hello "+v+"-edit", t0)
	}
}

// TestWatchClose: Close stops reloading; Watch refuses a missing folder.
func TestWatchClose(t *testing.T) {
	e := hrNew(t)
	e.writeAPI("chat", "/chat", "v1", "")
	e.start(true)
	if err := e.w.Close(); err != nil {
		t.Fatal(err)
	}
	_ = e.w.Close() // twice is fine
	before := e.srv.LastReload()
	testutil.WriteFile(t, filepath.Join(e.dir, "chat", "policy.xml"), hrPolicy("v2"))
	time.Sleep(3 * DefaultWatchDebounce)
	if e.srv.LastReload() != before {
		t.Fatal("reloaded after Close")
	}
	if _, err := Watch(t.Context(), e.srv, filepath.Join(e.dir, "missing"), nil); err == nil {
		t.Fatal("Watch of a missing folder: no error")
	}
}
