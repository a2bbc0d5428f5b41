package dkim

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// AuthenticationResults returns the value of an Authentication-Results
// header field (RFC 8601) for the results, with authserv-id host: one
// "dkim=" result per signature (AuthResultsProperty), or "dkim=none" when
// there are none.
func AuthenticationResults(host string, results []SignatureResult) string {
	parts := []string{host}
	if len(results) == 0 {
		parts = append(parts, "dkim=none")
	}
	for _, r := range results {
		parts = append(parts, r.AuthResultsProperty())
	}
	return strings.Join(parts, "; ")
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
