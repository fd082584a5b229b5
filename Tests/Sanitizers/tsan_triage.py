#!/usr/bin/python3
"""Sorts ThreadSanitizer reports (files written through TSAN_OPTIONS=log_path) into known false
positives and real findings; exits 1 if any real finding remains.

Known false positive, and the only one set aside: Synchronization.Mutex under contention on Linux
(see MutexContention.swift). It is recognised by shape: a race report in which EVERY access stack
(the current one and the previous one) runs inside a closure passed to Mutex.withLock, i.e. both
threads held a Mutex — Swift mangles those closures `…zYuYTXEfU<n>_` (inout sending State, sending
result, non-escaping, closure #n); the closure may be frame #0 or a caller of it (a helper called
with the lock held). A race where either side holds no Mutex is reported as real. What this cannot
tell apart: two sides holding two DIFFERENT mutexes over the same data (our code keeps each piece
of state inside exactly one Mutex value, so that would not compile without an unsafe escape).

usage: tsan_triage.py LOG_DIR
"""
import os
import re
import sys

ACCESS = re.compile(r"^  (Previous )?(atomic )?(read|write|Read|Write|Modifying access|modifying access)\b.*")
FRAME = re.compile(r"^\s+#\d+ (\S+)")
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
    stacks = []
    for i, line in enumerate(lines):
        if ACCESS.match(line):
            frames = []
            for nxt in lines[i + 1:]:
                m = FRAME.match(nxt)
                if not m:
                    break
                frames.append(m.group(1))
            stacks.append(frames)
    if len(stacks) >= 2 and all(any(WITHLOCK_CLOSURE.search(f) for f in st) for st in stacks):
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
