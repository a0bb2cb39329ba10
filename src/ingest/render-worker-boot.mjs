// Entry of a render worker thread. Worker threads do not share the main
// thread's module hooks, so the TypeScript loader is registered here too.
import { register } from 'tsx/esm/api';

register();
await import('./render-worker.ts');
