package cmdutil

import (
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// ParseNameservers reads the values of --nameserver (check --authoritative,
// wait): a server to ask instead of the domain's NS set ("ADDR[:PORT]"), or
// the address of a named server ("NAME=ADDR[:PORT]").
func ParseNameservers(values []string) (servers []string, addrs map[string][]string, err error) {
	for _, v := range values {
		name, addr, named := strings.Cut(v, "=")
		if !named {
			addr = v
		}
		a, err := dns.ParseServer(addr)
		if err != nil {
			return nil, nil, FlagErrorf("invalid --nameserver %q: %v", v, strings.TrimPrefix(err.Error(), "dns: "))
		}
		if !named {
			servers = append(servers, a)
			continue
		}
		n, err := dns.NormalizeName(name)
		if err != nil {
			return nil, nil, FlagErrorf("invalid --nameserver %q: %q is not a host name", v, name)
		}
		if addrs == nil {
			addrs = map[string][]string{}
		}
		addrs[n] = append(addrs[n], a)
	}
	return servers, addrs, nil
}
