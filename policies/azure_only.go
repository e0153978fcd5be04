package policies

import (
	"context"

	"tollgate/engine"
)

// Policy elements that only mean something inside Azure. A self-hosted
// tollgate cannot honour them, so each is a load error at the element that
// says so and names what to use instead; the rest of the file is still
// checked (attributes and children are not reported again).
var azureOnly = map[string]string{
	"set-graphql-resolver": "APIM retired it for managed resolvers; give the field a resolver (an <http-data-source> in the synthetic GraphQL API's resolvers folder, docs/graphql.md)",
	"cosmosdb-data-source": "it reads Azure Cosmos DB; tollgate's synthetic GraphQL APIs resolve fields with <http-data-source> (docs/graphql.md): put an HTTP API in front of the data",
	"sql-data-source":      "it reads Azure SQL Database; tollgate's synthetic GraphQL APIs resolve fields with <http-data-source> (docs/graphql.md): put an HTTP API in front of the data",
}

// notInTollgate are APIM policies a self-hosted gateway could run but
// tollgate does not (yet): a load error naming what to do instead, as for
// the Azure-only ones.
var notInTollgate = map[string]string{}

// refusedPolicy returns the Parse of an element tollgate refuses at
// load (Azure-only, or not implemented): why, and what to use instead.
func refusedPolicy(why, alternative string) func(*engine.Parser) engine.Step {
	return func(p *engine.Parser) engine.Step {
		n := p.Node()
		for _, a := range n.Attrs {
			p.Attr(a.Name) // not reported one by one
		}
		p.RawInner() // nor are its children or text
		p.Errorf("<%s> %s: %s", n.Name, why, alternative)
		return engine.StepFunc(func(context.Context, *engine.State) error { return nil })
	}
}

// addAzureOnly puts every Azure-only element, and every APIM element
// tollgate does not run, in reg.
func addAzureOnly(reg engine.Registry) engine.Registry {
	for name, alt := range azureOnly {
		if _, ok := reg[name]; !ok {
			reg[name] = engine.Policy{Sections: engine.AllSections | engine.Resolver, Parse: refusedPolicy("is not available in a self-hosted gateway", alt)}
		}
	}
	for name, alt := range notInTollgate {
		if _, ok := reg[name]; !ok {
			reg[name] = engine.Policy{Sections: engine.AllSections, Parse: refusedPolicy("is not implemented by tollgate", alt)}
		}
	}
	return reg
}
