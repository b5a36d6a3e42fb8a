# ruff: noqa
"""Ctrl-C (SIGINT to the process group, as a terminal sends it) during `overgang run --rebuild`
on the sample. Prints delay, exit status, tracebacks, and the last message lines.
Usage: OVERGANG_HOME=... OVERGANG_INBOX=... .venv/bin/python hostile_findings/sigint_run.py 1 3 5 7 9"""

import os, signal, subprocess, sys, time

for delay in map(float, sys.argv[1:]):
    p = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--rebuild"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(delay)
    os.killpg(p.pid, signal.SIGINT)
    out = p.communicate()[0].decode(errors="replace")
    last = [
        l
        for l in out.splitlines()
        if l.startswith(("Done", "Error", "Interrupted", "Nothing", "✗", "Traceback", "KeyboardInterrupt"))
    ]
    print(f"delay={delay}s rc={p.returncode} tracebacks={out.count('Traceback')} | {' / '.join(last)[:400]}")
