// Package starttls probes an MX host's STARTTLS (RFC 3207): it connects to
// port 25, reads the greeting, sends EHLO, checks that STARTTLS is offered,
// upgrades the connection and reports the TLS version (1.2 or newer is
// required), the cipher and the certificate: valid for the MX name, trusted,
// not expired and not expiring within 14 days.
//
// A connection that cannot be made (port 25 is blocked on many networks) is
// status error, "could not check", never fail.
package starttls

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Defaults of Options.
const (
	DefaultPort          = 25
	DefaultEHLOName      = "emailauth.localhost"
	DefaultTimeout       = 30 * time.Second
	DefaultExpiryWarning = 14 * 24 * time.Hour
)

// DialFunc opens a connection; net.Dialer.DialContext is one.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options tune Probe. The zero value probes port 25 with the system roots.
type Options struct {
	// Port is the port to connect to; 0 means 25.
	Port int
	// Addr is the host or IP address to connect to, when it is not the MX
	// host name itself (an address resolved through a dns.Resolver). The
	// certificate is still checked against the MX host name.
	Addr string
	// EHLOName is the name sent in EHLO; "" means DefaultEHLOName.
	EHLOName string
	// RootCAs verifies the certificate chain; nil means the system roots.
	RootCAs *x509.CertPool
	// Now is the clock for the certificate's validity; nil means time.Now.
	Now func() time.Time
	// Timeout bounds the whole probe; 0 means DefaultTimeout.
	Timeout time.Duration
	// ExpiryWarning is how close to expiry a certificate draws a warning;
	// 0 means 14 days.
	ExpiryWarning time.Duration
}

// TLSInfo describes the negotiated TLS session.
type TLSInfo struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
}

// CertInfo describes the server's certificate.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	DNSNames  []string  `json:"dns_names"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// DaysLeft is the number of whole days until NotAfter (negative once
	// expired).
	DaysLeft int `json:"days_left"`
	// ValidForHost is true when the certificate covers the MX host name.
	ValidForHost bool `json:"valid_for_host"`
	// Trusted is true when the chain leads to a trusted root (checked at a
	// time within the certificate's validity, so expiry is reported apart).
	Trusted    bool   `json:"trusted"`
	SelfSigned bool   `json:"self_signed"`
	ChainError string `json:"chain_error,omitempty"`
}

// Result is the outcome of Probe.
type Result struct {
	Host    string `json:"host"`
	Address string `json:"address"`
	// Status is judged from the findings (finding.Judge): error ("could
	// not check") when the probe could not complete, or when the host name
	// is not valid.
	Status finding.Status `json:"status"`
	// Greeting is the server's 220 greeting.
	Greeting string `json:"greeting,omitempty"`
	// Extensions are the EHLO keywords the server listed (before TLS).
	Extensions      []string     `json:"extensions"`
	STARTTLSOffered bool         `json:"starttls_offered"`
	TLS             *TLSInfo     `json:"tls,omitempty"`
	Certificate     *CertInfo    `json:"certificate,omitempty"`
	Findings        finding.List `json:"findings"`
	// Transcript is the SMTP dialogue, "C: " and "S: " lines.
	Transcript []string `json:"transcript"`
	// Error says why the probe could not complete (status error).
	Error string `json:"error,omitempty"`
}

// maxLine and maxLines bound what the probe reads from a server.
const (
	maxLine  = 4096
	maxLines = 128
)

type session struct {
	res  *Result
	conn net.Conn
	r    *bufio.Reader
}

