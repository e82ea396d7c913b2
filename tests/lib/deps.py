#!/usr/bin/env python3
"""tests/lib/deps.py: which external commands do the test and bench scripts
run, and does `make deps` install every one of them?  Driven by tests/deps.sh.

    deps.py extract FILE...              one line per use: NAME <tab> FILE:LINE <tab> KIND
    deps.py check [--makefile M] [--extra NAME]... [--notes] FILE...
                                         every command resolved and its package
                                         checked; exit 1 when one is missing

Finding the commands (extract).  Each shell file is read by a small lexer
that knows bash's quoting (single, double, $'...', backslashes and line
continuations), comments, here-documents, redirections (2>&1, {fd}>file,
3<>/dev/tcp/..., <<<), command substitution $(...) and `...`, process
substitution <(...), arithmetic $((...)) and ((...)), [[ ... ]], case
patterns, function definitions and array assignments.  A command word is
the first word of a simple command, after leading assignments and
redirections and after the reserved words (if, then, do, !, {, time, ...),
so after |, &&, ||, ;, &, newlines, ( and $( alike.  Words that hold an
expansion ($PSCAN, "$bin/initdb", "${CMD[@]}") are not command names; see
--extra for those.  Then:

  * wrappers are looked through: the command they run is a command word too.
    Known programs: timeout, nice, env, exec, command, nohup, setpriv,
    runuser, unshare, flock, strace, valgrind, /usr/bin/time, stdbuf,
    `ip netns exec NS`; `sh -c STRING`, `bash -c STRING`, `trap STRING`
    and `eval STRING` are parsed as shell (when STRING is "$NAME", the
    values assigned to NAME in the same file are); functions of the scanned
    files that run "$@" (in_ns, check_cmd, tb_run_ns, bt_scn, ...) are found
    by reading their bodies (the number of `shift`s before "$@" says how
    many leading arguments are theirs), at_exit's arguments are a command;
  * `command -v NAME`, `type -P NAME`, `which NAME`, need_cmd and _dm_have
    arguments, and `[ -x /ABSOLUTE/PATH ]` are requirements: the script
    checks the command is there (and skips without it);
  * here-documents are data, except those fed to sh/bash/python3 on
    standard input and those that start with a #!/bin/sh or #!/bin/bash
    line (a script written to a file and run);
  * shell builtins and keywords, and functions defined in any scanned file,
    are not external;
  * a #! line's interpreter counts (env, bash, python3); Python files are
    searched for subprocess/os.system calls with a literal command.
Words with a "/" that are relative (./pscan, build/tests/tools/x) are the
project's own programs and are not looked up.

Checking (check).  Each command is resolved with `command -v` (and, when that
finds a copy outside the package manager's files, in Debian's default PATH
too).  Every path of its symlink chain, realpath included, and the other half
of each /bin <-> /usr/bin, /sbin <-> /usr/sbin, /lib <-> /usr/lib pair (the
merged /usr of Debian 12) is looked up with `dpkg -S`; an /etc/alternatives
link counts every candidate of that alternative.  A command is provided when
one owner is
  * a package of the Makefile's DEPS_* lists, or installed as a dependency
    (Depends, Pre-Depends, through Provides) of one of them: `apt-get
    install` of the list brings it; or
  * a package present on every Debian system: Essential: yes or
    Priority: required (what debootstrap's minbase variant installs), or a
    dependency of one.  Priority: important (iproute2, procps, ...) does
    not count: minimal images such as Debian's container image leave it out.
"""
import glob
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------- lexer

BUILTINS = set("""
. : [ alias bg bind break builtin caller cd command compgen complete compopt
continue declare dirs disown echo enable eval exec exit export false fc fg
getopts hash help history jobs kill let local logout mapfile popd printf pushd
pwd read readarray readonly return set shift shopt source suspend test times
trap true type typeset ulimit umask unalias unset wait
""".split())
KEYWORDS = set("if then else elif fi case esac for select while until do done in function time { } ! [[ ]] coproc".split())
RESERVED_LEAD = set("if then else elif do while until ! { time".split())
RESERVED_END = set("fi done } esac".split())
# Functions whose arguments are command names the script requires.
REQUIRE_FUNCS = {"need_cmd", "_dm_have"}
# Functions whose arguments, joined, are a command run later (eval).
EVAL_FUNCS = {"at_exit": 0}

META = set(" \t\n;&|<>()")
OPS = ("&>>", "<<<", "<<-", ";;&", "&&", "||", ";;", ";&", "|&", ">>", "<<", "<&", ">&", "<>", ">|", "&>",
       ";", "&", "|", "<", ">")


