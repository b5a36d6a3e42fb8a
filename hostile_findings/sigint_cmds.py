# ruff: noqa
"""Ctrl-C (SIGINT to the process group) at a delay during other commands.
Usage: OVERGANG_HOME=... OVERGANG_INBOX=... python sigint_cmds.py DELAY -- overgang args..."""
import os, signal, subprocess, sys, time

delay = float(sys.argv[1])
args = sys.argv[3:]
p = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
time.sleep(delay)
os.killpg(p.pid, signal.SIGINT)
out = p.communicate()[0].decode(errors="replace")
print(f"{' '.join(args)[:60]} delay={delay}s rc={p.returncode} tracebacks={out.count('Traceback')}")
print("   " + "\n   ".join(out.strip().splitlines()[-4:]))
