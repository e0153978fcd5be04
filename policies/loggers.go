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
	"tollgate/internal/appinsights"
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
	mu     sync.Mutex         // serialises Stage's lookups, Commit and Close
	byID   map[string]*logger // the loggers file's, for the process's life
	folder map[string]*logger // the configuration folder's, as last committed
	drop   func(float64, ...string) bool
	log    *zap.Logger
	closed bool

	cmu sync.Mutex // guards client and tokens (writers read them while mu is held by Close)
	// client sends to event hubs (default: DefaultHTTPClient's).
	client *http.Client
	// tokens returns the token source of a managed identity by client-id
	// ("" the system-assigned one), nil when none is configured (set by
	// Registry from Deps.Identities): event hub loggers with an
	// identityClientId.
	tokens func(clientID string) func(ctx context.Context, resource string) (string, error)
	// aiTuning tunes the applicationInsights loggers built from now on
	// (TuneTelemetry; zero: defaults).
	aiTuning TelemetryTuning
}

type logger struct {
	id      string
	fp      string // what the logger was built from (folder loggers: reused while unchanged)
	queue   chan logEntry
	write   func([]logEntry) error
	dropped atomic.Int64
	written atomic.Int64
	onDrop  func()
	log     *zap.Logger
	stop    chan struct{} // closed: accept nothing more, write what is queued, end
	stopped sync.Once
	started bool // run was started (under Loggers.mu, or before the set is shared)
	done    chan struct{}
	closeFn func() error
	// ai is an applicationInsights logger's exporter (loggers_appinsights.go):
	// it has its own queue and worker, and takes no log-to-eventhub message.
	ai *appinsights.Exporter
}

type logEntry struct {
	msg          string
	partitionKey string
	partitionID  string
}

const (
	defaultLoggerBuffer = 10000
	maxLoggerBatch      = 256
	// stopFlush bounds the writing of what a stopped logger has queued.
	stopFlush = 10 * time.Second
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

// NewLoggers returns a set with no loggers file: the configuration
// folder's loggers (Stage) are its only ones. metrics (may be nil) counts
// dropped messages per logger.
func NewLoggers(metrics Metrics, log *zap.Logger) (*Loggers, error) {
	if log == nil {
		log = zap.NewNop()
	}
	ls := &Loggers{byID: map[string]*logger{}, folder: map[string]*logger{}, log: log}
	if metrics != nil {
		drop, err := metrics.Counter("tollgate_logger_dropped_total", "Messages (log-to-eventhub) and telemetry items (Application Insights loggers) a logger dropped: its buffer was full, or its sink failed or refused them.", []string{"logger"})
		if err != nil {
			return nil, err
		}
		ls.drop = drop
	}
	return ls, nil
}

func loadLoggers(path string, metrics Metrics, log *zap.Logger, dry bool) (*Loggers, error) {
	root, err := engine.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var errs engine.ErrorList
	if root.Name != "loggers" {
		errs.Add(root.Pos, "", "the root element must be <loggers>, not <%s>", root.Name)
		return nil, errs
	}
	ls, err := NewLoggers(metrics, log)
	if err != nil {
		errs.Add(root.Pos, "", "%v", err)
		return nil, errs
	}
	for _, n := range root.Children {
		if n.Name != "logger" {
			errs.Add(n.Pos, n.Path, "unexpected element <%s> inside <loggers> (want logger)", n.Name)
			continue
		}
		lg, lerrs := ls.newLogger(n, dry)
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
			lg.started = true
			go lg.run()
		}
	}
	return ls, nil
}

// newQueue returns a logger called id with a buffer of size messages,
// counting its drops in the set's metric.
func (ls *Loggers) newQueue(id string, size int) *logger {
	lg := &logger{id: id, queue: make(chan logEntry, max(size, 1)), log: ls.log, stop: make(chan struct{}), done: make(chan struct{})}
	if ls.drop != nil {
		drop := ls.drop
		lg.onDrop = func() { drop(1, id) }
	}
	return lg
}

// httpClient is the client event hub loggers send with.
func (ls *Loggers) httpClient() *http.Client {
	ls.cmu.Lock()
	c := ls.client
	ls.cmu.Unlock()
	if c != nil {
		return c
	}
	return DefaultHTTPClient()
}

