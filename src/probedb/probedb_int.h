/* probedb_int.h: the private shape of a probe database, shared by the
 * container (probedb.c), the loader (probedb_load.c), the line parser
 * (probedb_parse.c) and the matcher (probedb_match.c).  Nothing outside
 * src/probedb/ (and its unit tests) sees these structs.
 *
 * Lifetime: a database is mutable only while a load function runs; after
 * that every field is read-only, which is what lets ps_probe_match run on
 * the same database from several threads at once.  Per-call state (the
 * PCRE2 match data) lives on the caller's side of ps_probe_match. */
#ifndef PSCAN_PROBEDB_INT_H
#define PSCAN_PROBEDB_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "pscan/probedb.h"

/* Limits.  They bound what one line, file or reply can cost. */
#define PS_PDB_MAX_FILE (64u << 20)   /* bytes in one probe file */
#define PS_PDB_MAX_FALLBACKS 20       /* names on fallback lines of one probe */
#define PS_PDB_MAX_CPE 16             /* cpe: fields on one match line */
#define PS_PDB_MATCH_LIMIT 200000u    /* pcre2 match limit per regex run */
#define PS_PDB_DEPTH_LIMIT 20000u     /* pcre2 backtracking depth (interpreter) */
#define PS_PDB_HEAP_LIMIT 16384u      /* pcre2 heap, KiB (interpreter) */

/* Version fields of a match line, in ps_service_info order. */
enum { PS_F_PRODUCT, PS_F_VERSION, PS_F_INFO, PS_F_HOST, PS_F_OS, PS_F_DEVICE,
       PS_F_COUNT };

/* Where a line came from: an index into db->files and a line number. */
typedef struct ps_where {
    unsigned file;
    unsigned line;
} ps_where;

typedef struct ps_match {
    char *service;
    pcre2_code *re;
    int soft;
    char *field[PS_F_COUNT]; /* templates, NULL when absent */
    char *cpe[PS_PDB_MAX_CPE];
    int ncpe;
    /* Cheap pre-checks derived from the compiled regex at load time: a
     * reply shorter than minlen cannot match, and for a regex anchored at
     * the start the first reply byte must be in first[] when has_first. */
    uint32_t minlen;
    int has_first;
    uint8_t first[32];
    ps_where where;
    /* A big file's regexes are compiled on first use (probedb_lazy.c): its
     * text until then; re is published atomically once compiled, bad set
     * when it fails (the line is then skipped). */
    char *src;
    size_t srclen;
    uint32_t opts;
    int bad;
} ps_match;

typedef struct ps_range {
    uint16_t lo, hi;
} ps_range;

typedef struct ps_rangeset {
    ps_range *r;
    size_t n, cap;
} ps_rangeset;

/* A probe setting that may be given once and must agree when merged. */
typedef struct ps_setting {
    int value;
    int set;
    ps_where where;
} ps_setting;

struct ps_probe {
    char *name;
    enum ps_proto proto;
    uint8_t *payload;
    size_t paylen;
    int no_payload;
    ps_where defined; /* first Probe line */
    ps_setting rarity, totalwaitms, tcpwrappedms;
    ps_rangeset ports, sslports;
    char *fallback[PS_PDB_MAX_FALLBACKS];
    ps_where fallback_where[PS_PDB_MAX_FALLBACKS];
    int nfallback;
    ps_match *matches;
    size_t nmatches, capmatches;
    /* First-byte index: the matches whose regex admits a reply starting
     * with byte b are byfirst[off[b] .. off[b+1]), in file order; those
     * with no first-byte filter are anyidx[0 .. nany), and the matcher
     * merges the two.  Rebuilt at the end of every load, like chain. */
    uint32_t *byfirst;
    uint32_t *anyidx; /* the matches any first byte may start, in file order */
    size_t nany;
    uint32_t off[257];
    size_t nindexed; /* nmatches when byfirst was built */
    /* The probes whose matches a reply to this probe is tried against, in
     * order: itself, its resolved fallbacks, then (TCP) the NULL probe.
     * Rebuilt at the end of every load. */
    const ps_probe **chain;
    size_t nchain;
};

struct ps_probedb {
    ps_probe **probes; /* pointers, so a ps_probe * stays valid as we grow */
    size_t nprobes, capprobes;
    char **files; /* names of loaded files, for ps_where */
    size_t nfiles, capfiles;
    ps_rangeset exclude[2]; /* by enum ps_proto */
    size_t nmatches;
    uint32_t max_groups; /* largest capture count of any regex (a bound for lazy ones) */
    pcre2_match_context *mctx;
    pthread_mutex_t lazy_lock; /* first-use compiles of lazy regexes */
    size_t nlazy, nlazy_done, nlazy_bad;
    int lazy; /* the file being parsed compiles its regexes on first use */
};

/* probedb_lazy.c: regexes compiled on first use. */
/* Files with more match lines than this load lazily (nmap's has ~12,000;
 * compiling them all would cost a -sV run a quarter of a second). */
#define PS_PDB_LAZY_LINES 2000
/* Prepare m (regex text re[0, len), PCRE2 options opts) to compile on
 * first use: keep the text, derive the first-byte filter from it, bound
 * its capture count.  -1 when out of memory. */
int ps_pdb_lazy_prepare(ps_probedb *db, ps_match *m, const char *re, size_t len, uint32_t opts);
/* m's compiled regex, compiling it now if it is lazy; NULL when it does
 * not compile (it is skipped from then on). */
const pcre2_code *ps_pdb_regex(const ps_probedb *db, const ps_match *m);

/* probedb_parse.c: parse one file's text into db.  fileno indexes
 * db->files; errors name "file:line". */
int ps_pdb_parse(ps_probedb *db, unsigned fileno, const char *buf, size_t len,
                 ps_err *e);

/* probedb.c helpers for the loader and the parser. */
/* Grow *arr (of *cap elements of size sz) to hold at least want; -1: no memory. */
int ps_pdb_grow(void *arr, size_t *cap, size_t want, size_t sz);
/* Remember a file's name; *fileno indexes db->files.  -1: no memory. */
int ps_pdb_add_file(ps_probedb *db, const char *name, unsigned *fileno);
/* Rebuild every probe's fallback chain and first-byte index.  -1: no memory. */
int ps_pdb_resolve(ps_probedb *db);
const char *ps_pdb_file(const ps_probedb *db, ps_where w);
ps_probe *ps_pdb_probe_get_or_add(ps_probedb *db, enum ps_proto proto,
                                  const char *name, ps_where w, int *created);
int ps_pdb_rangeset_add(ps_rangeset *s, unsigned lo, unsigned hi);
int ps_pdb_rangeset_has(const ps_rangeset *s, uint16_t port);
void ps_pdb_match_free(ps_match *m);

/* probedb_match.c: expand one template.  With subject NULL it only checks the
 * syntax (load time) and returns PS_OK or PS_EINPUT with a message naming
 * the bad token.  Otherwise it writes the expansion, escaped to printable
 * ASCII and truncated to outsz, into out; cpe selects the CPE rules
 * (captured text lower-cased, spaces to '_', URI specials %-escaped). */
int ps_pdb_expand(const char *tmpl, const uint8_t *subject, size_t sublen,
                  const size_t *ovector, uint32_t npairs, int cpe, char *out,
                  size_t outsz, ps_err *e);

#endif
