package cmdutil

import "github.com/penguinmails/emailauth/pkg/suggest"

// Nearest returns up to n of the candidates closest to s (suggest.Nearest),
// for the "did you mean" hints of flags, config keys and finding codes.
func Nearest(s string, candidates []string, n int) []string { return suggest.Nearest(s, candidates, n) }
