#!/usr/bin/env bash
# Debian packages the tests, demo and benchmarks use: chromium (the web page is tested in it,
# headless, driven by Playwright), espeak-ng (synthetic speech in many
# languages, exact phone timings) and Asterisk's professionally recorded prompts (en/es/it).
# Idempotent: does nothing when everything is installed.
set -euo pipefail
pkgs=(espeak-ng chromium asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-it-g722)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
