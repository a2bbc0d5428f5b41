package audit

import "strings"

// Redacted replaces a secret in a recorded command line.
const Redacted = "[REDACTED]"

// Flag is a flag as a command parsed it, for CommandLine.
type Flag struct {
	Name string
	// Values are the values given, one per use of a repeatable flag.
	Values []string
	// Bool is true for a flag that takes no value (--force).
	Bool bool
	// Path is true when the value names a file or a directory (the flag's
	// help calls its value FILE, DIR or PATH): the path is recorded, the
	// file is not read.
	Path bool
	// Secret is true when the command declares the value secret, whatever
	// its name.
	Secret bool
}

// secretWords are the words of a flag name that mark its value secret.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "passphrase": true, "pass": true, "pw": true,
	"secret": true, "token": true, "credential": true, "credentials": true,
	"apikey": true, "cookie": true, "bearer": true, "auth": true, "authorization": true,
}

// SecretFlag reports whether the value of flag name (without dashes) is
// redacted from a recorded command line. The rule, in order:
//
//  1. a flag the command marks secret is redacted;
//  2. a flag whose name has one of the words password, passwd, passphrase,
//     pass, pw, secret, token, credential(s), apikey, cookie, bearer, auth
//     or authorization (words are separated by "-", "_" or ".") is
//     redacted, even when it names a file (--password-file): a script
//     that gives such a flag a value inline must not leak it;
//  3. a flag with the word key (--key, --api-key, --hmac-key,
//     --private-key) is redacted unless its value is a path (--private-key
//     FILE): the path says which key was used, and the key itself is never
//     read into the log;
//  4. every other flag is recorded as given.
//
// Whatever the flag, a value that holds key material or a URL with a
// password is redacted too (RedactValue).
func SecretFlag(name string, path, marked bool) bool {
	if marked {
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for _, w := range words {
		if secretWords[w] {
			return true
		}
	}
	for _, w := range words {
		if w == "key" || w == "keys" {
			return !path
		}
	}
	return false
}

// RedactValue returns v, or Redacted when v holds key material (PEM armour,
// "-----BEGIN", or a key's DER in base64 without it: 100 characters or more
// of base64 starting "MII"), or v with the password of a URL replaced
// (https://user:[REDACTED]@host/).
func RedactValue(v string) string {
	if strings.Contains(v, "-----BEGIN") || strings.Contains(v, "PRIVATE KEY-----") || looksLikeDER(v) {
		return Redacted
	}
	if i := strings.Index(v, "://"); i > 0 {
		rest := v[i+3:]
		authority := rest
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			authority = rest[:end]
		}
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if colon := strings.IndexByte(authority[:at], ':'); colon >= 0 {
				return v[:i+3] + authority[:colon+1] + Redacted + rest[at:]
			}
		}
	}
	return v
}

// CommandLine returns the command line to record: the command's words
// ("emailauth", "dkim", "keygen"), then one word per flag value,
// "--name=value" ("--name" alone for a flag without value) in the order
// given, secrets redacted (SecretFlag, RedactValue), then the positional
// arguments (RedactValue). The line is the one the command parsed, not the
// raw argv: a value is always attached to its flag, so what is redacted
// cannot be mistaken.
func CommandLine(words []string, flags []Flag, args []string) []string {
	out := append([]string{}, words...)
	for _, f := range flags {
		secret := SecretFlag(f.Name, f.Path, f.Secret)
		if f.Bool {
			for _, v := range f.Values {
				if v == "true" {
					out = append(out, "--"+f.Name)
				} else {
					out = append(out, "--"+f.Name+"="+RedactValue(v))
				}
			}
			continue
		}
		for _, v := range f.Values {
			if secret {
				v = Redacted
			} else {
				v = RedactValue(v)
			}
			out = append(out, "--"+f.Name+"="+v)
		}
	}
	for _, a := range args {
		out = append(out, RedactValue(a))
	}
	return out
}

// looksLikeDER reports whether v is a long base64 string of the kind a key
// in DER starts with (a SEQUENCE with a two-octet length: "MII").
func looksLikeDER(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 100 || !strings.HasPrefix(v, "MII") {
		return false
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=' || r == '\n' || r == '\r') {
			return false
		}
	}
	return true
}
