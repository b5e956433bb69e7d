/**
 * oidc-provider's storage for the example: a plain in-memory adapter. The example keeps everything in memory on
 * purpose (a restart forgets sessions, keys and stats); giving oidc-provider this adapter says so explicitly,
 * instead of its built-in development adapter, which prints a warning meant for production setups.
 */
/**
 * The adapter class for one provider (its own storage: several example apps in one process, as in the tests,
 * share nothing). oidc-provider builds one instance per model (Session, AccessToken, Grant, Interaction, ...).
 */
export function memoryAdapter() {
  const stores = new Map();
  return class MemoryAdapter {
    constructor(model) {
      if (!stores.has(model)) stores.set(model, new Map());
      this.items = stores.get(model);
    }

    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
      this.items.set(id, { payload: { ...payload }, expiresAt });
    }

    async find(id) {
      const item = this.items.get(id);
      if (!item) return undefined;
      if (item.expiresAt !== undefined && item.expiresAt <= Date.now()) {
        this.items.delete(id);
        return undefined;
      }
      return { ...item.payload };
    }

    async findByUserCode(userCode) {
      for (const [id, { payload }] of this.items) if (payload.userCode === userCode) return this.find(id);
      return undefined;
    }

    async findByUid(uid) {
      for (const [id, { payload }] of this.items) if (payload.uid === uid) return this.find(id);
      return undefined;
    }

    async consume(id) {
      const item = this.items.get(id);
      if (item) item.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      this.items.delete(id);
    }

    async revokeByGrantId(grantId) {
      for (const items of stores.values()) {
        for (const [id, { payload }] of items) if (payload.grantId === grantId) items.delete(id);
      }
    }
  };
}