class Word:
    """A shell word: its source text, its value with quotes removed (None
    when it holds an expansion) and the line it starts on."""

    def __init__(self, raw, value, line, dq=None):
        self.start = self.end = -1
        self.raw = raw
        self.value = value
        self.line = line
        self.dq = dq  # the text between the quotes, for a word that is one quoted string

    def __repr__(self):
        return f"Word({self.raw!r})"


class Op:
    def __init__(self, op, line):
        self.start = self.end = -1
        self.op = op
        self.line = line

    def __repr__(self):
        return f"Op({self.op!r})"


class Scanner:
    """Reads one piece of shell text; calls back with each simple command."""

    def __init__(self, text, ctx, line=1):
        self.s = text
        self.i = 0
        self.line = line
        self.ctx = ctx
        self.heredocs = []  # pending: (delimiter, quoted, strip, consumer)

    # -- characters
    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def adv(self, n=1):
        for _ in range(n):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    # -- nested constructs; each returns its raw text and feeds commands to ctx
    def read_until_paren(self):
        """After "$(" or "<(": the text up to the matching ")", parsed as
        commands on the way (a nested Scanner stops at the unmatched ")")."""
        sub = Scanner(self.s, self.ctx, self.line)
        sub.i = self.i
        sub.parse(stop_at_paren=True)
        text = self.s[self.i:sub.i]
        self.line = sub.line
        self.i = sub.i
        if self.peek() == ")":
            self.adv()
        return text

    def skip_arith(self):
        """Inside $(( or ((: up to the closing "))", with $( ) inside parsed."""
        depth = 0
        while self.i < len(self.s):
            c = self.peek()
            if c == "$" and self.peek(1) == "(" and self.peek(2) != "(":
                self.adv(2)
                self.read_until_paren()
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0 and self.peek(1) == ")":
                    self.adv(2)
                    return
                depth -= 1
            self.adv()

    def read_single(self):
        start = self.i
        while self.i < len(self.s) and self.peek() != "'":
            self.adv()
        text = self.s[start:self.i]
        self.adv()
        return text

    def read_ansi(self):
        start = self.i
        while self.i < len(self.s) and self.peek() != "'":
            if self.peek() == "\\":
                self.adv()
            self.adv()
        text = self.s[start:self.i]
        self.adv()
        return text

    def read_backtick(self):
        start = self.i
        while self.i < len(self.s) and self.peek() != "`":
            if self.peek() == "\\":
                self.adv()
            self.adv()
        text = self.s[start:self.i]
        self.adv()
        self.ctx.parse_text(text.replace("\\`", "`"), self.line)
        return text

    def read_dollar(self):
        """At "$": an expansion.  Returns its raw text."""
        start = self.i
        self.adv()
        c = self.peek()
        if c == "(":
            if self.peek(1) == "(":
                self.adv(2)
                self.skip_arith()
            else:
                self.adv()
                self.read_until_paren()
        elif c == "{":
            self.adv()
            depth = 1
            while self.i < len(self.s) and depth:
                c = self.peek()
                if c == "\\":
                    self.adv(2)
                    continue
                if c == "'":
                    self.adv()
                    self.read_single()
                    continue
                if c == '"':
                    self.adv()
                    self.read_double()
                    continue
                if c == "$":
                    self.read_dollar()
                    continue
                if c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                self.adv()
        elif c == "'":
            self.adv()
            self.read_ansi()
        elif c == '"':
            self.adv()
            self.read_double()
        else:
            while self.i < len(self.s) and (self.peek().isalnum() or self.peek() == "_"):
                self.adv()
                if not (self.s[start + 1].isalpha() or self.s[start + 1] == "_"):
                    break
            if self.i == start + 1 and self.peek() in "@*#?$!-0123456789":
                self.adv()
        return self.s[start:self.i]

    def read_double(self):
        """After the opening '"': up to the closing one.  Returns (text,
        has_expansion)."""
        start = self.i
        expands = False
        while self.i < len(self.s) and self.peek() != '"':
            c = self.peek()
            if c == "\\":
                self.adv(2)
                continue
            if c == "$" and (self.peek(1).isalnum() or self.peek(1) in "_{(@*#?$!-"):
                self.read_dollar()
                expands = True
                continue
            if c == "`":
                self.adv()
                self.read_backtick()
                expands = True
                continue
            self.adv()
        text = self.s[start:self.i]
        self.adv()
        return text, expands

    def read_word(self):
        """A word at the current position (not at a metacharacter)."""
        start, line = self.i, self.line
        value = []
        expands = False
        dq = None
        while self.i < len(self.s):
            c = self.peek()
            if c in META:
                # ( after = is an array assignment: read to its ")".
                if c == "(" and self.s[start:self.i].endswith("="):
                    self.adv()
                    self.read_array()
                    expands = True
                    continue
                # extglob/pattern characters inside a word, e.g. +(..): rare, ignored
                break
            if c == "\\":
                if self.peek(1) == "\n":
                    self.adv(2)
                    continue
                value.append(self.peek(1))
                self.adv(2)
            elif c == "'":
                self.adv()
                t = self.read_single()
                value.append(t)
                dq = t
            elif c == '"':
                self.adv()
                t, e = self.read_double()
                value.append(t)
                dq = t
                expands = expands or e
            elif c == "$":
                if self.peek(1) == "'":
                    self.adv(2)
                    value.append(self.read_ansi())
                else:
                    self.read_dollar()
                    expands = True
            elif c == "`":
                self.adv()
                self.read_backtick()
                expands = True
            else:
                value.append(c)
                self.adv()
        raw = self.s[start:self.i]
        quoted_whole = raw[:1] in "'\"" and raw[-1:] == raw[:1] and len(raw) >= 2
        return Word(raw, None if expands else "".join(value), line, dq if quoted_whole else None)

    def read_array(self):
        """After "NAME=(": the elements, up to ")".  Not commands."""
        while self.i < len(self.s):
            c = self.peek()
            if c == ")":
                self.adv()
                return
            if c in " \t\n":
                self.adv()
                continue
            if c == "#":
                while self.i < len(self.s) and self.peek() != "\n":
                    self.adv()
                continue
            w = self.read_word()
            if not w.raw:
                self.adv()

    def read_heredoc_bodies(self):
        """After a newline: the bodies of pending here-documents."""
        for delim, quoted, strip, consumer in self.heredocs:
            body_start_line = self.line
            lines = []
            while self.i < len(self.s):
                j = self.s.find("\n", self.i)
                if j < 0:
                    j = len(self.s)
                ln = self.s[self.i:j]
                self.i = min(j + 1, len(self.s))
                self.line += 1
                check = ln.lstrip("\t") if strip else ln
                if check == delim:
                    break
                lines.append(check)
            consumer("\n".join(lines) + "\n", quoted, body_start_line)
        self.heredocs = []

    # -- tokens
    def _tok(self, tok, start):
        tok.start, tok.end = start, self.i
        return tok

    def tokens(self, stop_at_paren=False):
        depth = 0
        while self.i < len(self.s):
            c = self.peek()
            if c in " \t":
                self.adv()
                continue
            if c == "\\" and self.peek(1) == "\n":
                self.adv(2)
                continue
            if c == "#":
                while self.i < len(self.s) and self.peek() != "\n":
                    self.adv()
                continue
            line, start = self.line, self.i
            if c == "\n":
                self.adv()
                if self.heredocs:
                    self.read_heredoc_bodies()
                yield self._tok(Op("\n", line), start)
                continue
            if c in "<>" and self.peek(1) == "(":
                self.adv(2)
                self.read_until_paren()
                yield self._tok(Word("<(...)", None, line), start)
                continue
            if c == "(" and self.peek(1) == "(":
                self.adv(2)
                self.skip_arith()
                yield self._tok(Word("((...))", None, line), start)
                continue
            op = next((o for o in OPS if self.s.startswith(o, self.i)), None)
            if op:
                self.adv(len(op))
                yield self._tok(Op(op, line), start)
                continue
            if c == "(":
                depth += 1
                self.adv()
                yield self._tok(Op("(", line), start)
                continue
            if c == ")":
                if stop_at_paren and depth == 0:
                    return
                depth -= 1
                self.adv()
                yield self._tok(Op(")", line), start)
                continue
            w = self.read_word()
            if not w.raw:
                self.adv()
                continue
            yield self._tok(w, start)

    # -- the parser: simple commands, with case and function bookkeeping
    def parse(self, stop_at_paren=False):
        words = []
        case_stack = []  # per open case: True while reading patterns
        pending_redirect = None
        func_name = None  # a NAME seen, waiting for "(" ")"
        brace_stack = []  # "{" / "(" groups; function bodies marked
        expect_func_body = None
        toks = self.tokens(stop_at_paren)
        for t in toks:
            if case_stack and case_stack[-1] and not words:
                # Reading a case pattern: up to ")".
                if isinstance(t, Word) and t.value == "esac":
                    case_stack.pop()
                    continue
                if isinstance(t, Op) and t.op == ")":
                    case_stack[-1] = False
                continue
            if isinstance(t, Op):
                op = t.op
                if op in ("<", ">", ">>", "<&", ">&", "<>", ">|", "&>", "&>>", "<<<"):
                    # A redirection; "N>" / "{fd}>" leave their N in words: drop it.
                    if words and re.fullmatch(r"\d+|\{\w+\}", words[-1].raw or "") and words[-1].end == t.start:
                        words.pop()
                    pending_redirect = op
                    continue
                if op in ("<<", "<<-"):
                    pending_redirect = op
                    continue
                if op == "(" and len(words) == 1 and words[0].value and re.fullmatch(r"[\w:.-]+", words[0].value):
                    func_name = words[0].value
                    continue
                if op == ")" and func_name:
                    self.ctx.define_function(func_name)
                    expect_func_body = func_name
                    func_name = None
                    words = []
                    continue
                self.flush(words, case_stack, brace_stack)
                words = []
                if op == "(":
                    brace_stack.append(("(", expect_func_body))
                    if expect_func_body:
                        self.ctx.enter_function(expect_func_body)
                    expect_func_body = None
                elif op == ")":
                    if brace_stack:
                        _, fn = brace_stack.pop()
                        if fn:
                            self.ctx.leave_function()
                elif op in (";;", ";&", ";;&"):
                    if case_stack:
                        case_stack[-1] = True
                continue
            # a word
            if pending_redirect:
                op = pending_redirect
                pending_redirect = None
                if op in ("<<", "<<-"):
                    delim = t.raw
                    quoted = any(q in delim for q in "'\"\\")
                    delim = re.sub(r"['\"\\]", "", delim)
                    self.heredocs.append((delim, quoted, op == "<<-", self.ctx.heredoc_consumer(list(words))))
                continue
            if not words:
                if t.value == "function":
                    func_name = "?"
                    continue
                if func_name == "?":
                    func_name = t.value
                    self.ctx.define_function(func_name)
                    expect_func_body = func_name
                    func_name = None
                    continue
                if t.value == "{":
                    brace_stack.append(("{", expect_func_body))
                    if expect_func_body:
                        self.ctx.enter_function(expect_func_body)
                    expect_func_body = None
                    continue
                if t.value == "}":
                    if brace_stack:
                        _, fn = brace_stack.pop()
                        if fn:
                            self.ctx.leave_function()
                    continue
                if t.value == "esac" and case_stack:
                    case_stack.pop()
                    continue
                if t.value in RESERVED_LEAD or t.value in RESERVED_END:
                    continue
                if t.value == "[[":
                    # Skip the test: its words up to "]]" are not commands
                    # (substitutions inside were parsed by the lexer).
                    for u in toks:
                        if isinstance(u, Word) and u.value == "]]":
                            break
                    continue
            func_name = None
            if len(words) == 2 and words[0].value == "case" and t.value == "in":
                case_stack.append(True)
                words = []
                continue
            words.append(t)
        self.flush(words, case_stack, brace_stack)

    def flush(self, words, case_stack, brace_stack):
        if not words:
            return
        first = words[0].value
        if first == "case":
            case_stack.append(True)
            return
        if first in ("for", "select"):
            return
        self.ctx.simple_command(words)


