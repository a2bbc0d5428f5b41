package cmdutil

import (
	"crypto"
	"errors"
	"io/fs"
	"os"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// ReadPrivateKey reads the private key named by a flag (flag is how errors
// name it, "--private-key"): path "-" reads standard input. Every command
// reads keys through here, so that every read is bounded
// (dkimkey.ReadPrivateKey: 64 KiB), errors name the input and never quote
// it, and a key file other users can read is warned about.
func (f *Factory) ReadPrivateKey(flag, path string) (crypto.Signer, error) {
	var key crypto.Signer
	var err error
	input := flag + " " + path
	if path == "-" {
		input = flag + " -"
		key, err = dkimkey.ReadPrivateKey(f.IO.In, "standard input")
	} else {
		key, err = dkimkey.ReadPrivateKeyFile(path)
		if fi, serr := os.Stat(path); err == nil && serr == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			f.IO.Warnf("%s can be read by other users (mode %04o); a private key should be mode 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
		}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, BadInputHint(input, pe.Err, "check the path given to "+flag)
		}
		return nil, BadInputHint(input, err, "give the private key written by 'emailauth dkim keygen' (PEM PRIVATE KEY), an RSA PRIVATE KEY PEM, or an Ed25519 seed in base64")
	}
	return key, nil
}
