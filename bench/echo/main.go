// Command echo is the benchmark's WebSocket echo backend (coder/websocket):
// every message is sent back as it came, same type, one frame. It runs in
// its own process so that its CPU is never counted as the proxy's.
//
//	echo -listen 127.0.0.1:9001
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

const maxMessage = 1 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "address (loopback)")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func serve(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(maxMessage)
	ctx := context.Background() // no per-frame context.AfterFunc
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != -1 {
				_ = c.Close(websocket.StatusNormalClosure, "")
			}
			return
		}
		if err := echo(ctx, c, typ, rd); err != nil {
			return
		}
	}
}

func echo(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, rd io.Reader) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	n, err := io.ReadFull(rd, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return c.Write(ctx, typ, buf[:n])
	case err != nil:
		return err
	}
	w, err := c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	if _, err := w.Write(buf[:n]); err != nil {
		return err
	}
	if _, err := io.CopyBuffer(w, rd, buf); err != nil {
		return err
	}
	return w.Close()
}
