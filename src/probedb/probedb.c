/* probedb.c: the probe database as a container -- merging probes that
 * several files define, resolving fallbacks, and the read-only accessors
 * the scan engine uses.
 *
 * Files and directories are read in probedb_load.c, their text parsed in
 * probedb_parse.c, and replies matched in probedb_match.c; this file owns
 * what ties them together.
 *
 * Merging.  pscan's database is a directory of files, one per protocol
 * family, and most of them add match lines to the same NULL probe.  So a
 * Probe line naming a (protocol, name) pair we already have does not make
 * a second probe: it reopens the first one and later match lines append to
 * its list.  The payload must be the same bytes; a setting (rarity,
 * totalwaitms, tcpwrappedms) given in two places must have the same value;
 * ports, sslports and fallback names accumulate.  Probes keep the order in
 * which they were first defined.
 *
 * Fallback chains.  When a reply to probe P is matched, P's own lines are
 * tried first, then those of each probe on P's fallback lines (left to
 * right), then, for a TCP probe, the NULL probe's: a banner a service sends
 * on connect still identifies it when it arrives after some other probe.
 * UDP probes never fall back to NULL.  A fallback name is looked up among
 * probes of the same protocol first, then of the other one.  The chain is resolved to pointers at
 * the end of every load so matching does no name look-ups; a fallback name
 * that names no probe (yet) is skipped, and ps_probedb_check reports it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probedb_int.h"

ps_probedb *ps_probedb_new(void)
{
    ps_probedb *db = calloc(1, sizeof *db);
    if (!db) return NULL;
    db->mctx = pcre2_match_context_create(NULL);
    if (!db->mctx) {
        free(db);
        return NULL;
    }
    pcre2_set_match_limit(db->mctx, PS_PDB_MATCH_LIMIT);
    pcre2_set_depth_limit(db->mctx, PS_PDB_DEPTH_LIMIT);
    pcre2_set_heap_limit(db->mctx, PS_PDB_HEAP_LIMIT);
    pthread_mutex_init(&db->lazy_lock, NULL);
    return db;
}

void ps_pdb_match_free(ps_match *m)
{
    free(m->service);
    free(m->src);
    pcre2_code_free(m->re);
    for (int i = 0; i < PS_F_COUNT; i++) free(m->field[i]);
    for (int i = 0; i < m->ncpe; i++) free(m->cpe[i]);
}

static void probe_free(ps_probe *p)
{
    for (size_t i = 0; i < p->nmatches; i++) ps_pdb_match_free(&p->matches[i]);
    free(p->matches);
    for (int i = 0; i < p->nfallback; i++) free(p->fallback[i]);
    free(p->ports.r);
    free(p->sslports.r);
    free(p->payload);
    free(p->name);
    free(p->chain);
    free(p->byfirst);
    free(p->anyidx);
    free(p);
}

void ps_probedb_free(ps_probedb *db)
{
    if (!db) return;
    for (size_t i = 0; i < db->nprobes; i++) probe_free(db->probes[i]);
    free(db->probes);
    for (size_t i = 0; i < db->nfiles; i++) free(db->files[i]);
    free(db->files);
    free(db->exclude[0].r);
    free(db->exclude[1].r);
    pcre2_match_context_free(db->mctx);
    pthread_mutex_destroy(&db->lazy_lock);
    free(db);
}

const char *ps_pdb_file(const ps_probedb *db, ps_where w)
{
    return w.file < db->nfiles ? db->files[w.file] : "?";
}

/* Grow *arr (of *cap elements of size sz) to hold at least want. */
int ps_pdb_grow(void *arr, size_t *cap, size_t want, size_t sz)
{
    if (want <= *cap) return 0;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < want) n *= 2;
    void *p = realloc(*(void **)arr, n * sz);
    if (!p) return -1;
    *(void **)arr = p;
    *cap = n;
    return 0;
}

int ps_pdb_add_file(ps_probedb *db, const char *name, unsigned *fileno)
{
    if (ps_pdb_grow(&db->files, &db->capfiles, db->nfiles + 1, sizeof *db->files))
        return -1;
    char *copy = strdup(name);
    if (!copy) return -1;
    db->files[db->nfiles] = copy;
    *fileno = (unsigned)db->nfiles++;
    return 0;
}