# ---------------------------------------------------------------- analysis

def _opts(words, with_arg, stop_dashdash=True):
    """Skip options (and the arguments of those in with_arg); index of the
    first operand."""
    i = 0
    while i < len(words):
        v = words[i].value
        if v is None or not v.startswith("-") or v == "-":
            return i
        if v == "--" and stop_dashdash:
            return i + 1
        if v in with_arg:
            i += 2
            continue
        i += 1
    return i


class FileCtx:
    """Everything found in one file."""

    def __init__(self, path, registry):
        self.path = path
        self.reg = registry
        self.uses = []  # (name, line, kind)
        self.assign = {}  # NAME -> [(value text, line)]
        self.deferred = []  # (NAME, line): sh -c "$NAME"
        self.func_stack = []  # [name, shifts, wrapper_found]

    # -- bookkeeping from the scanner
    def define_function(self, name):
        self.reg.functions.setdefault(name, set()).add(self.path)

    def enter_function(self, name):
        self.func_stack.append([name, 0, False])

    def leave_function(self):
        if self.func_stack:
            self.func_stack.pop()

    def parse_text(self, text, line):
        Scanner(text, self, line).parse()

    def heredoc_consumer(self, words):
        def consume(body, quoted, line):
            cmd = self._inner(words)
            first = cmd[0].value if cmd else None
            shebang = re.match(r"#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\b", body)
            if first in ("sh", "bash", "dash") and not any(
                    w.value and not w.value.startswith("-") for w in cmd[1:]) or shebang:
                if not quoted:
                    body = re.sub(r"\\([$`\\])", r"\1", body)
                self.parse_text(body, line)
            elif first and re.fullmatch(r"python3(\.\d+)?", first):
                self.python_text(body, line)
            elif not quoted:
                # Data, but $(...) in it still runs.
                for m in re.finditer(r"\$\(", body):
                    sub = Scanner(body, self, line)
                    sub.i = m.end()
                    if body[m.end():m.end() + 1] != "(":
                        sub.read_until_paren()
        return consume

    def _inner(self, words):
        """Strip wrappers off a word list without recording anything."""
        saved = self.uses
        self.uses = []
        try:
            return self.unwrap(words, record=False)
        finally:
            self.uses = saved

    def use(self, name, line, kind="cmd"):
        self.uses.append((name, line, kind))

    def python_text(self, text, line):
        for m in re.finditer(r"(?:subprocess\.(?:run|call|check_call|check_output|Popen)|os\.system|os\.popen)\(\s*\[?\s*(['\"])([^'\"\s]+)", text):
            self.use(m.group(2), line + text[:m.start()].count("\n"))

    # -- one simple command
    def simple_command(self, words):
        # Leading assignments: remember their values (sh -c "$NAME").
        i = 0
        while i < len(words) and re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=", words[i].raw):
            self._remember(words[i])
            i += 1
        words = words[i:]
        if not words:
            return
        if words[0].value in ("local", "declare", "typeset", "export", "readonly"):
            for w in words[1:]:
                if re.match(r"^[A-Za-z_]\w*=", w.raw):
                    self._remember(w)
            return
        self.unwrap(words, record=True)

    def _remember(self, w):
        name, _, val = w.raw.partition("=")
        name = name.rstrip("+")
        text = val
        if len(val) >= 2 and val[0] == val[-1] and val[0] in "'\"":
            text = val[1:-1]
            if val[0] == '"':
                text = re.sub(r'\\(["\\$`])', r"\1", text)
        self.assign.setdefault(name, []).append((text, w.line))

    def _string_as_shell(self, w):
        """The text of a literal string argument, to parse as shell; or a
        deferred reference when it is "$NAME"."""
        raw = w.raw
        inner = raw
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            inner = raw[1:-1]
            if raw[0] == '"':
                inner = re.sub(r'\\(["\\$`])', r"\1", inner)
        m = re.fullmatch(r"\$\{?([A-Za-z_]\w*)\}?", inner)
        if m:
            self.deferred.append((m.group(1), w.line))
            return
        self.parse_text(inner, w.line)

    def unwrap(self, words, record):
        """Record the command word of WORDS, look through wrappers; returns
        the innermost command's words."""
        while words:
            w0 = words[0]
            name = w0.value
            rest = words[1:]
            if name is None:
                if w0.raw in ('"$@"', "$@") and self.func_stack:
                    fr = self.func_stack[-1]
                    if not fr[2]:
                        fr[2] = True
                        self.reg.wrappers.setdefault((self.path, fr[0]), fr[1])
                return words
            if name in RESERVED_LEAD:
                words = rest
                continue
            if record:
                self._record_word(w0, rest)
            # -- look through
            if name == "timeout":
                j = _opts(rest, {"-k", "--kill-after", "-s", "--signal"})
                words = rest[j + 1:]
            elif name == "nice":
                words = rest[_opts(rest, {"-n", "--adjustment"}):]
            elif name == "env":
                j = _opts(rest, {"-u", "--unset", "-C", "--chdir", "-S"})
                while j < len(rest) and rest[j].raw and re.match(r"^[A-Za-z_]\w*=", rest[j].raw):
                    j += 1
                words = rest[j:]
            elif name == "exec":
                words = rest[_opts(rest, {"-a"}):]
            elif name == "command":
                if rest and rest[0].value in ("-v", "-V"):
                    for w in rest[1:]:
                        if record and w.value:
                            self._require(w)
                    return []
                words = rest[_opts(rest, set()):]
            elif name in ("type", "which", "hash"):
                for w in rest:
                    if record and w.value and not w.value.startswith("-"):
                        self._require(w)
                return []
            elif name in ("nohup", "builtin", "stdbuf"):
                words = rest[_opts(rest, {"-i", "-o", "-e"}):] if name == "stdbuf" else rest
            elif name == "setpriv":
                words = rest[_opts(rest, {"--reuid", "--regid", "--ruid", "--rgid", "--euid", "--egid",
                                           "--groups", "--inh-caps", "--ambient-caps", "--bounding-set",
                                           "--securebits", "--pdeathsig", "--selinux-label",
                                           "--apparmor-profile"}):]
            elif name == "runuser":
                words = rest[_opts(rest, {"-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell"}):]
            elif name == "unshare":
                words = rest[_opts(rest, {"--propagation", "-S", "--setuid", "-G", "--setgid", "-R", "--root",
                                           "-w", "--wd", "--map-user", "--map-group", "--kill-child"}):]
            elif name == "flock":
                j = _opts(rest, {"-w", "--timeout", "-E", "--conflict-exit-code"})
                if any(w.value == "-c" for w in rest[:j]):
                    return []
                words = rest[j + 1:]
            elif name == "strace":
                words = rest[_opts(rest, {"-o", "-e", "-p", "-s", "-u", "-a", "-b", "-I", "-O", "-S", "-E", "-P"}):]
            elif name == "valgrind":
                words = rest[_opts(rest, set()):]
            elif name in ("time", "/usr/bin/time"):
                words = rest[_opts(rest, {"-o", "--output", "-f", "--format"}):]
            elif name == "ip":
                j = _opts(rest, {"-n", "-netns", "-b", "-batch", "-rc", "-rcvbuf", "-l", "-loops"})
                if [w.value for w in rest[j:j + 2]] == ["netns", "exec"] and len(rest) > j + 2:
                    words = rest[j + 3:]
                else:
                    return words
            elif name in ("sh", "bash", "dash"):
                for k, w in enumerate(rest):
                    if w.value == "-c" and k + 1 < len(rest):
                        if record:
                            self._string_as_shell(rest[k + 1])
                        return []
                return words
            elif name in ("trap", "eval") or name in EVAL_FUNCS:
                if record and rest and (rest[0].value is None or rest[0].value not in ("-", "-p", "-l")):
                    if name == "trap" or len(rest) == 1:
                        self._string_as_shell(rest[0])
                    else:
                        self.unwrap(rest, record)
                return []
            elif name in REQUIRE_FUNCS:
                for w in rest:
                    if record and w.value:
                        self._require(w)
                return []
            elif name in ("[", "test"):
                for k, w in enumerate(rest[:-1]):
                    if w.value == "-x" and rest[k + 1].value and rest[k + 1].value.startswith("/") and record:
                        self._require(rest[k + 1])
                return []
            elif name == "shift" and self.func_stack:
                n = rest[0].value if rest else "1"
                self.func_stack[-1][1] += int(n) if n and n.isdigit() else 1
                return []
            elif self.reg.wrapper(name, self.path) is not None:
                words = rest[self.reg.wrapper(name, self.path):]
            else:
                return words
        return words

    def _require(self, w):
        self.use(w.value, w.line, "req")

    def _record_word(self, w, rest):
        name = w.value
        if not name:
            return
        if name in BUILTINS or name in KEYWORDS or name in REQUIRE_FUNCS or name in EVAL_FUNCS:
            return
        if name.startswith("-") or "$" in name:
            return
        if "/" in name:
            if name.startswith("/"):
                self.use(name, w.line)
            return  # relative: the project's own program
        if re.fullmatch(r"[\w.+-]+", name) is None:
            return  # a glob, an odd word: not a command name
        self.use(name, w.line)

    def finish(self):
        seen = set()
        while self.deferred:
            name, line = self.deferred.pop()
            if name in seen:
                continue
            seen.add(name)
            for text, aline in self.assign.get(name, []):
                self.parse_text(text, aline)


