package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Section is one of the four parts of a policy document.
type Section uint8

const (
	Inbound Section = 1 << iota
	Backend
	Outbound
	OnError

	AllSections = Inbound | Backend | Outbound | OnError

	// Resolver is a synthetic GraphQL API's resolver document, whose root
	// is the data source policy (http-data-source): no <policies> section
	// is one, so an element allowed only there is refused in them.
	Resolver Section = 1 << 4
)

var sectionNames = []struct {
	s    Section
	name string
}{{Inbound, "inbound"}, {Backend, "backend"}, {Outbound, "outbound"}, {OnError, "on-error"}}

func (s Section) String() string {
	out := ""
	for _, n := range sectionNames {
		if s&n.s != 0 {
			if out != "" {
				out += ", "
			}
			out += n.name
		}
	}
	if s&Resolver != 0 {
		if out != "" {
			out += ", "
		}
		out += "a GraphQL resolver (the root of its policy)"
	}
	return out
}

// Step is one compiled policy. Run only evaluates: all parsing and
// compilation happened at load. Run must be safe for concurrent use (all
// per-request data lives in the State).
type Step interface {
	Run(ctx context.Context, s *State) error
}

// NonBlocking is how a Step says that running it never blocks the calling
// goroutine: no network call-out (an HTTP call, a store or cache that is
// not in process, a key or token fetch, DNS), no sleep or backoff, no wait
// on another goroutine (a queue, a channel, a condition variable,
// singleflight), no file I/O beyond a log line. Evaluating expressions is
// CPU work and never blocks; neither does a read of the request or
// response body (engine.Body), which is the connection's own I/O: the
// server that runs the plan suspends on it as on any other socket read.
//
// The default is "may block": a Step that does not implement NonBlocking,
// or whose NeverBlocks returns false, may block. A step decides at parse
// time, from its configuration and what it was built with (an in-memory
// store never blocks, Redis may), and answers the same every time; the
// steps nested in its Branches are checked on their own (Compiled.MayBlock).
// Plan.MayBlock tells a server whether a section may run on an event loop
// thread, where one blocked request would stall every connection of the
// loop.
type NonBlocking interface {
	NeverBlocks() bool
}

// RequestCopier is how a step says it copies the client's request
// (send-request mode="copy"). In outbound or on-error it runs after the
// request was forwarded, which streams the client's body once; a plan with
// such a step keeps the body in memory when it forwards
// (Plan.KeepsRequestBody), so the copy has it. A step with an expression
// that reads context.Request.Body there is kept for the same reason
// (Compiled.readsReqBody, found by the compiler).
type RequestCopier interface {
	CopiesRequest() bool
}

// needsRequestBody reports whether a section run after the forward
// (outbound, on-error) reads the client's body, or one before it keeps the
// body itself for later (Block.needsRequestBody).
func (p *Plan) needsRequestBody() bool {
	return p.Outbound.needsRequestBody(false) || p.OnError.needsRequestBody(false) ||
		p.Inbound.needsRequestBody(true) || p.Backend.needsRequestBody(true)
}

// needsRequestBody reports whether a step of b, at any depth, copies the
// client's request (RequestCopier) or has an expression that reads
// context.Request.Body; with before (a section run before the forward),
// whether one has an expression whose value is the body itself
// (<set-variable value="@(context.Request.Body)"/>), which a later section
// may read.
func (b Block) needsRequestBody(before bool) bool {
	for _, c := range b {
		if before {
			if c.holdsReqBody {
				return true
			}
		} else {
			if c.readsReqBody {
				return true
			}
			if rc, ok := c.Step.(RequestCopier); ok && rc.CopiesRequest() {
				return true
			}
		}
		for _, br := range c.Branches {
			if br.Steps.needsRequestBody(before) {
				return true
			}
		}
	}
	return false
}

// MayBlock reports whether running c may block the calling goroutine: its
// step does not opt in through NonBlocking, or one of the steps nested in
// its Branches may block.
func (c *Compiled) MayBlock() bool {
	nb, ok := c.Step.(NonBlocking)
	if !ok || !nb.NeverBlocks() {
		return true
	}
	for _, br := range c.Branches {
		if br.Steps.MayBlock() {
			return true
		}
	}
	return false
}

// MayBlock reports whether any step of b may block (Compiled.MayBlock).
func (b Block) MayBlock() bool {
	for _, c := range b {
		if c.MayBlock() {
			return true
		}
	}
	return false
}

