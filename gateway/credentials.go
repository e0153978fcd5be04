package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash"
	"path/filepath"
	"strings"

	"tollgate/engine"
	"tollgate/policies"
)

// The credential manager's resources, laid out as ARM nests them (APIOps'
// extractor does not extract them, so this layout is tollgate's; the
// properties are ARM's):
//
//	authorizationProviders/PROVIDER/authorizationProviderInformation.json
//	authorizationProviders/PROVIDER/authorizations/CONNECTION/authorizationInformation.json
//	authorizationProviders/PROVIDER/authorizations/CONNECTION/accessPolicies/POLICY/accessPolicyInformation.json
//
// See docs/credential-manager.md.

const credentialsFolder = "authorizationProviders"

// loadCredentialProviders reads the credential providers of dir. Every
// string parameter may use {{named values}}: client secrets belong in
// secret named values, not in the folder.
func loadCredentialProviders(dir string, nv *engine.NamedValues, common hash.Hash, errs *engine.ErrorList, notes *[]string) []policies.CredentialProvider {
	var out []policies.CredentialProvider
	for _, rf := range readResourceFiles(dir, credentialsFolder, "authorizationProviderInformation.json", "credential provider", errs) {
		common.Write([]byte("credentials\x00" + rf.name + "\x00"))
		common.Write(rf.data)
		var info resourceInfo
		p := policies.CredentialProvider{ID: rf.name, Pos: engine.Pos{File: rf.file, Line: 1, Col: 1}, IdentityPos: rf.at("identityProvider")}
		if !decodeJSONFile(rf.file, rf.data, &info, errs) {
			info.Properties, p.Broken = nil, true
		}
		if p.IdentityPos.Line == 0 {
			p.IdentityPos = p.Pos
		}
		ok := true
		for _, k := range sortedKeys(info.Properties) {
			raw := info.Properties[k]
			switch k {
			case "displayName":
			case "identityProvider":
				if !jsonString(raw, &p.IdentityProvider) {
					errs.Add(rf.at(k), "", "identityProvider must be a string")
					ok = false
				}
			case "oauth2":
				ok = readProviderOAuth2(rf, raw, nv, &p, errs, notes) && ok
			default:
				*notes = append(*notes, rf.at(k).String()+": ignored: credential provider property "+k)
			}
		}
		p.Broken = p.Broken || !ok
		if p.GrantPos.Line == 0 {
			p.GrantPos = rf.at("oauth2")
			if p.GrantPos.Line == 0 {
				p.GrantPos = p.Pos
			}
		}
		p.Connections = loadConnections(filepath.Join(dir, credentialsFolder, rf.name), nv, common, errs, notes)
		out = append(out, p)
	}
	return out
}

// readProviderOAuth2 reads properties.oauth2: redirectUrl and grantTypes,
// which holds one grant type and its parameters.
func readProviderOAuth2(rf resourceFile, raw json.RawMessage, nv *engine.NamedValues, p *policies.CredentialProvider, errs *engine.ErrorList, notes *[]string) bool {
	var o map[string]json.RawMessage
	if json.Unmarshal(raw, &o) != nil || o == nil {
		errs.Add(rf.at("oauth2"), "", "oauth2 must be an object: {\"grantTypes\": {\"clientCredentials\" or \"authorizationCode\": {…}}}")
		return false
	}
	ok := true
	for _, k := range sortedKeys(o) {
		switch k {
		case "redirectUrl":
			p.RedirectPos = rf.at(k)
			if !jsonString(o[k], &p.RedirectURL) {
				errs.Add(p.RedirectPos, "", "oauth2.redirectUrl must be a string")
				ok = false
			}
		case "grantTypes":
			var g map[string]json.RawMessage
			if json.Unmarshal(o[k], &g) != nil {
				errs.Add(rf.at(k), "", "oauth2.grantTypes must be an object")
				return false
			}
			var names []string
			for _, gk := range sortedKeys(g) {
				if !isNull(g[gk]) {
					names = append(names, gk)
				}
			}
			switch len(names) {
			case 0:
			case 1:
				p.GrantType, p.GrantPos = names[0], rf.at(names[0])
				if names[0] != policies.GrantAuthorizationCode && names[0] != policies.GrantClientCredentials {
					errs.Add(p.GrantPos, "", "unknown grant type %q: %s or %s", names[0], policies.GrantAuthorizationCode, policies.GrantClientCredentials)
					return false
				}
				params, pos, why, whyPos, pok := readParams(rf, g[names[0]], "oauth2.grantTypes."+names[0], nv, errs)
				p.Params, p.ParamPos, p.Unusable, p.UnusablePos = params, pos, why, whyPos
				ok = ok && pok
			default:
				errs.Add(rf.at(names[1]), "", "a credential provider has one grant type, not %s: make one provider per grant type", strings.Join(names, " and "))
				return false
			}
		default:
			*notes = append(*notes, rf.at(k).String()+": ignored: credential provider property oauth2."+k)
		}
	}
	return ok
}

