// What each coding agent sends that is personal or confidential, by the keys
// it uses (see the recorded requests under test/fixtures/real-clients and the
// agents' telemetry documentation). A preset names the agent's resources
// (service.name globs) and the keys to drop and to pseudonymize; a rule that
// uses one may add its own keys.

export type Preset = {
  /** Globs on service.name: what the agent sends as its service. */
  agents: readonly string[];
  drop: readonly string[];
  pseudonymize: readonly string[];
};

export const PRESETS: Readonly<Record<string, Preset>> = {
  'claude-code': {
    agents: ['claude-code'],
    // prompt: user_prompt events (OTEL_LOG_USER_PROMPTS=1); response: assistant text;
    // tool_parameters / tool_input: tool_result and tool spans (OTEL_LOG_TOOL_DETAILS=1),
    // which carry bash_command, full_command, file paths and MCP arguments.
    drop: ['prompt', 'response', 'tool_parameters', 'tool_input', 'tool_output', 'bash_command', 'full_command'],
    pseudonymize: ['user.email', 'user.account_uuid'],
  },
  codex: {
    // Codex names its service by the front end: codex_exec, codex_cli_rs, codex_tui...
    agents: ['codex*'],
    // prompt: user_prompt events (log_user_prompt); arguments / output: tool_result events.
    drop: ['prompt', 'arguments', 'output'],
    pseudonymize: ['user.email', 'user.account_id'],
  },
  'gemini-cli': {
    agents: ['gemini-cli'],
    // Gemini CLI logs prompts by default (log_user_prompts_enabled) and the raw API
    // request and response; process.command_args holds the prompt given on the command line.
    drop: [
      'prompt',
      'request_text',
      'response_text',
      'function_args',
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'gen_ai.system_instructions',
      'process.command_args',
    ],
    pseudonymize: ['user.email'],
  },
};

/** Keys allow-list mode keeps whatever the list says: the usage views attribute rows to an agent by them. */
export const ALWAYS_ALLOWED = ['service.name', 'event.name'] as const;
