package dns

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a Resolver that remembers the outcomes of the resolver it wraps
// for one run, and asks each distinct question (name, compared
// case-insensitively, and type) of that resolver once while its outcome is
// kept.
//
// Answers are kept regardless of TTLs, NXDOMAIN and NODATA included: a run
// takes seconds to minutes and should see one consistent DNS. Failures are
// kept too (a timeout, SERVFAIL), so that ten thousand domains sharing one
// dead include wait for its timeout once; the exception is a query abandoned
// by the callers' contexts, which is forgotten so the next caller asks again.
//
// What is kept is bounded by size (CacheOptions.MaxBytes, an estimate of the
// memory the answers take), so a run over a million domains uses the memory
// of a run over a thousand. The eviction is a segmented LRU with lazy
// promotion: a new outcome enters a probation segment; one asked for again
// while kept moves to a protected segment (at most 80% of the bound) when
// the eviction reaches it, rather than being evicted. Records that every
// domain of a run shares, such as a platform's SPF include chain, its DMARC
// report authorisations or its MX hosts, so stay kept however many
// one-domain answers pass through, and a one-time scan cannot flush them. An
// outcome evicted and asked for again is asked of the wrapped resolver
// again.
//
// Concurrent identical questions share one query in flight. That query runs
// detached from any one caller's context: a caller whose context ends gets
// its context's error at once while the others keep waiting, and the query
// is cancelled only when every caller waiting for it has gone.
//
// Each caller gets its own copy of the Answer and of its Records and CNAMEs
// slices, so sorting, appending or assigning fields does not affect other
// callers. The values inside records (the Strings slices, the RR) are
// shared: callers must not modify them.
//
// It is safe for concurrent use.
type Cache struct {
	next Resolver

	mu      sync.RWMutex
	entries map[cacheKey]*cacheEntry
	// The kept outcomes, in two segments (see Cache), each a ring with a
	// sentinel: next is towards the most recently inserted.
	probation, protected cacheEntry
	size, protectedSize  int64 // estimated bytes kept, all and protected
	maxBytes             int64 // < 0: no bound

	flights chan flight // to the idle flyers (see launch)

	questions, hits, shared, evictions atomic.Int64
}

// DefaultCacheBytes is the default bound of a Cache: about 8,000 answers of
// one TXT record, twelve times the answers in flight when 64 domains are
// checked at once (each asks about eleven questions). A caller checking
// thousands of domains at once should raise it (CacheOptions.MaxBytes) to
// some 32 KiB per domain in flight, so answers are not evicted before the
// checks of their domain have read them.
const DefaultCacheBytes = 8 << 20

// CacheOptions tune a Cache.
type CacheOptions struct {
	// MaxBytes bounds the memory the kept outcomes take, as estimated from
	// their records. 0 means DefaultCacheBytes; a negative value keeps
	// every outcome for the life of the Cache.
	MaxBytes int64
}

type cacheKey struct {
	name  string // canonical
	qtype uint16
}

type cacheEntry struct {
	ansName string // the key, for the eviction
	qtype   uint16
	done    chan struct{} // closed when ans and err are set
	ans     *Answer
	err     error

	// Guarded by Cache.mu until done is closed.
	waiters int
	cancel  context.CancelFunc // nil when the leader runs the query inline

	// Set on a hit; read and cleared by the eviction (see Cache).
	used atomic.Bool
	// Guarded by Cache.mu: the segment's ring, when the outcome is kept.
	prev, next *cacheEntry
	protected  bool
	size       int64
}

// NewCache returns a Cache over next, bounded by DefaultCacheBytes.
func NewCache(next Resolver) *Cache {
	return NewCacheWith(next, CacheOptions{})
}

// NewCacheWith returns a Cache over next with the given options.
func NewCacheWith(next Resolver, opts CacheOptions) *Cache {
	c := &Cache{next: next, entries: make(map[cacheKey]*cacheEntry), maxBytes: opts.MaxBytes, flights: make(chan flight)}
	if c.maxBytes == 0 {
		c.maxBytes = DefaultCacheBytes
	}
	c.probation.prev, c.probation.next = &c.probation, &c.probation
	c.protected.prev, c.protected.next = &c.protected, &c.protected
	return c
}

