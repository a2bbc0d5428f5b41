package rotation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// StateSchema names the state file's format; fields are only added within
// a version.
const StateSchema = "emailauth.rotation/v1"

// maxStateFile bounds a state file read: it holds three dates.
const maxStateFile = 64 << 10

// State is what a rotation remembers between runs: when each time-bound
// condition was first seen to hold. The DNS does not say when a record
// appeared, so a wait measured from "when NEXT reached every name server"
// needs someone to have looked, and written the time down. Everything else
// is observed afresh on every run: the state never stands in for a check.
type State struct {
	Schema   string `json:"schema"`
	Domain   string `json:"domain"`
	Selector string `json:"selector"`
	Next     string `json:"next"`
	// Published is when NEXT was first seen served, with its key, by every
	// name server; Switched when the signer was first seen signing with
	// NEXT (a test message); Revoked when CURRENT was first seen revoked on
	// every name server. A condition that stops holding clears its time.
	Published *Event `json:"published,omitempty"`
	Switched  *Event `json:"switched,omitempty"`
	Revoked   *Event `json:"revoked,omitempty"`
}

// Event is a condition first seen to hold.
type Event struct {
	At time.Time `json:"at"`
	// Key is the key it was seen with (Published: NEXT's key), as
	// KeyID gives it.
	Key string `json:"key,omitempty"`
	// Evidence says what was seen.
	Evidence string `json:"evidence"`
}

// NewState returns the empty state of a rotation.
func NewState(domain, selector, next string) *State {
	return &State{Schema: StateSchema, Domain: domain, Selector: selector, Next: next}
}

// ErrStateMismatch is wrapped by ReadState's error when the file is the
// state of another rotation (another domain, selector or next selector).
var ErrStateMismatch = errors.New("the state file is another rotation's")

// ErrStateMalformed is wrapped by ReadState's error when the file is not a
// rotation state file.
var ErrStateMalformed = errors.New("not a rotation state file")

// ReadState reads the state file at path, for the rotation of domain from
// selector to next. A file that does not exist yet is the empty state (the
// first run creates it). At most 64 KiB is read; unknown fields are
// refused.
func ReadState(path, domain, selector, next string) (*State, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewState(domain, selector, next), nil
	}
	if err != nil {
		return nil, fmt.Errorf("rotation: reading the state file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("rotation: %s is a directory, not a state file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, fmt.Errorf("rotation: reading the state file %s: %w", path, err)
	}
	if len(data) > maxStateFile {
		return nil, fmt.Errorf("rotation: %s: %w: it is larger than 64 KiB", path, ErrStateMalformed)
	}
	var s State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("rotation: %s: %w: %v", path, ErrStateMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("rotation: %s: %w: data after the state", path, ErrStateMalformed)
	}
	if s.Schema != StateSchema {
		return nil, fmt.Errorf("rotation: %s: %w: schema %q, want %q", path, ErrStateMalformed, s.Schema, StateSchema)
	}
	if s.Domain != domain || s.Selector != selector || s.Next != next {
		return nil, fmt.Errorf("rotation: %s: %w: it records the rotation of %s from %s to %s", path, ErrStateMismatch, s.Domain, s.Selector, s.Next)
	}
	for _, e := range []*Event{s.Published, s.Switched, s.Revoked} {
		if e != nil && e.At.IsZero() {
			return nil, fmt.Errorf("rotation: %s: %w: an event without a time", path, ErrStateMalformed)
		}
	}
	return &s, nil
}

// Write writes the state to path atomically: to a temporary file in the
// same directory (mode 0600: the file names the domain's selectors and
// nothing secret, but nobody else needs it), synced, then renamed over
// path. A crash leaves the old file or the new one, never half of one.
func (s *State) Write(path string) (err error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("rotation: encoding the state: %w", err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("rotation: writing the state file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("rotation: writing the state file: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("rotation: writing the state file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("rotation: writing the state file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("rotation: writing the state file: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rotation: writing the state file: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// clone returns a deep copy, so that a judgement never changes its input.
func (s *State) clone() *State {
	if s == nil {
		return nil
	}
	c := *s
	for _, p := range []**Event{&c.Published, &c.Switched, &c.Revoked} {
		if *p != nil {
			e := **p
			*p = &e
		}
	}
	return &c
}
