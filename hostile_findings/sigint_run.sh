#!/bin/bash
# Ctrl-C during `overgang run` (sample, --rebuild): is it obeyed? Each line: delay, rc, last line.
R=/tmp/hh_int
cd "$(dirname "$0")/.."
export OVERGANG_HOME=$R/home OVERGANG_INBOX=$R/inbox
for delay in ${@:-2 3 4 5 6}; do
  .venv/bin/python -m pipelines.cli run --rebuild > $R/o_$delay.txt 2>&1 & pid=$!
  sleep $delay; kill -INT $pid 2>/dev/null && sent=yes || sent=no; wait $pid; rc=$?
  echo "delay=${delay}s sent=$sent rc=$rc tracebacks=$(grep -c Traceback $R/o_$delay.txt) | $(grep -E '^(Done|Error|Interrupted|Nothing)' $R/o_$delay.txt | head -2 | tr '\n' ' ' | cut -c1-200)"
done
