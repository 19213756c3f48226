/** Receives a movable page's new frame when migration moves it (updates the owner's reference). */
export interface MigrationClient {
  /** The page the owner knows as `ownerIndex` now lives in frame `newIndex`. */
  pageMoved(ownerIndex: number, newIndex: number): void;
  /** The frame the owner holds as `ownerIndex`, if it can say (checked by the invariants). */
  frameIndexOf?(ownerIndex: number): number;
}

/**
 * Owner tags of allocated frames, interned as small integers so a frame's owner is one
 * Uint32Array entry. Id 0 means "no owner". Movable users also register the callback that
 * migration uses to update their reference.
 */
export class OwnerRegistry {
  private readonly names: string[] = [''];
  private readonly ids = new Map<string, number>();
  private readonly clients: (MigrationClient | undefined)[] = [undefined];

  /** The id of an owner tag, interning it on first use. */
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.clients.push(undefined);
      this.ids.set(name, id);
    }
    return id;
  }

  /** The owner tag of an id. */
  name(id: number): string {
    return this.names[id] ?? `owner#${id}`;
  }

  /** Registers the migration client of an owner id. */
  setClient(id: number, client: MigrationClient | undefined): void {
    this.clients[id] = client;
  }

  /** The migration client of an owner id, if it is a movable user. */
  client(id: number): MigrationClient | undefined {
    return this.clients[id];
  }
}
