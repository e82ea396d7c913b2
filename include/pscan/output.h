/* output.h: one interface, several writers.
 *
 * Every writer receives the same events in the same order: begin, then
 * `port` for each open port as it is found (streaming), `host` once per
 * reported host when its results are complete, and `end`.  Writers flush
 * after each event, so a scan killed half-way leaves valid partial output.
 * The report (report.c) serialises calls: writers need no locking. */
#ifndef PSCAN_OUTPUT_H
#define PSCAN_OUTPUT_H

#include <stdio.h>

#include "pscan/config.h"
#include "pscan/err.h"
#include "pscan/result.h"

typedef struct ps_writer ps_writer;

struct ps_writer_ops {
    const char *name;
    /* Optional: set up after the file is open (load a policy, allocate priv). */
    int (*open)(ps_writer *w, const char *path, ps_err *e);
    void (*begin)(ps_writer *w, const ps_scan_info *info);
    void (*port)(ps_writer *w, const ps_addr *addr, const char *name, const ps_port_result *p);
    void (*host)(ps_writer *w, const ps_host_result *h);
    void (*end)(ps_writer *w, const ps_scan_summary *s);
    /* Optional: what this writer makes of the scan for the exit status
     * (0, or 3 for a policy violation). */
    int (*status)(ps_writer *w);
    void (*close)(ps_writer *w); /* optional: free priv */
};

struct ps_writer {
    const struct ps_writer_ops *ops;
    FILE *fp;
    int owns_fp;
    const ps_config *cfg;
    void *priv;
};

extern const struct ps_writer_ops ps_out_normal;

/* Open the writer for spec (path "-" = stdout). */
int ps_writer_open(ps_writer *w, const ps_output_spec *spec, const ps_config *cfg, ps_err *e);
void ps_writer_close(ps_writer *w);

/* The service name a row shows: the -sV result, else the registry's. */
const char *ps_port_service(const ps_port_result *p, char *buf, size_t len);

#endif
