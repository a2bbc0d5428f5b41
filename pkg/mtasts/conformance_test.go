package mtasts

import (
	"context"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// postfixCases is mta-sts/postfix-mta-sts-resolver-cases.json (MIT, from
// Snawoot/postfix-mta-sts-resolver's integration tests).
type postfixCases struct {
	Cases []struct {
		Domain string              `json:"domain"`
		TXT    map[string][]string `json:"txt_records"`
		HTTPS  *struct {
			Status      int    `json:"status"`
			ContentType string `json:"content_type"`
			Body        string `json:"body"`
		} `json:"https"`
		Expect struct {
			Status string   `json:"status"`
			Mode   string   `json:"mode"`
			MX     []string `json:"mx"`
			MaxAge int64    `json:"max_age"`
			ID     string   `json:"id"`
		} `json:"expect"`
		Note string `json:"note"`
	} `json:"cases"`
	Extra []struct {
		Input  string `json:"input_domain"`
		Expect struct {
			Status string `json:"status"`
		} `json:"expect"`
		Note string `json:"note"`
	} `json:"extra_inputs"`
}

// postfixStatus maps a Result to the resolver's vocabulary: valid (a
// usable policy), none (no usable record), fetch_error (a record, but no
// usable policy, or the lookup failed).
func postfixStatus(res *Result) string {
	switch {
	case has(res, FindDNSError.Code) != nil && res.Status == finding.StatusError:
		return "fetch_error"
	case !res.RecordValid:
		return "none"
	case res.PolicyChecked && res.PolicyValid:
		return "valid"
	}
	return "fetch_error"
}

func TestPostfixResolverCases(t *testing.T) {
	var pc postfixCases
	readConformance(t, "postfix-mta-sts-resolver-cases.json", &pc)
	ps := newPolicyServer(t)
	untrusted := newCA(t, "untrusted CA")
	f := dnstest.NewFake()
	for _, c := range pc.Cases {
		f.Add(c.Domain + ". 300 IN MX 10 mail.loc.")
		f.Add("mta-sts." + c.Domain + ". 300 IN A 127.0.0.1")
		for name, txts := range c.TXT {
			for _, txt := range txts {
				f.AddTXT(name, txt)
			}
		}
		if c.HTTPS != nil {
			ct := c.HTTPS.ContentType
			ps.set("mta-sts."+c.Domain, route{status: c.HTTPS.Status, contentType: ct, body: c.HTTPS.Body})
		}
		switch c.Domain {
		case "bad-cert1.loc": // a certificate from a CA the client does not trust
			ps.setCert("mta-sts."+c.Domain, untrusted.issue(t, []string{"mta-sts." + c.Domain}, validFrom(), validUntil()))
		case "bad-cert2.loc": // a certificate for another name
			ps.setCert("mta-sts."+c.Domain, ps.ca.issue(t, []string{"mta-sts.other.loc"}, validFrom(), validUntil()))
		}
	}
	// Extra inputs: a DNS timeout and an over-long body.
	f.Timeout("_mta-sts.blackhole.loc", 0)
	f.Add("blackhole.loc. 300 IN MX 10 mail.loc.")
	for _, d := range []string{"static-overlength.loc", "chunked-overlength.loc"} {
		f.Add(d + ". 300 IN MX 10 mail.loc.")
		f.Add("mta-sts." + d + ". 300 IN A 127.0.0.1")
		f.AddTXT("_mta-sts."+d, "v=STSv1;id=20180907T090909;")
		ps.set("mta-sts."+d, route{contentType: "text/plain", body: "version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400\n" + strings.Repeat("# padding\n", 7000)})
	}
	client := ps.client()
	pass, total := 0, 0
	for _, c := range pc.Cases {
		total++
		res := Check(context.Background(), f, client, c.Domain, nil, fixed)
		got := postfixStatus(res)
		if got != c.Expect.Status {
			t.Errorf("%s (%s): %s, want %s; status %s findings %v", c.Domain, c.Note, got, c.Expect.Status, res.Status, res.Findings)
			continue
		}
		if got == "valid" {
			p := res.Policy
			if p.Mode != c.Expect.Mode || p.MaxAge != c.Expect.MaxAge || strings.Join(p.MX, ",") != strings.Join(c.Expect.MX, ",") ||
				c.Expect.ID != "" && res.Record.ID != c.Expect.ID {
				t.Errorf("%s: policy %+v record %+v, want %+v", c.Domain, p, res.Record, c.Expect)
				continue
			}
		}
		pass++
	}
	for _, x := range pc.Extra {
		for _, d := range strings.Split(x.Input, " / ") {
			total++
			res := Check(context.Background(), f, client, d, nil, fixed)
			if got := postfixStatus(res); got != x.Expect.Status {
				t.Errorf("extra %q (%s): %s, want %s; findings %v", d, x.Note, got, x.Expect.Status, res.Findings)
				continue
			}
			pass++
		}
	}
	if total != 22 {
		t.Errorf("ran %d cases, expected 22 (17 domains, 5 extra inputs)", total)
	}
	t.Logf("postfix-mta-sts-resolver cases: %d/%d pass", pass, total)
}
