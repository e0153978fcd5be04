package policies

import (
	"context"

	"tollgate/engine"
)

// <wait for="all|any">
//
//	<send-request …/> <cache-lookup-value …/> <choose>…</choose>
//
// </wait>
// Runs each child (a branch) in parallel. for="all" (the default) waits for
// every branch; for="any" waits for the first branch to finish without an
// error and cancels the others (their context is cancelled: a send-request
// in flight is aborted). Sections: inbound, backend, outbound.
//
// Children must be send-request, cache-lookup-value or choose (APIM); any
// other child is a load error. A State belongs to one goroutine, so each
// branch runs on its own fork of the request's State (engine.State.Fork):
// it sees everything set before the wait, but what it changes stays in
// its fork until every branch has finished. Then the forks are merged
// into the request in document order (engine.State.Join): the variables a
// branch set, changed or removed (a later branch wins on the same name),
// its trace, and a return-response it ended with (the first such branch
// in document order decides the response). Because only those effects
// are merged, the policies inside a <choose> branch are limited to ones
// whose effects are variables, response headers recorded for the client,
// work at the end of outbound or the end of the pipeline: send-request,
// cache-lookup-value, cache-store-value, cache-remove-value, set-variable,
// choose, retry, trace, return-response, rate-limit and rate-limit-by-key
// (APIM's own example of wait has a rate-limit in a branch); anything else
// (set-header, set-body, quota, …) is a load error. Nested waits are not
// allowed.
//
// Errors: with "all", the first branch to fail cancels the others; the
// branches that succeeded are merged and the wait fails with that error
// (on-error sees it). With "any", only the winner is merged; if every
// branch fails, the wait fails with the first failure.
type waitPolicy struct {
	any      bool
	branches []*engine.Compiled
}

var waitChildren = map[string]bool{"send-request": true, "cache-lookup-value": true, "choose": true}

var branchSafe = map[string]bool{
	"send-request": true, "cache-lookup-value": true, "cache-store-value": true, "cache-remove-value": true,
	"set-variable": true, "choose": true, "retry": true, "trace": true, "return-response": true,
	"rate-limit": true, "rate-limit-by-key": true,
}

func (k *kit) parseWait(p *engine.Parser) engine.Step {
	w := &waitPolicy{any: p.LitStr("for", "all", "all", "any") == "any"}
	var ok []*engine.Node
	for _, n := range p.Children() {
		if !waitChildren[n.Name] {
			p.Skip(n)
			p.ErrorAt(n.Pos, "<%s> is not allowed inside <wait> (want send-request, cache-lookup-value or choose)", n.Name)
			continue
		}
		ok = append(ok, n)
	}
	w.branches = p.Block(ok)
	for _, br := range w.branches {
		walkBlock(engine.Block{br}, func(c *engine.Compiled) {
			if !branchSafe[c.Name] {
				p.ErrorAt(c.Pos, "<%s> is not allowed inside a <wait> branch: a branch runs in parallel and may only set variables, limit the call rate or return a response (allowed: send-request, cache-lookup-value, cache-store-value, cache-remove-value, set-variable, choose, retry, trace, return-response, rate-limit, rate-limit-by-key)", c.Name)
			}
		})
	}
	if len(ok) == 0 && len(p.Children()) == 0 {
		p.Errorf("<wait> needs at least one child (send-request, cache-lookup-value or choose)")
	}
	return w
}

// branchSinks are the request's observers the gateway sets
// (State.SetPrivate), each safe for concurrent use: a branch tells them of
// its call-outs, trace messages and metrics as the request does, so that
// they reach the request's spans and Application Insights items.
var branchSinks = [...]any{CalloutSinkKey{}, TraceSinkKey{}, MetricSinkKey{}}

type branchResult struct {
	i   int
	err error
}

func (w *waitPolicy) Run(ctx context.Context, s *engine.State) error {
	n := len(w.branches)
	if n == 0 {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	forks := make([]*engine.State, n)
	for i := range forks {
		forks[i] = s.Fork()
		for _, key := range branchSinks {
			if v := s.Private(key); v != nil {
				forks[i].SetPrivate(key, v)
			}
		}
	}
	done := make(chan branchResult, n)
	for i, br := range w.branches {
		go func() {
			done <- branchResult{i, engine.Block{br}.Run(wctx, forks[i])}
		}()
	}
	errs := make([]error, n)
	winner := -1
	var firstErr error
	for range n {
		r := <-done
		errs[r.i] = r.err
		switch {
		case r.err == nil && w.any && winner < 0:
			winner = r.i
			cancel()
		case r.err != nil && firstErr == nil && winner < 0:
			firstErr = r.err
			if !w.any {
				cancel()
			}
		}
	}
	// Every branch has returned: the forks are ours again.
	if w.any {
		if winner < 0 {
			for _, f := range forks {
				s.Discard(f)
			}
			return firstErr
		}
		s.Tracef("branch %d of %d finished first", winner+1, n)
		for i, f := range forks {
			if i == winner {
				s.Join(f)
			} else {
				s.Discard(f)
			}
		}
		return nil
	}
	s.Tracef("%d branches finished", n)
	for i, f := range forks {
		if errs[i] == nil {
			s.Join(f)
		} else {
			s.Discard(f)
		}
	}
	return firstErr
}
