// Package appinsights sends telemetry to Azure Application Insights over
// its ingestion API (what the Application Insights SDKs call the "Breeze"
// endpoint): envelopes of requests, dependencies, exceptions, traces and
// metrics, gzipped and POSTed in batches to {IngestionEndpoint}/v2.1/track
// by one background worker per Exporter. Nothing a caller does waits for
// the endpoint: Track only queues (a bounded queue that drops and counts
// when full), and the worker retries what the endpoint asks to be retried
// (whole batches on 408, 429, 5xx or no answer; the retriable items of a
// partial success), a bounded number of times.
//
// There is no maintained Go library of Application Insights' ingestion
// protocol (microsoft/ApplicationInsights-Go is archived, and Microsoft's
// current exporters are OpenTelemetry ones for other languages), hence this
// small one. It depends on nothing of tollgate's.
package appinsights

import (
	"errors"
	"net/url"
	"strings"
)

// DefaultIngestionEndpoint is where telemetry goes when the connection
// string names no endpoint (an instrumentation key alone).
const DefaultIngestionEndpoint = "https://dc.services.visualstudio.com"

// DefaultAudience is the Microsoft Entra ID audience of the ingestion API:
// tokens are asked for DefaultAudience + "/.default", that is
// https://monitor.azure.com//.default, as Microsoft's exporters ask.
const DefaultAudience = "https://monitor.azure.com/"

// Endpoint is where and as what telemetry is sent: a parsed connection
// string (or an instrumentation key alone).
type Endpoint struct {
	// InstrumentationKey is the resource's key (a GUID). Secret: it is
	// what lets anyone write to the resource.
	InstrumentationKey string
	// Ingestion is the base URL, without a trailing slash: items go to
	// Ingestion + "/v2.1/track".
	Ingestion string
	// Audience is the Microsoft Entra ID audience for token
	// authentication (the connection string's AADAudience, or
	// DefaultAudience).
	Audience string
}

// Scope is the OAuth2 scope of a token for the ingestion API.
func (e Endpoint) Scope() string { return e.Audience + "/.default" }

// The parse errors are fixed sentences: a connection string is a secret,
// and nothing of it is ever quoted in an error.
var (
	errNotPairs      = errors.New("the connection string is not KEY=VALUE;KEY=VALUE (as the Azure portal shows it)")
	errNoKey         = errors.New("the connection string has no InstrumentationKey")
	errBadKey        = errors.New("the InstrumentationKey is not a GUID (00000000-0000-0000-0000-000000000000)")
	errBadEndpoint   = errors.New("the connection string's IngestionEndpoint is not an http(s) URL such as https://REGION.in.applicationinsights.azure.com/")
	errBadSuffix     = errors.New("the connection string's EndpointSuffix or Location is not a host name")
	errBadAudience   = errors.New("the connection string's AADAudience is not an https URL such as https://monitor.azure.com/")
	errAuthorization = errors.New("the connection string's Authorization must be ikey (tollgate authenticates with the logger's identityClientId)")
	errDuplicate     = errors.New("the connection string gives a key twice")
	errEmpty         = errors.New("the connection string is empty")
)

// ParseConnectionString reads an Application Insights connection string,
// as the Azure portal shows it:
//
//	InstrumentationKey=GUID;IngestionEndpoint=https://REGION.in.applicationinsights.azure.com/;LiveEndpoint=…;ApplicationId=…
//
// Keys are case-insensitive. InstrumentationKey is required.
// IngestionEndpoint, else EndpointSuffix (with an optional Location:
// https://LOCATION.dc.SUFFIX), else DefaultIngestionEndpoint, says where
// telemetry goes. Authorization, when given, must be ikey; AADAudience
// sets the Entra ID audience. Other keys (LiveEndpoint, ApplicationId,
// ProfilerEndpoint, …) name services tollgate does not use and are
// skipped. Errors never quote the string.
func ParseConnectionString(s string) (Endpoint, error) {
	if strings.TrimSpace(s) == "" {
		return Endpoint{}, errEmpty
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return Endpoint{}, errNotPairs
		}
		if _, dup := fields[k]; dup {
			return Endpoint{}, errDuplicate
		}
		fields[k] = strings.TrimSpace(v)
	}
	if a, ok := fields["authorization"]; ok && !strings.EqualFold(a, "ikey") {
		return Endpoint{}, errAuthorization
	}
	ep := Endpoint{InstrumentationKey: fields["instrumentationkey"], Audience: DefaultAudience}
	if ep.InstrumentationKey == "" {
		return Endpoint{}, errNoKey
	}
	if !IsGUID(ep.InstrumentationKey) {
		return Endpoint{}, errBadKey
	}
	switch ing, suffix := fields["ingestionendpoint"], fields["endpointsuffix"]; {
	case ing != "":
		u, err := url.Parse(ing)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return Endpoint{}, errBadEndpoint
		}
		ep.Ingestion = strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	case suffix != "":
		host := "dc." + strings.Trim(suffix, "./")
		if loc := fields["location"]; loc != "" {
			host = loc + "." + host
		}
		if !hostName(host) {
			return Endpoint{}, errBadSuffix
		}
		ep.Ingestion = "https://" + host
	default:
		ep.Ingestion = DefaultIngestionEndpoint
	}
	if aud := fields["aadaudience"]; aud != "" {
		u, err := url.Parse(aud)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return Endpoint{}, errBadAudience
		}
		ep.Audience = aud
	}
	return ep, nil
}

// InstrumentationKeyOnly is the Endpoint of a logger given an
// instrumentation key alone (credentials.instrumentationKey): it sends to
// DefaultIngestionEndpoint.
func InstrumentationKeyOnly(key string) (Endpoint, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return Endpoint{}, errNoKey
	}
	if !IsGUID(key) {
		return Endpoint{}, errBadKey
	}
	return Endpoint{InstrumentationKey: key, Ingestion: DefaultIngestionEndpoint, Audience: DefaultAudience}, nil
}

// IsGUID reports whether s is a GUID in its usual form,
// 8-4-4-4-12 hexadecimal digits (either case), as instrumentation keys are.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// hostName reports whether s is a DNS name (letters, digits, '-' and '.'
// in non-empty labels).
func hostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
