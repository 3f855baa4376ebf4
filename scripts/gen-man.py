#!/usr/bin/env python3
"""Generate aerosink's man pages from the binary's own help, so they never drift.

    scripts/gen-man.py build/aerosink docs/man           # write aerosink.1, aerosink-config.5
    scripts/gen-man.py --check build/aerosink docs/man   # exit 1 (with a diff) if they differ

aerosink.1        `aerosink help` (the command table) and `aerosink COMMAND --help` of each
                  command, plus the fixed sections below (exit status, signals, files...).
aerosink-config.5 `aerosink help config`: the declarative key table of src/config.

The help texts are plain text laid out by a few rules (documented in parse_* below). When a
text stops following them this script fails with the line it could not place, rather than
writing a page that silently lost something. `make man` runs it; the install test runs
--check, so a change to a help text or to the key table fails `make test` until the pages are
regenerated and committed.
"""
import difflib
import os
import re
import subprocess
import sys

MANUAL = "aerosink manual"


# ---------------------------------------------------------------------------------------------
# roff helpers
# ---------------------------------------------------------------------------------------------

def esc(s):
    """Plain text -> roff text: backslashes, ASCII hyphen-minus (copy-pastable keys and
    options), straight quotes and backticks that groff would otherwise typeset as curly."""
    s = s.replace("\\", "\\e")
    s = s.replace("-", "\\-")
    s = s.replace("'", "\\(aq")
    s = s.replace("`", "\\(ga")
    return s


def inline(s):
    """Filled text: `code` spans become bold, the rest is escaped."""
    out = []
    parts = re.split(r"`([^`]+)`", s)
    for i, p in enumerate(parts):
        out.append("\\fB" + esc(p) + "\\fR" if i % 2 else esc(p))
    return "".join(out)


def line_safe(s):
    """A roff input line must not start with a control character."""
    return "\\&" + s if s.startswith(".") or s.startswith("'") else s


def heading(s):
    """.SH/.SS argument: double quotes would end the macro argument."""
    return line_safe(esc(s).replace('"', "\\(dq"))


def para(lines):
    """Lines of one paragraph -> one filled roff line."""
    text = " ".join(l.strip() for l in lines if l.strip())
    return line_safe(inline(text))


def verbatim(lines):
    """An indented block -> .nf block, common indent removed."""
    ind = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    out = [".RS 4", ".nf"]
    for l in lines:
        out.append(line_safe(esc(l[ind:].rstrip())))
    out += [".fi", ".RE"]
    return out


def option_tag(tag):
    """'-h, --host HOST:PORT' -> bold options, italic arguments."""
    words = []
    for w in tag.split(" "):
        if not w:
            continue
        core = w.rstrip(",")
        tail = w[len(core):]
        if core.startswith("-"):
            words.append("\\fB" + esc(core) + "\\fR" + tail)
        else:
            words.append("\\fI" + esc(core) + "\\fR" + tail)
    return line_safe(" ".join(words))


def indent_of(l):
    return len(l) - len(l.lstrip(" "))


def fail(what, lineno, line):
    sys.exit("gen-man.py: %s, line %d: cannot place %r (did the help layout change?)"
             % (what, lineno + 1, line))


# ---------------------------------------------------------------------------------------------
# `aerosink COMMAND --help`
#   line 1: "usage: aerosink COMMAND ..."          -> synopsis
#   column-0 lines                                 -> filled paragraphs (blank line = new one)
#   indented lines starting with "-"               -> an option: "TAG  description", wrapped
#                                                     lines indented deeper
#   other indented lines                           -> a verbatim block (examples, tables)
# ---------------------------------------------------------------------------------------------

LABEL = re.compile(r"^[A-Z][a-z]+( [a-z]+)?:( |$)")   # "Exit: ...", "Example: ..." start a paragraph


def options(block, ind):
    """Option lines ("  TAG   description", wrapped lines indented to the description column)
    -> .TP entries. The description column is the one most lines agree on, so a tag that fills
    the whole column ("--drain-timeout SECONDS on SIGTERM...", one space) still splits right."""
    cols = {}
    for l in block:
        if indent_of(l) > ind:
            c = indent_of(l)
        else:
            m = re.match(r"^(\s+\S.*?\s{2,})\S", l)
            if not m:
                continue
            c = len(m.group(1))
        cols[c] = cols.get(c, 0) + 1
    col = max(sorted(cols), key=lambda c: cols[c]) if cols else 0
    out = []
    for l in block:
        if indent_of(l) > ind:
            out[-1][1].append(l)
            continue
        if col and len(l) > col and l[col - 1] == " " and l[col] != " ":
            tag, desc = l[:col].strip(), l[col:]
        else:
            m = re.match(r"^\s+(\S.*?)(?:\s{2,}(\S.*))?$", l)
            tag, desc = m.group(1), m.group(2) or ""
        out.append((tag, [desc]))
    roff = []
    for tag, desc in out:
        roff += [".TP", option_tag(tag), para(desc)]
    return roff


