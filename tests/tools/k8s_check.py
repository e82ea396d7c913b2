#!/usr/bin/python3
"""k8s_check.py: offline checks of pscan's Kubernetes Indexed Job manifest.

Usage:
  k8s_check.py FILE                 validate; exit 0 (one "ok" line) or 1
                                    (one line per problem, on stderr)
  k8s_check.py FILE --command I     the pod of index I's command line,
                                    shell-quoted, $(VAR) references expanded
  k8s_check.py FILE --argv I        the same, NUL-terminated arguments (for
                                    `mapfile -d ''`)
  k8s_check.py FILE --env I         NAME=VALUE lines: the container's
                                    environment with literal values, and
                                    JOB_COMPLETION_INDEX=I

No API server and no kubectl: every YAML document is read with python3-yaml
and turned into the python3-kubernetes model of its kind (V1Job,
V1PersistentVolumeClaim) with ApiClient().deserialize, which checks types
and required fields.  deserialize drops keys it does not know, so each
document is also walked against the models' attribute_map / openapi_types:
an unknown key anywhere (a misspelt field) is an error that names its path.
Then the fields pscan's recipe depends on, in the Indexed Job:
  completionMode Indexed; completions == parallelism (== --shards N if
  given); restartPolicy Never or OnFailure; backoffLimit set; the pscan
  container adds NET_RAW and NET_ADMIN; a volume from a PersistentVolumeClaim
  (pscan-results, and the claim of this file if there is one) is mounted,
  at $RESULTS when the container sets RESULTS; its command runs pscan with
  --shard auto/N for the same N, writes under shard-$(JOB_COMPLETION_INDEX)
  and resumes with --resume.

$(VAR) expansion is Kubernetes' own: $(NAME) becomes the value of NAME when
the container's env defines NAME before the point of use (or NAME is
JOB_COMPLETION_INDEX, which Kubernetes sets in an Indexed Job), is left as
it is otherwise, and $$ becomes $.  Values from valueFrom other than the
completion index are unknown here and are left unexpanded.

This checks against the API version that Debian's python3-kubernetes knows
(22.x: Kubernetes 1.22): fields added later (backoffLimitPerIndex,
podFailurePolicy) are reported as unknown.
"""

import argparse
import difflib
import json
import re
import shlex
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - reported to the caller
    sys.exit("k8s_check: needs python3-yaml (Debian package python3-yaml)")
try:
    import kubernetes.client as kc
except ImportError:  # pragma: no cover
    sys.exit("k8s_check: needs python3-kubernetes (Debian package python3-kubernetes)")

KINDS = {
    ("batch/v1", "Job"): "V1Job",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
}
INDEX_VAR = "JOB_COMPLETION_INDEX"
INDEX_REF = "$(" + INDEX_VAR + ")"
PRIMITIVES = {"str", "int", "float", "bool", "date", "datetime", "object"}


class Response:
    """What ApiClient.deserialize reads: an object with the JSON in .data."""

    def __init__(self, obj):
        self.data = json.dumps(obj)


# ------------------------------------------------------------ strict walk


def _fields(model):
    """JSON key -> (attribute, type) of a model class."""
    return {key: (attr, model.openapi_types[attr]) for attr, key in model.attribute_map.items()}


