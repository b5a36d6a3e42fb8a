#!/bin/bash
# `overgang query --publication` (and the internal warehouse) in a loop while `overgang run --rebuild` publishes.
R=/tmp/hh_int; cd "$(dirname "$0")/.."
export OVERGANG_HOME=$R/home OVERGANG_INBOX=$R/inbox
.venv/bin/python -m pipelines.cli run --rebuild > $R/qp_run.txt 2>&1 & run=$!
i=0
while kill -0 $run 2>/dev/null; do
  i=$((i+1))
  .venv/bin/python -m pipelines.cli query --publication "SELECT count(*) FROM soegetal" > $R/qp_$i.txt 2>&1; echo "pub q$i rc=$? $(grep -v Read-only $R/qp_$i.txt | tr '\n' ' ' | cut -c1-160)"
  .venv/bin/python -m pipelines.cli query "SELECT count(*) FROM applications" > $R/qw_$i.txt 2>&1; echo "wh  q$i rc=$? $(grep -v Read-only $R/qw_$i.txt | tr '\n' ' ' | cut -c1-160)"
done
wait $run; echo "run rc=$?"; grep -c Traceback $R/qp_*.txt $R/qw_*.txt | grep -v ':0' 
