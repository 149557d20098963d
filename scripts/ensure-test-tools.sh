#!/usr/bin/env bash
# The Debian tools some tests run, installed when missing (as root, on Debian):
#   openssl  - the transport's TLS tests make certificates with it
#   promtool - from Debian's prometheus package: checks the nodes' /metrics output
#   etcd     - from Debian's etcd-server package: the write benchmark compares raft-ts with it
#   chromium - Debian's Chromium: the live view's browser test drives it with playwright-core
set -euo pipefail
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v promtool >/dev/null || missing+=(prometheus)
command -v etcd >/dev/null || missing+=(etcd-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing the Debian packages the tests need: ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "the tests need these Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
