package reports

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// maxTenantsFile bounds the tenants file read.
const maxTenantsFile = 16 << 20

const tenantsHint = `give one "domain tenant" pair per line (# starts a comment), or a tenants file with a "tenants:" mapping of tenant ids to their domains`

// loadTenants reads --tenants: a map from domain (A-labels, lower case) to
// tenant. Two forms are read:
//
//   - lines of "domain tenant" (# starts a comment);
//   - the tenants file of check --tenants (docs/profiles.md), a YAML
//     mapping "tenants:" of tenant ids, each with "domains:" (a list, or a
//     mapping of domains to their overrides, which reports do not use).
//
// A domain given to two tenants is an error; a domain not listed takes the
// tenant of its closest listed parent (ingest.TenantFunc).
func loadTenants(name string) (map[string]string, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, cmdutil.BadInput("--tenants", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxTenantsFile+1))
	if err != nil {
		return nil, cmdutil.BadInput("--tenants", fmt.Errorf("%s: %w", name, err))
	}
	if len(data) > maxTenantsFile {
		return nil, cmdutil.BadInput("--tenants", fmt.Errorf("%s is larger than 16 MiB", name))
	}
	var m map[string]string
	if isYAMLTenants(data) {
		m, err = parseYAMLTenants(name, data)
	} else {
		m, err = parseTenantLines(name, data)
	}
	if err != nil {
		return nil, cmdutil.BadInputHint("--tenants", err, tenantsHint)
	}
	if len(m) == 0 {
		return nil, cmdutil.BadInputHint("--tenants", fmt.Errorf("%s maps no domain to a tenant", name), tenantsHint)
	}
	return m, nil
}

// isYAMLTenants reports whether the first line that is not blank or a
// comment is the "tenants:" key.
func isYAMLTenants(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxTenantsFile)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") || l == "---" {
			continue
		}
		return strings.HasPrefix(l, "tenants:")
	}
	return false
}

type tenantMap struct {
	m      map[string]string
	origin map[string]string // where each domain was given
}

func (t *tenantMap) add(where, domain, tenant string) error {
	d, err := dns.NormalizeName(domain)
	if err != nil {
		var ne *dns.NameError
		if errors.As(err, &ne) {
			return fmt.Errorf("%s: %q is not a domain name: %s", where, domain, ne.Reason)
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	if tenant == "" || strings.ContainsFunc(tenant, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%s: %q is not a tenant id: an id has no spaces or control characters", where, tenant)
	}
	if prev, ok := t.m[d]; ok && prev != tenant {
		return fmt.Errorf("%s: the domain %s is given to tenant %q and, at %s, to tenant %q: a domain belongs to one tenant", where, d, tenant, t.origin[d], prev)
	}
	t.m[d] = tenant
	t.origin[d] = where
	return nil
}

func parseTenantLines(name string, data []byte) (map[string]string, error) {
	t := &tenantMap{m: map[string]string{}, origin: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		where := fmt.Sprintf("%s:%d", name, n)
		switch len(fields) {
		case 0:
			continue
		case 2:
			if err := t.add(where, fields[0], fields[1]); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: want \"domain tenant\", got %d fields", where, len(fields))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	return t.m, nil
}

// parseYAMLTenants reads the tenant ids and their domains from a tenants
// file; the rest (names, overrides, waivers) is check's.
func parseYAMLTenants(name string, data []byte) (map[string]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &tenantMap{m: map[string]string{}, origin: map[string]string{}}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d", name, n.Line) }
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a mapping with a \"tenants:\" key", at(doc))
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "tenants" {
			continue
		}
		list := doc.Content[i+1]
		if list.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: tenants: want a mapping of tenant ids to their domains", at(list))
		}
		for j := 0; j+1 < len(list.Content); j += 2 {
			id, body := list.Content[j], list.Content[j+1]
			if body.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("%s: tenants.%s: want a mapping with \"domains:\"", at(body), id.Value)
			}
			for k := 0; k+1 < len(body.Content); k += 2 {
				if body.Content[k].Value != "domains" {
					continue
				}
				doms := body.Content[k+1]
				switch doms.Kind {
				case yaml.SequenceNode:
					for _, c := range doms.Content {
						if c.Kind != yaml.ScalarNode {
							return nil, fmt.Errorf("%s: tenants.%s.domains: want a domain name", at(c), id.Value)
						}
						if err := t.add(at(c), c.Value, strings.TrimSpace(id.Value)); err != nil {
							return nil, err
						}
					}
				case yaml.MappingNode:
					for l := 0; l < len(doms.Content); l += 2 {
						c := doms.Content[l]
						if err := t.add(at(c), c.Value, strings.TrimSpace(id.Value)); err != nil {
							return nil, err
						}
					}
				default:
					return nil, fmt.Errorf("%s: tenants.%s.domains: want a list of domains", at(doms), id.Value)
				}
			}
		}
	}
	return t.m, nil
}
