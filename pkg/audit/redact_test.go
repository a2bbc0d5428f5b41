package audit

import (
	"strings"
	"testing"
)

func TestSecretFlag(t *testing.T) {
	tests := []struct {
		name         string
		path, marked bool
		want         bool
	}{
		// Words that always mean a secret.
		{"password", false, false, true},
		{"smtp-password", false, false, true},
		{"imap_passwd", false, false, true},
		{"key-passphrase", false, false, true},
		{"pass", false, false, true},
		{"db.pw", false, false, true},
		{"client-secret", false, false, true},
		{"api-token", false, false, true},
		{"credentials", false, false, true},
		{"apikey", false, false, true},
		{"session-cookie", false, false, true},
		{"bearer", false, false, true},
		{"smtp-auth", false, false, true},
		{"Authorization", false, false, true},
		// ... even when the value is a file: --password-file VALUE may be
		// given the password itself by mistake.
		{"password-file", true, false, true},
		// "key": secret unless the value is a path.
		{"key", false, false, true},
		{"api-key", false, false, true},
		{"hmac-key", false, false, true},
		{"private-key", false, false, true},
		{"private-key", true, false, false},
		{"keys", false, false, true},
		// Marked by the command.
		{"seed", false, true, true},
		// Not secrets: words that merely contain a secret word.
		{"selector", false, false, false},
		{"passive", false, false, false},
		{"keygen", false, false, false},
		{"monkey", false, false, false},
		{"out", true, false, false},
		{"domain", false, false, false},
		{"author", false, false, false},
	}
	for _, tc := range tests {
		if got := SecretFlag(tc.name, tc.path, tc.marked); got != tc.want {
			t.Errorf("SecretFlag(%q, path=%v, marked=%v) = %v, want %v", tc.name, tc.path, tc.marked, got, tc.want)
		}
	}
}

func TestRedactValue(t *testing.T) {
	der := "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + strings.Repeat("A", 80)
	tests := map[string]string{
		"example.com":             "example.com",
		"keys/s1.example.com.pem": "keys/s1.example.com.pem",
		"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----": Redacted,
		"x -----BEGIN RSA PRIVATE KEY----- y":                                              Redacted,
		der:                                                                                Redacted,
		"MII" + strings.Repeat("A", 20):                                                    "MII" + strings.Repeat("A", 20), // too short to be a key
		"https://user:hunter2@dns.example/q":                                               "https://user:" + Redacted + "@dns.example/q",
		"imaps://ops:s3cr%40t@imap.example":                                                "imaps://ops:" + Redacted + "@imap.example",
		"https://user@dns.example/q":                                                       "https://user@dns.example/q", // no password
		"https://dns.example/q?u=a@b.example":                                              "https://dns.example/q?u=a@b.example",
		"mailto:dmarc@example.com":                                                         "mailto:dmarc@example.com",
		"smtp://a:b@mx.example:587/x#y":                                                    "smtp://a:" + Redacted + "@mx.example:587/x#y",
		"postmaster@example.com":                                                           "postmaster@example.com",
		"https://u:p@a.example/@b":                                                         "https://u:" + Redacted + "@a.example/@b",
		"note about the PRIVATE KEY rotation":                                              "note about the PRIVATE KEY rotation",
		"line one PRIVATE KEY----- line two":                                               Redacted,
	}
	for in, want := range tests {
		if got := RedactValue(in); got != want {
			t.Errorf("RedactValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	got := CommandLine(
		[]string{"emailauth", "sign"},
		[]Flag{
			{Name: "domain", Values: []string{"example.com"}},
			{Name: "out", Values: []string{"signed.eml"}, Path: true},
			{Name: "private-key", Values: []string{"rsa.pem", "-"}, Path: true},
			{Name: "quiet", Values: []string{"true"}, Bool: true},
			{Name: "tcp", Values: []string{"false"}, Bool: true},
			{Name: "selector", Values: []string{"s1", "s2"}},
			{Name: "smtp-password", Values: []string{"hunter2"}},
			{Name: "api-key", Values: []string{"abc123"}},
			{Name: "seed", Values: []string{"c2VjcmV0"}, Secret: true},
			{Name: "resolver", Values: []string{"https://u:p@doh.example/dns-query"}},
			{Name: "note", Values: []string{"-----BEGIN PRIVATE KEY-----"}},
			{Name: "verbose", Values: []string{"2"}},
		},
		[]string{"msg.eml", "-----BEGIN PRIVATE KEY-----\nabc"},
	)
	want := []string{
		"emailauth", "sign",
		"--domain=example.com", "--out=signed.eml", "--private-key=rsa.pem", "--private-key=-",
		"--quiet", "--tcp=false", "--selector=s1", "--selector=s2",
		"--smtp-password=[REDACTED]", "--api-key=[REDACTED]", "--seed=[REDACTED]",
		"--resolver=https://u:[REDACTED]@doh.example/dns-query", "--note=[REDACTED]", "--verbose=2",
		"msg.eml", "[REDACTED]",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("CommandLine:\n got %q\nwant %q", got, want)
	}
}
