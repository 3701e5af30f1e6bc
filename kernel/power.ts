// Power-off (ACPI S5) and reboot, with the fallbacks emulators and old PCs answer to.
//
// Power-off: ACPI S5 through the FADT's PM1 control ports with \_S5_'s SLP_TYP values; if
// ACPI could not be read, or the machine is still running a moment later, the power-off
// ports of QEMU, Bochs and VirtualBox. Reboot: the FADT's reset register when it offers one,
// then the 8042 keyboard controller's reset line, then PCI reset control (port 0xcf9).
// Each step is logged before it is taken; a call returns only when every step failed, with
// what went wrong. The ACPI tables are read once (the stub runtime never frees, so later
// calls allocate nothing) and what is written is logged through the reused `line`.
// See docs/power.md.

import { AcpiPower, acpiRead, ADDRESS_SPACE_IO } from "./arch/x86_64/acpi";
import { physicalWrite8, portRead8, portWrite16, portWrite8, readTsc } from "./arch/x86_64/machine";
import { BootInformation } from "./boot/boot_information";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "./log/log";
import { clockTscHz } from "./time/clock";

// PM1x_CNT (ACPI 6.5, 4.8.3.2.1): SLP_TYP in bits 10-12, SLP_EN starts the sleep.
const SLEEP_TYPE_SHIFT: u16 = 10;
const SLEEP_TYPE_MASK: u16 = 7;
const SLEEP_ENABLE: u16 = 1 << 13;

// Where emulators take a PM1a_CNT write when ACPI could not tell us, and what they want.
const QEMU_PM1A_CONTROL: u16 = 0x604; //        i440fx and q35: SLP_TYP 0 is soft off
const BOCHS_PM1A_CONTROL: u16 = 0xb004; //      Bochs, and QEMU before 2.0: SLP_TYP 0 is soft off
const VIRTUALBOX_PM1A_CONTROL: u16 = 0x4004; // VirtualBox: SLP_TYP 5 is soft off
const SOFT_OFF_TYPE_0: u16 = SLEEP_ENABLE; //                 0x2000
const SOFT_OFF_TYPE_5: u16 = SLEEP_ENABLE | (5 << SLEEP_TYPE_SHIFT); // 0x3400

// The 8042 keyboard controller: command 0xfe pulses its output line wired to the CPU's reset.
const KEYBOARD_CONTROLLER_STATUS: u16 = 0x64; //  read
const KEYBOARD_CONTROLLER_COMMAND: u16 = 0x64; // write
const KEYBOARD_CONTROLLER_INPUT_FULL: u8 = 0x02; // it has not taken our last byte yet
const KEYBOARD_CONTROLLER_PULSE_RESET: u8 = 0xfe;
/** Status polls before writing anyway (a missing controller reads 0xff forever). */
const KEYBOARD_CONTROLLER_WAIT_POLLS: i32 = 100_000;

// PCI reset control (Intel chipsets, QEMU's PIIX and ICH9): a rising RST_CPU with SYS_RST resets.
const RESET_CONTROL: u16 = 0xcf9;
const RESET_CONTROL_SYSTEM_RESET: u8 = 0x02;
const RESET_CONTROL_RESET_CPU: u8 = 0x04;

/** How long a step is given to take effect before the next is tried, in milliseconds. */
const SETTLE_MILLISECONDS: u64 = 100;
/** The same wait in TSC cycles when the TSC was never calibrated (100 ms at 3 GHz). */
const SETTLE_UNCALIBRATED_CYCLES: u64 = 300_000_000;

let acpi: AcpiPower | null = null;
let acpiReadFrom: u64 = 0;
let powerOffFailure = "";
let rebootFailure = "";

/** Enters ACPI S5, else the emulators' power-off ports; returns only if the machine is still on, saying why. */
export function powerOff(information: BootInformation): string {
  const tables = acpiTables(information);
  if (tables.sleepError.length == 0) {
    const valueA = sleepControl(tables.sleepTypeA);
    log(LEVEL_INFO, line.clear().string("power: ACPI S5: PM1a_CNT port 0x").hex(tables.pm1aControlPort)
      .string(" <- 0x").hex(valueA));
    portWrite16(tables.pm1aControlPort, valueA);
    if (tables.pm1bControlPort != 0) portWrite16(tables.pm1bControlPort, sleepControl(tables.sleepTypeB));
    settle();
    log(LEVEL_WARNING, line.clear().string("power: still running after ACPI S5; trying the emulators' ports"));
  } else {
    log(LEVEL_WARNING, line.clear().string("power: ").string(tables.sleepError).string("; trying the emulators' ports"));
  }
  emulatorPowerOff("QEMU", QEMU_PM1A_CONTROL, SOFT_OFF_TYPE_0);
  emulatorPowerOff("Bochs", BOCHS_PM1A_CONTROL, SOFT_OFF_TYPE_0);
  emulatorPowerOff("VirtualBox", VIRTUALBOX_PM1A_CONTROL, SOFT_OFF_TYPE_5);
  return powerOffFailure;
}

