// The agents configure knows, by name.
import { claude } from './claude.ts';
import { codex } from './codex.ts';
import { gemini } from './gemini.ts';
import type { Agent } from './options.ts';
import type { AgentDef } from './plan.ts';

export const AGENT_DEFS: Record<Agent, AgentDef> = { claude, codex, gemini };
