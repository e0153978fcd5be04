package policies

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// Which clients send-request may hand a call to their transport directly:
// only one whose Do would do nothing else.
func TestFollowsNoRedirects(t *testing.T) {
	jar, _ := cookiejar.New(nil)
	stop := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		name string
		c    *http.Client
		want bool
	}{
		{"DefaultHTTPClient", DefaultHTTPClient(), true},
		{"net/http's default: follows", &http.Client{}, false},
		{"a timeout of its own", &http.Client{CheckRedirect: stop, Timeout: time.Second}, false},
		{"a cookie jar", &http.Client{CheckRedirect: stop, Jar: jar}, false},
		{"a CheckRedirect that refuses", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return errors.New("no") }}, false},
		{"a CheckRedirect that panics on the probe", &http.Client{CheckRedirect: func(_ *http.Request, via []*http.Request) error { _ = via[0]; return http.ErrUseLastResponse }}, false},
	} {
		if got := followsNoRedirects(tc.c); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// calloutDo on a client that follows no redirects answers as Do does: the
// same response, and for a failed call an error errWithoutURL words alike,
// a *url.Error with the URL's password masked.
func TestCalloutDoAsDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/there", http.StatusFound)
			return
		}
		io.WriteString(w, "hello "+r.Method)
	}))
	defer srv.Close()
	c := DefaultHTTPClient()
	for _, path := range []string{"/x", "/moved"} {
		var got [2]string
		for i, direct := range []bool{false, true} {
			req, _ := http.NewRequest("POST", srv.URL+path, nil)
			res, err := calloutDo(c, direct, req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			got[i] = res.Status + " " + res.Header.Get("Location") + " " + string(b)
		}
		if got[0] != got[1] {
			t.Errorf("%s: Do %q, direct %q", path, got[0], got[1])
		}
	}
	closed := "http://user:s3cret@" + testutil.ClosedPort(t) + "/y"
	var msgs [2]string
	for i, direct := range []bool{false, true} {
		req, _ := http.NewRequest("GET", closed, nil)
		_, err := calloutDo(c, direct, req)
		var ue *url.Error
		if !errors.As(err, &ue) || ue.Op != "Get" {
			t.Fatalf("direct=%v: %T %v, want a *url.Error for Get", direct, err, err)
		}
		if u, _ := url.Parse(ue.URL); u == nil || u.User == nil {
			t.Fatalf("direct=%v: URL %q", direct, ue.URL)
		} else if p, _ := u.User.Password(); p == "s3cret" {
			t.Errorf("direct=%v: the password is in the error's URL", direct)
		}
		msgs[i] = errWithoutURL(err)
	}
	if msgs[0] != msgs[1] {
		t.Errorf("Do says %q, direct says %q", msgs[0], msgs[1])
	}
}

// A client the embedder gives that follows redirects still follows them:
// send-request goes through Do for it.
func TestSendRequestFollowsWithSuchAClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/there", http.StatusFound)
			return
		}
		io.WriteString(w, "arrived at "+r.URL.Path)
	}))
	defer srv.Close()
	d := testDeps()
	d.HTTPClient = &http.Client{}
	plan := compile(t, d, `<send-request response-variable-name="r" timeout="5"><set-url>`+srv.URL+`/moved</set-url></send-request>
<set-variable name="body" value="@(((IResponse)context.Variables["r"]).Body.As<string>())"/>`)
	s := request("ws://gw/chat")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	if got := s.Variables()["body"]; got != "arrived at /there" {
		t.Errorf("body %q: the redirect was not followed", got)
	}
}
