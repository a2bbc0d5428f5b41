package mailreport

import (
	"errors"
	"fmt"
)

// Limits caps what one input may cost to read.
type Limits struct {
	// MaxInput is the most octets read from one file, one message of a
	// mailbox, or one attachment.
	MaxInput int64
	// MaxExpanded is the most octets one input may expand to once
	// decompressed (gzip, zip), in total over everything it holds.
	MaxExpanded int64
	// MaxMembers is the most files a zip archive may hold.
	MaxMembers int
	// MaxParts is the most MIME parts one message may hold.
	MaxParts int
	// MaxRecords is the most rows one report may hold: aggregate
	// <record> elements, TLS report policies and failure details.
	MaxRecords int
}

// DefaultLimits are 50 MiB of input, 50 MiB of expanded data, 32 zip
// members, 64 MIME parts and one million rows.
var DefaultLimits = Limits{MaxInput: 50 << 20, MaxExpanded: 50 << 20, MaxMembers: 32, MaxParts: 64, MaxRecords: 1_000_000}

// WithDefaults returns l with every zero or negative limit replaced by its
// DefaultLimits value.
func (l Limits) WithDefaults() Limits {
	if l.MaxInput <= 0 {
		l.MaxInput = DefaultLimits.MaxInput
	}
	if l.MaxExpanded <= 0 {
		l.MaxExpanded = DefaultLimits.MaxExpanded
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultLimits.MaxMembers
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultLimits.MaxParts
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultLimits.MaxRecords
	}
	return l
}

// ErrTooLarge is wrapped by every error about input over a limit.
var ErrTooLarge = errors.New("over the size limit")

// ErrNotReport is wrapped by errors about input that is readable but is
// not a report of any kind this package knows (a README beside the
// reports, an ordinary message in a mailbox).
var ErrNotReport = errors.New("not a report")

// Human formats an octet count as "50 MiB", "64 KiB" or "700 bytes".
func Human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Abbreviate shortens s to at most n octets (n >= 4), ending in "...", for
// quoting strangers' data in errors. It does not cut a UTF-8 sequence.
func Abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
