package policies

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"tollgate/engine"
)

// <validate-client-certificate validate-revocation="true" validate-trust="true"
//
//	validate-not-before="true" validate-not-after="true" ignore-error="false">
//	<identities>
//	  <identity thumbprint="…" serial-number="…" common-name="…" subject="C=US, O=&quot;Contoso, Inc.&quot;, CN=*.contoso.com"
//	            dns-name="…" issuer-subject="…" issuer-thumbprint="…"/>
//	</identities>
//
// </validate-client-certificate>
// Checks the certificate the client presented over TLS (the listener asks
// for one as soon as a loaded policy has this element). A certificate must
// pass every enabled check and match every attribute of at least one
// identity. See docs/policies-credentials.md.
type validateClientCert struct {
	k          *kit
	revocation bool
	trust      bool
	notBefore  bool
	notAfter   bool
	ignoreErr  bool
	identities []certIdentity
}

// ReasonClientCertificateInvalid is the reason a failed check gives.
const ReasonClientCertificateInvalid = "ClientCertificateNotValid"

type certIdentity struct {
	thumbprint, serial, commonName, dnsName, issuerThumbprint string
	subject, issuerSubject                                    []dnAttr // sorted
}

func (k *kit) parseValidateClientCertificate(p *engine.Parser) engine.Step {
	v := &validateClientCert{
		k:         k,
		trust:     p.LitBool("validate-trust", true),
		notBefore: p.LitBool("validate-not-before", true),
		notAfter:  p.LitBool("validate-not-after", true),
		ignoreErr: p.LitBool("ignore-error", false),
	}
	v.revocation = p.LitBool("validate-revocation", true)
	for _, n := range p.Children() {
		c := p.Child(n)
		if n.Name != "identities" {
			c.Errorf("unexpected element <%s> inside <validate-client-certificate> (want identities)", n.Name)
			continue
		}
		for _, in := range c.Children() {
			ic := c.Child(in)
			if in.Name != "identity" {
				ic.Errorf("unexpected element <%s> inside <identities> (want identity)", in.Name)
				continue
			}
			v.identities = append(v.identities, parseCertIdentity(ic))
		}
	}
	if k.clientCerts != nil {
		k.clientCerts.Store(true) // the TLS listener asks clients for certificates from now on
	}
	return v
}

func parseCertIdentity(p *engine.Parser) certIdentity {
	var id certIdentity
	hexAttr := func(name string) string {
		v := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(p.LitStr(name, "")), " ", ""))
		if _, err := hex.DecodeString(v); err != nil || (v == "" && p.Has(name)) {
			p.ErrorAt(p.Node().Attr(name).ValuePos, "attribute %q must be hexadecimal", name)
		}
		return v
	}
	id.thumbprint = hexAttr("thumbprint")
	id.serial = strings.TrimLeft(hexAttr("serial-number"), "0")
	id.issuerThumbprint = hexAttr("issuer-thumbprint")
	id.commonName = p.LitStr("common-name", "")
	id.dnsName = strings.ToLower(p.LitStr("dns-name", ""))
	for _, a := range []struct {
		name string
		out  *[]dnAttr
	}{{"subject", &id.subject}, {"issuer-subject", &id.issuerSubject}} {
		if !p.Has(a.name) {
			continue
		}
		dn, err := parseDN(p.LitStr(a.name, ""))
		if err != nil {
			p.ErrorAt(p.Node().Attr(a.name).ValuePos, "attribute %q: %v", a.name, err)
		}
		*a.out = dn
	}
	if p.Has("issuer-certificate-id") {
		p.LitStr("issuer-certificate-id", "")
		p.ErrorAt(p.Node().Attr("issuer-certificate-id").Pos, "issuer-certificate-id names an APIM certificate entity, which tollgate does not have: use issuer-thumbprint or issuer-subject")
	}
	if len(p.Node().Attrs) == 0 {
		p.Errorf("<identity> needs at least one attribute to match")
	}
	return id
}

func (v *validateClientCert) Run(ctx context.Context, s *engine.State) error {
	err := v.check(ctx, s.Context().Request.Certificate)
	if err == nil {
		return nil
	}
	s.Tracef("%v", err)
	if v.ignoreErr {
		return nil
	}
	pe := engine.NewPolicyError(ReasonClientCertificateInvalid, http.StatusUnauthorized, err.Error(), nil)
	pe.Response = engine.ErrorResponse(http.StatusUnauthorized, "Invalid client certificate.")
	return pe
}