def help_body(text, what):
    lines = text.rstrip("\n").split("\n")
    if not lines[0].startswith("usage: "):
        fail(what, 0, lines[0])
    usage = lines[0][len("usage: "):]
    out = []
    i, n = 1, len(lines)
    prev = None
    while i < n:
        l = lines[i]
        if not l.strip():
            i += 1
            prev = "blank" if prev else None
            continue
        ind = indent_of(l)
        if ind == 0:
            j = i + 1
            while j < n and lines[j].strip() and indent_of(lines[j]) == 0 and not LABEL.match(lines[j]):
                j += 1
            out += [".PP", para(lines[i:j])]
            prev, i = "para", j
        elif l.lstrip().startswith("-"):
            j = i
            while j < n and lines[j].strip() and indent_of(lines[j]) >= ind \
                    and (indent_of(lines[j]) > ind or lines[j].lstrip().startswith("-")):
                j += 1
            if prev == "verb":
                out.append(".PP")
            out += options(lines[i:j], ind)
            prev, i = "opt", j
        else:
            j = i
            while j < n and lines[j].strip() and indent_of(lines[j]) > 0 \
                    and not (indent_of(lines[j]) == ind and lines[j].lstrip().startswith("-")):
                j += 1
            if prev == "opt":
                out.append(".PP")
            out += verbatim(lines[i:j])
            prev, i = "verb", j
    return usage, out


def synopsis(usage):
    """'aerosink standalone [OPTIONS] FILE...' -> bold command words, the rest as typed."""
    words = usage.split(" ")
    k = 1
    while k < len(words) and re.match(r"^[a-z]+$", words[k]):
        k += 1
    cmd = " ".join(words[:k])
    rest = " ".join(words[k:])
    return line_safe("\\fB" + esc(cmd) + "\\fR" + (" " + esc(rest) if rest else ""))


# ---------------------------------------------------------------------------------------------
# `aerosink help`: "Commands:" then "  NAME   summary" lines.
# ---------------------------------------------------------------------------------------------

def parse_commands(text):
    lines = text.split("\n")
    try:
        start = lines.index("Commands:") + 1
    except ValueError:
        sys.exit("gen-man.py: `aerosink help` has no 'Commands:' line")
    cmds = []
    for l in lines[start:]:
        if not l.strip():
            break
        m = re.match(r"^  (\S+)\s{2,}(\S.*)$", l)
        if not m:
            fail("aerosink help", lines.index(l), l)
        cmds.append((m.group(1), m.group(2)))
    tagline = next((l for l in lines[1:start] if l.strip() and not l.startswith("usage")), "")
    return tagline.strip(), cmds


def run(binary, *args):
    r = subprocess.run([binary] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=dict(os.environ, LC_ALL="C"))
    if r.returncode != 0:
        sys.exit("gen-man.py: %s %s: exit %d: %s" % (binary, " ".join(args), r.returncode, r.stderr))
    return r.stdout


def page_aerosink(binary, version):
    tagline, cmds = parse_commands(run(binary, "help"))
    details = []
    synopses = []
    for name, _summary in cmds:
        if name == "help":
            continue
        text = run(binary, name, "--help")
        if not text.startswith("usage: "):
            continue            # e.g. `version`: prints the version, has no options
        usage, body = help_body(text, "aerosink %s --help" % name)
        synopses.append(synopsis(usage))
        details += [".SS " + heading("aerosink " + name), synopsis(usage)] + body
    out = [
        '.\\" Generated by scripts/gen-man.py from `aerosink help` and `aerosink COMMAND --help`.',
        '.\\" Do not edit: run `make man` and commit the result.',
        '.TH AEROSINK 1 "" "%s" "%s"' % (esc(version), MANUAL),
        ".nh",
        ".ad l",
        ".SH NAME",
        "aerosink \\- " + esc(tagline.rstrip(".").replace("A native", "native")),
        ".SH SYNOPSIS",
    ]
    for i, s in enumerate(synopses):
        out += ([".br"] if i else []) + [s]
    out += [
        ".SH DESCRIPTION",
        para(["aerosink reads records from Kafka topics and writes them to an Aerospike cluster, "
              "doing what Aerospike Connect for Kafka (Inbound) does inside Kafka Connect. It reads the "
              "same files unchanged: the Kafka Connect worker properties, one properties (or REST-style "
              "JSON) file per connector, and the connector's mapping file `aerospike-kafka-inbound.yml`, "
              "described in aerosink-config(5)."]),
        ".PP",
        para(["Each connector consumes as consumer group `connect-<name>`, the group the Java connector "
              "uses, and commits an offset only after Aerospike acknowledged every record before it "
              "(at-least-once delivery; records with the same Kafka key are written in Kafka order)."]),
        ".SH COMMANDS",
    ]
    for name, summary in cmds:
        out += [".TP", "\\fB" + esc(name) + "\\fR", para([summary])]
    out += [".SH COMMAND DETAILS"] + details
    out += FIXED_SECTIONS_1
    return "\n".join(out) + "\n"


