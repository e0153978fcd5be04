package policies

import "context"

// consents are the consent flows under way (authorization code).
type consents struct{}

// refreshed gets an authorization-code connection's access token.
func (st *connState) refreshed(ctx context.Context) (*tokenResult, error) {
	return nil, &tokenError{msg: "connection " + st.name() + " is not connected: nobody has consented yet (open the connection's login link on the admin listener)",
		cause: &refusedError{code: "Unauthenticated"}}
}
