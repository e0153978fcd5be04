package policies

import (
	"strings"
	"testing"
)

// checkHTTPURL's messages name the URL without its query, where a
// signature or a secret named value may stand, whatever is wrong with it.
func TestCheckHTTPURLHidesQuery(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"ftp://h/x?sig=SECRET", `URL "ftp://h/x?…" must start with http:// or https://`},
		{"https:///x?sig=SECRET", `URL "https:///x?…" has no host`},
		{"https://h/a\n/b?sig=SECRET", `is not a URL`},
		{"https://h/x?sig=SECRET", ""},
	} {
		err := checkHTTPURL(c.url)
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.url, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%q: got %v, want %q without the query", c.url, err, c.want)
		}
	}
}
