package msgauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"net/url"
	"sort"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// The requirements CheckBulk checks, as BulkCheck.ID.
const (
	BulkSPF            = "spf"
	BulkDKIM           = "dkim"
	BulkDKIMKey        = "dkim-key"
	BulkDMARC          = "dmarc"
	BulkReverseDNS     = "reverse-dns"
	BulkUnsubscribe    = "one-click-unsubscribe"
	BulkMessageID      = "message-id"
	BulkDate           = "date"
	BulkAuthResults    = "no-forged-auth-results"
	maxPTRNames        = 10
	maxUnsubscribeURIs = 10
)

// BulkOptions tune CheckBulk.
type BulkOptions struct {
	// Options are Authenticate's (its AuthServID, SPF options).
	Options
	// Transactional marks a transactional message (a receipt, a password
	// reset): the providers exempt those from the unsubscribe
	// requirement, which is then skipped.
	Transactional bool
	// TrustedAuthServIDs are the authserv-ids of Authentication-Results
	// fields the sender did not write: those the test inbox's own
	// receiving host added. Any other Authentication-Results is a finding.
	TrustedAuthServIDs []string
}

// BulkCheck is the outcome of one requirement.
type BulkCheck struct {
	ID string `json:"id"`
	// Status is judged from the requirement's findings (finding.Judge);
	// skip when it was not checked.
	Status   finding.Status `json:"status"`
	Findings finding.List   `json:"findings"`
}

// ReverseDNS is what the sending IP's reverse DNS holds.
type ReverseDNS struct {
	IP string `json:"ip"`
	// Names are the PTR names (at most 10 are looked at).
	Names []string `json:"names"`
	// Confirmed are the names whose A or AAAA records hold the IP.
	Confirmed []string `json:"confirmed"`
}

// Unsubscribe is what the message offers for unsubscribing.
type Unsubscribe struct {
	// URIs are the List-Unsubscribe URIs, in order.
	URIs []string `json:"uris"`
	// HTTPS is the first https: URI, the one a one-click POST goes to.
	HTTPS string `json:"https,omitempty"`
	// Post is the List-Unsubscribe-Post value.
	Post     string `json:"post,omitempty"`
	OneClick bool   `json:"one_click"`
	// SignedBy are the d= of the passing DKIM signatures whose h= covers
	// both fields.
	SignedBy []string `json:"signed_by"`
}

// BulkResult is a test message checked against what Gmail, Yahoo (from
// February 2024) and Outlook.com (from May 2025) require of senders of
// more than 5,000 messages a day.
type BulkResult struct {
	// Status is judged from all the findings (finding.Judge).
	Status   finding.Status `json:"status"`
	Findings finding.List   `json:"findings"`
	// Checks has one entry per requirement, in a fixed order.
	Checks []BulkCheck `json:"checks"`
	// Authentication is what Authenticate found (DKIM, SPF, DMARC).
	Authentication *Result      `json:"authentication"`
	ReverseDNS     *ReverseDNS  `json:"reverse_dns,omitempty"`
	Unsubscribe    *Unsubscribe `json:"unsubscribe,omitempty"`
}

// CheckBulk reads a test message from msg (once, holding only its header
// in memory), authenticates it as Authenticate does, and checks it against
// the bulk-sender requirements of the large mailbox providers: SPF and DKIM
// both pass, DMARC is published for the From domain and passes (aligned),
// DKIM keys are at least 1024 bits (2048 recommended), the sending IP has
// forward-confirmed reverse DNS, one-click unsubscribe (RFC 8058) with
// both fields DKIM-signed, an RFC 5322 Message-ID and Date, and no
// Authentication-Results written by the sender. conn is the connection the
// message was sent over; without it SPF and reverse DNS are not checked
// (bulk.no-connection). The error is non-nil only when the message cannot
// be read.
func CheckBulk(ctx context.Context, msg io.Reader, r dns.Resolver, v *dkim.Verifier, conn *Connection, opts BulkOptions) (*BulkResult, error) {
	br := getReader(msg)
	defer putReader(br)
	header, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	auth, err := Authenticate(ctx, io.MultiReader(bytes.NewReader(header), br), r, v, conn, opts.Options)
	if err != nil {
		return nil, err
	}
	return EvaluateBulk(ctx, r, header, auth, conn, opts)
}

