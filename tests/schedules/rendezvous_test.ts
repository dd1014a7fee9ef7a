import assert from "node:assert/strict";
import { keyHash, members, ownerOf, sameMembers } from "../../src/schedules/_rendezvous.ts";

const ids = Array.from({ length: 3_000 }, (_, i) => `schedule-${i}`);
const hashes = ids.map(keyHash);

function owners(memberIds: string[]): string[] {
  const fleet = members(memberIds);
  return hashes.map((hash) => fleet.ids[ownerOf(hash, fleet)]!);
}

Deno.test("ownerOf() gives the same owner whatever order the members were listed in", () => {
  assert.deepEqual(owners(["w-a", "w-b", "w-c"]), owners(["w-c", "w-a", "w-b", "w-a"]));
});

Deno.test("ownerOf() with one member gives it every key; with none, -1", () => {
  assert.ok(owners(["only"]).every((owner) => owner === "only"));
  assert.equal(ownerOf(keyHash("x"), members([])), -1);
});

Deno.test("ownerOf() moves only the keys of a member that leaves, and only keys to a member that joins", () => {
  const before = owners(["w-a", "w-b", "w-c"]);
  const afterLeave = owners(["w-a", "w-c"]);
  const afterJoin = owners(["w-a", "w-b", "w-c", "w-d"]);
  for (let i = 0; i < ids.length; i++) {
    if (before[i] !== "w-b") assert.equal(afterLeave[i], before[i], `${ids[i]} moved though its owner stayed`);
    if (afterJoin[i] !== "w-d") assert.equal(afterJoin[i], before[i], `${ids[i]} moved between the old members`);
  }
  const movedToD = afterJoin.filter((owner) => owner === "w-d").length;
  assert.ok(movedToD > 0 && movedToD < ids.length / 2, `${movedToD} keys moved to the new member`);
});

Deno.test("ownerOf() splits 3,000 keys within 15% of an even share, for 2 to 10 members with uuid ids", () => {
  for (let count = 2; count <= 10; count++) {
    const memberIds = Array.from({ length: count }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const shares = new Map<string, number>();
    for (const owner of owners(memberIds)) shares.set(owner, (shares.get(owner) ?? 0) + 1);
    const even = ids.length / count;
    for (const [member, share] of shares) {
      assert.ok(Math.abs(share - even) <= 0.15 * even, `${count} members: ${member} owns ${share}, even is ${even}`);
    }
    assert.equal(shares.size, count);
  }
});

Deno.test("keyHash() is FNV-1a: the published test vectors", () => {
  assert.deepEqual([keyHash(""), keyHash("a"), keyHash("foobar")], [0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
});

Deno.test("sameMembers() compares the ids, not their order of arrival", () => {
  assert.ok(sameMembers(members(["b", "a"]), members(["a", "b"])));
  assert.ok(!sameMembers(members(["a"]), members(["a", "b"])));
});
