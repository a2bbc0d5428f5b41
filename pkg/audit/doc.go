// Package audit keeps a tamper-evident log of security-relevant actions:
// keys generated, messages signed, records produced, profile gates, DKIM
// key-rotation steps.
//
// # Format
//
// The log is a text file of JSON lines, one Record per line, each at most
// MaxLine octets. A record carries when (an injected clock, UTC), who (the
// user, and the user sudo ran as when there is one), where (the host, the
// process ID, the working directory), how (the command line with its
// secrets removed, see below), what (an event kind and its data), and the
// SHA-256 of the line before it (prev: the hex digest of that line's octets
// without its newline; the first record of a log has 64 zeros), with a
// sequence number counting from 1.
//
// The hash chain makes an edited line detectable (the next line recorded
// another hash for it), and so a deleted line (the next line's prev matches
// no line, and the sequence jumps), a reordered one (its prev is the hash of
// a line elsewhere in the file) and a copied one (its hash is another
// line's). Verify checks a log and says, line by line, which of these
// happened. What a chain alone cannot show: lines deleted from the end, an
// edit of the last line, or a log rewritten whole by someone who recomputed
// every hash. They are shown by keeping the head (the hash of the last line, which Verify reports)
// somewhere the writer cannot change, and checking it later
// (VerifyOptions.Head). The log is evidence, not a secret: it is not
// encrypted and not signed.
//
// # Writing: atomic appends from several processes
//
// Several emailauth processes may log to one file at once (a batch signing
// job beside an operator generating a key). Each append must read the last
// line (for its hash and sequence number) and then write the new line, and
// no other writer may append in between, or two lines would claim the same
// predecessor. O_APPEND alone makes each write land at the end, but does not
// make read-then-write atomic. So Append holds an exclusive advisory lock on
// the file (flock(2) on Unix, LockFileEx on Windows) around reading the last
// line and writing the new one, and writes the line with one write call of
// at most MaxLine octets on a file opened with O_APPEND. A sync.Mutex
// serializes the goroutines sharing one Log, since flock locks belong to the
// open file description and would not exclude them from each other.
//
// Why flock and not a lock file or fcntl: flock is released by the kernel
// when the process dies (a lock file left behind by a crash would block
// every later writer), it locks the log file itself (no second file to
// create beside it in a directory that may not be writable), and unlike
// fcntl locks it is not dropped when another descriptor of the same file in
// the process is closed. It is advisory: only writers that take it (every
// writer in this package) are serialized, which is what is needed here; a
// process that writes the file without the lock is tampering, and the chain
// shows it. On NFS, Linux emulates flock with byte-range locks; O_APPEND is
// not atomic there, and the lock is what keeps writers apart.
//
// A write that fails half way (a full disk) is rolled back by truncating
// the file to its size before the append, while the lock is still held. A
// log whose last line is incomplete (the machine crashed during a write) or
// is not a record is refused for appending with ErrDamaged: the operator
// checks it with Verify, keeps it as evidence and starts a new file. Lines
// are synced to disk before the lock is released unless Options.NoSync.
//
// # Secrets
//
// A record never holds a private key: events name keys by the SHA-256 of
// their public half (Fingerprint) and by file path. The command line is
// recorded as parsed, as one word per flag (CommandLine): values of flags
// that may carry secrets are replaced by "[REDACTED]" (the rule is in
// SecretFlag), and any value holding key material ("-----BEGIN") or a URL
// holding a password is redacted wherever it appears. The environment and
// the config file's contents are never recorded.
package audit
