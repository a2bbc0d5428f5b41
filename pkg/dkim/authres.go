package dkim

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// AuthenticationResults returns the value of an Authentication-Results
// header field (RFC 8601) for the results, with authserv-id host: one
// "dkim=" result per signature with header.d, header.i, header.s, header.a
// and header.b (RFC 6008), or "dkim=none" when there are none.
func AuthenticationResults(host string, results []SignatureResult) string {
	if len(results) == 0 {
		return strings.TrimRight(authres.Format(host, []authres.Result{&authres.GenericResult{Method: "dkim", Value: authres.ResultNone, Params: map[string]string{}}}), " ")
	}
	out := make([]authres.Result, 0, len(results))
	for _, r := range results {
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
		out = append(out, &authres.GenericResult{Method: "dkim", Value: authres.ResultValue(r.Result), Params: params})
	}
	return strings.TrimRight(authres.Format(host, out), " ")
}
