#!/usr/bin/env bash
# Makes an academy certificate authority (once) and a TLS certificate for the Grille server signed by
# it, with the openssl command-line tool.
#
#   deploy/tls/make-ca.sh [--dir DIR] [--academy NAME] [--days N] [--ca-days N] HOST [HOST…]
#
# HOST is a DNS name (grille.ac-lyon.fr) or an IP address (192.0.2.10, 127.0.0.1); every HOST goes
# into the certificate's subjectAltName, which is what clients check. Files in DIR (default
# ./grille-tls), keys with mode 0600:
#
#   ca.crt       the academy CA: install it on every laptop (deploy/tls/trust-ca.sh)
#   ca.key       the CA's private key: keep it offline; it signs server certificates only
#   server.crt   the server's certificate  → nginx ssl_certificate
#   server.key   its private key           → nginx ssl_certificate_key
#
# An existing CA in DIR is reused, so renewing the server certificate (run the script again with the
# same DIR) changes nothing on the laptops. Keys are ECDSA P-256.
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

dir=./grille-tls
academy="Académie"
days=825        # the longest validity macOS accepts for a server certificate under a private root
ca_days=3650
hosts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --academy) academy=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --ca-days) ca_days=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "make-ca.sh: unknown option $1" >&2; usage ;;
    *) hosts+=("$1"); shift ;;
  esac
done
[ ${#hosts[@]} -gt 0 ] || { echo "make-ca.sh: give the server's name or IP address" >&2; usage; }
[ "$(printf %s "$academy" | wc -m)" -le 64 ] || { echo "make-ca.sh: --academy is at most 64 characters" >&2; exit 2; }
command -v openssl >/dev/null || { echo "make-ca.sh: the openssl command is required (apt-get install openssl)" >&2; exit 1; }

umask 077
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# subjectAltName: IP:… for addresses (IPv4, or anything with a colon), DNS:… otherwise.
san=""
for h in "${hosts[@]}"; do
  if [[ $h =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || $h == *:* ]]; then entry="IP:$h"; else entry="DNS:$h"; fi
  san="${san:+$san,}$entry"
done

if [ -s "$dir/ca.key" ] && [ -s "$dir/ca.crt" ]; then
  echo "CA reused: $dir/ca.crt"
else
  cat >"$work/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
utf8 = yes
string_mask = utf8only
x509_extensions = ca_ext
[dn]
O = $academy
CN = Grille — autorité de certification
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
  openssl req -new -x509 -config "$work/ca.cnf" -key "$dir/ca.key" -sha256 -days "$ca_days" \
    -set_serial "0x$(openssl rand -hex 16)" -out "$dir/ca.crt"
  chmod 0644 "$dir/ca.crt"
  echo "CA created: $dir/ca.crt (valid $ca_days days)"
fi

cat >"$work/server.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
utf8 = yes
string_mask = utf8only
[dn]
O = $academy
CN = ${hosts[0]}
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/server.key" 2>/dev/null
openssl req -new -config "$work/server.cnf" -key "$work/server.key" -out "$work/server.csr"
openssl x509 -req -in "$work/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -sha256 -days "$days" \
  -extfile "$work/server.cnf" -extensions server_ext -out "$work/server.crt" 2>/dev/null
openssl verify -CAfile "$dir/ca.crt" "$work/server.crt" >/dev/null
mv "$work/server.key" "$dir/server.key"
mv "$work/server.crt" "$dir/server.crt"
chmod 0644 "$dir/server.crt"

echo "Server certificate: $dir/server.crt and $dir/server.key ($san, valid $days days)"
echo "CA fingerprint (compare it on each laptop before trusting the CA):"
openssl x509 -in "$dir/ca.crt" -noout -fingerprint -sha256 | sed 's/^/  /'
