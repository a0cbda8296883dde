#!/usr/bin/env bash
# The Debian packages, built by tools/debian-packages (dpkg-buildpackage from debian/ in a copy of the
# tree): lintian reports no error; debian/changelog's version, the packages' versions and names and
# fsi-engine.pc are CMake's project version; each package holds what it should. Installed (as root with
# apt-get install ./*.deb, removed again afterwards if they were not installed before; otherwise
# unpacked with dpkg-deb -x), the installed fsimage writes native fsimage's bytes, a program builds
# against libfsi-engine-dev through pkg-config and runs with libfsi-engine0, and the installed
# imapi2fs-wine-install passes tests/install/wine-install.test.sh with the installed DLLs and
# fsimage.exe, nothing of a build tree.
# DEB_BUILD_OPTIONS defaults to "nocheck noddebs" (tools/test ran the engine's tests already).
# Ends with "N passed, N failed".
source "$(dirname "$0")/lib.sh"
for c in dpkg-buildpackage dh lintian; do
    command -v $c >/dev/null || { echo "not ok - $c missing (tools/lib.sh TEST_PKGS: dpkg-dev debhelper lintian)"; echo "0 passed, 1 failed"; exit 1; }
done
packages="fsimage libfsi-engine0 libfsi-engine-dev imapi2fs-wine"

# ---- build -------------------------------------------------------------------------------------------
src=$tmp/build/imapi2fs-$version
t0=$(date +%s)
if DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck noddebs} "$top/tools/debian-packages" --work "$tmp/build" -o "$tmp/dist" \
       > "$tmp/build.log" 2>&1; then ok
else bad "tools/debian-packages failed:"; tail -30 "$tmp/build.log"; finish; fi
echo "# tools/debian-packages: $(( $(date +%s) - t0 )) s"
deb() { ls "$tmp/dist/$1_"*.deb; }
for p in $packages; do
    f=$(deb $p) && ok || bad "no $p package"
    printf '# %s: %s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
t0=$(date +%s)
lint=$(TMPDIR=$tmp lintian --fail-on error "$tmp/build/"*.changes 2>&1) && lrc=0 || lrc=$?   # (lintian leaves mldbm-* files in TMPDIR)
{ grep -v 'running with root' <<<"$lint" || true; } | sed 's/^/# lintian: /'
if [ "$lrc" = 0 ] && ! grep -q '^E:' <<<"$lint"; then ok; else bad "lintian reports errors"; fi
echo "# lintian: $(( $(date +%s) - t0 )) s"

# ---- one version -------------------------------------------------------------------------------------
cv=$(cd "$top" && dpkg-parsechangelog -SVersion)
if [ "${cv%%-*}" = "$version" ]; then ok; else bad "debian/changelog says $cv, CMakeLists.txt $version"; fi
for p in $packages; do
    v=$(dpkg-deb -f "$(deb $p)" Version)
    if [ "$v" = "$cv" ] && [[ "$(deb $p)" == *"_${cv}_"* ]]; then ok; else bad "$p: version $v, file $(deb $p)"; fi
done