// EvaluateBulk checks a message already authenticated, from its header
// section (up to and including the empty line) and Authenticate's result
// for it, against the bulk-sender requirements (see CheckBulk): for
// services that authenticate every test send anyway.
func EvaluateBulk(ctx context.Context, r dns.Resolver, header []byte, auth *Result, conn *Connection, opts BulkOptions) (*BulkResult, error) {
	if auth == nil {
		return nil, errors.New("msgauth: EvaluateBulk needs Authenticate's result")
	}
	m, err := mail.ReadMessage(bytes.NewReader(header))
	if err != nil {
		return nil, fmt.Errorf("msgauth: the header cannot be parsed: %w", err)
	}
	b := &bulk{res: &BulkResult{Authentication: auth}, byCheck: map[string]finding.List{}, header: m.Header}
	b.checkSPF(auth, conn)
	b.checkDKIM(auth)
	b.checkDMARC(auth)
	b.checkReverseDNS(ctx, r, conn)
	if opts.Transactional {
		b.skip(BulkUnsubscribe)
	} else {
		b.checkUnsubscribe(auth)
	}
	b.checkMessageID()
	b.checkDate()
	b.checkAuthResults(opts.TrustedAuthServIDs)
	return b.finish(), nil
}

type bulk struct {
	res     *BulkResult
	header  mail.Header
	order   []string
	byCheck map[string]finding.List
	skipped map[string]bool
}

func (b *bulk) add(check string, f finding.Finding) {
	b.touch(check)
	b.byCheck[check] = append(b.byCheck[check], f)
}

// touch records that a check ran, even with no finding.
func (b *bulk) touch(check string) {
	if _, ok := b.byCheck[check]; !ok {
		b.byCheck[check] = finding.List{}
		b.order = append(b.order, check)
	}
}

func (b *bulk) skip(check string) {
	if b.skipped == nil {
		b.skipped = map[string]bool{}
	}
	b.skipped[check] = true
	b.touch(check)
}

func (b *bulk) finish() *BulkResult {
	all := finding.List{}
	for _, id := range b.order {
		fs := b.byCheck[id]
		st := finding.Judge(fs, true)
		if b.skipped[id] {
			st = finding.StatusSkip
		}
		b.res.Checks = append(b.res.Checks, BulkCheck{ID: id, Status: st, Findings: fs})
		all = append(all, fs...)
	}
	finding.Sort(all)
	b.res.Findings = all
	b.res.Status = finding.Judge(all, true)
	return b.res
}

func (b *bulk) checkSPF(auth *Result, conn *Connection) {
	if conn == nil || auth.SPF == nil {
		b.skip(BulkSPF)
		b.add(BulkSPF, FindBulkNoConnection.New("no SMTP connection was given, so SPF and the sending IP's reverse DNS were not checked", "give the sending IP, HELO name and MAIL FROM of the test send"))
		return
	}
	s := auth.SPF
	who := "MAIL FROM " + conn.MailFrom
	if auth.SPFIdentity == "helo" {
		who = "HELO " + conn.HELO
	}
	switch s.Result {
	case spf.Pass:
		b.touch(BulkSPF)
	case spf.TempError:
		b.add(BulkSPF, FindBulkDNSError.New(fmt.Sprintf("SPF for %s from %s could not be evaluated: %s", who, conn.IP, s.Error), "").WithName(s.Domain))
	default:
		why := s.Error
		if why == "" && s.Mechanism != "" {
			why = "matched " + s.Mechanism
		}
		msg := fmt.Sprintf("SPF for %s from %s is %s", who, conn.IP, s.Result)
		if why != "" {
			msg += " (" + why + ")"
		}
		b.add(BulkSPF, FindBulkSPFFail.New(msg, fmt.Sprintf("authorize %s in the SPF record of %s", conn.IP, s.Domain)).WithName(s.Domain))
	}
}

