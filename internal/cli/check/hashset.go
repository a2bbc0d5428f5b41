package check

import "slices"

// hashSet is a set of 64-bit hashes in a little over 8 bytes each: a sorted
// slice, and the newest additions in a small map merged into it when the map
// is full. A map of a million hashes takes about 24 bytes each, and the
// garbage collector's headroom doubles that in a process's memory; this set
// keeps a run over a million domains within a few megabytes of one over a
// hundred thousand (docs/performance.md).
type hashSet struct {
	sorted []uint64
	recent map[uint64]struct{}
}

// recentMax is how many additions wait in the map before a merge. Each
// merge moves the sorted slice once: a million additions cost 244 moves of
// a slice of at most a million, about a quarter of a second.
const recentMax = 4096

// add adds h and reports whether it was new.
func (s *hashSet) add(h uint64) bool {
	if _, ok := s.recent[h]; ok {
		return false
	}
	if _, found := slices.BinarySearch(s.sorted, h); found {
		return false
	}
	if s.recent == nil {
		s.recent = make(map[uint64]struct{}, recentMax)
	}
	s.recent[h] = struct{}{}
	if len(s.recent) >= recentMax {
		s.merge()
	}
	return true
}

// merge moves the recent additions into the sorted slice, merging from the
// back in place; the slice grows by an eighth at a time, not by doubling.
func (s *hashSet) merge() {
	add := make([]uint64, 0, len(s.recent))
	for h := range s.recent {
		add = append(add, h)
	}
	slices.Sort(add)
	clear(s.recent)
	n, total := len(s.sorted), len(s.sorted)+len(add)
	if total > cap(s.sorted) {
		grown := make([]uint64, n, total+total/8)
		copy(grown, s.sorted)
		s.sorted = grown
	}
	s.sorted = s.sorted[:total]
	i, j := n-1, len(add)-1
	for k := total - 1; j >= 0; k-- {
		if i >= 0 && s.sorted[i] > add[j] {
			s.sorted[k] = s.sorted[i]
			i--
		} else {
			s.sorted[k] = add[j]
			j--
		}
	}
}
