#!/usr/bin/env bash
# Build the grader's base image (Debian minbase + python3) with debootstrap: no container registry needed.
#
# usage: bash scripts/build-base-image.sh [--force] [TAG]      (default TAG: flask-grader-base:bookworm)
#
# The Debian mirror and suite are read from this machine's apt sources at run time (the first
# non-security Debian entry); GRADER_DEBIAN_MIRROR and GRADER_DEBIAN_SUITE override them.
# Needs root (debootstrap), a Docker Engine, and network access to the Debian mirror.
set -euo pipefail

DEFAULT_TAG="flask-grader-base:bookworm"
# The image's PATH and locale: `docker import` starts from an empty config, so set them here.
IMAGE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

say() { printf 'build-base-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

force=0
tag=""
while (($#)); do
    case "$1" in
        --force) force=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) [[ -z "$tag" ]] || die "only one TAG may be given (got '$tag' and '$1')"; tag="$1" ;;
    esac
    shift
done
tag="${tag:-$DEFAULT_TAG}"

command -v docker >/dev/null || die "the docker command is not installed"
docker info >/dev/null 2>&1 || die "no Docker Engine answers (is the daemon running, and may you use it?)"

image_exists() { docker image inspect "$tag" >/dev/null 2>&1; }

if image_exists && ((force == 0)); then
    say "$tag already exists; nothing to do (use --force to rebuild it)"
    exit 0
fi

[[ "$(id -u)" == 0 ]] || die "debootstrap needs root: run this script as root (e.g. with sudo)"

# Two builds at once (e.g. parallel test workers) would both debootstrap: let the second wait,
# then find the image the first one made.
exec 9>"/var/lock/flask-grader-base-image.lock"
if ! flock -n 9; then
    say "another build of the base image is running; waiting for it"
    flock 9
    if image_exists && ((force == 0)); then
        say "$tag was built meanwhile; nothing to do"
        exit 0
    fi
fi

ensure_debootstrap() {
    command -v debootstrap >/dev/null && return
    say "installing debootstrap with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # Only refresh the package lists when the install fails without it (it is slow).
    if ! apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1; then
        apt-get update -q >/dev/null || die "apt-get update failed"
        apt-get install -y -q --no-install-recommends debootstrap >/dev/null || die "cannot install debootstrap"
    fi
    command -v debootstrap >/dev/null || die "debootstrap is still missing after installing it"
}

# Print "TYPES|URIS|SUITES|COMPONENTS|ENABLED", one line per apt source entry, in apt's reading
# order: sources.list, then sources.list.d/ (one-line *.list files and deb822 *.sources files).
apt_source_entries() {
    local file
    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "$file" ]] && files+=("$file")
    done
    for file in "${files[@]}"; do
        case "$file" in
            *.sources) awk '
                function flush() {
                    if (uris != "") print types "|" uris "|" suites "|" comps "|" enabled
                    types = uris = suites = comps = ""; enabled = "yes"; key = ""
                }
                BEGIN { enabled = "yes" }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                /^[ \t]/ { value = $0; sub(/^[ \t]+/, "", value) }        # continuation line
                /^[^ \t]/ {
                    key = tolower($0); sub(/:.*/, "", key)
                    value = $0; sub(/^[^:]*:[ \t]*/, "", value)
                }
                key == "types" { types = types " " value }
                key == "uris" { uris = uris " " value }
                key == "suites" { suites = suites " " value }
                key == "components" { comps = comps " " value }
                key == "enabled" { enabled = tolower(value) }
                END { flush() }' "$file" ;;
            *) awk '
                /^[ \t]*(#|$)/ { next }
                {
                    i = 2
                    if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }  # skip [options]
                    comps = ""
                    for (j = i + 2; j <= NF; j++) comps = comps " " $j
                    print $1 "|" $i "|" $(i + 1) "|" comps "|yes"
                }' "$file" ;;
        esac
    done
}

# Set MIRROR and SUITE from the first enabled binary ("deb") entry that is Debian's main archive:
# component main, not a security archive, and a suite of this host's release (bookworm,
# bookworm-updates, ...); the suite is its release part, e.g. "bookworm".
find_debian_source() {
    local codename="" types uris suites comps enabled uri suite
    if [[ -r /etc/os-release ]]; then
        codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
    fi
    while IFS='|' read -r types uris suites comps enabled; do
        [[ "$enabled" == "no" ]] && continue
        [[ " $types " == *" deb "* ]] || continue
        [[ " $comps " == *" main "* ]] || continue
        for uri in $uris; do
            [[ "$uri" =~ ^(https?|file): && "$uri" != *security* ]] || continue
            for suite in $suites; do
                [[ "$suite" == *security* ]] && continue
                suite="${suite%%-*}"
                [[ -z "$codename" || "$suite" == "$codename" ]] || continue
                MIRROR="${uri%/}"
                SUITE="$suite"
                return 0
            done
        done
    done < <(apt_source_entries)
    return 1
}

MIRROR="${GRADER_DEBIAN_MIRROR:-}"
SUITE="${GRADER_DEBIAN_SUITE:-}"
if [[ -z "$MIRROR" || -z "$SUITE" ]]; then
    found_mirror="" found_suite=""
    if find_debian_source; then
        found_mirror="$MIRROR" found_suite="$SUITE"
    fi
    MIRROR="${GRADER_DEBIAN_MIRROR:-$found_mirror}"
    SUITE="${GRADER_DEBIAN_SUITE:-$found_suite}"
    [[ -n "$MIRROR" && -n "$SUITE" ]] ||
        die "no Debian mirror found in /etc/apt/sources.list{,.d/}; set GRADER_DEBIAN_MIRROR and GRADER_DEBIAN_SUITE"
fi

ensure_debootstrap

workdir="$(mktemp -d "${TMPDIR:-/var/tmp}/flask-grader-base.XXXXXX")"
cleanup() {
    # debootstrap mounts /proc and /sys inside the tree; if it died mid-way they may still be
    # mounted, and rm -rf must never walk into them.
    local mnt
    for mnt in $(awk -v d="$workdir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
    done
    rm -rf --one-file-system "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root="$workdir/rootfs"

start=$SECONDS
say "debootstrap $SUITE from $MIRROR (variant minbase + python3); this takes a few minutes"
if ! debootstrap --variant=minbase --include=python3 "$SUITE" "$root" "$MIRROR" >"$workdir/debootstrap.log" 2>&1; then
    tail -n 20 "$workdir/debootstrap.log" >&2
    [[ -f "$root/debootstrap/debootstrap.log" ]] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (last lines above)"
fi

say "trimming the tree (apt lists and caches, docs, man pages, translations, logs)"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/usr/share/locale/* "$root"/usr/share/lintian "$root"/var/log/* "$root"/tmp/*
# The tree holds the host's resolver file from debootstrap; containers have no network anyway.
: >"$root/etc/resolv.conf"
chroot "$root" python3 -c "import sys; assert sys.version_info >= (3, 9)" ||
    die "python3 does not run in the new tree"

say "importing the tree into Docker as $tag"
tar --numeric-owner -C "$root" -c . | docker import \
    --change "ENV PATH=$IMAGE_PATH" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL org.flask-grader.base=1' \
    --change 'CMD ["python3"]' \
    - "$tag" >/dev/null

size="$(docker image inspect -f '{{.Size}}' "$tag")"
python_version="$(docker run --rm --network none "$tag" python3 -c 'import platform; print(platform.python_version())')"
say "built $tag in $((SECONDS - start)) s: $((size / 1024 / 1024)) MiB, Python $python_version"
