#!/usr/bin/python3
"""Sorts ThreadSanitizer reports (files written through TSAN_OPTIONS=log_path) into known false
positives and real findings; exits 1 if any real finding remains.

Known false positive, and the only one set aside: Synchronization.Mutex under contention on Linux
(see MutexContention.swift). It is recognised precisely: a race report in which EVERY access stack
(the current one and the previous one) has, as frame #0, a closure passed to Mutex.withLock — Swift
mangles those closures `…zYuYTXEfU<n>_` (inout sending State, sending result, non-escaping, closure
#n). A race where either side is outside a withLock closure is reported as real.

usage: tsan_triage.py LOG_DIR
"""
import os
import re
import sys

ACCESS = re.compile(r"^  (Previous )?(atomic )?(read|write|Read|Write|Modifying access|modifying access)\b.*")
FRAME0 = re.compile(r"^\s+#0 (\S+)")
WITHLOCK_CLOSURE = re.compile(r"zYuYTXEfU\d*_")


def reports(text):
    for block in text.split("==================\n"):
        if "WARNING: ThreadSanitizer:" in block:
            yield block


def classify(block):
    """'mutex' for the known false positive, otherwise 'real'."""
    if "data race" not in block and "access race" not in block:
        return "real"
    lines = block.splitlines()
    tops = []
    for i, line in enumerate(lines):
        if ACCESS.match(line):
            for nxt in lines[i + 1:i + 3]:
                m = FRAME0.match(nxt)
                if m:
                    tops.append(m.group(1))
                    break
            else:
                tops.append("")
    if len(tops) >= 2 and all(WITHLOCK_CLOSURE.search(t) for t in tops):
        return "mutex"
    return "real"


def main():
    log_dir = sys.argv[1]
    counts = {"mutex": 0, "real": 0}
    real = []
    for name in sorted(n for n in os.listdir(log_dir) if n.startswith("tsan.")):
        path = os.path.join(log_dir, name)
        with open(path, errors="replace") as f:
            for block in reports(f.read()):
                kind = classify(block)
                counts[kind] += 1
                if kind == "real":
                    real.append((name, block))
    for name, block in real[:5]:
        print(f"--- real ThreadSanitizer report in {name}:\n{block}", file=sys.stderr)
    summary = next((l for l in (b.splitlines() for _, b in real) for l in l if l.startswith("SUMMARY")), "")
    print(f"tsan-triage: {counts['real']} real report(s), {counts['mutex']} known Mutex false positive(s)"
          + (f"; first: {summary}" if summary else ""))
    return 1 if counts["real"] else 0


if __name__ == "__main__":
    sys.exit(main())
