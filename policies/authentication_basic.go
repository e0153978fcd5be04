package policies

import (
	"context"
	"encoding/base64"
	"strings"

	"tollgate/engine"
)

// <authentication-basic username="{{UserName}}" password="{{Password}}" />
// Sets Authorization: Basic base64(username:password) on the request sent
// to the backend, replacing any Authorization the client sent. The values
// (usually secret named values) are never traced.
type authenticationBasic struct {
	user, password engine.Str
}

func (k *kit) parseAuthenticationBasic(p *engine.Parser) engine.Step {
	a := &authenticationBasic{user: p.RequiredStr("username"), password: p.RequiredStr("password")}
	if a.user.IsConst() && strings.Contains(a.user.Const(), ":") {
		p.ErrorAt(p.Node().Attr("username").ValuePos, "a Basic username cannot contain \":\"")
	}
	return a
}

func (a *authenticationBasic) Run(_ context.Context, s *engine.State) error {
	user, err := a.user.Eval(s)
	if err != nil {
		return err
	}
	pw, err := a.password.Eval(s)
	if err != nil {
		return err
	}
	if strings.Contains(user, ":") {
		return engine.NewPolicyError(engine.ReasonExpression, 500, "the Basic username contains \":\"", nil)
	}
	h := s.Context().Request.Headers
	if h == nil {
		return nil
	}
	h["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))}
	s.Tracef("Authorization: Basic (credentials not shown)")
	return nil
}