func (b *bulk) checkDKIM(auth *Result) {
	var passing []dkim.SignatureResult
	var summary []string
	temp, weak := false, false
	for _, s := range auth.DKIM {
		summary = append(summary, fmt.Sprintf("d=%s s=%s: %s (%s)", s.Domain, s.Selector, s.Result, s.Code))
		switch {
		case s.Result == dkim.Pass:
			passing = append(passing, s)
		case s.Result == dkim.Temperror:
			temp = true
		case s.Code == "weak-key":
			weak = true
			b.add(BulkDKIMKey, FindBulkDKIMWeakKey.New(fmt.Sprintf("the DKIM signature d=%s s=%s uses a %d-bit RSA key", s.Domain, s.Selector, s.KeyBits), fmt.Sprintf("publish a 2048-bit key under a new selector of %s and sign with it", s.Domain)).WithName(s.KeyName))
		}
	}
	switch {
	case len(passing) > 0:
		b.touch(BulkDKIM)
	case temp:
		b.add(BulkDKIM, FindBulkDNSError.New("no DKIM signature passes, and a key could not be fetched: "+strings.Join(summary, "; "), ""))
	case len(auth.DKIM) == 0:
		b.add(BulkDKIM, FindBulkDKIMFail.New("the message has no DKIM signature", "sign the message with a key of the From domain"))
	default:
		b.add(BulkDKIM, FindBulkDKIMFail.New("no DKIM signature passes: "+strings.Join(summary, "; "), "fix the failing signature (the code says why) or sign with a key of the From domain"))
	}

	// Key sizes of what passes.
	if len(passing) == 0 {
		if !weak {
			b.skip(BulkDKIMKey)
		}
		return
	}
	strong, rsaSeen := false, false
	var short []string
	for _, s := range passing {
		switch {
		case s.KeyType == "ed25519":
			continue
		case s.KeyBits >= 2048:
			strong, rsaSeen = true, true
		default:
			rsaSeen = true
			short = append(short, fmt.Sprintf("d=%s s=%s (%d bits)", s.Domain, s.Selector, s.KeyBits))
		}
	}
	switch {
	case !rsaSeen:
		b.add(BulkDKIMKey, FindBulkDKIMEd25519Only.New(fmt.Sprintf("the %d passing DKIM signature(s) are all Ed25519", len(passing)), "add an RSA-2048 signature beside the Ed25519 one"))
	case !strong:
		b.add(BulkDKIMKey, FindBulkDKIMKey1024.New("the passing DKIM signatures use RSA keys under 2048 bits: "+strings.Join(short, ", "), "rotate to a 2048-bit key under a new selector"))
	default:
		b.touch(BulkDKIMKey)
	}
}

func (b *bulk) checkDMARC(auth *Result) {
	d := auth.DMARC
	if d == nil {
		b.add(BulkDMARC, FindBulkNoFromDomain.New("DMARC cannot be evaluated: "+firstNonEmpty(auth.FromError, "no From domain"), "send with exactly one From field holding one address"))
		return
	}
	switch d.Result {
	case dmarc.ResultPass:
		b.touch(BulkDMARC)
		if d.Policy == dmarc.PolicyNone {
			b.add(BulkDMARC, FindBulkDMARCNone.New(fmt.Sprintf("DMARC passes for %s; its policy is p=none", d.FromDomain), "").WithName("_dmarc."+firstNonEmpty(d.RecordDomain, d.FromDomain)))
		}
	case dmarc.ResultTempError:
		b.add(BulkDMARC, FindBulkDNSError.New(fmt.Sprintf("DMARC for %s could not be evaluated: %s", d.FromDomain, d.Reason), "").WithName("_dmarc."+d.FromDomain))
	case dmarc.ResultNone, dmarc.ResultPermError:
		b.add(BulkDMARC, FindBulkNoDMARC.New(fmt.Sprintf("no usable DMARC record for %s: %s", d.FromDomain, d.Reason), fmt.Sprintf("publish a TXT record at _dmarc.%s: v=DMARC1; p=none; rua=mailto:dmarc-reports@%s", d.FromDomain, d.FromDomain)).WithName("_dmarc."+d.FromDomain))
	default:
		b.add(BulkDMARC, FindBulkDMARCFail.New(fmt.Sprintf("DMARC fails for %s: no passing SPF or DKIM identifier aligns with it (SPF %s, DKIM %s)", d.FromDomain, alignmentSummary(d.Alignment.SPF), alignmentSummary(d.Alignment.DKIM)), fmt.Sprintf("sign with d=%s, or use a MAIL FROM domain under %s", d.FromDomain, d.FromDomain)).WithName("_dmarc."+firstNonEmpty(d.RecordDomain, d.FromDomain)))
	}
}

