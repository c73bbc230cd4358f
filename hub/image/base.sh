#!/usr/bin/env bash
# Base of the single-user image made from Debian packages, for machines that reach Debian's
# mirror but no image registry: an mmdebstrap of bookworm with Debian's Python 3.11, imported
# into podman's local storage. hub/Dockerfile then builds on it with
#   --build-arg BASE=localhost/dlip-base:bookworm
# instead of its default, python:3.11-slim-bookworm from Docker Hub.
#
# Usage (as root; `make image` runs it): hub/image/base.sh [IMAGE]
#   IMAGE    the local image name, default localhost/dlip-base:bookworm
#   MIRROR   Debian mirror, default http://deb.debian.org/debian (and -security next to it)
#   TMPDIR   where the tarball is written (and removed), default /var/tmp
#   REFRESH  set to 1 to make the base again when IMAGE exists
# Needs the Debian packages mmdebstrap and podman.
set -euo pipefail

image="${1:-localhost/dlip-base:bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
# Debian's Python 3.11 with venv (hub/Dockerfile installs the course's packages into a virtual
# environment: Debian's own Python is "externally managed", PEP 668), certificates for pip.
packages="python3.11,python3.11-venv,ca-certificates"

# Made once: a new base (new packages, e.g. security updates) invalidates every cached layer
# of the image build. REFRESH=1 makes it again.
if [ -z "${REFRESH:-}" ] && podman image exists "$image"; then
  echo "base image: $image (exists; REFRESH=1 $0 makes it again)"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/var/tmp}/dlip-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# minbase: Essential and Priority: required packages and apt, like debian:bookworm-slim
# (useradd comes from passwd). Like that image, no manual pages or documentation (copyright
# files kept) and no translations; apt's package lists are removed at the end.
mmdebstrap --variant=minbase --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --aptopt='Acquire::Languages "none"' \
  "$suite" "$work/rootfs.tar" \
  "deb $mirror $suite main" \
  "deb $mirror $suite-updates main" \
  "deb ${mirror%/debian}/debian-security $suite-security main"

# A tarball has no image settings: give it those of debian:bookworm (PATH, a shell) and the
# UTF-8 locale of python:3.11-slim.
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' \
  --message "mmdebstrap --variant=minbase $suite with $packages" \
  "$work/rootfs.tar" "$image" >/dev/null
echo "base image: $image ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
