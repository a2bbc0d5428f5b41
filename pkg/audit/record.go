package audit

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Version is the record format written in every record's v field.
const Version = 1

// MaxLine is the most octets a line of the log may hold, newline included.
// It bounds what an append reads back and writes in one call, and what
// Verify accepts as a line.
const MaxLine = 64 << 10

// Genesis is the prev of a log's first record.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Record is one line of the log.
type Record struct {
	V   int    `json:"v"`
	Seq uint64 `json:"seq"`
	// Time is when the record was written, by the log's clock, in UTC.
	Time time.Time `json:"time"`
	// User is the user the process runs as; SudoUser the user who ran it
	// with sudo, when there is one.
	User     string `json:"user"`
	SudoUser string `json:"sudo_user,omitempty"`
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	// Dir is the working directory: relative paths in Cmd are relative to
	// it.
	Dir string `json:"dir,omitempty"`
	// Cmd is the command line, one word per flag, secrets redacted
	// (CommandLine).
	Cmd []string `json:"cmd"`
	// Event is the kind of event (Event.Kind); Data its fields.
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
	// Prev is the SHA-256 (hex) of the previous line without its newline;
	// Genesis for the first record.
	Prev string `json:"prev"`
}

// Event is what a record says happened. Its JSON encoding is the record's
// data.
type Event interface {
	// Kind names the event: "key.generated", "message.signed", ...
	Kind() string
}

// The event kinds this package defines.
const (
	KindKeyGenerated    = "key.generated"
	KindMessageSigned   = "message.signed"
	KindRecordsProduced = "records.produced"
	KindProfileGate     = "profile.gate"
	KindRotationStep    = "rotation.step"
)

// LineHash returns the hash a record keeps of the line before it: the hex
// SHA-256 of the line's octets without its newline.
func LineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// Fingerprint returns the SHA-256 (hex, lower case) of a public key's
// SubjectPublicKeyInfo in DER, the form `openssl pkey -pubout -outform DER`
// writes, so that
//
//	openssl pkey -in key.pem -pubout -outform DER | sha256sum
//
// prints the same digest. It returns "" for a key x509 cannot encode.
func Fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// KeyGenerated records a new DKIM key: what it is and where it was written,
// never the key itself.
type KeyGenerated struct {
	Domain   string `json:"domain"`
	Selector string `json:"selector"`
	// Record is the name the key is published at,
	// SELECTOR._domainkey.DOMAIN.
	Record    string `json:"record"`
	Algorithm string `json:"algorithm"`
	Bits      int    `json:"bits"`
	// Fingerprint is the public key's Fingerprint.
	Fingerprint string `json:"fingerprint"`
	// File is the absolute path of the private key file, or "-" when the
	// key was written to standard output.
	File string `json:"file"`
}

// Kind is KindKeyGenerated.
func (KeyGenerated) Kind() string { return KindKeyGenerated }

// NewKeyGenerated describes the key whose public half is pub, written to
// file ("-": standard output; a relative path is made absolute) and meant
// for SELECTOR._domainkey.DOMAIN.
func NewKeyGenerated(pub crypto.PublicKey, file, domain, selector string) KeyGenerated {
	alg, bits := dkimkey.KeyAlgorithm(pub)
	return KeyGenerated{
		Domain: domain, Selector: selector, Record: dkimkey.RecordName(selector, domain),
		Algorithm: alg, Bits: bits, Fingerprint: Fingerprint(pub), File: absPath(file),
	}
}

// MessageSigned records a message signed with DKIM or sealed with ARC: who signed it with
// which key, and digests that identify the message.
type MessageSigned struct {
	// Input is the message read (an absolute path, or "-" for standard
	// input); Output where the signed message went ("-": standard output).
	Input  string `json:"input"`
	Output string `json:"output"`
	// SHA256 is the hex SHA-256 of the signed message as written, the new
	// header fields included; Size its length in octets.
	SHA256     string      `json:"sha256"`
	Size       int64       `json:"size"`
	Signatures []Signature `json:"signatures"`
}