func (v *validateClientCert) check(ctx context.Context, c *engine.Certificate) error {
	if c == nil {
		return fmt.Errorf("no client certificate was presented")
	}
	leaf := c.X509()
	now := v.k.now()
	if v.notBefore && now.Before(leaf.NotBefore) {
		return fmt.Errorf("the client certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if v.notAfter && now.After(leaf.NotAfter) {
		return fmt.Errorf("the client certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	var issuer *x509.Certificate
	var chain []*x509.Certificate
	if v.trust || v.revocation || v.needsIssuer() {
		inter := x509.NewCertPool()
		for _, ic := range c.Intermediates() {
			inter.AddCert(ic)
		}
		chains, err := leaf.Verify(x509.VerifyOptions{Roots: v.k.clientCAs, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err != nil && v.trust {
			return fmt.Errorf("the client certificate is not trusted: %v", err)
		}
		if err == nil && len(chains) > 0 && len(chains[0]) > 1 {
			issuer, chain = chains[0][1], chains[0]
		}
	}
	if v.revocation && chain != nil {
		// Every certificate of the chain but the root, against its issuer's CRL.
		for i := 0; i+1 < len(chain); i++ {
			revoked, err := v.k.crls.revoked(ctx, chain[i], chain[i+1])
			if err != nil {
				return fmt.Errorf("the revocation status of %q is unknown: %v", chain[i].Subject.String(), err)
			}
			if revoked {
				return fmt.Errorf("the certificate %q is revoked", chain[i].Subject.String())
			}
		}
	}
	if len(v.identities) == 0 {
		return nil
	}
	for _, id := range v.identities {
		if id.matches(c, leaf, issuer) {
			return nil
		}
	}
	return fmt.Errorf("the client certificate (subject %q) matches none of the identities", c.Subject)
}

func (v *validateClientCert) needsIssuer() bool {
	for _, id := range v.identities {
		if id.issuerThumbprint != "" {
			return true
		}
	}
	return false
}

func (id certIdentity) matches(c *engine.Certificate, leaf, issuer *x509.Certificate) bool {
	if id.thumbprint != "" && id.thumbprint != c.Thumbprint {
		return false
	}
	if id.serial != "" && id.serial != strings.TrimLeft(c.SerialNumber, "0") {
		return false
	}
	if id.commonName != "" && id.commonName != leaf.Subject.CommonName {
		return false
	}
	if id.dnsName != "" {
		found := false
		for _, d := range leaf.DNSNames {
			if strings.EqualFold(d, id.dnsName) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if id.subject != nil && !sameDN(id.subject, certDN(leaf.Subject)) {
		return false
	}
	if id.issuerSubject != nil && !sameDN(id.issuerSubject, certDN(leaf.Issuer)) {
		return false
	}
	if id.issuerThumbprint != "" {
		if issuer == nil {
			return false
		}
		sum := sha1.Sum(issuer.Raw)
		if strings.ToUpper(hex.EncodeToString(sum[:])) != id.issuerThumbprint {
			return false
		}
	}
	return true
}

// dnAttr is one TYPE=value of a distinguished name (type upper-case short
// name, value as written).
type dnAttr struct{ typ, val string }

// dnNames maps OIDs to the short names used in subject strings.
var dnNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "S", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.9": "STREET", "2.5.4.5": "SERIALNUMBER", "2.5.4.17": "POSTALCODE", "0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1": "E", "2.5.4.12": "T", "2.5.4.42": "G", "2.5.4.4": "SN",
}

// dnAliases are other spellings of the same types.
var dnAliases = map[string]string{"ST": "S", "EMAIL": "E", "EMAILADDRESS": "E", "DOMAINCOMPONENT": "DC", "TITLE": "T",
	"GIVENNAME": "G", "SURNAME": "SN"}

func certDN(n pkix.Name) []dnAttr {
	var out []dnAttr
	for _, a := range n.Names {
		typ := dnNames[a.Type.String()]
		if typ == "" {
			typ = a.Type.String()
		}
		out = append(out, dnAttr{typ, fmt.Sprint(a.Value)})
	}
	sortDN(out)
	return out
}

// parseDN reads a subject as APIM writes it: comma (or semicolon)
// separated TYPE=value, a value with a comma in double quotes.
func parseDN(s string) ([]dnAttr, error) {
	var out []dnAttr
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == ';') {
			i++
		}
		if i >= len(s) {
			break
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%q is not TYPE=value", s[i:])
		}
		typ := strings.ToUpper(strings.TrimSpace(s[i : i+eq]))
		if a, ok := dnAliases[typ]; ok {
			typ = a
		}
		if strings.HasPrefix(typ, "OID.") {
			typ = typ[4:]
		}
		if _, err := parseOIDOrName(typ); err != nil {
			return nil, err
		}
		i += eq + 1
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted value")
			}
			val = s[i+1 : i+1+end]
			i += end + 2
		} else {
			end := strings.IndexAny(s[i:], ",;")
			if end < 0 {
				end = len(s) - i
			}
			val = strings.TrimSpace(s[i : i+end])
			i += end
		}
		out = append(out, dnAttr{typ, val})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty distinguished name")
	}
	sortDN(out)
	return out, nil
}

func parseOIDOrName(typ string) (string, error) {
	for _, n := range dnNames {
		if n == typ {
			return typ, nil
		}
	}
	parts := strings.Split(typ, ".")
	oid := make(asn1.ObjectIdentifier, 0, len(parts))
	for _, p := range parts {
		n, ok := new(big.Int).SetString(p, 10)
		if !ok || !n.IsInt64() {
			return "", fmt.Errorf("unknown attribute type %q (want CN, O, OU, L, S, C, E, DC, … or an OID)", typ)
		}
		oid = append(oid, int(n.Int64()))
	}
	return oid.String(), nil
}

func sortDN(d []dnAttr) {
	sort.Slice(d, func(i, j int) bool {
		if d[i].typ != d[j].typ {
			return d[i].typ < d[j].typ
		}
		return d[i].val < d[j].val
	})
}

func sameDN(a, b []dnAttr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].typ != b[i].typ || !strings.EqualFold(a[i].val, b[i].val) {
			return false
		}
	}
	return true
}
