// Where the checked-in test fixtures live, relative to this file so the suite
// runs from any checkout.
import { fileURLToPath } from 'node:url';

/** Recorded requests of real clients: <client>/<run>/NNNN.{meta.json,body.bin,decoded.json}. */
export const REAL_CLIENTS_DIR = fileURLToPath(new URL('../fixtures/real-clients/', import.meta.url));

/** The documented CREATE TABLE statements the layouts must match. */
export const SPEC_DIR = fileURLToPath(new URL('../fixtures/spec/', import.meta.url));
