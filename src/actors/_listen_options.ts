import { describe } from "../_describe.ts";
import type { ListenOptions } from "./actors_connection.ts";

/**
 * Checks the options of `listen()`: an object whose `signal` is an
 * AbortSignal, `burst` a boolean and `onEvent` a function, each optional.
 *
 * @throws {TypeError} naming the option and the value
 */
export function checkListenOptions(options: ListenOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot listen: 'options' must be an object, got ${describe(options)}`);
  }
  const { signal, burst, onEvent } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot listen: 'signal' must be an AbortSignal, got ${describe(signal)}`);
  }
  if (burst !== undefined && typeof burst !== "boolean") {
    throw new TypeError(`Cannot listen: 'burst' must be a boolean, got ${describe(burst)}`);
  }
  if (onEvent !== undefined && typeof onEvent !== "function") {
    throw new TypeError(`Cannot listen: 'onEvent' must be a function, got ${describe(onEvent)}`);
  }
}
