/* probedb_load.c: reading probe files (probedb.h): one buffer, one file,
 * or every *.probes file of a directory in name order.  Each file's text
 * is parsed (probedb_parse.c) into the container, whose fallback chains
 * are then resolved again (probedb.c). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probedb_int.h"

/* Lines starting with "match " or "softmatch ", roughly (a cheap scan). */
static size_t count_match_lines(const char *buf, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; buf && i < len; i++) {
        if (i && buf[i - 1] != '\n') continue;
        if ((len - i >= 6 && memcmp(buf + i, "match ", 6) == 0) ||
            (len - i >= 10 && memcmp(buf + i, "softmatch ", 10) == 0))
            n++;
    }
    return n;
}

int ps_probedb_load_buf(ps_probedb *db, const char *name, const char *buf,
                        size_t len, ps_err *e)
{
    unsigned fileno;
    if (!name) name = "(buffer)";
    if (!db || (!buf && len)) return ps_fail(e, PS_EINPUT, "%s: no database or buffer", name);
    if (ps_pdb_add_file(db, name, &fileno))
        return ps_fail(e, PS_ERUNTIME, "%s: out of memory", name);
    db->lazy = count_match_lines(buf, len) > PS_PDB_LAZY_LINES;
    int rc = ps_pdb_parse(db, fileno, buf ? buf : "", len, e);
    db->lazy = 0;
    if (ps_pdb_resolve(db) && rc == PS_OK)
        rc = ps_fail(e, PS_ERUNTIME, "%s: out of memory", name);
    return rc;
}

int ps_probedb_load_file(ps_probedb *db, const char *path, ps_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ps_fail(e, PS_EINPUT, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = PS_OK, err = 0;
    while (buf) {
        if (len == cap) {
            if (cap >= PS_PDB_MAX_FILE) {
                rc = ps_fail(e, PS_EINPUT, "%s: larger than %u MiB", path,
                             PS_PDB_MAX_FILE >> 20);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        errno = 0;
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            err = errno;
            break;
        }
    }
    if (!buf) rc = ps_fail(e, PS_ERUNTIME, "%s: out of memory", path);
    else if (rc == PS_OK && ferror(f)) /* a directory: EISDIR */
        rc = ps_fail(e, PS_EINPUT, "%s: %s", path, err ? strerror(err) : "read error");
    fclose(f);
    if (rc == PS_OK) rc = ps_probedb_load_buf(db, path, buf, len, e);
    free(buf);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ps_probedb_load_dir(ps_probedb *db, const char *dir, ps_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return ps_fail(e, PS_EINPUT, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = PS_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 7, ".probes") != 0)
            continue;
        char *path = NULL;
        if (ps_pdb_grow(&names, &cap, n + 1, sizeof *names) ||
            asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
            rc = ps_fail(e, PS_ERUNTIME, "%s: out of memory", dir);
            break;
        }
        names[n++] = path;
    }
    closedir(d);
    if (rc == PS_OK && n > 1) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n && rc == PS_OK; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && !S_ISREG(st.st_mode)) continue;
        rc = ps_probedb_load_file(db, names[i], e);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (rc == PS_OK && n == 0)
        rc = ps_fail(e, PS_EINPUT, "%s: no *.probes files", dir);
    if (rc == PS_OK) rc = ps_probedb_check(db, e);
    return rc;
}
