/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "function") return value.name ? `function ${value.name}` : "a function";
  if (typeof value === "string") return `'${value}'`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}
