// Package message holds the commands that sign and verify messages: sign and
// verify. They parse flags, open files and render results; signing and
// verification themselves are pkg/dkim.
package message

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkim"
)

// splitList splits a flag value given as "a,b" or "a:b" (the h= form), with
// repeated flags already gathered by the flag package.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ':' }) {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseTime reads a point in time: Unix seconds or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither Unix seconds nor an RFC 3339 time (2026-12-01T00:00:00Z)", s)
	}
	return t, nil
}

// parseDuration reads a duration, allowing days ("7d") beside Go's units.
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err == nil && n > 0 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (7d, 48h, 90m)", s)
	}
	return d, nil
}

// messageError turns an error about a message into bad input naming it,
// with a hint for the usual mistakes.
func messageError(name string, err error) error {
	switch {
	case errors.Is(err, dkim.ErrNoFrom):
		return cmdutil.BadInputHint(name, err, "a message needs a From header field before it can be signed")
	case errors.Is(err, dkim.ErrNoSeparator):
		return cmdutil.BadInputHint(name, err, "the header fields must be followed by an empty line, then the body; is this a whole RFC 5322 message (as saved with 'Save as .eml')?")
	case errors.Is(err, os.ErrNotExist):
		return cmdutil.BadInput(name, errors.New("no such file"))
	}
	return cmdutil.BadInput(name, err)
}
