#!/usr/bin/env bash
# Install Apertium and its English -> Spanish pair with apt-get where that is possible (root,
# Debian/Ubuntu); otherwise say how and exit 0, so callers (make demo, .ci/run) keep going.
# Usage: scripts/install-apertium.sh [--check] [PAIR ...]      (default: eng-spa)
#   --check: install nothing; exit 0 when the binary and every pair are there, else 1.
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
pairs=("${@:-eng-spa}")
missing=()
command -v apertium >/dev/null 2>&1 || missing+=(apertium)
for p in "${pairs[@]}"; do
  [ -e "${APERTIUM_DATADIR:-/usr/share/apertium}/modes/$p.mode" ] || missing+=("apertium-$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ $check -eq 1 ] && exit 1
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  echo "installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
     { $sudo apt-get update -qq >/dev/null 2>&1 &&
       $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; then
    exit 0
  fi
  echo "note: apt-get could not install ${missing[*]}" >&2
fi
echo "note: Apertium is not installed (${missing[*]}); the Apertium steps are skipped." >&2
echo "      To add them: apt-get install ${missing[*]}  (Debian/Ubuntu, as root)" >&2
exit 0
