/**
 * Rendezvous (highest random weight) hashing: which member of a fleet owns
 * a key. Every member that knows the same members computes the same owner,
 * with no coordination; when a member leaves, only its keys move (each to
 * the member with the next highest weight), and when one joins, it takes
 * keys only from the others. Pure: no time, no I/O.
 *
 * A key's hash is computed once ({@link keyHash}) and kept, so that finding
 * the owners of 100,000 keys over a few members costs a few integer
 * operations per key and member.
 *
 * @module
 */

/** A 32-bit hash of a text: FNV-1a over its UTF-16 code units. The same in every worker. */
export function keyHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/** The members of a fleet, ready for {@link ownerOf}: ids with their hashes, sorted by id. */
export interface Members {
  readonly ids: readonly string[];
  readonly hashes: readonly number[];
}

/** The members with the given ids (in any order, without repeats), sorted so that every worker sees the same list. */
export function members(ids: Iterable<string>): Members {
  const sorted = [...new Set(ids)].sort();
  return { ids: sorted, hashes: sorted.map(keyHash) };
}

/** Whether two member lists hold the same ids. */
export function sameMembers(a: Members, b: Members): boolean {
  return a.ids.length === b.ids.length && a.ids.every((id, i) => id === b.ids[i]);
}

/**
 * The owner of a key among the members: the one whose weight for it is the
 * highest (ties, which need two equal 32-bit weights, go to the first id).
 *
 * @param hash the key's {@link keyHash}
 * @returns the owner's index in `members.ids`; -1 when there are no members
 */
export function ownerOf(hash: number, members: Members): number {
  let owner = -1;
  let best = -1;
  const { hashes } = members;
  for (let i = 0; i < hashes.length; i++) {
    const weight = mix(hash ^ hashes[i]!);
    if (weight > best) {
      best = weight;
      owner = i;
    }
  }
  return owner;
}

/** murmur3's 32-bit finaliser: every bit of the input moves every bit of the output. */
export function mix(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