class Registry:
    """Functions and wrapper functions.  A function defined in a library
    (a file under a lib/ directory, sourced by the scripts) is seen by
    every file; one defined in a script only by that script."""

    def __init__(self):
        self.functions = {}  # name -> {files}
        self.wrappers = {}  # (file, name) -> leading arguments

    @staticmethod
    def _lib(path):
        return "/lib/" in "/" + path

    def is_function(self, name, path):
        files = self.functions.get(name, ())
        return path in files or any(self._lib(f) for f in files)

    def wrapper(self, name, path):
        if (path, name) in self.wrappers:
            return self.wrappers[(path, name)]
        for (f, n), k in self.wrappers.items():
            if n == name and self._lib(f) and path not in self.functions.get(name, ()):
                return k
        return None


def scan_file(path, reg):
    ctx = FileCtx(path, reg)
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    m = re.match(r"#!\s*(\S+)(?:\s+(\S+))?", first)
    if m:
        ctx.use(m.group(1), 1)
        if os.path.basename(m.group(1)) == "env" and m.group(2):
            ctx.use(m.group(2), 1)
    if path.endswith(".py") or (m and "python" in first):
        ctx.python_text(text, 1)
    else:
        Scanner(text, ctx).parse()
        ctx.finish()
    return ctx


def extract(paths):
    """[(name, file, line, kind)] for every use in PATHS, functions of any
    of them excluded."""
    reg = Registry()
    # Twice: a wrapper function may be used before (or in a file before)
    # the one that defines it.
    for _ in range(2):
        ctxs = [scan_file(p, reg) for p in paths]
    out = []
    for c in ctxs:
        for name, line, kind in c.uses:
            if "/" not in name and reg.is_function(name, c.path):
                continue
            out.append((name, c.path, line, kind))
    return out