func (ls *Loggers) newLogger(n *engine.Node, dry bool) (*logger, engine.ErrorList) {
	var errs engine.ErrorList
	attr := func(name string) (string, *engine.Attr) {
		a := n.Attr(name)
		if a == nil {
			return "", nil
		}
		return a.Value, a
	}
	known := map[string][]string{"file": {"path"}, "stdout": {}, "http": {"url", "timeout"},
		"eventhub": {"connection-string", "name", "endpoint", "client-id"}, "appinsights": {"connection-string", "instrumentation-key", "client-id"}}
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
		errs.Add(pos, n.Path, "<logger> type must be file, stdout, http, eventhub or appinsights, not %q", typ)
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
	lg := ls.newQueue(id, size)
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
	case "eventhub":
		cs, _ := attr("connection-string")
		name, _ := attr("name")
		ep, _ := attr("endpoint")
		cid, ca := attr("client-id")
		c := EventHubCredentials{Name: name, ConnectionString: cs, EndpointAddress: ep}
		if ca != nil || ep != "" {
			c.IdentityClientID = cid
			if ca == nil {
				c.IdentityClientID = "SystemAssigned"
			}
		}
		w, err := ls.eventHubWriter(c, false)
		if err != nil {
			errs.Add(n.Pos, n.Path, "<logger type=\"eventhub\">: %s", err.Error())
			break
		}
		lg.write = w
	case "appinsights":
		// As an APIOps applicationInsights logger: the telemetry of the
		// APIs whose applicationinsights diagnostic names it.
		cs, _ := attr("connection-string")
		key, _ := attr("instrumentation-key")
		cid, _ := attr("client-id")
		ai, err := ls.appInsightsLogger(FolderLogger{ID: id, Type: LoggerTypeAppInsights, Buffer: size,
			AppInsights: AppInsightsCredentials{ConnectionString: cs, InstrumentationKey: key, IdentityClientID: cid}}, "", false)
		if err != nil {
			errs.Add(n.Pos, n.Path, "<logger type=\"appinsights\">: %s", err.Error())
			break
		}
		lg = ai
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

// send queues a message; it never blocks: a full buffer, or a logger that
// has been stopped (removed by a reload while a request of the old
// configuration still logs), drops it.
func (lg *logger) send(e logEntry) bool {
	select {
	case <-lg.stop:
		lg.countDrop(1)
		return false
	default:
	}
	select {
	case lg.queue <- e:
		return true
	default:
		if lg.dropped.Load()%1000 == 0 {
			lg.log.Warn("log-to-eventhub: logger buffer full, messages dropped", zap.String("logger", lg.id), zap.Int64("dropped", lg.dropped.Load()+1))
		}
		lg.countDrop(1)
		return false
	}
}

func (lg *logger) countDrop(n int) {
	lg.dropped.Add(int64(n))
	if lg.onDrop != nil {
		for range n {
			lg.onDrop()
		}
	}
}

// run writes batches until the logger is stopped, then what is queued.
func (lg *logger) run() {
	defer close(lg.done)
	if lg.ai != nil {
		lg.ai.Run() // until halt stops it, then what it has queued
		return
	}
	batch := make([]logEntry, 0, maxLoggerBatch)
	for {
		var e logEntry
		select {
		case e = <-lg.queue:
		case <-lg.stop:
			// What is queued is written for at most stopFlush; the
			// rest is dropped (and counted).
			deadline := time.Now().Add(stopFlush)
			for {
				batch = batch[:0]
			fill:
				for len(batch) < maxLoggerBatch {
					select {
					case e := <-lg.queue:
						batch = append(batch, e)
					default:
						break fill
					}
				}
				if len(batch) == 0 {
					return
				}
				if time.Now().After(deadline) {
					lg.countDrop(len(batch))
					continue
				}
				lg.flush(batch)
			}
		}
		batch = append(batch[:0], e)
	more:
		for len(batch) < maxLoggerBatch {
			select {
			case e := <-lg.queue:
				batch = append(batch, e)
			default:
				break more
			}
		}
		lg.flush(batch)
	}
}

func (lg *logger) flush(batch []logEntry) {
	if err := lg.write(batch); err != nil {
		lg.countDrop(len(batch))
		lg.log.Warn("log-to-eventhub: sink failed, messages dropped", zap.String("logger", lg.id), zap.Int("messages", len(batch)), zap.String("error", err.Error()))
		return
	}
	lg.written.Add(int64(len(batch)))
}

// halt stops lg: it takes no more messages and its writer ends once what
// is queued is written.
func (lg *logger) halt() {
	lg.stopped.Do(func() {
		close(lg.stop)
		if lg.ai != nil {
			lg.ai.Stop()
		}
	})
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
	ls.closed = true
	for _, set := range []map[string]*logger{ls.byID, ls.folder} {
		for _, lg := range set {
			lg.halt()
			if lg.started {
				select {
				case <-lg.done:
				case <-ctx.Done():
					if lg.ai != nil {
						lg.ai.Abort() // what is left is dropped (and counted) now
					}
				}
			}
			if lg.closeFn != nil {
				_ = lg.closeFn()
			}
		}
	}
}

// lookup returns the logger called id.
func (ls *Loggers) lookup(id string) *logger {
	if ls == nil {
		return nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if lg := ls.byID[id]; lg != nil {
		return lg
	}
	return ls.folder[id]
}

// <log-to-eventhub logger-id="audit" partition-id="0" partition-key="@(…)">@(message)</log-to-eventhub>
type logToEventhub struct {
	lg       *logger
	msg      engine.Str
	key, pid engine.Str
}

func (k *kit) parseLogToEventhub(p *engine.Parser) engine.Step {
	return parseLogToEventhub(p, k.loggers.lookup, nil)
}

// parseLogToEventhub reads the policy; lookup finds a logger by id, and
// unusable (nil: none are) says why a declared logger cannot be used.
func parseLogToEventhub(p *engine.Parser, lookup func(string) *logger, unusable func(string) string) engine.Step {
	l := &logToEventhub{key: p.Str("partition-key", ""), pid: p.Str("partition-id", "")}
	id := p.RequiredLitStr("logger-id")
	if p.Has("partition-key") && p.Has("partition-id") {
		p.Errorf("<log-to-eventhub> takes partition-id or partition-key, not both")
	}
	l.lg = lookup(id)
	why := ""
	if l.lg == nil && id != "" && unusable != nil {
		why = unusable(id)
	}
	switch at := p.Node().Attr("logger-id"); {
	case l.lg != nil && l.lg.ai != nil:
		p.ErrorAt(at.ValuePos, "logger %q is an applicationInsights logger: log-to-eventhub sends to azureEventHub loggers (an applicationinsights diagnostic naming it sends the API's telemetry; see docs/telemetry.md)", id)
		l.lg = nil
	case why != "":
		p.ErrorAt(at.ValuePos, "logger %q cannot be used: %s", id, why)
	case l.lg == nil && id != "":
		p.ErrorAt(at.ValuePos, "no logger %q: declare it in the loggers file (tollgate serve --loggers FILE) or as an APIOps logger (loggers/%s/loggerInformation.json); see docs/policies-observability.md", id, id)
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
