#!/usr/bin/env bash
# Builds and runs bench/avro_decode.c (our Avro decoder vs libavro). Needs libavro-dev
# (scripts/install-deps.sh installs it) and a built library (make).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make --no-print-directory BUILD="$BUILD" "$BUILD/libaerosink.a" >/dev/null
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc bench/avro_decode.c "$BUILD/libaerosink.a" \
    -lavro -lcurl -lm -pthread -o "$BUILD/avro-decode-bench"
"$BUILD/avro-decode-bench" "${1:-2000000}"