func alignmentSummary(a dmarc.Alignment) string {
	if len(a.Checks) == 0 {
		return "none passing"
	}
	var parts []string
	for _, c := range a.Checks {
		parts = append(parts, c.Domain+"="+c.Result)
	}
	return strings.Join(parts, ", ")
}

// checkReverseDNS checks forward-confirmed reverse DNS of the sending IP.
func (b *bulk) checkReverseDNS(ctx context.Context, r dns.Resolver, conn *Connection) {
	if conn == nil || !conn.IP.IsValid() {
		b.skip(BulkReverseDNS)
		return
	}
	ip := conn.IP.Unmap()
	rd := &ReverseDNS{IP: ip.String(), Names: []string{}, Confirmed: []string{}}
	b.res.ReverseDNS = rd
	rev := reverseName(ip)
	ans, err := r.Query(ctx, rev, dns.TypePTR)
	if err != nil {
		if dns.IsTemporary(err) || ctx.Err() != nil {
			b.add(BulkReverseDNS, FindBulkDNSError.New(fmt.Sprintf("the PTR lookup of %s failed: %v", ip, err), "").WithName(rev))
		} else {
			b.add(BulkReverseDNS, FindBulkNoPTR.New(fmt.Sprintf("the PTR lookup of %s failed: %v", ip, err), "publish a PTR record for the sending IP").WithName(rev))
		}
		return
	}
	for _, rec := range ans.Records {
		if rec.Type == dns.TypePTR && rec.Target != "" && len(rd.Names) < maxPTRNames {
			rd.Names = append(rd.Names, rec.Target)
		}
	}
	if len(rd.Names) == 0 {
		b.add(BulkReverseDNS, FindBulkNoPTR.New(fmt.Sprintf("%s has no PTR record (%s)", ip, rev), fmt.Sprintf("ask the holder of %s to publish a PTR record naming a host whose address is %s", ip, ip)).WithName(rev))
		return
	}
	qtype := dns.TypeA
	if ip.Is6() {
		qtype = dns.TypeAAAA
	}
	var tempErrs []string
	for _, name := range rd.Names {
		a, err := r.Query(ctx, name, qtype)
		if err != nil {
			if dns.IsTemporary(err) || ctx.Err() != nil {
				tempErrs = append(tempErrs, fmt.Sprintf("%s: %v", name, err))
			}
			continue
		}
		for _, got := range a.IPs() {
			if got.Unmap() == ip {
				rd.Confirmed = append(rd.Confirmed, name)
				break
			}
		}
	}
	switch {
	case len(rd.Confirmed) > 0:
		b.touch(BulkReverseDNS)
	case len(tempErrs) > 0:
		b.add(BulkReverseDNS, FindBulkDNSError.New(fmt.Sprintf("the forward lookup of the PTR names of %s failed: %s", ip, strings.Join(tempErrs, "; ")), ""))
	default:
		b.add(BulkReverseDNS, FindBulkPTRMismatch.New(fmt.Sprintf("%s has PTR %s, but no such name has %s among its %s records", ip, strings.Join(rd.Names, ", "), ip, dns.TypeString(qtype)), fmt.Sprintf("publish %s %s %s, or point the PTR at a name that has it", rd.Names[0], dns.TypeString(qtype), ip)).WithName(rd.Names[0]))
	}
}

// reverseName returns the in-addr.arpa or ip6.arpa name of ip.
func reverseName(ip netip.Addr) string {
	if ip.Is4() {
		a := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", a[3], a[2], a[1], a[0])
	}
	a := ip.As16()
	var sb strings.Builder
	const hex = "0123456789abcdef"
	for i := len(a) - 1; i >= 0; i-- {
		sb.WriteByte(hex[a[i]&0xf])
		sb.WriteByte('.')
		sb.WriteByte(hex[a[i]>>4])
		sb.WriteByte('.')
	}
	return sb.String() + "ip6.arpa"
}

