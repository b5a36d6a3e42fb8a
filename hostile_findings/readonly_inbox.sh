#!/bin/sh
# clean-rejected on a read-only inbox: the message blames OVERGANG_HOME and says the command
# "only reads the published warehouse" (it deletes files). Needs root (tmpfs mount).
mkdir -p /tmp/hh_ro && mount -t tmpfs -o size=64m tmpfs /tmp/hh_ro
mkdir -p /tmp/hh_ro/home /tmp/hh_ro/inbox/rejected && echo x > /tmp/hh_ro/inbox/rejected/a.csv && echo r > /tmp/hh_ro/inbox/rejected/a.csv.reason.txt
mount -o remount,ro /tmp/hh_ro
cd "$(dirname "$0")/.." && OVERGANG_HOME=/tmp/hh_ro/home OVERGANG_INBOX=/tmp/hh_ro/inbox .venv/bin/overgang clean-rejected --older-than 0
umount /tmp/hh_ro