// Kind is KindMessageSigned.
func (MessageSigned) Kind() string { return KindMessageSigned }

// Signature is one DKIM signature added to a message.
type Signature struct {
	Domain    string `json:"domain"`
	Selector  string `json:"selector"`
	Algorithm string `json:"algorithm"`
	// KeyFile is the private key's file (absolute), or "-" for standard
	// input; KeyFingerprint its public key's Fingerprint.
	KeyFile        string `json:"key_file"`
	KeyFingerprint string `json:"key_fingerprint"`
	// BodyHash (bh=) and Value (b=, whitespace removed) are as in the
	// DKIM-Signature field: a message received later is matched to its
	// record by them, since transit adds header fields and so changes the
	// message's SHA-256.
	BodyHash string `json:"bh,omitempty"`
	Value    string `json:"b,omitempty"`
	// Time is the signature's t=, in Unix seconds.
	Time int64 `json:"t,omitempty"`
	// ARCInstance is set for an ARC set (arc seal): its i=, the
	// ARC-Seal and ARC-Message-Signature both made with this key. It is
	// absent for a DKIM-Signature.
	ARCInstance int `json:"arc_instance,omitempty"`
}

// RecordsProduced records DNS records a command produced for publication
// (records; spf build, dmarc build, dkim record and the like).
type RecordsProduced struct {
	Domain string `json:"domain"`
	// Profile and Tenant name the platform profile and the tenant the
	// records were produced for, when there are.
	Profile string      `json:"profile,omitempty"`
	Tenant  string      `json:"tenant,omitempty"`
	Records []DNSRecord `json:"records"`
}

// Kind is KindRecordsProduced.
func (RecordsProduced) Kind() string { return KindRecordsProduced }

// DNSRecord is a record to publish.
type DNSRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	TTL   int    `json:"ttl"`
	Value string `json:"value"`
	// Action is what to do with it, when the command says: "add",
	// "replace", "revoke", "remove".
	Action string `json:"action,omitempty"`
}

// ProfileGate records the outcome of checking a domain against a policy
// profile (check --profile): whether the gate let it through, and why not.
type ProfileGate struct {
	Domain string `json:"domain"`
	// Profile is the profile's file (absolute) or name; ProfileSHA256 the
	// hex SHA-256 of its content, so that the rules applied are known.
	Profile       string         `json:"profile"`
	ProfileSHA256 string         `json:"profile_sha256,omitempty"`
	Status        finding.Status `json:"status"`
	Errors        int            `json:"errors"`
	Warnings      int            `json:"warnings"`
	// Codes are the finding codes of the errors and warnings.
	Codes []string `json:"codes,omitempty"`
}

// Kind is KindProfileGate.
func (ProfileGate) Kind() string { return KindProfileGate }

// The stages of a DKIM key rotation (docs/rotation.md), in order.
const (
	StagePublish   = 1 // the new key generated and its record published beside the old
	StagePropagate = 2 // every authoritative server serves it; the old record's TTL has passed
	StageSwitch    = 3 // the signer uses the new selector
	StageRevoke    = 4 // the old record published with an empty p=
	StageRemove    = 5 // the old record removed
)

// RotationStep records a step of a DKIM key rotation: the stage it is at,
// what was done or found, and the records involved.
type RotationStep struct {
	Domain string `json:"domain"`
	// Current is the selector being retired; Next the one replacing it.
	Current string `json:"current"`
	Next    string `json:"next"`
	// Stage is one of the Stage constants; Step names it ("publish",
	// "propagate", "switch", "revoke", "remove"; "complete" once done).
	Stage int    `json:"stage"`
	Step  string `json:"step"`
	// Outcome is "done" (the step was taken or verified), "waiting" (its
	// precondition does not hold yet) or "blocked" (it cannot be taken:
	// Detail says what is missing).
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
	// KeyFingerprint is the new key's Fingerprint, once known.
	KeyFingerprint string      `json:"key_fingerprint,omitempty"`
	Records        []DNSRecord `json:"records,omitempty"`
}

// Kind is KindRotationStep.
func (RotationStep) Kind() string { return KindRotationStep }
