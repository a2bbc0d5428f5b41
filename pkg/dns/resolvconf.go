package dns

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// DefaultResolvConf is the file SystemServers reads when given no path.
const DefaultResolvConf = "/etc/resolv.conf"

// serverForms is appended to every ParseServer error: it says what is
// accepted.
const serverForms = "give an IP address (192.0.2.53, 2001:db8::53), an address with a port " +
	"(192.0.2.53:5353, [2001:db8::53]:53) or a host name with a dot (dns.example, dns.example:53)"

// ParseServer turns a resolver address as a user writes it into "host:port",
// the form ClientConfig.Servers holds. The port defaults to 53.
//
// Accepted forms:
//
//	192.0.2.53            IPv4 address
//	192.0.2.53:5353       IPv4 address and port
//	2001:db8::53          IPv6 address (a zone such as fe80::1%eth0 is kept)
//	[2001:db8::53]        IPv6 address in brackets
//	[2001:db8::53]:5353   IPv6 address and port
//	dns.example           host name
//	dns.example:5353      host name and port
//
// A host name must be made of letters, digits and hyphens (no label starting
// or ending with a hyphen, labels of at most 63 octets), must contain at
// least one dot, and its last label must not be all digits. The rule exists
// so that a typing mistake fails here rather than as a lookup timeout: a bare
// word such as "nonsense" or "google" is rejected (the one exception is
// "localhost"), and so are malformed addresses such as "192.0.2" or
// "192.0.2.300", which would otherwise read as host names. The port must be
// a decimal number from 1 to 65535.
func ParseServer(s string) (string, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return "", fmt.Errorf("dns: invalid resolver %q: the address is empty; %s", s, serverForms)
	}
	if strings.Contains(in, "://") {
		return "", fmt.Errorf("dns: invalid resolver %q: a URL is not an address (queries go over plain DNS, UDP and TCP); %s", s, serverForms)
	}
	// A bare address, IPv4 or IPv6 (an IPv6 address has colons, so this
	// must come before SplitHostPort).
	if ip, err := netip.ParseAddr(in); err == nil {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	host, port := in, "53"
	if strings.HasPrefix(in, "[") && strings.HasSuffix(in, "]") {
		host = in[1 : len(in)-1]
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("dns: invalid resolver %q: %q in brackets is not an IPv6 address; %s", s, host, serverForms)
		}
	} else if strings.Contains(in, ":") {
		h, p, err := net.SplitHostPort(in)
		if err != nil {
			return "", fmt.Errorf("dns: invalid resolver %q: not an address, an address with a port or a host name (write an IPv6 address with a port as [2001:db8::53]:53); %s", s, serverForms)
		}
		host, port = h, p
		if err := serverCheckPort(port); err != nil {
			return "", fmt.Errorf("dns: invalid resolver %q: %v; %s", s, err, serverForms)
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Is4() && strings.HasPrefix(in, "[") {
			return "", fmt.Errorf("dns: invalid resolver %q: brackets are for IPv6 addresses only; %s", s, serverForms)
		}
		return net.JoinHostPort(ip.String(), port), nil
	}
	if strings.HasPrefix(in, "[") {
		return "", fmt.Errorf("dns: invalid resolver %q: %q in brackets is not an IPv6 address; %s", s, host, serverForms)
	}
	if err := serverCheckHost(host); err != nil {
		return "", fmt.Errorf("dns: invalid resolver %q: %v; %s", s, err, serverForms)
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.ToLower(host), "."), port), nil
}

func serverCheckPort(p string) error {
	if p == "" {
		return errors.New("the port is empty")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return fmt.Errorf("the port %q is not a number", p)
		}
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("the port %s is out of range (1 to 65535)", p)
	}
	return nil
}

func serverCheckHost(h string) error {
	name := strings.TrimSuffix(h, ".")
	if strings.EqualFold(name, "localhost") {
		return nil
	}
	if name == "" {
		return errors.New("the host name is empty")
	}
	if len(name) > 253 {
		return fmt.Errorf("the host name is %d octets long; at most 253 are allowed", len(name))
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" {
			return errors.New("the host name has an empty label (two dots in a row, or a leading dot)")
		}
		if len(l) > 63 {
			return fmt.Errorf("the label %q is longer than 63 octets", abbreviate(l))
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("the label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q is neither an IP address nor a host name (a host name has only letters, digits, hyphens and dots)", h)
			}
		}
	}
	if len(labels) < 2 {
		return fmt.Errorf("%q is neither an IP address nor a host name with a dot", h)
	}
	last := labels[len(labels)-1]
	allDigits := true
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			allDigits = false
			break
		}
	}
	if allDigits {
		return fmt.Errorf("%q is not a valid IP address", h)
	}
	return nil
}

// SystemServers returns the name servers listed in a resolv.conf file
// ("nameserver" lines), as "host:port" with port 53, in file order. path ""
// means DefaultResolvConf. Comments (# or ;) and other options are ignored,
// and so are nameserver lines whose value is not an IP address (as the C
// library does); if no usable nameserver remains, the error names the file
// and the lines skipped.
func SystemServers(path string) ([]string, error) {
	if path == "" {
		path = DefaultResolvConf
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dns: reading the system resolver configuration: %w", err)
	}
	defer f.Close()
	var servers, skipped []string
	sc := bufio.NewScanner(f)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "nameserver" {
			continue
		}
		if len(fields) < 2 {
			skipped = append(skipped, fmt.Sprintf("line %d: nameserver without an address", lineNo))
			continue
		}
		ip, err := netip.ParseAddr(fields[1])
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("line %d: %q is not an IP address", lineNo, fields[1]))
			continue
		}
		servers = append(servers, net.JoinHostPort(ip.String(), "53"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dns: reading %s: %w", path, err)
	}
	if len(servers) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("dns: %s has no usable nameserver line (skipped %s); name a resolver explicitly", path, strings.Join(skipped, "; "))
		}
		return nil, fmt.Errorf("dns: %s has no nameserver line; name a resolver explicitly", path)
	}
	return servers, nil
}
