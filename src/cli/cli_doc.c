/* cli_doc.c: --help, docs/usage.md and the man page, from the option
 * table (cli_options.c). */
#include <stdio.h>
#include <string.h>

#include "pscan/cli.h"

#include "cli_int.h"

static const char *const synopsis[] = {
    "pscan [options] TARGET...",
    "pscan --resume FILE",
    "pscan diff OLD NEW",
    "pscan report --html | --junit [options] SCAN.jsonl...",
};
#define NSYNOPSIS (sizeof synopsis / sizeof synopsis[0])
static const char summary[] =
    "pscan finds open ports fast and names what answers on them.";
static const char resume_text[] =
    "An interrupted scan (SIGINT or SIGTERM: Ctrl-C, a job scheduler's stop) ends within about a "
    "second, writes valid partial outputs in every format, saves where it got to in pscan.resume "
    "and exits with status 4; 'pscan --resume pscan.resume' does the rest, appending to its "
    "outputs. A second signal, half a second or more after the first, ends pscan at once.";
static const char targets_text[] =
    "Targets are IPv4 or IPv6 addresses, networks in CIDR notation "
    "(198.18.0.0/24, 2001:db8::/120), nmap-style octet ranges "
    "(198.18.0-3.1-254) and host names (resolved once, first address).";
/* The commands beside the scan (main.c dispatches them; each has --help). */
static const char *const command_text[][2] = {
    {"pscan diff OLD NEW",
     "Compare two results (-oJ, or -oX from pscan or nmap): ports opened, closed or changed, hosts that "
     "came or went. Exit status 0 no differences, 1 differences, 2 error. See docs/output.md."},
    {"pscan merge [--partial] OUT IN...",
     "Put the -oJ files of one scan's shards (--shard K/N or auto, and their --resume runs) back together "
     "into OUT, as one unsharded run would have written it. Refuses, naming the problem, parts of different "
     "scans (seed, targets and ports, version or options differ), a shard given twice and a shard that did "
     "not end; --partial merges what is there and names the missing shards. Exit status 0, 1 bad input, "
     "2 a write failed, 4 partial. See docs/scale-out.md."},
    {"pscan report --html | --junit [-o FILE] [--baseline OLD] [--expect POLICY [--expect-strict]] SCAN.jsonl...",
     "Make an audit report from one or more JSON Lines results (the parts of a sharded scan too): --html a "
     "self-contained HTML file (policy findings, summary, TLS certificates with days to expiry, every open "
     "port in a sortable, filterable table), --junit the policy's checks as JUnit XML for CI systems. "
     "--baseline adds what changed since OLD; --expect checks a policy as a scan would. Exit status 0, "
     "3 when the policy is violated, 1 bad input, 2 a write failed. See docs/output.md and docs/ci.md."},
};

static const char *const exit_text[][2] = {
    {"0", "the scan ran to its end"},
    {"1", "bad usage or input: nothing was scanned"},
    {"2", "the scan failed at run time (sockets, memory, devices), or an output could not be "
          "written (one line names it; the other outputs are complete)"},
    {"3", "--expect: the scan found a port its policy does not allow (one line each on standard error)"},
    {"4", "interrupted (SIGINT, SIGTERM): the outputs are valid but partial, and pscan.resume "
          "holds where the scan stopped ('pscan --resume pscan.resume' finishes it)"},
};
static const char example_text[][2][80] = {
    {"pscan -sT 127.0.0.1 -p-", "every TCP port of this machine"},
    {"pscan -sT 198.18.0.0/24 --top-ports 100", "the 100 most common ports of a /24"},
    {"pscan -sT -iL hosts.txt --exclude 198.18.0.1 -p 22,80,443", "a list, less one host"},
    {"pscan --resume pscan.resume", "finish the scan Ctrl-C interrupted"},
    {"pscan diff monday.jsonl tuesday.jsonl", "what changed between two scans"},
};

static void opt_label(const struct option_row *o, char *buf, size_t len)
{
    if (o->alias && o->arg) snprintf(buf, len, "%s, %s %s", o->alias, o->name, o->arg);
    else if (o->alias) snprintf(buf, len, "%s, %s", o->alias, o->name);
    else if (o->arg) snprintf(buf, len, "%s %s", o->name, o->arg);
    else snprintf(buf, len, "%s", o->name);
}

void ps_cli_help(FILE *out)
{
    char label[64];
    fprintf(out, "pscan %s: %s\nUsage: %s\n", PSCAN_VERSION, summary, synopsis[0]);
    for (size_t i = 1; i < NSYNOPSIS; i++) fprintf(out, "       %s\n", synopsis[i]);
    fprintf(out, "%s\n", targets_text);
    for (size_t g = 0; g < ps_cli_ngroups; g++) {
        fprintf(out, "%s:\n", ps_cli_groups[g]);
        for (size_t i = 0; i < ps_cli_noptions; i++) {
            const struct option_row *o = &ps_cli_options[i];
            if (o->group != ps_cli_groups[g] || (o->flags & F_HIDDEN)) continue;
            opt_label(o, label, sizeof label);
            fprintf(out, "  %-26s %s\n", label, o->help);
        }
    }
    fprintf(out, "COMMANDS:\n");
    for (size_t i = 0; i < sizeof command_text / sizeof command_text[0]; i++)
        fprintf(out, "  %s\n", command_text[i][0]);
    fprintf(out, "EXIT STATUS:\n");
    for (size_t i = 0; i < sizeof exit_text / sizeof exit_text[0]; i++)
        fprintf(out, "  %s  %s\n", exit_text[i][0], exit_text[i][1]);
    fprintf(out, "EXAMPLES:\n");
    for (size_t i = 0; i < sizeof example_text / sizeof example_text[0]; i++)
        fprintf(out, "  %s\n", example_text[i][0]);
    fprintf(out, "See the pscan(1) manual page or docs/usage.md for more.\n");
}

