package policies

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/engine"
)

// <get-authorization-context provider-id="github-01" authorization-id="auth-01"
//
//	context-variable-name="auth-context" identity-type="managed | jwt"
//	identity="JWT bearer token" ignore-error="false" />
//
// Puts the connection's Authorization (AccessToken, Claims) in the
// variable, after checking the connection's access policies against the
// gateway's identity (managed) or the identity token (jwt). Every
// attribute takes expressions, as in APIM. See docs/credential-manager.md.
type getAuthorizationContext struct {
	set          *CredentialSet
	provider     engine.Str
	connection   engine.Str
	variable     engine.Str
	identityType engine.Str
	identity     engine.Str
	ignoreErr    engine.Bool
	conn         *connRef     // both ids literal: found at load
	jwt          *validateJwt // identity tokens' validation (nil: identity-type is always managed)
}

// Reasons of get-authorization-context's failures (context.LastError.Reason).
// APIM does not document them: these are tollgate's.
const (
	// ReasonAuthorizationNotFound: no such provider or connection.
	ReasonAuthorizationNotFound = "AuthorizationNotFound"
	// ReasonAuthorizationAccessDenied: no access policy of the connection
	// lets the identity use it.
	ReasonAuthorizationAccessDenied = "AuthorizationAccessDenied"
	// ReasonAuthorizationIdentityInvalid: identity-type="jwt" and the
	// identity is not a valid token for the authorization manager.
	ReasonAuthorizationIdentityInvalid = "AuthorizationIdentityInvalid"
	// ReasonAuthorizationFailed: no access token could be had (the
	// connection is in error: not consented, refused by the provider, the
	// provider unreachable).
	ReasonAuthorizationFailed = "AuthorizationFailed"
)

// parseGetAuthorizationContext is the registry's own parse: no
// credential provider was staged (a configuration without any, or a
// program that did not stage the folder's).
func (k *kit) parseGetAuthorizationContext(p *engine.Parser) engine.Step {
	return parseGetAuthorizationContext(p, k.creds.emptySet())
}

func (c *Credentials) emptySet() *CredentialSet {
	if c == nil {
		c = NewCredentials(CredentialsOptions{})
	}
	return &CredentialSet{c: c, providers: map[string]*providerEntry{}}
}

func parseGetAuthorizationContext(p *engine.Parser, set *CredentialSet) engine.Step {
	g := &getAuthorizationContext{
		set:          set,
		provider:     p.RequiredStr("provider-id"),
		connection:   p.RequiredStr("authorization-id"),
		variable:     p.RequiredStr("context-variable-name"),
		identityType: p.Str("identity-type", "managed"),
		identity:     p.Str("identity", ""),
		ignoreErr:    p.Bool("ignore-error", false),
	}
	n := p.Node()
	if g.variable.IsConst() && p.Has("context-variable-name") && strings.TrimSpace(g.variable.Const()) == "" {
		p.ErrorAt(n.Attr("context-variable-name").ValuePos, "attribute \"context-variable-name\" must not be empty")
	}
	needJWT := true
	if g.identityType.IsConst() {
		switch t := g.identityType.Const(); t {
		case "managed":
			needJWT = false
		case "jwt":
			if !p.Has("identity") {
				p.Errorf("identity-type=\"jwt\" needs the identity attribute: the Microsoft Entra token whose oid and tid the connection's access policies must allow")
			}
		default:
			p.ErrorAt(n.Attr("identity-type").ValuePos, "identity-type must be \"managed\" or \"jwt\", not %q", t)
		}
	}
	if needJWT {
		g.jwt = set.identityValidator(g.identity)
	}
	switch {
	case !g.provider.IsConst():
		set.addExpression(CredentialExpression{Pos: n.Attr("provider-id").ValuePos})
	case !g.connection.IsConst() && p.Has("provider-id"):
		set.addExpression(CredentialExpression{Pos: n.Attr("authorization-id").ValuePos, Provider: g.provider.Const()})
	}
	if g.provider.IsConst() && p.Has("provider-id") {
		pos := n.Attr("provider-id").ValuePos
		id := g.provider.Const()
		e := set.providers[id]
		switch {
		case e == nil:
			p.ErrorAt(pos, "no credential provider %q: define it in authorizationProviders/%s/authorizationProviderInformation.json%s (see docs/credential-manager.md)", id, id, set.known(""))
		case e.broken: // its problems are reported where it is defined
		case set.unusable[id] != "":
			p.ErrorAt(pos, "credential provider %q cannot be used: %s", id, set.unusable[id])
		case g.connection.IsConst() && p.Has("authorization-id"):
			cid := g.connection.Const()
			st := e.conns[cid]
			apos := n.Attr("authorization-id").ValuePos
			switch {
			case st == nil && !slices.ContainsFunc(e.def.Connections, func(c CredentialConnection) bool { return c.ID == cid }):
				p.ErrorAt(apos, "credential provider %q has no connection %q: define it in authorizationProviders/%s/authorizations/%s/authorizationInformation.json%s", id, cid, id, cid, set.known(id))
			case st == nil: // reported where it is defined
			case set.unusable[id+"/"+cid] != "":
				p.ErrorAt(apos, "connection %q of credential provider %q cannot be used: %s", cid, id, set.unusable[id+"/"+cid])
			default:
				g.conn = st
			}
		}
	}
	return g
}