// Probe checks the STARTTLS of one MX host. dial nil means a net.Dialer.
func Probe(ctx context.Context, dial DialFunc, mxHost string, opts Options) *Result {
	host := dns.CanonicalName(mxHost)
	res := &Result{Host: host, Extensions: []string{}, Findings: finding.List{}, Transcript: []string{}}
	if err := dns.CheckName(mxHost); err != nil || host == "." || strings.HasPrefix(mxHost, ".") {
		if err == nil {
			err = fmt.Errorf("the name is not a host name")
		}
		res.Host = mxHost
		res.add(FindInvalidHost.New(fmt.Sprintf("%q is not a valid MX host name: %v", mxHost, err), "give the MX host name as published in the MX record"))
		res.Status, res.Error = finding.StatusError, "starttls: "+err.Error()
		return res
	}
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	port := opts.Port
	if port == 0 {
		port = DefaultPort
	}
	target := host
	if opts.Addr != "" {
		target = opts.Addr
	}
	res.Address = net.JoinHostPort(target, strconv.Itoa(port))
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	conn, err := dial(ctx, "tcp", res.Address)
	if err != nil {
		res.add(FindConnectFailed.New(fmt.Sprintf("could not connect to %s (%s): %v; port 25 may be blocked on this network, so STARTTLS was not checked", host, res.Address, err),
			"run the probe from a network that allows outgoing port 25; if it still fails, make "+host+" accept connections on port 25").WithName(host))
		res.finish(fmt.Sprintf("starttls: connect to %s: %v", res.Address, err))
		return res
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	s := &session{res: res, conn: conn, r: bufio.NewReaderSize(conn, maxLine)}
	if msg := s.run(host, opts); msg != "" {
		res.finish(msg)
		return res
	}
	res.finish("")
	return res
}

// run does the SMTP dialogue; it returns why the probe could not complete,
// or "".
func (s *session) run(host string, opts Options) string {
	res := s.res
	lost := func(step string, err error) string {
		res.add(FindConnectionLost.New(fmt.Sprintf("the session with %s broke off %s: %v", host, step, err), "run the probe again; if it keeps failing, check the logs of "+host).WithName(host))
		return fmt.Sprintf("starttls: %s: %s: %v", res.Address, step, err)
	}
	code, lines, err := s.reply()
	if err != nil {
		return lost("while waiting for the greeting", err)
	}
	res.Greeting = strings.Join(lines, " ")
	if code != 220 {
		res.add(FindGreetingRefused.New(fmt.Sprintf("%s greeted with %d %s instead of 220", host, code, res.Greeting), "run the probe from another network, or allow the probing host on "+host).WithName(host))
		s.quit()
		return fmt.Sprintf("starttls: %s refused the session: %d %s", host, code, res.Greeting)
	}
	ehlo := opts.EHLOName
	if ehlo == "" {
		ehlo = DefaultEHLOName
	}
	if err := s.cmd("EHLO " + ehlo); err != nil {
		return lost("sending EHLO", err)
	}
	code, lines, err = s.reply()
	if err != nil {
		return lost("after EHLO", err)
	}
	if code != 250 {
		res.add(FindEHLORejected.New(fmt.Sprintf("%s answered EHLO %s with %d %s", host, ehlo, code, strings.Join(lines, " ")), "run the probe with an EHLO name the server accepts").WithName(host))
		s.quit()
		return fmt.Sprintf("starttls: %s rejected EHLO: %d", host, code)
	}
	for _, l := range lines[1:] {
		kw, _, _ := strings.Cut(l, " ")
		kw = strings.ToUpper(kw)
		res.Extensions = append(res.Extensions, kw)
		if kw == "STARTTLS" {
			res.STARTTLSOffered = true
		}
	}
	if !res.STARTTLSOffered {
		res.add(FindNotOffered.New(fmt.Sprintf("%s does not offer STARTTLS (its EHLO reply lists %s)", host, strings.Join(res.Extensions, ", ")),
			"enable STARTTLS on "+host+" with a certificate valid for "+host).WithName(host))
		s.quit()
		return ""
	}
	if err := s.cmd("STARTTLS"); err != nil {
		return lost("sending STARTTLS", err)
	}
	code, lines, err = s.reply()
	if err != nil {
		return lost("after STARTTLS", err)
	}
	if code != 220 {
		res.add(FindRejected.New(fmt.Sprintf("%s answered STARTTLS with %d %s", host, code, strings.Join(lines, " ")), "check the TLS configuration and certificate files of "+host).WithName(host))
		s.quit()
		return ""
	}
	tconn := tls.Client(s.conn, &tls.Config{
		ServerName: host,
		// The certificate is verified below, with the injected clock, so
		// that every problem is reported rather than only the first.
		InsecureSkipVerify: true,
		// Accept old versions to report them, rather than failing blind.
		MinVersion: tls.VersionTLS10,
	})
	if err := tconn.Handshake(); err != nil {
		if isNetErr(err) {
			return lost("during the TLS handshake", err)
		}
		res.add(FindHandshakeFailed.New(fmt.Sprintf("the TLS handshake with %s failed: %v", host, err), "enable TLS 1.2 and 1.3 with modern ciphers on "+host+" and check its certificate setup").WithName(host))
		return ""
	}
	st := tconn.ConnectionState()
	res.TLS = &TLSInfo{Version: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite)}
	res.Transcript = append(res.Transcript, fmt.Sprintf("-- TLS %s %s --", res.TLS.Version, res.TLS.CipherSuite))
	if st.Version < tls.VersionTLS12 {
		res.add(FindOldTLS.New(fmt.Sprintf("%s negotiated %s; TLS 1.2 or newer is required", host, res.TLS.Version), "enable TLS 1.2 and 1.3 on "+host+" (Postfix: smtpd_tls_protocols = >=TLSv1.2)").WithName(host))
	}
	checkCert(res, host, st.PeerCertificates, opts)
	s.conn, s.r = tconn, bufio.NewReaderSize(tconn, maxLine)
	if s.cmd("EHLO "+ehlo) == nil {
		_, _, _ = s.reply()
	}
	s.quit()
	return ""
}

