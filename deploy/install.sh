#!/usr/bin/env bash
# Installs Grille on an academy server (Debian or any systemd Linux). Running it again is harmless:
# it replaces the binaries and units, and never touches an existing database.
#
#   sudo deploy/install.sh --academy "Académie de Lyon" [--timezone Europe/Paris] \
#                          [--roster DIR --by ID] [--enable]
#
#   --academy NAME     create the academy's database if there is none yet (grille-server init)
#   --timezone TZ      its time zone (Europe/Paris)
#   --roster DIR       import the roster's five CSV files (again: an unchanged roster changes nothing)
#   --by ID            the coordinator recorded for the import (a coordinator in the roster)
#   --prefix DIR       binaries in DIR/bin, documentation in DIR/share/doc/grille (/usr/local)
#   --data DIR         the server's data folder (/var/lib/grille)
#   --user NAME        the system user the server runs as (grille)
#   --bin-dir DIR      install binaries already built there instead of building
#   --scratch-path DIR passed to swift build (another build folder than .build)
#   --static           link the Swift runtime into the binaries (the agent then needs
#                      libcurl4-openssl-dev to build); otherwise they load it from the toolchain
#   --enable           systemctl enable --now grille-server (when systemd runs)
#   --dry-run          print what would be done, change nothing
#   DESTDIR=/tmp/root  install under that folder (packaging, tests): no user is created, nothing
#                      is chowned, systemctl is not called
#
# What it does: builds release binaries (swift build -c release); installs grille-server,
# grille-agent and the Grille_Shared.resources bundle they load their templates from (beside the
# binaries: that is where Bundle.module looks on Linux), and deploy/backup.sh as grille-backup;
# creates the system user and the data folder (0700); installs grille-server.service and the
# grille-backup service and timer (not enabled) in /etc/systemd/system, the agent's user unit in
# /etc/systemd/user; runs init when the database does not exist; imports the roster.
# nginx and TLS are separate: deploy/nginx/grille.conf, deploy/tls/make-ca.sh, docs/OPERATIONS.md.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
data=/var/lib/grille
user=grille
academy="" timezone=Europe/Paris roster="" by=""
bin_dir="" scratch="" static=0 enable=0 dry=0
destdir=${DESTDIR:-}
destdir=${destdir%/}

usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "install.sh: $*" >&2; exit 1; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --academy|--timezone|--roster|--by|--prefix|--data|--user|--bin-dir|--scratch-path) need_value "$@" ;;&
    --academy) academy=$2; shift 2 ;;
    --timezone) timezone=$2; shift 2 ;;
    --roster) roster=$2; shift 2 ;;
    --by) by=$2; shift 2 ;;
    --prefix) prefix=${2%/}; shift 2 ;;
    --data) data=${2%/}; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    --scratch-path) scratch=$2; shift 2 ;;
    --static) static=1; shift ;;
    --enable) enable=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ $prefix == /* && $data == /* ]] || die "--prefix and --data take absolute paths"
[[ $user =~ ^[a-z_][a-z0-9_-]*$ ]] || die "invalid user name « $user »"
[ -z "$roster" ] || [ -n "$by" ] || die "--roster needs --by ID (a coordinator in the roster)"
[ -z "$roster" ] || [ -d "$roster" ] || die "roster folder « $roster » not found"
roster=${roster:+$(cd "$roster" && pwd)}

# Every change goes through run: printed, and executed unless --dry-run.
run() {
  echo "+ $*"
  [ "$dry" -eq 1 ] || "$@"
}
say() { echo "== $*"; }

as_root=0; [ "$(id -u)" -eq 0 ] && as_root=1
system=0   # a real installation: users, ownership, systemctl
if [ -z "$destdir" ] && [ "$dry" -eq 0 ]; then
  [ "$as_root" -eq 1 ] || die "run it as root (sudo), or with DESTDIR=… or --dry-run"
  system=1
fi
[ -z "$destdir" ] && [ "$dry" -eq 1 ] && system=1   # show the commands a real run would use

root_bin=$destdir$prefix/bin
db=$data/server.sqlite

# 1. Build.
if [ -z "$bin_dir" ]; then
  command -v swift >/dev/null || die "the Swift 6 toolchain is required to build (or give --bin-dir)"
  build=(swift build -c release --package-path "$repo")
  [ -n "$scratch" ] && build+=(--scratch-path "$scratch")
  say "Building release binaries"
  if [ "$static" -eq 1 ]; then
    # Per product: the test-support target cannot link the Swift runtime statically.
    run "${build[@]}" --static-swift-stdlib --product grille-server
    run "${build[@]}" --static-swift-stdlib --product grille-agent
  else
    run "${build[@]}"
  fi
  bin_dir=$("${build[@]}" --show-bin-path)
fi
if [ "$dry" -eq 0 ]; then
  for f in grille-server grille-agent; do [ -x "$bin_dir/$f" ] || die "$bin_dir/$f is missing"; done
  compgen -G "$bin_dir/Grille_Shared.resources/templates/*.json" >/dev/null \
    || die "$bin_dir/Grille_Shared.resources/templates is missing: the binaries cannot run without it"
fi

# 2. Binaries and the resource bundle, replaced by rename so a running process keeps its old files.
say "Installing the binaries in $root_bin"
run install -d -m 0755 "$root_bin"
for f in grille-server grille-agent; do
  run install -m 0755 "$bin_dir/$f" "$root_bin/.$f.new"
  run mv -f "$root_bin/.$f.new" "$root_bin/$f"
done
run install -m 0755 "$repo/deploy/backup.sh" "$root_bin/.grille-backup.new"
run mv -f "$root_bin/.grille-backup.new" "$root_bin/grille-backup"
bundle=$root_bin/Grille_Shared.resources
run rm -rf "$bundle.new"
run cp -R "$bin_dir/Grille_Shared.resources" "$bundle.new"
run chmod -R u=rwX,go=rX "$bundle.new"
run rm -rf "$bundle.old"
if [ -e "$bundle" ]; then run mv "$bundle" "$bundle.old"; fi
run mv "$bundle.new" "$bundle"
run rm -rf "$bundle.old"
if [ "$dry" -eq 0 ] && command -v ldd >/dev/null; then
  for f in grille-server grille-agent; do
    missing=$(ldd "$root_bin/$f" 2>/dev/null | grep "not found" || true)
    [ -z "$missing" ] || die "$f cannot find some libraries: $missing"
    if ldd "$root_bin/$f" 2>/dev/null | grep -qE "=> (/root|/home)/"; then
      echo "warning: $f loads the Swift runtime from a home folder, which the service cannot read (ProtectHome=yes): install the toolchain under /opt or /usr, or use --static" >&2
    fi
  done
fi
run install -d -m 0755 "$destdir$prefix/share/doc/grille"
run install -m 0644 "$repo/docs/OPERATIONS.md" "$repo/deploy/nginx/grille.conf" "$destdir$prefix/share/doc/grille/"

# 3. systemd units: paths rewritten when --prefix or --data differ from the defaults.
say "Installing the systemd units"
unit_dir=$destdir/etc/systemd/system
user_unit_dir=$destdir/etc/systemd/user
run install -d -m 0755 "$unit_dir" "$user_unit_dir"
edit=(-e "s|/usr/local/bin/|$prefix/bin/|g" -e "s|/usr/local/share/doc/grille|$prefix/share/doc/grille|g"
      -e "s|/var/lib/grille|$data|g" -e "s|^User=grille$|User=$user|" -e "s|^Group=grille$|Group=$user|")
if [[ $data != /var/lib/* ]]; then
  edit+=(-e "/^StateDirectory/d")   # StateDirectory= only names folders under /var/lib
else
  edit+=(-e "s|^StateDirectory=.*|StateDirectory=${data#/var/lib/}|")
fi
install_unit() {   # source target
  echo "+ sed … $1 > $2"
  if [ "$dry" -eq 0 ]; then
    sed "${edit[@]}" "$1" >"$2.new"
    chmod 0644 "$2.new"
    mv -f "$2.new" "$2"
  fi
}
for u in grille-server.service grille-backup.service grille-backup.timer; do
  install_unit "$repo/deploy/systemd/$u" "$unit_dir/$u"
done
install_unit "$repo/deploy/systemd/grille-agent.service" "$user_unit_dir/grille-agent.service"

# 4. The system user and the data folder.
say "Data folder $destdir$data (mode 0700, user $user)"
if [ "$system" -eq 1 ]; then
  if getent passwd "$user" >/dev/null; then
    echo "   user $user exists"
  else
    run useradd --system --user-group --home-dir "$data" --no-create-home --shell /usr/sbin/nologin \
      --comment "Grille academy server" "$user"
  fi
  run install -d -m 0700 -o "$user" -g "$user" "$data"
  run chmod 0700 "$data"
  # Files made by hand as root (an init, a restore) would keep the service out.
  run chown -R "$user:$user" "$data"
else
  echo "   (DESTDIR: no user created, nothing chowned)"
  run install -d -m 0700 "$destdir$data"
fi

# 5. The database: init only when there is none; the roster import is idempotent.
server=("$root_bin/grille-server" --db "$destdir$db")
as_service=()
if [ "$system" -eq 1 ]; then
  server=("$prefix/bin/grille-server" --db "$db")
  as_service=(runuser -u "$user" --)
fi
if [ -e "$destdir$db" ]; then
  say "Database $destdir$db exists: kept as it is (migrations run when the server opens it)"
elif [ -n "$academy" ]; then
  say "Creating the academy « $academy »"
  (umask 077 && run "${as_service[@]}" "${server[@]}" init --academy "$academy" --timezone "$timezone")
else
  say "No database yet: run install.sh again with --academy NAME (or grille-server init) before starting the server"
fi
if [ -n "$roster" ]; then
  if [ ! -e "$destdir$db" ] && [ "$dry" -eq 0 ]; then
    die "cannot import the roster: there is no database (give --academy NAME)"
  fi
  say "Importing the roster from $roster"
  if [ "$system" -eq 1 ] && [ "$dry" -eq 0 ]; then
    # The service user may not read the folder (under /root, say): it gets a private copy.
    copy=$(mktemp -d)
    trap 'rm -rf "$copy"' EXIT
    cp "$roster"/*.csv "$copy/"
    chown -R "$user:$user" "$copy"
    run "${as_service[@]}" "${server[@]}" roster import "$copy" --by "$by"
  else
    run "${as_service[@]}" "${server[@]}" roster import "$roster" --by "$by"
  fi
fi

# 6. systemd.
if [ "$system" -eq 1 ] && [ -d /run/systemd/system ]; then
  say "systemd"
  run systemctl daemon-reload
  if [ "$enable" -eq 1 ]; then
    run systemctl enable --now grille-server.service
  fi
  # An upgrade: a running server restarts on the new binary (its migrations run on open).
  run systemctl try-restart grille-server.service
elif [ "$system" -eq 1 ]; then
  echo "   systemd is not running here: start the server with systemctl once it is."
fi

cat <<EOF

Done. Next steps (docs/OPERATIONS.md, « Installation »):
  systemctl enable --now grille-server           # listens on 127.0.0.1:8080
  systemctl enable --now grille-backup.timer     # nightly backup to $data/backups
  deploy/tls/make-ca.sh --dir /etc/grille/tls grille.ac-exemple.fr
  cp deploy/nginx/grille.conf /etc/nginx/sites-available/ … ; nginx -t && systemctl reload nginx
  runuser -u $user -- $prefix/bin/grille-server --db $db enroll ev-0101 --by ID
EOF
