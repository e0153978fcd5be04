package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"tollgate/engine"
)

// CredentialExpression is a get-authorization-context whose provider-id
// (or authorization-id) is an expression: it may name any provider (or
// any connection of Provider) at run time.
type CredentialExpression struct {
	Pos engine.Pos // the attribute that is an expression
	// Provider is the literal provider-id when only authorization-id is
	// an expression; "" when provider-id is one.
	Provider string
}

// addExpression records a get-authorization-context with an expression id.
func (s *CredentialSet) addExpression(e CredentialExpression) {
	s.mu.Lock()
	s.exprs = append(s.exprs, e)
	s.mu.Unlock()
}

// Expressions are the get-authorization-context expressions compiled
// against s so far, in order (the gateway keeps an API's part for a reload
// that reuses the API as compiled: AddExpressions).
func (s *CredentialSet) Expressions() []CredentialExpression {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.exprs)
}

// AddExpressions records the expressions of a policy compiled against an
// earlier set of the same definitions (an API a reload reuses).
func (s *CredentialSet) AddExpressions(es []CredentialExpression) {
	if s == nil || len(es) == 0 {
		return
	}
	s.mu.Lock()
	s.exprs = append(s.exprs, es...)
	s.mu.Unlock()
}

// Notices are the providers and connections of s that cannot be used (a
// secret named value without a value), as notices:
// "file:line:col: ignored: credential provider X cannot be used: …", at
// the parameter that has no value. A literal provider-id or
// authorization-id naming one is a load error, so these are the ones no
// literal names; the notice says which get-authorization-context
// expressions may name one at run time (a request doing so fails with
// AuthorizationFailed). Call it once every policy is compiled.
func (s *CredentialSet) Notices() []string {
	if s == nil {
		return nil
	}
	exprs := s.Expressions()
	var out []string
	for _, pid := range sortedNames(s.providers) {
		def := s.providers[pid].def
		if def.Unusable != "" {
			out = append(out, unusableNotice(def.UnusablePos, "credential provider "+pid, def.Unusable, "provider-id", exprs, func(e CredentialExpression) bool {
				return e.Provider == ""
			}))
			continue // its connections cannot be used either: one notice
		}
		for i := range def.Connections {
			cn := &def.Connections[i]
			if cn.Unusable == "" || s.providers[pid].conns[cn.ID] == nil {
				continue // usable; or broken, and reported where it is defined
			}
			out = append(out, unusableNotice(cn.UnusablePos, "connection "+cn.ID+" of credential provider "+pid, cn.Unusable, "authorization-id", exprs, func(e CredentialExpression) bool {
				return e.Provider == "" || e.Provider == pid
			}))
		}
	}
	return out
}

// unusableNotice says what cannot be used, why, and which expressions may
// still name it.
func unusableNotice(at engine.Pos, what, why, attr string, exprs []CredentialExpression, reaches func(CredentialExpression) bool) string {
	var places []string
	for _, e := range exprs {
		if s := e.Pos.String(); reaches(e) && !slices.Contains(places, s) {
			places = append(places, s)
		}
	}
	sort.Strings(places)
	tail := " (nothing uses it)"
	switch {
	case len(places) == 1:
		tail = " (no literal " + attr + " names it; the get-authorization-context whose id is the expression at " + places[0] + " fails with AuthorizationFailed when it names it)"
	case len(places) > 1:
		more := ""
		if len(places) > 3 {
			places, more = places[:3], fmt.Sprintf(" and %d more", len(places)-3)
		}
		tail = " (no literal " + attr + " names it; a get-authorization-context whose id is an expression (at " + strings.Join(places, ", ") + more + ") fails with AuthorizationFailed when it names it)"
	}
	prefix := ""
	if at.Line > 0 || at.File != "" {
		prefix = at.String() + ": "
	}
	return prefix + "ignored: " + what + " cannot be used: " + why + tail
}
