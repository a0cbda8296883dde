# udf-lib.sh: sourced by udf-images.sh, udf-acceptance.sh and tests/com/multisession.test.sh (not
# run), after tests/lib.sh, whose counters the verdicts below count in. Needs $here (this folder).
#
# check-image.sh opens the image with pycdlib 1.12, which cannot read what UDF 2.00+ allows:
# Extended File Entries ("UDF File Entry Tag identifier not 261") and a second partition map
# ("Partition map goes beyond end of data", a bounds bug in its LVD parser). For revisions >= 2.00
# that one failure, with exactly those messages, is reported as a note; any other failure counts.

# verdict NAME RC OUTPUT: one ok/not ok line for a check script that exited RC and printed OUTPUT
# (its last line in parentheses; its failed checks and their details under a failure)
verdict() {
  local name=$1 rc=$2 out=$3
  if [ "$rc" = 0 ]; then
    pass=$((pass + 1)); echo "ok - $name ($(tail -n 1 <<<"$out"))"
  else
    bad "$name (exit $rc)"
    grep -E '^(not ok|#   )' <<<"$out" | sed 's/^/#   /' | head -n 30
  fi
}

# verdict_iso NAME RC OUTPUT REV: verdict on check-image.sh's OUTPUT for a bridge of UDF REV,
# pycdlib's known UDF 2.00+ limits tolerated (see above)
verdict_iso() {
  local name=$1 rc=$2 out=$3 rev=$4
  if [ "$rc" != 0 ] && [ $((rev)) -ge $((0x200)) ] && [ "$(grep -c '^not ok' <<<"$out")" = 1 ] &&
     grep -q '^not ok - pycdlib: strict open' <<<"$out" &&
     grep -A1 '^not ok - pycdlib: strict open' <<<"$out" |
       grep -qE 'UDF File Entry Tag identifier not 261|Partition map goes beyond end of data'; then
    echo "ok - $name ($(tail -n 1 <<<"$out"))"
    echo "# note: pycdlib 1.12 cannot read UDF $rev: $(grep -A1 '^not ok - pycdlib' <<<"$out" | tail -n 1 | sed 's/^# *//')"
    pass=$((pass + 1))
  else
    verdict "$name" "$rc" "$out"
  fi
}

# judge NAME CMD...: run a check script and give its verdict
judge() {
  local name=$1; shift
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  verdict "$name" $rc "$out"
}

# judge_iso NAME IMG REV SRC: check-image.sh --fs iso,joliet on a bridge of UDF REV made from SRC
judge_iso() {
  local name=$1 img=$2 rev=$3 src=$4
  local out rc
  out=$(bash "$here/check-image.sh" --fs iso,joliet "$img" "$src" 2>&1)
  rc=$?
  verdict_iso "$name" $rc "$out" "$rev"
}
