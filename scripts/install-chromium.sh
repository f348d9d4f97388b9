#!/usr/bin/env bash
# Install Debian's headless-capable Chromium with apt-get where that is possible (root or
# passwordless sudo, Debian/Ubuntu), for the test that renders the run report in a browser
# (tests/test_report.py; skipped without it). Otherwise say so and exit 0: callers (.ci/run)
# keep going.   Usage: scripts/install-chromium.sh [--check]
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null 2>&1 && exit 0
done
[ "${1:-}" = "--check" ] && exit 1
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  echo "installing chromium with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if $sudo apt-get install -y -qq chromium >/dev/null 2>&1 ||
     { $sudo apt-get update -qq >/dev/null 2>&1 &&
       $sudo apt-get install -y -qq chromium >/dev/null 2>&1; }; then
    exit 0
  fi
  echo "note: apt-get could not install chromium" >&2
fi
echo "note: Chromium is not installed; the report's browser test is skipped." >&2
echo "      To add it: apt-get install chromium  (Debian/Ubuntu, as root)" >&2
exit 0
