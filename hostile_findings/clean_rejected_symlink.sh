#!/bin/sh
# clean-rejected follows a symlinked rejected/ folder and deletes what it points at.
set -u
R=${1:-/tmp/hh_cr}; rm -rf "$R"; mkdir -p "$R/home" "$R/inbox" "$R/victim/sub"
echo "council minutes" > "$R/victim/minutes.docx"; echo x > "$R/victim/sub/keep.txt"
ln -s "$R/victim" "$R/inbox/rejected"
cd "$(dirname "$0")/.." 
OVERGANG_HOME="$R/home" OVERGANG_INBOX="$R/inbox" .venv/bin/overgang clean-rejected --older-than 0; echo "rc=$?"
echo "victim now:"; ls -laR "$R/victim"
