// Input: scan codes → keys, the line discipline, the PS/2 and UART input paths.
import { beforeEach, describe, expect, it } from "vitest";
import { KernelUnderTest, startKernel } from "./fake_machine";

const SHIFT = 1;
const CONTROL = 2;
const ALT = 4;
const CAPS = 8;
const KEY_UP = 0x100;
const KEY_LEFT = 0x102;
const KEY_RIGHT = 0x103;
const KEY_ENTER = 0x10b;
const KEY_F1 = 0x110;
const BELL = "\x07";

let under: KernelUnderTest;

beforeEach(async () => {
  under = await startKernel(undefined, "input_under_test");
});

/** Feeds scan codes one byte at a time; each key press becomes "name" or "name modifier…". */
function decode(...codes: number[]): string[] {
  const events: string[] = [];
  for (const code of codes) {
    if (!under.kernel.decoderFeed(code)) continue;
    const key = under.kernel.eventKey() as number;
    const modifiers = under.kernel.eventModifiers() as number;
    under.kernel.nameOfKey(key);
    const name = key < 0x100 ? (key < 0x20 ? `^${String.fromCharCode(key + 0x40)}` : String.fromCharCode(key)) : under.result();
    const flags = [[SHIFT, "shift"], [CONTROL, "control"], [ALT, "alt"], [CAPS, "caps"]]
      .filter(([bit]) => modifiers & (bit as number)).map(([, word]) => word);
    events.push([name, ...flags].join(" "));
  }
  return events;
}

describe("scan code set 1 decoder", () => {
  it("applies Shift between its make and break, on letters, digits and punctuation", () => {
    expect(decode(0x2a, 0x1e, 0x9e, 0xaa, 0x1e, 0x9e)).toEqual(["A shift", "a"]);
    expect(decode(0x36, 0x03, 0x83, 0x35, 0xb5, 0xb6, 0x35, 0x29, 0x2b, 0x39, 0x0c)).toEqual(["@ shift", "? shift", "/", "`", "\\", " ", "-"]);
  });

  it("keeps Shift while the other Shift is still held", () => {
    expect(decode(0x2a, 0x36, 0xb6, 0x1e, 0xaa, 0x1e)).toEqual(["A shift", "a"]);
  });

  it("toggles Caps Lock once per press (not on typematic repeats), for letters only", () => {
    expect(decode(0x3a, 0x3a, 0x3a, 0xba, 0x1e, 0x02)).toEqual(["A caps", "1 caps"]);
    expect(decode(0x2a, 0x1e, 0x02, 0xaa)).toEqual(["a shift caps", "! shift caps"]);
    expect(decode(0x3a, 0xba, 0x1e)).toEqual(["a"]);
    expect(under.kernel.decoderCapsLock()).toBe(0);
  });

  it("turns Ctrl plus a letter into its control code, with left or right Ctrl", () => {
    expect(decode(0x1d, 0x2e, 0xae, 0x9d)).toEqual(["^C control"]);
    expect(decode(0xe0, 0x1d, 0x1e, 0x9e, 0x2c, 0xe0, 0x9d, 0x2c)).toEqual(["^A control", "^Z control", "z"]);
  });

  it("decodes each 0xE0 key and ignores its break", () => {
    const pairs: [number, string][] = [[0x48, "Up"], [0x50, "Down"], [0x4b, "Left"], [0x4d, "Right"],
      [0x47, "Home"], [0x4f, "End"], [0x53, "Delete"], [0x1c, "Enter"], [0x35, "/"]];
    for (const [code, name] of pairs) expect(decode(0xe0, code, 0xe0, code | 0x80), name).toEqual([name]);
  });

  it("tells the keypad from the 0xE0 keys and follows Num Lock", () => {
    expect(decode(0x48, 0xc8, 0x1c)).toEqual(["8", "Enter"]);
    expect(decode(0x45, 0xc5, 0x48, 0x4c, 0x37)).toEqual(["Up", "*"]);
  });

  it("decodes function keys and reports Alt for console switching", () => {
    expect(decode(0x3b, 0xbb, 0x44, 0x57, 0x58)).toEqual(["F1", "F10", "F11", "F12"]);
    expect(decode(0x38, 0x3c, 0xbc, 0xb8, 0xe0, 0x38, 0x3e, 0xe0, 0xb8, 0x3b)).toEqual(["F2 alt", "F4 alt", "F1"]);
    expect(decode(0x01, 0x0e, 0x0f)).toEqual(["Escape", "Backspace", "Tab"]);
  });

  it("swallows Pause and PrintScreen whole, leaving no modifier behind", () => {
    expect(decode(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x1e)).toEqual(["a"]);
    expect(decode(0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa, 0x1e)).toEqual(["a"]);
    expect(decode(0xe0, 0x5b, 0xe0, 0xdb, 0x00, 0xfa, 0x7f, 0x1e)).toEqual(["a"]); // Windows key, error, ACK, unknown
    expect(under.kernel.decoderModifiers()).toBe(0);
  });
});

