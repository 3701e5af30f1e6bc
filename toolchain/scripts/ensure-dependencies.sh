#!/usr/bin/env bash
# Installs what building, testing and running OptiOS need, when missing: Debian packages and node_modules.
#
# Quiet when everything is present. As root it installs missing Debian packages itself;
# otherwise it prints the one apt-get command to run and fails. The table mirrors
# toolchain/src/build/tools.ts (which checks again, per command); change both together.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# kind  name                                         Debian package
# (g++, make and python3 are for npm ci: better-sqlite3 compiles from source with node-gyp;
# apt-get to libc6-dev are for make bench's Linux comparison guest: toolchain/src/bench/linux_guest.ts;
# clang-14, lld-14 and wasi-libc compile the network stack, lwIP, to wasm32: services/network/.)
requirements=(
  "command wasm2c                                    wabt"
  "command wat2wasm                                  wabt"
  "file    /usr/include/wasm-rt.h                    wabt"
  "command gcc                                       gcc"
  "command g++                                       g++"
  "command make                                      make"
  "command python3                                   python3"
  "command ld                                        binutils"
  "command objcopy                                   binutils"
  "command grub-mkimage                              grub-common"
  "file    /usr/lib/grub/i386-pc/kernel.img          grub-pc-bin"
  "file    /usr/lib/grub/i386-pc/boot_hybrid.img     grub-pc-bin"
  "file    /usr/lib/grub/x86_64-efi/kernel.img       grub-efi-amd64-bin"
  "command mformat                                   mtools"
  "command mcopy                                     mtools"
  "command mmd                                       mtools"
  "command xorriso                                   xorriso"
  "command qemu-system-x86_64                        qemu-system-x86"
  "file    /usr/share/OVMF/OVMF_CODE_4M.fd           ovmf"
  "file    /usr/share/OVMF/OVMF_VARS_4M.fd           ovmf"
  "command cpio                                      cpio"
  "command apt-get                                   apt"
  "command dpkg-deb                                  dpkg"
  "command tar                                       tar"
  "command xz                                        xz-utils"
  "file    /usr/lib/x86_64-linux-gnu/libc.a          libc6-dev"
  "command clang-14                                  clang-14"
  "command wasm-ld-14                                lld-14"
  "file    /usr/lib/wasm32-wasi/libc.a               wasi-libc"
)

missing_packages=()
for requirement in "${requirements[@]}"; do
  read -r kind name package <<<"$requirement"
  case "$kind" in
    command) command -v "$name" >/dev/null 2>&1 && continue ;;
    file) [ -e "$name" ] && continue ;;
  esac
  [[ " ${missing_packages[*]-} " == *" $package "* ]] || missing_packages+=("$package")
done

if [ "${#missing_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-dependencies: installing ${missing_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}"
  else
    echo "ensure-dependencies: missing Debian packages: ${missing_packages[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing_packages[*]}" >&2
    exit 1
  fi
fi

# Node.js: Debian 12's own nodejs is 18; the project needs 20 or later (package.json "engines").
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ensure-dependencies: node and npm (Node.js 20 or later) are needed; install them from nodejs.org or your distribution" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "ensure-dependencies: Node.js $(node --version) is too old; OptiOS needs 20 or later" >&2
  exit 1
fi

# node_modules: installed exactly from package-lock.json, again whenever the lock file's
# content changes. The content is compared, not the time: a fresh checkout (a clone, a git
# worktree) has a new lock file with the same content, and must not reinstall.
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
installed_sum_file=node_modules/.optios-package-lock.sha256
if [ ! -f node_modules/.package-lock.json ] || [ "$(cat "$installed_sum_file" 2>/dev/null)" != "$lock_sum" ]; then
  echo "ensure-dependencies: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$installed_sum_file"
fi

# Sources the build compiles that come from a package registry rather than an installed
# package: lwIP (Debian's source package, pinned and checked; toolchain/src/build/lwip.ts).
node toolchain/bin/optios.js deps
