package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// TestServeReloadsOnSIGHUPAndFileChange runs `tollgate serve` in-process:
// SIGHUP reloads (trigger "SIGHUP"), a file edit reloads through the
// watcher (trigger "watch"), and SIGTERM stops it with exit 0.
func TestServeReloadsOnSIGHUPAndFileChange(t *testing.T) {
	// Catch the signals in this test too: the process must never take
	// their default action (exit), even before serve has set up its own.
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM)
	defer signal.Stop(sig)

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Version"))
	}))
	defer backend.Close()
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		testutil.WriteFile(t, filepath.Join(dir, rel), content)
	}
	policy := func(v string) string {
		return `<policies><inbound><set-header name="X-Version" exists-action="override"><value>` + v + `</value></set-header></inbound></policies>`
	}
	write("orders/api.xml", `<api name="orders" type="http" path="/orders" service-url="`+backend.URL+`"/>`)
	write("orders/policy.xml", policy("v1"))
	listen, admin := testutil.FreeAddr(t), testutil.FreeAddr(t)

	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "--apis", dir, "--listen", listen, "--admin", admin, "--log-level", "error"}, io.Discard, io.Discard)
	}()
	status := func() map[string]any {
		resp, err := http.Get("http://" + admin + "/status/reload")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	get := func() string {
		resp, err := http.Get("http://" + listen + "/orders")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor := func(what string, cond func() bool, retry func()) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (status %v)", what, status())
			}
			if retry != nil {
				retry()
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("startup", func() bool { m := status(); return m != nil && m["trigger"] == "startup" }, nil)
	if got := get(); got != "v1" {
		t.Fatalf("GET /orders: %q", got)
	}

	// SIGHUP: nothing changed on disk, so "unchanged" (serve may not have
	// installed its handler yet: send again until it is seen).
	waitFor("a SIGHUP reload", func() bool { m := status(); return m["trigger"] == "SIGHUP" && m["result"] == "unchanged" },
		func() { _ = syscall.Kill(os.Getpid(), syscall.SIGHUP) })

	time.Sleep(500 * time.Millisecond) // a SIGHUP still in flight lands before the edit

	// A file edit: the watcher reloads.
	write("orders/policy.xml", policy("v2"))
	waitFor("a watch reload", func() bool { m := status(); return m["trigger"] == "watch" && m["result"] == "success" }, nil)
	if got := get(); got != "v2" {
		t.Fatalf("GET /orders after the edit: %q", got)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}