// Len returns the number of outcomes kept and their estimated size in
// bytes.
func (c *Cache) Len() (n int, bytes int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for e := c.probation.next; e != &c.probation; e = e.next {
		n++
	}
	for e := c.protected.next; e != &c.protected; e = e.next {
		n++
	}
	return n, c.size
}

// Stats returns the cache's counters (Questions, CacheHits, Shared) added to
// those of the resolver it wraps, if that one reports any.
func (c *Cache) Stats() Stats {
	s := Stats{Questions: c.questions.Load(), CacheHits: c.hits.Load(), Shared: c.shared.Load(), Evictions: c.evictions.Load()}
	if sr, ok := c.next.(StatsReporter); ok {
		s = s.Add(sr.Stats())
	}
	return s
}

// Query implements Resolver.
func (c *Cache) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	c.questions.Add(1)
	k := cacheKey{CanonicalName(name), qtype}
	// Fast path: a hit, under the read lock. (An invalid name is never
	// stored, so it cannot hit.)
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if ok {
		select {
		case <-e.done:
			c.hit(e)
			return cacheCopy(e.ans), e.err
		default:
		}
	}
	if err := CheckQueryName(name); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		select {
		case <-e.done:
			c.mu.Unlock()
			c.hit(e)
			return cacheCopy(e.ans), e.err
		default:
		}
		e.waiters++
		c.mu.Unlock()
		c.shared.Add(1)
		return c.wait(ctx, k, e)
	}
	if err := ctx.Err(); err != nil {
		c.mu.Unlock()
		return nil, &Error{Name: k.name, Type: qtype, RCode: -1, Err: err}
	}
	e = &cacheEntry{done: make(chan struct{}), ansName: k.name, qtype: k.qtype}
	c.entries[k] = e
	if ctx.Done() == nil {
		// The caller cannot go away: ask inline, saving a goroutine.
		c.mu.Unlock()
		c.fly(ctx, k, e)
		return cacheCopy(e.ans), e.err
	}
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	e.waiters = 1
	c.mu.Unlock()
	c.launch(flight{fctx, k, e})
	return c.wait(ctx, k, e)
}

// flight is a query to run detached from its callers.
type flight struct {
	ctx context.Context
	k   cacheKey
	e   *cacheEntry
}

// cacheFlyerIdle is how long a flyer goroutine waits for more work.
const cacheFlyerIdle = time.Second

// launch runs f on an idle flyer goroutine, or on a new one. Flyers are
// kept for more queries: a fresh goroutine starts with a small stack and
// grows it (copying it each time) down the resolver and the DNS message
// parser, which in a bulk run cost a tenth of the CPU.
func (c *Cache) launch(f flight) {
	select {
	case c.flights <- f:
	default:
		go c.flyer(f)
	}
}

func (c *Cache) flyer(f flight) {
	var t *time.Timer
	for {
		c.fly(f.ctx, f.k, f.e)
		f = flight{}
		if t == nil {
			t = time.NewTimer(cacheFlyerIdle)
		} else {
			t.Reset(cacheFlyerIdle)
		}
		select {
		case f = <-c.flights:
			t.Stop()
		case <-t.C:
			return
		}
	}
}

// fly asks next and publishes the outcome.
func (c *Cache) fly(ctx context.Context, k cacheKey, e *cacheEntry) {
	ans, err := c.next.Query(ctx, k.name, k.qtype)
	c.mu.Lock()
	e.ans, e.err = ans, err
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// Abandoned, or a failure caused by a context rather than by
		// the DNS: do not keep it.
		if c.entries[k] == e {
			delete(c.entries, k)
		}
	} else if c.entries[k] == e {
		c.keep(k, e)
	}
	close(e.done)
	c.mu.Unlock()
	if e.cancel != nil {
		e.cancel()
	}
}