// StepFunc adapts a function to Step.
type StepFunc func(ctx context.Context, s *State) error

// Run calls f.
func (f StepFunc) Run(ctx context.Context, s *State) error { return f(ctx, s) }

// Compiled is a Step with where it came from.
type Compiled struct {
	Step    Step
	Name    string // element name, e.g. set-header
	ID      string // the optional id attribute
	Path    string
	Pos     Pos
	Scope   string // global | api
	Section Section
	// Branches are the nested blocks the step runs (choose's when and
	// otherwise, retry's body), for tools that draw the plan; the step
	// itself holds what it runs.
	Branches []Branch
	// readsReqBody: an expression of the step (or of a step nested in
	// it) reads context.Request.Body; holdsReqBody: one's value is the
	// body itself (Block.needsRequestBody).
	readsReqBody, holdsReqBody bool
	// queryBlind: the step's own Go code never reads
	// context.Request.Url.Query (QueryBlind), so the query
	// set-query-parameter left as text need not be parsed for it.
	queryBlind bool
}

// QueryBlind is implemented by a Step whose Go code never reads
// context.Request.Url.Query, nor its scheme, host, port or path (its
// expressions and nested steps see to their own reads), nor keeps
// anything that reads them later: before any other step, a query
// set-query-parameter changed as text (Url.SetQueryParamText) is parsed
// into the map, and the backend URL RefreshUrl left to be built is built
// (State.syncUrl).
type QueryBlind interface {
	QueryBlind()
}

// Branch is a nested block of a step: the element that holds it (when,
// otherwise, retry, ...) and the steps compiled from its children.
type Branch struct {
	Name      string // element name: when, otherwise, retry
	Path      string
	Pos       Pos
	Condition string // the condition attribute as written (when), or ""
	Steps     Block
}

// Block is a sequence of steps; XML order is execution order.
type Block []*Compiled

// Run runs the steps in order until one fails or the pipeline stops.
func (b Block) Run(ctx context.Context, s *State) error {
	for _, c := range b {
		s.step = c
		if s.queryStale && !c.queryBlind {
			s.syncQuery()
		}
		if s.urlStale && !c.queryBlind { // its Go code may read Url's path or host
			s.syncUrl()
		}
		if s.trace != nil {
			if err := s.traceStep(ctx, c); err != nil {
				return err
			}
		} else if err := c.Step.Run(ctx, s); err != nil {
			return wrapStep(c, err)
		}
		if s.stopped {
			return nil
		}
	}
	return nil
}

func (s *State) traceStep(ctx context.Context, c *Compiled) error {
	i := s.trace.begin(c)
	t0 := time.Now()
	s.trace.Steps[i].Start = t0.Sub(s.start)
	var end func(error)
	if s.stepHook != nil {
		ctx, end = s.stepHook(ctx, c)
	}
	err := c.Step.Run(ctx, s)
	s.trace.end(i, time.Since(t0), err, s.stopped)
	if end != nil {
		end(err)
	}
	if err != nil {
		return wrapStep(c, err)
	}
	return nil
}

func wrapStep(c *Compiled, err error) error {
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{Step: c, Err: err}
}

// Plan is one API's compiled policy: immutable, shared by every request.
type Plan struct {
	Inbound, Backend, Outbound, OnError Block
	// ForwardsNothing: the backend section is written empty (<backend/>,
	// or only a <base/> of a parent scope's empty one). As in APIM, the
	// gateway then forwards nothing: outbound runs on a 200 with an empty
	// body. A section left out, or one with any policy in it, forwards
	// (docs/policies.md, forward-request).
	ForwardsNothing bool
	// Secrets are the secret named values the plan was compiled with:
	// context.LastError.Message and error bodies are masked with them,
	// since an on-error may send the message to the client.
	Secrets []string

	// blocking holds the sections that may block (MayBlock), computed once
	// when Compile finishes; classified says it was. A Plan built by hand
	// is classified by walking its blocks on each MayBlock call.
	blocking   Section
	classified bool
	// keepBody: outbound or on-error copies the client's request or
	// reads its body (KeepsRequestBody), computed with blocking.
	keepBody bool
}

// KeepsRequestBody reports whether the request body must be kept in
// memory when it is forwarded, because outbound or on-error copies the
// request after the forward (send-request mode="copy" replaying a request
// that failed, as in Microsoft's policy snippets) or reads its body
// (context.Request.Body in an expression there), or because inbound or
// backend keeps the body itself for later (a variable holding
// context.Request.Body). No per-request cost for a compiled plan.
func (p *Plan) KeepsRequestBody() bool {
	if p.classified {
		return p.keepBody
	}
	return p.needsRequestBody()
}

