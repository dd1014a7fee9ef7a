import type { LeaseEntry, LeaseRecord, LeaseStore } from "../src/actors/_overlap.ts";

/**
 * The overlap leases of a `MemoryServer`: a map whose entries carry a
 * revision, written only at the revision expected, as the KV bucket on NATS.
 */
export class MemoryLeaseStore implements LeaseStore {
  readonly #entries = new Map<string, LeaseEntry>();
  #revision = 0;

  get(key: string): Promise<LeaseEntry | undefined> {
    return Promise.resolve(this.#entries.get(key));
  }

  create(key: string, record: LeaseRecord): Promise<number | undefined> {
    return Promise.resolve(this.#entries.has(key) ? undefined : this.#write(key, record));
  }

  update(key: string, record: LeaseRecord, revision: number): Promise<number | undefined> {
    return Promise.resolve(this.#entries.get(key)?.revision === revision ? this.#write(key, record) : undefined);
  }

  remove(key: string, revision: number): Promise<boolean> {
    const current = this.#entries.get(key)?.revision === revision;
    if (current) this.#entries.delete(key);
    return Promise.resolve(current);
  }

  #write(key: string, record: LeaseRecord): number {
    const revision = ++this.#revision;
    this.#entries.set(key, { record, revision });
    return revision;
  }
}
