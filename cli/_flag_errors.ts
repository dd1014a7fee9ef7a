/**
 * How both commands answer a bad flag or a bad configuration file: the error
 * line, which names what was given, then where the usage is — not the whole
 * usage, which would bury the line.
 *
 * @module
 */
import { messageOf } from "../src/errors.ts";

/**
 * The text a command prints to stderr for a bad flag or file, before it
 * exits 2. `node:util`'s `parseArgs` errors are put in one line of our own:
 * its advice for an unknown option ends in an unbalanced quote.
 *
 * @param error what the parsing threw
 * @param command the command's name, for the pointer to its usage: `deno task run`
 * @returns two lines: the error, then `See 'COMMAND --help'.`
 */
export function flagErrorText(error: unknown, command: string): string {
  return `${flagErrorLine(error)}\nSee '${command} --help'.`;
}

function flagErrorLine(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = messageOf(error);
  // parseArgs quotes the option first in each of its messages: 'Unknown option '--bogus'. ...'
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  if (option === undefined) return message;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `Unknown option '${option}'`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && /argument (missing|is ambiguous)/.test(message)) {
    return `${option} needs a value (for one that starts with '-', write ${option}=VALUE)`;
  }
  return message;
}