/** Resets through the FADT's reset register, the 8042, then port 0xcf9; returns only if all failed, saying why. */
export function reboot(information: BootInformation): string {
  const tables = acpiTables(information);
  if (tables.resetError.length == 0) {
    log(LEVEL_INFO, line.clear().string("power: ACPI reset register: ")
      .string(tables.resetSpace == ADDRESS_SPACE_IO ? "port 0x" : "memory 0x").hex(tables.resetAddress)
      .string(" <- 0x").hex(tables.resetValue));
    if (tables.resetSpace == ADDRESS_SPACE_IO) portWrite8(<u16>tables.resetAddress, tables.resetValue);
    else physicalWrite8(tables.resetAddress, tables.resetValue);
    settle();
  } else {
    log(LEVEL_INFO, line.clear().string("power: ").string(tables.resetError));
  }
  log(LEVEL_INFO, line.clear().string("power: pulsing the reset line through the 8042 (port 0x64 <- 0xfe)"));
  waitForKeyboardController();
  portWrite8(KEYBOARD_CONTROLLER_COMMAND, KEYBOARD_CONTROLLER_PULSE_RESET);
  settle();
  log(LEVEL_INFO, line.clear().string("power: PCI reset control (port 0xcf9 <- 0x02, then 0x06)"));
  portWrite8(RESET_CONTROL, RESET_CONTROL_SYSTEM_RESET);
  portWrite8(RESET_CONTROL, RESET_CONTROL_SYSTEM_RESET | RESET_CONTROL_RESET_CPU);
  settle();
  return rebootFailure;
}

/** The ACPI tables, read on first use (and again only if the RSDP address changes). */
function acpiTables(information: BootInformation): AcpiPower {
  const cached = acpi;
  if (cached != null && acpiReadFrom == information.rsdpAddress) return cached;
  const tables = acpiRead(information.rsdpAddress);
  acpi = tables;
  acpiReadFrom = information.rsdpAddress;
  powerOffFailure = "power off failed: " +
    (tables.sleepError.length != 0 ? tables.sleepError : "the machine kept running after ACPI S5") +
    "; the QEMU, Bochs and VirtualBox power-off ports did not stop it either";
  rebootFailure = "reboot failed: " +
    (tables.resetError.length != 0 ? tables.resetError : "the machine kept running after the ACPI reset register") +
    "; the 8042 reset line and PCI reset control (port 0xcf9) did not reset it either";
  if (tables.sleepError.length == 0) {
    log(LEVEL_INFO, line.clear().string("power: ACPI RSDP at 0x").hex(tables.rsdpAddress)
      .string(tables.rootIsXsdt ? ", XSDT at 0x" : ", RSDT at 0x").hex(tables.rootAddress)
      .string(", FADT at 0x").hex(tables.fadtAddress).string(", DSDT at 0x").hex(tables.dsdtAddress)
      .string(", S5 SLP_TYP ").decimal(tables.sleepTypeA).char(0x2f).decimal(tables.sleepTypeB));
  }
  return tables;
}

function sleepControl(sleepType: u8): u16 {
  return ((<u16>sleepType & SLEEP_TYPE_MASK) << SLEEP_TYPE_SHIFT) | SLEEP_ENABLE;
}

function emulatorPowerOff(name: string, port: u16, value: u16): void {
  log(LEVEL_INFO, line.clear().string("power: ").string(name).string(" power-off port 0x").hex(port)
    .string(" <- 0x").hex(value));
  portWrite16(port, value);
  settle();
}

/** Polls until the 8042 has room for a command, or gives up after a bounded number of polls. */
function waitForKeyboardController(): void {
  for (let i = 0; i < KEYBOARD_CONTROLLER_WAIT_POLLS; i++) {
    if ((portRead8(KEYBOARD_CONTROLLER_STATUS) & KEYBOARD_CONTROLLER_INPUT_FULL) == 0) return;
  }
}

/** Gives the last write time to take effect: a machine that powers off or resets never returns from here. */
function settle(): void {
  const hz = clockTscHz();
  const cycles = hz != 0 ? (hz / 1000) * SETTLE_MILLISECONDS : SETTLE_UNCALIBRATED_CYCLES;
  const start = readTsc();
  while (readTsc() - start < cycles) {}
}