describe("line discipline", () => {
  const feed = (text: string) => under.kernel.lineFeedBytes(under.input(text));
  const echo = () => (under.kernel.lineTakeEcho(), under.result());
  const take = () => (under.kernel.lineTake() >= 0 ? under.result() : null);
  const editing = () => {
    const cursor = under.kernel.lineEditing() as number;
    return { line: under.result(), cursor };
  };

  it("echoes what is typed and hands out the line on Enter", () => {
    feed("ls -l\r");
    expect(echo()).toBe("ls -l\r\n");
    expect(take()).toBe("ls -l");
    expect(take()).toBeNull();
  });

  it("backspaces at the end, mid-line, and rings the bell at the start", () => {
    feed("\x7f");
    expect(echo()).toBe(BELL);
    feed("ab\x7f");
    expect(echo()).toBe("ab\b \b");
    feed("c\x1b[D\x08");
    expect(echo()).toBe("c\b\bc \b\b");
    expect(editing()).toEqual({ line: "c", cursor: 0 });
  });

  it("inserts at the cursor after moving left and right", () => {
    feed("ac\x1b[D");
    echo();
    feed("b");
    expect(echo()).toBe("bc\b");
    expect(editing()).toEqual({ line: "abc", cursor: 2 });
    feed("\x1b[C\x1b[C");
    expect(echo()).toBe(`c${BELL}`);
    feed("\x1b[H\x1b[3~");
    expect(echo()).toBe("\b\b\bbc \b\b\b");
    feed("\x1b[F");
    expect(echo()).toBe("bc");
    feed("\r");
    expect(take()).toBe("bc");
  });

  it("recalls history with Up and Down, stops at both ends and restores the draft", () => {
    feed("one\rtwo\rthree\r");
    echo();
    feed("dr");
    echo();
    feed("\x1b[A");
    expect(echo()).toBe("\b\bthree");
    feed("\x1b[A");
    expect(echo()).toBe("\b\b\b\b\btwo  \b\b");
    feed("\x1b[A\x1b[A");
    expect(echo()).toBe(`\b\b\bone${BELL}`);
    feed("\x1b[B\x1b[B\x1b[B");
    expect(editing()).toEqual({ line: "dr", cursor: 2 });
    echo();
    feed("\x1b[B");
    expect(echo()).toBe(BELL);
  });

  it("keeps only the newest lines, and a repeated line once", () => {
    under.kernel.lineCreate(16, 2, 8);
    feed("a\rb\rc\rc\r");
    echo();
    feed("\x1b[A\x1b[A");
    expect(editing().line).toBe("b");
    echo();
    feed("\x1b[A");
    expect(echo()).toBe(BELL);
  });

  it("treats CR, LF and CR LF each as one Enter", () => {
    feed("a\r\nb\nc\r");
    feed("\nd\r\r");
    expect([take(), take(), take(), take(), take(), take()]).toEqual(["a", "b", "c", "d", "", null]);
  });

  it("decodes escape sequences split across calls and swallows unknown ones", () => {
    feed("xy\x1b");
    feed("[");
    feed("D");
    expect(editing().cursor).toBe(1);
    feed("\x1bOD");
    expect(editing().cursor).toBe(0);
    feed("\x1b[5~\x1b[1;5C");
    expect(editing()).toEqual({ line: "xy", cursor: 1 });
    feed("\x1bz");
    expect(editing()).toEqual({ line: "xzy", cursor: 2 });
  });

  it("refuses keys beyond the maximum line length with a bell", () => {
    under.kernel.lineCreate(4, 4, 4);
    feed("abcde");
    expect(echo()).toBe(`abcd${BELL}`);
    feed("\x1b[D\x1b[DX");
    expect(echo()).toBe(`\b\b${BELL}`);
    feed("\r");
    expect(take()).toBe("abcd");
  });

  it("discards the line on Ctrl-C and clears it on Ctrl-U", () => {
    feed("abc\x03");
    expect(echo()).toBe("abc^C\r\n");
    expect(under.kernel.lineInterrupts()).toBe(1);
    expect(under.kernel.lineWaiting()).toBe(0);
    feed("xyz\x1b[D\x15");
    expect(echo()).toBe("xyz\b\b\b   \b\b\b");
    expect(editing()).toEqual({ line: "", cursor: 0 });
    feed("ok\r");
    expect(take()).toBe("ok");
  });

  it("refuses a line whole when Enter finds the queue full: bell, new line, counted; the next line is not glued to it", () => {
    under.kernel.lineCreate(16, 4, 2);
    feed("a\rb\rc\rd");
    expect(echo()).toBe(`a\r\nb\r\nc${BELL}\r\nd`);
    expect(under.kernel.lineRefused()).toBe(1);
    expect(under.kernel.lineEntered()).toBe(2);
    expect(editing().line).toBe("d");
    expect(take()).toBe("a");
    feed("\r");
    expect([take(), take(), take()]).toEqual(["b", "d", null]);
  });

  it("after lost input, discards the line and everything up to the next Enter, which counts one refused line", () => {
    feed("echo 17");
    under.kernel.lineFeedLoss();
    feed("o 18\r"); // the rest of a line whose middle was lost: refused, never "echo 17o 18"
    expect(echo()).toBe(`echo 17${BELL}\r\n`);
    expect(under.kernel.lineRefused()).toBe(1);
    feed("echo 19\r");
    expect([take(), take()]).toEqual(["echo 19", null]);
    under.kernel.lineFeedLoss();
    feed("x\x03"); // Ctrl-C ends a discard like any line: counted as an interrupt, not a refusal
    expect(under.kernel.lineInterrupts()).toBe(1);
    expect(under.kernel.lineRefused()).toBe(1);
    feed("ok\r");
    expect(take()).toBe("ok");
  });

  it("leaves a line queued when the caller's buffer is too short", () => {
    feed("hello\r");
    expect(under.kernel.lineTakeInto(4)).toBe(-2);
    expect(under.kernel.lineTakeInto(5)).toBe(5);
    expect(under.kernel.lineTakeInto(5)).toBe(-1);
  });

  it("takes key events, ignoring Alt combinations", () => {
    under.kernel.lineFeedKey(0x61, 0);
    under.kernel.lineFeedKey(0x62, ALT);
    under.kernel.lineFeedKey(KEY_F1, ALT);
    under.kernel.lineFeedKey(0x63, SHIFT);
    under.kernel.lineFeedKey(KEY_LEFT, 0);
    under.kernel.lineFeedKey(KEY_UP, 0);
    under.kernel.lineFeedKey(KEY_RIGHT, 0);
    under.kernel.lineFeedKey(KEY_ENTER, 0);
    expect(echo()).toBe(`ac\b${BELL}c\r\n`);
    expect(take()).toBe("ac");
  });

  it("edits a line typed on the keyboard, scan code by scan code", () => {
    // l s <space> Shift-/ Backspace Enter: "ls ?" then backspace
    under.kernel.lineFeedScanCodes(under.input(new Uint8Array([0x26, 0xa6, 0x1f, 0x9f, 0x39, 0x2a, 0x35, 0xaa, 0x0e, 0x1c])));
    expect(echo()).toBe("ls ?\b \b\r\n");
    expect(take()).toBe("ls ");
  });
});