// known lists the providers of the set (provider == "") or the
// connections of one, for error messages.
func (s *CredentialSet) known(provider string) string {
	var names []string
	if provider == "" {
		names = sortedNames(s.providers)
	} else if e := s.providers[provider]; e != nil {
		names = sortedNames(e.conns)
	}
	if len(names) == 0 {
		if provider == "" {
			return " (the configuration has none)"
		}
		return " (it has none)"
	}
	return " (there are: " + strings.Join(names, ", ") + ")"
}

// identityValidator validates identity tokens: Microsoft Entra tokens
// (keys from the authority's common key set) for the authorization
// manager's audience, checked with validate-jwt's machinery.
func (s *CredentialSet) identityValidator(identity engine.Str) *validateJwt {
	c := s.c
	return &validateJwt{
		cache:         c.jwks,
		from:          jwtFromValue,
		value:         identity,
		status:        http.StatusInternalServerError,
		requireExp:    true,
		requireSigned: true,
		parser:        jwt.NewParser(jwt.WithoutClaimsValidation()),
		sources:       []jwtSource{{src: c.jwks.source(c.entra+"/common/discovery/v2.0/keys", false), timeout: defaultJwksTimeout}},
		audiences:     []engine.Str{engine.ConstStr(c.audience)},
	}
}

func (g *getAuthorizationContext) Run(ctx context.Context, s *engine.State) error {
	ignore, err := g.ignoreErr.Eval(s)
	if err != nil {
		return err
	}
	name, err := g.variable.Eval(s)
	if err != nil {
		return err
	}
	auth, st, err := g.get(ctx, s)
	if err != nil {
		var pe *engine.PolicyError
		if ignore && errors.As(err, &pe) {
			s.Variables()[name] = nil
			s.Tracef("no authorization context (ignored): %s: %s", pe.Reason, pe.Message)
			return nil
		}
		return err
	}
	s.Variables()[name] = auth
	if s.Trace() != nil {
		s.Tracef("authorization context of %s in %s (token not shown)", st.name(), name)
	}
	return nil
}

func failAuth(reason, msg string, cause error) error {
	return engine.NewPolicyError(reason, http.StatusInternalServerError, msg, cause)
}