// MayBlock reports whether running any of the sections in secs (a mask:
// AllSections for the whole plan) may block the calling goroutine: a step
// in it, at any depth, does not declare itself NonBlocking. A failure in
// inbound, backend or outbound runs on-error, so a caller asking whether a
// request may block asks for AllSections. No per-request cost: a compiled
// plan answers from what Compile worked out.
func (p *Plan) MayBlock(secs Section) bool {
	if p.classified {
		return p.blocking&secs != 0
	}
	return p.classify()&secs != 0
}

// BlockingSteps lists, in document order, the steps of the sections in
// secs that make them block: a step that does not opt in to NonBlocking
// (not the steps it holds), and inside one that does, the nested steps
// that may block. Empty exactly when MayBlock(secs) is false. For tools
// that say why a plan may block (load time, not per request).
func (p *Plan) BlockingSteps(secs Section) []*Compiled {
	var out []*Compiled
	for _, sn := range sectionNames {
		if secs&sn.s != 0 {
			out = p.Section(sn.s).blockingSteps(out)
		}
	}
	return out
}

func (b Block) blockingSteps(out []*Compiled) []*Compiled {
	for _, c := range b {
		if nb, ok := c.Step.(NonBlocking); !ok || !nb.NeverBlocks() {
			out = append(out, c)
			continue
		}
		for _, br := range c.Branches {
			out = br.Steps.blockingSteps(out)
		}
	}
	return out
}

// classify returns the sections of p that may block.
func (p *Plan) classify() Section {
	var out Section
	for _, sn := range sectionNames {
		if p.Section(sn.s).MayBlock() {
			out |= sn.s
		}
	}
	return out
}

// Section returns the block for a section.
func (p *Plan) Section(sec Section) Block {
	if b := p.block(sec); b != nil {
		return *b
	}
	return nil
}

// block returns where the plan keeps a section's block (nil for no section).
func (p *Plan) block(sec Section) *Block {
	switch sec {
	case Inbound:
		return &p.Inbound
	case Backend:
		return &p.Backend
	case Outbound:
		return &p.Outbound
	case OnError:
		return &p.OnError
	}
	return nil
}

// Run runs one section. It reports true when the pipeline has ended and the
// gateway must answer with s.Response() as it is: a return-response, or a
// failure handled through on-error. Details of a failure are in
// s.LastError() and FailureOf.
func (p *Plan) Run(ctx context.Context, sec Section, s *State) bool {
	s.budget.ctx = ctx // a running expression stops when ctx does
	err := p.Section(sec).Run(ctx, s)
	if err == nil {
		return s.stopped
	}
	p.fail(ctx, sec, s, err)
	return true
}

// Fail runs on-error for a failure outside the policy steps (the gateway
// uses it for backend connection failures), as if sec had failed.
func (p *Plan) Fail(ctx context.Context, sec Section, s *State, pe *PolicyError) {
	s.budget.ctx = ctx
	p.fail(ctx, sec, s, pe)
}

func (p *Plan) fail(ctx context.Context, sec Section, s *State, err error) {
	le := &LastError{Section: sec.String(), Reason: ReasonExpression, Message: err.Error()}
	var se *StepError
	if errors.As(err, &se) {
		le.Source, le.Path, le.PolicyId, le.Scope = se.Step.Name, se.Step.Path, se.Step.ID, se.Step.Scope
		le.Section = se.Step.Section.String()
	}
	var pe *PolicyError
	resp := (*Response)(nil)
	if errors.As(err, &pe) {
		le.Reason, le.Message = pe.Reason, pe.Message
		if pe.Source != "" {
			le.Source = pe.Source
		}
		if c := s.Forward.From; se == nil && c != nil && pe.Source == c.Name {
			// the gateway's call after the backend section failed: the
			// forward-request step that asked for it is where, as APIM's
			// LastError names the policy's scope and path
			le.Path, le.PolicyId, le.Scope = c.Path, c.ID, c.Scope
		}
		resp = pe.Response
		if resp == nil {
			resp = ErrorResponse(statusOr(pe.Status, 500), Mask(publicMessage(pe), p.Secrets))
		}
	} else {
		resp = ErrorResponse(500, "Internal server error")
	}
	if errors.Is(err, context.Canceled) {
		le.Reason = ReasonCanceled
	} else if errors.Is(err, context.DeadlineExceeded) && le.Reason != ReasonTimeout {
		le.Reason = ReasonTimeout
	}
	le.Message = Mask(le.Message, p.Secrets)
	s.ctx.LastError = le
	s.ctx.Response = resp
	s.stopped = false
	if sec != OnError {
		if oerr := p.OnError.Run(ctx, s); oerr != nil {
			// on-error itself failed: answer with a plain 500 and keep the
			// original error as LastError (the gateway logs both).
			s.ctx.Response = ErrorResponse(500, "Internal server error")
			le.Message += "; on-error failed too: " + Mask(oerr.Error(), p.Secrets)
		}
	}
	s.stopped = true
}

