// A table's data files in its store. DuckDB writes Parquet to local files
// only: a local table's files are written in place, a remote table's in a
// local work folder and then uploaded before the commit that adds them.
import { isRemoteLocation, joinLocation, locate } from '../storage/location.ts';
import { OutcomeUnknownError } from '../storage/types.ts';
import { whenNotBusy } from './log-files.ts';

/** The local folder new data files of `tableDir` are written in: the table itself, or `workDir` for a store. */
export function dataWorkDir(tableDir: string, workDir: string): string {
  return isRemoteLocation(tableDir) ? workDir : tableDir;
}

/** Puts a finished local data file into a remote table (in parts when large); nothing to do for a local one. */
export async function publishDataFile(tableDir: string, fileName: string, localFile: string): Promise<void> {
  if (!isRemoteLocation(tableDir)) return;
  const { store, key } = locate(joinLocation(tableDir, fileName));
  // An upload replaces the object whole, so one whose answer was lost is simply sent again.
  await whenNotBusy(() => store.upload(key, localFile).catch((e: unknown) => (e instanceof OutcomeUnknownError ? store.upload(key, localFile) : Promise.reject(e))));
}

/** Removes a data file no commit references (a surplus copy of a batch already committed). */
export async function removeDataFile(tableDir: string, fileName: string): Promise<void> {
  const { store, key } = locate(joinLocation(tableDir, fileName));
  await whenNotBusy(() => store.delete(key));
}
