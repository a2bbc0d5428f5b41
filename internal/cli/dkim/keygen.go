package dkim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// KeygenOptions are the keygen command's inputs.
type KeygenOptions struct {
	recordFlags
	Algorithm  string
	Bits       int
	BitsSet    bool
	Out        string
	PrivateKey string
	Force      bool
	Insecure   bool
}

// NewCmdKeygen returns the "dkim keygen" command. runF, when not nil,
// replaces the run function (tests stop after flag parsing).
func NewCmdKeygen(f *cmdutil.Factory, runF func(*KeygenOptions) error) *cobra.Command {
	opts := &KeygenOptions{}
	cmd := &cobra.Command{
		Use:   "keygen --domain DOMAIN --selector SELECTOR",
		Short: "Generate a DKIM key pair and print the record to publish",
		Long: `Generate a DKIM signing key and print the TXT record that publishes it.

The private key is written as PKCS#8 PEM, readable by its owner only (mode
0600 from creation), atomically, and never over an existing file unless
--force is given. By default it goes to SELECTOR.DOMAIN.pem in the directory
given by --out (the current directory when neither --out nor --private-key
is given); --private-key FILE names the file. It is printed only when asked
with --private-key -, and then stdout holds nothing but the key: the record
goes to stderr.

RSA 2048 is the default; 3072 and 4096 are allowed, 1024 only with
--insecure (RFC 8301). --algorithm ed25519 makes an Ed25519 key (RFC 8463);
many receivers do not verify Ed25519 yet, so sign with an RSA key as well.

The record is printed with its name (SELECTOR._domainkey.DOMAIN), its value,
and a zone-file line in which the value is split into strings of at most 255
octets (a 2048-bit key does not fit in one). -o json gives the same as JSON.`,
		Example: `  emailauth dkim keygen --domain example.com --selector s2026
  emailauth dkim keygen --domain example.com --selector ed1 --algorithm ed25519 --out /etc/dkim
  emailauth dkim keygen --domain example.com --selector s1 --private-key - > s1.pem
  emailauth dkim keygen --domain example.com --selector s1 --bits 4096 --testing -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.BitsSet = cmd.Flags().Changed("bits")
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return keygenRun(f, opts)
		},
	}
	opts.recordFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Algorithm, "algorithm", "rsa", "key `algorithm`: rsa or ed25519")
	fl.IntVar(&opts.Bits, "bits", dkimkey.DefaultRSABits, "RSA key size: 2048, 3072 or 4096 (1024 with --insecure)")
	fl.StringVar(&opts.Out, "out", "", "`directory` for the private key file, SELECTOR.DOMAIN.pem (created 0700 if missing)")
	fl.StringVar(&opts.PrivateKey, "private-key", "", "private key `file` to write; - writes the key to stdout")
	fl.BoolVar(&opts.Force, "force", false, "replace an existing private key file")
	fl.BoolVar(&opts.Insecure, "insecure", false, "allow a 1024-bit RSA key")
	cmd.MarkFlagsMutuallyExclusive("out", "private-key")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func (o *KeygenOptions) validate() error {
	if err := o.recordFlags.validate(); err != nil {
		return err
	}
	o.Algorithm = strings.ToLower(o.Algorithm)
	switch o.Algorithm {
	case dkimkey.AlgRSA:
	case dkimkey.AlgEd25519:
		if o.BitsSet {
			return cmdutil.FlagErrorf("--bits applies to RSA keys only; an Ed25519 key has a fixed size")
		}
		o.Bits = 0
	default:
		return cmdutil.FlagErrorf("invalid --algorithm %q: want rsa or ed25519", o.Algorithm)
	}
	if err := dkimkey.CheckKeySize(o.Algorithm, o.Bits, o.Insecure); err != nil {
		hint := "use --bits 2048, 3072 or 4096"
		if o.Bits == 1024 {
			hint = "use --bits 2048 (the default); if a receiver or DNS host truly needs 1024, add --insecure"
		}
		return cmdutil.BadInputHint("--bits", err, hint)
	}
	return nil
}

// keyPath returns where the private key goes.
func (o *KeygenOptions) keyPath() string {
	if o.PrivateKey != "" {
		return o.PrivateKey
	}
	dir := o.Out
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, o.Selector+"."+o.Domain+".pem")
}

func keygenRun(f *cmdutil.Factory, o *KeygenOptions) error {
	path := o.keyPath()
	toStdout := path == "-"
	if !toStdout {
		if o.Out != "" {
			if err := os.MkdirAll(o.Out, 0o700); err != nil {
				return cmdutil.BadInput("--out", err)
			}
		}
		// Refuse early, before spending time on the key.
		if fi, err := os.Lstat(path); err == nil {
			if fi.IsDir() {
				return cmdutil.BadInputHint(path, errors.New("is a directory"), "give --private-key a file name, or use --out DIR")
			}
			if !o.Force {
				return existsError(path)
			}
		}
	}
	rnd := f.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	key, err := dkimkey.GenerateKey(rnd, o.Algorithm, o.Bits)
	if err != nil {
		return err
	}
	pemData, err := dkimkey.MarshalPrivateKey(key)
	if err != nil {
		return err
	}
	pub, err := buildPublication(&o.recordFlags, key.Public())
	if err != nil {
		return err
	}
	pub.PrivateKeyFile = path
	out := f.IO.Out
	if toStdout {
		if _, err := f.IO.Out.Write(pemData); err != nil {
			return fmt.Errorf("dkim: writing the private key to stdout: %w", err)
		}
		out = f.IO.ErrOut // stdout holds the key alone
	} else {
		if err := dkimkey.WritePrivateKeyFile(path, pemData, o.Force); err != nil {
			var ee *dkimkey.ExistsError
			if errors.As(err, &ee) {
				return existsError(path)
			}
			return cmdutil.BadInput(path, err)
		}
	}
	return writePublication(out, f.Global.Output, pub)
}

func existsError(path string) error {
	return cmdutil.BadInputHint(path, errors.New("a file already exists there; refusing to overwrite a private key"),
		"choose another --selector or --private-key file, or add --force to replace it (the old key is lost)")
}