# ---- contents ----------------------------------------------------------------------------------------
has() {   # has PACKAGE PATH...: the package holds each path
    local p=$1 list; shift
    list=$(dpkg-deb -c "$(deb $p)" | awk '{print $6}' | sed 's|^\./|/|')
    for f; do if grep -qx -- "$f" <<<"$list"; then ok; else bad "$p lacks $f"; fi; done
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has fsimage /usr/bin/fsimage /usr/share/man/man1/fsimage.1.gz
has libfsi-engine0 "/usr/lib/$ma/libfsi_engine.so.0" "/usr/lib/$ma/libfsi_engine.so.$version"
has libfsi-engine-dev /usr/include/fsi/engine.h "/usr/lib/$ma/libfsi_engine.so" "/usr/lib/$ma/libfsi_engine.a" \
    "/usr/lib/$ma/pkgconfig/fsi-engine.pc"
has imapi2fs-wine /usr/bin/imapi2fs-wine-install /usr/share/man/man1/imapi2fs-wine-install.1.gz \
    /usr/lib/imapi2fs/x86_64-windows/imapi2fs.dll /usr/lib/imapi2fs/x86_64-windows/fsimage.exe \
    /usr/lib/imapi2fs/i386-windows/imapi2fs.dll /usr/lib/imapi2fs/i386-windows/fsimage.exe
if [ "$(dpkg-deb -f "$(deb libfsi-engine0)" Package)" = "libfsi-engine$(objdump -p "$src/obj-$(dpkg-architecture -qDEB_HOST_GNU_TYPE)/libfsi_engine.so" | sed -n 's/ *SONAME *libfsi_engine\.so\.//p')" ]; then ok
else bad "libfsi-engine0 is not named after its SONAME"; fi

# ---- installed ---------------------------------------------------------------------------------------
root=
if [ "$(id -u)" = 0 ]; then
    installed_before=$(dpkg-query -W -f='${Package} ${Status}\n' $packages 2>/dev/null | awk '/install ok installed/ {print $1}' || true)
    debs=(); for p in $packages; do debs+=("$(deb $p)"); done
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}" > "$tmp/apt.log" 2>&1; then ok
    else bad "apt-get install ./*.deb failed:"; tail "$tmp/apt.log"; fi
    remove=$(for p in $packages; do grep -qx "$p" <<<"$installed_before" || echo "$p"; done)
    cleanup_packages() { [ -z "$remove" ] || DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $remove >/dev/null 2>&1 || true; cleanup; }
    trap cleanup_packages EXIT
else
    root=$tmp/root
    for p in $packages; do dpkg-deb -x "$(deb $p)" "$root"; done
    echo "# not root: the packages unpacked into $root instead of installed"
fi
export SOURCE_DATE_EPOCH=1700000000
make_source
if [ "$("$root/usr/bin/fsimage" --version)" = "fsimage (imapi2fs) $version" ]; then ok; else bad "installed fsimage --version"; fi
if "$root/usr/bin/fsimage" -q -V INSTALLTEST "$tmp/src" "$tmp/installed.iso" && cmp -s "$tmp/installed.iso" "$tmp/native.iso"; then ok
else bad "the installed fsimage does not write the build's native fsimage's bytes"; fi
cat > "$tmp/prog.c" <<'C'
#include <fsi/engine.h>
int main(void)
{
    fsi_image *img = fsi_image_new();
    if (!img) return 1;
    fsi_image_free(img);
    return 0;
}
C
pc=(pkg-config); [ -z "$root" ] || pc+=(--define-variable=prefix="$root/usr")
export PKG_CONFIG_PATH=$root/usr/lib/$ma/pkgconfig
if [ "$("${pc[@]}" --modversion fsi-engine)" = "$version" ] &&
   cc -o "$tmp/prog" "$tmp/prog.c" $("${pc[@]}" --cflags --libs fsi-engine) &&
   LD_LIBRARY_PATH=${root:+$root/usr/lib/$ma} ldd "$tmp/prog" | grep -qE "libfsi_engine\.so\.0 => $root(/usr)?/lib/$ma/libfsi_engine\.so\.0" &&
   LD_LIBRARY_PATH=${root:+$root/usr/lib/$ma} "$tmp/prog"; then ok
else bad "a program built with pkg-config fsi-engine against the installed library"; fi

# The installed Wine installer, with the installed DLLs, through the whole wine-install test.
lib=$root/usr/lib/imapi2fs
out=$(FSI_DLL64=$lib/x86_64-windows/imapi2fs.dll FSI_DLL32=$lib/i386-windows/imapi2fs.dll \
      FSI_FSIMAGE_EXE=$lib/x86_64-windows/fsimage.exe FSI_FSIMAGE=$root/usr/bin/fsimage \
      bash "$top/tests/install/wine-install.test.sh" "$root/usr/bin/imapi2fs-wine-install" 2>&1) || true
printf '%s\n' "$out" | grep -v '^# ' | grep -v 'passed, .* failed' || true
add_counts "$out" || bad "wine-install.test.sh with the installed command did not finish"
finish