// checkUnsubscribe checks RFC 8058 one-click unsubscribe.
func (b *bulk) checkUnsubscribe(auth *Result) {
	lu := b.header["List-Unsubscribe"]
	if len(lu) == 0 {
		b.add(BulkUnsubscribe, FindBulkNoListUnsubscribe.New("the message has no List-Unsubscribe field", "add List-Unsubscribe: <https://.../unsubscribe/...> and List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
		return
	}
	u := &Unsubscribe{URIs: []string{}, SignedBy: []string{}}
	b.res.Unsubscribe = u
	for _, v := range lu {
		u.URIs = append(u.URIs, unsubscribeURIs(v)...)
	}
	if len(u.URIs) > maxUnsubscribeURIs {
		u.URIs = u.URIs[:maxUnsubscribeURIs]
	}
	var notHTTPS []string
	for _, raw := range u.URIs {
		p, err := url.Parse(raw)
		if err == nil && strings.EqualFold(p.Scheme, "https") && p.Host != "" {
			u.HTTPS = raw
			break
		}
		notHTTPS = append(notHTTPS, raw)
	}
	if u.HTTPS == "" {
		what := "no URI in angle brackets"
		if len(notHTTPS) > 0 {
			what = "only " + strings.Join(quoteAll(notHTTPS), ", ")
		}
		b.add(BulkUnsubscribe, FindBulkUnsubscribeNotHTTPS.New("List-Unsubscribe offers "+what+": one-click unsubscribe needs an https: URI", "add <https://...> to List-Unsubscribe"))
	}
	post := b.header["List-Unsubscribe-Post"]
	if len(post) > 0 {
		u.Post = strings.TrimSpace(post[0])
	}
	switch {
	case len(post) == 0:
		b.add(BulkUnsubscribe, FindBulkNoOneClick.New("the message has no List-Unsubscribe-Post field", "add List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
	case len(post) > 1:
		b.add(BulkUnsubscribe, FindBulkNoOneClick.New(fmt.Sprintf("the message has %d List-Unsubscribe-Post fields; RFC 8058 wants one", len(post)), "keep exactly one List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
	case u.Post != "List-Unsubscribe=One-Click":
		b.add(BulkUnsubscribe, FindBulkNoOneClick.New(fmt.Sprintf("List-Unsubscribe-Post is %q, not List-Unsubscribe=One-Click", u.Post), "write exactly List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
	default:
		u.OneClick = u.HTTPS != ""
	}
	// RFC 8058 §4: a passing DKIM signature covers both fields.
	for _, s := range auth.DKIM {
		if s.Result == dkim.Pass && containsFold(s.SignedHeaders, "List-Unsubscribe") && containsFold(s.SignedHeaders, "List-Unsubscribe-Post") {
			u.SignedBy = append(u.SignedBy, s.Domain)
		}
	}
	if len(post) > 0 && len(u.SignedBy) == 0 {
		u.OneClick = false
		b.add(BulkUnsubscribe, FindBulkUnsubscribeNotSigned.New("no passing DKIM signature has both List-Unsubscribe and List-Unsubscribe-Post in h=", "sign both fields with the message's DKIM key"))
	}
	b.touch(BulkUnsubscribe)
}

// unsubscribeURIs returns the URIs in angle brackets of a List-Unsubscribe
// value (RFC 2369 §2), comments removed and whitespace inside the brackets
// ignored.
func unsubscribeURIs(v string) []string {
	var out []string
	depth := 0
	for k := 0; k < len(v) && len(out) < maxUnsubscribeURIs; k++ {
		switch c := v[k]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '<' && depth == 0:
			end := strings.IndexByte(v[k:], '>')
			if end < 0 {
				return out
			}
			uri := strings.Join(strings.Fields(v[k+1:k+end]), "")
			if uri != "" {
				out = append(out, uri)
			}
			k += end
		}
	}
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// checkMessageID checks for one RFC 5322 msg-id (§3.6.4).
func (b *bulk) checkMessageID() {
	ids := b.header["Message-Id"]
	switch {
	case len(ids) == 0:
		b.add(BulkMessageID, FindBulkBadMessageID.New("the message has no Message-ID field", "add Message-ID: <unique-id@sending.domain>"))
	case len(ids) > 1:
		b.add(BulkMessageID, FindBulkBadMessageID.New(fmt.Sprintf("the message has %d Message-ID fields; RFC 5322 allows one", len(ids)), "keep exactly one Message-ID"))
	default:
		if why := checkMsgID(ids[0]); why != "" {
			b.add(BulkMessageID, FindBulkBadMessageID.New(fmt.Sprintf("Message-ID %q is not an RFC 5322 msg-id: %s", abbreviate(ids[0]), why), "write it as <unique-id@sending.domain>"))
		} else {
			b.touch(BulkMessageID)
		}
	}
}

// checkMsgID checks msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]
// (RFC 5322 §3.6.4); it returns what is wrong, or "".
func checkMsgID(v string) string {
	v = strings.TrimSpace(stripComments(v))
	if !strings.HasPrefix(v, "<") || !strings.HasSuffix(v, ">") {
		return "it is not in angle brackets"
	}
	inner := v[1 : len(v)-1]
	at := strings.LastIndexByte(inner, '@')
	if at < 0 {
		return `it has no "@"`
	}
	left, right := inner[:at], inner[at+1:]
	if left == "" || right == "" {
		return `a side of the "@" is empty`
	}
	for _, part := range []string{left, right} {
		if strings.HasPrefix(part, "[") && strings.HasSuffix(part, "]") {
			part = part[1 : len(part)-1] // no-fold-literal
		} else if strings.HasPrefix(part, `"`) && strings.HasSuffix(part, `"`) && len(part) > 1 {
			part = part[1 : len(part)-1] // obsolete quoted form
		}
		for k := 0; k < len(part); k++ {
			c := part[k]
			if c <= ' ' || c >= 0x7f || strings.IndexByte(`<>@,;:\"[]()`, c) >= 0 {
				return fmt.Sprintf("it contains %q", string(rune(c)))
			}
		}
	}
	return ""
}

// stripComments removes RFC 5322 comments.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var sb strings.Builder
	depth := 0
	for k := 0; k < len(s); k++ {
		switch c := s[k]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			k++
		case depth == 0:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// checkDate checks for one RFC 5322 date-time (§3.3, §3.6.1).
func (b *bulk) checkDate() {
	dates := b.header["Date"]
	switch {
	case len(dates) == 0:
		b.add(BulkDate, FindBulkBadDate.New("the message has no Date field", "add Date: with the time of sending"))
	case len(dates) > 1:
		b.add(BulkDate, FindBulkBadDate.New(fmt.Sprintf("the message has %d Date fields; RFC 5322 allows one", len(dates)), "keep exactly one Date"))
	default:
		if _, err := mail.ParseDate(dates[0]); err != nil {
			b.add(BulkDate, FindBulkBadDate.New(fmt.Sprintf("Date %q is not an RFC 5322 date-time", abbreviate(dates[0])), "write it as Mon, 23 Nov 2026 12:00:00 +0000"))
		} else {
			b.touch(BulkDate)
		}
	}
}

// checkAuthResults reports Authentication-Results the sender wrote.
func (b *bulk) checkAuthResults(trusted []string) {
	var forged []string
	for _, v := range b.header["Authentication-Results"] {
		id := strings.Fields(stripComments(strings.SplitN(v, ";", 2)[0]))
		if len(id) > 0 && containsFold(trusted, id[0]) {
			continue
		}
		forged = append(forged, abbreviate(strings.Join(strings.Fields(v), " ")))
	}
	if len(forged) == 0 {
		b.touch(BulkAuthResults)
		return
	}
	sort.Strings(forged)
	b.add(BulkAuthResults, FindBulkForgedAuthResults.New(fmt.Sprintf("the message carries %d Authentication-Results field(s) the sender wrote: %s", len(forged), strings.Join(quoteAll(forged), ", ")), "remove Authentication-Results from outgoing mail"))
}