def strict_walk(value, typ, path, errors):
    """Every key of VALUE must be a field of TYP, recursively; types of
    primitives are checked too (deserialize would coerce or drop them)."""
    if value is None:
        return
    m = re.fullmatch(r"list\[(.*)\]", typ)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: must be a list, not {type(value).__name__}")
            return
        for i, item in enumerate(value):
            strict_walk(item, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\(([^,]*), (.*)\)", typ)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: must be a mapping, not {type(value).__name__}")
            return
        for k, v in value.items():
            strict_walk(v, m.group(2), f"{path}.{k}", errors)
        return
    if typ in PRIMITIVES:
        ok = {
            "str": lambda v: isinstance(v, str),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "bool": lambda v: isinstance(v, bool),
            "date": lambda v: isinstance(v, str),
            "datetime": lambda v: isinstance(v, str),
            "object": lambda v: True,
        }[typ](value)
        if not ok:
            errors.append(f"{path}: must be {'a string' if typ == 'str' else 'of type ' + typ}, "
                          f"not {type(value).__name__} {value!r}")
        return
    model = getattr(kc, typ, None)
    if model is None:
        errors.append(f"{path}: unknown model type {typ} (checker bug)")
        return
    if not isinstance(value, dict):
        errors.append(f"{path}: must be a mapping ({typ}), not {type(value).__name__}")
        return
    fields = _fields(model)
    for key, sub in value.items():
        if key not in fields:
            near = difflib.get_close_matches(str(key), fields.keys(), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            errors.append(f"{path}.{key}: unknown field{hint}")
            continue
        strict_walk(sub, fields[key][1], f"{path}.{key}", errors)


# ------------------------------------------------------- $(VAR) expansion


def expand(text, env):
    """Kubernetes' $(VAR) expansion of TEXT with the mapping ENV."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                j = text.find(")", i + 2)
                if j >= 0:
                    name = text[i + 2:j]
                    if name in env:
                        out.append(env[name])
                    else:
                        out.append(text[i:j + 1])
                    i = j + 1
                    continue
        out.append(c)
        i += 1
    return "".join(out)


def container_env(container, index):
    """NAME -> value for the container's env, as Kubernetes resolves it for
    completion index INDEX (valueFrom: only the completion index)."""
    env = {}
    for e in container.env or []:
        if e.value_from is not None:
            if e.name == INDEX_VAR:
                env[e.name] = str(index)
            continue
        env[e.name] = expand(e.value or "", env)
    env.setdefault(INDEX_VAR, str(index))
    return env


def container_argv(container, index):
    env = container_env(container, index)
    return [expand(a, env) for a in (container.command or []) + (container.args or [])]


# ------------------------------------------------------------- the checks


def load(path):
    """[(number, kind, name, raw dict, model object)], errors."""
    errors = []
    docs = []
    try:
        with open(path, encoding="utf-8") as f:
            raw_docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        return [], [f"cannot read: {e}"]
    client = kc.ApiClient()
    for n, raw in enumerate(raw_docs, 1):
        if not isinstance(raw, dict):
            errors.append(f"document {n}: not a mapping")
            continue
        key = (raw.get("apiVersion"), raw.get("kind"))
        typ = KINDS.get(key)
        where = f"document {n} ({raw.get('kind')} {(raw.get('metadata') or {}).get('name')})"
        if typ is None:
            errors.append(f"{where}: apiVersion/kind {key[0]}/{key[1]} is not one this checker knows "
                          f"({', '.join(f'{a} {k}' for a, k in KINDS)})")
            continue
        walk_errors = []
        strict_walk(raw, typ, raw["kind"], walk_errors)
        errors += [f"{where}: {e}" for e in walk_errors]
        try:
            obj = client.deserialize(Response(raw), typ)
        except (ValueError, TypeError) as e:
            errors.append(f"{where}: not a valid {typ}: {e}")
            continue
        docs.append((n, raw["kind"], where, raw, obj))
    return docs, errors


def find_job(docs):
    jobs = [d for d in docs if d[1] == "Job"]
    indexed = [d for d in jobs if d[4].spec and d[4].spec.completion_mode == "Indexed"]
    return (indexed or jobs or [None])[0]


def pscan_container(job):
    cs = job.spec.template.spec.containers or []
    named = [c for c in cs if c.name == "pscan"]
    return (named or cs or [None])[0]


def check_job(doc, claims, shards):
    n, _, where, _, job = doc
    errs = []

    def bad(msg):
        errs.append(f"{where}: {msg}")

    spec = job.spec
    if spec.completion_mode != "Indexed":
        bad(f"spec.completionMode must be Indexed (each pod gets its own shard), not {spec.completion_mode}")
    if spec.completions is None or spec.completions < 1:
        bad("spec.completions must be set, one per shard")
    if spec.parallelism != spec.completions:
        bad(f"spec.parallelism ({spec.parallelism}) must equal spec.completions ({spec.completions})")
    if shards is not None and spec.completions != shards:
        bad(f"spec.completions is {spec.completions}, not the {shards} shards asked for")
    if spec.backoff_limit is None:
        bad("spec.backoffLimit must be set: an interrupted pod is retried, and resumes")
    pod = spec.template.spec
    if pod.restart_policy not in ("Never", "OnFailure"):
        bad(f"spec.template.spec.restartPolicy must be Never or OnFailure, not {pod.restart_policy}")

    c = pscan_container(job)
    if c is None:
        bad("no container")
        return errs
    cpath = f"container {c.name}"
    caps = c.security_context.capabilities if c.security_context else None
    added = set((caps.add if caps else None) or [])
    for cap in ("NET_RAW", "NET_ADMIN"):
        if cap not in added:
            bad(f"{cpath}: securityContext.capabilities.add lacks {cap} (raw sockets for a SYN scan)")

    volumes = {v.name: v for v in pod.volumes or []}
    pvc_mounts = []
    for m in c.volume_mounts or []:
        v = volumes.get(m.name)
        if v is None:
            bad(f"{cpath}: volumeMount {m.name} names no volume of the pod")
        elif v.persistent_volume_claim is not None:
            pvc_mounts.append((m, v.persistent_volume_claim.claim_name))
    if not pvc_mounts:
        bad(f"{cpath}: no PersistentVolumeClaim volume is mounted (the shards' outputs and resume files)")
    for m, claim in pvc_mounts:
        if claim != "pscan-results":
            bad(f"{cpath}: the volume at {m.mount_path} is claim {claim}, not pscan-results")
        elif claims and claim not in claims:
            bad(f"{cpath}: claim {claim} is not the PersistentVolumeClaim of this file ({', '.join(claims)})")
    env = container_env(c, 0)
    if "RESULTS" in env and pvc_mounts and env["RESULTS"] not in [m.mount_path for m, _ in pvc_mounts]:
        bad(f"{cpath}: RESULTS={env['RESULTS']} is not where the results volume is mounted "
            f"({', '.join(m.mount_path for m, _ in pvc_mounts)})")

    text = " ".join((c.command or []) + (c.args or []))
    words = text.split()
    shard_args = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--shard"]
    if not any(a.startswith("auto") for a in shard_args):
        bad(f"{cpath}: the command does not run pscan with --shard auto or auto/N")
    for a in shard_args:
        m = re.fullmatch(r"auto(?:/(\d+))?", a)
        if m is None:
            bad(f"{cpath}: --shard {a}: each pod must take its part from its index (--shard auto/N)")
        elif m.group(1) and spec.completions is not None and int(m.group(1)) != spec.completions:
            bad(f"{cpath}: --shard {a} does not match spec.completions ({spec.completions})")
    if "shard-" + INDEX_REF not in text:
        bad(f"{cpath}: the command does not work under shard-{INDEX_REF} (each pod its own output and resume file)")
    if "--resume" not in words:
        bad(f"{cpath}: the command never resumes (pscan --resume pscan.resume)")
    if "--seed" not in words:
        bad(f"{cpath}: the command gives no --seed (every shard needs the same one)")
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--shards", type=int, help="the number of shards the Job must have")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--command", type=int, metavar="I", help="print index I's command line")
    g.add_argument("--argv", type=int, metavar="I", help="print index I's arguments, NUL-terminated")
    g.add_argument("--env", type=int, metavar="I", help="print index I's environment")
    a = ap.parse_args()

    docs, errors = load(a.file)
    job = find_job(docs)
    if job is None and not errors:
        errors.append("no Job in the file")
    if job is not None:
        claims = [d[4].metadata.name for d in docs if d[1] == "PersistentVolumeClaim" and d[4].metadata]
        errors += check_job(job, claims, a.shards)
    if errors:
        for e in errors:
            print(f"k8s_check: {a.file}: {e}", file=sys.stderr)
        return 1

    index = next((v for v in (a.command, a.argv, a.env) if v is not None), None)
    if index is None:
        spec = job[4].spec
        print(f"k8s_check: {a.file}: ok ({len(docs)} documents; Job {job[4].metadata.name}: "
              f"{spec.completions} indexed shards, {spec.parallelism} at once)")
        return 0
    n = job[4].spec.completions
    if not 0 <= index < n:
        print(f"k8s_check: {a.file}: index {index} is not in 0..{n - 1}", file=sys.stderr)
        return 1
    c = pscan_container(job[4])
    if a.command is not None:
        print(shlex.join(container_argv(c, index)))
    elif a.argv is not None:
        sys.stdout.write("".join(arg + "\0" for arg in container_argv(c, index)))
    else:
        for name, value in container_env(c, index).items():
            print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
