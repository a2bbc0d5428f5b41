package starttls

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/finding"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const mx = "mx.example.test"

// pki is a test CA and certificates made from it.
type pki struct {
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	serial int64
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "emailauth test CA"},
		NotBefore: testNow.AddDate(-1, 0, 0), NotAfter: testNow.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &pki{caCert: ca, caKey: key, pool: pool, serial: 1}
}

// leaf issues a certificate for names, valid from notBefore to notAfter;
// selfSigned signs it with its own key.
func (p *pki) leaf(t testing.TB, names []string, notBefore, notAfter time.Time, selfSigned bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	parent, signer := p.caCert, p.caKey
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// server is a tiny SMTP server on 127.0.0.1: greeting, EHLO, STARTTLS,
// QUIT, and 502 for everything else.
type server struct {
	ln         net.Listener
	cert       tls.Certificate
	greeting   string // default "220 mx.example.test ESMTP"
	noSTARTTLS bool
	startReply string // default "220 2.0.0 Ready to start TLS"
	maxVersion uint16
	silent     bool // accept, then say nothing
	wg         sync.WaitGroup
	mu         sync.Mutex
	ehloAfter  int // EHLOs received after TLS
	quits      int
}

func (s *server) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.handle(c) }()
		}
	}()
}

func (s *server) handle(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if s.silent {
		_, _ = bufio.NewReader(c).ReadString('\n')
		return
	}
	var conn net.Conn = c
	r := bufio.NewReader(conn)
	say := func(lines ...string) { _, _ = conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")) }
	greeting := s.greeting
	if greeting == "" {
		greeting = "220 " + mx + " ESMTP test"
	}
	say(greeting)
	inTLS := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO "):
			if inTLS {
				s.mu.Lock()
				s.ehloAfter++
				s.mu.Unlock()
			}
			ext := []string{"250-" + mx + " hello", "250-PIPELINING", "250-SIZE 10240000"}
			if !s.noSTARTTLS && !inTLS {
				ext = append(ext, "250-STARTTLS")
			}
			say(append(ext, "250 8BITMIME")...)
		case cmd == "STARTTLS":
			if s.startReply != "" {
				say(s.startReply)
				continue
			}
			say("220 2.0.0 Ready to start TLS")
			cfg := &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS10, MaxVersion: s.maxVersion}
			tc := tls.Server(c, cfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, inTLS = tc, bufio.NewReader(tc), true
		case cmd == "QUIT":
			s.mu.Lock()
			s.quits++
			s.mu.Unlock()
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Command not recognized")
		}
	}
}

