package message

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dkim"
)

// NewCmdARC returns the arc command group: seal and verify.
func NewCmdARC(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "arc <command>",
		Short: "Seal messages with ARC and validate their chains (RFC 8617)",
		Long: `ARC (Authenticated Received Chain, RFC 8617) lets a forwarder or a mailing list
that changes a message record what authenticated when the message reached
it, so that a later receiver can trust that record although the change
broke the original DKIM signature. Each hop adds a set of three header
fields (ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal).

'arc seal' adds the next set; 'arc verify' validates the chain, set by set.
'emailauth verify' shows the chain result of each message beside DKIM, and
what DMARC would conclude for a receiver that trusts a sealer
(--trusted-sealer). See docs/arc.md.`,
	}
	cmd.AddCommand(newCmdARCSeal(f, nil), newCmdARCVerify(f, nil))
	return cmd
}

// ARCSealOptions are the arc seal command's inputs.
type ARCSealOptions struct {
	KeyFile  string
	Domain   string // d= of the seal, A-labels
	Selector string
	// AuthServID is the authserv-id of the ARC-Authentication-Results;
	// AuthResults the resinfos it records (empty: gathered from the
	// message's Authentication-Results fields of that authserv-id).
	AuthServID  string
	AuthResults string
	// Received is the message as this hop received it, before changing
	// it: cv= is computed from its chain. Empty: from the message's.
	Received         string
	Canonicalization string
	Headers          []string // nil: arc.DefaultHeaders
	Timestamp        time.Time
	Message          string // "" or "-": stdin
	// Out is the file the sealed message is written to; "" or "-" is
	// stdout.
	Out string
}

