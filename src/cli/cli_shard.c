/* cli_shard.c: --shard, which part of a split scan this run is.  K/N names
 * it; `auto` takes it from the scheduler that started the run:
 *
 *   a Slurm job array: SLURM_ARRAY_TASK_ID, counted from
 *     SLURM_ARRAY_TASK_MIN (0 when unset), of SLURM_ARRAY_TASK_COUNT parts
 *     (or MAX - MIN + 1);
 *   a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based), of N parts
 *     from `auto/N` or from PSCAN_SHARD_COUNT (the Job's completions, which
 *     Kubernetes does not pass on by itself).
 *
 * `auto/N` with Slurm checks that the array has N tasks.  Whatever names
 * the part, every part must be given the same --seed.  The strict digit
 * reader the rest of the parser uses lives here too (cli_int.h). */
#include <stdlib.h>
#include <string.h>

#include "pscan/config.h"
#include "pscan/err.h"
#include "cli_int.h"

enum { MAX_SHARDS = 1000000 };

int ps_cli_digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int set(ps_config *c, uint64_t k, uint64_t n, const char *from, ps_err *e)
{
    if (n == 0 || n > MAX_SHARDS || k == 0 || k > n)
        return ps_fail(e, PS_EINPUT, "--shard %s: part %llu of %llu is not one of 1 <= K <= N <= %d", from,
                       (unsigned long long)k, (unsigned long long)n, MAX_SHARDS);
    c->shard = (unsigned)(k - 1);
    c->nshards = (unsigned)n;
    return PS_OK;
}

/* A variable that must hold a whole number: 0 unset, 1 read, -1 bad. */
static int env_num(const char *name, uint64_t *out, ps_err *e)
{
    const char *v = getenv(name);
    if (!v) return 0;
    if (ps_cli_digits(v, strlen(v), out))
        return ps_fail(e, PS_EINPUT, "--shard auto: %s is '%.40s', not a whole number", name, v), -1;
    return 1;
}

static int from_slurm(ps_config *c, uint64_t want_n, ps_err *e)
{
    uint64_t id = 0, lo = 0, hi = 0, n = 0;
    int got_lo, got_hi, got_n;
    if (env_num("SLURM_ARRAY_TASK_ID", &id, e) < 0 || (got_lo = env_num("SLURM_ARRAY_TASK_MIN", &lo, e)) < 0 ||
        (got_hi = env_num("SLURM_ARRAY_TASK_MAX", &hi, e)) < 0 ||
        (got_n = env_num("SLURM_ARRAY_TASK_COUNT", &n, e)) < 0)
        return PS_EINPUT;
    if (!got_n && got_hi && hi >= lo) n = hi - lo + 1;
    if (!got_n && !got_hi)
        return ps_fail(e, PS_EINPUT, "--shard auto: SLURM_ARRAY_TASK_ID is set, but neither "
                                     "SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX says how many tasks");
    if (id < lo) return ps_fail(e, PS_EINPUT, "--shard auto: SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN");
    if (want_n && want_n != n)
        return ps_fail(e, PS_EINPUT, "--shard auto/%llu: the Slurm array has %llu tasks",
                       (unsigned long long)want_n, (unsigned long long)n);
    if (got_hi && got_n && hi - lo + 1 != n)
        return ps_fail(e, PS_EINPUT, "--shard auto: the array's indices %llu-%llu are not contiguous (%llu "
                                     "tasks): use a range without a step", (unsigned long long)lo,
                       (unsigned long long)hi, (unsigned long long)n);
    return set(c, id - lo + 1, n, "auto (Slurm)", e);
}

static int from_k8s(ps_config *c, uint64_t want_n, ps_err *e)
{
    uint64_t idx = 0, n = 0;
    int got_n;
    if (env_num("JOB_COMPLETION_INDEX", &idx, e) < 0 || (got_n = env_num("PSCAN_SHARD_COUNT", &n, e)) < 0)
        return PS_EINPUT;
    if (want_n && got_n && n != want_n)
        return ps_fail(e, PS_EINPUT, "--shard auto/%llu: PSCAN_SHARD_COUNT says %llu", (unsigned long long)want_n,
                       (unsigned long long)n);
    if (want_n) n = want_n;
    else if (!got_n)
        return ps_fail(e, PS_EINPUT, "--shard auto: JOB_COMPLETION_INDEX is set but not how many parts: give "
                                     "--shard auto/N (N = the Job's completions) or set PSCAN_SHARD_COUNT");
    return set(c, idx + 1, n, "auto (Kubernetes)", e);
}

int ps_cli_shard(ps_config *c, const char *arg, ps_err *e)
{
    const char *slash = strchr(arg, '/');
    uint64_t k = 0, n = 0;
    if (strncmp(arg, "auto", 4) == 0 && (arg[4] == '\0' || arg[4] == '/')) {
        if (slash && ps_cli_digits(slash + 1, strlen(slash + 1), &n))
            return ps_fail(e, PS_EINPUT, "--shard: '%s' is not auto/N", arg);
        int slurm = getenv("SLURM_ARRAY_TASK_ID") != NULL, k8s = getenv("JOB_COMPLETION_INDEX") != NULL;
        if (slurm && k8s)
            return ps_fail(e, PS_EINPUT, "--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are "
                                         "set: give --shard K/N");
        if (slurm) return from_slurm(c, n, e);
        if (k8s) return from_k8s(c, n, e);
        return ps_fail(e, PS_EINPUT, "--shard auto: no scheduler's part number here (neither "
                                     "SLURM_ARRAY_TASK_ID of a Slurm job array nor JOB_COMPLETION_INDEX of a "
                                     "Kubernetes Indexed Job is set): give --shard K/N");
    }
    if (!slash || ps_cli_digits(arg, (size_t)(slash - arg), &k) || ps_cli_digits(slash + 1, strlen(slash + 1), &n) ||
        n == 0 || k == 0 || k > n || n > MAX_SHARDS)
        return ps_fail(e, PS_EINPUT, "--shard: '%s' is not K/N with 1 <= K <= N <= %d, or auto", arg, MAX_SHARDS);
    return set(c, k, n, arg, e);
}
