package policies

import (
	"context"
	"strconv"

	"tollgate/engine"
)

// <choose><when condition="@(bool)">…</when>…<otherwise>…</otherwise></choose>
// The first true <when> runs; otherwise runs when none is true.
type choose struct {
	whens     []when
	otherwise engine.Block
}

type when struct {
	cond engine.Bool
	body engine.Block
}

func (k *kit) parseChoose(p *engine.Parser) engine.Step {
	c := &choose{}
	seenOtherwise := false
	for _, n := range p.Children() {
		switch n.Name {
		case "when":
			if seenOtherwise {
				p.ErrorAt(n.Pos, "<when> must come before <otherwise>")
			}
			w := p.Child(n)
			c.whens = append(c.whens, when{cond: w.RequiredBool("condition"), body: w.Block(n.Children)})
		case "otherwise":
			if seenOtherwise {
				p.ErrorAt(n.Pos, "<choose> has more than one <otherwise>")
			}
			seenOtherwise = true
			o := p.Child(n)
			c.otherwise = o.Block(n.Children)
		}
	}
	if len(c.whens) == 0 {
		p.Errorf("<choose> needs at least one <when>")
	}
	return c
}

// QueryBlind (engine.QueryBlind): its conditions and branches see to their own reads.
func (*choose) QueryBlind() {}

func (c *choose) Run(ctx context.Context, s *engine.State) error {
	for i := range c.whens {
		ok, err := c.whens[i].cond.Eval(s)
		if err != nil {
			return err
		}
		if ok {
			if s.Trace() != nil {
				s.TraceBranch("when[" + strconv.Itoa(i+1) + "]")
			}
			return c.whens[i].body.Run(ctx, s)
		}
	}
	s.TraceBranch("otherwise")
	return c.otherwise.Run(ctx, s)
}