ps_probe *ps_pdb_probe_get_or_add(ps_probedb *db, enum ps_proto proto,
                                  const char *name, ps_where w, int *created)
{
    *created = 0;
    for (size_t i = 0; i < db->nprobes; i++)
        if (db->probes[i]->proto == proto && strcmp(db->probes[i]->name, name) == 0)
            return db->probes[i];
    if (ps_pdb_grow(&db->probes, &db->capprobes, db->nprobes + 1, sizeof *db->probes))
        return NULL;
    ps_probe *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name))) {
        free(p);
        return NULL;
    }
    p->proto = proto;
    p->defined = w;
    db->probes[db->nprobes++] = p;
    *created = 1;
    return p;
}

/* Port range sets stay small (a ports line has a few dozen items), so a
 * plain list with a linear look-up is the simplest thing that works. */
int ps_pdb_rangeset_add(ps_rangeset *s, unsigned lo, unsigned hi)
{
    if (ps_pdb_grow(&s->r, &s->cap, s->n + 1, sizeof *s->r)) return -1;
    s->r[s->n].lo = (uint16_t)lo;
    s->r[s->n].hi = (uint16_t)hi;
    s->n++;
    return 0;
}

int ps_pdb_rangeset_has(const ps_rangeset *s, uint16_t port)
{
    for (size_t i = 0; i < s->n; i++)
        if (port >= s->r[i].lo && port <= s->r[i].hi) return 1;
    return 0;
}

static const ps_probe *find_probe(const ps_probedb *db, enum ps_proto proto,
                                  const char *name)
{
    for (size_t i = 0; i < db->nprobes; i++)
        if (db->probes[i]->proto == proto && strcmp(db->probes[i]->name, name) == 0)
            return db->probes[i];
    return NULL;
}

/* A fallback names a probe of the same protocol if there is one, else of
 * the other (nmap's DNSVersionBindReqTCP falls back to the UDP probe
 * DNSVersionBindReq, whose replies carry the same DNS message). */
static const ps_probe *find_fallback(const ps_probedb *db, enum ps_proto proto,
                                     const char *name)
{
    const ps_probe *q = find_probe(db, proto, name);
    return q ? q : find_probe(db, proto == PS_TCP ? PS_UDP : PS_TCP, name);
}

static int chain_add(ps_probe *p, const ps_probe *q)
{
    if (!q) return 0;
    for (size_t i = 0; i < p->nchain; i++)
        if (p->chain[i] == q) return 0;
    p->chain[p->nchain++] = q;
    return 0;
}

static inline int first_ok(const ps_match *m, unsigned b)
{
    return !m->has_first || (m->first[b >> 3] & (1u << (b & 7)));
}

/* Most regexes are anchored at the start of the reply and begin with a
 * known byte, so grouping a probe's matches by the reply's first byte lets
 * the matcher skip nearly all of them without looking (ps_probe.byfirst). */
static int index_first_bytes(ps_probe *p)
{
    if (p->byfirst && p->nindexed == p->nmatches) return 0;
    /* A counting sort of the filtered matches into the buckets of their
     * first bytes, in match order; the unfiltered ones in a list of their
     * own, which the matcher merges in by index. */
    size_t count[256] = {0}, total = 0, nany = 0;
    for (size_t i = 0; i < p->nmatches; i++) {
        const ps_match *m = &p->matches[i];
        if (!m->has_first) {
            nany++;
            continue;
        }
        for (unsigned w = 0; w < 32; w++)
            for (unsigned bits = m->first[w], b = w * 8; bits; bits >>= 1, b++) count[b] += bits & 1;
    }
    for (unsigned b = 0; b < 256; b++) total += count[b];
    if (total > UINT32_MAX) return -1;
    uint32_t *idx = realloc(p->byfirst, (total ? total : 1) * sizeof *idx);
    if (idx) p->byfirst = idx;
    uint32_t *any = realloc(p->anyidx, (nany ? nany : 1) * sizeof *any);
    if (any) p->anyidx = any;
    if (!idx || !any) return -1;
    uint32_t pos[256], n = 0;
    for (unsigned b = 0; b < 256; b++) {
        p->off[b] = pos[b] = n;
        n += (uint32_t)count[b];
    }
    p->off[256] = n;
    p->nany = 0;
    for (size_t i = 0; i < p->nmatches; i++) {
        const ps_match *m = &p->matches[i];
        if (!m->has_first) {
            any[p->nany++] = (uint32_t)i;
            continue;
        }
        for (unsigned w = 0; w < 32; w++)
            for (unsigned bits = m->first[w], b = w * 8; bits; bits >>= 1, b++)
                if (bits & 1) idx[pos[b]++] = (uint32_t)i;
    }
    p->nindexed = p->nmatches;
    return 0;
}

