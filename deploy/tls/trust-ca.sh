#!/usr/bin/env bash
# Adds the academy CA (ca.crt from deploy/tls/make-ca.sh) to the system trust store of a Linux laptop,
# or removes it. grille-agent checks the server's certificate against the system store only (libcurl
# through FoundationNetworking reads /etc/ssl/certs/ca-certificates.crt on Debian): there is no
# per-program CA setting.
#
#   sudo deploy/tls/trust-ca.sh [--name grille-academie] ca.crt      add (or replace) it
#   sudo deploy/tls/trust-ca.sh --remove [--name grille-academie]     remove it
#
# Debian, Ubuntu: /usr/local/share/ca-certificates/NAME.crt + update-ca-certificates.
# Fedora, RHEL:   /etc/pki/ca-trust/source/anchors/NAME.crt + update-ca-trust.
# macOS (administrator):
#   sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ca.crt
#   sudo security remove-trusted-cert -d ca.crt                       (removal)
# Windows (administrator prompt, or a GPO "Trusted Root Certification Authorities"):
#   certutil -addstore -f Root ca.crt
#   certutil -delstore Root "Grille — autorité de certification"     (removal)
#
# Before trusting a CA received by e-mail or USB, compare its SHA-256 fingerprint with the one the
# academy's IT team publishes (printed by make-ca.sh, and here).
set -euo pipefail

name=grille-academie
remove=0
ca=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --remove) remove=1; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "trust-ca.sh: unknown option $1" >&2; exit 2 ;;
    *) ca=$1; shift ;;
  esac
done
[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { echo "trust-ca.sh: --name takes letters, digits, . _ - only" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "trust-ca.sh: run it as root (sudo)" >&2; exit 1; }

if [ -d /usr/local/share/ca-certificates ] && command -v update-ca-certificates >/dev/null; then
  target=/usr/local/share/ca-certificates/$name.crt
  refresh() {   # its stderr, without the usual warning about the bundle itself
    local out rc=0
    out=$(update-ca-certificates 2>&1 >/dev/null) || rc=$?
    out=$(grep -v '^rehash: warning: skipping ca-certificates.crt' <<<"$out" || true)
    [ -z "$out" ] || echo "$out" >&2
    return "$rc"
  }
  # update-ca-certificates leaves the links of a removed certificate behind (NAME.pem, its hash).
  forget() { find /etc/ssl/certs -maxdepth 1 -lname "$name.pem" -delete 2>/dev/null || true; rm -f "/etc/ssl/certs/$name.pem"; }
elif [ -d /etc/pki/ca-trust/source/anchors ] && command -v update-ca-trust >/dev/null; then
  target=/etc/pki/ca-trust/source/anchors/$name.crt
  refresh() { update-ca-trust extract; }
  forget() { :; }
else
  echo "trust-ca.sh: no known trust store here (install the ca-certificates package)" >&2
  exit 1
fi

if [ "$remove" -eq 1 ]; then
  if [ -e "$target" ]; then
    rm -f "$target"
    forget
    refresh
    echo "CA removed from the system trust store ($target)."
  else
    echo "Nothing to remove: $target does not exist."
  fi
  exit 0
fi

[ -n "$ca" ] && [ -r "$ca" ] || { echo "trust-ca.sh: give the CA certificate file (ca.crt)" >&2; exit 2; }
openssl x509 -in "$ca" -noout 2>/dev/null || { echo "trust-ca.sh: $ca is not a PEM certificate" >&2; exit 1; }
openssl x509 -in "$ca" -noout -text | grep -q "CA:TRUE" || { echo "trust-ca.sh: $ca is not a CA certificate" >&2; exit 1; }
install -m 0644 "$ca" "$target.tmp"
mv -f "$target.tmp" "$target"
refresh
echo "CA trusted system-wide: $target"
openssl x509 -in "$ca" -noout -subject -fingerprint -sha256 | sed 's/^/  /'
