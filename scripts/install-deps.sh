#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, fuzzing, benchmarking and the demo
# need. Idempotent: does nothing when all are present. Called by `make deps` (and so by
# `make test`, `make demo`).
set -euo pipefail

PKGS=(
  build-essential pkg-config make gcc
  clang libclang-rt-14-dev            # fuzzing (libFuzzer) and the clang build check
  librdkafka-dev kcat                 # Kafka client library, mock cluster, CLI
  libyaml-dev                         # aerospike-kafka-inbound.yml
  libssl-dev                          # RIPEMD-160 digests, TLS
  libmicrohttpd-dev                   # REST API
  libcurl4-openssl-dev                # Schema Registry client
  libavro-dev                         # bench/avro_decode.sh only (our Avro decoder vs libavro)
  zlib1g-dev
  curl                                # REST tests and the demo
  valgrind linux-perf                 # benchmarks and profiles
  python3                             # demo data generator
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "install-deps: need root to install: ${missing[*]}" >&2
    echo "install-deps: run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-deps: done"
