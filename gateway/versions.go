package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
)

// API versions chosen by a query parameter or a header (APIM's Query and
// Header versioning schemes; the Segment scheme is a path of its own). The
// versions of one API share its path: api.xml's version-query or
// version-header (with version="v2"; without version, the Original, which
// answers requests that name no version), or APIOps' version set. The
// router finds the path, then the version (Snapshot.versions).

// APIVersioning is how a request names the API's version.
type APIVersioning struct {
	Scheme string // "query" or "header"; "" for an API that is not chosen this way
	Name   string // the query parameter or header
	ID     string // the version ("" : the Original)
}

func (v APIVersioning) describe() string {
	if v.Scheme == "query" {
		return "query parameter " + v.Name
	}
	return "header " + v.Name
}

// versionGroup is the APIs of one path told apart by version.
type versionGroup struct {
	scheme, name string
	byID         map[string]*API
	original     *API // nil: a request must name a version
}

// pick is the API a request names, or nil.
func (g *versionGroup) pick(r *http.Request) (*API, string) {
	var v string
	if g.scheme == "header" {
		v = r.Header.Get(g.name)
	} else if raw := r.URL.RawQuery; raw != "" {
		v = queryValue(raw, g.name)
	}
	if v == "" {
		return g.original, ""
	}
	return g.byID[v], v
}

// queryValue is the first value of name in a raw query ("" when absent).
// A value that does not decode is returned as it is: it names no version.
func queryValue(raw, name string) string {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k == name || (strings.ContainsAny(k, "%+") && unescapeQuery(k) == name) {
			return unescapeQuery(v)
		}
	}
	return ""
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// versionRefused answers a request to a versioned path that names no
// version it has.
func versionRefused(w http.ResponseWriter, g *versionGroup, path, v string) {
	what := APIVersioning{Scheme: g.scheme, Name: g.name}.describe()
	if v == "" {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("The API at %q needs its version in the %s.", path, what))
		return
	}
	writeJSONError(w, http.StatusNotFound, fmt.Sprintf("The API at %q has no version %q (%s).", path, v, what))
}

// parseVersioning reads api.xml's version, version-query and
// version-header.
func parseVersioning(p *engine.Parser, api *API) {
	valuePos := func(name string) engine.Pos { return p.Node().Attr(name).ValuePos }
	api.Versioning.ID = p.LitStr("version", "")
	q, h := p.LitStr("version-query", ""), p.LitStr("version-header", "")
	switch {
	case p.Has("version-query") && p.Has("version-header"):
		p.ErrorAt(p.Node().Attr("version-header").Pos, "give version-query or version-header, not both")
	case p.Has("version-query"):
		if q == "" {
			p.ErrorAt(valuePos("version-query"), "version-query must name a query parameter")
		}
		api.Versioning.Scheme, api.Versioning.Name = "query", q
	case p.Has("version-header"):
		if !httpguts.ValidHeaderFieldName(h) {
			p.ErrorAt(valuePos("version-header"), "version-header %q is not a valid header name", h)
		}
		api.Versioning.Scheme, api.Versioning.Name = "header", http.CanonicalHeaderKey(h)
	}
}

// groupVersions builds the snapshot's version groups from its APIs, and
// reports the paths whose APIs cannot be told apart.
func groupVersions(apis []*API, files map[*API]string, errs *engine.ErrorList) map[string]*versionGroup {
	var groups map[string]*versionGroup
	for _, a := range apis {
		v := a.Versioning
		if v.Scheme == "" {
			continue
		}
		if groups == nil {
			groups = map[string]*versionGroup{}
		}
		g := groups[a.Path]
		if g == nil {
			g = &versionGroup{scheme: v.Scheme, name: v.Name, byID: map[string]*API{}}
			groups[a.Path] = g
		}
		pos := engine.Pos{File: files[a], Line: 1, Col: 1}
		switch {
		case g.scheme != v.Scheme || !strings.EqualFold(g.name, v.Name):
			first := g.original
			for _, o := range g.byID {
				first = o
				break
			}
			errs.Add(pos, "", "API %q shares the path %q with API %q, but chooses its version by the %s, not the %s",
				a.Name, a.Path, first.Name, v.describe(), APIVersioning{Scheme: g.scheme, Name: g.name}.describe())
		case v.ID == "" && g.original != nil:
			errs.Add(pos, "", "APIs %q and %q are both the Original (no version) of the path %q", g.original.Name, a.Name, a.Path)
		case v.ID == "":
			g.original = a
		case g.byID[v.ID] != nil:
			errs.Add(pos, "", "APIs %q and %q are both version %q of the path %q", g.byID[v.ID].Name, a.Name, v.ID, a.Path)
		default:
			g.byID[v.ID] = a
		}
	}
	return groups
}
