package policies

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// <send-one-way-request mode="new|copy" timeout="60">
//
//	<set-url>…</set-url> <set-method>POST</set-method>
//	<set-header …/> <set-body>…</set-body>
//
// </send-one-way-request>
// Fire and forget: the request is evaluated (URL, method, headers, body)
// when the policy runs and handed to a bounded queue; the policy returns at
// once, whatever the target does. Workers send queued requests (at most
// oneWayWorkers at a time, started only while there is work); their answers
// are read and dropped. When the queue is full the request is dropped,
// logged and counted (Deps.OnOneWayDropped): it never waits.
type sendOneWay struct {
	sr     sendRequest
	sender *oneWaySender
}

func (k *kit) parseSendOneWayRequest(p *engine.Parser) engine.Step {
	o := &sendOneWay{sender: k.oneWay}
	o.sr = sendRequest{
		k:        k,
		copyMode: p.LitStr("mode", "new", "new", "copy") == "copy",
		timeout:  p.Int("timeout", 60, 1, 3600),
		method:   engine.ConstStr(http.MethodGet),
	}
	o.sr.parseChildren(p)
	return o
}

func (o *sendOneWay) Run(ctx context.Context, s *engine.State) error {
	out, err := o.sr.prepare(s)
	if err != nil {
		return err // a broken expression is a policy error, as in send-request
	}
	timeout, err := o.sr.timeout.Seconds(s)
	if err != nil {
		return err
	}
	out.client = o.sr.k.calloutClient(o.sr.cert, o.sr.proxy)
	if _, ok := out.client.Transport.(TransportWrapper); ok {
		// What the wrapper (telemetry) needs of the request's context,
		// for the worker: the call's span is the request's child.
		out.ctx = detachContext(out.client.Transport, ctx)
	}
	if mi := o.sr.identity; mi != nil && mi.tp != nil {
		// The token is fetched by the worker (usually from the cache), so
		// even a first fetch never delays the request.
		resource, err := mi.resource.Eval(s)
		if err != nil {
			return err
		}
		tp, ignore := mi.tp, mi.ignoreErr
		out.authorize = func(ctx context.Context) error {
			tok, err := tp.token(ctx, resource)
			if err != nil && !ignore {
				return err
			}
			if tok != "" {
				out.header["Authorization"] = []string{"Bearer " + tok}
			}
			return nil
		}
	}
	if sink := calloutSink(s); sink != nil {
		// Told now, while the request's State is there (its trace
		// context goes in the headers); its end comes from the worker.
		out.end = sink(out.method, out.target, http.Header(out.header))
	}
	if !o.sender.enqueue(out, timeout) {
		s.Tracef("queue full: %s %s dropped", out.method, engine.RedactURL(out.target))
		if out.end != nil {
			out.end(time.Now(), 0, errOneWayDropped)
		}
		return nil
	}
	if s.Trace() != nil {
		s.Tracef("queued %s %s", out.method, engine.RedactURL(out.target))
	}
	return nil
}

// errOneWayDropped is what CalloutEnd is told of a request the full queue
// dropped.
var errOneWayDropped = errors.New("send-one-way-request: queue full, request dropped")

// oneWayWorkers bounds the requests in flight at once.
const oneWayWorkers = 8

type oneWayJob struct {
	out     *outgoing
	timeout time.Duration
}

// oneWaySender is the kit's queue for send-one-way-request.
type oneWaySender struct {
	client  *http.Client
	log     *zap.Logger
	onDrop  func()
	queue   chan oneWayJob
	mu      sync.Mutex
	workers int
	dropped atomic.Int64
	sent    atomic.Int64
}

func newOneWaySender(client *http.Client, log *zap.Logger, size int, onDrop func()) *oneWaySender {
	if size <= 0 {
		size = 1024
	}
	return &oneWaySender{client: client, log: log, onDrop: onDrop, queue: make(chan oneWayJob, size)}
}

// enqueue never blocks: false means the queue was full and the request
// was dropped.
func (w *oneWaySender) enqueue(out *outgoing, timeout time.Duration) bool {
	select {
	case w.queue <- oneWayJob{out, timeout}:
	default:
		w.dropped.Add(1)
		w.log.Warn("send-one-way-request: queue full, request dropped",
			zap.String("method", out.method), zap.String("url", engine.RedactURL(out.target)))
		if w.onDrop != nil {
			w.onDrop()
		}
		return false
	}
	w.mu.Lock()
	if w.workers < oneWayWorkers {
		w.workers++
		go w.work()
	}
	w.mu.Unlock()
	return true
}

// work sends queued requests until the queue is empty, then ends (checked
// under mu, so an enqueue that saw every worker busy is never stranded).
func (w *oneWaySender) work() {
	for {
		select {
		case j := <-w.queue:
			w.send(j)
		default:
			w.mu.Lock()
			if len(w.queue) == 0 {
				w.workers--
				w.mu.Unlock()
				return
			}
			w.mu.Unlock()
		}
	}
}

func (w *oneWaySender) send(j oneWayJob) {
	base := context.Background()
	if j.out.ctx != nil {
		base = j.out.ctx
	}
	ctx, cancel := context.WithTimeout(base, j.timeout)
	defer cancel()
	var err error
	if j.out.authorize != nil {
		err = j.out.authorize(ctx)
	}
	var req *http.Request
	if err == nil {
		req, err = j.out.newRequest(ctx)
	}
	client := w.client
	if j.out.client != nil {
		client = j.out.client
	}
	status, sent := 0, time.Now()
	if err == nil {
		var res *http.Response
		if res, err = client.Do(req); err == nil {
			status = res.StatusCode
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // lets the connection be reused
			res.Body.Close()
		}
	}
	if j.out.end != nil {
		j.out.end(sent, status, err)
	}
	w.sent.Add(1)
	if err != nil {
		w.log.Info("send-one-way-request failed", zap.String("url", engine.RedactURL(j.out.target)), zap.String("error", errWithoutURL(err)))
	}
}

// CopiesRequest: mode="copy" copies the client's request (engine.RequestCopier).
func (o *sendOneWay) CopiesRequest() bool { return o.sr.copyMode }
