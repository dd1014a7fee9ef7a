/**
 * The worker's configuration file, `deno task run --config FILE`: the clocks
 * one process runs, how it connects, where it serves its metrics and health
 * checks and how it logs, as JSON checked against
 * `cli/walnats.schema.json` before anything connects.
 *
 * @module
 */
import { Ajv, type ErrorObject } from "ajv";
import { readFile } from "node:fs/promises";
import { Clock, type ClockOptions } from "../src/clock/clock.ts";
import { describe } from "../src/_describe.ts";
import type { DstPolicy } from "../src/core/dst_policy.ts";
import { messageOf } from "../src/errors.ts";
import { Event } from "../src/events/event.ts";
import { type HttpAddress, parseHttpAddress } from "./_http.ts";
import { parseInstant } from "./_instant.ts";
import type { LogFormat } from "./_log.ts";
import schema from "./walnats.schema.json" with { type: "json" };

/** The connection settings a file may hold, named like the command's flags. */
export const FILE_SETTINGS = ["user", "password", "token", "creds", "nkey", "tlsca", "tlscert", "tlskey"] as const;

/** A connection setting of the file. */
export type FileSetting = typeof FILE_SETTINGS[number];

/** What a configuration file says. */
export interface WorkerConfig {
  /** The file's path, as given. */
  readonly path: string;
  /** The clocks, in the file's order. */
  readonly clocks: readonly Clock[];
  /** `server`, as a list; `undefined` when the file has none. */
  readonly servers: readonly string[] | undefined;
  /** The connection settings the file gives. */
  readonly settings: Readonly<Partial<Record<FileSetting, string>>>;
  /** `http`: where to serve metrics and health checks; `undefined` when the file has none. */
  readonly http: HttpAddress | undefined;
  /** `logFormat`; `undefined` when the file has none. */
  readonly logFormat: LogFormat | undefined;
}

/** One entry of `clocks` as the schema allows it. */
interface ClockEntry {
  event: string;
  period?: number;
  cron?: string;
  timezone?: string;
  dst?: DstPolicy;
  catchUp?: number;
  startAt?: string;
  stopAt?: string;
  maxTicks?: number;
  meta?: Record<string, string>;
  replicas?: number;
}

/** The file as the schema allows it. */
type ConfigFile = Partial<Record<FileSetting, string>> & {
  server?: string | string[];
  http?: string;
  logFormat?: LogFormat;
  clocks: ClockEntry[];
};

// verbose: each error holds the value it is about, for the message's "got ...".
const validate = new Ajv({ allErrors: false, strict: true, verbose: true }).compile<ConfigFile>(schema);

/** The fields whose value a message never shows. */
const SECRET_FIELDS: readonly string[] = ["/password", "/token"];

/**
 * Reads and checks a configuration file, and makes its clocks.
 *
 * @param path the file's path
 * @returns the clocks and connection settings
 * @throws {TypeError} when the file cannot be read, is not JSON, or does not follow the schema; the message
 *   names the path, the entry (`clocks[1]`) and the field
 * @throws {RangeError} when a clock's value is out of range (the `Clock` constructor's checks)
 */
export async function readConfig(path: string): Promise<WorkerConfig> {
  const where = `Cannot read config ${path}`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new TypeError(`${where}: ${messageOf(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`${where}: not JSON: ${messageOf(error)}`, { cause: error });
  }
  if (!validate(data)) throw new TypeError(`${where}: ${describeSchemaError(validate.errors ?? [])}`);
  const clocks = data.clocks.map((entry, index) =>
    clockOf(entry, `${where}: clocks[${index}] (event '${entry.event}')`)
  );
  const streams = new Map<string, number>();
  for (const [index, clock] of clocks.entries()) {
    const other = streams.get(clock.event.stream);
    if (other !== undefined) {
      throw new TypeError(
        `${where}: clocks[${index}] (event '${clock.event.name}'): stream '${clock.event.stream}' is emitted ` +
          `by clocks[${other}] already; give each event one clock`,
      );
    }
    streams.set(clock.event.stream, index);
  }
  const settings: Partial<Record<FileSetting, string>> = {};
  for (const name of FILE_SETTINGS) {
    const value = data[name];
    if (value !== undefined) settings[name] = value;
  }
  const servers = data.server === undefined ? undefined : [data.server].flat();
  const http = data.http === undefined ? undefined : parseHttpAddress(data.http, `${where}: 'http'`);
  return { path, clocks, servers, settings, http, logFormat: data.logFormat };
}

/** A clock of one entry; its constructor's errors name the entry. */
function clockOf(entry: ClockEntry, where: string): Clock {
  const { event, startAt, stopAt, replicas, ...rest } = entry;
  const options: ClockOptions = { ...rest };
  try {
    options.event = new Event(event, Date, { limits: replicas === undefined ? {} : { replicas } });
    if (startAt !== undefined) options.startAt = parseInstant("'startAt'", startAt);
    if (stopAt !== undefined) options.stopAt = parseInstant("'stopAt'", stopAt);
    return new Clock(options);
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    const reason = error.message.replace(/^Cannot create (Clock|Event): /, "");
    throw new (error instanceof RangeError ? RangeError : TypeError)(`${where}: ${reason}`, { cause: error });
  }
}

/**
 * The schema's complaint as a sentence: where in the file, what is wrong, what
 * was given. Of a `oneOf` (`server`: a URL or a list), the deepest error tells
 * most; the types its branches wanted at one place are joined ("a string or
 * an array").
 */
function describeSchemaError(errors: readonly ErrorObject[]): string {
  const depth = (error: ErrorObject) => error.instancePath.split("/").length;
  const error = errors.filter((error) => error.keyword !== "oneOf").sort((a, b) => depth(b) - depth(a))[0];
  if (error === undefined) return "does not follow the schema";
  const at = error.instancePath.split("/").slice(1).map((part) => /^\d+$/.test(part) ? `[${part}]` : `.${part}`)
    .join("").replace(/^\./, "");
  const place = at === "" ? "the top level" : at;
  const got = `got ${givenText(error.instancePath, error.data)}`;
  switch (error.keyword) {
    case "additionalProperties":
      return `${place}: unknown field '${error.params.additionalProperty}'`;
    case "required":
      return `${place}: '${error.params.missingProperty}' is missing`;
    case "enum":
      return `${place}: must be one of ${error.params.allowedValues.map((v: unknown) => `'${v}'`).join(", ")}, ${got}`;
    case "type": {
      const types = errors.filter((other) => other.keyword === "type" && other.instancePath === error.instancePath)
        .map((other) => withArticle(other.params.type));
      return `${place}: must be ${types.join(" or ")}, ${got}`;
    }
    default:
      return `${place}: ${error.message ?? "is not valid"}, ${got}`;
  }
}

/** A JSON type with its article: `a string`, `an integer`. */
function withArticle(type: string): string {
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

/**
 * The value at `path` as a message shows it: a scalar as it is; an object or a list, or anything in a secret field,
 * by its kind only (the whole file could hold a password).
 */
function givenText(path: string, value: unknown): string {
  const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  if (SECRET_FIELDS.includes(path) || kind === "array" || kind === "object") return withArticle(kind);
  return describe(value);
}