# ---------------------------------------------------------------- packages

def makefile_deps(path):
    """{VAR: [packages]} of the DEPS_* assignments of a Makefile."""
    deps = {}
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.split("\n"):
        m = re.match(r"^(DEPS_[A-Z0-9_]*)\s*(:?=|\+=)\s*(.*)$", line)
        if m:
            words = m.group(3).split("#", 1)[0].split()
            if m.group(2) == "+=":
                deps.setdefault(m.group(1), []).extend(words)
            else:
                deps[m.group(1)] = words
    return deps


def dpkg_db():
    fmt = "${Package}\\t${db:Status-Status}\\t${Priority}\\t${Essential}\\t${Provides}\\t${Depends}\\t${Pre-Depends}\\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True).stdout
    db = {}
    for line in out.split("\n"):
        f = line.split("\t")
        if len(f) < 7 or f[1] != "installed":
            continue
        db[f[0]] = {"priority": f[2], "essential": f[3] == "yes", "provides": f[4], "deps": f[5] + ", " + f[6]}
    return db


def _names(field):
    """Depends-style field -> [[alternative names]]."""
    groups = []
    for g in field.split(","):
        alts = []
        for a in g.split("|"):
            a = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", a).strip()
            a = a.split(":")[0]
            if a:
                alts.append(a)
        if alts:
            groups.append(alts)
    return groups


