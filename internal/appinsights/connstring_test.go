package appinsights

import (
	"strings"
	"testing"
	"time"
)

const key = "6e6f0c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6"

func TestParseConnectionString(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Endpoint
		err      error
	}{
		{name: "the portal's", in: "InstrumentationKey=" + key + ";IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;ApplicationId=b058e3c2-c0a1-43b0-92e0-846a8059145c",
			want: Endpoint{InstrumentationKey: key, Ingestion: "https://westeurope-5.in.applicationinsights.azure.com", Audience: DefaultAudience}},
		{name: "a key alone", in: "InstrumentationKey=" + key,
			want: Endpoint{InstrumentationKey: key, Ingestion: DefaultIngestionEndpoint, Audience: DefaultAudience}},
		{name: "keys in any case, blanks and empty parts", in: " instrumentationkey = " + key + " ;; INGESTIONENDPOINT=http://127.0.0.1:8080;",
			want: Endpoint{InstrumentationKey: key, Ingestion: "http://127.0.0.1:8080", Audience: DefaultAudience}},
		{name: "a path on the endpoint", in: "InstrumentationKey=" + key + ";IngestionEndpoint=https://proxy.example/ai/",
			want: Endpoint{InstrumentationKey: key, Ingestion: "https://proxy.example/ai", Audience: DefaultAudience}},
		{name: "suffix and location", in: "InstrumentationKey=" + key + ";EndpointSuffix=applicationinsights.azure.cn;Location=chinaeast2",
			want: Endpoint{InstrumentationKey: key, Ingestion: "https://chinaeast2.dc.applicationinsights.azure.cn", Audience: DefaultAudience}},
		{name: "a sovereign cloud's audience", in: "InstrumentationKey=" + key + ";AADAudience=https://monitor.azure.us/;Authorization=ikey",
			want: Endpoint{InstrumentationKey: key, Ingestion: DefaultIngestionEndpoint, Audience: "https://monitor.azure.us/"}},
		{name: "empty", in: " ", err: errEmpty},
		{name: "no key", in: "IngestionEndpoint=https://x.example/", err: errNoKey},
		{name: "a key that is no GUID", in: "InstrumentationKey=secret-value-123", err: errBadKey},
		{name: "not pairs", in: "InstrumentationKey=" + key + ";garbage", err: errNotPairs},
		{name: "an empty key name", in: "=x;InstrumentationKey=" + key, err: errNotPairs},
		{name: "twice", in: "InstrumentationKey=" + key + ";instrumentationKey=" + key, err: errDuplicate},
		{name: "a relative endpoint", in: "InstrumentationKey=" + key + ";IngestionEndpoint=dc.example", err: errBadEndpoint},
		{name: "an ftp endpoint", in: "InstrumentationKey=" + key + ";IngestionEndpoint=ftp://dc.example/", err: errBadEndpoint},
		{name: "an endpoint with a query", in: "InstrumentationKey=" + key + ";IngestionEndpoint=https://dc.example/?x=1", err: errBadEndpoint},
		{name: "an endpoint with a password", in: "InstrumentationKey=" + key + ";IngestionEndpoint=https://u:p@dc.example/", err: errBadEndpoint},
		{name: "a bad suffix", in: "InstrumentationKey=" + key + ";EndpointSuffix=a b", err: errBadSuffix},
		{name: "another authorization", in: "InstrumentationKey=" + key + ";Authorization=aad", err: errAuthorization},
		{name: "an http audience", in: "InstrumentationKey=" + key + ";AADAudience=http://monitor.azure.com/", err: errBadAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConnectionString(tc.in)
			if err != tc.err {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestInstrumentationKeyOnly(t *testing.T) {
	if ep, err := InstrumentationKeyOnly(" " + strings.ToUpper(key) + " "); err != nil || ep.Ingestion != DefaultIngestionEndpoint || ep.Scope() != "https://monitor.azure.com//.default" {
		t.Fatalf("%+v %v", ep, err)
	}
	if _, err := InstrumentationKeyOnly("{{Logger-Credentials--1}}"); err != errBadKey {
		t.Fatalf("%v", err)
	}
}

// fixedErrors are every error ParseConnectionString may return: fixed
// sentences that never quote the (secret) input.
var fixedErrors = []error{errNotPairs, errNoKey, errBadKey, errBadEndpoint, errBadSuffix, errBadAudience, errAuthorization, errDuplicate, errEmpty}

func FuzzParseConnectionString(f *testing.F) {
	for _, s := range []string{"InstrumentationKey=" + key + ";IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
		"InstrumentationKey=" + key + ";EndpointSuffix=applicationinsights.azure.cn;Location=x", "a=b;;c", "=", ";;;",
		"InstrumentationKey=" + key + ";IngestionEndpoint=http://[::1]:80/%zz", "InstrumentationKey=" + key + ";AADAudience=https://m/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := ParseConnectionString(s)
		if err != nil {
			for _, fe := range fixedErrors {
				if err == fe {
					return
				}
			}
			t.Fatalf("an error that is not one of the fixed sentences: %v", err)
		}
		if !IsGUID(ep.InstrumentationKey) {
			t.Fatalf("key %q", ep.InstrumentationKey)
		}
		if !strings.HasPrefix(ep.Ingestion, "https://") && !strings.HasPrefix(ep.Ingestion, "http://") || strings.HasSuffix(ep.Ingestion, "/") {
			t.Fatalf("endpoint %q", ep.Ingestion)
		}
		if !strings.HasPrefix(ep.Audience, "https://") {
			t.Fatalf("audience %q", ep.Audience)
		}
	})
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.00:00:00.0000000"},
		{1234567 * time.Nanosecond, "0.00:00:00.0012345"},
		{90*time.Minute + 2*time.Second + 500*time.Millisecond, "0.01:30:02.5000000"},
		{49*time.Hour + time.Second, "2.01:00:01.0000000"},
		{-time.Second, "0.00:00:00.0000000"},
	} {
		if got := Duration(tc.d).String(); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.d, got, tc.want)
		}
	}
	if got := FormatTime(time.Date(2026, 3, 4, 5, 6, 7, 891234500, time.FixedZone("x", 3600))); got != "2026-03-04T04:06:07.8912345Z" {
		t.Fatal(got)
	}
}
