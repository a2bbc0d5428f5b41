package message

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dkim"
)

// SignOptions are the sign command's inputs.
type SignOptions struct {
	KeyFiles         []string
	Domain           string
	Selectors        []string
	Canonicalization string
	Headers          []string // nil: the default list
	Oversign         []string // nil: the default
	Expiration       time.Duration
	ExpireAt         time.Time
	Identity         string
	Timestamp        time.Time
	Message          string // "" or "-": stdin
	// Out is the file the signed message is written to; "" or "-" is
	// stdout.
	Out string
}

// NewCmdSign returns the sign command.
func NewCmdSign(f *cmdutil.Factory) *cobra.Command { return newCmdSign(f, nil) }

func newCmdSign(f *cmdutil.Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{}
	var headers, oversign []string
	var expiration, timestamp string
	cmd := &cobra.Command{
		Use:   "sign -k FILE -d DOMAIN -s SELECTOR [MESSAGE]",
		Short: "Sign a message with DKIM (RSA-SHA256 or Ed25519-SHA256)",
		Long: `Sign a message with DKIM and write it, signed, to stdout or to the file
named by --out.

The message is read from MESSAGE, or from stdin when it is absent or "-".
--domain is the signing domain, the d= tag: the domain whose DNS publishes
the key at SELECTOR._domainkey.DOMAIN. The algorithm follows the key:
rsa-sha256 for an RSA key, ed25519-sha256 (RFC 8463) for an Ed25519 key. Give
--private-key and --selector twice to dual-sign (an RSA and an Ed25519
signature, each with its own selector); the signatures are added in the
order given.

Keys are PEM (PKCS#8 or PKCS#1) or an Ed25519 seed in base64, as written by
'emailauth dkim keygen'; --private-key - reads one from stdin (the message
then comes from a file). An RSA key over 4096 bits signs, with a warning:
RFC 8301 asks verifiers to handle keys up to 4096 bits only. Canonicalization is relaxed/relaxed unless
--canonicalization says otherwise.

The default header list signs From, Reply-To, Subject, Date, To, Cc,
Message-ID, In-Reply-To, References, Sender, the MIME headers and the List-*
headers when present, and oversigns From, Reply-To, Subject, Date, To, Cc,
Message-ID, MIME-Version, Content-Type and Content-Transfer-Encoding: each is
listed once more than it occurs (absent ones once), so
a copy added in transit breaks the signature. --headers replaces the list;
--oversign replaces the oversigned set ("--oversign ''" for none).

The message is written unchanged below the new DKIM-Signature fields, which
use the message's own line ends; --out FILE writes it atomically (a temporary
file renamed into place, nothing left behind on failure). Bare-LF messages are signed as their CRLF
form, as an MTA will send them. Large messages stream: a file is read twice,
stdin is spooled to a temporary file.

Exit 0 when signed, 2 for bad input (a key that is not a key, a message with
no From or no header/body separator).`,
		Example: `  emailauth sign -k selector1.pem -d example.com -s selector1 msg.eml > signed.eml
  emailauth sign -k rsa.pem -s rsa1 -k ed.pem -s ed1 -d example.com --out signed.eml msg.eml
  cat msg.eml | emailauth sign -k k.pem -d example.com -s s1 --expiration 7d --out signed.eml
  emailauth sign -k - -d example.com -s s1 msg.eml < k.pem
  emailauth sign -k k.pem -d example.com -s s1 --headers from,to,subject,date --oversign from msg.eml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Message = args[0]
			}
			if len(opts.KeyFiles) == 0 {
				return cmdutil.FlagErrorf("--private-key is required")
			}
			if opts.Domain == "" {
				return cmdutil.FlagErrorf("--domain is required (the d= domain whose DNS publishes the key)")
			}
			if len(opts.Selectors) == 0 {
				return cmdutil.FlagErrorf("--selector is required (the key is published at SELECTOR._domainkey.%s)", opts.Domain)
			}
			stdinKeys := 0
			for _, k := range opts.KeyFiles {
				if k == "-" {
					stdinKeys++
				}
			}
			if stdinKeys > 1 {
				return cmdutil.FlagErrorf("--private-key - is given %d times: stdin holds one key", stdinKeys)
			}
			if stdinKeys == 1 && (opts.Message == "" || opts.Message == "-") {
				return cmdutil.FlagErrorf("--private-key - reads the key from stdin, so the message cannot come from there too: give the MESSAGE file")
			}
			if len(opts.Selectors) != len(opts.KeyFiles) {
				return cmdutil.FlagErrorf("give one --selector per --private-key (keys: %d, selectors: %d): each key is published under its own selector", len(opts.KeyFiles), len(opts.Selectors))
			}
			if cmd.Flags().Changed("headers") {
				opts.Headers = splitList(headers)
				if len(opts.Headers) == 0 {
					return cmdutil.FlagErrorf("--headers is empty; it must list at least From")
				}
			}
			if cmd.Flags().Changed("oversign") {
				opts.Oversign = append([]string{}, splitList(oversign)...)
			}
			if expiration != "" {
				if d, err := parseDuration(expiration); err == nil {
					opts.Expiration = d
				} else if t, err := parseTime(expiration); err == nil {
					opts.ExpireAt = t
				} else {
					return cmdutil.BadInputHint("--expiration", fmt.Errorf("%q is neither a lifetime nor a time", expiration), "give a lifetime (7d, 48h) or a time (2026-12-01T00:00:00Z, or Unix seconds)")
				}
			}
			if timestamp != "" {
				t, err := parseTime(timestamp)
				if err != nil {
					return cmdutil.BadInput("--timestamp", err)
				}
				opts.Timestamp = t
			}
			if runF != nil {
				return runF(opts)
			}
			return runSign(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.KeyFiles, "private-key", "k", nil, "private key `FILE` (PEM or base64 Ed25519 seed; - for stdin); repeat to dual-sign")
	fl.StringVarP(&opts.Domain, "domain", "d", "", "signing `domain` d= (the key is published at SELECTOR._domainkey.DOMAIN)")
	fl.StringArrayVarP(&opts.Selectors, "selector", "s", nil, "selector s=, one per --private-key")
	fl.StringVarP(&opts.Canonicalization, "canonicalization", "c", "relaxed/relaxed", "header/body canonicalization: simple or relaxed")
	fl.StringSliceVar(&headers, "headers", nil, "header fields to sign (comma or colon separated); must include From")
	fl.StringSliceVar(&oversign, "oversign", nil, "header fields to list once more than they occur")
	fl.StringVar(&expiration, "expiration", "", "signature lifetime (7d, 48h) or expiry time (RFC 3339 or Unix seconds): x=")
	fl.StringVarP(&opts.Identity, "identity", "i", "", "agent or user identifier i= (@example.com, user@example.com)")
	fl.StringVar(&timestamp, "timestamp", "", "signing time t= (Unix seconds or RFC 3339), for reproducible output; now by default")
	fl.StringVarP(&opts.Out, "out", "O", "", "write the signed message to `FILE` (atomically); - for stdout, the default")
	return cmd
}

func runSign(f *cmdutil.Factory, opts *SignOptions) error {
	var signOpts []dkim.SignOptions
	for i, path := range opts.KeyFiles {
		key, err := f.ReadPrivateKey("--private-key", path)
		if err != nil {
			return err
		}
		if k, ok := key.(*rsa.PrivateKey); ok && k.N.BitLen() < 2048 && k.N.BitLen() >= 1024 {
			f.IO.Warnf("%s: the RSA key is %d bits; use 2048 (RFC 8301 allows 1024 but it is weak)", path, k.N.BitLen())
		}
		o := dkim.SignOptions{
			Domain: opts.Domain, Selector: opts.Selectors[i], Signer: key,
			Identity: opts.Identity, Canonicalization: opts.Canonicalization,
			Headers: opts.Headers, Oversign: opts.Oversign, Now: f.Now, Rand: f.Rand,
			Time: opts.Timestamp,
		}
		if o.Time.IsZero() {
			o.Time = f.Now()
		}
		if opts.Expiration > 0 {
			o.Expiration = o.Time.Add(opts.Expiration)
		} else if !opts.ExpireAt.IsZero() {
			o.Expiration = opts.ExpireAt
		}
		if err := o.Validate(); err != nil {
			return cmdutil.BadInput("", err)
		}
		for _, w := range o.Warnings() {
			f.IO.Warnf("%s: %s", path, w.Message)
		}
		signOpts = append(signOpts, o)
	}

	name := "stdin"
	var in io.Reader = f.IO.In
	if opts.Message != "" && opts.Message != "-" {
		name = opts.Message
		file, err := os.Open(opts.Message)
		if err != nil {
			return messageError(name, err)
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.IsDir() {
			return cmdutil.BadInput(name, errors.New("is a directory; sign takes one message"))
		}
		in = file
	}

	out, err := openMessageOut(f, opts.Out)
	if err != nil {
		return err
	}
	defer out.discard()
	tap := audit.NewSignTap(out) // the digests of the audit record
	if err := dkim.Sign(tap, in, signOpts...); err != nil {
		// A read or write that failed (an I/O error of a file, stdin or
		// stdout) is "could not complete"; anything else is the message's
		// fault.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &cmdutil.IncompleteError{Err: fmt.Errorf("%s: %w", name, err)}
		}
		return messageError(name, err)
	}
	if err := out.commit(); err != nil {
		return err
	}
	f.IO.Verbosef(1, "signed message written to %s", out.where())
	return f.Audit(tap.Event(opts.Message, opts.Out, opts.KeyFiles, signOpts))
}
