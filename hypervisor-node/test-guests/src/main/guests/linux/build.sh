#!/usr/bin/env bash
# Builds the Atoll Linux test guest from Debian packages:
#   build.sh OUT_DIR WORK_DIR
#     OUT_DIR/vmlinuz         Debian's cloud kernel (linux-image-*-cloud-amd64)
#     OUT_DIR/initrd.img      gzip'ed newc cpio: busybox-static, the modules
#                             below, and rootfs/ (init, command loop, acpid)
#     OUT_DIR/kernel-release  uname -r of the kernel
#     OUT_DIR/packages        the .debs it was built from
# The .debs are fetched with `apt-get download` into
# ${ATOLL_GUEST_CACHE:-$HOME/.cache/atoll-guests} and reused from there;
# they are unpacked with dpkg-deb -x under WORK_DIR (nothing is installed).
# The work is skipped when the outputs are newer than every file next to this
# script and the kernel package has not changed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 OUT_DIR WORK_DIR" >&2
    exit 2
fi
out_dir=$1
work_dir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_dir=${ATOLL_GUEST_CACHE:-$HOME/.cache/atoll-guests}

kernel_meta_pkg=linux-image-cloud-amd64
busybox_pkg=busybox-static
# Modules the guest loads; their dependencies are added in load order.
wanted_modules=(virtio_pci virtio_blk virtio_net button evdev)

log() { echo "linux guest: $*"; }
die() { echo "linux guest: ERROR: $*" >&2; exit 1; }

apt_hint="The Debian package lists seem to be missing or stale: run 'apt-get update' (as root) and build again."

for tool in apt-cache apt-get dpkg-deb cpio gzip find sort; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (this build needs a Debian/Ubuntu host with cpio and gzip)"
done

# 1. Which kernel package does the meta package point at?
kernel_pkg=$(apt-cache depends "$kernel_meta_pkg" 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | head -n 1) || true
if [[ -z "$kernel_pkg" ]]; then
    # No package lists: fall back to the newest kernel .deb in the cache.
    cached=$(find "$cache_dir" -maxdepth 1 -name 'linux-image-[0-9]*-cloud-amd64_*.deb' 2>/dev/null \
        | sort -V | tail -n 1)
    if [[ -z "$cached" ]]; then
        die "cannot resolve $kernel_meta_pkg with apt-cache depends. $apt_hint"
    fi
    kernel_pkg=$(basename "$cached")
    kernel_pkg=${kernel_pkg%%_*}
    log "WARNING: apt-cache cannot resolve $kernel_meta_pkg (run 'apt-get update'); using the cached $kernel_pkg" >&2
fi

# 2. Up to date?
stamp="$out_dir/packages"
outputs=("$out_dir/vmlinuz" "$out_dir/initrd.img" "$out_dir/kernel-release" "$stamp")
up_to_date=yes
for f in "${outputs[@]}"; do
    [[ -f "$f" ]] || up_to_date=no
done
if [[ "$up_to_date" == yes ]]; then
    if ! grep -q "^$kernel_pkg " "$stamp"; then
        up_to_date=no
    elif [[ -n "$(find "$here" -newer "$stamp" -print -quit)" ]]; then
        up_to_date=no
    fi
fi
if [[ "$up_to_date" == yes ]]; then
    log "up to date ($out_dir, $kernel_pkg)"
    exit 0
fi

# 3. The .debs, from the cache or apt-get download.
mkdir -p "$cache_dir"
fetch_deb() {
    local pkg=$1 found tmp err rc
    found=$(find "$cache_dir" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)
    if [[ -n "$found" ]]; then
        echo "$found"
        return
    fi
    log "downloading $pkg into $cache_dir" >&2
    tmp=$(mktemp -d "$cache_dir/.download.XXXXXX")
    local apt_opts=()
    # As root apt drops to the _apt user, which cannot write to $HOME.
    if [[ "$(id -u)" -eq 0 ]]; then
        apt_opts=(-o APT::Sandbox::User=root)
    fi
    rc=0
    err=$(cd "$tmp" && apt-get "${apt_opts[@]}" -q download "$pkg" 2>&1 >/dev/null) || rc=$?
    found=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
    if [[ "$rc" -ne 0 || -z "$found" ]]; then
        rm -rf "$tmp"
        echo "$err" >&2
        die "apt-get download $pkg failed. $apt_hint"
    fi
    mv -f "$found" "$cache_dir/"
    rm -rf "$tmp"
    echo "$cache_dir/$(basename "$found")"
}
kernel_deb=$(fetch_deb "$kernel_pkg")
busybox_deb=$(fetch_deb "$busybox_pkg")

