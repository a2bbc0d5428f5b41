package arc

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/penguinmails/emailauth/pkg/dmarc"
)

// AuthResultsOptions tune Result.AuthResultsProperty.
type AuthResultsOptions struct {
	// RemoteIP is the SMTP client's address, written as smtp.remote-ip
	// (registered for the arc method: RFC 8617 §6, IANA Email
	// Authentication Methods); left out when not valid.
	RemoteIP netip.Addr
	// Chain adds arc.chain, the sealers' domains from the oldest set to the
	// newest separated by ":", as OpenARC writes it. "arc" is not a
	// registered ptype (IANA Email Authentication Methods), so consumers
	// that follow the registry ignore it; it is for people reading the
	// header.
	Chain bool
}

// AuthResultsProperty formats the result as one "arc=" resinfo of an
// Authentication-Results header field (RFC 8601, RFC 8617 §6): the result
// (none, pass, fail; temperror when a key could not be fetched), reason=
// with the code when it does not pass, header.oldest-pass when an older
// message signature no longer verifies, smtp.remote-ip and arc.chain as
// asked. header.oldest-pass=0 ("they all pass" in the registry) is left
// out: it is the meaning of its absence, and some parsers (emersion's
// go-msgauth among them) reject a zero.
func (r *Result) AuthResultsProperty(opts AuthResultsOptions) string {
	var b strings.Builder
	b.WriteString("arc=" + r.Result)
	if r.Result != Pass && r.Result != None && r.Code != "" {
		b.WriteString(" reason=" + pvalue(r.Code))
	}
	if r.Result == Pass && r.OldestPass > 0 {
		b.WriteString(" header.oldest-pass=" + strconv.Itoa(r.OldestPass))
	}
	if opts.RemoteIP.IsValid() {
		b.WriteString(" smtp.remote-ip=" + pvalue(opts.RemoteIP.Unmap().String()))
	}
	if opts.Chain {
		var ds []string
		for _, s := range r.Sets {
			if s.Seal.Domain != "" {
				ds = append(ds, s.Seal.Domain)
			}
		}
		if len(ds) > 0 {
			b.WriteString(" arc.chain=" + pvalue(strings.Join(ds, ":")))
		}
	}
	return b.String()
}

// pvalue writes an RFC 8601 property value: a token as it is, anything
// else (an IPv6 address, a list with ":") as a quoted-string.
func pvalue(s string) string {
	token := s != ""
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>,;:\\\"/[]?=", c) >= 0 {
			token = false
			break
		}
	}
	if token {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Recorded is what one ARC set recorded: the authentication results its
// sealer wrote in its ARC-Authentication-Results.
type Recorded struct {
	Instance int `json:"instance"`
	// Sealer is the d= of the set's ARC-Seal.
	Sealer     string `json:"sealer"`
	AuthServID string `json:"authserv_id"`
	// Results are the resinfos, parsed with emersion/go-msgauth's authres
	// package: *authres.SPFResult, *authres.DKIMResult,
	// *authres.DMARCResult, *authres.ARCResult, ... or
	// *authres.GenericResult for other methods.
	Results []authres.Result `json:"-"`
	// Unparsed are the resinfos that parser rejected, as written.
	Unparsed []string `json:"unparsed,omitempty"`
}

// ParseResults parses the resinfos of an Authentication-Results payload
// (AuthResults.Results) with emersion/go-msgauth's authres parser, one
// resinfo at a time, so that one it rejects (arc=none
// header.oldest-pass=0, an unknown form) does not hide the others; those
// are returned as written. Comments are removed first: that parser splits
// at every ";", even inside a comment.
func ParseResults(results string) ([]authres.Result, []string) {
	var out []authres.Result
	var bad []string
	for _, ri := range splitResinfos(results) {
		clean := strings.Join(strings.Fields(stripComments(ri)), " ")
		if clean == "" || strings.EqualFold(clean, "none") {
			continue
		}
		_, rs, err := authres.Parse("x; " + clean)
		if err != nil || len(rs) != 1 {
			bad = append(bad, strings.Join(strings.Fields(ri), " "))
			continue
		}
		out = append(out, rs[0])
	}
	return out, bad
}

// TrustedResults returns what the newest set sealed by one of the trusted
// domains recorded, so that a receiver that trusts those sealers can
// evaluate DMARC on the results they saw before the message was changed
// (RFC 8617 §7.2.1; DMARCInput gives dmarc.Evaluate's input). It returns nil
// unless the chain passed and a set's ARC-Seal d= is one of trusted
// (compared exactly, case-insensitively: a trusted domain does not vouch
// for its subdomains).
func (r *Result) TrustedResults(trusted []string) *Recorded {
	if r == nil || r.Result != Pass {
		return nil
	}
	want := map[string]bool{}
	for _, d := range trusted {
		want[strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")] = true
	}
	for i := len(r.Sets) - 1; i >= 0; i-- {
		s := r.Sets[i]
		if !want[strings.TrimSuffix(strings.ToLower(s.Seal.Domain), ".")] {
			continue
		}
		rec := &Recorded{Instance: s.Instance, Sealer: s.Seal.Domain, AuthServID: s.AuthServID}
		rec.Results, rec.Unparsed = ParseResults(s.AuthResults)
		return rec
	}
	return nil
}

// DMARCInput returns the SPF and DKIM results the set recorded, as
// dmarc.Evaluate takes them, for a message whose RFC5322.From domain is
// from: each dkim result with its header.d (or the domain of header.i),
// each spf result with the domain of smtp.mailfrom (or smtp.helo).
func (rec *Recorded) DMARCInput(from string) dmarc.EvalInput {
	in := dmarc.EvalInput{From: from}
	for _, res := range rec.Results {
		switch x := res.(type) {
		case *authres.DKIMResult:
			d := x.Domain
			if d == "" {
				d = domainOf(x.Identifier)
			}
			if d != "" {
				in.DKIM = append(in.DKIM, dmarc.AuthResult{Domain: d, Result: string(x.Value)})
			}
		case *authres.SPFResult:
			d := domainOf(x.From)
			if d == "" {
				d = domainOf(x.Helo)
			}
			if d != "" {
				in.SPF = append(in.SPF, dmarc.AuthResult{Domain: d, Result: string(x.Value)})
			}
		}
	}
	return in
}

// domainOf returns the domain of an address, or the value itself when it
// has no "@".
func domainOf(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "<>\"")
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[at+1:]
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}