def closure(roots, db):
    """{package: the root it came from}: ROOTS (installed ones) and the
    installed packages they depend on."""
    provides = {}
    for p, info in db.items():
        for alts in _names(info["provides"]):
            for v in alts:
                provides.setdefault(v, []).append(p)
    # A virtual package several installed ones provide: count the one every
    # Debian has (awk: mawk, not gawk).
    for v in provides:
        provides[v].sort(key=lambda p: not (db[p]["essential"] or db[p]["priority"] == "required"))
    got = {}
    queue = []
    for r in roots:
        if r in db and r not in got:
            got[r] = r
            queue.append(r)
    while queue:
        p = queue.pop()
        for alts in _names(db[p]["deps"]):
            for a in alts:
                cands = ([a] if a in db else []) + provides.get(a, [])
                if cands:
                    for c in cands[:1]:
                        if c not in got:
                            got[c] = got[p]
                            queue.append(c)
                    break
    return got


def owners(paths):
    """{path: [packages]} from one dpkg -S call (exact paths only)."""
    paths = sorted(set(paths))
    res = {p: [] for p in paths}
    if not paths:
        return res
    out = subprocess.run(["dpkg-query", "-S"] + paths, capture_output=True, text=True).stdout
    for line in out.split("\n"):
        if line.startswith("diversion ") or ": " not in line:
            continue
        pkgs, _, path = line.partition(": ")
        if path in res:
            res[path] += [p.strip().split(":")[0] for p in pkgs.split(",")]
    return res