// dialer connects every address to the server.
func (s *server) dialer() DialFunc {
	addr := s.ln.Addr().String()
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func TestProbe(t *testing.T) {
	p := newPKI(t)
	valid := func() tls.Certificate {
		return p.leaf(t, []string{mx}, testNow.AddDate(0, -1, 0), testNow.AddDate(0, 2, 0), false)
	}
	tests := []struct {
		name     string
		srv      *server
		status   finding.Status
		codes    []string
		version  string
		check    func(t *testing.T, res *Result)
		timeout  time.Duration
		noServer bool
	}{
		{name: "good", srv: &server{cert: valid()}, status: finding.StatusPass, version: "TLS 1.3", check: func(t *testing.T, res *Result) {
			c := res.Certificate
			if c == nil || !c.ValidForHost || !c.Trusted || c.SelfSigned || c.DaysLeft < 50 || c.Subject != "CN="+mx || c.Issuer != "CN=emailauth test CA" {
				t.Errorf("certificate %+v", c)
			}
			if !res.STARTTLSOffered || !strings.Contains(strings.Join(res.Extensions, " "), "PIPELINING") || res.Greeting == "" {
				t.Errorf("result %+v", res)
			}
		}},
		{name: "tls 1.2", srv: &server{cert: valid(), maxVersion: tls.VersionTLS12}, status: finding.StatusPass, version: "TLS 1.2"},
		{name: "wrong name", srv: &server{cert: p.leaf(t, []string{"other.example.test"}, testNow.AddDate(0, -1, 0), testNow.AddDate(0, 2, 0), false)},
			status: finding.StatusFail, codes: []string{FindCertNameMismatch.Code}},
		{name: "expiring in 5 days", srv: &server{cert: p.leaf(t, []string{mx}, testNow.AddDate(0, -2, 0), testNow.Add(5*24*time.Hour), false)},
			status: finding.StatusWarn, codes: []string{FindCertExpiring.Code}, check: func(t *testing.T, res *Result) {
				if res.Certificate.DaysLeft != 5 || !res.Certificate.Trusted {
					t.Errorf("certificate %+v", res.Certificate)
				}
			}},
		{name: "expired", srv: &server{cert: p.leaf(t, []string{mx}, testNow.AddDate(0, -3, 0), testNow.Add(-time.Hour), false)},
			status: finding.StatusFail, codes: []string{FindCertExpired.Code}},
		{name: "not yet valid", srv: &server{cert: p.leaf(t, []string{mx}, testNow.Add(time.Hour), testNow.AddDate(0, 3, 0), false)},
			status: finding.StatusFail, codes: []string{FindCertNotYetValid.Code}},
		{name: "self-signed", srv: &server{cert: p.leaf(t, []string{mx}, testNow.AddDate(0, -1, 0), testNow.AddDate(0, 2, 0), true)},
			status: finding.StatusFail, codes: []string{FindCertSelfSigned.Code}, check: func(t *testing.T, res *Result) {
				if !res.Certificate.SelfSigned || res.Certificate.Trusted || !res.Certificate.ValidForHost {
					t.Errorf("certificate %+v", res.Certificate)
				}
			}},
		{name: "untrusted CA", srv: &server{cert: newPKI(t).leaf(t, []string{mx}, testNow.AddDate(0, -1, 0), testNow.AddDate(0, 2, 0), false)},
			status: finding.StatusFail, codes: []string{FindCertUntrusted.Code}},
		{name: "no STARTTLS", srv: &server{cert: valid(), noSTARTTLS: true}, status: finding.StatusFail, codes: []string{FindNotOffered.Code}},
		{name: "STARTTLS refused", srv: &server{cert: valid(), startReply: "454 4.7.0 TLS not available"}, status: finding.StatusFail, codes: []string{FindRejected.Code}},
		{name: "TLS 1.1 only", srv: &server{cert: valid(), maxVersion: tls.VersionTLS11}, status: finding.StatusFail, codes: []string{FindOldTLS.Code}, version: "TLS 1.1"},
		{name: "greeting 554", srv: &server{cert: valid(), greeting: "554 5.7.1 go away"}, status: finding.StatusError, codes: []string{FindGreetingRefused.Code}},
		{name: "multi-line greeting", srv: &server{cert: valid(), greeting: "220-" + mx + " ESMTP\r\n220 welcome"}, status: finding.StatusPass},
		{name: "silent server", srv: &server{silent: true}, status: finding.StatusError, codes: []string{FindConnectionLost.Code}, timeout: 300 * time.Millisecond},
		{name: "connection refused", noServer: true, status: finding.StatusError, codes: []string{FindConnectFailed.Code}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dial DialFunc
			if tt.noServer {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				}
			} else {
				tt.srv.start(t)
				dial = tt.srv.dialer()
			}
			res := Probe(context.Background(), dial, mx+".", Options{RootCAs: p.pool, Now: func() time.Time { return testNow }, Timeout: tt.timeout})
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Code)
				if !catalog.Has(f.Code) {
					t.Errorf("%s not in the catalogue", f.Code)
				}
				if f.Severity > finding.Info && f.Fix == "" {
					t.Errorf("%s has no fix", f.Code)
				}
			}
			if res.Status != tt.status || strings.Join(got, ",") != strings.Join(tt.codes, ",") {
				t.Fatalf("status %s findings %v (error %q), want %s %v\ntranscript:\n%s", res.Status, res.Findings, res.Error, tt.status, tt.codes, strings.Join(res.Transcript, "\n"))
			}
			if tt.version != "" && (res.TLS == nil || res.TLS.Version != tt.version) {
				t.Errorf("tls %+v, want %s", res.TLS, tt.version)
			}
			if res.Host != mx || !strings.HasSuffix(res.Address, ":25") {
				t.Errorf("host %q address %q", res.Host, res.Address)
			}
			if res.Status == finding.StatusError && res.Error == "" {
				t.Error("status error without a message")
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func TestProbeSession(t *testing.T) {
	p := newPKI(t)
	srv := &server{cert: p.leaf(t, []string{mx}, testNow.AddDate(0, -1, 0), testNow.AddDate(0, 2, 0), false)}
	srv.start(t)
	res := Probe(context.Background(), srv.dialer(), mx, Options{RootCAs: p.pool, Now: func() time.Time { return testNow }, Port: 2525, Addr: "192.0.2.25", EHLOName: "probe.example.test"})
	if res.Status != finding.StatusPass || res.Address != "192.0.2.25:2525" {
		t.Fatalf("status %s address %s findings %v", res.Status, res.Address, res.Findings)
	}
	if res.Transcript[1] != "C: EHLO probe.example.test" {
		t.Errorf("transcript %v", res.Transcript)
	}
	srv.ln.Close()
	srv.wg.Wait()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.ehloAfter != 1 || srv.quits != 1 {
		t.Errorf("EHLO after TLS %d, QUIT %d; want 1 and 1", srv.ehloAfter, srv.quits)
	}
	b, _ := json.Marshal(res)
	for _, k := range []string{`"starttls_offered":true`, `"tls":{"version":"TLS 1.3"`, `"valid_for_host":true`, `"days_left":`, `"findings":[]`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}

func TestProbeInvalidHost(t *testing.T) {
	for _, h := range []string{"", ".", "a..b", ".mx.example.test"} {
		res := Probe(context.Background(), func(context.Context, string, string) (net.Conn, error) {
			t.Fatal("dialed for an invalid host")
			return nil, nil
		}, h, Options{})
		if res.Status != finding.StatusError || len(res.Findings) != 1 || res.Findings[0].Code != FindInvalidHost.Code {
			t.Errorf("%q: %+v", h, res)
		}
	}
}

func TestProbeCanceled(t *testing.T) {
	srv := &server{silent: true}
	srv.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	res := Probe(ctx, srv.dialer(), mx, Options{})
	if res.Status != finding.StatusError {
		t.Errorf("status %s findings %v", res.Status, res.Findings)
	}
}

func TestReplyParsing(t *testing.T) {
	tests := []struct {
		in    string
		code  int
		lines int
		bad   bool
	}{
		{in: "250 ok\r\n", code: 250, lines: 1},
		{in: "250-a\r\n250-b\r\n250 c\r\n", code: 250, lines: 3},
		{in: "250\r\n", code: 250, lines: 1},
		{in: "250-a\r\n251 b\r\n", bad: true},
		{in: "25\r\n", bad: true},
		{in: "abc def\r\n", bad: true},
		{in: "250-a\r\n", bad: true},
		{in: "250x\r\n", bad: true},
		{in: strings.Repeat("250-x\r\n", maxLines+1), bad: true},
		{in: "250 " + strings.Repeat("x", maxLine+10) + "\r\n", bad: true},
	}
	for _, tt := range tests {
		c1, c2 := net.Pipe()
		go func() { _, _ = c2.Write([]byte(tt.in)); c2.Close() }()
		s := &session{res: &Result{}, conn: c1, r: bufio.NewReaderSize(c1, maxLine)}
		code, lines, err := s.reply()
		c1.Close()
		if tt.bad != (err != nil) || !tt.bad && (code != tt.code || len(lines) != tt.lines) {
			t.Errorf("%q: %d %v %v", abbreviate(tt.in), code, lines, err)
		}
	}
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func BenchmarkProbeLoopback(b *testing.B) {
	p := newPKI(b)
	srv := &server{cert: p.leaf(b, []string{mx}, testNow.AddDate(0, -1, 0), testNow.AddDate(0, 2, 0), false)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv.ln = ln
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.handle(c)
		}
	}()
	opts := Options{RootCAs: p.pool, Now: func() time.Time { return testNow }}
	for b.Loop() {
		if res := Probe(context.Background(), srv.dialer(), mx, opts); res.Status != finding.StatusPass {
			b.Fatal(res.Status, res.Findings)
		}
	}
}

// FuzzReply feeds arbitrary server output to the reply reader: it must
// return a code of 200-599 with lines, or an error, and never panic.
func FuzzReply(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "250-a\r\n250-STARTTLS\r\n250 b\r\n", "250\r\n", "25", "", "250-a\r\n251 b\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &session{res: &Result{}, r: bufio.NewReaderSize(bytes.NewReader(data), maxLine)}
		code, lines, err := s.reply()
		if err == nil && (code < 200 || code > 599 || len(lines) == 0) {
			t.Fatalf("%q: code %d lines %v", data, code, lines)
		}
	})
}

// TestTransientFindings pins the findings that mean "could not find out"
// (finding.Judge makes a result with one error, never fail).
func TestTransientFindings(t *testing.T) {
	var got []string
	for _, s := range Findings() {
		if s.Transient {
			got = append(got, s.Code)
		}
	}
	if want := []string{"starttls.connect-failed", "starttls.connection-lost", "starttls.ehlo-rejected", "starttls.greeting-refused"}; !slices.Equal(got, want) {
		t.Errorf("transient findings %v, want %v", got, want)
	}
}
