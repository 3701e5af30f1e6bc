// The store, scaffolding and module-test commands, in the order `optios help` lists them.
import { diskCommand } from "./disk.ts";
import { gcCommand } from "./gc.ts";
import { generationsCommand } from "./generations.ts";
import { infoCommand } from "./info.ts";
import { newCommand } from "./new.ts";
import { rollbackCommand } from "./rollback.ts";
import { storeCommand } from "./store.ts";
import { testCommand } from "./test.ts";
import type { Command } from "./command.ts";

export const storeCommands: Command[] = [generationsCommand, rollbackCommand, gcCommand, storeCommand, infoCommand, newCommand, testCommand, diskCommand];
export type { Command };
