package gateway

import (
	"context"

	"go.uber.org/zap"
)

// Watcher reloads the server when the apis folder changes.
type Watcher struct{ stop context.CancelFunc }

// Close stops watching.
func (w *Watcher) Close() error { w.stop(); return nil }

// Watch starts watching dir (placeholder: replaced by the fsnotify watcher).
func Watch(ctx context.Context, s *Server, dir string, log *zap.Logger) (*Watcher, error) {
	ctx, cancel := context.WithCancel(ctx)
	_ = ctx
	return &Watcher{stop: cancel}, nil
}
