package engine

// Authorization is what get-authorization-context puts in its context
// variable (APIM's Authorization class): the connection's access token and
// the fields of the token response that carried it (RFC 6749 §5.1). C#
// expressions cast to it by name — (Authorization)…, as Authorization,
// GetValueOrDefault<Authorization>(…).
type Authorization struct {
	AccessToken string
	// Claims is IReadOnlyDictionary<string, object>: the token response's
	// fields (token_type, expires_in, scope, …) as JSON gives them: string,
	// float64 for numbers, bool, or nested values. The refresh token is
	// never among them (tollgate keeps it to itself).
	Claims map[string]any
}
