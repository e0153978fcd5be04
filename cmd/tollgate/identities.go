package main

import (
	"os"

	"tollgate/policies"
)

// identitiesFromEnv reads the OAuth2 client that stands in for the
// gateway's system-assigned managed identity (authentication-managed-identity
// without client-id): TOLLGATE_IDENTITY_TOKEN_URL, TOLLGATE_IDENTITY_CLIENT_ID
// and TOLLGATE_IDENTITY_CLIENT_SECRET. Nothing set: no identity.
func identitiesFromEnv() map[string]policies.Identity {
	url := os.Getenv("TOLLGATE_IDENTITY_TOKEN_URL")
	if url == "" {
		return nil
	}
	return map[string]policies.Identity{"": {
		TokenURL:     url,
		ClientID:     os.Getenv("TOLLGATE_IDENTITY_CLIENT_ID"),
		ClientSecret: os.Getenv("TOLLGATE_IDENTITY_CLIENT_SECRET"),
	}}
}
