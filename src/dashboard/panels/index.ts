import { adoption } from './adoption.ts';
import { errors } from './errors.ts';
import { health } from './health.ts';
import { outcomes } from './outcomes.ts';
import { sessions } from './sessions.ts';
import { spend } from './spend.ts';
import { tokens } from './tokens.ts';
import { tools } from './tools.ts';
import { topSessions } from './top-sessions.ts';
import type { PanelDef } from '../panel.ts';

/** The panels in page order. */
export const PANELS: readonly PanelDef[] = [adoption, sessions, tokens, spend, outcomes, tools, errors, topSessions, health];
