// The boot information this kernel was started with, kept for whoever needs it after boot
// (power control reads the ACPI pointer from it).

import { BootInformation } from "./boot_information";

let current: BootInformation | null = null;

export function bootInformationKeep(information: BootInformation): void {
  current = information;
}

export function bootInformation(): BootInformation {
  return current!;
}
