package policies

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// Loggers are the sinks log-to-eventhub writes to, by logger-id, declared
// in a loggers file:
//
//	<loggers>
//	  <logger id="audit" type="file" path="/var/log/tollgate/audit.log" buffer="10000"/>
//	  <logger id="console" type="stdout"/>
//	  <logger id="collector" type="http" url="https://collector.example/ingest" timeout="5"/>
//	</loggers>
//
// Each logger has a bounded buffer and one writer goroutine: a policy never
// waits for a sink. When the buffer is full (a sink that is down or slow)
// the message is dropped and counted (tollgate_logger_dropped_total).
type Loggers struct {
	byID map[string]*logger
	mu   sync.Mutex // serialises Close
}

type logger struct {
	id      string
	queue   chan logEntry
	write   func([]logEntry) error
	dropped atomic.Int64
	written atomic.Int64
	onDrop  func()
	log     *zap.Logger
	done    chan struct{}
	closeFn func() error
}

type logEntry struct {
	msg          string
	partitionKey string
	partitionID  string
}

const (
	defaultLoggerBuffer = 10000
	maxLoggerBatch      = 256
)

// LoadLoggers reads a loggers file. Every problem is reported as
// file:line:col. metrics (may be nil) counts dropped messages per logger.
func LoadLoggers(path string, metrics Metrics, log *zap.Logger) (*Loggers, error) {
	return loadLoggers(path, metrics, log, false)
}

// CheckLoggers reads a loggers file as LoadLoggers does, without opening
// files or starting writers (tollgate check): its loggers accept messages
// and drop them.
func CheckLoggers(path string) (*Loggers, error) {
	return loadLoggers(path, nil, nil, true)
}

func loadLoggers(path string, metrics Metrics, log *zap.Logger, dry bool) (*Loggers, error) {
	root, err := engine.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	var errs engine.ErrorList
	ls := &Loggers{byID: map[string]*logger{}}
	if root.Name != "loggers" {
		errs.Add(root.Pos, "", "the root element must be <loggers>, not <%s>", root.Name)
		return nil, errs
	}
	var drop func(float64, ...string) bool
	if metrics != nil {
		if drop, err = metrics.Counter("tollgate_logger_dropped_total", "log-to-eventhub messages dropped because the logger's buffer was full.", []string{"logger"}); err != nil {
			errs.Add(root.Pos, "", "%v", err)
		}
	}
	for _, n := range root.Children {
		if n.Name != "logger" {
			errs.Add(n.Pos, n.Path, "unexpected element <%s> inside <loggers> (want logger)", n.Name)
			continue
		}
		lg, lerrs := newLogger(n, log, dry)
		errs = append(errs, lerrs...)
		if lg == nil {
			continue
		}
		if ls.byID[lg.id] != nil {
			errs.Add(n.Attr("id").ValuePos, n.Path, "logger %q is declared twice", lg.id)
			if lg.closeFn != nil {
				_ = lg.closeFn()
			}
			continue
		}
		if drop != nil {
			id := lg.id
			lg.onDrop = func() { drop(1, id) }
		}
		ls.byID[lg.id] = lg
	}
	if len(errs) > 0 {
		for _, lg := range ls.byID { // never started: only files to close
			if lg.closeFn != nil {
				_ = lg.closeFn()
			}
		}
		return nil, errs
	}
	if !dry {
		for _, lg := range ls.byID {
			go lg.run()
		}
	}
	return ls, nil
}

func newLogger(n *engine.Node, log *zap.Logger, dry bool) (*logger, engine.ErrorList) {
	var errs engine.ErrorList
	attr := func(name string) (string, *engine.Attr) {
		a := n.Attr(name)
		if a == nil {
			return "", nil
		}
		return a.Value, a
	}
	known := map[string][]string{"file": {"path"}, "stdout": {}, "http": {"url", "timeout"}}
	id, ida := attr("id")
	typ, ta := attr("type")
	if ida == nil || id == "" {
		errs.Add(n.Pos, n.Path, "<logger> needs a non-empty id (what logger-id names)")
	}
	extra, ok := known[typ]
	if !ok {
		pos := n.Pos
		if ta != nil {
			pos = ta.ValuePos
		}
		errs.Add(pos, n.Path, "<logger> type must be file, stdout or http, not %q", typ)
		return nil, errs
	}
	allowed := append([]string{"id", "type", "buffer"}, extra...)
	for _, a := range n.Attrs {
		if !oneOf(a.Name, allowed) {
			errs.Add(a.Pos, n.Path, "<logger type=%q> has no attribute %q (known: %s)", typ, a.Name, quoteList(allowed))
		}
	}
	if len(n.Children) > 0 || n.Text != "" {
		errs.Add(n.Pos, n.Path, "<logger> takes no content")
	}
	size := defaultLoggerBuffer
	if v, a := attr("buffer"); a != nil {
		b, err := strconv.Atoi(v)
		if err != nil || b < 1 || b > 1_000_000 {
			errs.Add(a.ValuePos, n.Path, "buffer must be a whole number from 1 to 1000000, not %q", v)
		}
		size = b
	}
	lg := &logger{id: id, queue: make(chan logEntry, max(size, 1)), log: log, done: make(chan struct{})}
	switch typ {
	case "stdout":
		lg.write = linesTo(os.Stdout)
	case "file":
		p, a := attr("path")
		if a == nil || p == "" {
			errs.Add(n.Pos, n.Path, "<logger type=\"file\"> needs a path")
			break
		}
		if dry {
			lg.write = func([]logEntry) error { return nil }
			break
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			errs.Add(a.ValuePos, n.Path, "cannot open %s: %v", p, err)
			break
		}
		lg.write, lg.closeFn = linesTo(f), f.Close
	case "http":
		u, a := attr("url")
		pu, err := url.Parse(u)
		if a == nil || err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			pos := n.Pos
			if a != nil {
				pos = a.ValuePos
			}
			errs.Add(pos, n.Path, "<logger type=\"http\"> needs an http(s) url")
			break
		}
		timeout := 5 * time.Second
		if v, ta := attr("timeout"); ta != nil {
			s, err := strconv.Atoi(v)
			if err != nil || s < 1 || s > 300 {
				errs.Add(ta.ValuePos, n.Path, "timeout must be seconds from 1 to 300, not %q", v)
			}
			timeout = time.Duration(s) * time.Second
		}
		lg.write = postTo(u, &http.Client{Timeout: timeout})
	}
	if len(errs) > 0 {
		if lg.closeFn != nil {
			_ = lg.closeFn()
		}
		return nil, errs
	}
	return lg, nil
}