def _usr_twin(p):
    for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
        if p.startswith(a):
            return b + p[len(a):]
        if p.startswith(b):
            return a + p[len(b):]
    return None


def chain(path):
    """PATH, every link of its symlink chain, and its realpath."""
    seen = []
    p = path
    for _ in range(20):
        if p in seen:
            break
        seen.append(p)
        if not os.path.islink(p):
            break
        t = os.readlink(p)
        p = os.path.normpath(os.path.join(os.path.dirname(p), t))
    r = os.path.realpath(path)
    if r not in seen:
        seen.append(r)
    return seen


def alternatives(paths):
    """Candidates of each /etc/alternatives/NAME among PATHS."""
    more = []
    for p in paths:
        if p.startswith("/etc/alternatives/"):
            out = subprocess.run(["update-alternatives", "--list", os.path.basename(p)],
                                 capture_output=True, text=True).stdout
            more += [x for x in out.split() if x.startswith("/")]
    return more


DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def resolve(names):
    """{name: [paths]}: `command -v` in this PATH, then Debian's default PATH."""
    script = 'for c; do printf "%s\\t%s\\t" "$c" "$(command -v -- "$c")"; printf "%s\\n" "$(PATH=' + DEBIAN_PATH + ' command -v -- "$c")"; done'
    out = subprocess.run(["bash", "-c", script, "_"] + names, capture_output=True, text=True).stdout
    res = {}
    for line in out.split("\n"):
        f = line.split("\t")
        if len(f) == 3:
            res[f[0]] = [p for p in dict.fromkeys(f[1:]) if p.startswith("/")]
    return res


