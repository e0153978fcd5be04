package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"tollgate/policies"
)

// identities reads the OAuth2 clients that stand in for APIM's managed
// identities (authentication-managed-identity). The system-assigned one
// (no client-id) comes from TOLLGATE_IDENTITY_TOKEN_URL,
// TOLLGATE_IDENTITY_CLIENT_ID and TOLLGATE_IDENTITY_CLIENT_SECRET; the
// user-assigned ones a policy names with client-id="…" come from file
// (--identities), a JSON object keyed by that client-id:
//
//	{"6f1c…": {"tokenUrl": "https://…/oauth2/v2.0/token", "clientId": "…", "clientSecret": "…"}}
//
// Nothing set and no file: no identity.
func identities(file string) (map[string]policies.Identity, error) {
	out := map[string]policies.Identity{}
	if u := os.Getenv("TOLLGATE_IDENTITY_TOKEN_URL"); u != "" {
		out[""] = policies.Identity{
			TokenURL:     u,
			ClientID:     os.Getenv("TOLLGATE_IDENTITY_CLIENT_ID"),
			ClientSecret: os.Getenv("TOLLGATE_IDENTITY_CLIENT_SECRET"),
		}
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read: %v", file, errors.Unwrap(err))
		}
		more, err := parseIdentities(file, data)
		if err != nil {
			return nil, err
		}
		for id, v := range more {
			out[id] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// parseIdentities reads an identities file. Errors name the file and the
// line and column (syntax) or the entry (content), never a secret.
func parseIdentities(file string, data []byte) (map[string]policies.Identity, error) {
	type entry struct {
		TokenURL     string `json:"tokenUrl"`
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonError(file, data, err, "an identities file is a JSON object keyed by client-id")
	}
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make(map[string]policies.Identity, len(raw))
	for _, id := range ids {
		var e entry
		d := json.NewDecoder(bytes.NewReader(raw[id]))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return nil, fmt.Errorf("%s: identity %q: %s (want tokenUrl, clientId, clientSecret)", file, id, jsonText(err))
		}
		switch u, err := url.Parse(e.TokenURL); {
		case id == "":
			return nil, fmt.Errorf("%s: an identity needs a client-id as its key (the system-assigned one comes from TOLLGATE_IDENTITY_TOKEN_URL, _CLIENT_ID and _CLIENT_SECRET)", file)
		case e.TokenURL == "":
			return nil, fmt.Errorf("%s: identity %q has no tokenUrl", file, id)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return nil, fmt.Errorf("%s: identity %q: tokenUrl must be an absolute http(s) URL", file, id)
		case e.ClientID == "":
			return nil, fmt.Errorf("%s: identity %q has no clientId", file, id)
		case e.ClientSecret == "":
			return nil, fmt.Errorf("%s: identity %q has no clientSecret", file, id)
		}
		out[id] = policies.Identity{TokenURL: e.TokenURL, ClientID: e.ClientID, ClientSecret: e.ClientSecret}
	}
	return out, nil
}

// jsonError places a JSON error at its line and column when it has one.
func jsonError(file string, data []byte, err error, what string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		return fmt.Errorf("%s: %s", file, what)
	}
	if off < 0 {
		return fmt.Errorf("%s: %s: %s", file, what, jsonText(err))
	}
	line, col := 1, 1
	for _, c := range data[:max(0, min(int(off)-1, len(data)))] { // Offset counts the offending byte
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("%s:%d:%d: invalid JSON: %s", file, line, col, jsonText(err))
}

// jsonText is encoding/json's message without a value it may quote.
func jsonText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be a %s", te.Field, te.Type)
	}
	return err.Error()
}

// gatewayIdentity is the gateway's own identity for get-authorization-context
// identity-type="managed": the object ID (and tenant) that the connections'
// access policies name, as they name an APIM instance's system-assigned
// managed identity (docs/credential-manager.md).
func gatewayIdentity() policies.GatewayIdentity {
	return policies.GatewayIdentity{
		ObjectID: strings.TrimSpace(os.Getenv("TOLLGATE_IDENTITY_OBJECT_ID")),
		TenantID: strings.TrimSpace(os.Getenv("TOLLGATE_IDENTITY_TENANT_ID")),
	}
}