describe("16550 UART input", () => {
  it("sees a received byte only when data-ready is set on a UART that answers", () => {
    expect(under.kernel.uartReceivedByteWaiting(0x61)).toBe(1);
    expect(under.kernel.uartReceivedByteWaiting(0x01)).toBe(1);
    expect(under.kernel.uartReceivedByteWaiting(0x60)).toBe(0);
    expect(under.kernel.uartReceivedByteWaiting(0xff)).toBe(0);
  });

  it("reads nothing from an idle or absent UART, and output still works", async () => {
    under.kernel.uartInitialize();
    expect(under.kernel.uartReadByte()).toBe(-1);
    under.kernel.uartWriteInput(under.input("still here"));
    expect(under.machine.serialOutput).toBe("still here\r\n");
    under = await startKernel((machine) => (machine.serialPresent = false), "input_under_test");
    expect(under.kernel.uartReadByte()).toBe(-1);
  });

  it("enables the receive interrupt in the interrupt enable register", () => {
    under.kernel.uartInitialize();
    under.kernel.uartEnableReceiveInterrupt();
    expect(under.machine.portWrites.at(-1)).toEqual({ port: 0x3f9, value: 0x01 });
  });
});

describe("PS/2 keyboard (8042)", () => {
  it("takes a byte only when the output buffer is full and it is not the mouse's", () => {
    expect(under.kernel.ps2ByteWaiting(0x01)).toBe(1);
    expect(under.kernel.ps2ByteWaiting(0x1d)).toBe(1);
    expect(under.kernel.ps2ByteWaiting(0x21)).toBe(0);
    expect(under.kernel.ps2ByteWaiting(0x1c)).toBe(0);
    expect(under.kernel.ps2ByteWaiting(0xff)).toBe(0);
  });

  it("turns the keyboard interrupt and clock on, the mouse interrupt off, and keeps translation as found", () => {
    expect(under.kernel.ps2Configuration(0x47)).toBe(0x45);
    expect(under.kernel.ps2Configuration(0x50)).toBe(0x41);
    expect(under.kernel.ps2Configuration(0x10)).toBe(0x01);
  });

  it("reports a missing controller without writing to it", () => {
    under.kernel.ps2Initialize();
    expect(under.result()).toMatch(/no PS\/2 controller/);
    expect(under.machine.portWrites.filter((write) => write.port === 0x60 || write.port === 0x64)).toEqual([]);
    expect(under.kernel.ps2ReadScanCode()).toBe(-1);
  });
});

