#!/bin/sh
# Word frequencies over every file under /inputs (or the directories given as arguments):
# words are runs of ASCII letters and digits, lowercased; one "word count" line each, sorted by
# count (highest first), then by word. The same inputs always give the same bytes.
set -eu
set -o pipefail
out="${OUTPUT_DIR:-/outputs}"
[ "$#" -gt 0 ] || set -- /inputs
export LC_ALL=C
find "$@" -type f -exec cat {} + \
  | tr -cs 'A-Za-z0-9' '\n' \
  | tr 'A-Z' 'a-z' \
  | sed '/^$/d' \
  | sort \
  | uniq -c \
  | sort -k1,1nr -k2,2 \
  | awk '{ print $2 " " $1 }' > "$out/wordfreq.txt"
