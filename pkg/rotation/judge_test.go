package rotation

import (
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/authoritative"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/finding"
)

const (
	dom  = "tenant.example"
	cur  = "s2026-05"
	next = "s2026-11"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func edKey(seed byte) crypto.PublicKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s).Public()
}

var (
	oldKey   = edKey(1)
	newKey   = edKey(2)
	otherKey = edKey(3)
)

func rsaKey(t testing.TB, file string) crypto.PublicKey {
	t.Helper()
	data, err := os.ReadFile("../../testdata/keys/" + file)
	if err != nil {
		t.Fatal(err)
	}
	k, err := dkimkey.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

func key(sel string, pub crypto.PublicKey) RecordView {
	alg, bits := dkimkey.KeyAlgorithm(pub)
	return RecordView{Name: dkimkey.RecordName(sel, dom), State: RecordKey, TTL: 3600, KeyType: alg, KeyBits: bits, Key: KeyID(pub), pub: pub}
}

func revoked(sel string) RecordView {
	return RecordView{Name: dkimkey.RecordName(sel, dom), State: RecordRevoked, TTL: 3600}
}

func absent(sel string) RecordView {
	return RecordView{Name: dkimkey.RecordName(sel, dom), State: RecordAbsent}
}

func broken(sel string) RecordView {
	return RecordView{Name: dkimkey.RecordName(sel, dom), State: RecordBroken, TTL: 3600, Problem: "the key record is malformed", Value: "v=DKIM1; p=@@"}
}

func unknown(sel string) RecordView {
	return RecordView{Name: dkimkey.RecordName(sel, dom), State: RecordUnknown, Problem: "SERVFAIL"}
}

func server(n int, c, x RecordView) Server {
	name := []string{"", "ns1.tenant.example", "ns2.tenant.example"}[n]
	return Server{Server: authoritative.Server{Name: name, Address: "192.0.2." + string(rune('0'+n)) + ":53", Serial: 2026112301, Status: "ok"},
		Current: c, Next: x, NegativeTTL: 300}
}

func down(n int, status string) Server {
	s := server(n, RecordView{State: RecordUnknown}, RecordView{State: RecordUnknown})
	s.Status, s.Error = status, "no answer"
	return s
}

func observed(servers ...Server) *Observation {
	return &Observation{Domain: dom, Zone: dom, Selector: cur, Next: next, Servers: servers}
}

func withMessage(o *Observation, sigs ...dkim.SignatureResult) *Observation {
	o.Message = &MessageCheck{File: "test.eml", Signatures: sigs}
	return o
}

func sig(sel, result string, signed time.Time) dkim.SignatureResult {
	s := dkim.SignatureResult{Domain: dom, Selector: sel, Result: result, Code: "ok"}
	if result != dkim.Pass {
		s.Code, s.Reason = "signature-mismatch", "the signature does not match"
	}
	if !signed.IsZero() {
		s.Signed = &signed
	}
	return s
}

func state(pub, sw, rev time.Time) *State {
	s := NewState(dom, cur, next)
	if !pub.IsZero() {
		s.Published = &Event{At: pub, Key: KeyID(newKey), Evidence: "test"}
	}
	if !sw.IsZero() {
		s.Switched = &Event{At: sw, Evidence: "test"}
	}
	if !rev.IsZero() {
		s.Revoked = &Event{At: rev, Evidence: "test"}
	}
	return s
}

// Shorthands for the usual pictures.
var (
	live2 = func() *Observation {
		return observed(server(1, key(cur, oldKey), absent(next)), server(2, key(cur, oldKey), absent(next)))
	}
	both2 = func() *Observation {
		return observed(server(1, key(cur, oldKey), key(next, newKey)), server(2, key(cur, oldKey), key(next, newKey)))
	}
	revoked2 = func() *Observation {
		return observed(server(1, revoked(cur), key(next, newKey)), server(2, revoked(cur), key(next, newKey)))
	}
)

func TestJudge(t *testing.T) {
	rsa1024 := rsaKey(t, "rsa1024.pem")
	h := time.Hour
	day := 24 * h
	for _, tc := range []struct {
		name  string
		obs   *Observation
		opts  Options
		stage Stage
		step  string // the state of the stage's step
		st    finding.Status
		codes []string // every code expected (in any order)
		ready bool
		check func(t *testing.T, r *Result)
	}{
		{
			name: "1 publish: nothing at NEXT and no key: generate", obs: live2(), opts: Options{Now: t0},
			stage: StagePublish, step: StepReady, st: finding.StatusPass, ready: true,
			check: func(t *testing.T, r *Result) {
				if len(r.Action.Commands) != 1 || !strings.HasSuffix(r.Action.Commands[0], " --generate") {
					t.Errorf("commands %q", r.Action.Commands)
				}
			},
		},
		{
			name: "1 publish: the new key to publish", obs: live2(), opts: Options{Now: t0, NextKey: newKey, TTL: 3600},
			stage: StagePublish, step: StepReady, st: finding.StatusPass, ready: true,
			check: func(t *testing.T, r *Result) {
				rec, _ := dkimkey.NewRecord(newKey)
				want := dkimkey.ZoneLine("s2026-11._domainkey.tenant.example", rec.String(), 3600)
				if len(r.Action.Records) != 1 || r.Action.Records[0].Change != "add" || r.Action.Records[0].ZoneLine != want {
					t.Errorf("records %+v, want %s", r.Action.Records, want)
				}
			},
		},
		{
			name: "1 publish: a reused selector, revoked, is replaced",
			obs:  observed(server(1, key(cur, oldKey), revoked(next)), server(2, key(cur, oldKey), revoked(next))),
			opts: Options{Now: t0, NextKey: newKey}, stage: StagePublish, step: StepReady, st: finding.StatusPass, ready: true,
			check: func(t *testing.T, r *Result) {
				if r.Action.Records[0].Change != "replace" {
					t.Errorf("records %+v", r.Action.Records)
				}
			},
		},
		{
			name: "1 blocked: no key at CURRENT",
			obs:  observed(server(1, absent(cur), absent(next)), server(2, absent(cur), absent(next))),
			opts: Options{Now: t0, State: NewState(dom, cur, next)}, stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.current-missing"},
			check: func(t *testing.T, r *Result) {
				if r.StateChanged {
					t.Errorf("a missing CURRENT was recorded as retired: %+v", r.State)
				}
			},
		},
		{
			name: "1 blocked: CURRENT broken on one server",
			obs:  observed(server(1, key(cur, oldKey), absent(next)), server(2, broken(cur), absent(next))),
			opts: Options{Now: t0}, stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.current-missing"},
		},
		{
			name: "1 blocked: NEXT publishes another key than the key file",
			obs:  observed(server(1, key(cur, oldKey), key(next, otherKey)), server(2, key(cur, oldKey), absent(next))),
			opts: Options{Now: t0, NextKey: newKey}, stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.next-key-mismatch"},
			check: func(t *testing.T, r *Result) {
				if r.Action.Records[0].Change != "replace" {
					t.Errorf("records %+v", r.Action.Records)
				}
			},
		},
		{
			name: "1 blocked: NEXT's record is broken",
			obs:  observed(server(1, key(cur, oldKey), broken(next)), server(2, key(cur, oldKey), absent(next))),
			opts: Options{Now: t0, NextKey: newKey}, stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.next-broken"},
		},
		{
			name: "1 blocked: the new key is too short", obs: live2(),
			opts:  Options{Now: t0, NextKey: rsa1024},
			stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.next-key-weak"},
		},
		{
			name: "1 blocked: the current key file is not the key published", obs: live2(),
			opts:  Options{Now: t0, CurrentKey: otherKey},
			stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.current-key-mismatch"},
		},
		{
			name:  "1 unknown: a server could not be asked",
			obs:   observed(server(1, key(cur, oldKey), absent(next)), down(2, "unreachable")),
			opts:  Options{Now: t0, NextKey: newKey},
			stage: StagePublish, step: StepUnknown, st: finding.StatusError, codes: []string{"rotation.unreachable"},
		},
		{
			name:  "2 waiting: the new record on one server only",
			obs:   observed(server(1, key(cur, oldKey), key(next, newKey)), server(2, key(cur, oldKey), absent(next))),
			opts:  Options{Now: t0, NextKey: newKey, State: NewState(dom, cur, next)},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.next-missing"},
			check: func(t *testing.T, r *Result) {
				if r.State.Published != nil || r.StateChanged {
					t.Errorf("state %+v changed %v", r.State.Published, r.StateChanged)
				}
				if !strings.Contains(r.Findings[0].Message, "not by ns2.tenant.example (absent)") {
					t.Errorf("message %q", r.Findings[0].Message)
				}
			},
		},
		{
			name:  "2 waiting: a lame server lacks it",
			obs:   observed(server(1, key(cur, oldKey), key(next, newKey)), down(2, "lame")),
			opts:  Options{Now: t0, NextKey: newKey},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.lame-server", "rotation.next-missing"},
		},
		{
			name:  "2 unknown: the other server could not be asked",
			obs:   observed(server(1, key(cur, oldKey), key(next, newKey)), down(2, "unreachable")),
			opts:  Options{Now: t0, NextKey: newKey},
			stage: StagePropagate, step: StepUnknown, st: finding.StatusError, codes: []string{"rotation.unreachable"},
		},
		{
			name:  "2 unknown: a record could not be asked",
			obs:   observed(server(1, key(cur, oldKey), key(next, newKey)), server(2, key(cur, oldKey), unknown(next))),
			opts:  Options{Now: t0, NextKey: newKey},
			stage: StagePropagate, step: StepUnknown, st: finding.StatusError, codes: []string{"rotation.unreachable"},
		},
		{
			name:  "2 blocked: the servers serve different keys",
			obs:   observed(server(1, key(cur, oldKey), key(next, newKey)), server(2, key(cur, oldKey), key(next, otherKey))),
			opts:  Options{Now: t0},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.next-differs", "rotation.next-missing"},
		},
		{
			name: "2 waiting: everywhere, but no state to time the wait", obs: both2(), opts: Options{Now: t0, NextKey: newKey},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.not-timed"},
		},
		{
			name: "2 waiting: everywhere since now: the old record's TTL has not passed", obs: both2(),
			opts:  Options{Now: t0, NextKey: newKey, State: NewState(dom, cur, next)},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.ttl-wait"},
			check: func(t *testing.T, r *Result) {
				if r.State.Published == nil || !r.State.Published.At.Equal(t0) || r.State.Published.Key != KeyID(newKey) || !r.StateChanged {
					t.Errorf("state %+v", r.State.Published)
				}
				if r.WaitSeconds != 3600 || r.WaitUntil == nil || !r.WaitUntil.Equal(t0.Add(h)) {
					t.Errorf("wait %d until %v", r.WaitSeconds, r.WaitUntil)
				}
			},
		},
		{
			name: "2 waiting: the negative TTL is longer than the record's",
			obs: func() *Observation {
				o := both2()
				for i := range o.Servers {
					o.Servers[i].NegativeTTL = 7200
				}
				return o
			}(),
			opts:  Options{Now: t0.Add(90 * time.Minute), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.ttl-wait"},
		},
		{
			name: "2 waiting: the key published changed since it was recorded", obs: both2(),
			opts: Options{Now: t0.Add(2 * h), NextKey: newKey, State: func() *State {
				s := state(t0, time.Time{}, time.Time{})
				s.Published.Key = KeyID(otherKey)
				return s
			}()},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.ttl-wait"},
		},
		{
			name: "3 ready: the wait is over: switch the signer", obs: both2(),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, NextKeyFile: "new.pem", State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepReady, st: finding.StatusPass, ready: true,
			check: func(t *testing.T, r *Result) {
				if !strings.Contains(r.Action.Summary, "switch the signer of tenant.example to selector s2026-11 with new.pem") || r.StateChanged {
					t.Errorf("action %+v, state changed %v", r.Action, r.StateChanged)
				}
			},
		},
		{
			name: "3 ready without a new key file: the key served is used", obs: both2(),
			opts:  Options{Now: t0.Add(2 * h), State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepReady, st: finding.StatusPass, ready: true,
		},
		{
			name: "3 blocked: a test message signed with the old key", obs: withMessage(both2(), sig(cur, dkim.Pass, t0.Add(h))),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.message-old-key"},
		},
		{
			name: "3 blocked: the new signature does not verify", obs: withMessage(both2(), sig(next, dkim.Fail, t0.Add(h))),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.message-fails"},
		},
		{
			name: "3 unknown: the new key could not be fetched", obs: withMessage(both2(), dkim.SignatureResult{Domain: dom, Selector: next, Result: dkim.Temperror, Reason: "timeout"}),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepBlocked, st: finding.StatusError, codes: []string{"rotation.unreachable"},
		},
		{
			name: "3 blocked: the message is not signed by the domain",
			obs: func() *Observation {
				o := withMessage(both2())
				o.Message.Others = []string{"d=esp.example s=k1"}
				return o
			}(),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.message-unsigned"},
			check: func(t *testing.T, r *Result) {
				if !strings.Contains(r.Findings[0].Message, "(it has: d=esp.example s=k1)") {
					t.Errorf("message %q", r.Findings[0].Message)
				}
			},
		},
		{
			name:  "3 blocked: CURRENT revoked before the switch was confirmed",
			obs:   observed(server(1, revoked(cur), key(next, newKey)), server(2, key(cur, oldKey), key(next, newKey))),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageSwitch, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.retired-before-switch"},
		},
		{
			name: "4 waiting: switched, the grace period has not passed", obs: withMessage(both2(), sig(next, dkim.Pass, t0.Add(2*h))),
			opts:  Options{Now: t0.Add(3 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageRevoke, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.grace-period"},
			check: func(t *testing.T, r *Result) {
				if r.State.Switched == nil || !r.State.Switched.At.Equal(t0.Add(2*h)) || !r.StateChanged {
					t.Errorf("switched %+v", r.State.Switched)
				}
				if r.WaitUntil == nil || !r.WaitUntil.Equal(t0.Add(2*h+7*day)) {
					t.Errorf("wait until %v", r.WaitUntil)
				}
			},
		},
		{
			name: "4 waiting: the grace period counts from the message's signature, without a state",
			obs:  withMessage(both2(), sig(next, dkim.Pass, t0.Add(-6*day))),
			opts: Options{Now: t0, NextKey: newKey, State: state(t0.Add(-8*day), time.Time{}, time.Time{})},
			// 6 days since the signature: 1 day left.
			stage: StageRevoke, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.grace-period"},
		},
		{
			name: "4 ready: the grace period is over: revoke", obs: both2(),
			opts:  Options{Now: t0.Add(8 * day), NextKey: newKey, TTL: 3600, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageRevoke, step: StepReady, st: finding.StatusPass, ready: true,
			check: func(t *testing.T, r *Result) {
				want := `s2026-05._domainkey.tenant.example. 3600 IN TXT "v=DKIM1; p="`
				if len(r.Action.Records) != 1 || r.Action.Records[0].Change != "replace" || r.Action.Records[0].ZoneLine != want {
					t.Errorf("records %+v", r.Action.Records)
				}
			},
		},
		{
			name: "4 ready with a shorter grace", obs: both2(),
			opts:  Options{Now: t0.Add(2*day + 3*h), Grace: 2 * day, NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageRevoke, step: StepReady, st: finding.StatusPass, ready: true,
		},
		{
			name: "4 ready, dual-signed: a warning", obs: withMessage(both2(), sig(next, dkim.Pass, t0.Add(2*h)), sig(cur, dkim.Pass, t0.Add(2*h))),
			opts:  Options{Now: t0.Add(8 * day), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageRevoke, step: StepReady, st: finding.StatusWarn, codes: []string{"rotation.message-dual-signed"}, ready: true,
		},
		{
			name:  "4 waiting: the revocation on one server only",
			obs:   observed(server(1, revoked(cur), key(next, newKey)), server(2, key(cur, oldKey), key(next, newKey))),
			opts:  Options{Now: t0.Add(8 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageRevoke, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.revocation-propagating"},
		},
		{
			name: "4 waiting, switched before the wait was over: a warning", obs: withMessage(both2(), sig(next, dkim.Pass, t0)),
			opts:  Options{Now: t0.Add(10 * time.Minute), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StageRevoke, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.switched-early", "rotation.grace-period"},
		},
		{
			name:  "2 waiting, switched before every server had the key: a warning",
			obs:   withMessage(observed(server(1, key(cur, oldKey), key(next, newKey)), server(2, key(cur, oldKey), absent(next))), sig(next, dkim.Pass, t0)),
			opts:  Options{Now: t0.Add(10 * time.Minute), NextKey: newKey},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.switched-early", "rotation.next-missing"},
			check: func(t *testing.T, r *Result) {
				if r.Steps[2].State != StepDone {
					t.Errorf("step 3 %+v", r.Steps[2])
				}
			},
		},
		{
			name: "5 waiting: revoked everywhere since now", obs: revoked2(),
			opts:  Options{Now: t0.Add(8 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageRemove, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.ttl-wait"},
			check: func(t *testing.T, r *Result) {
				if r.State.Revoked == nil || !r.State.Revoked.At.Equal(t0.Add(8*day)) {
					t.Errorf("revoked %+v", r.State.Revoked)
				}
			},
		},
		{
			name: "5 waiting: revoked everywhere, no state", obs: withMessage(revoked2(), sig(next, dkim.Pass, t0)),
			opts: Options{Now: t0.Add(8 * day), NextKey: newKey},
			// The switch (the message) and the grace period (its t=) need
			// no state; the wait after the revocation does.
			stage: StageRemove, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.not-timed"},
		},
		{
			name: "5 waiting: revoked everywhere, a state without the revocation's time", obs: revoked2(),
			opts:  Options{Now: t0.Add(8 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageRemove, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.ttl-wait"},
		},
		{
			name: "5 ready: the old key is out of every cache: remove", obs: revoked2(),
			opts:  Options{Now: t0.Add(9 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), t0.Add(8*day))},
			stage: StageRemove, step: StepReady, st: finding.StatusPass, ready: true,
			check: func(t *testing.T, r *Result) {
				if len(r.Action.Records) != 1 || r.Action.Records[0].Change != "delete" || r.Action.Records[0].Name != "s2026-05._domainkey.tenant.example" {
					t.Errorf("records %+v", r.Action.Records)
				}
			},
		},
		{
			name:  "5 ready: removed on one server already",
			obs:   observed(server(1, absent(cur), key(next, newKey)), server(2, revoked(cur), key(next, newKey))),
			opts:  Options{Now: t0.Add(9 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), t0.Add(8*day))},
			stage: StageRemove, step: StepReady, st: finding.StatusPass, ready: true,
		},
		{
			name:  "complete",
			obs:   observed(server(1, absent(cur), key(next, newKey)), server(2, absent(cur), key(next, newKey))),
			opts:  Options{Now: t0.Add(10 * day), NextKey: newKey, MaxKeyAge: 180 * day, State: state(t0, t0.Add(2*h), t0.Add(8*day))},
			stage: StageComplete, st: finding.StatusPass,
			check: func(t *testing.T, r *Result) {
				if !r.Complete || r.Ready || r.NextRotationDue == nil || !r.NextRotationDue.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(180*day)) {
					t.Errorf("complete %v ready %v due %v", r.Complete, r.Ready, r.NextRotationDue)
				}
				for _, s := range r.Steps {
					if s.State != StepDone {
						t.Errorf("step %+v", s)
					}
				}
			},
		},
		{
			name:  "complete: removed without a revocation first",
			obs:   observed(server(1, absent(cur), key(next, newKey)), server(2, absent(cur), key(next, newKey))),
			opts:  Options{Now: t0.Add(10 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageComplete, st: finding.StatusPass, codes: []string{"rotation.revocation-skipped"},
		},
		{
			name: "1 blocked: the new key is gone after the switch", obs: live2(),
			opts:  Options{Now: t0.Add(3 * day), NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StagePublish, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.next-lost", "rotation.state-reset"},
		},
		{
			name:  "2 waiting: the recorded time is reset when a server loses the new key",
			obs:   observed(server(1, key(cur, oldKey), key(next, newKey)), server(2, key(cur, oldKey), absent(next))),
			opts:  Options{Now: t0.Add(2 * h), NextKey: newKey, State: state(t0, time.Time{}, time.Time{})},
			stage: StagePropagate, step: StepWaiting, st: finding.StatusFail, codes: []string{"rotation.next-missing", "rotation.state-reset"},
			check: func(t *testing.T, r *Result) {
				if r.State.Published != nil || !r.StateChanged {
					t.Errorf("state %+v", r.State)
				}
			},
		},
		{
			name: "3 blocked: the recorded switch is reset by a message signed with the old key", obs: withMessage(both2(), sig(cur, dkim.Pass, t0.Add(3*h))),
			opts:  Options{Now: t0.Add(4 * h), NextKey: newKey, State: state(t0, t0.Add(2*h), time.Time{})},
			stage: StageSwitch, step: StepBlocked, st: finding.StatusFail, codes: []string{"rotation.message-old-key", "rotation.state-reset"},
		},
		{
			name: "the name servers could not be found", obs: &Observation{Domain: dom, Selector: cur, Next: next, Error: "SERVFAIL", ErrorTemporary: true},
			opts: Options{Now: t0}, stage: StageUnknown, step: "", st: finding.StatusError, codes: []string{"rotation.unreachable"},
		},
		{
			name: "the zone has no name servers", obs: &Observation{Domain: dom, Selector: cur, Next: next, Error: "tenant.example has no NS records"},
			opts: Options{Now: t0}, stage: StageUnknown, step: "", st: finding.StatusFail, codes: []string{"rotation.no-nameservers"},
		},
		{
			name: "the profile requires the old selector only", obs: live2(),
			opts:  Options{Now: t0, ProfileSelectors: []string{cur}},
			stage: StagePublish, step: StepReady, st: finding.StatusWarn, codes: []string{"rotation.profile-selector"}, ready: true,
		},
		{
			name: "the profile lists both: no warning", obs: live2(),
			opts:  Options{Now: t0, ProfileSelectors: []string{cur, next}},
			stage: StagePublish, step: StepReady, st: finding.StatusPass, ready: true,
		},
		{
			name: "the current key is past the maximum age: the rotation is due", obs: live2(),
			opts:  Options{Now: t0, MaxKeyAge: 180 * day},
			stage: StagePublish, step: StepReady, st: finding.StatusPass, codes: []string{"rotation.rotation-due"}, ready: true,
			check: func(t *testing.T, r *Result) {
				if r.CurrentKeyAge == nil || r.CurrentKeyAge.Days != 206 {
					t.Errorf("age %+v", r.CurrentKeyAge)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := json.Marshal(tc.opts.State)
			r := Judge(tc.obs, tc.opts)
			if after, _ := json.Marshal(tc.opts.State); string(after) != string(before) {
				t.Error("Judge changed the state it was given")
			}
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Code)
			}
			slices.Sort(got)
			want := slices.Clone(tc.codes)
			slices.Sort(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("codes %v, want %v\n%s", got, want, dump(r))
			}
			if r.Stage != tc.stage || r.Status != tc.st || r.Ready != tc.ready {
				t.Errorf("stage %s status %s ready %v; want %s %s %v\n%s", r.Stage, r.Status, r.Ready, tc.stage, tc.st, tc.ready, dump(r))
			}
			if tc.step != "" {
				if s := r.Steps[tc.stage-1]; s.State != tc.step {
					t.Errorf("step %+v, want %s", s, tc.step)
				}
				for _, s := range r.Steps[:tc.stage-1] {
					if s.State != StepDone {
						t.Errorf("earlier step %+v not done", s)
					}
				}
			}
			if r.Action.Summary == "" {
				t.Error("no action")
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func dump(r *Result) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 10 * time.Second: "10s", time.Hour: "1h", 90 * time.Minute: "1h30m", 3601 * time.Second: "1h1s",
		7 * 24 * time.Hour: "7d", 36 * time.Hour: "36h", 300 * time.Second: "5m",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStageNames(t *testing.T) {
	for s, want := range map[Stage]string{StageUnknown: "unknown", StagePublish: "publish", StageComplete: "complete", Stage(9): "stage(9)"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
	if b, _ := json.Marshal(StageRevoke); string(b) != `"revoke"` {
		t.Errorf("json %s", b)
	}
}

func TestFindingsCatalogue(t *testing.T) {
	for _, s := range Findings() {
		if !strings.HasPrefix(s.Code, "rotation.") {
			t.Errorf("code %s", s.Code)
		}
	}
	if n := len(Findings()); n < 20 {
		t.Errorf("%d codes", n)
	}
}
