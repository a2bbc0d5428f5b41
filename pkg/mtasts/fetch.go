package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// DefaultFetchTimeout bounds a policy fetch when neither the context nor
// the client sets a limit (RFC 8461 §3.3 suggests a timeout, for example 60
// seconds).
const DefaultFetchTimeout = 60 * time.Second

// PolicyURL returns the URL of a domain's policy.
func PolicyURL(domain string) string {
	return "https://mta-sts." + dns.CanonicalName(domain) + "/.well-known/mta-sts.txt"
}

// Fetched is what the policy URL returned.
type Fetched struct {
	URL         string `json:"url"`
	StatusCode  int    `json:"status_code"`
	ContentType string `json:"content_type"`
	// Location is the target of a redirect (not followed).
	Location string `json:"location,omitempty"`
	// Body is the policy as served (at most MaxPolicySize bytes).
	Body string `json:"body"`
	// TLSVersion is the negotiated version ("TLS 1.3").
	TLSVersion string `json:"tls_version,omitempty"`
	// CertNotAfter is when the policy host's certificate expires.
	CertNotAfter time.Time `json:"cert_not_after,omitzero"`
}

// FetchError says why a policy could not be used. When Unreachable is true
// the policy could not be fetched at all (the check could not complete);
// otherwise the server answered but broke a rule of RFC 8461 §3.3 (a
// misconfiguration).
type FetchError struct {
	URL string
	// Spec is the finding of the problem (FindPolicyUnreachable,
	// FindPolicyCertificate, FindPolicyRedirect, ...).
	Spec        *finding.Spec
	Unreachable bool
	Reason      string
	Err         error
}

func (e *FetchError) Error() string {
	s := fmt.Sprintf("mta-sts: policy %s: %s", e.URL, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FetchError) Unwrap() error { return e.Err }

// FetchPolicy fetches a domain's policy with the rules of RFC 8461 §3.3:
// HTTPS only, a certificate valid for mta-sts.DOMAIN (verified by client's
// TLS configuration), redirects not followed, status 200, media type
// text/plain, a body of at most MaxPolicySize bytes, and a timeout. It does
// not parse the body: see ParsePolicy.
//
// The client is not modified (a copy with CheckRedirect set is used). The
// error is a *FetchError; the *Fetched is returned beside it whenever the
// server answered, for diagnostics.
func FetchPolicy(ctx context.Context, client *http.Client, domain string) (*Fetched, error) {
	if err := dns.CheckName(domain); err != nil {
		return nil, fmt.Errorf("mta-sts: %w", err)
	}
	u := PolicyURL(domain)
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if _, ok := ctx.Deadline(); !ok && c.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultFetchTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &FetchError{URL: u, Spec: FindPolicyUnreachable, Unreachable: true, Reason: "cannot build the request", Err: err}
	}
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Accept", "text/plain")
	resp, err := c.Do(req)
	if err != nil {
		var cve *tls.CertificateVerificationError
		var hne x509.HostnameError
		var uae x509.UnknownAuthorityError
		var cie x509.CertificateInvalidError
		if errors.As(err, &cve) || errors.As(err, &hne) || errors.As(err, &uae) || errors.As(err, &cie) {
			return nil, &FetchError{URL: u, Spec: FindPolicyCertificate, Reason: "the certificate is not valid for mta-sts." + dns.CanonicalName(domain), Err: unwrapURL(err)}
		}
		return nil, &FetchError{URL: u, Spec: FindPolicyUnreachable, Unreachable: true, Reason: "could not fetch", Err: unwrapURL(err)}
	}
	defer resp.Body.Close()
	f := &Fetched{URL: u, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	if resp.TLS != nil {
		f.TLSVersion = tls.VersionName(resp.TLS.Version)
		if len(resp.TLS.PeerCertificates) > 0 {
			f.CertNotAfter = resp.TLS.PeerCertificates[0].NotAfter.UTC()
		}
	} else if resp.Request != nil && resp.Request.URL.Scheme != "https" {
		return f, &FetchError{URL: u, Spec: FindPolicyUnreachable, Unreachable: true, Reason: "the response did not come over HTTPS"}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		f.Location = resp.Header.Get("Location")
		reason := fmt.Sprintf("the server redirects (HTTP %d)", resp.StatusCode)
		if f.Location != "" {
			reason += " to " + f.Location
		}
		return f, &FetchError{URL: u, Spec: FindPolicyRedirect, Reason: reason + "; senders do not follow redirects"}
	}
	if resp.StatusCode != http.StatusOK {
		return f, &FetchError{URL: u, Spec: FindPolicyHTTPStatus, Reason: fmt.Sprintf("the server answers HTTP %d %s, not 200", resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		return f, &FetchError{URL: u, Spec: FindPolicyUnreachable, Unreachable: true, Reason: "reading the body failed", Err: unwrapURL(err)}
	}
	if len(body) > MaxPolicySize {
		return f, &FetchError{URL: u, Spec: FindPolicyTooLarge, Reason: fmt.Sprintf("the body is over %d bytes", MaxPolicySize)}
	}
	f.Body = string(body)
	mt, _, err := mime.ParseMediaType(f.ContentType)
	if f.ContentType == "" {
		return f, &FetchError{URL: u, Spec: FindPolicyContentType, Reason: "the response has no Content-Type; it must be text/plain"}
	}
	if err != nil || !strings.EqualFold(mt, "text/plain") {
		return f, &FetchError{URL: u, Spec: FindPolicyContentType, Reason: fmt.Sprintf("the Content-Type is %q; it must be text/plain", f.ContentType)}
	}
	return f, nil
}

// unwrapURL drops the *url.Error wrapper, whose message repeats the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
