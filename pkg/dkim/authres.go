package dkim

import (
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// AuthenticationResults returns the value of an Authentication-Results
// header field (RFC 8601) for the results, with authserv-id host: one
// "dkim=" result per signature (AuthResultsProperty), or "dkim=none" when
// there are none (see AuthResultsProperties).
func AuthenticationResults(host string, results []SignatureResult) string {
	return strings.Join(append([]string{host}, AuthResultsProperties(results)...), "; ")
}

// AuthResultsProperties returns the "dkim=" resinfos of an
// Authentication-Results header field for the results: one per verified
// signature, then one "dkim=neutral" standing for all the signatures left
// unverified beyond the cap (so the header stays bounded however many
// signatures a message carries), or "dkim=none" when there are none.
func AuthResultsProperties(results []SignatureResult) []string {
	if len(results) == 0 {
		return []string{"dkim=none"}
	}
	var out []string
	skipped := 0
	for _, r := range results {
		if r.Code == CodeTooManySignatures {
			skipped++
			continue
		}
		out = append(out, r.AuthResultsProperty())
	}
	if skipped > 0 {
		out = append(out, fmt.Sprintf("dkim=neutral reason=%s (%d more signatures not verified)", CodeTooManySignatures, skipped))
	}
	return out
}

// AuthResultsProperty formats the result as one "dkim=" resinfo of an
// Authentication-Results header field, with header.d, header.i, header.s,
// header.a and header.b (RFC 6008), and the reason code when it does not
// pass. Values are quoted as RFC 8601 requires.
func (r SignatureResult) AuthResultsProperty() string {
	params := map[string]string{
		"header.d": r.Domain,
		"header.i": r.Identity,
		"header.s": r.Selector,
		"header.a": r.Algorithm,
		"header.b": r.SignaturePrefix,
	}
	if r.Result != Pass {
		params["reason"] = r.Code
	}
	const id = "x"
	s := authres.Format(id, []authres.Result{&authres.GenericResult{Method: "dkim", Value: authres.ResultValue(r.Result), Params: params}})
	return strings.TrimSpace(strings.TrimPrefix(s, id+"; "))
}
