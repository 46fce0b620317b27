// What a new god found alive of its predecessor's instances (SPEC 13), until each is decided: adopted when a
// loader declares its job again, stopped when its loader says hello without it or no longer exists. Only
// processes whose leader is alive with the recorded start time and whose record says how to adopt them (format
// 2) can be adopted; what is left of a group whose leader died is stopped at once, as before adoption existed.

import type { AdoptRecord, InstanceRecord, Survivor } from "./state-file.js";

export type Adoptable = InstanceRecord & { adopt: AdoptRecord };

export class Adoption {
  private readonly waiting = new Map<string, Adoptable[]>();

  /** Splits the survivors: the adoptable ones are kept here; the rest are returned, to be stopped now. */
  constructor(survivors: Survivor[], isLeaderAlive: (s: Survivor) => boolean) {
    this.rest = [];
    for (const s of survivors) {
      const adopt = s.record.adopt;
      if (adopt && isLeaderAlive(s)) {
        const list = this.waiting.get(s.record.job) ?? [];
        list.push({ ...s.record, adopt });
        this.waiting.set(s.record.job, list);
      } else this.rest.push(s);
    }
  }

  /** Survivors that cannot be adopted (no adoption record, or only the rest of a group). */
  readonly rest: Survivor[];

  /** Every survivor still waiting (they stay in state.json until adopted or stopped). */
  pending(): Adoptable[] {
    return [...this.waiting.values()].flat();
  }

  get size(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  /** The survivors of job `name`, taken out to be adopted by the loader `loader` that declares it now. */
  claim(name: string): Adoptable[] {
    const list = this.waiting.get(name) ?? [];
    this.waiting.delete(name);
    return list.sort((a, b) => a.adopt.index - b.adopt.index);
  }

  /** Survivors recorded as declared by `loader`: after its hello, the ones it did not claim are not wanted. */
  unclaimedOf(loader: string): Adoptable[] {
    return this.take((r) => r.adopt.loader === loader);
  }

  /** Survivors whose loader is none of `loaders` (its file is gone). */
  withoutLoader(loaders: ReadonlySet<string>): Adoptable[] {
    return this.take((r) => !loaders.has(r.adopt.loader));
  }

  private take(match: (r: Adoptable) => boolean): Adoptable[] {
    const out: Adoptable[] = [];
    for (const [job, list] of this.waiting) {
      const keep = list.filter((r) => !match(r));
      out.push(...list.filter(match));
      if (keep.length === 0) this.waiting.delete(job);
      else this.waiting.set(job, keep);
    }
    return out;
  }
}
