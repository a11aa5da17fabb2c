#!/bin/sh
# The console's browser test drives Debian's chromium: install it when it is missing (as root, with apt).
[ -n "${RECERT_CHROMIUM:-}" ] && exit 0
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "npm test: the console's browser test needs Chromium; install it (Debian: apt-get install chromium) or set RECERT_CHROMIUM to its path" >&2
exit 1