void ps_cli_doc_markdown(FILE *out)
{
    char label[64];
    fprintf(out, "# pscan usage\n\n<!-- Generated by `make docs` from the option table in src/cli/cli.c: do not edit. -->\n\n");
    fprintf(out, "```\n");
    for (size_t i = 0; i < NSYNOPSIS; i++) fprintf(out, "%s\n", synopsis[i]);
    fprintf(out, "```\n\n%s\n\n%s\n", summary, targets_text);
    for (size_t g = 0; g < ps_cli_ngroups; g++) {
        fprintf(out, "\n## %s\n", ps_cli_groups[g]);
        for (size_t i = 0; i < ps_cli_noptions; i++) {
            const struct option_row *o = &ps_cli_options[i];
            if (o->group != ps_cli_groups[g] || (o->flags & F_HIDDEN)) continue;
            opt_label(o, label, sizeof label);
            fprintf(out, "\n### `%s`\n\n%s\n", label, o->doc ? o->doc : o->help);
        }
    }
    fprintf(out, "\n## INTERRUPT AND RESUME\n\n%s\n", resume_text);
    fprintf(out, "\n## COMMANDS\n");
    for (size_t i = 0; i < sizeof command_text / sizeof command_text[0]; i++)
        fprintf(out, "\n### `%s`\n\n%s\n", command_text[i][0], command_text[i][1]);
    fprintf(out, "\n## EXIT STATUS\n\n");
    for (size_t i = 0; i < sizeof exit_text / sizeof exit_text[0]; i++)
        fprintf(out, "- `%s`: %s\n", exit_text[i][0], exit_text[i][1]);
    fprintf(out, "\n`pscan diff` exits 0 when nothing differs, 1 when something does, 2 on an error.\n");
    fprintf(out, "\n## EXAMPLES\n\n");
    for (size_t i = 0; i < sizeof example_text / sizeof example_text[0]; i++)
        fprintf(out, "- `%s`: %s\n", example_text[i][0], example_text[i][1]);
}

/* troff needs leading dots and backslashes escaped, and '-' as '\-'. */
static void man_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'') fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", out);
        else if (*s == '-') fputs("\\-", out);
        else fputc(*s, out);
    }
}

void ps_cli_doc_man(FILE *out)
{
    fprintf(out, ".\\\" Generated by `make docs` from the option table in src/cli/cli.c: do not edit.\n");
    fprintf(out, ".TH PSCAN 1 \"\" \"pscan %s\" \"User Commands\"\n", PSCAN_VERSION);
    fprintf(out, ".SH NAME\npscan \\- fast port scanner and service identifier\n");
    fprintf(out, ".SH SYNOPSIS\n.B pscan\n[\\fIoptions\\fR] \\fITARGET\\fR...\n.br\n.B pscan \\-\\-resume\n\\fIFILE\\fR\n"
                 ".br\n.B pscan diff\n\\fIOLD NEW\\fR\n");
    fprintf(out, ".SH DESCRIPTION\n");
    man_text(out, summary);
    fprintf(out, "\n.PP\n");
    man_text(out, targets_text);
    fprintf(out, "\n");
    for (size_t g = 0; g < ps_cli_ngroups; g++) {
        fprintf(out, ".SH %s\n", ps_cli_groups[g]);
        for (size_t i = 0; i < ps_cli_noptions; i++) {
            const struct option_row *o = &ps_cli_options[i];
            if (o->group != ps_cli_groups[g] || (o->flags & F_HIDDEN)) continue;
            fprintf(out, ".TP\n");
            if (o->alias) {
                fprintf(out, "\\fB");
                man_text(out, o->alias);
                fprintf(out, "\\fR, ");
            }
            fprintf(out, "\\fB");
            man_text(out, o->name);
            fprintf(out, "\\fR");
            if (o->arg) {
                fprintf(out, " \\fI");
                man_text(out, o->arg);
                fprintf(out, "\\fR");
            }
            fprintf(out, "\n");
            man_text(out, o->doc ? o->doc : o->help);
            fprintf(out, "\n");
        }
    }
    fprintf(out, ".SH INTERRUPT AND RESUME\n");
    man_text(out, resume_text);
    fprintf(out, "\n");
    fprintf(out, ".SH COMMANDS\n");
    for (size_t i = 0; i < sizeof command_text / sizeof command_text[0]; i++) {
        fprintf(out, ".TP\n.B ");
        man_text(out, command_text[i][0]);
        fprintf(out, "\n");
        man_text(out, command_text[i][1]);
        fprintf(out, "\n");
    }
    fprintf(out, ".SH EXIT STATUS\n");
    for (size_t i = 0; i < sizeof exit_text / sizeof exit_text[0]; i++) {
        fprintf(out, ".TP\n.B %s\n", exit_text[i][0]);
        man_text(out, exit_text[i][1]);
        fprintf(out, "\n");
    }
    fprintf(out, ".PP\n");
    man_text(out, "pscan diff exits 0 when nothing differs, 1 when something does, 2 on an error.");
    fprintf(out, "\n");
    fprintf(out, ".SH EXAMPLES\n");
    for (size_t i = 0; i < sizeof example_text / sizeof example_text[0]; i++) {
        fprintf(out, ".TP\n.B ");
        man_text(out, example_text[i][0]);
        fprintf(out, "\n");
        man_text(out, example_text[i][1]);
        fprintf(out, "\n");
    }
    fprintf(out, ".SH SEE ALSO\n.BR nmap (1),\n.BR masscan (1),\n.BR zmap (1)\n");
}
