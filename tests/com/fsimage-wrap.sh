#!/usr/bin/env bash
# fsimage-wrap.sh [--fs LIST] [--udf REV] [-V NAME] [--no-mirror] [-l N] SRC OUT
# The command line udf-images.sh gives native fsimage, carried out by fsimage.exe under Wine through
# the DLL, so that the image scripts of tests/iso (udf-images.sh) judge what the COM API writes.
set -euo pipefail
args=()
while [ $# -gt 2 ]; do
    case $1 in
        --fs) args+=(-f "$2"); shift 2 ;;
        --udf) args+=(-u "$2"); shift 2 ;;
        -V) args+=(-V "$2"); shift 2 ;;
        -l) args+=(-l "$2"); shift 2 ;;
        --no-mirror) args+=(--no-mirror); shift ;;
        *) echo "fsimage-wrap.sh: unsupported option $1" >&2; exit 2 ;;
    esac
done
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # w
exec wine "$FSI_BUILD/tools/fsimage/fsimage.exe" -q "${args[@]}" "$(w "$1")" "$(w "$2")"
