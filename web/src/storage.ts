/** Runs kept in the browser (IndexedDB) across reloads: name → the run's files. */
const DB = 'latentkit-lab';
const STORE = 'runs';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise((resolve, reject) => {
    const request = body(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export const saveRun = (name: string, files: [string, Uint8Array][]) => transact('readwrite', (s) => s.put(files, name));
export const readRun = (name: string) => transact<[string, Uint8Array][] | undefined>('readonly', (s) => s.get(name));
export const savedRuns = () => transact<IDBValidKey[]>('readonly', (s) => s.getAllKeys()).then((keys) => keys.map(String));
