// What configure writes for one agent: files, the values at each path, and
// the checks of what else in those files (or the environment) would override.
import path from 'node:path';
import type { Signal } from '../otlp/types.ts';
import type { ConfigFormat, ConfigPath } from './format.ts';
import type { Agent, Environment, OnboardOptions } from './options.ts';

export type Setting = { path: ConfigPath; value: unknown };

export type FilePlan = {
  file: string;
  format: ConfigFormat;
  settings: Setting[];
  /** The values hold the token: the file is kept owner-only (0600) while they are in it. */
  secret: boolean;
  /** Warnings about values in the parsed file that would change what the settings do. */
  conflicts(doc: unknown): string[];
};

export type AgentPlan = {
  agent: Agent;
  /** The resource service.name the agent sends, which doctor groups by. */
  serviceName: string;
  signals: Signal[];
  files: FilePlan[];
  /** Managed (system-wide) settings files that take precedence over the user's. */
  managedFiles: string[];
  /** Environment variables that, when set, win over what configure writes. */
  overridingEnv: (name: string) => boolean;
};

export type AgentDef = {
  agent: Agent;
  serviceName: string;
  /** The user-level files configure writes, for doctor and unconfigure. */
  files(e: Environment): string[];
  plan(o: OnboardOptions, e: Environment): AgentPlan;
};

export const homeOf = (e: Environment): string => e.env.HOME ?? e.home;

export const inSystem = (e: Environment, ...parts: string[]): string => path.join(e.systemRoot, ...parts);
