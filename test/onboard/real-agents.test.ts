// The real agents, installed from the npm registry into a cached temporary
// prefix, configured by configure, each running one prompt against a fake
// model API on loopback: their telemetry lands and doctor reports all three
// as sending. Outside traffic is sent to a dead proxy so nothing leaves the
// machine.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AGENTS } from '../../src/onboard/options.ts';
import { jsoncFormat } from '../../src/onboard/jsonc-format.ts';
import { warehouseReport, type WarehouseReport } from '../../src/onboard/doctor-warehouse.ts';
import { runConfigure } from '../../src/onboard/run-configure.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { startFakeModel, type FakeModel } from './fake-model.ts';
import { tempHome, type Home } from './support.ts';

const run = promisify(execFile);

/** Pinned, so a new release cannot change what the test sees. */
const PACKAGES = ['@anthropic-ai/claude-code@2.1.332', '@google/gemini-cli@0.61.0', '@openai/codex@0.171.0'];
/** Shared by the suite's repeated runs on one machine: the agents are downloaded once (about 380 MB). */
const PREFIX = path.join(os.tmpdir(), `otlp2delta-real-agents-${PACKAGES.join('_').replace(/[^A-Za-z0-9.]+/g, '-')}`);
const INSTALL_TIMEOUT_MS = 600_000;
const AGENT_TIMEOUT_MS = 120_000;

let svc: TestService;
let model: FakeModel;
let home: Home;

async function install(): Promise<void> {
  if (existsSync(path.join(PREFIX, '.complete'))) return;
  await mkdir(PREFIX, { recursive: true });
  // Install scripts stay off: Claude Code's native binary is used directly, and Gemini CLI runs without node-pty.
  await run('npm', ['install', '--prefix', PREFIX, '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', ...PACKAGES], { timeout: INSTALL_TIMEOUT_MS });
  await writeFile(path.join(PREFIX, '.complete'), PACKAGES.join('\n'));
}

beforeAll(async () => {
  await install();
  [svc, model] = await Promise.all([startTestService(), startFakeModel()]);
  home = await tempHome();
  const code = await runConfigure(
    { agents: [...AGENTS], options: (a) => ({ endpoint: svc.url, prefix: `main.agent_telemetry.${a}`, protocol: 'http/protobuf' }), warehouse: svc.warehouse, dryRun: false, check: true },
    home.env,
    () => undefined,
  );
  expect(code).toBe(0);
  // What a user sets besides telemetry, here pointing each agent's model at the fake API.
  const codexFile = path.join(home.dir, '.codex', 'config.toml');
  const codex = await readFile(codexFile, 'utf8');
  await writeFile(
    codexFile,
    `model = "gpt-5-codex"\nmodel_provider = "fake"\n\n${codex}\n[model_providers.fake]\nname = "fake"\nbase_url = "${model.url}/v1"\nwire_api = "responses"\nenv_key = "FAKE_MODEL_KEY"\n`,
  );
  const geminiFile = path.join(home.dir, '.gemini', 'settings.json');
  let gem = await readFile(geminiFile, 'utf8');
  gem = jsoncFormat.set(gem, ['security', 'auth', 'selectedType'], 'gemini-api-key');
  gem = jsoncFormat.set(gem, ['privacy', 'usageStatisticsEnabled'], false);
  await writeFile(geminiFile, gem);
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await home?.cleanup();
  await model?.close();
  await svc?.stop();
});

function agentEnv(): NodeJS.ProcessEnv {
  const dead = 'http://127.0.0.1:9';
  return {
    PATH: process.env.PATH,
    HOME: home.dir,
    HTTPS_PROXY: dead,
    HTTP_PROXY: dead,
    https_proxy: dead,
    http_proxy: dead,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'sk-ant-fake',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    FAKE_MODEL_KEY: 'fake',
    GEMINI_API_KEY: 'fake',
    GOOGLE_GEMINI_BASE_URL: model.url,
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
  };
}

/** Runs an agent with stdin closed (Codex reads a prompt from an open stdin) and returns its output. */
function runAgent(file: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env: agentEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: AGENT_TIMEOUT_MS });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const bin = (...p: string[]) => path.join(PREFIX, 'node_modules', ...p);
const COMMANDS: Record<string, [string, string[]]> = {
  claude: [bin('@anthropic-ai', `claude-code-${process.platform}-${process.arch}`, 'claude'), ['-p', 'say hi']],
  codex: [bin('.bin', 'codex'), ['exec', '--skip-git-repo-check', 'say hi']],
  gemini: [bin('.bin', 'gemini'), ['-p', 'say hi']],
};

it(
  'each agent answers one prompt, its telemetry lands, and doctor reports all three as sending',
  async () => {
    const work = path.join(home.dir, 'work');
    await mkdir(work, { recursive: true });
    for (const a of AGENTS) {
      const [file, args] = COMMANDS[a]!;
      const { code, out } = await runAgent(file, args, work);
      expect(code, `${a}: ${out.slice(-2000)}`).toBe(0);
      expect(out, a).toContain('hi');
    }
    expect(model.requests.some((r) => r.startsWith('POST /v1/messages'))).toBe(true);
    expect(model.requests.some((r) => r.startsWith('POST /v1/responses'))).toBe(true);
    expect(model.requests.some((r) => r.includes(':streamGenerateContent'))).toBe(true);
    let w: WarehouseReport | undefined;
    const deadline = Date.now() + 30_000;
    const sending = () => new Set((w?.seen ?? []).filter((s) => s.signal === 'metrics' || s.signal === 'logs').map((s) => `${s.agent}/${s.signal}`));
    while (Date.now() < deadline) {
      await svc.service.pipeline.flushAll();
      w = await warehouseReport(svc.warehouse);
      if (sending().size === 6) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect([...sending()].sort()).toEqual(['claude-code/logs', 'claude-code/metrics', 'codex_exec/logs', 'codex_exec/metrics', 'gemini-cli/logs', 'gemini-cli/metrics']);
    expect(w!.silent).toEqual([]);
    expect(w!.refusals).toEqual([]);
  },
  AGENT_TIMEOUT_MS * 3 + 60_000,
);