// get finds the connection, checks its access policies and returns its
// Authorization. Failures are PolicyErrors (ignore-error applies to
// them); an expression's failure is returned as it is.
func (g *getAuthorizationContext) get(ctx context.Context, s *engine.State) (*engine.Authorization, *connRef, error) {
	st := g.conn
	if st == nil {
		pid, err := g.provider.Eval(s)
		if err != nil {
			return nil, nil, err
		}
		cid, err := g.connection.Eval(s)
		if err != nil {
			return nil, nil, err
		}
		var e *providerEntry
		st, e = g.set.lookup(pid, cid)
		switch {
		case e == nil:
			return nil, nil, failAuth(ReasonAuthorizationNotFound, "credential provider \""+pid+"\" was not found", nil)
		case st == nil:
			return nil, nil, failAuth(ReasonAuthorizationNotFound, "connection \""+cid+"\" of credential provider \""+pid+"\" was not found", nil)
		}
		if why := firstNonEmpty(g.set.unusable[pid], g.set.unusable[pid+"/"+cid]); why != "" {
			return nil, nil, failAuth(ReasonAuthorizationFailed, "connection "+st.name()+" cannot be used: "+why, nil)
		}
	}
	typ, err := g.identityType.Eval(s)
	if err != nil {
		return nil, nil, err
	}
	switch typ {
	case "managed":
		err = st.allowsGateway()
	case "jwt":
		err = g.allowsToken(ctx, s, st)
	default:
		err = failAuth(ReasonAuthorizationIdentityInvalid, "identity-type must be \"managed\" or \"jwt\", not \""+typ+"\"", nil)
	}
	if err != nil {
		return nil, nil, err
	}
	auth, err := st.token(ctx)
	if err != nil {
		return nil, nil, failAuth(ReasonAuthorizationFailed, err.Error(), err)
	}
	return auth, st, nil
}

// allowsGateway checks the connection's access policies against the
// gateway's identity.
func (st *connRef) allowsGateway() error {
	id := st.c.identity
	if id.ObjectID == "" {
		return failAuth(ReasonAuthorizationAccessDenied, "connection "+st.name()+": the gateway has no identity for identity-type \"managed\": set TOLLGATE_IDENTITY_OBJECT_ID (and TOLLGATE_IDENTITY_TENANT_ID) to the object ID an access policy of the connection names", nil)
	}
	for _, ap := range st.policies {
		if strings.EqualFold(ap.ObjectID, id.ObjectID) && (id.TenantID == "" || strings.EqualFold(ap.TenantID, id.TenantID)) {
			return nil
		}
	}
	return failAuth(ReasonAuthorizationAccessDenied, "connection "+st.name()+": no access policy allows the gateway's identity (object ID "+id.ObjectID+")", nil)
}

// allowsToken validates the identity token and checks its oid and tid
// (and appid, where a policy lists application IDs) against the
// connection's access policies.
func (g *getAuthorizationContext) allowsToken(ctx context.Context, s *engine.State, st *connRef) error {
	if g.jwt == nil {
		return failAuth(ReasonAuthorizationIdentityInvalid, "identity-type \"jwt\" without an identity", nil)
	}
	tok, err := g.jwt.validate(ctx, s)
	if err != nil {
		var f *jwtFail
		if errors.As(err, &f) {
			return failAuth(ReasonAuthorizationIdentityInvalid, "connection "+st.name()+": the identity token is not valid: "+f.reason+": "+f.msg, nil)
		}
		return err
	}
	tid, _ := tok.Claims["tid"].(string)
	oid, _ := tok.Claims["oid"].(string)
	iss := tok.Issuer
	if tid == "" || oid == "" {
		return failAuth(ReasonAuthorizationIdentityInvalid, "connection "+st.name()+": the identity token has no oid or tid claim", nil)
	}
	if iss != st.c.entra+"/"+tid+"/v2.0" && iss != "https://sts.windows.net/"+tid+"/" {
		return failAuth(ReasonAuthorizationIdentityInvalid, "connection "+st.name()+": the identity token's issuer is not its tenant's", nil)
	}
	var apps []string
	for _, c := range []string{"appid", "azp"} {
		if a, _ := tok.Claims[c].(string); a != "" {
			apps = append(apps, a)
		}
	}
	for _, ap := range st.policies {
		if !strings.EqualFold(ap.ObjectID, oid) || !strings.EqualFold(ap.TenantID, tid) {
			continue
		}
		if len(ap.AppIDs) == 0 || slices.ContainsFunc(ap.AppIDs, func(a string) bool {
			return slices.ContainsFunc(apps, func(b string) bool { return strings.EqualFold(a, b) })
		}) {
			return nil
		}
	}
	return failAuth(ReasonAuthorizationAccessDenied, "connection "+st.name()+": no access policy allows the identity (object ID "+oid+", tenant "+tid+")", nil)
}