FIXED_SECTIONS_1 = r"""
.SH EXIT STATUS
.TP
.B 0
Success; for \fBstandalone\fR: stopped by SIGTERM or SIGINT after draining and committing.
.TP
.B 1
Runtime failure: a task failed (\fBinvalid\-record: kill\-task\fR, a write that can never
succeed with \fBon\-write\-failure: kill\-task\fR, a fatal Kafka or Aerospike error).
Restarting may help once the cause is fixed. (An Aerospike cluster that does not answer at
start is retried every 2 s until it does, or until SIGTERM, which then exits 0.)
.TP
.B 2
Usage or configuration error, printed as \fIfile\fR:\fIline\fR:\fIcol\fR: \fIkey\fR: \fImessage\fR
(the lines \fBaerosink check\fR prints). Restarting does not help.
.SH SIGNALS
.TP
.BR SIGTERM ", " SIGINT
Stop fetching, wait up to \fB\-\-drain\-timeout\fR seconds for writes in flight, commit the
offsets of everything acknowledged, leave the consumer group and exit 0. Records still in
flight after the timeout are not committed and are read again by the next owner.
.TP
.B SIGHUP
\fBstandalone\fR: read and check every file again; a set with errors is refused (each problem
logged) and the running one stays, a good set replaces it once the running connectors drained
and committed (\fBsystemctl reload\fR). \fBdistributed\fR ignores it: change connectors
through the REST API.
.SH ENVIRONMENT
.TP
.B NOTIFY_SOCKET
Set by systemd for \fBType=notify\fR units. \fBaerosink standalone\fR sends
\fBREADY=1\fR once the configuration is loaded, every connector's Aerospike cluster answered,
the REST API (if configured) listens and the consumers start; \fBRELOADING=1\fR and
\fBREADY=1\fR again around a SIGHUP reload. \fBaerosink distributed\fR sends \fBREADY=1\fR
once its REST API listens and it has read the config topic.
.TP
.B AEROSPIKE_HOSTS
Default node (\fIhost\fR:\fIport\fR[,...], the first is used) of \fBinfo\fR, \fBget\fR and \fBput\fR.
.SH FILES
.TP
.I /etc/aerosink/INSTANCE/
Configuration of the systemd unit \fBaerosink@INSTANCE.service\fR (its working directory):
\fBworker.properties\fR, the connector files listed in \fBAEROSINK_CONNECTORS\fR
(default \fBconnector.properties\fR), the mapping file they name, and the optional
\fBaerosink.env\fR (\fBAEROSINK_OPTS\fR, \fBAEROSINK_CONNECTORS\fR).
.TP
.I /etc/aerosink/distributed/
Configuration of \fBaerosink\-distributed.service\fR.
.TP
.I lib/systemd/system/aerosink@.service
Under the installation prefix; also \fIlib/sysusers.d/aerosink.conf\fR (the \fBaerosink\fR
system user) and \fIlib/tmpfiles.d/aerosink.conf\fR.
.SH SEE ALSO
.BR aerosink\-config (5),
.BR systemctl (1),
.BR systemd.service (5),
.BR journalctl (1).
The operations guide \fIoperations.md\fR (sizing, monitoring, upgrading, failure modes) is
installed in \fIshare/doc/aerosink/\fR under the installation prefix.
""".strip("\n").split("\n")


# ---------------------------------------------------------------------------------------------
# `aerosink help config`
#   line 1 title, then the introduction (column 0) up to a blank line
#   a column-0 line starts a section:
#     "Connector properties", "Worker properties": an introduction indented 2, then keys
#        indented 2 ("name" or "name (default X)") with their description indented 6
#     "Old spellings...", "Example:": verbatim blocks
#     any other: mapping-file keys indented 2; the first line indented 6 is the type
#        ("integer 1..1024, default 32768  [origin]"), the next ones the description
# ---------------------------------------------------------------------------------------------

PROPERTY_SECTIONS = ("Connector properties", "Worker properties")


def config_sections(text):
    lines = text.rstrip("\n").split("\n")
    i = 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    intro = []
    while i < len(lines) and lines[i].strip():
        intro.append(lines[i])
        i += 1
    sections = []
    for j in range(i, len(lines)):
        l = lines[j]
        if l.strip() and indent_of(l) == 0:
            sections.append([l.strip(), []])
        elif sections:
            sections[-1][1].append((j, l))
        elif l.strip():
            fail("aerosink help config", j, l)
    return lines[0], intro, sections