// publicMessage is what the client sees for a failure with no on-error
// response: the policy's own message for client errors (4xx), a generic one
// for server errors, so internals never leak.
func publicMessage(pe *PolicyError) string {
	st := statusOr(pe.Status, 500)
	if st < 500 {
		return pe.Message
	}
	switch st {
	case 502:
		return "Bad gateway"
	case 503:
		return "Service unavailable"
	case 504:
		return "Gateway timeout"
	}
	return "Internal server error"
}

// Trace records each executed step when enabled for a request.
type Trace struct {
	Steps []TraceStep

	secrets []string // values masked in every note (State.AddTraceSecret)
}

// addSecret masks v from now on and in every note already taken. Longer
// values come first, so a value containing another is masked whole.
func (t *Trace) addSecret(v string) {
	if slices.Contains(t.secrets, v) {
		return
	}
	i, _ := slices.BinarySearchFunc(t.secrets, v, func(a, b string) int { return len(b) - len(a) })
	t.secrets = slices.Insert(t.secrets, i, v)
	for i := range t.Steps {
		st := &t.Steps[i]
		for j, n := range st.Notes {
			st.Notes[j] = strings.ReplaceAll(n, v, "REDACTED")
		}
		for j := range st.Vars {
			st.Vars[j].Value = strings.ReplaceAll(st.Vars[j].Value, v, "REDACTED")
		}
		for j := range st.Callouts {
			c := &st.Callouts[j]
			c.URL = strings.ReplaceAll(c.URL, v, "REDACTED")
			c.Error = strings.ReplaceAll(c.Error, v, "REDACTED")
		}
	}
}

// mask replaces every secret value in n with REDACTED.
func (t *Trace) mask(n string) string {
	for _, v := range t.secrets {
		n = strings.ReplaceAll(n, v, "REDACTED")
	}
	return n
}

// TraceStep is one executed step.
type TraceStep struct {
	Path     string
	Policy   string
	ID       string
	Section  string
	Pos      Pos           // where the step is written
	Start    time.Duration // since the request arrived
	Duration time.Duration
	Outcome  string // ok | stopped | error: ...
	Notes    []string
	// Vars are the variables the step set, Callouts its HTTP call-outs and
	// Branch the branch it took (when[2], otherwise), as recorded with
	// TraceVar, TraceCallout and TraceBranch (each also adds a note).
	Vars     []TraceVar
	Callouts []TraceCallout
	Branch   string
}

// TraceVar is a variable a traced step set; Value is its printed form, or
// "(secret)" when the value came from a secret named value.
type TraceVar struct {
	Name, Value string
}

// TraceCallout is one HTTP call a traced step made. URL has its secret
// query values redacted; Status is 0 when no answer came (see Error).
type TraceCallout struct {
	Method   string
	URL      string
	Status   int
	Duration time.Duration
	Error    string
}

func (t *Trace) begin(c *Compiled) int {
	t.Steps = append(t.Steps, TraceStep{Path: c.Path, Policy: c.Name, ID: c.ID, Section: c.Section.String(), Pos: c.Pos})
	return len(t.Steps) - 1
}

func (t *Trace) current() *TraceStep {
	if len(t.Steps) == 0 {
		t.Steps = append(t.Steps, TraceStep{})
	}
	return &t.Steps[len(t.Steps)-1]
}

func (t *Trace) end(i int, d time.Duration, err error, stopped bool) {
	st := &t.Steps[i]
	st.Duration = d
	switch {
	case err != nil:
		st.Outcome = "error: " + err.Error()
	case stopped:
		st.Outcome = "stopped"
	default:
		st.Outcome = "ok"
	}
}

func (t *Trace) note(n string) {
	st := t.current()
	st.Notes = append(st.Notes, t.mask(n))
}
