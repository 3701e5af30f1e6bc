// Capability names as system.toml writes them, checked against interface/optios.ts.
//
//   "power"            a capability without an argument
//   "emit:door.opened" a capability and the one name it allows
//   "emit:door.*"      ... every name starting with "door."; "status:*" every handler
//   "files:read"       a capability whose argument is one of a fixed set
import {
  type CallDeclaration, calls, capabilities, capabilityNamed, reservedCapabilities,
} from "../../../interface/optios.ts";
import { closestWord } from "./errors.ts";

/**
 * The pattern a grant carries for module `name`: the entry's argument, or the capability's
 * default for a plain entry ("data" → "/data/<name>/*").
 */
export function grantPattern(text: string, name: string): string {
  const { name: capability, pattern } = parseCapability(text);
  const fallback = text.includes(":") ? undefined : capabilityNamed(capability)?.defaultArgument;
  return fallback === undefined ? pattern : fallback.replace("<name>", name);
}

/** A capability entry split into its declared name and argument pattern ("" when it has none). */
export interface ParsedCapability {
  name: string;
  pattern: string;
}

export function parseCapability(text: string): ParsedCapability {
  const colon = text.indexOf(":");
  return colon < 0 ? { name: text, pattern: "" } : { name: text.slice(0, colon), pattern: text.slice(colon + 1) };
}

const ARGUMENT_PATTERN = /^(?:\*|[a-z0-9][a-z0-9_.-]{0,63}\*?)$/;
/** net.connect's "host:port": a name or a.b.c.d (lower case), then a port or '*'; or a prefix ending in '*'. */
/** A data disk path: /data, then parts of printable ASCII without '/' or '*', or a prefix ending in '*'. */
const PATH_PATTERN = /^(?:\*|\/data(?:\/[!-)+-.0-~]+)*(?:\/\*|\/|\*)?)$/;
const HOST_PATTERN = /^(?:\*|[a-z0-9][a-z0-9.-]{0,252}(?::(?:\d{1,5}|\*)|\*))$/;

/** What is wrong with one capability entry, or null when it is a declared capability written right. */
export function capabilityProblem(text: string): string | null {
  const { name, pattern } = parseCapability(text);
  const declared = capabilityNamed(name);
  if (!declared) {
    if (reservedCapabilities.includes(name)) return `"${text}": the capability '${name}' is reserved for calls that do not exist yet`;
    const suggestion = closestWord(name, capabilities.map((capability) => capability.name));
    const known = capabilities.map((capability) => capability.argument ? `${capability.name}:<${capability.argument}>` : capability.name).join(", ");
    return `unknown capability "${text}"; ${suggestion ? `did you mean '${suggestion}'? ` : ""}expected one of ${known}`;
  }
  if (declared.argument === null) {
    return text.includes(":") ? `"${text}": '${name}' takes no argument; write "${name}"` : null;
  }
  if (!text.includes(":") && declared.defaultArgument !== undefined) return null;
  if (!text.includes(":") || pattern.length === 0) {
    const example = declared.values ? `${name}:${declared.values[0]}` : `${name}:*`;
    return `"${text}": '${name}' needs an argument (the ${declared.argument} it allows), such as "${example}"`;
  }
  if (declared.values) {
    if (pattern === "*" || declared.values.includes(pattern)) return null;
    return `"${text}": '${name}' allows ${declared.values.map((value) => `"${name}:${value}"`).join(", ")} or "${name}:*"`;
  }
  if (declared.argument === "path") {
    return PATH_PATTERN.test(pattern) ? null
      : `"${text}": expected a path on the data disk ("${name}:/data/notes/log.txt"), a prefix ending in '*' ("${name}:/data/notes/*"), or "${name}:*"`;
  }
  if (declared.argument === "host") {
    return HOST_PATTERN.test(pattern) ? null
      : `"${text}": expected a host and port ("${name}:10.0.2.2:8080", "${name}:example.org:*"), a prefix ending in '*', or "${name}:*"`;
  }
  if (!ARGUMENT_PATTERN.test(pattern)) {
    return `"${text}": expected a ${declared.argument} name, or a prefix ending in '*' (such as "${name}:door.*")`;
  }
  return null;
}

/** The calls a module kind may make, by import name. */
export function callByImport(module: string, name: string): CallDeclaration | undefined {
  return calls.find((call) => (call.module ?? "optios") === module && call.name === name);
}

/** Whether `granted` (system.toml entries) hold the capability a call needs (any argument). */
export function allowsCall(granted: readonly string[], call: CallDeclaration): boolean {
  if (call.capability === null) return true;
  // udp_send from local port 0 (any free port) needs net.send instead of net.udp (kernel/gate/gate.ts).
  const enough = call.name === "udp_send" ? [call.capability, "net.send"] : [call.capability];
  const wider = capabilityNamed(call.capability)?.includedIn;
  if (wider !== undefined) enough.push(wider);
  return granted.some((entry) => enough.includes(parseCapability(entry).name));
}