def check(files, makefile, extra, notes):
    uses = extract(files)
    for e in extra:
        uses.append((e, "(--extra)", 0, "cmd"))
    where = {}
    for name, path, line, kind in uses:
        where.setdefault(name, []).append(f"{os.path.relpath(path) if path.startswith('/') else path}:{line}")
    deps = makefile_deps(makefile)
    listed = {p: var for var, pkgs in deps.items() for p in pkgs}
    db = dpkg_db()
    from_deps = closure(listed, db)
    base = closure([p for p, i in db.items() if i["essential"] or i["priority"] == "required"], db)

    names = sorted(where)
    plain = [n for n in names if not n.startswith("/")]
    found = resolve(plain)
    for n in names:
        if n.startswith("/"):
            found[n] = sorted(glob.glob(n)) if any(c in n for c in "*?[") else ([n] if os.path.exists(n) else [])
    allpaths = {}
    for n in names:
        ps = []
        for p in found.get(n, []):
            for q in chain(p):
                ps.append(q)
        ps += alternatives(ps)
        ps += [t for t in (_usr_twin(q) for q in ps) if t]
        allpaths[n] = list(dict.fromkeys(ps))
    own = owners([p for ps in allpaths.values() for p in ps if not p.startswith("/etc/alternatives/")])

    missing = []
    lines = []
    for n in names:
        first = where[n][0] + (f" (+{len(where[n]) - 1})" if len(where[n]) > 1 else "")
        paths = found.get(n, [])
        if not paths:
            missing.append(f"{n}: not found on this machine (used at {first}); install the package that "
                           f"has it and add that package to a DEPS_* list")
            continue
        pkgs = list(dict.fromkeys(p for q in allpaths[n] for p in own.get(q, [])))
        why = None
        for p in pkgs:
            if p in listed:
                why = f"{p} ({listed[p]})"
                break
        if not why:
            for p in pkgs:
                if p in base:
                    i = db[p]
                    kind = "essential" if i["essential"] else "required" if i["priority"] == "required" else f"needed by {base[p]}"
                    why = f"{p} (on every Debian: {kind})"
                    break
        if not why:
            for p in pkgs:
                if p in from_deps:
                    why = f"{p} (dependency of {from_deps[p]}, {listed[from_deps[p]]})"
                    break
        shown = paths[0]
        if len(paths) > 1 and not any(own.get(q) for q in chain(paths[0])):
            shown = f"{paths[1]} (first in PATH: {paths[0]}, from no package)"
        if why:
            lines.append(f"{n} -> {shown}: {why}")
        elif pkgs:
            missing.append(f"{n}: {paths[0]} is in package {', '.join(pkgs)}, which no DEPS_* list names "
                           f"and no Debian system has by default (used at {first})")
        else:
            missing.append(f"{n}: {paths[0]} belongs to no Debian package (used at {first})")
    if notes:
        for l in lines:
            print(f"# {l}")
    print(f"checked {len(names)} commands in {len(files)} files: {len(names) - len(missing)} provided, {len(missing)} missing")
    for m in missing:
        print(f"MISSING {m}")
    return 1 if missing else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "extract":
        for name, path, line, kind in extract(argv[2:]):
            print(f"{name}\t{path}:{line}\t{kind}")
        return 0
    if len(argv) >= 2 and argv[1] == "check":
        makefile, extra, notes, files = "Makefile", [], False, []
        args = argv[2:]
        while args:
            a = args.pop(0)
            if a == "--makefile":
                makefile = args.pop(0)
            elif a == "--extra":
                extra.append(args.pop(0))
            elif a == "--notes":
                notes = True
            else:
                files.append(a)
        return check(files, makefile, extra, notes)
    if len(argv) >= 2 and argv[1] == "deps":
        for var, pkgs in makefile_deps(argv[2]).items():
            print(var, " ".join(pkgs))
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
