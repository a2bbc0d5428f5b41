package dkim

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// KeygenOptions are the keygen command's inputs.
type KeygenOptions struct {
	recordFlags
	Algorithm string
	Bits      int
	BitsSet   bool
	// Out is the private key file written; "-" is stdout.
	Out string
	// OutDir is the directory the key is written to, as
	// SELECTOR.DOMAIN.pem; the current directory when neither Out nor
	// OutDir is given.
	OutDir   string
	Force    bool
	Insecure bool
}

// NewCmdKeygen returns the "dkim keygen" command. runF, when not nil,
// replaces the run function (tests stop after flag parsing).
func NewCmdKeygen(f *cmdutil.Factory, runF func(*KeygenOptions) error) *cobra.Command {
	opts := &KeygenOptions{}
	cmd := &cobra.Command{
		Use:   "keygen DOMAIN -s SELECTOR",
		Short: "Generate a DKIM key pair and print the record to publish",
		Long: `Generate a DKIM signing key for DOMAIN and print the TXT record that
publishes it at SELECTOR._domainkey.DOMAIN.

The private key is written as PKCS#8 PEM, readable by its owner only (mode
0600 from creation), atomically, and never over an existing file unless
--force is given. It goes to the file named by --out, or to
SELECTOR.DOMAIN.pem in the directory named by --out-dir (created 0700 if
missing), or to SELECTOR.DOMAIN.pem in the current directory. It is written
to stdout only when asked with --out -, and then stdout holds nothing but
the key: the record goes to stderr.

RSA 2048 is the default; 3072 and 4096 are allowed, 1024 only with
--insecure (RFC 8301). --algorithm ed25519 makes an Ed25519 key (RFC 8463);
many receivers do not verify Ed25519 yet, so sign with an RSA key as well.

The record is printed with its name, its value, and a zone-file line (TTL
3600 unless --ttl says otherwise) in which the value is split into strings
of at most 255 octets (a 2048-bit key does not fit in one). -q prints the
zone-file line alone; -o json gives everything as JSON, never the key.`,
		Example: `  emailauth dkim keygen example.com -s s2026
  emailauth dkim keygen example.com -s ed1 --algorithm ed25519 --out-dir /etc/dkim
  emailauth dkim keygen example.com -s s1 --out s1.pem -q >> example.com.zone
  emailauth dkim keygen example.com -s s1 --out - > s1.pem
  emailauth dkim keygen example.com -s s1 --bits 4096 --testing -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.BitsSet = cmd.Flags().Changed("bits")
			if err := opts.validate(f, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return keygenRun(f, opts)
		},
	}
	opts.recordFlags.add(f, cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.Algorithm, "algorithm", "rsa", "key `algorithm`: rsa or ed25519")
	fl.IntVar(&opts.Bits, "bits", dkimkey.DefaultRSABits, "RSA key size: 2048, 3072 or 4096 (1024 with --insecure)")
	fl.StringVar(&opts.Out, "out", "", "write the private key to `FILE`; - writes it to stdout (the record then goes to stderr)")
	fl.StringVar(&opts.OutDir, "out-dir", "", "write the private key to `DIR`/SELECTOR.DOMAIN.pem (DIR created 0700 if missing)")
	fl.BoolVar(&opts.Force, "force", false, "replace an existing private key file")
	fl.BoolVar(&opts.Insecure, "insecure", false, "allow a 1024-bit RSA key")
	// Before docs/cli.md, --private-key named the key file written.
	cmdutil.DeprecatedAlias(f.IO, fl, "private-key", "out")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func (o *KeygenOptions) validate(f *cmdutil.Factory, args []string) error {
	if err := o.recordFlags.validate(f, args); err != nil {
		return err
	}
	// Before docs/cli.md, --out named a directory: a value that is an
	// existing directory, or ends in a slash, still means one.
	if o.Out != "" && o.Out != "-" && isDirArg(o.Out) {
		if o.OutDir != "" {
			return cmdutil.FlagErrorf("--out %s is a directory and --out-dir %s is given too: give the directory once, with --out-dir", o.Out, o.OutDir)
		}
		f.IO.Warnf("--out with a directory is deprecated: use --out-dir %s instead", o.Out)
		o.OutDir, o.Out = o.Out, ""
	}
	if o.Out != "" && o.OutDir != "" {
		return cmdutil.FlagErrorf("--out names the key file and --out-dir its directory: give one of them")
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

// isDirArg reports whether an --out value names a directory: it ends in a
// path separator, or an existing directory is there.
func isDirArg(path string) bool {
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// keyPath returns where the private key goes ("-": stdout).
func (o *KeygenOptions) keyPath() string {
	if o.Out != "" {
		return o.Out
	}
	dir := o.OutDir
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, o.Selector+"."+o.Domain.ASCII+".pem")
}

func keygenRun(f *cmdutil.Factory, o *KeygenOptions) error {
	path := o.keyPath()
	toStdout := path == "-"
	var key crypto.Signer
	if toStdout {
		k, pemData, err := newKey(f, o.Algorithm, o.Bits)
		if err != nil {
			return err
		}
		key = k
		// Asked for with --out -, as age writes a key to a terminal only
		// when told to; say where it ends up.
		if f.IO.StdoutTTY {
			f.IO.Warnf("the private key is written to the terminal, where it stays in the scrollback; redirect it (--out - > FILE) or use --out FILE")
		}
		if _, err := f.IO.Out.Write(pemData); err != nil {
			return &cmdutil.IncompleteError{Err: fmt.Errorf("dkim: writing the private key to stdout: %w", err)}
		}
	} else {
		if o.OutDir != "" {
			if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
				return cmdutil.BadInput("--out-dir", err)
			}
		}
		k, err := newKeyFile(f, path, o.Algorithm, o.Bits, o.Force, keygenExistsHint)
		if err != nil {
			return err
		}
		key = k
	}
	pub, err := buildPublication(&o.recordFlags, key.Public())
	if err != nil {
		return err
	}
	pub.PrivateKeyFile = path
	if err := writePublication(f, pub, toStdout); err != nil {
		return err
	}
	return f.Audit(audit.NewKeyGenerated(key.Public(), path, o.Domain.ASCII, o.Selector))
}

// newKey generates a key of the algorithm and size (0: the default) from
// the command's random source, and encodes it as PKCS#8 PEM.
func newKey(f *cmdutil.Factory, alg string, bits int) (crypto.Signer, []byte, error) {
	rnd := f.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	key, err := dkimkey.GenerateKey(rnd, alg, bits)
	if err != nil {
		return nil, nil, err
	}
	pemData, err := dkimkey.MarshalPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pemData, nil
}

// newKeyFile generates a key and writes it to path with keygen's safety:
// mode 0600 from creation, atomically, and never over an existing file
// unless force (dkimkey.WritePrivateKeyFile). An existing file is refused
// before any time is spent on the key; existsHint says what to do then.
// Every command that writes a new private key goes through here.
func newKeyFile(f *cmdutil.Factory, path, alg string, bits int, force bool, existsHint string) (crypto.Signer, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.IsDir() {
			return nil, cmdutil.BadInputHint(path, errors.New("is a directory"), "give a file name for the key")
		}
		if !force {
			return nil, existsError(path, existsHint)
		}
	}
	if dir := filepath.Dir(path); dir != "." {
		if fi, err := os.Stat(dir); err != nil {
			return nil, cmdutil.BadInputHint(path, fmt.Errorf("the directory %s does not exist", dir), "create it first (mkdir -p "+dir+"; chmod 700 it: it holds private keys), or write the key elsewhere")
		} else if !fi.IsDir() {
			return nil, cmdutil.BadInputHint(path, fmt.Errorf("%s is not a directory", dir), "give a path inside a directory")
		}
	}
	key, pemData, err := newKey(f, alg, bits)
	if err != nil {
		return nil, err
	}
	if err := dkimkey.WritePrivateKeyFile(path, pemData, force); err != nil {
		var ee *dkimkey.ExistsError
		if errors.As(err, &ee) {
			return nil, existsError(path, existsHint)
		}
		return nil, cmdutil.BadInput(path, err)
	}
	return key, nil
}

const keygenExistsHint = "choose another --selector or --out file, or add --force to replace it (the old key is lost)"

func existsError(path, hint string) error {
	return cmdutil.BadInputHint(path, errors.New("a file already exists there; refusing to overwrite a private key"), hint)
}
