// Chooses the console outputs at boot: COM1 if present, and the screen the loader left us.
//
// Screen choice: an RGB framebuffer (UEFI, or a graphics mode GRUB set) gets the
// framebuffer console; an EGA text framebuffer, or none at all (BIOS text mode, PVH on a
// PC), gets VGA text at 0xB8000.

import { Uart16550 } from "../arch/x86_64/uart16550";
import { VgaText } from "../arch/x86_64/vga_text";
import { CONSOLE_SCREEN, CONSOLE_SERIAL } from "../boot/command_line";
import { LEVEL_WARNING, line, log } from "../log/log";
import { consoleAddOutput, consoleRemoveAllOutputs } from "./console";
import { Framebuffer, FRAMEBUFFER_KIND_EGA_TEXT, FramebufferConsole } from "./framebuffer_console";

const serial = new Uart16550();

/** The serial console alone, as early as possible, so boot problems are reported somewhere. */
export function consoleStartSerial(): void {
  if (!serial.present()) return;
  serial.initialize();
  consoleAddOutput(serial);
}

/** Rebuilds the output list from the `console=` choice and the framebuffer the loader gave. */
export function consoleStartOutputs(consoles: u32, framebuffer: Framebuffer | null): void {
  consoleRemoveAllOutputs();
  if ((consoles & CONSOLE_SERIAL) != 0 && serial.present()) consoleAddOutput(serial);
  if ((consoles & CONSOLE_SCREEN) == 0) return;
  if (framebuffer == null || framebuffer.kind == FRAMEBUFFER_KIND_EGA_TEXT) {
    const text = framebuffer == null ? new VgaText() : new VgaText(framebuffer.address, framebuffer.width, framebuffer.height);
    text.clear();
    consoleAddOutput(text);
  } else if (FramebufferConsole.supports(framebuffer)) {
    const screen = new FramebufferConsole(framebuffer);
    screen.clear();
    consoleAddOutput(screen);
  } else {
    log(LEVEL_WARNING, line.clear().string("console: framebuffer ").decimal(framebuffer.width).char(0x78)
      .decimal(framebuffer.height).char(0x78).decimal(framebuffer.bitsPerPixel).string(" (kind ")
      .decimal(framebuffer.kind).string(") is not supported; screen console off"));
  }
}
