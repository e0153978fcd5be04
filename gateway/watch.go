package gateway

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// Watch defaults. A burst of events (an editor's save, a deploy tool
// copying a tree, a ConfigMap swap) becomes one reload once the folder has
// been quiet for DefaultWatchDebounce (editors write a save in well under
// a millisecond; 50 ms leaves room for slow disks and keeps the file event
// to swap time under 100 ms); a stream that never goes quiet still reloads
// every DefaultWatchMaxDelay.
const (
	DefaultWatchDebounce = 50 * time.Millisecond
	DefaultWatchMaxDelay = 1 * time.Second
)

// WatchOptions tune a Watcher; zero fields take the defaults.
type WatchOptions struct {
	Debounce time.Duration // quiet period before a reload (default 50ms)
	MaxDelay time.Duration // bound from the first event of a burst to its reload (default 1s)
}

// Watcher reloads the server when the apis folder changes.
//
// It watches the folder and every sub-folder (hidden ones such as .git
// excepted), following symbolic links to folders: a watch is always placed
// on the real folder, so the Kubernetes ConfigMap layout (apis/chat ->
// ..data/chat, ..data -> ..2026_01_01_00_00_00.1) works — swapping ..data
// is an event in the watched root, after which the new targets are watched
// and the old ones forgotten. When the apis folder itself is a symbolic link
// (a "current -> releases/42" deploy), its parent is watched as well, for
// events on that one name only.
//
// Every event counts: the watcher does not try to guess which files matter
// (an editor's temporary file, a backup, a touch). That is safe because a
// reload whose parsed content is unchanged does nothing (result
// "unchanged"), and simpler than a list of editor habits.
type Watcher struct {
	srv     *Server
	dir     string // as given
	log     *zap.Logger
	opt     WatchOptions
	fw      *fsnotify.Watcher
	stop    context.CancelFunc
	done    chan struct{}
	closeMu sync.Once

	// parent is the watched parent folder when dir is a symbolic link ("" if not).
	parent string
	// watched are the real folders being watched.
	watched map[string]bool
}

// Watch starts watching dir (recursively) and reloads srv when anything in
// it changes, until ctx is done or Close is called.
func Watch(ctx context.Context, s *Server, dir string, log *zap.Logger) (*Watcher, error) {
	return WatchWith(ctx, s, dir, log, WatchOptions{})
}

// WatchWith is Watch with options.
func WatchWith(ctx context.Context, s *Server, dir string, log *zap.Logger, opt WatchOptions) (*Watcher, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if opt.Debounce <= 0 {
		opt.Debounce = DefaultWatchDebounce
	}
	if opt.MaxDelay < opt.Debounce {
		opt.MaxDelay = max(DefaultWatchMaxDelay, opt.Debounce)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, errors.New(dir + " is not a folder")
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &Watcher{srv: s, dir: filepath.Clean(dir), log: log, opt: opt, fw: fw, done: make(chan struct{}), watched: map[string]bool{}}
	if err := w.sync(); err != nil {
		_ = fw.Close()
		return nil, err
	}
	ctx, w.stop = context.WithCancel(ctx)
	go w.loop(ctx)
	log.Info("watching the apis folder", zap.String("apis", dir), zap.Int("folders", len(w.watched)),
		zap.Duration("debounce", opt.Debounce))
	return w, nil
}

// watchInto reports whether the watcher descends into the folder named
// child of the folder at rel (its path below the apis folder, as names):
// only where the loader reads, in either layout. The apis folder's own
// sub-folders always (API folders, fragments, APIOps collections); below
// them an API's operations/OP/ folders (tollgate's layout) and the
// APIOps collections' NAME/ folders with apis/NAME/operations/OP/ and
// apis/NAME/diagnostics/DIAG/. So a link into a huge tree (/usr) adds one
// watch, not thousands. A workspace (workspaces/NAME/) is laid out as the
// apis folder is.
func watchInto(rel []string, child string) bool {
	if len(rel) >= 2 && rel[0] == "workspaces" {
		return watchInto(rel[2:], child)
	}
	switch len(rel) {
	case 0:
		return true
	case 1:
		return apiopsFolders[rel[0]] || child == "operations"
	case 2:
		if rel[0] == "apis" {
			return child == "operations" || child == "diagnostics" // diagnostics: apis/NAME/diagnostics/DIAG/
		}
		return rel[1] == "operations" && !apiopsFolders[rel[0]]
	case 3:
		// apis/NAME/VERSION/REVISION/: the early extractor's layout, whose
		// VERSION folders legacyVersionFolder lets in
		return rel[0] == "apis" && (rel[2] == "operations" || rel[2] == "diagnostics" || validRevision(child))
	case 4:
		return rel[0] == "apis" && validRevision(rel[3]) && (child == "operations" || child == "diagnostics")
	case 5:
		return rel[0] == "apis" && validRevision(rel[3]) && (rel[4] == "operations" || rel[4] == "diagnostics")
	}
	return false
}

// legacyVersionFolder reports whether child of the folder real (at rel) is
// a VERSION folder of the early extractor's layout,
// apis/DISPLAY NAME/VERSION/REVISION/apiInformation.json, which the loader
// reads when apis/DISPLAY NAME/ has no apiInformation.json of its own
// (apiops.go).
func legacyVersionFolder(real string, rel []string, child string) bool {
	for len(rel) >= 2 && rel[0] == "workspaces" {
		rel = rel[2:]
	}
	return len(rel) == 2 && rel[0] == "apis" && !fileIsThere(filepath.Join(real, "apiInformation.json")) &&
		len(legacyRevisions(real, child)) > 0
}

// watchCloseWait bounds how long Close waits for a reload in progress.
const watchCloseWait = 5 * time.Second

// Close stops watching and waits for a reload in progress to finish, for
// at most a few seconds: shutdown must never hang on a reload (files are
// read without blocking, so one should never be stuck; this is the belt
// to those braces).
func (w *Watcher) Close() error {
	var err error
	w.closeMu.Do(func() {
		w.stop()
		select {
		case <-w.done:
		case <-time.After(watchCloseWait):
			err = errors.New("the watcher's reload did not finish in " + watchCloseWait.String())
			w.log.Warn("closing the watcher without waiting for its reload", zap.Error(err))
		}
	})
	return err
}

// Folders returns the real folders being watched (for tests and logs).
func (w *Watcher) Folders() []string {
	return w.fw.WatchList()
}

func (w *Watcher) loop(ctx context.Context) {
	defer close(w.done)
	defer w.fw.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var (
		first  time.Time // of the pending burst; zero: none
		events int
	)
	arm := func(now time.Time) {
		if first.IsZero() {
			first = now
		}
		events++
		due := now.Add(w.opt.Debounce)
		if limit := first.Add(w.opt.MaxDelay); due.After(limit) {
			due = limit
		}
		timer.Reset(time.Until(due))
	}
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			if !w.relevant(ev) {
				continue
			}
			now := time.Now()
			w.log.Debug("file event", zap.String("file", ev.Name), zap.String("op", ev.Op.String()))
			// New, removed or renamed folders (and symbolic links to them)
			// are watched or forgotten at once, so the files written into
			// a new folder right after it appears are seen too.
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				if err := w.sync(); err != nil {
					w.log.Warn("cannot watch the apis folder", zap.Error(err))
				}
			}
			arm(now)
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			// An overflow means events were lost: reload to be sure.
			w.log.Warn("file watch error; reloading to be safe", zap.Error(err))
			arm(time.Now())
		case <-timer.C:
			if first.IsZero() {
				continue
			}
			if err := w.sync(); err != nil {
				w.log.Warn("cannot watch the apis folder", zap.Error(err))
			}
			w.srv.reload("watch", &watchBurst{first: first, events: events})
			first, events = time.Time{}, 0
		}
	}
}

