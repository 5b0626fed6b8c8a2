#!/bin/bash
# Issue 10, report build time: the funding reports of one office, one after the other
# (year, then H1, Q2, Q3 against the register the earlier ones left), on 300 demo cases.
# Prints per build user CPU (the PDF worker included), wall, peak memory and the PDF's
# SHA-256; the same data gives the same PDFs (compare two runs, or two branches).
#
#   benchmarks/funding_series.sh [WORKDIR]     (from the repository root; WORKDIR /tmp/series)
#
# The demo data is made once in WORKDIR/seed; every run starts from a copy of it.
set -euo pipefail
W=${1:-/tmp/series}
if [ ! -d "$W/seed" ]; then
  mkdir -p "$W/seed/d" "$W/seed/k"
  FALLSTELLE_DATA_DIR=$W/seed/d FALLSTELLE_KEYS_DIR=$W/seed/k flask --app fallstelle init >/dev/null
  FALLSTELLE_DATA_DIR=$W/seed/d FALLSTELLE_KEYS_DIR=$W/seed/k \
    flask --app fallstelle demo --cases 300 >/dev/null
fi
R=$W/run-$(date +%s); mkdir -p "$R"
cp -a "$W/seed/d" "$R/d"; cp -a "$W/seed/k" "$R/k"
export FALLSTELLE_DATA_DIR=$R/d FALLSTELLE_KEYS_DIR=$R/k
for P in 2026 2026-H1 2026-Q2 2026-Q3; do
  /usr/bin/time -o "$R/$P.time" -f "$P %U s user, %e s wall, %M KB" \
    flask --app fallstelle report build --period "$P" --template funding --office DEMO \
    --out "$R/$P.pdf" >"$R/$P.log" 2>&1
  echo "$(cat "$R/$P.time"), PDF $(sha256sum "$R/$P.pdf" | cut -c1-16), load $(cut -d' ' -f1 /proc/loadavg)"
done
