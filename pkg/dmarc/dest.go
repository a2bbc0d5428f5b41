package dmarc

import (
	"context"
	"errors"
	"fmt"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Authorization statuses of a report destination.
const (
	AuthNotNeeded  = "not-needed"   // same organizational domain
	AuthAuthorized = "authorized"   // the authorization record exists
	AuthMissing    = "unauthorized" // external, no authorization record (or one that cannot be resolved: a CNAME loop)
	AuthTempError  = "temperror"
	AuthNotChecked = "not-checked" // not a mailto URI
	// AuthOffline: offline, and no zone file covers the authorization
	// name: nothing is known (dns.Answer.NotCovered).
	AuthOffline = "not-checked-offline"
)

// Receive statuses of a mailto destination's domain.
const (
	ReceiveMX        = "mx"      // has MX records
	ReceiveAddress   = "address" // no MX, but A or AAAA (implicit MX)
	ReceiveNullMX    = "null-mx" // MX 0 . (RFC 7505): accepts no mail
	ReceiveNone      = "none"    // no MX, A or AAAA (or a CNAME loop)
	ReceiveTempError = "temperror"
	// ReceiveOffline: offline, and no zone file covers the domain.
	ReceiveOffline = "not-checked-offline"
)

// DefaultMaxDestinations bounds the report destinations checked for one
// record, rua and ruf together, in the order written. Each costs up to four
// queries to names a stranger chose (the authorization record, MX, A,
// AAAA, and organizational-domain lookups), and receivers send to the first
// two rua destinations at most (RFC 7489 §6.2); a record listing 2,304
// addresses must not make one check send thousands of queries.
const DefaultMaxDestinations = 10

// Destination is one rua or ruf URI and what was found about it.
type Destination struct {
	Tag string `json:"tag"` // "rua" or "ruf"
	URI URI    `json:"uri"`
	// OrgDomain is the destination domain's organizational domain (RFC
	// 9989); External means it differs from the policy domain's. External7489
	// is the same comparison with Public Suffix List organizational domains.
	OrgDomain    string `json:"org_domain,omitempty"`
	External     bool   `json:"external"`
	External7489 bool   `json:"external_rfc7489"`
	// AuthorizationName is <policy-domain>._report._dmarc.<destination>.
	AuthorizationName string   `json:"authorization_name,omitempty"`
	Authorization     string   `json:"authorization"`
	AuthRecords       []string `json:"authorization_records,omitempty"`
	AuthCNAMEs        []string `json:"authorization_cnames,omitempty"`
	// Receive says whether the address's domain can receive mail.
	Receive string   `json:"receive,omitempty"`
	MX      []string `json:"mx,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// AuthorizationName returns the name at which destDomain authorizes
// policyDomain to send it reports (RFC 9990 §3, RFC 7489 §7.1).
func AuthorizationName(policyDomain, destDomain string) string {
	return policyDomain + "._report._dmarc." + destDomain
}

// CheckDestinations checks the first DefaultMaxDestinations URIs of a
// record published for policyDomain (see CheckDestinationsLimit).
func CheckDestinations(ctx context.Context, r dns.Resolver, policyDomain string, rec *Record) []Destination {
	out, _ := checkDestinations(ctx, newSession(r), r, policyDomain, rec, DefaultMaxDestinations)
	return out
}

// CheckDestinationsLimit checks the URIs of a record published for
// policyDomain, rua then ruf, up to max of them (DefaultMaxDestinations
// when max <= 0): whether each is external, whether it is authorized, and
// whether its domain can receive mail. DNS failures are recorded per
// destination. The URIs beyond max are returned unchecked.
func CheckDestinationsLimit(ctx context.Context, r dns.Resolver, policyDomain string, rec *Record, max int) (checked []Destination, unchecked []URI) {
	return checkDestinations(ctx, newSession(r), r, policyDomain, rec, max)
}

func checkDestinations(ctx context.Context, s *session, r dns.Resolver, policyDomain string, rec *Record, max int) ([]Destination, []URI) {
	out := []Destination{}
	var unchecked []URI
	if rec == nil {
		return out, nil
	}
	if max <= 0 {
		max = DefaultMaxDestinations
	}
	policyOrg, perr := s.orgDomain(ctx, policyDomain)
	policyOrg7489 := OrgDomain7489(policyDomain)
	if policyOrg7489 == "" {
		policyOrg7489 = policyDomain
	}
	add := func(tag string, uris []URI) {
		for _, u := range uris {
			if len(out) >= max {
				unchecked = append(unchecked, u)
				continue
			}
			d := Destination{Tag: tag, URI: u, Authorization: AuthNotChecked}
			if u.Scheme != "mailto" || u.Domain == "" {
				out = append(out, d)
				continue
			}
			dest, err := NormalizeDomain(u.Domain)
			if err != nil {
				d.Error = err.Error()
				out = append(out, d)
				continue
			}
			destOrg7489 := OrgDomain7489(dest)
			if destOrg7489 == "" {
				destOrg7489 = dest
			}
			d.External7489 = destOrg7489 != policyOrg7489
			org, oerr := s.orgDomain(ctx, dest)
			switch {
			case perr != nil:
				d.Authorization, d.Error = AuthTempError, perr.Error()
			case oerr != nil:
				d.Authorization, d.Error = AuthTempError, oerr.Error()
			default:
				d.OrgDomain = org
				d.External = org != policyOrg
			}
			if d.Authorization != AuthTempError {
				d.Authorization = AuthNotNeeded
				if d.External || d.External7489 {
					d.AuthorizationName = AuthorizationName(policyDomain, dest)
					checkAuthorization(ctx, r, &d)
				}
			}
			checkReceive(ctx, r, dest, &d)
			out = append(out, d)
		}
	}
	add("rua", rec.RUA)
	add("ruf", rec.RUF)
	return out, unchecked
}

func checkAuthorization(ctx context.Context, r dns.Resolver, d *Destination) {
	if err := dns.CheckName(d.AuthorizationName); err != nil {
		d.Authorization = AuthMissing
		d.Error = err.Error()
		return
	}
	ans, err := r.Query(ctx, d.AuthorizationName, dns.TypeTXT)
	if err != nil {
		if dns.IsCNAMEChainError(err) {
			// Resolvers give up on it, every time: receivers cannot find
			// an authorization, which is as good as none.
			d.Authorization, d.Error = AuthMissing, err.Error()
			return
		}
		d.Authorization, d.Error = AuthTempError, err.Error()
		return
	}
	if ans.NotCovered {
		d.Authorization = AuthOffline
		return
	}
	d.AuthCNAMEs = ans.CNAMEs
	d.Authorization = AuthMissing
	for _, txt := range ans.TXT() {
		d.AuthRecords = append(d.AuthRecords, txt)
		if IsDMARCVersion(txt) {
			d.Authorization = AuthAuthorized
		}
	}
}

func checkReceive(ctx context.Context, r dns.Resolver, domain string, d *Destination) {
	ans, err := r.Query(ctx, domain, dns.TypeMX)
	if err != nil {
		d.Receive = ReceiveTempError
		if dns.IsCNAMEChainError(err) {
			d.Receive = ReceiveNone // a CNAME loop receives nothing, ever
		}
		d.Error = joinErr(d.Error, err)
		return
	}
	if ans.NotCovered {
		d.Receive = ReceiveOffline
		return
	}
	if len(ans.Records) > 0 {
		null := true
		for _, rr := range ans.Records {
			d.MX = append(d.MX, rr.Target)
			if rr.Target != "." {
				null = false
			}
		}
		if null {
			d.Receive = ReceiveNullMX
		} else {
			d.Receive = ReceiveMX
		}
		return
	}
	if ans.NXDomain() {
		d.Receive = ReceiveNone
		return
	}
	var tempErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		a, err := r.Query(ctx, domain, t)
		if err != nil {
			tempErr = err
			continue
		}
		if len(a.Records) > 0 {
			d.Receive = ReceiveAddress
			return
		}
	}
	if tempErr != nil {
		d.Receive = ReceiveTempError
		d.Error = joinErr(d.Error, tempErr)
		return
	}
	d.Receive = ReceiveNone
}

func joinErr(prev string, err error) string {
	if prev == "" {
		return err.Error()
	}
	return errors.Join(errors.New(prev), err).Error()
}

// describeDest is a short description for messages.
func describeDest(d Destination) string {
	return fmt.Sprintf("%s destination %s", d.Tag, d.URI.Raw)
}