// relevant filters events of the parent folder (only watched when dir is a
// symbolic link) down to those on dir's own name.
func (w *Watcher) relevant(ev fsnotify.Event) bool {
	if w.parent == "" || filepath.Dir(ev.Name) != w.parent {
		return true
	}
	return filepath.Base(ev.Name) == filepath.Base(w.dir)
}

// sync makes the set of watched folders match the tree under dir: every
// real folder reachable from dir (following symbolic links, skipping
// hidden names) is watched; folders no longer reachable are forgotten.
// Adding a watch that exists is cheap and re-arms it on the current folder
// at that path, so a folder deleted and re-created is watched again.
func (w *Watcher) sync() error {
	want := map[string]bool{}
	root, err := filepath.EvalSymlinks(w.dir)
	if err != nil {
		return err
	}
	var walk func(real string, rel []string)
	walk = func(real string, rel []string) {
		if want[real] {
			return
		}
		want[real] = true
		ents, err := os.ReadDir(real)
		if err != nil {
			return
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") || !watchInto(rel, e.Name()) && !legacyVersionFolder(real, rel, e.Name()) {
				continue // .git, editor folders, ConfigMap ..data (reached through its links)
			}
			p := filepath.Join(real, e.Name())
			sub := append(slices.Clip(rel), e.Name())
			switch {
			case e.IsDir():
				walk(p, sub)
			case e.Type()&os.ModeSymlink != 0:
				if st, err := os.Stat(p); err == nil && st.IsDir() {
					if t, err := filepath.EvalSymlinks(p); err == nil {
						walk(t, sub)
					}
				}
			}
		}
	}
	walk(root, nil)

	parent := ""
	if lst, err := os.Lstat(w.dir); err == nil && lst.Mode()&os.ModeSymlink != 0 {
		parent = filepath.Dir(w.dir)
		if abs, err := filepath.Abs(parent); err == nil {
			parent = abs
		}
	}
	var firstErr error
	for p := range want {
		if err := w.fw.Add(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				delete(want, p) // gone while walking; its removal is an event anyway
				continue
			}
			if p == root && firstErr == nil {
				firstErr = err
			}
			w.log.Warn("cannot watch a folder", zap.String("folder", p), zap.Error(err))
			delete(want, p)
		}
	}
	if parent != "" && !want[parent] {
		if err := w.fw.Add(parent); err == nil {
			want[parent] = true
		} else {
			w.log.Warn("cannot watch the folder holding the apis link", zap.String("folder", parent), zap.Error(err))
			parent = ""
		}
	}
	for p := range w.watched {
		if !want[p] {
			_ = w.fw.Remove(p) // may be gone already: the kernel dropped the watch
		}
	}
	w.watched, w.parent = want, parent
	return firstErr
}

// watchBurst describes the file events that led to a reload.
type watchBurst struct {
	first  time.Time
	events int
}
