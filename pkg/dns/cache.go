package dns

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// Cache is a Resolver that remembers every outcome of the resolver it wraps
// for the life of one run, and asks each distinct question (name, compared
// case-insensitively, and type) of that resolver once.
//
// Every answer is kept, NXDOMAIN and NODATA included, regardless of TTLs: a
// run takes seconds to minutes and must see one consistent DNS. Failures are
// kept too (a timeout, SERVFAIL), so that ten thousand domains sharing one
// dead include wait for its timeout once; the exception is a query abandoned
// by the callers' contexts, which is forgotten so the next caller asks again.
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

	questions, hits, shared atomic.Int64
}

type cacheKey struct {
	name  string // canonical
	qtype uint16
}

type cacheEntry struct {
	done chan struct{} // closed when ans and err are set
	ans  *Answer
	err  error

	// Guarded by Cache.mu until done is closed.
	waiters int
	cancel  context.CancelFunc // nil when the leader runs the query inline
}

// NewCache returns a Cache over next.
func NewCache(next Resolver) *Cache {
	return &Cache{next: next, entries: make(map[cacheKey]*cacheEntry)}
}

// Stats returns the cache's counters (Questions, CacheHits, Shared) added to
// those of the resolver it wraps, if that one reports any.
func (c *Cache) Stats() Stats {
	s := Stats{Questions: c.questions.Load(), CacheHits: c.hits.Load(), Shared: c.shared.Load()}
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
			c.hits.Add(1)
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
			c.hits.Add(1)
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
	e = &cacheEntry{done: make(chan struct{})}
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
	go c.fly(fctx, k, e)
	return c.wait(ctx, k, e)
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