/* Rebuild every probe's fallback chain (see the top of this file) and
 * first-byte index. */
int ps_pdb_resolve(ps_probedb *db)
{
    const ps_probe *null_tcp = find_probe(db, PS_TCP, "NULL");
    for (size_t i = 0; i < db->nprobes; i++) {
        ps_probe *p = db->probes[i];
        const ps_probe **c = realloc(p->chain, (size_t)(p->nfallback + 2) * sizeof *c);
        if (!c) return -1;
        p->chain = c;
        p->nchain = 0;
        chain_add(p, p);
        for (int f = 0; f < p->nfallback; f++)
            chain_add(p, find_fallback(db, p->proto, p->fallback[f]));
        if (p->proto == PS_TCP) chain_add(p, null_tcp);
        if (index_first_bytes(p)) return -1;
    }
    return 0;
}

int ps_probedb_check(const ps_probedb *db, ps_err *e)
{
    for (size_t i = 0; i < db->nprobes; i++) {
        const ps_probe *p = db->probes[i];
        for (int f = 0; f < p->nfallback; f++)
            if (!find_fallback(db, p->proto, p->fallback[f]))
                return ps_fail(e, PS_EINPUT, "%s:%u: fallback '%s' names no probe",
                               ps_pdb_file(db, p->fallback_where[f]),
                               p->fallback_where[f].line, p->fallback[f]);
    }
    return PS_OK;
}

size_t ps_probedb_count(const ps_probedb *db)
{
    return db ? db->nprobes : 0;
}

const ps_probe *ps_probedb_get(const ps_probedb *db, size_t i)
{
    return db && i < db->nprobes ? db->probes[i] : NULL;
}

const ps_probe *ps_probedb_find(const ps_probedb *db, enum ps_proto proto,
                                const char *name)
{
    return db && name ? find_probe(db, proto, name) : NULL;
}

int ps_probedb_excluded(const ps_probedb *db, enum ps_proto proto, uint16_t port)
{
    if (!db || (proto != PS_TCP && proto != PS_UDP)) return 0;
    return ps_pdb_rangeset_has(&db->exclude[proto], port);
}

size_t ps_probedb_nmatches(const ps_probedb *db)
{
    return db ? db->nmatches : 0;
}

const char *ps_probe_name(const ps_probe *p) { return p->name; }
enum ps_proto ps_probe_proto(const ps_probe *p) { return p->proto; }

const uint8_t *ps_probe_payload(const ps_probe *p, size_t *len)
{
    if (len) *len = p->paylen;
    return p->payload ? p->payload : (const uint8_t *)"";
}

int ps_probe_rarity(const ps_probe *p)
{
    if (p->rarity.set) return p->rarity.value;
    return p->proto == PS_TCP && strcmp(p->name, "NULL") == 0 ? 1 : 5;
}

int ps_probe_totalwaitms(const ps_probe *p) { return p->totalwaitms.value; }
int ps_probe_tcpwrappedms(const ps_probe *p) { return p->tcpwrappedms.value; }
int ps_probe_no_payload(const ps_probe *p) { return p->no_payload; }
size_t ps_probe_nmatches(const ps_probe *p) { return p->nmatches; }

int ps_probe_on_port(const ps_probe *p, uint16_t port)
{
    return ps_pdb_rangeset_has(&p->ports, port);
}

int ps_probe_on_sslport(const ps_probe *p, uint16_t port)
{
    return ps_pdb_rangeset_has(&p->sslports, port);
}

size_t ps_probe_nfallbacks(const ps_probe *p)
{
    return p->nchain > 0 ? p->nchain - 1 : 0;
}

const ps_probe *ps_probe_fallback(const ps_probe *p, size_t i)
{
    return i + 1 < p->nchain ? p->chain[i + 1] : NULL;
}