# 4. Unpack (never installed).
rm -rf "$work_dir"
mkdir -p "$work_dir/kernel" "$work_dir/busybox" "$work_dir/root"
log "unpacking $(basename "$kernel_deb") and $(basename "$busybox_deb")"
dpkg-deb -x "$kernel_deb" "$work_dir/kernel"
dpkg-deb -x "$busybox_deb" "$work_dir/busybox"

vmlinuz=$(find "$work_dir/kernel/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
[[ -n "$vmlinuz" ]] || die "no vmlinuz in $kernel_deb"
kver=${vmlinuz##*/vmlinuz-}
moddir="$work_dir/kernel/lib/modules/$kver"
[[ -d "$moddir/kernel" ]] || die "no modules for $kver in $kernel_deb"
busybox_bin="$work_dir/busybox/bin/busybox"
[[ -f "$busybox_bin" ]] || die "no bin/busybox in $busybox_deb"

# 5. Module load order. The .deb has no modules.dep (depmod runs at install
#    time), so read each module's "depends=" from its .modinfo section.
declare -A mod_path=()
while IFS= read -r -d '' ko; do
    name=${ko##*/}
    name=${name%.ko}
    mod_path[${name//-/_}]=$ko
done < <(find "$moddir/kernel" -name '*.ko' -print0)
[[ ${#mod_path[@]} -gt 0 ]] || die "no *.ko modules found under $moddir (compressed modules are not supported)"

is_builtin() {
    grep -qE "/${1//_/[-_]}\.ko$" "$moddir/modules.builtin"
}
mod_depends() {
    tr '\0' '\n' <"${mod_path[$1]}" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}
declare -A mod_seen=()
mod_order=()
add_module() {
    local m=${1//-/_} d
    [[ -z "${mod_seen[$m]:-}" ]] || return 0
    mod_seen[$m]=1
    if [[ -z "${mod_path[$m]:-}" ]]; then
        is_builtin "$m" && return 0
        die "module $m is neither in $kernel_pkg nor built in"
    fi
    for d in $(mod_depends "$m"); do
        add_module "$d"
    done
    mod_order+=("$m")
}
modules=("${wanted_modules[@]}")
# The guest's disk is ext2/ext4: add the driver if it is a module.
if grep -q '^CONFIG_EXT4_FS=m' "$work_dir/kernel/boot/config-$kver"; then
    modules+=(ext4)
fi
for m in "${modules[@]}"; do
    add_module "$m"
done
log "kernel $kver, modules: ${mod_order[*]}"

# 6. The initramfs tree.
root="$work_dir/root"
mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,mnt/disk,etc,lib/modules/"$kver"}
cp "$busybox_bin" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for m in "${mod_order[@]}"; do
    cp "${mod_path[$m]}" "$root/lib/modules/$kver/$m.ko"
done
printf '%s\n' "${mod_order[@]}" >"$root/etc/atoll-modules"
cp -R "$here/rootfs/." "$root/"
# The memory dirtier for migration benchmarks; without a C compiler `dirty` falls back to a dd loop.
if command -v gcc >/dev/null 2>&1 && gcc -static -O2 -o "$root/bin/atoll-dirty" "$here/dirty.c"; then
    strip "$root/bin/atoll-dirty" 2>/dev/null || true
else
    log "WARNING: no static gcc: the guest's 'dirty' command uses a slower dd loop"
fi
chmod 0755 "$root/init" "$root"/bin/atoll-* "$root/etc/acpi/power-button" "$root/bin/busybox"

# 7. Outputs, written to temp names first and renamed at the end.
mkdir -p "$out_dir"
(cd "$root" && find . -print0 | LC_ALL=C sort -z \
    | cpio --null --create --format=newc --owner=0:0 --quiet) \
    | gzip -9 -n >"$out_dir/initrd.img.tmp"
cp "$vmlinuz" "$out_dir/vmlinuz.tmp"
chmod 0644 "$out_dir/initrd.img.tmp" "$out_dir/vmlinuz.tmp"
mv -f "$out_dir/vmlinuz.tmp" "$out_dir/vmlinuz"
mv -f "$out_dir/initrd.img.tmp" "$out_dir/initrd.img"
echo "$kver" >"$out_dir/kernel-release"
{
    echo "$kernel_pkg $(basename "$kernel_deb")"
    echo "$busybox_pkg $(basename "$busybox_deb")"
} >"$stamp"
rm -rf "$work_dir"
log "built $out_dir (initrd $(stat -c %s "$out_dir/initrd.img") bytes)"