describe("routing: interrupts → rings → the active console (kernel/input/input.ts)", () => {
  let k: KernelUnderTest;
  const keyboardBytes: number[] = [];

  beforeEach(async () => {
    keyboardBytes.length = 0;
    k = await startKernel((machine) => {
      machine.portValues.set(0x64, () => (keyboardBytes.length > 0 ? 0x01 : 0x00)); // 8042 status: output full
      machine.portValues.set(0x60, () => keyboardBytes.shift() ?? 0);
    }, "input_under_test");
    k.kernel.routingCreateConsoles(2);
  });

  /** Delivers `text` as one serial interrupt, then runs the kernel loop's input step. */
  function typeSerial(text: string): void {
    for (const byte of Buffer.from(text, "latin1")) k.machine.serialInput.push(byte);
    k.kernel.routingSerialInterrupt();
    k.kernel.routingService();
  }

  function takeLine(console: number): string | null {
    return k.kernel.routingTakeLine(console) < 0 ? null : k.result();
  }

  it("serial bytes reach console 1's line editor, which echoes them; Enter completes the line", () => {
    typeSerial("echo hi\r");
    expect(takeLine(0)).toBe("echo hi");
    expect(k.machine.serialOutput).toContain("echo hi\r\n");
    expect(Number(k.kernel.routingLatencyCount())).toBeGreaterThan(0);
    expect(Boolean(k.kernel.routingPending())).toBe(false);
  });

  it("ESC 2 switches to console 2 (header and redraw), and typing then goes there", () => {
    typeSerial("one\r");
    typeSerial("\u001b2");
    expect(k.kernel.routingActive()).toBe(1);
    expect(k.machine.serialOutput).toContain("-- console 2 (Alt+F2, or ESC 2 on serial) --");
    typeSerial("two\r");
    expect(takeLine(1)).toBe("two");
    expect(takeLine(0)).toBe("one");
    typeSerial("\u001b1");
    expect(k.kernel.routingActive()).toBe(0);
    expect(k.machine.serialOutput).toMatch(/-- console 1 \(Alt\+F1, or ESC 1 on serial\) --\r\none\r\n$/); // console 1 redrawn
  });

  it("ESC followed by anything else is not a switch: cursor keys still reach the editor", () => {
    typeSerial("first\r");
    typeSerial("\u001b[A\r"); // Up recalls "first" from history, Enter enters it again
    expect(k.kernel.routingActive()).toBe(0);
    expect(takeLine(0)).toBe("first");
    expect(takeLine(0)).toBe("first");
    typeSerial("\u001b9x\r"); // no console 9: ESC is dropped by the editor, "9x" is text
    expect(k.kernel.routingActive()).toBe(0);
    expect(takeLine(0)).toBe("9x");
  });

  it("Alt+F2 on the PS/2 keyboard switches consoles; other keys type", () => {
    keyboardBytes.push(0x38, 0x3c, 0xbc, 0xb8); // Alt down, F2 down, F2 up, Alt up
    k.kernel.routingKeyboardInterrupt();
    k.kernel.routingService();
    expect(k.kernel.routingActive()).toBe(1);
    keyboardBytes.push(0x23, 0xa3, 0x17, 0x97, 0x1c, 0x9c); // h, i, Enter
    k.kernel.routingKeyboardInterrupt();
    k.kernel.routingService();
    expect(takeLine(1)).toBe("hi");
  });

  const RING_BYTES = 4096;
  /** The value last written to COM1's interrupt enable register: 1 while the receive interrupt is on. */
  const receiveInterrupt = () => k.machine.portWrites.filter((write) => write.port === 0x3f9).at(-1)?.value;

  /** Plays the kernel loop with a program reading console 1: interrupts while enabled, service, read every line. */
  function runUntilQuiet(taken: string[]): void {
    for (let round = 0; round < 100_000; round++) {
      if (receiveInterrupt() === 1 && k.machine.serialInput.length > 0) k.kernel.routingSerialInterrupt();
      k.kernel.routingService();
      let lineRead = false;
      for (let line = takeLine(0); line !== null; line = takeLine(0)) {
        taken.push(line);
        lineRead = true;
      }
      if (!lineRead && !k.kernel.routingPending() && (k.machine.serialInput.length === 0 || receiveInterrupt() !== 1)) return;
    }
    throw new Error("input never went quiet");
  }

  it("a serial flood several times the ring, read by a program: every line arrives whole, in order, none refused", () => {
    k.kernel.routingSetReader(0, true);
    const sent = Array.from({ length: 2000 }, (_, n) => `echo ${n}`);
    for (const byte of Buffer.from(sent.map((line) => `${line}\r`).join(""), "latin1")) k.machine.serialInput.push(byte);
    expect(k.machine.serialInput.length).toBeGreaterThan(3 * RING_BYTES);
    k.kernel.routingSerialInterrupt();
    expect(k.machine.serialInput.length).toBeGreaterThan(0); // the ring filled: the rest waits in the UART…
    expect(receiveInterrupt()).toBe(0); // …with its receive interrupt off
    k.kernel.routingService();
    expect(Boolean(k.kernel.routingPending())).toBe(false); // held back: the queue is full and its program will read
    const taken: string[] = [];
    runUntilQuiet(taken);
    expect(taken).toEqual(sent);
    expect(k.kernel.routingRefused(0)).toBe(0);
    expect(k.kernel.routingEntered(0)).toBe(sent.length);
    expect(k.kernel.routingDropped()).toBe(0);
    expect(receiveInterrupt()).toBe(1);
  });

  it("a console no program reads refuses the lines beyond its queue whole and counts them; none is glued", () => {
    typeSerial(Array.from({ length: 20 }, (_, n) => `line ${n}\r`).join(""));
    expect(k.kernel.routingEntered(0)).toBe(8);
    expect(k.kernel.routingRefused(0)).toBe(12);
    const taken = Array.from({ length: 9 }, () => takeLine(0));
    expect(taken).toEqual([...Array.from({ length: 8 }, (_, n) => `line ${n}`), null]);
    expect(k.machine.serialOutput).toContain(`line 8${BELL}\r\n`); // the terminal shows each refusal on a line of its own…
    expect(k.machine.serialOutput).toContain(`line 19${BELL}\r\n`);
    expect(k.machine.serialOutput).toMatch(/input: console 1 refused a line whole .*; 8 so far/); // …and the log at the 1st, 2nd, 4th, 8th
    typeSerial("after\r");
    expect(takeLine(0)).toBe("after");
    k.kernel.routingReport();
    expect(k.result()).toMatch(/^input: console 1: 9 lines entered, 12 refused$/m);
    expect(k.result()).toMatch(/^input: console 2: 0 lines entered, 0 refused$/m);
    expect(k.result()).toMatch(/^input: bytes lost: 0 keyboard \(ring full\), 0 serial overruns$/m);
  });

  it("a UART overrun refuses the line the lost bytes belonged to, after the 16 bytes its FIFO held", () => {
    k.machine.serialOverrun = true; // seen with the first byte: the FIFO was full, the loss comes after it
    typeSerial("first line 1234\r" + "ond line\r" + "third\r"); // "sec" was lost
    expect([takeLine(0), takeLine(0), takeLine(0)]).toEqual(["first line 1234", "third", null]);
    expect(k.kernel.routingRefused(0)).toBe(1);
    expect(k.kernel.routingDropped()).toBe(1);
  });

  it("a keyboard burst beyond its ring: the lines before the loss arrive whole, the cut one is refused, the count kept", () => {
    k.kernel.routingSetReader(0, true);
    const x = [0x2d, 0xad];
    const enter = [0x1c, 0x9c];
    const line = [...Array.from({ length: 100 }, () => x).flat(), ...enter]; // 202 codes
    for (let n = 0; n < 21; n++) keyboardBytes.push(...line); // 4242 codes: 20 lines and 28 x's fit
    k.kernel.routingKeyboardInterrupt();
    expect(k.kernel.routingDropped()).toBe(21 * 202 - RING_BYTES);
    const taken: string[] = [];
    runUntilQuiet(taken);
    expect(taken).toEqual(Array.from({ length: 20 }, () => "x".repeat(100)));
    keyboardBytes.push(0x21, 0xa1, 0x17, 0x97, 0x1c, 0x9c); // "fi" Enter: ends the cut line, so it is refused too
    keyboardBytes.push(0x18, 0x98, 0x25, 0xa5, 0x1c, 0x9c); // "ok" Enter
    k.kernel.routingKeyboardInterrupt();
    runUntilQuiet(taken);
    expect(taken.slice(20)).toEqual(["ok"]);
    expect(k.kernel.routingRefused(0)).toBe(1);
  });
});
