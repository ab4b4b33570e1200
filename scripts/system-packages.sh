#!/usr/bin/env bash
# Install the Debian packages the test suite drives, where they are missing:
# nginx (its configuration is checked with `nginx -t`), openssl (a throwaway certificate for that check)
# chromium (the browser tests drive it through Playwright), and Pango with the DejaVu fonts
# (WeasyPrint renders the digest PDFs with them; DejaVu Sans covers Latin and Arabic).
# Commands named as arguments are wanted too (make bench: wrk, the HTTP load generator).
set -euo pipefail

need=()
for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || need+=("$command")
done
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the tests need these Debian packages: ${need[*]} (apt-get install ${need[*]})." >&2
    exit 1
fi
echo "Installing ${need[*]} from Debian's packages"
# Keep the package's post-install script from starting a server on port 80.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
