/* list.c: the list scan (-sL).  Every address a scan of these targets
 * would probe, after --exclude, the special-address rule and the size
 * limit (all applied by the CLI when it built the set), in the set's
 * order, and nothing sent.  The names shown are the ones the user gave;
 * with -R, the resolver's PTR name for each address instead, escaped like
 * any other text from the network. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pscan/escape.h"
#include "pscan/output.h"

#include "app_int.h"

enum { LIST_MAX_OUT = PS_MAX_OUTPUTS + 1 };

struct list_out {
    FILE *fp;
    const char *path; /* "-" is standard output */
    enum ps_output_format format;
};

static int open_outputs(const ps_config *cfg, struct list_out *o, int *n, ps_err *e)
{
    int stdout_taken = 0;
    *n = 0;
    for (int i = 0; i < cfg->noutputs; i++) {
        const ps_output_spec *s = &cfg->outputs[i];
        FILE *fp = strcmp(s->path, "-") == 0 ? stdout : fopen(s->path, "w");
        if (!fp) return ps_fail(e, PS_EINPUT, "cannot write '%s': %s", s->path, strerror(errno));
        stdout_taken |= fp == stdout;
        o[(*n)++] = (struct list_out){fp, s->path, s->format};
    }
    if (!stdout_taken) o[(*n)++] = (struct list_out){stdout, "-", PS_OUT_NORMAL};
    return PS_OK;
}

/* Close everything; the first failure to write names its file. */
static int close_outputs(struct list_out *o, int n, ps_err *e)
{
    int rc = PS_OK;
    for (int i = 0; i < n; i++) {
        int bad = fflush(o[i].fp) != 0 || ferror(o[i].fp);
        int err = errno;
        if (o[i].fp != stdout && fclose(o[i].fp) != 0 && !bad) {
            bad = 1;
            err = errno;
        }
        if (bad && !rc)
            rc = ps_fail(e, PS_ERUNTIME, "cannot write %s: %s", strcmp(o[i].path, "-") ? o[i].path : "standard output",
                         strerror(err));
    }
    return rc;
}

/* The name to show for a: the user's, or with -R the PTR name (NULL: none). */
static const char *name_of(const ps_cli *cli, const ps_addr *a, char *buf, size_t len)
{
    const char *given = ps_targets_name(cli->targets, a);
    if (given || !cli->cfg.reverse_dns) return given;
    struct sockaddr_storage ss;
    socklen_t sl = ps_addr_to_sockaddr(a, 0, &ss);
    if (getnameinfo((struct sockaddr *)&ss, sl, buf, (socklen_t)len, NULL, 0, NI_NAMEREQD) != 0) return NULL;
    return buf;
}

static void write_target(const struct list_out *o, const ps_addr *a, const char *name)
{
    char addr[PS_ADDRSTRLEN];
    ps_addr_str(a, addr, sizeof addr);
    if (o->format == PS_OUT_JSON) {
        fprintf(o->fp, "{\"schema\":1,\"type\":\"target\",\"addr\":\"%s\"", addr);
        if (name) {
            fputs(",\"name\":\"", o->fp);
            ps_esc_puts(o->fp, name, PS_ESC_JSON);
            fputc('"', o->fp);
        }
        fputs("}\n", o->fp);
    } else if (name) {
        fputs("pscan scan report for ", o->fp);
        ps_esc_puts(o->fp, name, PS_ESC_TEXT);
        fprintf(o->fp, " (%s)\n", addr);
    } else {
        fprintf(o->fp, "pscan scan report for %s\n", addr);
    }
}

int ps_app_list(const ps_cli *cli, ps_err *e)
{
    struct list_out o[LIST_MAX_OUT];
    int n, rc = open_outputs(&cli->cfg, o, &n, e);
    uint64_t count = ps_targets_count(cli->targets), special = ps_targets_special_removed(cli->targets);
    for (int i = 0; !rc && i < n; i++)
        if (o[i].format == PS_OUT_NORMAL)
            fprintf(o[i].fp, "Starting pscan %s: list scan of %llu address%s, nothing is sent\n", PSCAN_VERSION,
                    (unsigned long long)count, count == 1 ? "" : "es");
    for (uint64_t k = 0; !rc && k < count; k++) {
        ps_addr a;
        char buf[NI_MAXHOST];
        ps_targets_get(cli->targets, k, &a);
        const char *name = name_of(cli, &a, buf, sizeof buf);
        for (int i = 0; i < n; i++) write_target(&o[i], &a, name);
    }
    for (int i = 0; !rc && i < n; i++)
        if (o[i].format == PS_OUT_NORMAL)
            fprintf(o[i].fp, "pscan done: %llu IP address%s listed (%llu special address%s skipped)\n",
                    (unsigned long long)count, count == 1 ? "" : "es", (unsigned long long)special,
                    special == 1 ? "" : "es");
    int crc = close_outputs(o, n, e);
    return rc ? rc : crc;
}
