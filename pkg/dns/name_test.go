package dns

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"example.com", "example.com", ""},
		{"Example.COM.", "example.com", ""},
		{"  example.com ", "example.com", ""},
		{"bücher.example", "xn--bcher-kva.example", ""},
		{"BÜCHER.example", "xn--bcher-kva.example", ""},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"例え.テスト", "xn--r8jz45g.xn--zckzah", ""},
		{"_dmarc.example.com", "_dmarc.example.com", ""},
		{"s1._domainkey.bücher.example", "s1._domainkey.xn--bcher-kva.example", ""},
		{"a..b.example", "", "empty label"},
		{"", "", "empty"},
		{"bad\xffutf8.example", "", "UTF-8"},
		{"a b.example", "", "space"},
		{strings.Repeat("a", 64) + ".example", "", "63"},
	} {
		got, err := NormalizeName(tc.in)
		if tc.err != "" {
			var ne *NameError
			if !errors.As(err, &ne) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NormalizeName(%q) = %q, %v; want a *NameError with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDomain(t *testing.T) {
	for _, tc := range []struct {
		in, ascii, unicode string
		note               bool
		err, hint          string
	}{
		{in: "tenant.example", ascii: "tenant.example"},
		{in: "bücher.example", ascii: "xn--bcher-kva.example", unicode: "bücher.example"},
		{in: "xn--bcher-kva.example", ascii: "xn--bcher-kva.example", unicode: "bücher.example"},
		{in: "https://tenant.example/", ascii: "tenant.example", note: true},
		{in: "https://Tenant.Example:8443/path?q=1", ascii: "tenant.example", note: true},
		{in: "user@tenant.example", ascii: "tenant.example", note: true},
		{in: "mailto:dmarc@tenant.example?subject=x", ascii: "tenant.example", note: true},
		{in: "<user@tenant.example>", ascii: "tenant.example", note: true},
		{in: "a.example,b.example", err: "comma", hint: "one domain per"},
		{in: "a.example b.example", err: "space", hint: "one domain per"},
		{in: "192.0.2.1", err: "IP address", hint: "example.com"},
		{in: "[2001:db8::1]", err: "IP address"},
		{in: "tenant.example:25", err: "port", hint: "tenant.example"},
		{in: "user@", err: "no domain"},
		{in: "https:///nohost", err: "no host"},
		{in: "a..example", err: "empty label"},
		{in: "_spf.tenant.example", ascii: "_spf.tenant.example"},
		{in: "API_TOKEN=s3cr3t", err: `not "="`, hint: "example.com"},
		{in: "*.tenant.example", err: `not "*"`},
		{in: "tenant.example/path", err: `not "/"`},
	} {
		d, note, err := ParseDomain(tc.in)
		if tc.err != "" {
			var ne *NameError
			if !errors.As(err, &ne) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDomain(%q) = %+v, %v; want a *NameError with %q", tc.in, d, err, tc.err)
				continue
			}
			if !strings.Contains(ne.Hint(), tc.hint) {
				t.Errorf("ParseDomain(%q): hint %q, want %q", tc.in, ne.Hint(), tc.hint)
			}
			continue
		}
		if err != nil || d.ASCII != tc.ascii || d.Unicode != tc.unicode || (note != "") != tc.note {
			t.Errorf("ParseDomain(%q) = %+v, %q, %v; want %s (%s), note %v", tc.in, d, note, err, tc.ascii, tc.unicode, tc.note)
		}
	}
	d, _, _ := ParseDomain("bücher.example")
	if d.Display() != "xn--bcher-kva.example (bücher.example)" || d.String() != "xn--bcher-kva.example" {
		t.Errorf("Display = %q", d.Display())
	}
}
