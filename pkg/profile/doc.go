// Package profile is what a sending platform requires of its tenants'
// domains, and the tools to get there: a profile (YAML) states the
// requirements, each critical, advisory or optional; a tenants file maps
// tenant ids to their domains, with per-domain overrides (more selectors,
// a pinned key, a stricter policy) and waivers that expire.
//
//   - Profile.For gives one domain's Requirements (the profile with the
//     domain's overrides and waivers applied, at a date).
//   - Evaluate checks every requirement against what the domain publishes:
//     each requirement not met is a finding of its code (profile.*) at its
//     level's severity, whose fix is the exact record to publish.
//   - PlanRecords computes the complete set of records to publish, merged
//     with what the domain publishes: one SPF record (its own terms kept,
//     the platform's includes added, refused over 10 lookups), its DMARC
//     record's tags kept and the platform's report addresses added, DKIM
//     keys generated with the safety of `dkim keygen`.
//   - Wait asks every authoritative name server directly until each serves
//     every required record.
//
// The schema is documented in docs/profiles.md; testdata/profiles/
// penguinmails.yaml is a complete example.
//
// Files are decoded strictly by this package (yaml.go) rather than with
// yaml.v3's KnownFields: an unknown key or a wrong type must be reported with
// the file, the line, the key's full path and the nearest known key, and
// yaml.v3's errors give none of the last two.
package profile