// wait waits for e or for the caller's context.
func (c *Cache) wait(ctx context.Context, k cacheKey, e *cacheEntry) (*Answer, error) {
	select {
	case <-e.done:
		return cacheCopy(e.ans), e.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	select {
	case <-e.done:
		// Finished meanwhile: the answer is there, take it.
		c.mu.Unlock()
		return cacheCopy(e.ans), e.err
	default:
	}
	e.waiters--
	if e.waiters == 0 && e.cancel != nil {
		// Nobody wants it any more: stop the query and let the next
		// caller start afresh.
		e.cancel()
		if c.entries[k] == e {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
	return nil, &Error{Name: k.name, Type: k.qtype, RCode: -1, Err: ctx.Err()}
}

// hit counts a hit on e and marks it used, for the eviction.
func (c *Cache) hit(e *cacheEntry) {
	c.hits.Add(1)
	if !e.used.Load() {
		e.used.Store(true)
	}
}

// keep inserts the finished entry e into the probation segment and evicts
// what the bound requires. Called with c.mu held.
func (c *Cache) keep(k cacheKey, e *cacheEntry) {
	if c.maxBytes < 0 {
		return // unbounded: the map is enough
	}
	e.size = cacheEntrySize(k, e)
	ringInsert(&c.probation, e)
	c.size += e.size
	for c.size > c.maxBytes {
		if !c.evictOne() {
			break
		}
	}
}

// evictOne removes one kept outcome: the oldest of probation not used since
// it was inserted (a used one moves to protected), or, with probation
// empty, the oldest of protected (a used one gets another round). Protected
// is kept to 80% of the bound by moving its oldest entries back to
// probation. Called with c.mu held; false when nothing can be evicted.
func (c *Cache) evictOne() bool {
	for guard := 0; ; guard++ {
		e := c.probation.prev
		fromProtected := false
		if e == &c.probation {
			e = c.protected.prev
			if e == &c.protected {
				return false
			}
			fromProtected = true
		}
		// Every entry is looked at a bounded number of times: a used one
		// loses its mark when it moves, and after two passes everything
		// goes.
		if e.used.Load() && guard < 2*len(c.entries)+2 {
			e.used.Store(false)
			ringRemove(e)
			if !e.protected {
				e.protected = true
				c.protectedSize += e.size
			}
			ringInsert(&c.protected, e)
			for c.protectedSize > c.maxBytes/5*4 {
				old := c.protected.prev
				if old == e {
					break
				}
				ringRemove(old)
				old.protected = false
				c.protectedSize -= old.size
				ringInsert(&c.probation, old)
			}
			continue
		}
		ringRemove(e)
		if fromProtected || e.protected {
			e.protected = false
			c.protectedSize -= e.size
		}
		c.size -= e.size
		k := cacheKey{e.ansName, e.qtype}
		if c.entries[k] == e {
			delete(c.entries, k)
		}
		c.evictions.Add(1)
		return true
	}
}

func ringInsert(head, e *cacheEntry) {
	e.prev, e.next = head, head.next
	head.next.prev = e
	head.next = e
}

func ringRemove(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

// cacheEntrySize estimates the bytes an outcome holds: the structures, the
// strings, and the miekg/dns record each Record keeps.
func cacheEntrySize(k cacheKey, e *cacheEntry) int64 {
	n := int64(200 + len(k.name)) // the entry, the map slot, the key
	if e.err != nil {
		n += 200
	}
	if a := e.ans; a != nil {
		n += 160 + int64(len(a.Source))
		for _, cn := range a.CNAMEs {
			n += 16 + int64(len(cn))
		}
		for i := range a.Records {
			r := &a.Records[i]
			// The Record, and its RR: a header, the owner name again,
			// and the data in wire-decoded form.
			n += 300 + 2*int64(len(r.Name)) + int64(len(r.Data)) + int64(len(r.Target))
			for _, s := range r.Strings {
				n += 2 * (16 + int64(len(s)))
			}
		}
	}
	return n
}

// cacheCopy returns a copy of a that a caller may modify without affecting
// the cached one (see Cache).
func cacheCopy(a *Answer) *Answer {
	if a == nil {
		return nil
	}
	cp := *a
	cp.Records = slices.Clone(a.Records)
	cp.CNAMEs = slices.Clone(a.CNAMEs)
	return &cp
}