func checkCert(res *Result, host string, certs []*x509.Certificate, opts Options) {
	if len(certs) == 0 {
		res.add(FindHandshakeFailed.New(host+" sent no certificate", "configure a certificate on "+host).WithName(host))
		return
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	warnWithin := opts.ExpiryWarning
	if warnWithin == 0 {
		warnWithin = DefaultExpiryWarning
	}
	leaf := certs[0]
	ci := &CertInfo{
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), DNSNames: append([]string{}, leaf.DNSNames...),
		NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(),
		DaysLeft:     int(leaf.NotAfter.Sub(now).Hours() / 24),
		ValidForHost: leaf.VerifyHostname(host) == nil,
		SelfSigned:   bytes.Equal(leaf.RawIssuer, leaf.RawSubject) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil,
	}
	res.Certificate = ci
	names := strings.Join(ci.DNSNames, ", ")
	if names == "" {
		names = "none; subject " + ci.Subject
	}
	if !ci.ValidForHost {
		res.add(FindCertNameMismatch.New(fmt.Sprintf("the certificate of %s is not valid for %s (names: %s)", host, host, names),
			"install on "+host+" a certificate whose subject alternative names include "+host).WithName(host))
	}
	switch {
	case now.Before(leaf.NotBefore):
		res.add(FindCertNotYetValid.New(fmt.Sprintf("the certificate of %s is valid only from %s", host, ci.NotBefore.Format(time.RFC3339)), "check the certificate's dates and the clock of "+host).WithName(host))
	case now.After(leaf.NotAfter):
		res.add(FindCertExpired.New(fmt.Sprintf("the certificate of %s expired on %s", host, ci.NotAfter.Format(time.RFC3339)), "renew the certificate of "+host+" and automate its renewal").WithName(host))
	case leaf.NotAfter.Sub(now) < warnWithin:
		res.add(FindCertExpiring.New(fmt.Sprintf("the certificate of %s expires on %s, in %d days", host, ci.NotAfter.Format(time.RFC3339), ci.DaysLeft), "renew the certificate of "+host+" now and automate its renewal").WithName(host))
	}
	// The chain, at a time within the leaf's validity so that expiry is
	// reported on its own.
	at := now
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	} else if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: opts.RootCAs, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	ci.Trusted = err == nil
	if err != nil {
		ci.ChainError = err.Error()
		if ci.SelfSigned {
			res.add(FindCertSelfSigned.New(fmt.Sprintf("the certificate of %s is self-signed (%s)", host, ci.Subject), "install on "+host+" a certificate from a public CA for "+host).WithName(host))
		} else {
			res.add(FindCertUntrusted.New(fmt.Sprintf("the certificate of %s (issuer %s) does not chain to a trusted root: %v", host, ci.Issuer, err), "serve on "+host+" the full chain (leaf and intermediates) of a public CA").WithName(host))
		}
	}
}

func (s *session) cmd(line string) error {
	s.res.Transcript = append(s.res.Transcript, "C: "+line)
	_, err := io.WriteString(s.conn, line+"\r\n")
	return err
}

// reply reads one SMTP reply (RFC 5321 §4.2): lines "CCC-text" then
// "CCC text". It returns the code and the text of each line.
func (s *session) reply() (int, []string, error) {
	var lines []string
	code := 0
	for n := 0; ; n++ {
		if n >= maxLines {
			return 0, nil, fmt.Errorf("the reply has more than %d lines", maxLines)
		}
		line, err := s.r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, nil, fmt.Errorf("a reply line is longer than %d bytes", maxLine)
			}
			if errors.Is(err, io.EOF) {
				return 0, nil, fmt.Errorf("the server closed the connection")
			}
			return 0, nil, err
		}
		l := strings.TrimRight(string(line), "\r\n")
		s.res.Transcript = append(s.res.Transcript, "S: "+l)
		if len(l) < 3 {
			return 0, nil, fmt.Errorf("malformed reply line %q", l)
		}
		c, err := strconv.Atoi(l[:3])
		if err != nil || c < 200 || c > 599 {
			return 0, nil, fmt.Errorf("malformed reply line %q", l)
		}
		if code != 0 && c != code {
			return 0, nil, fmt.Errorf("reply lines with different codes (%d, %d)", code, c)
		}
		code = c
		text := ""
		if len(l) > 4 {
			text = l[4:]
		}
		lines = append(lines, text)
		if len(l) == 3 || l[3] == ' ' {
			return code, lines, nil
		}
		if l[3] != '-' {
			return 0, nil, fmt.Errorf("malformed reply line %q", l)
		}
	}
}

func (s *session) quit() {
	if s.cmd("QUIT") == nil {
		_, _, _ = s.reply()
	}
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

func (res *Result) add(f finding.Finding) { res.Findings = append(res.Findings, f) }

// finish sorts the findings and derives the status; errMsg says why the
// probe could not complete ("" when it did).
func (res *Result) finish(errMsg string) {
	finding.Sort(res.Findings)
	res.Error = errMsg
	res.Status = finding.Judge(res.Findings, errMsg == "")
}
