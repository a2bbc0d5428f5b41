package mtasts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

var serial int64 = 100

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             testNow.Add(-365 * 24 * time.Hour),
		NotAfter:              testNow.Add(5 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a leaf certificate for names valid from notBefore to notAfter.
func (ca *testCA) issue(t testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// route is what the policy server answers for one host.
type route struct {
	status      int
	contentType string
	body        string
	location    string
}

// policyServer is an HTTPS server on 127.0.0.1 that serves policies by
// host name; each host gets a certificate from the test CA unless certs
// says otherwise. Its client dials every name to the server.
type policyServer struct {
	ca     *testCA
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]route
	certs  map[string]*tls.Certificate
	hits   map[string]int
}

func newPolicyServer(t testing.TB) *policyServer {
	t.Helper()
	ps := &policyServer{ca: newCA(t, "emailauth test CA"), routes: map[string]route{}, certs: map[string]*tls.Certificate{}, hits: map[string]int{}}
	ps.srv = httptest.NewUnstartedServer(http.HandlerFunc(ps.serve))
	ps.srv.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		if c, ok := ps.certs[hello.ServerName]; ok {
			return c, nil
		}
		c := ps.ca.issue(t, []string{hello.ServerName}, validFrom(), validUntil())
		ps.certs[hello.ServerName] = &c
		return &c, nil
	}}
	ps.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	ps.srv.StartTLS()
	t.Cleanup(ps.srv.Close)
	return ps
}

func (ps *policyServer) set(host string, r route) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.routes[host] = r
}

func (ps *policyServer) setCert(host string, c tls.Certificate) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.certs[host] = &c
}

func (ps *policyServer) serve(w http.ResponseWriter, req *http.Request) {
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	ps.mu.Lock()
	rt, ok := ps.routes[host]
	ps.hits[host+req.URL.Path]++
	ps.mu.Unlock()
	if !ok || req.URL.Path != "/.well-known/mta-sts.txt" {
		http.NotFound(w, req)
		return
	}
	switch rt.contentType {
	case "":
		w.Header()["Content-Type"] = nil // no header, and no sniffing
	default:
		w.Header().Set("Content-Type", rt.contentType)
	}
	if rt.location != "" {
		w.Header().Set("Location", rt.location)
	}
	if rt.status == 0 {
		rt.status = 200
	}
	w.WriteHeader(rt.status)
	_, _ = w.Write([]byte(rt.body))
}

// client returns an HTTP client that trusts the test CA and connects every
// host name to the server.
func (ps *policyServer) client() *http.Client {
	addr := ps.srv.Listener.Addr().String()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ps.ca.pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// unreachableClient fails every connection, as an offline network would.
func unreachableClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errRefused}
		},
	}}
}

type refusedError struct{}

func (refusedError) Error() string { return "connection refused" }

var errRefused = refusedError{}

// validFrom and validUntil bound a certificate valid both at the real time
// (the TLS client checks it) and at testNow (Check's clock).
func validFrom() time.Time {
	n := time.Now()
	if testNow.Before(n) {
		n = testNow
	}
	return n.Add(-24 * time.Hour)
}

func validUntil() time.Time {
	n := time.Now()
	if testNow.After(n) {
		n = testNow
	}
	return n.Add(90 * 24 * time.Hour)
}

func policyBody(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }
