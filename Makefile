# OptiOS front door: install what is missing, then hand over to the TypeScript toolchain.
#
#   make              build build/kernel.elf and build/optios.iso (= make all)
#                     SYSTEM=path/to/system.toml builds another system (default systems/default)
#   make run          build and boot the ISO in QEMU, serial console on this terminal (SYSTEM= too)
#                     UEFI=1 (OVMF)  GUI=1 (window)  ACCEL=kvm  MEMORY=64M  USB=1 (ISO on a
#                     USB stick)  PVH=1 (kernel.elf directly)  APPEND="..." (with PVH=1)
#   make test         build, then host, toolchain and module tests, then QEMU boot tests
#   make bench        build, then measure (toolchain/src/bench.ts)
#   make bench-build  only the toolchain figures: gc at three store sizes, rebuild times (no QEMU)
#   make crash-test   the power-cut tests with 300 kills of QEMU and 300 rebuilt crash states instead of make test's 25 and 24
#   make deps         install missing Debian packages (as root) and node_modules
#   make clean        remove build/
# The steps themselves live in toolchain/src/build/; see docs/build.md.

OPTIOS := node toolchain/bin/optios.js
ENSURE_DEPENDENCIES := toolchain/scripts/ensure-dependencies.sh

SYSTEM_FLAG := $(if $(SYSTEM),--system '$(SYSTEM)')

RUN_FLAGS := $(SYSTEM_FLAG) \
             $(if $(filter 1,$(UEFI)),--uefi) \
             $(if $(filter 1,$(GUI)),--gui) \
             $(if $(ACCEL),--accel $(ACCEL)) \
             $(if $(MEMORY),--memory $(MEMORY)) \
             $(if $(filter 1,$(USB)),--usb) \
             $(if $(filter 1,$(PVH)),--pvh) \
             $(if $(APPEND),--append '$(APPEND)')

.DEFAULT_GOAL := all
.PHONY: all build run test bench bench-build crash-test deps clean

all: deps
	$(OPTIOS) build $(SYSTEM_FLAG)

build: all

run: deps
	$(OPTIOS) run $(strip $(RUN_FLAGS))

# Both test runs always happen; the target fails if either failed.
test: all
	@status=0; \
	npx vitest run --project host --project toolchain --project modules || status=1; \
	npx vitest run --project qemu || status=1; \
	exit $$status

bench: all
	node --import tsx toolchain/src/bench.ts

crash-test: all
	POWER_CUTS=300 CRASH_STATES=300 npx vitest run --project qemu tests/qemu/power_cut.test.ts

bench-build: all
	node --import tsx toolchain/src/bench/build_bench.ts

deps:
	@$(ENSURE_DEPENDENCIES)

clean:
	rm -rf build