// readParams reads an object of string parameters (null ones are absent)
// with {{named values}} substituted. A secret named value without a value
// makes the resource unusable (why, at whyPos) rather than the load fail.
func readParams(rf resourceFile, raw json.RawMessage, what string, nv *engine.NamedValues, errs *engine.ErrorList) (map[string]string, map[string]engine.Pos, string, engine.Pos, bool) {
	var m map[string]json.RawMessage
	if isNull(raw) {
		return nil, nil, "", engine.Pos{}, true
	}
	if json.Unmarshal(raw, &m) != nil {
		errs.Add(rf.at(what[strings.LastIndex(what, ".")+1:]), "", "%s must be an object of string parameters", what)
		return nil, nil, "", engine.Pos{}, false
	}
	params, pos := map[string]string{}, map[string]engine.Pos{}
	ok := true
	why := ""
	var whyPos engine.Pos
	for _, k := range sortedKeys(m) {
		at := rf.at(k)
		pos[k] = at
		if isNull(m[k]) {
			continue
		}
		var v string
		if !jsonString(m[k], &v) {
			errs.Add(at, "", "%s.%s must be a string", what, k)
			ok = false
			continue
		}
		s, err := nv.SubstituteWithIDs(v)
		var missing *engine.MissingValueError
		if errors.As(err, &missing) {
			if why == "" {
				why, whyPos = what+"."+k+": "+err.Error(), at
			}
			continue
		}
		if err != nil {
			errs.Add(at, "", "%s.%s: %s", what, k, err.Error())
			ok = false
			continue
		}
		if s != "" {
			params[k] = s
		}
	}
	return params, pos, why, whyPos, ok
}

// loadConnections reads a provider's authorizations/ folder.
func loadConnections(pdir string, nv *engine.NamedValues, common hash.Hash, errs *engine.ErrorList, notes *[]string) []policies.CredentialConnection {
	var out []policies.CredentialConnection
	for _, rf := range readResourceFiles(pdir, "authorizations", "authorizationInformation.json", "connection", errs) {
		common.Write([]byte("connection\x00" + rf.name + "\x00"))
		common.Write(rf.data)
		var info resourceInfo
		c := policies.CredentialConnection{ID: rf.name, Pos: engine.Pos{File: rf.file, Line: 1, Col: 1}}
		if !decodeJSONFile(rf.file, rf.data, &info, errs) {
			info.Properties, c.Broken = nil, true
		}
		ok := true
		for _, k := range sortedKeys(info.Properties) {
			raw := info.Properties[k]
			switch strings.ToLower(k) {
			case "displayname":
			case "authorizationtype":
				var t string
				if !jsonString(raw, &t) || (t != "" && !strings.EqualFold(t, "OAuth2")) {
					errs.Add(rf.at(k), "", "connection %q: authorizationType must be \"OAuth2\"", c.ID)
					ok = false
				}
			case "oauth2granttype":
				c.GrantPos = rf.at(k)
				if !jsonString(raw, &c.GrantType) {
					errs.Add(c.GrantPos, "", "connection %q: oauth2grantType must be a string", c.ID)
					ok = false
				}
			case "parameters":
				params, pos, why, whyPos, pok := readParams(rf, raw, "parameters", nv, errs)
				c.Params, c.ParamPos, c.Unusable, c.UnusablePos = params, pos, why, whyPos
				ok = ok && pok
			case "status", "error":
				*notes = append(*notes, rf.at(k).String()+": ignored: connection property "+k+" (tollgate keeps each connection's status itself: GET /credentials on the admin listener)")
			default:
				*notes = append(*notes, rf.at(k).String()+": ignored: connection property "+k)
			}
		}
		c.Broken = c.Broken || !ok
		c.AccessPolicies = loadAccessPolicies(filepath.Join(pdir, "authorizations", rf.name), common, errs, notes)
		out = append(out, c)
	}
	return out
}

// loadAccessPolicies reads a connection's accessPolicies/ folder.
func loadAccessPolicies(cdir string, common hash.Hash, errs *engine.ErrorList, notes *[]string) []policies.CredentialAccessPolicy {
	var out []policies.CredentialAccessPolicy
	for _, rf := range readResourceFiles(cdir, "accessPolicies", "accessPolicyInformation.json", "access policy", errs) {
		common.Write([]byte("accesspolicy\x00" + rf.name + "\x00"))
		common.Write(rf.data)
		var info struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if !decodeJSONFile(rf.file, rf.data, &info, errs) {
			continue
		}
		ap := policies.CredentialAccessPolicy{ID: rf.name, Pos: engine.Pos{File: rf.file, Line: 1, Col: 1}}
		ok := true
		for _, k := range sortedKeys(info.Properties) {
			raw := info.Properties[k]
			switch k {
			case "tenantId":
				ok = jsonString(raw, &ap.TenantID) && ok
			case "objectId":
				ok = jsonString(raw, &ap.ObjectID) && ok
			case "appIds":
				if !isNull(raw) && json.Unmarshal(raw, &ap.AppIDs) != nil {
					errs.Add(rf.at(k), "", "appIds must be a list of application IDs")
					ok = false
				}
			default:
				*notes = append(*notes, rf.at(k).String()+": ignored: access policy property "+k)
			}
		}
		if !ok {
			errs.Add(ap.Pos, "", "access policy %q: tenantId and objectId must be strings", ap.ID)
			continue
		}
		if info.Properties == nil {
			ap.Pos = engine.Pos{File: rf.file, Line: 1, Col: 1}
		}
		out = append(out, ap)
	}
	return out
}

// jsonString decodes a JSON string (null: "").
func jsonString(raw json.RawMessage, dst *string) bool {
	if isNull(raw) {
		*dst = ""
		return true
	}
	return json.Unmarshal(raw, dst) == nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// workspaceCredentialNotices reports credential providers in workspaces:
// tollgate reads the service's only.
func workspaceCredentialNotices(dir string, notes *[]string) {
	for _, ws := range resourceFolders(filepath.Join(dir, "workspaces")) {
		p := filepath.Join(dir, "workspaces", ws, credentialsFolder)
		if dirExists(p) {
			*notes = append(*notes, p+": ignored: credential providers of a workspace (tollgate reads the service's authorizationProviders/ only; every policy sees them)")
		}
	}
}