func newCmdARCSeal(f *cmdutil.Factory, runF func(*ARCSealOptions) error) *cobra.Command {
	opts := &ARCSealOptions{}
	var headers []string
	var timestamp string
	cmd := &cobra.Command{
		Use:   "seal -k FILE -d DOMAIN -s SELECTOR --authserv-id ID [MESSAGE]",
		Short: "Add the next ARC set to a message (RSA-SHA256 or Ed25519-SHA256)",
		Long: `Add the next ARC set to a message, as a forwarder or a mailing list does
before passing it on, and write the sealed message to stdout or to the file
named by --out.

The message is read from MESSAGE, or from stdin when it is absent or "-".
--domain is the sealing domain, the d= of the ARC-Seal and
ARC-Message-Signature: the domain whose DNS publishes the key at
SELECTOR._domainkey.DOMAIN, as a DKIM key record (the one 'emailauth dkim
keygen' and 'dkim record' write). The algorithm follows the key: rsa-sha256
for an RSA key (2048 bits recommended; under 1024 refused), ed25519-sha256
for an Ed25519 key (RFC 8463; not every receiver verifies it yet).

The chain the message carries is validated first (keys fetched through the
resolver, so --zone and --offline work), and the new seal's cv= says what was
found: none (no chain), pass, or fail. A mailing list that changes the
message (a footer, a subject tag) must compute cv= from the message as it
received it, before the change: give that copy with --received FILE.

--authserv-id names the sealing host's ADMD in the ARC-Authentication-Results
(mx.example.org). That field records --auth-results ("spf=pass
smtp.mailfrom=...; dkim=pass header.d=..."), or, without it, the results of
the message's Authentication-Results fields written under the same
authserv-id; "arc=<cv>" is put first unless an arc= result is given.

The ARC-Message-Signature signs DKIM's default header fields and the
DKIM-Signature fields (--headers replaces the list), c=relaxed/relaxed
unless --canonicalization says otherwise. The three fields go on top of the
message, with its own line ends; --out FILE writes it atomically (nothing is
left behind on failure).

Exit 0 when sealed (cv=none or cv=pass). Exit 1 when the chain it received
fails: the message is sealed with cv=fail (written, with the reason on
stderr), or, when the newest seal already says cv=fail or 50 sets are
present, not sealed at all (RFC 8617 §5.1: nothing written). Exit 2 for bad
input (a key that is not a key, a message with no header/body separator).
Exit 3 when a key of the chain could not be fetched (cv= unknown; retry).`,
		Example: `  emailauth arc seal -k arc.pem -d lists.example.org -s arc2026 --authserv-id mx.lists.example.org msg.eml > sealed.eml
  emailauth arc seal -k arc.pem -d lists.example.org -s arc2026 --authserv-id mx.lists.example.org \
      --auth-results "spf=pass smtp.mailfrom=bounce@example.com; dkim=pass header.d=example.com" --out sealed.eml msg.eml
  emailauth arc seal -k arc.pem -d lists.example.org -s arc2026 --authserv-id mx.lists.example.org --received as-received.eml with-footer.eml
  cat msg.eml | emailauth arc seal -k ed.pem -d fwd.example.net -s ed1 --authserv-id mx.fwd.example.net -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Message = args[0]
			}
			if opts.KeyFile == "" {
				return cmdutil.FlagErrorf("--private-key is required (the sealer's key)")
			}
			if opts.Domain == "" {
				return cmdutil.FlagErrorf("--domain is required (the d= domain whose DNS publishes the sealer's key)")
			}
			d, err := f.Domain("--domain", opts.Domain)
			if err != nil {
				return err
			}
			opts.Domain = d.ASCII
			if opts.Selector == "" {
				return cmdutil.FlagErrorf("--selector is required (the key is published at SELECTOR._domainkey.%s)", opts.Domain)
			}
			if opts.AuthServID == "" {
				return cmdutil.FlagErrorf("--authserv-id is required: the sealing host's name for the ARC-Authentication-Results (mx.%s)", opts.Domain)
			}
			fromStdin := opts.Message == "" || opts.Message == "-"
			if opts.KeyFile == "-" && (fromStdin || opts.Received == "-") {
				return cmdutil.FlagErrorf("--private-key - reads the key from stdin, so the message cannot come from there too: give the MESSAGE file")
			}
			if opts.Received == "-" && fromStdin {
				return cmdutil.FlagErrorf("--received - and the message cannot both come from stdin: give one of them as a file")
			}
			if cmd.Flags().Changed("headers") {
				opts.Headers = splitList(headers)
				if len(opts.Headers) == 0 {
					return cmdutil.FlagErrorf("--headers is empty; it must list at least From")
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
			return runARCSeal(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.KeyFile, "private-key", "k", "", "the sealer's private key `FILE` (PEM or base64 Ed25519 seed; - for stdin)")
	fl.StringVarP(&opts.Domain, "domain", "d", "", "sealing `domain` d= (the key is published at SELECTOR._domainkey.DOMAIN)")
	fl.StringVarP(&opts.Selector, "selector", "s", "", "selector s= of the sealer's key")
	fl.StringVar(&opts.AuthServID, "authserv-id", "", "authserv-id of the ARC-Authentication-Results: the sealing host (`ID`)")
	fl.StringVar(&opts.AuthResults, "auth-results", "", "the results to record (`VALUE`: \"spf=pass smtp.mailfrom=...; dkim=pass header.d=...\")")
	fl.StringVar(&opts.Received, "received", "", "the message as this hop received it (`FILE`), before changing it: cv= comes from its chain")
	fl.StringVarP(&opts.Canonicalization, "canonicalization", "c", "relaxed/relaxed", "header/body canonicalization of the ARC-Message-Signature: simple or relaxed")
	fl.StringSliceVar(&headers, "headers", nil, "header fields the ARC-Message-Signature signs (comma or colon separated)")
	fl.StringVar(&timestamp, "timestamp", "", "sealing time t= (Unix seconds or RFC 3339), for reproducible output; now by default")
	fl.StringVarP(&opts.Out, "out", "O", "", "write the sealed message to `FILE` (atomically); - for stdout, the default")
	return cmd
}

func runARCSeal(f *cmdutil.Factory, opts *ARCSealOptions) error {
	key, err := f.ReadPrivateKey("--private-key", opts.KeyFile)
	if err != nil {
		return err
	}
	res, err := f.Resolver()
	if err != nil {
		return err
	}
	v := arc.NewValidator(res, arc.ValidateOptions{Now: f.Now})
	sealer, err := arc.NewSealer(v, arc.SealOptions{
		Domain: opts.Domain, Selector: opts.Selector, Signer: key,
		AuthServID: opts.AuthServID, AuthResults: opts.AuthResults,
		Headers: opts.Headers, Canonicalization: opts.Canonicalization,
		Time: opts.Timestamp, Now: f.Now, Rand: f.Rand,
	})
	if err != nil {
		return cmdutil.BadInput("", err)
	}

	var received *arc.Result
	if opts.Received != "" {
		name, in, closeIn, err := openMessage(f, opts.Received)
		if err != nil {
			return err
		}
		received, err = v.Validate(f.Ctx(), in)
		closeIn()
		if err != nil {
			return messageError("--received "+name, err)
		}
		if received.Result == arc.Temperror {
			return &cmdutil.IncompleteError{Err: fmt.Errorf("--received %s: %s: %w", name, received.Reason, arc.ErrTemporary)}
		}
	}

	name, in, closeIn, err := openMessage(f, opts.Message)
	if err != nil {
		return err
	}
	defer closeIn()

	out, err := openMessageOut(f, opts.Out)
	if err != nil {
		return err
	}
	defer out.discard()
	tap := audit.NewSignTap(out) // the digests of the audit record
	sealed, err := sealer.Seal(f.Ctx(), tap, in, received)
	if err != nil {
		var se *arc.SealError
		var pe *fs.PathError
		switch {
		case errors.Is(err, arc.ErrTemporary):
			return &cmdutil.IncompleteError{Err: fmt.Errorf("%s: %w", name, err)}
		case errors.Is(err, arc.ErrChainFailed), errors.Is(err, arc.ErrInstanceLimit):
			// A chain that cannot take another set: a result (the chain
			// failed), not bad input.
			f.IO.Errorf("emailauth: %s: %s", name, err)
			f.IO.Errorf("hint: nothing was written; forward the message unsealed (RFC 8617 §5.1)")
			return cmdutil.ErrFailed
		case errors.As(err, &se):
			// The chain changed between --received and the message.
			return cmdutil.BadInputHint(name, err, "--received must be the same message before this hop's change, with the same ARC sets")
		case errors.As(err, &pe):
			return &cmdutil.IncompleteError{Err: fmt.Errorf("%s: %w", name, err)}
		}
		return messageError(name, err)
	}
	if err := out.commit(); err != nil {
		return err
	}
	where := out.where()
	// The seal is written whatever cv= says: it is audited either way.
	ev := tap.Event(opts.Message, opts.Out, []string{opts.KeyFile}, []dkim.SignOptions{{Domain: opts.Domain, Selector: opts.Selector, Signer: key}})
	ev.Signatures[0].ARCInstance = sealed.Instance
	auditErr := f.Audit(ev)
	if sealed.ChainValidation == arc.Fail {
		// Sealed, as RFC 8617 §5.1.2 asks, but the chain it received is
		// broken: the result is a failure.
		f.IO.Errorf("emailauth: %s: the ARC chain it arrived with fails (%s): sealed as i=%d with cv=fail, written to %s", name, sealed.Chain.Reason, sealed.Instance, where)
		return f.WithAudit(cmdutil.ErrFailed, auditErr)
	}
	if auditErr != nil {
		return auditErr
	}
	f.IO.Notef("%s: sealed as i=%d with cv=%s by %s, written to %s", name, sealed.Instance, sealed.ChainValidation, opts.Domain, where)
	return nil
}

// openMessage opens a message named on the command line ("" or "-":
// stdin) and returns the name to report it by.
func openMessage(f *cmdutil.Factory, path string) (string, io.Reader, func(), error) {
	if path == "" || path == "-" {
		return "stdin", f.IO.In, func() {}, nil
	}
	file, err := os.Open(path)
	if err != nil {
		return path, nil, nil, messageError(path, err)
	}
	if st, err := file.Stat(); err == nil && st.IsDir() {
		file.Close()
		return path, nil, nil, cmdutil.BadInput(path, errors.New("is a directory; give one message"))
	}
	return path, file, func() { file.Close() }, nil
}