// linesTo writes each message as one line.
func linesTo(w io.Writer) func([]logEntry) error {
	var buf bytes.Buffer
	return func(batch []logEntry) error {
		buf.Reset()
		for _, e := range batch {
			buf.WriteString(e.msg)
			if len(e.msg) == 0 || e.msg[len(e.msg)-1] != '\n' {
				buf.WriteByte('\n')
			}
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
}

// postTo sends each batch as one POST of newline-separated messages.
func postTo(u string, c *http.Client) func([]logEntry) error {
	return func(batch []logEntry) error {
		var buf bytes.Buffer
		for _, e := range batch {
			buf.WriteString(e.msg)
			buf.WriteByte('\n')
		}
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, u, &buf)
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		if len(batch) == 1 && batch[0].partitionKey != "" {
			req.Header.Set("X-Partition-Key", batch[0].partitionKey)
		}
		res, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("%s", errWithoutURL(err))
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("the endpoint answered %d", res.StatusCode)
		}
		return nil
	}
}

// send queues a message; it never blocks: a full buffer drops it.
func (lg *logger) send(e logEntry) bool {
	select {
	case lg.queue <- e:
		return true
	default:
		if lg.dropped.Add(1)%1000 == 1 {
			lg.log.Warn("log-to-eventhub: logger buffer full, messages dropped", zap.String("logger", lg.id), zap.Int64("dropped", lg.dropped.Load()))
		}
		if lg.onDrop != nil {
			lg.onDrop()
		}
		return false
	}
}

func (lg *logger) run() {
	defer close(lg.done)
	batch := make([]logEntry, 0, maxLoggerBatch)
	for e := range lg.queue {
		batch = append(batch[:0], e)
	more:
		for len(batch) < maxLoggerBatch {
			select {
			case e, ok := <-lg.queue:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		if err := lg.write(batch); err != nil {
			lg.dropped.Add(int64(len(batch)))
			for range batch {
				if lg.onDrop != nil {
					lg.onDrop()
				}
			}
			lg.log.Warn("log-to-eventhub: sink failed, messages dropped", zap.String("logger", lg.id), zap.Int("messages", len(batch)), zap.String("error", err.Error()))
			continue
		}
		lg.written.Add(int64(len(batch)))
	}
}

// Close stops accepting messages, writes what is buffered (bounded by ctx
// in CloseContext) and closes files.
func (ls *Loggers) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ls.CloseContext(ctx)
}

// CloseContext is Close with a bound on the flush.
func (ls *Loggers) CloseContext(ctx context.Context) {
	if ls == nil {
		return
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, lg := range ls.byID {
		select {
		case <-lg.done:
			continue // closed already (or never started)
		default:
		}
		close(lg.queue)
		select {
		case <-lg.done:
		case <-ctx.Done():
		}
		if lg.closeFn != nil {
			_ = lg.closeFn()
		}
	}
}

// lookup returns the logger called id.
func (ls *Loggers) lookup(id string) *logger {
	if ls == nil {
		return nil
	}
	return ls.byID[id]
}

// <log-to-eventhub logger-id="audit" partition-id="0" partition-key="@(…)">@(message)</log-to-eventhub>
type logToEventhub struct {
	lg       *logger
	msg      engine.Str
	key, pid engine.Str
}

func (k *kit) parseLogToEventhub(p *engine.Parser) engine.Step {
	l := &logToEventhub{key: p.Str("partition-key", ""), pid: p.Str("partition-id", "")}
	id := p.RequiredLitStr("logger-id")
	if p.Has("partition-key") && p.Has("partition-id") {
		p.Errorf("<log-to-eventhub> takes partition-id or partition-key, not both")
	}
	l.lg = k.loggers.lookup(id)
	if l.lg == nil && id != "" {
		p.ErrorAt(p.Node().Attr("logger-id").ValuePos, "no logger %q: declare it in the loggers file (tollgate serve --loggers FILE; see docs/policies-observability.md)", id)
	}
	if !p.HasText() {
		p.Errorf("<log-to-eventhub> needs the message as its text (a literal or an expression)")
	}
	l.msg = p.TextStr()
	return l
}

func (l *logToEventhub) Run(_ context.Context, s *engine.State) error {
	if l.lg == nil {
		return nil
	}
	msg, err := l.msg.Eval(s)
	if err != nil {
		return err
	}
	key, err := l.key.Eval(s)
	if err != nil {
		return err
	}
	pid, err := l.pid.Eval(s)
	if err != nil {
		return err
	}
	if !l.lg.send(logEntry{msg: msg, partitionKey: key, partitionID: pid}) {
		s.Tracef("logger %s: buffer full, message dropped", l.lg.id)
	}
	return nil
}
