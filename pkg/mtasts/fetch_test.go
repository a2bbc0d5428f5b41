package mtasts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFetchPolicy(t *testing.T) {
	ps := newPolicyServer(t)
	good := policyBody("version: STSv1", "mode: enforce", "mx: mail.example.test", "max_age: 604800")
	other := newCA(t, "untrusted CA")
	ps.set("mta-sts.good.test", route{contentType: "text/plain", body: good})
	ps.set("mta-sts.lf.test", route{contentType: "text/plain; charset=utf-8", body: strings.ReplaceAll(good, "\r\n", "\n")})
	ps.set("mta-sts.redirect.test", route{status: 301, location: "https://www.redirect.test/mta-sts.txt"})
	ps.set("mta-sts.html.test", route{contentType: "text/html", body: good})
	ps.set("mta-sts.notype.test", route{body: good})
	ps.set("mta-sts.big.test", route{contentType: "text/plain", body: good + strings.Repeat("x: y\n", MaxPolicySize/5)})
	ps.set("mta-sts.exact.test", route{contentType: "text/plain", body: good + strings.Repeat("#", MaxPolicySize-len(good))})
	ps.set("mta-sts.error.test", route{status: 500, contentType: "text/plain", body: good})
	ps.set("mta-sts.untrusted.test", route{contentType: "text/plain", body: good})
	ps.setCert("mta-sts.untrusted.test", other.issue(t, []string{"mta-sts.untrusted.test"}, validFrom(), validUntil()))
	ps.set("mta-sts.wrongname.test", route{contentType: "text/plain", body: good})
	ps.setCert("mta-sts.wrongname.test", ps.ca.issue(t, []string{"www.wrongname.test"}, validFrom(), validUntil()))
	ps.set("mta-sts.expired.test", route{contentType: "text/plain", body: good})
	ps.setCert("mta-sts.expired.test", ps.ca.issue(t, []string{"mta-sts.expired.test"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)))

	tests := []struct {
		domain      string
		code        string // "" = no error
		unreachable bool
		body        string
	}{
		{domain: "good.test", body: good},
		{domain: "GOOD.test.", body: good},
		{domain: "lf.test", body: strings.ReplaceAll(good, "\r\n", "\n")},
		{domain: "redirect.test", code: FindPolicyRedirect.Code},
		{domain: "html.test", code: FindPolicyContentType.Code},
		{domain: "notype.test", code: FindPolicyContentType.Code},
		{domain: "big.test", code: FindPolicyTooLarge.Code},
		{domain: "exact.test"},
		{domain: "error.test", code: FindPolicyHTTPStatus.Code},
		{domain: "missing.test", code: FindPolicyHTTPStatus.Code}, // 404
		{domain: "untrusted.test", code: FindPolicyCertificate.Code},
		{domain: "wrongname.test", code: FindPolicyCertificate.Code},
		{domain: "expired.test", code: FindPolicyCertificate.Code},
	}
	client := ps.client()
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			f, err := FetchPolicy(context.Background(), client, tt.domain)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("FetchPolicy: %v", err)
				}
				if tt.body != "" && f.Body != tt.body {
					t.Errorf("body = %q, want %q", f.Body, tt.body)
				}
				if f.StatusCode != 200 || f.TLSVersion == "" || f.CertNotAfter.IsZero() {
					t.Errorf("fetched = %+v", f)
				}
				return
			}
			var fe *FetchError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FetchError", err, err)
			}
			if fe.Spec.Code != tt.code || fe.Unreachable != tt.unreachable || fe.Spec.Transient != tt.unreachable {
				t.Errorf("err = %v: code %s unreachable %v, want %s %v", err, fe.Spec.Code, fe.Unreachable, tt.code, tt.unreachable)
			}
			if !strings.HasPrefix(err.Error(), "mta-sts: policy https://mta-sts.") {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
	if ps.hits["www.redirect.test/mta-sts.txt"] != 0 {
		t.Error("the redirect was followed")
	}
}

func TestFetchPolicyUnreachable(t *testing.T) {
	_, err := FetchPolicy(context.Background(), unreachableClient(), "example.test")
	var fe *FetchError
	if !errors.As(err, &fe) || !fe.Unreachable || fe.Spec != FindPolicyUnreachable {
		t.Fatalf("err = %v, want an unreachable *FetchError", err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q hides the cause", err)
	}
}

func TestFetchPolicyTimeout(t *testing.T) {
	ps := newPolicyServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := FetchPolicy(ctx, ps.client(), "good.test")
	var fe *FetchError
	if !errors.As(err, &fe) || !fe.Unreachable {
		t.Fatalf("err = %v, want unreachable", err)
	}
}

func TestFetchPolicyBadDomain(t *testing.T) {
	_, err := FetchPolicy(context.Background(), nil, "bad..name")
	if err == nil || !strings.Contains(err.Error(), "bad..name") {
		t.Fatalf("err = %v, want one naming the input", err)
	}
}

func TestFetchDoesNotModifyClient(t *testing.T) {
	ps := newPolicyServer(t)
	c := ps.client()
	_, _ = FetchPolicy(context.Background(), c, "good.test")
	if c.CheckRedirect != nil {
		t.Error("FetchPolicy changed the caller's client")
	}
}
