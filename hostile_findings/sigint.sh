#!/bin/bash
# Ctrl-C (SIGINT) at various moments of CLI commands: traceback or plain message?
R=/tmp/hh_int; rm -rf $R; mkdir -p $R/given
cd "$(dirname "$0")/.."
export OVERGANG_HOME=$R/home OVERGANG_INBOX=$R/inbox OVERGANG_CPR_KEY=test-key-not-secret-00000000000000000000000000000000000000000000
cp data/sample/optagelse/optagelse_2025.csv $R/given/fresh.csv   # fresh mtime: load waits for settle
for delay in 1 4; do
  .venv/bin/python -m pipelines.cli load $R/given/fresh.csv > $R/out_load_$delay.txt 2>&1 & pid=$!
  sleep $delay; kill -INT $pid; wait $pid; echo "load, SIGINT after ${delay}s: rc=$?"; grep -c Traceback $R/out_load_$delay.txt; tail -3 $R/out_load_$delay.txt
done
for delay in 3 8 15; do
  .venv/bin/python -m pipelines.cli run > $R/out_run_$delay.txt 2>&1 & pid=$!
  sleep $delay; kill -INT $pid; wait $pid; echo "run (sample), SIGINT after ${delay}s: rc=$?"; grep -c Traceback $R/out_run_$delay.txt; tail -4 $R/out_run_$delay.txt
done
