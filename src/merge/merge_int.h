/* merge_int.h: what the parts of pscan merge share (private to
 * src/merge/): the inputs and their pieces (merge_read.c), which pairs a
 * piece scanned (merge_cover.c), one host put back together
 * (merge_host.c), and the command (merge.c). */
#ifndef PSCAN_MERGE_INT_H
#define PSCAN_MERGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/addr.h"
#include "pscan/err.h"
#include "pscan/json.h"
#include "pscan/output.h"
#include "pscan/permute.h"
#include "pscan/ports.h"
#include "pscan/result.h"

/* What every part of one scan must agree on, from its "scan" line. */
struct scan_id {
    char version[32], scan_type[24], seed_text[24], spec[24];
    uint64_t seed, hosts, ports;
    unsigned shards;
    int version_detect, open_only;
    char tcp_ports[1024], udp_ports[1024];
};

/* What a piece (one run of one shard: a "scan" line up to its "summary")
 * covered of one protocol's order.  whole: all of its shard's slice. */
struct piece_cover {
    int whole, by_host;
    uint64_t lo, hi;
};

struct piece {
    int file;             /* index into the inputs */
    int line;             /* of its "scan" line, for messages */
    unsigned shard, run;  /* 1-based */
    int ended;            /* a "summary" line came */
    int interrupted;      /* it said so */
    int used;             /* part of the attempt merged */
    struct piece_cover cover[2];
    const struct piece_cover *prev_cover; /* the run before it in its attempt */
    double elapsed;
    uint64_t pairs, stopped; /* from its summary (stopped: its "interrupted" pairs) */
    struct timespec start;
    const char *scan_text; /* its "scan" line in the input */
    size_t scan_len;
    size_t from, to;      /* its other lines: bytes [from, to) of its file */
    uint64_t last;        /* the target index of its last host line */
    uint64_t nhost_lines;
    int unsorted;         /* its host lines are not in target order */
};

/* A "host" or "port" line of a piece, where it lies in its file. */
struct line_ref {
    uint64_t index;       /* the host's target index */
    uint32_t piece;
    uint32_t seq;         /* order read, for "latest wins" */
    uint16_t port;
    uint8_t proto;
    ps_addr addr;         /* the host */
    const char *text;
    size_t len;
};

struct input {
    const char *path;
    char *map;
    size_t len;
};

typedef struct merge {
    struct input *in;
    int nin;
    struct piece *pc;
    size_t npc, cappc;
    struct line_ref *hosts, *ports; /* host lines (when read back unsorted), port lines */
    size_t nhosts, nports, capp;
    int have_id;
    struct scan_id id;
    ps_ports plist;       /* the scan's ports */
    uint16_t eph_lo, eph_hi;
    unsigned *missing;    /* shards with no finished attempt (--partial) */
    unsigned nmissing;
    int partial;          /* --partial */
    ps_slice whole[2];    /* each protocol's whole order (shard 1 of 1) */
    size_t *by_shard;     /* used pieces of shard k: by_shard[at[k] .. at[k+1]) */
    size_t *at;
    uint32_t seq;
    ps_json js;
} merge;

/* Reading one piece's host lines again, in the order written. */
struct mg_cursor {
    size_t piece, pos;
    int has;              /* cur holds a line */
    struct line_ref cur;
};

/* merge_read.c.  mg_drop_pages: give the inputs' mapped pages back (they
 * are read again from the page cache when touched), between hosts. */
enum { MG_DROP_EVERY = 16 << 20 };
int mg_read(merge *m, const char *path, ps_err *e);
/* Room for one more of n items of size bytes in *v (capacity *cap,
 * doubled as needed): 1, or 0 when out of memory. */
int mg_grow(void **v, size_t n, size_t *cap, size_t size);
/* A JSON number that is a whole count (0 .. 2^53): 1 with *out, else 0. */
int mg_num(const ps_json *j, size_t node, uint64_t *out);
void mg_drop_pages(merge *m);
int mg_choose(merge *m, ps_err *e);
/* The next host line of c's piece into c->cur (c->has 0 at its end). */
void mg_next_host(merge *m, struct mg_cursor *c);
void mg_free(merge *m);

/* merge_cover.c: which used piece scanned port i (0 .. ntcp+nudp-1) of
 * host idx: its index, or -1 with *why the reason nobody did
 * (PS_NS_SHARD: a shard not given, PS_NS_STOPPED: its shard stopped
 * first). */
int mg_cover_init(merge *m, ps_err *e);
long mg_who_scanned(const merge *m, uint64_t idx, size_t i, int *why);

/* merge_host.c: the lines of one host (refs[0, n), all its index, in
 * order read) and its port lines written as one host; adds to the summary.
 * PS_EINPUT when the parts disagree about it. */
int mg_host(merge *m, ps_writer *w, const struct line_ref *refs, size_t n, const struct line_ref *ports,
            size_t nports, ps_scan_summary *sum, ps_err *e);

#endif
