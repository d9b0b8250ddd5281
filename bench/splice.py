#!/usr/bin/env python3
"""Writes a benchmark's section of BENCHMARKS.md: `bench/splice.py FRAGMENT HEADING`.

FRAGMENT (a Markdown file starting with its `## N. ...` heading, e.g. bench/server.md)
replaces the section of BENCHMARKS.md that starts with HEADING (up to the next `## `), or,
when there is none yet, goes before "## Targets and where Warden stands" (at the end when
that is missing too). The one splice of the scripts that write a section of their own
(scripts/bench-server.sh, bench/decision-servers/report.py, bench/cedar-agent/report.py,
bench/keycloak/report.mjs); bench/report.mjs keeps their fragments when bench-all.sh
rebuilds the whole file. Standard library only.
"""

import sys

TARGETS = "## Targets and where Warden stands"


def splice(fragment, heading, path="BENCHMARKS.md"):
    md = open(fragment).read().rstrip() + "\n"
    text = open(path).read()
    start = text.find(heading)
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + md + (text[end:] if end >= 0 else "")
    else:
        at = text.find(TARGETS)
        text = (text[:at] + md + "\n" + text[at:]) if at >= 0 else text.rstrip() + "\n\n" + md
    open(path, "w").write(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: bench/splice.py FRAGMENT HEADING")
    splice(sys.argv[1], sys.argv[2])
