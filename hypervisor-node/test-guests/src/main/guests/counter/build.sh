#!/usr/bin/env bash
# Builds the counter guest: a raw disk image whose first sector is counter.S.
#   build.sh OUT_DIR WORK_DIR   ->  OUT_DIR/counter.img (1 MiB, raw)
# Needs GNU binutils (as, ld). Skips the work when counter.img is newer than
# this script and counter.S.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 OUT_DIR WORK_DIR" >&2
    exit 2
fi
out_dir=$1
work_dir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/counter.S"
img="$out_dir/counter.img"

if [[ -f "$img" && "$img" -nt "$src" && "$img" -nt "${BASH_SOURCE[0]}" ]]; then
    echo "counter guest: up to date ($img)"
    exit 0
fi

for tool in as ld; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "counter guest: '$tool' not found; install GNU binutils (apt-get install binutils)" >&2
        exit 1
    fi
done

mkdir -p "$out_dir" "$work_dir"
as --32 -o "$work_dir/counter.o" "$src"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$work_dir/counter.bin" "$work_dir/counter.o"

size=$(stat -c %s "$work_dir/counter.bin")
if [[ "$size" -ne 512 ]]; then
    echo "counter guest: boot sector is $size bytes, expected 512" >&2
    exit 1
fi
if [[ "$(od -An -tx1 -j510 -N2 "$work_dir/counter.bin" | tr -d ' \n')" != "55aa" ]]; then
    echo "counter guest: boot signature 0x55AA missing" >&2
    exit 1
fi

# Pad to 1 MiB so the image behaves like a (tiny) ordinary disk.
cp "$work_dir/counter.bin" "$work_dir/counter.img"
truncate -s 1M "$work_dir/counter.img"
chmod 0644 "$work_dir/counter.img"
mv -f "$work_dir/counter.img" "$img"
rm -rf "$work_dir"
echo "counter guest: built $img"