def key_entries(body, typed, what):
    """-> roff for the keys of one section (and its indented introduction, if any)."""
    out = []
    rows = [(j, l) for j, l in body if l.strip()]
    k = 0
    intro = []
    while k < len(rows):
        j, l = rows[k]
        ind = indent_of(l)
        nxt = rows[k + 1][1] if k + 1 < len(rows) else ""
        if ind == 2 and indent_of(nxt) == 6 and nxt.strip():
            if intro:
                out += [".PP", para(intro)]
                intro = []
            key = l.strip()
            desc = []
            k += 1
            while k < len(rows) and indent_of(rows[k][1]) == 6:
                desc.append(rows[k][1])
                k += 1
            m = re.match(r"^(\S+)(?: \((default .*)\))?$", key)
            if not m:
                fail(what, j, l)
            tag = "\\fB" + esc(m.group(1)) + "\\fR"
            if m.group(2):
                tag += " (" + inline(m.group(2)) + ")"
            out += [".TP", line_safe(tag)]
            if typed:
                out += [line_safe("\\fI" + esc(desc[0].strip()) + "\\fR")]
                desc = desc[1:]
                if desc:
                    out.append(".br")
            if desc:
                out.append(para(desc))
        elif ind == 2:
            intro.append(l)
            k += 1
        else:
            fail(what, j, l)
    if intro:
        out += [".PP", para(intro)]
    return out


def page_config(binary, version):
    text = run(binary, "help", "config")
    title, intro, sections = config_sections(text)
    what = "aerosink help config"
    mapping, props, old, example = [], [], [], []
    for head, body in sections:
        if head in PROPERTY_SECTIONS:
            props += [".SH " + heading(head.upper())] + key_entries(body, False, what)
        elif head.startswith("Old spellings"):
            old += [".SS " + heading(head.rstrip(":")),
                    *verbatim([l for _, l in body if l.strip()])]
        elif head == "Example:":
            example += [".SH EXAMPLE", *verbatim([l for _, l in body if l.strip()])]
        else:
            mapping += [".SS " + heading(head)] + key_entries(body, True, what)
    if not mapping or not props:
        sys.exit("gen-man.py: `aerosink help config`: no key sections found")
    out = [
        '.\\" Generated by scripts/gen-man.py from `aerosink help config` (the key table in',
        '.\\" src/config). Do not edit: run `make man` and commit the result.',
        '.TH AEROSINK\\-CONFIG 5 "" "%s" "%s"' % (esc(version), MANUAL),
        ".nh",
        ".ad l",
        ".SH NAME",
        "aerosink\\-config \\- " + esc(title.replace("aerosink ", "aerosink's ", 1))
        + ": aerospike\\-kafka\\-inbound.yml, connector and worker properties",
        ".SH SYNOPSIS",
        "\\fBaerosink check\\fR \\fIFILE\\fR...",
        ".br",
        "\\fBaerosink help config\\fR [\\fB\\-\\-markdown\\fR]",
        ".SH DESCRIPTION",
        para(intro),
        ".PP",
        para(["Each key below is shown with its type, range or allowed values, default and origin, "
              "then its meaning. `<topic>` stands for a Kafka topic name, `<bin>` for a bin name, "
              "`[]` for the items of a list."]),
        ".SH MAPPING FILE KEYS",
    ] + mapping + old + props + example + [
        ".SH SEE ALSO",
        ".BR aerosink (1).",
        "The same reference as Markdown: \\fBaerosink help config \\-\\-markdown\\fR.",
    ]
    return "\n".join(out) + "\n"


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check, argv = True, argv[1:]
    if len(argv) != 2:
        sys.exit(__doc__)
    binary, outdir = argv
    # "aerosink 0.1.0 (commit ...)": the pages name the release, not the commit (which
    # changes with every commit, the pages would never be current)
    version = re.sub(r" \(commit [^)]*\)$", "", run(binary, "--version").strip())
    pages = {"aerosink.1": page_aerosink(binary, version),
             "aerosink-config.5": page_config(binary, version)}
    bad = 0
    for name, text in pages.items():
        path = os.path.join(outdir, name)
        if check:
            try:
                with open(path) as f:
                    have = f.read()
            except OSError as e:
                print("gen-man.py: %s: %s" % (path, e.strerror), file=sys.stderr)
                bad += 1
                continue
            if have != text:
                bad += 1
                sys.stderr.writelines(difflib.unified_diff(
                    have.splitlines(True), text.splitlines(True), path, "generated from " + binary))
                print("gen-man.py: %s is out of date: run `make man` and commit it" % path,
                      file=sys.stderr)
        else:
            os.makedirs(outdir, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
